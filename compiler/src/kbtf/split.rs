//! Split BTF: a kernel module's types (`/sys/kernel/btf/<module>`) on top of the
//! kernel's (`vmlinux`). A split blob has its own header, type and string
//! sections, but its type ids continue after the base's last id and its string
//! offsets after the end of the base's string section; its records refer to base
//! types by their base ids.
//!
//! Modules are stacked in the order they are added: the first module's ids and
//! offsets are the ones it was built with, a later one's are moved past the
//! modules before it (its records are rewritten). The combined [`Btf`] keeps the
//! id range of every module, and nothing in it is a script type ([`Btf::is_local`]).

use super::local::Appended;
use super::parse::{self, Reader, RECORD_HEADER};
use super::{Btf, BtfError, Kind, LocalType, TypeId};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The types of one module in a combined [`Btf`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleTypes {
    pub name: String,
    pub ids: Range<TypeId>,
}

fn err(m: impl Into<String>) -> BtfError {
    BtfError(m.into())
}

impl Btf {
    /// The kernel modules whose types this BTF holds, in id order.
    pub fn modules(&self) -> &[ModuleTypes] {
        &self.modules
    }

    /// The ids of module `name`'s types, if it was added.
    pub fn module_ids(&self, name: &str) -> Option<Range<TypeId>> {
        self.modules
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.ids.clone())
    }

    /// The module that defines type `id` (`None`: the kernel itself, or a script).
    pub fn module_of(&self, id: TypeId) -> Option<&str> {
        self.modules
            .iter()
            .find(|m| m.ids.contains(&id))
            .map(|m| m.name.as_str())
    }

    /// The number of types of the base (`vmlinux`) blob, `void` included: the first
    /// id of a split blob built on it.
    pub fn base_len(&self) -> TypeId {
        self.base.offsets.len() as TypeId
    }

    /// This BTF with the split BTF `bytes` of module `name` added. `self` must be
    /// the kernel's BTF, possibly with other modules, but no script types.
    pub fn with_module(&self, name: &str, bytes: &[u8]) -> Result<Btf, BtfError> {
        if self.local_base != u32::MAX {
            return Err(err("module BTF must be added before the script's types"));
        }
        if self.module_ids(name).is_some() {
            return Ok(self.clone());
        }
        let data = match parse::elf_btf_section(bytes)? {
            Some((start, end)) => &bytes[start..end],
            None => bytes,
        };
        let split = header(data)?;
        if split.big_endian != self.base.big_endian {
            return Err(err(format!(
                "BTF of module {name}: byte order differs from the kernel's"
            )));
        }
        let base_types = self.base_len();
        let base_strs = self.base_strings().len() as u32;
        let old = self.local.as_deref();
        let (old_types, old_strs) = old.map_or((0, 0), |l| (l.offsets.len(), l.strings.len()));
        let shift = Shift {
            base_types,
            base_strs,
            types: u32::try_from(old_types).map_err(|_| err("BTF too large"))?,
            strs: u32::try_from(old_strs).map_err(|_| err("BTF too large"))?,
        };
        let r = Reader::new(data, split.big_endian);
        let mut types = old.map(|l| l.types.clone()).unwrap_or_default();
        let mut strings = old.map(|l| l.strings.clone()).unwrap_or_default();
        let start_len = types.len();
        rewrite_records(&r, split.types.clone(), &shift, &mut types)?;
        strings.extend_from_slice(&data[split.strings.clone()]);

        let ext_start = self.base.data.len();
        let mut offsets = old.map(|l| l.offsets.clone()).unwrap_or_default();
        let first_new = offsets.len();
        let mut enum_ids = old.map(|l| l.enum_ids.clone()).unwrap_or_default();
        let end = ext_start + types.len();
        if u32::try_from(end).is_err() {
            return Err(err("BTF too large"));
        }
        let first_id = base_types as usize;
        {
            let r = Reader {
                bytes: &self.base.data,
                big_endian: self.base.big_endian,
                ext: &types,
                ext_start,
            };
            let total = base_strs as usize + strings.len();
            let valid_name = |off: u32| (off as usize) < total.max(1);
            parse::walk(
                &r,
                ext_start + start_len,
                end,
                first_id,
                &valid_name,
                &mut offsets,
                &mut enum_ids,
            )
            .map_err(|e| err(format!("BTF of module {name}: {e}")))?;
            let count = (first_id + offsets.len()) as u32;
            parse::check_references(&r, &offsets[first_new..], first_id + first_new, count)
                .map_err(|e| err(format!("BTF of module {name}: {e}")))?;
        }
        let ids = (first_id + first_new) as TypeId..(first_id + offsets.len()) as TypeId;
        let mut modules = (*self.modules).clone();
        modules.push(ModuleTypes {
            name: name.to_string(),
            ids,
        });
        Ok(Btf {
            base: self.base.clone(),
            local: Some(Arc::new(Appended {
                types,
                strings,
                offsets,
                enum_ids,
            })),
            local_base: u32::MAX,
            names: Arc::default(),
            modules: Arc::new(modules),
        })
    }

    /// [`Btf::with_module`] reading the module's BTF from `path`.
    pub fn with_module_file(&self, name: &str, path: &Path) -> Result<Btf, BtfError> {
        let bytes =
            std::fs::read(path).map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        self.with_module(name, &bytes)
    }

    /// A split BTF blob holding `types` on top of this BTF (which must have no
    /// appended types): ids from [`Btf::len`] up, string offsets after this BTF's
    /// string section, as the kernel writes a module's BTF. References in `types`
    /// are ids of this BTF or of earlier entries of `types`.
    pub fn split_blob(&self, types: &[LocalType]) -> Result<Vec<u8>, BtfError> {
        if self.local.is_some() {
            return Err(err("split BTF is built on a BTF without appended types"));
        }
        // Appending validates the records; the appended part is the split blob.
        let appended = self.with_local(types)?;
        let l = appended
            .local
            .as_deref()
            .ok_or_else(|| err("no types appended"))?;
        let be = self.base.big_endian;
        let word = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut out = Vec::with_capacity(24 + l.types.len() + l.strings.len());
        let magic = 0xeb9fu16;
        out.extend_from_slice(&if be {
            magic.to_be_bytes()
        } else {
            magic.to_le_bytes()
        });
        out.extend_from_slice(&[1, 0]);
        let (tl, sl) = (l.types.len() as u32, l.strings.len() as u32);
        for v in [24, 0, tl, tl, sl] {
            out.extend_from_slice(&word(v));
        }
        out.extend_from_slice(&l.types);
        out.extend_from_slice(&l.strings);
        Ok(out)
    }
}

/// Where the sections of a split blob are.
struct SplitHeader {
    big_endian: bool,
    types: Range<usize>,
    strings: Range<usize>,
}

fn header(data: &[u8]) -> Result<SplitHeader, BtfError> {
    let big_endian = match data.get(0..2) {
        Some([0x9f, 0xeb]) => false,
        Some([0xeb, 0x9f]) => true,
        _ => return Err(err("not a BTF file (bad magic)")),
    };
    if data.get(2) != Some(&1) {
        return Err(err("unsupported BTF version"));
    }
    let r = Reader::new(data, big_endian);
    let field = |at| {
        r.u32(at)
            .map(|v| v as usize)
            .ok_or_else(|| err("BTF header truncated"))
    };
    let hdr = field(4)?;
    if hdr < 24 || hdr > data.len() {
        return Err(err("bad BTF header length"));
    }
    let section = |off: usize, len: usize, what: &str| {
        let s = hdr.checked_add(off);
        match (s, s.and_then(|s| s.checked_add(len))) {
            (Some(s), Some(e)) if e <= data.len() => Ok(s..e),
            _ => Err(err(format!("BTF {what} section out of bounds"))),
        }
    };
    let types = section(field(8)?, field(12)?, "type")?;
    let strings = section(field(16)?, field(20)?, "string")?;
    if data[strings.clone()].last().is_some_and(|&b| b != 0) {
        return Err(err("BTF string section is not NUL-terminated"));
    }
    Ok(SplitHeader {
        big_endian,
        types,
        strings,
    })
}

/// How a split blob's ids and string offsets move when modules come before it.
struct Shift {
    base_types: u32,
    base_strs: u32,
    /// Types and string bytes of the modules added before.
    types: u32,
    strs: u32,
}

impl Shift {
    fn ty(&self, id: u32) -> u32 {
        if id >= self.base_types {
            id.saturating_add(self.types)
        } else {
            id
        }
    }
    fn name(&self, off: u32) -> u32 {
        if off >= self.base_strs {
            off.saturating_add(self.strs)
        } else {
            off
        }
    }
}

/// Copy the records in `range` of `r` onto `out`, their type ids and name offsets
/// moved by `shift`.
fn rewrite_records(
    r: &Reader,
    range: Range<usize>,
    shift: &Shift,
    out: &mut Vec<u8>,
) -> Result<(), BtfError> {
    let put = |out: &mut Vec<u8>, v: u32| {
        out.extend_from_slice(&if r.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    let mut at = range.start;
    let mut n = 0usize;
    while at < range.end {
        let bad = || err(format!("split BTF type {n}: record truncated"));
        let get = |p: usize| r.u32(p).filter(|_| p + 4 <= range.end).ok_or_else(bad);
        let info = get(at + 4)?;
        let kind =
            parse::kind_of(info).ok_or_else(|| err(format!("split BTF type {n}: unknown kind")))?;
        let vlen = (info & 0xffff) as usize;
        put(out, shift.name(get(at)?));
        put(out, info);
        let head = get(at + 8)?;
        put(
            out,
            if kind.refers_to_type() {
                shift.ty(head)
            } else {
                head
            },
        );
        let body = at + RECORD_HEADER;
        // (stride, which words of an entry are names, which are type ids).
        let (count, stride, names, tys): (usize, usize, &[usize], &[usize]) = match kind {
            Kind::Int | Kind::Var | Kind::DeclTag => (1, 4, &[], &[]),
            Kind::Array => (1, 12, &[], &[0, 1]),
            Kind::Struct | Kind::Union => (vlen, 12, &[0], &[1]),
            Kind::Enum => (vlen, 8, &[0], &[]),
            Kind::Enum64 => (vlen, 12, &[0], &[]),
            Kind::FuncProto => (vlen, 8, &[0], &[1]),
            Kind::DataSec => (vlen, 12, &[], &[0]),
            _ => (0, 0, &[], &[]),
        };
        for e in 0..count {
            for w in 0..stride / 4 {
                let v = get(body + e * stride + w * 4)?;
                let v = if names.contains(&w) {
                    shift.name(v)
                } else if tys.contains(&w) {
                    shift.ty(v)
                } else {
                    v
                };
                put(out, v);
            }
        }
        at = body + count * stride;
        n += 1;
    }
    Ok(())
}

/// Where module `module`'s BTF is, beside the kernel's BTF file `vmlinux`
/// (`/sys/kernel/btf/vmlinux` → `/sys/kernel/btf/<module>`).
pub fn module_path(vmlinux: &Path, module: &str) -> PathBuf {
    vmlinux
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(module)
}

/// Whether `name` can name a module file (no path separators, not `.`/`..`).
pub fn valid_module_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0'])
}
