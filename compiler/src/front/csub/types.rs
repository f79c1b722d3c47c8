//! Type names and records: the fixed-width names of the kernel, libc and bpftrace,
//! the typedefs, structs, unions and enumerators of the imported C definitions.

use super::CType;
use crate::front::ast::CDefinition;
use crate::front::ctypes::{self, CDecl, CRecord};
use std::collections::{HashMap, HashSet};

/// Fixed-width and common kernel type names.
pub fn builtin_typedef(w: &str) -> Option<CType> {
    let int = |bits, signed| Some(CType::Int { bits, signed });
    match w {
        "u8" | "__u8" | "uint8_t" | "uint8" | "unsigned char" => int(8, false),
        "u16" | "__u16" | "uint16_t" | "uint16" | "__be16" | "__le16" | "umode_t" => int(16, false),
        "u32" | "__u32" | "uint32_t" | "uint32" | "__be32" | "__le32" | "uid_t" | "gid_t"
        | "dev_t" | "gfp_t" | "__wsum" => int(32, false),
        "u64" | "__u64" | "uint64_t" | "uint64" | "size_t" | "uintptr_t" | "__be64" | "__le64"
        | "sector_t" | "phys_addr_t" => int(64, false),
        "s8" | "__s8" | "int8_t" | "int8" => int(8, true),
        "s16" | "__s16" | "int16_t" | "int16" => int(16, true),
        "s32" | "__s32" | "int32_t" | "int32" | "pid_t" => int(32, true),
        "s64" | "__s64" | "int64_t" | "int64" | "ssize_t" | "intptr_t" | "loff_t" | "ktime_t"
        | "time64_t" => int(64, true),
        "bool" | "_Bool" => Some(CType::Bool),
        _ => None,
    }
}

/// The subset's type for a type of the C definitions (`None` when it has none:
/// floats, functions, anonymous records, unknown typedef names).
pub fn convert(t: &ctypes::CType, typedefs: &HashMap<String, CType>) -> Option<CType> {
    Some(match t {
        ctypes::CType::Int { size, signed, .. } => CType::Int {
            bits: u8::try_from(size * 8).ok()?,
            signed: *signed,
        },
        ctypes::CType::Bool => CType::Bool,
        ctypes::CType::Void => CType::Void,
        ctypes::CType::Named(n) => typedefs.get(n).cloned().or_else(|| builtin_typedef(n))?,
        ctypes::CType::Record {
            name: Some(name),
            union,
            ..
        } => CType::Record {
            name: name.clone(),
            union: *union,
        },
        ctypes::CType::Enum { .. } => CType::Int {
            bits: 32,
            signed: false,
        },
        ctypes::CType::Ptr(inner) if matches!(**inner, ctypes::CType::Func) => {
            CType::Ptr(Box::new(CType::Void))
        }
        ctypes::CType::Ptr(inner) => CType::Ptr(Box::new(convert(inner, typedefs)?)),
        ctypes::CType::Array(inner, n) => CType::Array(Box::new(convert(inner, typedefs)?), *n),
        ctypes::CType::Float { .. } | ctypes::CType::Func | ctypes::CType::Record { .. } => {
            return None
        }
    })
}

/// Add the typedefs of `decls` to `map`.
pub fn add_typedefs(map: &mut HashMap<String, CType>, decls: &[CDecl]) {
    for d in decls {
        if let CDecl::Typedef { name, ty, .. } = d {
            if let Some(t) = convert(ty, map) {
                map.insert(name.clone(), t);
            }
        }
    }
}

/// A member of a record: its name and type (`None`: a type locals cannot hold).
pub type Member = (String, Option<CType>);

/// The records, typedefs and enumerators of the program's C definitions.
#[derive(Debug, Default)]
pub struct RecordTable {
    records: HashMap<(String, bool), Vec<Member>>,
    pub typedefs: HashMap<String, CType>,
    pub enumerators: HashMap<String, i64>,
    /// Members that are arrays of plain `char` (record name, union, member), which
    /// bpftrace reads as strings.
    strings: HashSet<(String, bool, String)>,
}

impl RecordTable {
    pub fn new(defs: &[CDefinition]) -> RecordTable {
        let mut t = RecordTable::default();
        for d in defs {
            add_typedefs(&mut t.typedefs, &d.decls);
            for decl in &d.decls {
                match decl {
                    CDecl::Record(r) => t.add_record(r),
                    CDecl::Enum(e) => t.add_enum(e),
                    CDecl::Typedef { ty, .. } => t.add_inline(ty),
                }
            }
        }
        t
    }

    fn add_enum(&mut self, e: &ctypes::CEnum) {
        for (n, v) in &e.values {
            self.enumerators.insert(n.clone(), *v);
        }
    }

    /// Records and enums defined inside a type.
    fn add_inline(&mut self, t: &ctypes::CType) {
        match t {
            ctypes::CType::Record { def: Some(r), .. } => self.add_record(r),
            ctypes::CType::Enum { def: Some(e), .. } => self.add_enum(e),
            ctypes::CType::Ptr(inner) | ctypes::CType::Array(inner, _) => self.add_inline(inner),
            _ => {}
        }
    }

    fn add_record(&mut self, r: &CRecord) {
        let Some(members) = &r.members else { return };
        let mut out = Vec::new();
        for m in members {
            self.add_inline(&m.ty);
            let ty = if m.bits.is_some() {
                None
            } else {
                convert(&m.ty, &self.typedefs)
            };
            match &m.name {
                Some(n) => {
                    if let (Some(rn), true) = (&r.name, is_chars(&m.ty)) {
                        self.strings.insert((rn.clone(), r.union, n.clone()));
                    }
                    out.push((n.clone(), ty))
                }
                // An anonymous member's members are the record's (as C reads them);
                // a local cannot hold it.
                None => out.push((String::new(), None)),
            }
        }
        if let Some(name) = &r.name {
            self.records.insert((name.clone(), r.union), out);
        }
    }

    /// The members of a record defined in the C definitions.
    pub fn members(&self, name: &str, union: bool) -> Option<&[Member]> {
        self.records
            .get(&(name.to_string(), union))
            .map(Vec::as_slice)
    }

    /// Whether `field` of the record `ty` is an array of plain `char` (a string
    /// to bpftrace; `signed char`, `u8`... arrays are integer arrays).
    pub fn is_string(&self, ty: &CType, field: &str) -> bool {
        let CType::Record { name, union } = ty else {
            return false;
        };
        self.strings
            .contains(&(name.clone(), *union, field.to_string()))
    }

    /// The type of `field` of the record `ty` (or of the record `ty` points to).
    pub fn member_type(&self, ty: &CType, field: &str) -> Option<CType> {
        let CType::Record { name, union } = ty else {
            return None;
        };
        self.members(name, *union)?
            .iter()
            .find(|(n, _)| n == field)
            .and_then(|(_, t)| t.clone())
    }
}

/// Whether `t` is an array of plain `char`.
fn is_chars(t: &ctypes::CType) -> bool {
    matches!(t, ctypes::CType::Array(e, _) if matches!(&**e, ctypes::CType::Int { name, .. } if name == "char"))
}
