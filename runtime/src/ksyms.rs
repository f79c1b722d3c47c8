//! Kernel objects named by BTF id in the code: variables (`percpu_kaddr`: an `ld_imm64
//! BPF_PSEUDO_BTF_ID`) and kfuncs (a `call BPF_PSEUDO_KFUNC_CALL`). The compiler leaves
//! the id 0 and lists the instruction in `Metadata::ksyms`; before loading, tracerun
//! sets it to the id of the `BTF_KIND_VAR` / `BTF_KIND_FUNC` of the same name in the
//! host's vmlinux BTF (aya 0.14 does not resolve `__ksym` externs itself).

use crate::elfview::{ElfView, INSN_SIZE};
use std::collections::HashMap;
use tracec_meta::{KsymKind, KsymSpec};

const BTF_MAGIC: u16 = 0xeb9f;
const KIND_FUNC: u32 = 12;
const KIND_VAR: u32 = 14;
const LD_IMM64: u8 = 0x18;
const PSEUDO_BTF_ID: u8 = 3;
const CALL: u8 = 0x85;
const PSEUDO_KFUNC_CALL: u8 = 2;

/// The ids found, by kind and name.
pub type Ids = HashMap<(KsymKind, String), u32>;

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The ids of the variables and functions named in `wanted`, from a raw BTF blob
/// (vmlinux). Walks the record headers only; names absent from the result are not in
/// the BTF (as objects of that kind).
pub fn btf_ids(btf: &[u8], wanted: &[(KsymKind, &str)]) -> Result<Ids, String> {
    let bad = |what: &str| format!("kernel BTF: {what}");
    if btf.len() < 24 || u16::from_le_bytes([btf[0], btf[1]]) != BTF_MAGIC {
        return Err(bad("not little-endian BTF"));
    }
    let hdr_len = u32_at(btf, 4).ok_or_else(|| bad("truncated header"))? as usize;
    let field = |i: usize| u32_at(btf, 8 + 4 * i).map(|v| v as usize);
    let (Some(type_off), Some(type_len), Some(str_off), Some(str_len)) =
        (field(0), field(1), field(2), field(3))
    else {
        return Err(bad("truncated header"));
    };
    let range = |off: usize, len: usize| {
        let start = hdr_len.checked_add(off)?;
        btf.get(start..start.checked_add(len)?)
    };
    let types = range(type_off, type_len).ok_or_else(|| bad("type section out of bounds"))?;
    let strings = range(str_off, str_len).ok_or_else(|| bad("string section out of bounds"))?;
    let name_of = |off: u32| -> Option<&[u8]> {
        let s = strings.get(off as usize..)?;
        Some(&s[..s.iter().position(|&c| c == 0)?])
    };
    let mut found = HashMap::new();
    let mut at = 0usize;
    let mut id = 1u32;
    while at < types.len() {
        let (Some(name_off), Some(info)) = (u32_at(types, at), u32_at(types, at + 4)) else {
            return Err(bad(&format!("type {id} is truncated")));
        };
        let vlen = (info & 0xffff) as usize;
        let kind = (info >> 24) & 0x1f;
        let extra = match kind {
            1 | 14 | 17 => 4,
            3 => 12,
            4 | 5 | 15 => 12 * vlen,
            6 | 13 => 8 * vlen,
            19 => 12 * vlen,
            2 | 7..=12 | 16 | 18 => 0,
            k => return Err(bad(&format!("unknown kind {k} at type {id}"))),
        };
        let want = match kind {
            KIND_VAR => Some(KsymKind::Var),
            KIND_FUNC => Some(KsymKind::Func),
            _ => None,
        };
        if let Some(want) = want {
            if let Some(name) = name_of(name_off) {
                if let Some((k, w)) = wanted
                    .iter()
                    .find(|(k, w)| *k == want && w.as_bytes() == name)
                {
                    found.entry((*k, (*w).to_string())).or_insert(id);
                }
            }
        }
        at += 12 + extra;
        id += 1;
    }
    Ok(found)
}

/// Patch the BTF id of every `ksyms` instruction of `bytes` (an object file) with
/// `ids`. An instruction of another form than its kind's is an error (the metadata
/// does not describe this code).
pub fn patch(bytes: &mut [u8], ksyms: &[KsymSpec], ids: &Ids) -> Result<(), String> {
    let mut at = Vec::with_capacity(ksyms.len());
    {
        let view = ElfView::parse(bytes)?;
        for k in ksyms {
            let code = view.program(&k.program)?;
            let off = (k.insn as usize)
                .checked_mul(INSN_SIZE)
                .filter(|o| o + 2 * INSN_SIZE <= code.code.len())
                .ok_or_else(|| format!("{}: instruction {} is out of range", k.program, k.insn))?;
            let file_off = code.code.as_ptr() as usize - bytes.as_ptr() as usize + off;
            at.push((file_off, k));
        }
    }
    for (off, k) in at {
        let insn = &mut bytes[off..off + 2 * INSN_SIZE];
        let (code, src, what) = match k.kind {
            KsymKind::Var => (LD_IMM64, PSEUDO_BTF_ID, "a kernel variable's address"),
            KsymKind::Func => (CALL, PSEUDO_KFUNC_CALL, "a kfunc call"),
        };
        if insn[0] != code || insn[1] >> 4 != src {
            return Err(format!(
                "{}: instruction {} is not {what}",
                k.program, k.insn
            ));
        }
        let id = *ids
            .get(&(k.kind, k.name.clone()))
            .ok_or_else(|| match k.kind {
                KsymKind::Var => format!("Could not resolve variable \"{}\" from BTF", k.name),
                KsymKind::Func => format!("kernel function {} is not in the kernel BTF", k.name),
            })?;
        insn[4..8].copy_from_slice(&id.to_le_bytes());
    }
    Ok(())
}

/// `bytes` with the BTF ids of `ksyms` resolved against the host's kernel BTF; `None`
/// when there are none to resolve.
pub fn resolve(bytes: &[u8], ksyms: &[KsymSpec]) -> Result<Option<Vec<u8>>, String> {
    if ksyms.is_empty() {
        return Ok(None);
    }
    let path = crate::target_btf::KERNEL_BTF_PATH;
    let btf = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let names: Vec<(KsymKind, &str)> = ksyms.iter().map(|k| (k.kind, k.name.as_str())).collect();
    let ids = btf_ids(&btf, &names)?;
    let mut out = bytes.to_vec();
    patch(&mut out, ksyms, &ids)?;
    Ok(Some(out))
}

/// What the verifier's refusal `error` of `probe`'s program means when the kernel
/// could not find the address of a kernel variable: it looks the name up in kallsyms,
/// which lists variables only with `CONFIG_KALLSYMS_ALL`.
pub fn explain(probe: &tracec_meta::ProbeSpec, error: &str) -> Option<String> {
    const MARK: &str = "failed to find the address for kernel symbol '";
    let at = error.find(MARK)? + MARK.len();
    let name = error[at..].split('\'').next()?;
    Some(format!(
        "{}: the running kernel cannot give BPF programs the address of variable \"{name}\" \
         (percpu_kaddr): it is not in /proc/kallsyms (a kernel built without CONFIG_KALLSYMS_ALL)",
        probe.name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BTF blob with an INT `int`, a VAR `runqueues`, a VAR `other`, a DATASEC, a
    /// FUNC_PROTO and a FUNC `kf`.
    fn blob() -> Vec<u8> {
        let strings = b"\0int\0runqueues\0other\0.data..percpu\0kf\0";
        let mut types = Vec::new();
        let mut rec = |words: &[u32]| {
            for w in words {
                types.extend_from_slice(&w.to_le_bytes());
            }
        };
        rec(&[1, 1 << 24, 4, 32]); // [1] INT int, size 4
        rec(&[5, 14 << 24, 1, 1]); // [2] VAR runqueues
        rec(&[15, 14 << 24, 1, 1]); // [3] VAR other
        rec(&[21, (15 << 24) | 2, 8, 2, 0, 4, 3, 4, 4]); // [4] DATASEC, 2 vars
        rec(&[0, 13 << 24, 1]); // [5] FUNC_PROTO int (void)
        rec(&[35, (12 << 24) | 1, 5]); // [6] FUNC kf, global
        let mut b = Vec::new();
        b.extend_from_slice(&BTF_MAGIC.to_le_bytes());
        b.extend_from_slice(&[1, 0]);
        for w in [
            24u32,
            0,
            types.len() as u32,
            types.len() as u32,
            strings.len() as u32,
        ] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b.extend_from_slice(&types);
        b.extend_from_slice(strings);
        b
    }

    #[test]
    fn finds_vars_by_name() {
        let var = |n: &'static str| (KsymKind::Var, n);
        let func = |n: &'static str| (KsymKind::Func, n);
        let wanted = [var("other"), var("runqueues"), var("int"), var("missing")];
        let wanted = [&wanted[..], &[func("kf"), func("runqueues"), var("kf")]].concat();
        let ids = btf_ids(&blob(), &wanted).unwrap();
        let id = |(k, n): (KsymKind, &str)| ids.get(&(k, n.to_string())).copied();
        assert_eq!(id(var("runqueues")), Some(2));
        assert_eq!(id(var("other")), Some(3));
        assert_eq!(id(func("kf")), Some(6));
        // `int` is a type, not a variable; names are looked up with their kind.
        assert_eq!(id(var("int")), None);
        assert_eq!(id(var("missing")), None);
        assert_eq!(id(func("runqueues")), None);
        assert_eq!(id(var("kf")), None);
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn refuses_truncated_btf() {
        let b = blob();
        let w = [(KsymKind::Var, "runqueues")];
        assert!(btf_ids(&b[..30], &w).is_err());
        assert!(btf_ids(b"not btf at all, not at all", &w).is_err());
    }

    #[test]
    fn explains_a_variable_missing_from_kallsyms() {
        let probe = tracec_meta::ProbeSpec {
            program: "BEGIN_0".into(),
            section: "raw_tp".into(),
            name: "BEGIN".into(),
            attach: tracec_meta::Attach::Begin,
            cookie: None,
        };
        let log =
            "Verifier output: ldimm64 failed to find the address for kernel symbol 'runqueues'.";
        let e = explain(&probe, log).unwrap();
        assert!(e.starts_with("BEGIN: "), "{e}");
        assert!(e.contains("variable \"runqueues\""), "{e}");
        assert_eq!(explain(&probe, "R1 invalid mem access"), None);
    }

    /// A BPF ELF with function `prog` in section `raw_tp`: `mov r0, 0`, then an
    /// `ld_imm64` with source register `src`, then `exit`.
    fn elf(src: u8) -> Vec<u8> {
        elf_with([LD_IMM64, 1 | (src << 4), 0, 0, 0, 0, 0, 0])
    }

    /// The same with instruction 1 being `insn` (and 2 zero).
    fn elf_with(insn: [u8; 8]) -> Vec<u8> {
        use object::write::{Object, Symbol, SymbolSection};
        use object::{Architecture, BinaryFormat, Endianness, SectionKind};
        use object::{SymbolFlags, SymbolKind, SymbolScope};
        let mut code = vec![0xb7, 0, 0, 0, 0, 0, 0, 0];
        code.extend_from_slice(&insn);
        code.extend_from_slice(&[0; 8]);
        code.extend_from_slice(&[0x95, 0, 0, 0, 0, 0, 0, 0]);
        let mut o = Object::new(BinaryFormat::Elf, Architecture::Bpf, Endianness::Little);
        let sec = o.add_section(Vec::new(), b"raw_tp".to_vec(), SectionKind::Text);
        let off = o.append_section_data(sec, &[0; 16], 8);
        o.append_section_data(sec, &code, 8);
        o.add_symbol(Symbol {
            name: b"prog".to_vec(),
            value: off + 16,
            size: code.len() as u64,
            kind: SymbolKind::Text,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Section(sec),
            flags: SymbolFlags::None,
        });
        o.write().unwrap()
    }

    fn spec(insn: u32, name: &str) -> KsymSpec {
        KsymSpec {
            program: "prog".into(),
            insn,
            name: name.into(),
            kind: KsymKind::Var,
        }
    }

    fn ids(kind: KsymKind, name: &str, id: u32) -> Ids {
        HashMap::from([((kind, name.to_string()), id)])
    }

    #[test]
    fn patches_a_kfunc_call() {
        let before = elf_with([CALL, PSEUDO_KFUNC_CALL << 4, 0, 0, 0, 0, 0, 0]);
        let mut bytes = before.clone();
        let k = KsymSpec {
            kind: KsymKind::Func,
            ..spec(1, "kf")
        };
        // A variable of that name is not the function.
        let e = patch(
            &mut bytes,
            std::slice::from_ref(&k),
            &ids(KsymKind::Var, "kf", 9),
        )
        .unwrap_err();
        assert_eq!(e, "kernel function kf is not in the kernel BTF");
        patch(&mut bytes, &[k], &ids(KsymKind::Func, "kf", 9)).unwrap();
        let changed: Vec<usize> = (0..bytes.len())
            .filter(|&i| bytes[i] != before[i])
            .collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(bytes[changed[0]], 9);
        assert_eq!(bytes[changed[0] - 4], CALL);
        // A kfunc spec on an ld_imm64 is refused.
        let mut ld = elf(PSEUDO_BTF_ID);
        let k = KsymSpec {
            kind: KsymKind::Func,
            ..spec(1, "kf")
        };
        assert!(patch(&mut ld, &[k], &ids(KsymKind::Func, "kf", 9)).is_err());
    }

    #[test]
    fn patches_the_btf_id_of_the_instruction() {
        let before = elf(PSEUDO_BTF_ID);
        let mut bytes = before.clone();
        let ids = ids(KsymKind::Var, "runqueues", 0x01020304);
        patch(&mut bytes, &[spec(1, "runqueues")], &ids).unwrap();
        let changed: Vec<usize> = (0..bytes.len())
            .filter(|&i| bytes[i] != before[i])
            .collect();
        assert_eq!(changed.len(), 4, "{changed:?}");
        let at = changed[0];
        assert_eq!(&bytes[at..at + 4], &0x01020304u32.to_le_bytes());
        // The imm of the first slot of the ld_imm64: 4 bytes after its opcode.
        assert_eq!(bytes[at - 4], LD_IMM64);
    }

    #[test]
    fn patch_refuses_a_missing_variable_and_foreign_code() {
        let mut bytes = elf(PSEUDO_BTF_ID);
        let e = patch(&mut bytes, &[spec(1, "nope")], &HashMap::new()).unwrap_err();
        assert_eq!(e, "Could not resolve variable \"nope\" from BTF");
        let ids = ids(KsymKind::Var, "x", 7);
        // Instruction 0 is a mov, 3 would run past the function's end.
        assert!(patch(&mut bytes, &[spec(0, "x")], &ids).is_err());
        assert!(patch(&mut bytes, &[spec(3, "x")], &ids).is_err());
        // An ld_imm64 of another kind (a map fd).
        let mut map = elf(1);
        assert!(patch(&mut map, &[spec(1, "x")], &ids).is_err());
    }

    #[test]
    fn patch_refuses_non_elf() {
        let k = spec(0, "runqueues");
        let mut bytes = b"garbage".to_vec();
        assert!(patch(&mut bytes, &[k], &HashMap::new()).is_err());
    }
}
