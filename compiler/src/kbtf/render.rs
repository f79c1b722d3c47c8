//! C spellings of BTF types: `struct task_struct *`, `char comm[16]`,
//! `void (*fn)(int)`.

use super::{Btf, Kind, TypeId, MAX_CHAIN};

/// `name` declared with type `id`; with an empty `name`, the type's spelling.
pub(super) fn declaration(btf: &Btf, id: TypeId, name: &str) -> String {
    let s = declare(btf, id, name.to_string(), 0);
    s.trim().to_string()
}

fn base_name(kind: Kind, name: &str) -> String {
    let name = if name.is_empty() { "(anon)" } else { name };
    match kind {
        Kind::Struct => format!("struct {name}"),
        Kind::Union => format!("union {name}"),
        Kind::Enum | Kind::Enum64 => format!("enum {name}"),
        _ => name.to_string(),
    }
}

/// Wrap `inner` (a declarator) in the type `id`, C's inside-out way.
fn declare(btf: &Btf, id: TypeId, inner: String, depth: usize) -> String {
    let Ok(t) = btf.ty(id) else {
        return format!("<bad type {id}> {inner}");
    };
    if depth > MAX_CHAIN {
        return format!("<type chain too long> {inner}");
    }
    let next = t.raw_type();
    let next_kind = btf
        .skip_qualifiers(next)
        .and_then(|n| btf.ty(n))
        .map(|n| n.kind())
        .unwrap_or(Kind::Void);
    match t.kind() {
        Kind::Void => join("void", &inner),
        Kind::Ptr => {
            let inner = if matches!(next_kind, Kind::Array | Kind::FuncProto) {
                format!("(*{inner})")
            } else {
                format!("*{inner}")
            };
            declare(btf, next, inner, depth + 1)
        }
        Kind::Array => {
            let a = t.array().unwrap_or_default();
            declare(btf, a.elem, format!("{inner}[{}]", a.nelems), depth + 1)
        }
        Kind::FuncProto => {
            let params: Vec<String> = t
                .params()
                .map(|p| {
                    if p.ty == 0 && p.name.is_empty() {
                        "...".to_string()
                    } else {
                        declare(btf, p.ty, p.name.to_string(), depth + 1)
                            .trim()
                            .to_string()
                    }
                })
                .collect();
            let params = if params.is_empty() {
                "void".to_string()
            } else {
                params.join(", ")
            };
            declare(btf, next, format!("{inner}({params})"), depth + 1)
        }
        Kind::Const | Kind::Volatile | Kind::Restrict => {
            let q = match t.kind() {
                Kind::Const => "const",
                Kind::Volatile => "volatile",
                _ => "restrict",
            };
            if next_kind == Kind::Ptr {
                declare(btf, next, format!("{q} {inner}"), depth + 1)
            } else {
                format!("{q} {}", declare(btf, next, inner, depth + 1))
            }
        }
        Kind::TypeTag => declare(btf, next, inner, depth + 1),
        Kind::Func | Kind::Var | Kind::DeclTag => declare(btf, next, inner, depth + 1),
        k => join(&base_name(k, t.name()), &inner),
    }
}

fn join(base: &str, inner: &str) -> String {
    if inner.is_empty() {
        base.to_string()
    } else {
        format!("{base} {inner}")
    }
}
