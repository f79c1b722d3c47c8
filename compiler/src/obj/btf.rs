//! The `.BTF` encoder: a deduplicating type table and string table, and the
//! mapping from the IR's [`DataType`] onto BTF kinds.
//!
//! Layout (all little-endian): a 24-byte header (`magic 0xeB9F, version 1, flags 0,
//! hdr_len 24, type_off, type_len, str_off, str_len`, offsets relative to the end of
//! the header), then the type section, then the string section. Type ids start at 1
//! (0 is `void`).

use std::collections::HashMap;

use crate::ir::DataType;

pub const BTF_MAGIC: u16 = 0xeb9f;
pub const BTF_VERSION: u8 = 1;
pub const BTF_HEADER_LEN: u32 = 24;

/// `BTF_KIND_*` numbers.
pub mod kind {
    pub const INT: u32 = 1;
    pub const PTR: u32 = 2;
    pub const ARRAY: u32 = 3;
    pub const STRUCT: u32 = 4;
    pub const UNION: u32 = 5;
    pub const ENUM: u32 = 6;
    pub const CONST: u32 = 10;
    pub const FUNC: u32 = 12;
    pub const FUNC_PROTO: u32 = 13;
    pub const VAR: u32 = 14;
    pub const DATASEC: u32 = 15;
}

/// `BTF_INT_*` encoding bits.
pub mod int_enc {
    pub const NONE: u8 = 0;
    pub const SIGNED: u8 = 1;
    pub const CHAR: u8 = 2;
    pub const BOOL: u8 = 4;
}

/// `BTF_FUNC_*` linkage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FuncLinkage {
    Static = 0,
    Global = 1,
}

/// `BTF_VAR_*` linkage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarLinkage {
    Static = 0,
    GlobalAllocated = 1,
}

/// A struct member; `bit_offset` counts bits from the start of the struct.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Member {
    pub name: String,
    pub ty: u32,
    pub bit_offset: u32,
}

/// A function prototype parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    pub name: String,
    pub ty: u32,
}

/// One `btf_var_secinfo` of a DATASEC.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VarSecInfo {
    pub var: u32,
    pub offset: u32,
    pub size: u32,
}

/// A BTF type; references to other types are type ids (0 = `void`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BtfType {
    Int {
        name: String,
        size: u32,
        encoding: u8,
    },
    Ptr {
        target: u32,
    },
    Array {
        elem: u32,
        index: u32,
        nelems: u32,
    },
    /// An empty name is an anonymous struct.
    Struct {
        name: String,
        size: u32,
        members: Vec<Member>,
    },
    /// An empty name is an anonymous union.
    Union {
        name: String,
        size: u32,
        members: Vec<Member>,
    },
    /// An enum described by name and size only (no enumerators): what CO-RE matching
    /// of a member of enum type compares.
    Enum {
        name: String,
        size: u32,
        signed: bool,
    },
    /// An enum with enumerators (name, 32-bit value): the root of an enumerator's
    /// CO-RE relocation (`ENUMVAL_EXISTS`, `ENUMVAL_VALUE`), matched by name.
    EnumValues {
        name: String,
        size: u32,
        signed: bool,
        values: Vec<(String, u32)>,
    },
    Const {
        target: u32,
    },
    FuncProto {
        ret: u32,
        params: Vec<Param>,
    },
    Func {
        name: String,
        proto: u32,
        linkage: FuncLinkage,
    },
    Var {
        name: String,
        ty: u32,
        linkage: VarLinkage,
    },
    DataSec {
        name: String,
        size: u32,
        vars: Vec<VarSecInfo>,
    },
}

/// The BTF string table: NUL-terminated strings, offset 0 is the empty string.
#[derive(Debug, Clone)]
pub struct StringTable {
    bytes: Vec<u8>,
    index: HashMap<String, u32>,
}

impl Default for StringTable {
    fn default() -> StringTable {
        StringTable {
            bytes: vec![0],
            index: HashMap::from([(String::new(), 0)]),
        }
    }
}

impl StringTable {
    /// The offset of `s`, adding it on first use. Interior NULs are cut off, since
    /// the table could not represent them.
    pub fn add(&mut self, s: &str) -> u32 {
        let s = s.split('\0').next().unwrap_or("");
        if let Some(&off) = self.index.get(s) {
            return off;
        }
        let off = self.bytes.len() as u32;
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        self.index.insert(s.to_string(), off);
        off
    }

    /// The offset of `s` if it is in the table.
    pub fn offset(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Builds `.BTF`: types are hash-consed, so adding a structurally equal type twice
/// returns the same id.
#[derive(Debug, Clone, Default)]
pub struct Btf {
    types: Vec<BtfType>,
    ids: HashMap<BtfType, u32>,
    pub strings: StringTable,
}

impl Btf {
    pub fn new() -> Btf {
        Btf::default()
    }

    /// Adds `t` (or finds an equal type) and returns its id.
    pub fn add(&mut self, t: BtfType) -> u32 {
        if let Some(&id) = self.ids.get(&t) {
            return id;
        }
        self.intern_names(&t);
        self.types.push(t.clone());
        let id = self.types.len() as u32;
        self.ids.insert(t, id);
        id
    }

    pub fn types(&self) -> &[BtfType] {
        &self.types
    }

    /// The type with this id (`None` for `void` and unknown ids).
    pub fn get(&self, id: u32) -> Option<&BtfType> {
        id.checked_sub(1).and_then(|i| self.types.get(i as usize))
    }

    /// `int`, the return type of programs.
    pub fn int(&mut self) -> u32 {
        self.add(BtfType::Int {
            name: "int".into(),
            size: 4,
            encoding: int_enc::SIGNED,
        })
    }

    /// The index type of arrays, named like clang names it.
    pub fn array_index(&mut self) -> u32 {
        self.add(BtfType::Int {
            name: "__ARRAY_SIZE_TYPE__".into(),
            size: 4,
            encoding: int_enc::NONE,
        })
    }

    /// `elem[nelems]`.
    pub fn array(&mut self, elem: u32, nelems: u32) -> u32 {
        let index = self.array_index();
        self.add(BtfType::Array {
            elem,
            index,
            nelems,
        })
    }

    pub fn ptr(&mut self, target: u32) -> u32 {
        self.add(BtfType::Ptr { target })
    }

    /// The libbpf encoding of an integer map attribute: `int (*name)[value]`.
    pub fn map_attr(&mut self, value: u32) -> u32 {
        let int = self.int();
        let arr = self.array(int, value);
        self.ptr(arr)
    }

    /// `int (void *ctx)` as a FUNC named `name` with global linkage.
    pub fn program_func(&mut self, name: &str) -> u32 {
        let int = self.int();
        let void_ptr = self.ptr(0);
        let proto = self.add(BtfType::FuncProto {
            ret: int,
            params: vec![Param {
                name: "ctx".into(),
                ty: void_ptr,
            }],
        });
        self.add(BtfType::Func {
            name: name.into(),
            proto,
            linkage: FuncLinkage::Global,
        })
    }

    /// A static subprogram `long name(void *p0, ...)` with the named parameters.
    pub fn subprogram_func(&mut self, name: &str, params: &[&str]) -> u32 {
        let long = self.add(BtfType::Int {
            name: "long".into(),
            size: 8,
            encoding: int_enc::SIGNED,
        });
        let void_ptr = self.ptr(0);
        let proto = self.add(BtfType::FuncProto {
            ret: long,
            params: params
                .iter()
                .map(|p| Param {
                    name: (*p).into(),
                    ty: void_ptr,
                })
                .collect(),
        });
        self.add(BtfType::Func {
            name: name.into(),
            proto,
            linkage: FuncLinkage::Static,
        })
    }

    /// The BTF type of a [`DataType`]. Fails on layouts the kernel would reject
    /// (fields outside their struct).
    pub fn data_type(&mut self, ty: &DataType) -> Result<u32, String> {
        Ok(match ty {
            DataType::Int { size, signed } => {
                let name = match (size, signed) {
                    (1, false) => "unsigned char",
                    (1, true) => "signed char",
                    (2, false) => "unsigned short",
                    (2, true) => "short",
                    (4, false) => "unsigned int",
                    (4, true) => "int",
                    (8, false) => "unsigned long long",
                    (8, true) => "long long",
                    _ => return Err(format!("integer of unsupported size {size}")),
                };
                let encoding = if *signed {
                    int_enc::SIGNED
                } else {
                    int_enc::NONE
                };
                self.add(BtfType::Int {
                    name: name.into(),
                    size: u32::from(*size),
                    encoding,
                })
            }
            DataType::Str { size } => {
                let ch = self.add(BtfType::Int {
                    name: "char".into(),
                    size: 1,
                    encoding: int_enc::CHAR,
                });
                self.array(ch, *size)
            }
            DataType::Ptr => self.ptr(0),
            DataType::Array { elem, len } => {
                let e = self.data_type(elem)?;
                self.array(e, *len)
            }
            DataType::Struct { name, fields, size } => {
                let mut members = Vec::with_capacity(fields.len());
                for f in fields {
                    let end = u64::from(f.offset) + u64::from(f.ty.size());
                    if end > u64::from(*size) {
                        return Err(format!(
                            "field `{}` of struct `{name}` ends at byte {end}, past its size {size}",
                            f.name
                        ));
                    }
                    members.push(Member {
                        name: c_identifier(&f.name),
                        ty: self.data_type(&f.ty)?,
                        bit_offset: f.offset * 8,
                    });
                }
                let name = if name.is_empty() {
                    String::new()
                } else {
                    c_identifier(name)
                };
                self.add(BtfType::Struct {
                    name,
                    size: *size,
                    members,
                })
            }
        })
    }

    /// The size in bytes of a sized type (INT, PTR, ARRAY, STRUCT, CONST of those).
    pub fn size_of(&self, id: u32) -> Option<u32> {
        match self.get(id)? {
            BtfType::Int { size, .. }
            | BtfType::Struct { size, .. }
            | BtfType::Union { size, .. }
            | BtfType::Enum { size, .. }
            | BtfType::EnumValues { size, .. } => Some(*size),
            BtfType::DataSec { size, .. } => Some(*size),
            BtfType::Ptr { .. } => Some(8),
            BtfType::Array { elem, nelems, .. } => self.size_of(*elem)?.checked_mul(*nelems),
            BtfType::Const { target } => self.size_of(*target),
            _ => None,
        }
    }

    /// The whole `.BTF` section.
    pub fn encode(&self) -> Vec<u8> {
        let mut types = Vec::new();
        for t in &self.types {
            self.encode_type(t, &mut types);
        }
        let strings = self.strings.bytes();
        let mut out = Vec::with_capacity(BTF_HEADER_LEN as usize + types.len() + strings.len());
        out.extend_from_slice(&BTF_MAGIC.to_le_bytes());
        out.push(BTF_VERSION);
        out.push(0); // flags
        put(&mut out, BTF_HEADER_LEN);
        put(&mut out, 0); // type_off
        put(&mut out, types.len() as u32);
        put(&mut out, types.len() as u32); // str_off
        put(&mut out, strings.len() as u32);
        out.extend_from_slice(&types);
        out.extend_from_slice(strings);
        out
    }

    fn encode_type(&self, t: &BtfType, out: &mut Vec<u8>) {
        // Every name was interned when its type was added.
        let s = |name: &str| self.strings.offset(name).unwrap_or(0);
        let info = |k: u32, vlen: usize, kflag: bool| {
            (u32::from(kflag) << 31) | (k << 24) | (vlen as u32 & 0xffff)
        };
        match t {
            BtfType::Int {
                name,
                size,
                encoding,
            } => {
                header(out, s(name), info(kind::INT, 0, false), *size);
                put(out, (u32::from(*encoding) << 24) | (size * 8));
            }
            BtfType::Ptr { target } => header(out, 0, info(kind::PTR, 0, false), *target),
            BtfType::Const { target } => header(out, 0, info(kind::CONST, 0, false), *target),
            BtfType::Array {
                elem,
                index,
                nelems,
            } => {
                header(out, 0, info(kind::ARRAY, 0, false), 0);
                put(out, *elem);
                put(out, *index);
                put(out, *nelems);
            }
            BtfType::Struct {
                name,
                size,
                members,
            }
            | BtfType::Union {
                name,
                size,
                members,
            } => {
                let k = if matches!(t, BtfType::Union { .. }) {
                    kind::UNION
                } else {
                    kind::STRUCT
                };
                header(out, s(name), info(k, members.len(), false), *size);
                for m in members {
                    put(out, s(&m.name));
                    put(out, m.ty);
                    put(out, m.bit_offset);
                }
            }
            BtfType::Enum { name, size, signed } => {
                header(out, s(name), info(kind::ENUM, 0, *signed), *size);
            }
            BtfType::EnumValues {
                name,
                size,
                signed,
                values,
            } => {
                header(out, s(name), info(kind::ENUM, values.len(), *signed), *size);
                for (n, v) in values {
                    put(out, s(n));
                    put(out, *v);
                }
            }
            BtfType::FuncProto { ret, params } => {
                header(out, 0, info(kind::FUNC_PROTO, params.len(), false), *ret);
                for p in params {
                    put(out, s(&p.name));
                    put(out, p.ty);
                }
            }
            BtfType::Func {
                name,
                proto,
                linkage,
            } => header(
                out,
                s(name),
                info(kind::FUNC, *linkage as usize, false),
                *proto,
            ),
            BtfType::Var { name, ty, linkage } => {
                header(out, s(name), info(kind::VAR, 0, false), *ty);
                put(out, *linkage as u32);
            }
            BtfType::DataSec { name, size, vars } => {
                header(out, s(name), info(kind::DATASEC, vars.len(), false), *size);
                for v in vars {
                    put(out, v.var);
                    put(out, v.offset);
                    put(out, v.size);
                }
            }
        }
    }

    /// Adds the names `t` uses to the string table.
    fn intern_names(&mut self, t: &BtfType) {
        match t {
            BtfType::Int { name, .. }
            | BtfType::Func { name, .. }
            | BtfType::Var { name, .. }
            | BtfType::DataSec { name, .. }
            | BtfType::Enum { name, .. } => {
                self.strings.add(name);
            }
            BtfType::Struct { name, members, .. } | BtfType::Union { name, members, .. } => {
                self.strings.add(name);
                for m in members {
                    self.strings.add(&m.name);
                }
            }
            BtfType::EnumValues { name, values, .. } => {
                self.strings.add(name);
                for (n, _) in values {
                    self.strings.add(n);
                }
            }
            BtfType::FuncProto { params, .. } => {
                for p in params {
                    self.strings.add(&p.name);
                }
            }
            BtfType::Ptr { .. } | BtfType::Array { .. } | BtfType::Const { .. } => {}
        }
    }
}

fn header(out: &mut Vec<u8>, name_off: u32, info: u32, size_or_type: u32) {
    put(out, name_off);
    put(out, info);
    put(out, size_or_type);
}

pub(crate) fn put(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Whether `s` is a C identifier (what the kernel accepts as a BTF member, struct,
/// VAR or FUNC name).
pub fn is_c_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// `s` turned into a C identifier: other characters become `_`, and a leading
/// digit (or an empty name) gets a `_` prefix.
pub fn c_identifier(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c == '_' || c.is_ascii_alphanumeric() {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
#[path = "btf_tests.rs"]
mod tests;
