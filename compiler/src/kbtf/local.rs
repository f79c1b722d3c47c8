//! Types defined by the script (`struct Foo { int x; }` at top level), appended to a
//! BTF blob (the kernel's, or an empty one) so that every lookup, member walk and
//! size computation treats them like kernel types. They take the ids from
//! [`Btf::local_base`] up and win name lookups over kernel types of the same name
//! (a script may redefine a kernel struct). Nothing here is a kernel type, so field
//! reads through them need no CO-RE relocation ([`Btf::is_local`]).

use super::{parse, Btf, BtfError, TypeId};
use std::sync::Arc;

/// The records and strings of appended types, as a [`parse::Reader`] sees them
/// past the end of the base blob.
pub(super) struct Appended {
    // Also a kernel module's split BTF (`split.rs`): records and strings the same.
    /// Type records; position `p` of a reader is `types[p - base blob length]`.
    pub types: Vec<u8>,
    /// Strings; offset `o` is `strings[o - base string section length]`.
    pub strings: Vec<u8>,
    /// Reader position of each appended type's record, from id `base.offsets.len()`.
    pub offsets: Vec<u32>,
    /// Ids of the appended ENUM and ENUM64 types.
    pub enum_ids: Vec<u32>,
}

fn too_large() -> BtfError {
    BtfError("BTF file too large".into())
}

/// A script type to append; references are type ids of the combined BTF (kernel
/// ids, or `local_base + i` for the `i`-th appended type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalType {
    Int {
        name: String,
        size: u32,
        signed: bool,
        char: bool,
        bool: bool,
    },
    Float {
        name: String,
        size: u32,
    },
    Ptr {
        target: TypeId,
    },
    Array {
        elem: TypeId,
        /// An integer type for the index (BTF requires one).
        index: TypeId,
        nelems: u32,
    },
    /// A struct or union; members are `(name, type, bit offset, bitfield width)`.
    Record {
        name: String,
        union: bool,
        size: u32,
        members: Vec<(String, TypeId, u32, u32)>,
    },
    /// A forward declaration.
    Fwd {
        name: String,
        union: bool,
    },
    Enum {
        name: String,
        size: u32,
        signed: bool,
        values: Vec<(String, i64)>,
    },
    Typedef {
        name: String,
        target: TypeId,
    },
    /// `ret (void)`: a function prototype (behind function pointers).
    FuncProto {
        ret: TypeId,
    },
    /// `ret (params...)`: a function prototype with named parameters.
    Proto {
        ret: TypeId,
        params: Vec<(String, TypeId)>,
    },
    /// A function (`BTF_KIND_FUNC`, global linkage) of prototype `proto`.
    Func {
        name: String,
        proto: TypeId,
    },
}

const KIND_INT: u32 = 1;
const KIND_PTR: u32 = 2;
const KIND_ARRAY: u32 = 3;
const KIND_STRUCT: u32 = 4;
const KIND_UNION: u32 = 5;
const KIND_ENUM: u32 = 6;
const KIND_FWD: u32 = 7;
const KIND_TYPEDEF: u32 = 8;
const KIND_FUNC: u32 = 12;
const KIND_FUNC_PROTO: u32 = 13;
const KIND_FLOAT: u32 = 16;
const KIND_ENUM64: u32 = 19;

struct Writer {
    big_endian: bool,
    types: Vec<u8>,
    strings: Vec<u8>,
    /// Length of the base string section (new strings start there).
    str_base: u32,
}

impl Writer {
    fn u32(&mut self, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.types.extend_from_slice(&b);
    }
    fn name(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let off = self.str_base + self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        off
    }
    fn head(&mut self, name: &str, kind: u32, vlen: usize, kflag: bool, size_or_type: u32) {
        let n = self.name(name);
        self.u32(n);
        self.u32((kind << 24) | (u32::from(kflag) << 31) | (vlen as u32 & 0xffff));
        self.u32(size_or_type);
    }
    fn ty(&mut self, t: &LocalType) {
        match t {
            LocalType::Int {
                name,
                size,
                signed,
                char,
                bool,
            } => {
                self.head(name, KIND_INT, 0, false, *size);
                let enc = u32::from(*signed) | (u32::from(*char) << 1) | (u32::from(*bool) << 2);
                self.u32((enc << 24) | (size * 8));
            }
            LocalType::Float { name, size } => self.head(name, KIND_FLOAT, 0, false, *size),
            LocalType::Ptr { target } => self.head("", KIND_PTR, 0, false, *target),
            LocalType::Array {
                elem,
                index,
                nelems,
            } => {
                self.head("", KIND_ARRAY, 0, false, 0);
                self.u32(*elem);
                self.u32(*index);
                self.u32(*nelems);
            }
            LocalType::Record {
                name,
                union,
                size,
                members,
            } => {
                let kind = if *union { KIND_UNION } else { KIND_STRUCT };
                let bitfields = members.iter().any(|m| m.3 != 0);
                self.head(name, kind, members.len(), bitfields, *size);
                for (mname, ty, off, bits) in members {
                    let n = self.name(mname);
                    self.u32(n);
                    self.u32(*ty);
                    self.u32(if bitfields { (bits << 24) | off } else { *off });
                }
            }
            LocalType::Fwd { name, union } => self.head(name, KIND_FWD, 0, *union, 0),
            LocalType::Enum {
                name,
                size,
                signed,
                values,
            } => {
                let wide = values
                    .iter()
                    .any(|&(_, v)| v < i64::from(i32::MIN) || v > i64::from(u32::MAX));
                let kind = if wide { KIND_ENUM64 } else { KIND_ENUM };
                self.head(name, kind, values.len(), *signed, *size);
                for (vname, v) in values {
                    let n = self.name(vname);
                    self.u32(n);
                    self.u32(*v as u32);
                    if wide {
                        self.u32((*v as u64 >> 32) as u32);
                    }
                }
            }
            LocalType::Typedef { name, target } => self.head(name, KIND_TYPEDEF, 0, false, *target),
            LocalType::FuncProto { ret } => self.head("", KIND_FUNC_PROTO, 0, false, *ret),
            LocalType::Proto { ret, params } => {
                self.head("", KIND_FUNC_PROTO, params.len(), false, *ret);
                for (pname, ty) in params {
                    let n = self.name(pname);
                    self.u32(n);
                    self.u32(*ty);
                }
            }
            // Linkage 1: global.
            LocalType::Func { name, proto } => self.head(name, KIND_FUNC, 1, false, *proto),
        }
    }
}

impl Btf {
    /// A BTF with no types besides `void`.
    pub fn empty() -> Btf {
        let mut blob = Vec::new();
        blob.extend_from_slice(&0xeb9fu16.to_le_bytes());
        blob.extend_from_slice(&[1, 0]);
        for v in [24u32, 0, 0, 0, 1] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
        blob.push(0);
        // A well-formed blob by construction.
        Btf::from_bytes(blob).unwrap_or_else(|_| unreachable!("empty BTF is valid"))
    }

    /// This BTF with `types` appended (ids from `self.len()` up), which then win
    /// lookups by name over the types already there. The kernel's types are shared,
    /// not copied.
    pub fn with_local(&self, types: &[LocalType]) -> Result<Btf, BtfError> {
        let base = self.len();
        let base_strings = self.base_strings().len();
        let old = self.local.as_deref();
        let mut w = Writer {
            big_endian: self.base.big_endian,
            types: old.map(|l| l.types.clone()).unwrap_or_default(),
            strings: old.map(|l| l.strings.clone()).unwrap_or_default(),
            str_base: u32::try_from(base_strings).map_err(|_| too_large())?,
        };
        let old_len = w.types.len();
        for t in types {
            w.ty(t);
        }
        let ext_start = self.base.data.len();
        let mut offsets = old.map(|l| l.offsets.clone()).unwrap_or_default();
        let first_new = offsets.len();
        let mut enum_ids = old.map(|l| l.enum_ids.clone()).unwrap_or_default();
        {
            let r = parse::Reader {
                bytes: &self.base.data,
                big_endian: self.base.big_endian,
                ext: &w.types,
                ext_start,
            };
            let (strings, added) = (self.base_strings(), &w.strings);
            let valid_name = |off: u32| -> bool {
                let off = off as usize;
                match off.checked_sub(strings.len()) {
                    None => off == 0 || strings[off - 1] == 0,
                    Some(0) => off < strings.len() + added.len(),
                    Some(rel) => rel < added.len() && added[rel - 1] == 0,
                }
            };
            let first_id = self.base.offsets.len();
            let (start, end) = (ext_start + old_len, ext_start + w.types.len());
            if u32::try_from(end).is_err() {
                return Err(too_large());
            }
            parse::walk(
                &r,
                start,
                end,
                first_id,
                &valid_name,
                &mut offsets,
                &mut enum_ids,
            )?;
            let count = (first_id + offsets.len()) as u32;
            parse::check_references(&r, &offsets[first_new..], base as usize, count)?;
        }
        Ok(Btf {
            base: self.base.clone(),
            local: Some(Arc::new(Appended {
                types: w.types,
                strings: w.strings,
                offsets,
                enum_ids,
            })),
            local_base: base,
            names: Arc::default(),
            modules: self.modules.clone(),
        })
    }

    /// The first id of the script's own types (`len()` when there are none).
    pub fn local_base(&self) -> TypeId {
        self.local_base.min(self.len())
    }

    /// Whether `id` is a type the script defined rather than a kernel type.
    pub fn is_local(&self, id: TypeId) -> bool {
        id >= self.local_base() && id < self.len()
    }
}
