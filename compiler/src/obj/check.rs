//! Validation of an [`ObjectInput`] before anything is written, so that malformed
//! input from earlier stages becomes an error message instead of a broken object or
//! a panic.

use std::collections::{HashMap, HashSet};

use super::btf::is_c_identifier;
use super::{ObjectInput, LICENSE_SYMBOL, RESERVED_SECTIONS};
use crate::back::{CompiledFunction, RelocTarget};
use crate::ir::{MapKind, SUBPROGRAM_SECTION};

/// `BPF_LD | BPF_IMM | BPF_DW`: the first half of an `ld_imm64`.
pub const LD_IMM64: u8 = 0x18;
/// `ld_imm64` source register of a function address.
const PSEUDO_FUNC: u8 = crate::back::opcode::PSEUDO_FUNC;

pub fn check(input: &ObjectInput) -> Result<(), String> {
    let mut symbols: HashMap<&str, &str> = HashMap::new();
    symbols.insert(LICENSE_SYMBOL, "the license");
    for f in input.functions {
        add_symbol(&mut symbols, &f.name, "program")?;
        check_function(input, f).map_err(|e| format!("program `{}`: {e}", f.name))?;
    }
    for m in input.maps {
        add_symbol(&mut symbols, &m.symbol, "map")?;
        let what = |e: &str| format!("map `{}`: {e}", m.symbol);
        if m.max_entries == 0 && m.kind != MapKind::PerfEventArray {
            return Err(what("max_entries is 0"));
        }
        match (m.kind, &m.key, &m.value) {
            (MapKind::RingBuf, None, None) => {
                if !m.max_entries.is_power_of_two() || m.max_entries < 4096 {
                    return Err(what(
                        "a ringbuf's size must be a power of two of at least 4096",
                    ));
                }
            }
            (MapKind::RingBuf, _, _) => return Err(what("a ringbuf has no key or value type")),
            (kind, Some(k), Some(v)) => {
                if k.size() == 0 || v.size() == 0 {
                    return Err(what("key and value must not be empty"));
                }
                if matches!(kind, MapKind::Array | MapKind::PerCpuArray) && k.size() != 4 {
                    return Err(what("an array's key must be 4 bytes"));
                }
            }
            _ => return Err(what("needs a key and a value type")),
        }
    }
    for g in input.globals {
        add_symbol(&mut symbols, &g.symbol, "global")?;
        if g.ty.size() == 0 {
            return Err(format!("global `{}` is empty", g.symbol));
        }
        if g.init.len() != g.ty.size() as usize {
            return Err(format!(
                "global `{}`: initial value has {} bytes, its type {}",
                g.symbol,
                g.init.len(),
                g.ty.size()
            ));
        }
    }
    Ok(())
}

fn add_symbol<'a>(
    symbols: &mut HashMap<&'a str, &'static str>,
    name: &'a str,
    what: &'static str,
) -> Result<(), String> {
    if !is_c_identifier(name) {
        return Err(format!("{what} name `{name}` is not a C identifier"));
    }
    if let Some(prev) = symbols.insert(name, what) {
        return Err(format!(
            "symbol `{name}` is defined twice (as {prev} and as {what})"
        ));
    }
    Ok(())
}

fn check_function(input: &ObjectInput, f: &CompiledFunction) -> Result<(), String> {
    if f.section.is_empty() || f.section.contains('\0') {
        return Err(format!("invalid section name {:?}", f.section));
    }
    if RESERVED_SECTIONS.contains(&f.section.as_str()) || f.section == tracec_meta::SECTION {
        return Err(format!("section `{}` is reserved", f.section));
    }
    if f.insns.is_empty() {
        return Err("no instructions".into());
    }
    if f.insns.len() > (u32::MAX / 8) as usize {
        return Err("too many instructions".into());
    }
    // Second halves of ld_imm64: neither relocation nor line targets.
    let mut second_half = HashSet::new();
    let mut i = 0;
    while i < f.insns.len() {
        if f.insns[i].code == LD_IMM64 {
            if i + 1 >= f.insns.len() || f.insns[i + 1].code != 0 {
                return Err(format!("ld_imm64 at instruction {i} lacks its second half"));
            }
            second_half.insert(i + 1);
            i += 2;
        } else {
            i += 1;
        }
    }
    let mut relocated = HashSet::new();
    for r in &f.relocs {
        let insn = f
            .insns
            .get(r.insn)
            .ok_or_else(|| format!("relocation at instruction {} is out of range", r.insn))?;
        if insn.code != LD_IMM64 || second_half.contains(&r.insn) {
            return Err(format!(
                "relocation at instruction {} which is not an ld_imm64 (code {:#04x})",
                r.insn, insn.code
            ));
        }
        let second = f.insns[r.insn + 1];
        if (second.dst, second.src, second.off, second.imm) != (0, 0, 0, 0) {
            return Err(format!(
                "the second half of the ld_imm64 at instruction {} is not zero",
                r.insn
            ));
        }
        if !relocated.insert(r.insn) {
            return Err(format!("two relocations at instruction {}", r.insn));
        }
        match r.target {
            RelocTarget::Map(id) => {
                if input.maps.get(id.0 as usize).is_none() {
                    return Err(format!("relocation against unknown map #{}", id.0));
                }
                if insn.imm != 0 {
                    return Err(format!(
                        "map relocation at instruction {} has imm {} (must be 0)",
                        r.insn, insn.imm
                    ));
                }
            }
            RelocTarget::Func(id) => {
                let callee = input
                    .functions
                    .get(id.0 as usize)
                    .ok_or_else(|| format!("relocation against unknown function #{}", id.0))?;
                if callee.section != SUBPROGRAM_SECTION {
                    return Err(format!(
                        "function relocation at instruction {} names `{}`, which is a program, not a subprogram",
                        r.insn, callee.name
                    ));
                }
                if insn.imm != 0 || insn.src != PSEUDO_FUNC {
                    return Err(format!(
                        "function relocation at instruction {} needs src {PSEUDO_FUNC} and imm 0",
                        r.insn
                    ));
                }
            }
            RelocTarget::Global(id) => {
                let g = input
                    .globals
                    .get(id.0 as usize)
                    .ok_or_else(|| format!("relocation against unknown global #{}", id.0))?;
                if insn.imm < 0 || insn.imm as u32 >= g.ty.size() {
                    return Err(format!(
                        "relocation at instruction {} points {} bytes into global `{}` of {} bytes",
                        r.insn,
                        insn.imm,
                        g.symbol,
                        g.ty.size()
                    ));
                }
            }
        }
    }
    for r in &f.core_relocs {
        let want = r.access.local_value();
        let ok = !second_half.contains(&r.insn)
            && f.insns.get(r.insn).is_some_and(|i| match i.code & 0x07 {
                // mov64 dst, imm holding the compile-time value
                0x07 => i.code == 0xb7 && i64::from(i.imm) as u64 == want,
                // ldx dst, [src + off] at the compile-time offset
                0x01 => i.code & 0xe0 == 0x60 && i64::from(i.off) as u64 == want,
                _ => false,
            });
        if !ok {
            return Err(format!(
                "CO-RE relocation {} at instruction {} is not on a `mov64 reg, {}` or a load at that offset",
                r.access,
                r.insn,
                r.access.local_value()
            ));
        }
    }
    let mut prev = None;
    for l in &f.lines {
        if l.insn >= f.insns.len() || second_half.contains(&l.insn) {
            return Err(format!(
                "line info at instruction {} is not at an instruction",
                l.insn
            ));
        }
        if prev.is_some_and(|p| p >= l.insn) {
            return Err(format!(
                "line info not sorted by instruction (at instruction {})",
                l.insn
            ));
        }
        prev = Some(l.insn);
    }
    Ok(())
}
