//! A [`Function`]'s types as BTF the checker can append ([`to_local`]), and their C
//! spellings as bpftrace prints them (`int*`, `struct Foo*`, `const char*`).

use super::{DType, Encoding, Function, Qual, TyIdx};
use crate::kbtf::{LocalType, TypeId};

/// The types of a function table as local BTF types appended after type `first - 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalTypes {
    pub types: Vec<LocalType>,
    /// The BTF id of each entry of [`Function::types`] (0 for `void`).
    pub ids: Vec<TypeId>,
}

/// Converts `f`'s type table for appending to a BTF whose next id is `first`.
/// Qualifiers are looked through (BTF consumers here ignore them). A named struct
/// or union for which `existing(name, union)` gives an id (the script defines it) is
/// that type, not appended.
pub fn to_local(
    f: &Function,
    first: TypeId,
    existing: &dyn Fn(&str, bool) -> Option<TypeId>,
) -> LocalTypes {
    // Ids first: every type but void and qualifiers gets the next one.
    let mut ids: Vec<Option<TypeId>> = vec![None; f.types.len()];
    let mut reused = vec![false; f.types.len()];
    let mut next = first;
    for (i, t) in f.types.iter().enumerate() {
        if let DType::Record { name, union, .. } = t {
            if let Some(id) = Some(name)
                .filter(|n| !n.is_empty())
                .and_then(|n| existing(n, *union))
            {
                ids[i] = Some(id);
                reused[i] = true;
                continue;
            }
        }
        if !matches!(t, DType::Void | DType::Qualified(..)) {
            ids[i] = Some(next);
            next += 1;
        }
    }
    let index_int = next;
    let id_of = |mut i: TyIdx| -> TypeId {
        for _ in 0..64 {
            match f.ty(i) {
                DType::Qualified(_, t) => i = *t,
                _ => return ids.get(i).copied().flatten().unwrap_or(0),
            }
        }
        0
    };
    let mut types = Vec::new();
    let mut uses_index = false;
    for (i, t) in f.types.iter().enumerate() {
        if reused[i] {
            continue;
        }
        let lt = match t {
            DType::Void | DType::Qualified(..) => continue,
            DType::Base {
                name,
                size,
                encoding,
            } => match encoding {
                Encoding::Float => LocalType::Float {
                    name: name.clone(),
                    size: *size,
                },
                e => LocalType::Int {
                    name: name.clone(),
                    size: *size,
                    signed: matches!(e, Encoding::Signed | Encoding::SignedChar),
                    char: matches!(e, Encoding::SignedChar | Encoding::UnsignedChar),
                    bool: *e == Encoding::Bool,
                },
            },
            DType::Ptr(t) => LocalType::Ptr { target: id_of(*t) },
            DType::Typedef { name, target } => LocalType::Typedef {
                name: name.clone(),
                target: id_of(*target),
            },
            DType::Record {
                name,
                union,
                declaration: true,
                ..
            } => LocalType::Fwd {
                name: name.clone(),
                union: *union,
            },
            DType::Record {
                name,
                union,
                size,
                members,
                ..
            } => LocalType::Record {
                name: name.clone(),
                union: *union,
                size: *size,
                members: members
                    .iter()
                    .map(|m| (m.name.clone(), id_of(m.ty), m.bit_offset, m.bit_size))
                    .collect(),
            },
            DType::Array { elem, count } => {
                uses_index = true;
                LocalType::Array {
                    elem: id_of(*elem),
                    index: index_int,
                    nelems: count.unwrap_or(0),
                }
            }
            DType::Enum {
                name,
                size,
                signed,
                values,
            } => LocalType::Enum {
                name: name.clone(),
                size: *size,
                signed: *signed,
                values: values.clone(),
            },
            DType::Func { ret } => LocalType::FuncProto { ret: id_of(*ret) },
        };
        types.push(lt);
    }
    if uses_index {
        types.push(LocalType::Int {
            name: "__ARRAY_SIZE_TYPE__".to_string(),
            size: 4,
            signed: false,
            char: false,
            bool: false,
        });
    }
    let ids = (0..f.types.len()).map(id_of).collect();
    LocalTypes { types, ids }
}

/// The C spelling of type `i` of `f`, as bpftrace's `-lv` prints it.
pub fn spell(f: &Function, i: TyIdx) -> String {
    spell_depth(f, i, 0)
}

fn spell_depth(f: &Function, i: TyIdx, depth: u32) -> String {
    if depth > 32 {
        return "void".to_string();
    }
    let tagged = |kw: &str, name: &str| {
        if name.is_empty() {
            format!("{kw} <anon>")
        } else {
            format!("{kw} {name}")
        }
    };
    match f.ty(i) {
        DType::Void => "void".to_string(),
        DType::Base { name, .. } => name.clone(),
        DType::Ptr(t) => match f.ty(*t) {
            DType::Func { ret } => format!("{}(*)()", spell_depth(f, *ret, depth + 1)),
            _ => format!("{}*", spell_depth(f, *t, depth + 1)),
        },
        DType::Qualified(q, t) => {
            let kw = match q {
                Qual::Const => "const",
                Qual::Volatile => "volatile",
                Qual::Restrict => return spell_depth(f, *t, depth + 1),
                Qual::Atomic => "_Atomic",
            };
            format!("{kw} {}", spell_depth(f, *t, depth + 1))
        }
        DType::Typedef { name, .. } => name.clone(),
        DType::Record { name, union, .. } => tagged(if *union { "union" } else { "struct" }, name),
        DType::Array { elem, count } => match count {
            Some(n) => format!("{}[{n}]", spell_depth(f, *elem, depth + 1)),
            None => format!("{}[]", spell_depth(f, *elem, depth + 1)),
        },
        DType::Enum { name, .. } => tagged("enum", name),
        DType::Func { ret } => format!("{}()", spell_depth(f, *ret, depth + 1)),
    }
}
