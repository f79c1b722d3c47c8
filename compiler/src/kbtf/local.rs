//! Types defined by the script (`struct Foo { int x; }` at top level), appended to a
//! BTF blob (the kernel's, or an empty one) so that every lookup, member walk and
//! size computation treats them like kernel types. They take the ids from
//! [`Btf::local_base`] up and win name lookups over kernel types of the same name
//! (a script may redefine a kernel struct). Nothing here is a kernel type, so field
//! reads through them need no CO-RE relocation ([`Btf::is_local`]).

use super::{Btf, BtfError, TypeId};

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
}

const KIND_INT: u32 = 1;
const KIND_PTR: u32 = 2;
const KIND_ARRAY: u32 = 3;
const KIND_STRUCT: u32 = 4;
const KIND_UNION: u32 = 5;
const KIND_ENUM: u32 = 6;
const KIND_FWD: u32 = 7;
const KIND_TYPEDEF: u32 = 8;
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
    /// lookups by name over the types already there.
    pub fn with_local(&self, types: &[LocalType]) -> Result<Btf, BtfError> {
        let base = self.len();
        let hdr_len = self.reader().u32(4).unwrap_or(24) as usize;
        let type_start = hdr_len + self.reader().u32(8).unwrap_or(0) as usize;
        let type_end = type_start + self.reader().u32(12).unwrap_or(0) as usize;
        let old_types = self
            .data
            .get(type_start..type_end)
            .ok_or_else(|| BtfError("malformed BTF header".into()))?;
        let old_strings = &self.data[self.str_start..self.str_end];
        let mut w = Writer {
            big_endian: self.big_endian,
            types: old_types.to_vec(),
            strings: Vec::new(),
            str_base: old_strings.len() as u32,
        };
        for t in types {
            w.ty(t);
        }
        let mut blob = self.data[..hdr_len].to_vec();
        let put = |blob: &mut Vec<u8>, at: usize, v: u32| {
            let b = if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            blob[at..at + 4].copy_from_slice(&b);
        };
        let type_len = w.types.len() as u32;
        put(&mut blob, 8, 0);
        put(&mut blob, 12, type_len);
        put(&mut blob, 16, type_len);
        put(&mut blob, 20, (old_strings.len() + w.strings.len()) as u32);
        blob.extend_from_slice(&w.types);
        blob.extend_from_slice(old_strings);
        blob.extend_from_slice(&w.strings);
        let mut out = Btf::from_bytes(blob)?;
        out.local_base = base;
        Ok(out)
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
