//! Kernel and script C types read whole as values (`$s = *p`, `@a = p->arr`,
//! `p->sub_struct` as a value): the script type whose memory layout is the C type's
//! own, so that the bytes read from memory are the value as they are.
//!
//! Integers, enums, bools and pointers are themselves; `char[N]` is a string of `N`
//! bytes (as a `char` field reads); other arrays are arrays of their element's value
//! (`[1,2,3]`, nested for `int y[2][2]`); structs are records with their members at
//! their C offsets; unions are records whose members all sit at offset 0, and the
//! members of an anonymous struct or union are the enclosing record's own (printed
//! flattened, as bpftrace does). Float members are bpftrace's "none" values (their
//! bytes carried, printed `null`); flexible arrays are left out of the record (the
//! bytes are still copied), as are empty marker structs. Bitfields have no such value
//! ([`c_value`] gives
//! `None`; structs with bitfields are read member by member, see
//! `sema::struct_value`).

use super::tuple::{fixed_layout, TupleField};
use super::types::*;
use crate::kbtf::{self, Kind, TypeId};

/// Nesting of arrays and structs followed before giving up.
const MAX_DEPTH: u32 = 8;

/// The value type of BTF type `id` and its size in bytes, when its C layout is a
/// script value's layout. `user`: pointers in it point into user memory.
pub fn c_value(btf: &kbtf::Btf, id: TypeId, user: bool) -> Option<(Type, u32)> {
    value(btf, id, user, 0)
}

/// Whether `id` is an array of plain `char` (read as a string). Arrays of `signed
/// char`, `unsigned char` (`uint8_t`, `u8`) and `bool` are integer arrays, as in
/// bpftrace, whose C parser makes strings of `char` arrays only.
pub fn is_char_array(btf: &kbtf::Btf, id: TypeId) -> bool {
    let Ok(t) = btf.resolve(id).and_then(|r| btf.ty(r)) else {
        return false;
    };
    let Some(a) = t.array() else {
        return false;
    };
    btf.resolve(a.elem)
        .and_then(|e| btf.ty(e))
        .ok()
        .filter(|e| e.name() == "char")
        .and_then(|e| e.int())
        .is_some_and(|i| i.size == 1 && !i.bool)
}

fn value(btf: &kbtf::Btf, id: TypeId, user: bool, depth: u32) -> Option<(Type, u32)> {
    if depth > MAX_DEPTH {
        return None;
    }
    let rid = btf.resolve(id).ok()?;
    let t = btf.ty(rid).ok()?;
    match t.kind() {
        Kind::Int => {
            let i = t.int()?;
            if i.bool {
                return Some((Type::Bool, 1));
            }
            matches!(i.size, 1 | 2 | 4 | 8).then_some((Type::int(i.signed), i.size))
        }
        Kind::Enum | Kind::Enum64 => {
            let size = btf.size_of(rid).ok()?;
            matches!(size, 1 | 2 | 4 | 8).then_some((
                Type::Int {
                    signed: t.kind_flag(),
                    enum_id: Some(rid),
                },
                size,
            ))
        }
        // The pointee is kept (`struct Foo *foos[2]`: `$x[0]->a` reads a field).
        Kind::Ptr => Some((
            Type::Ptr {
                user,
                to: super::kernel_walk::pointee_of(btf, t.raw_type()),
            },
            8,
        )),
        Kind::Array => {
            let a = t.array()?;
            if a.nelems == 0 {
                return None;
            }
            if is_char_array(btf, rid) {
                return Some((Type::Str { size: a.nelems }, a.nelems));
            }
            let (elem, esize) = value(btf, a.elem, user, depth + 1)?;
            array_value(elem, esize, a.nelems)
        }
        Kind::Struct | Kind::Union => {
            let size = t.size()?;
            let mut fields = Vec::new();
            let mut max_align = 1;
            for m in t.members() {
                if m.bitfield_size != 0 || m.bit_offset % 8 != 0 {
                    return None;
                }
                let base = m.bit_offset / 8;
                if m.name.is_empty() {
                    // An anonymous struct or union: its members are the parent's own
                    // (`qstr.len` of `union { struct { u32 hash; u32 len; }; u64 hash_len; }`).
                    let (Type::Tuple(inner), _) = value(btf, m.ty, user, depth + 1)? else {
                        return None;
                    };
                    if !inner.record {
                        return None;
                    }
                    max_align = max_align.max(inner.align);
                    fields.extend(inner.fields.iter().map(|f| TupleField {
                        offset: f.offset + base,
                        ..f.clone()
                    }));
                    continue;
                }
                let Some((ty, fsize)) =
                    value(btf, m.ty, user, depth + 1).or_else(|| none_value(btf, m.ty))
                else {
                    // A member without a value (a flexible array) is left out; the
                    // others keep their offsets.
                    if member_has_size(btf, m.ty) {
                        continue;
                    }
                    return None;
                };
                max_align = max_align.max(align(ty, fsize));
                fields.push(TupleField {
                    name: Some(m.name.to_string()),
                    ty,
                    offset: base,
                    size: fsize,
                });
            }
            if fields.is_empty() {
                return None;
            }
            Some((
                Type::Tuple(fixed_layout(fields, size, max_align, false)),
                size,
            ))
        }
        _ => None,
    }
}

/// The value of a C array of `len` elements of value type `elem` (`esize` bytes each).
pub fn array_value(elem: Type, esize: u32, len: u32) -> Option<(Type, u32)> {
    if len == 0 {
        return None;
    }
    // The runtime steps through an array by its element's size.
    if let Type::Tuple(t) = elem {
        if t.meta().size() != esize {
            return None;
        }
    }
    let fields = (0..len)
        .map(|i| TupleField {
            name: None,
            ty: elem,
            offset: i * esize,
            size: esize,
        })
        .collect();
    let size = esize.checked_mul(len)?;
    let align = align(elem, esize);
    Some((Type::Tuple(fixed_layout(fields, size, align, true)), size))
}

/// A float member: bpftrace's "none" value, its bytes carried and printed as `null`.
fn none_value(btf: &kbtf::Btf, id: TypeId) -> Option<(Type, u32)> {
    let rid = btf.resolve(id).ok()?;
    let t = btf.ty(rid).ok()?;
    if t.kind() != Kind::Float {
        return None;
    }
    let size = btf.size_of(rid).ok().filter(|&s| s > 0)?;
    Some((Type::Fmt(tracec_meta::FmtKind::None { size }), size))
}

/// Whether a member of type `id` that has no value is still plain data the struct's
/// bytes can carry past (a float, a flexible or zero-length array), rather than
/// something that makes the whole struct unreadable as a value.
fn member_has_size(btf: &kbtf::Btf, id: TypeId) -> bool {
    let Ok(t) = btf.resolve(id).and_then(|r| btf.ty(r)) else {
        return false;
    };
    match t.kind() {
        Kind::Float => true,
        Kind::Array => t.array().is_some_and(|a| a.nelems == 0),
        // An empty marker struct (`struct {} __nfct_hash_offsetend;`).
        Kind::Struct | Kind::Union => t.size() == Some(0),
        _ => false,
    }
}

fn align(ty: Type, size: u32) -> u32 {
    match ty {
        Type::Int { .. } => size,
        Type::Ptr { .. } => 8,
        Type::Tuple(t) => t.align,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn btf_of(src: &str) -> kbtf::Btf {
        let defs = crate::front::parse(src).expect("parses").c_definitions;
        super::super::script_types::build(&kbtf::Btf::empty(), &defs, false).expect("builds")
    }

    fn value_of(src: &str, name: &str) -> Option<(Type, u32)> {
        let btf = btf_of(src);
        let id = btf.find_struct(name).expect("struct");
        c_value(&btf, id, false)
    }

    #[test]
    fn structs_keep_their_c_offsets() {
        let (ty, size) =
            value_of("struct A { char c; long l; int x[2]; } BEGIN {}", "A").expect("value");
        assert_eq!(size, 24);
        let Type::Tuple(t) = ty else {
            panic!("a record")
        };
        assert!(t.record);
        let offs: Vec<u32> = t.fields.iter().map(|f| f.offset).collect();
        assert_eq!(offs, [0, 8, 16]);
        let Type::Tuple(arr) = t.fields[2].ty else {
            panic!("an array")
        };
        assert!(arr.array);
        assert_eq!(arr.fields.len(), 2);
        assert_eq!(arr.size, 8);
    }

    #[test]
    fn nested_arrays_and_char_arrays() {
        let (ty, _) = value_of("struct B { int y[2][3]; char s[5]; } BEGIN {}", "B").unwrap();
        let Type::Tuple(t) = ty else {
            panic!("a record")
        };
        let Type::Tuple(outer) = t.fields[0].ty else {
            panic!("an array")
        };
        assert_eq!(outer.fields.len(), 2);
        assert_eq!(outer.fields[1].offset, 12);
        assert_eq!(t.fields[1].ty, Type::Str { size: 5 });
        assert_eq!(t.fields[1].offset, 24);
    }

    #[test]
    fn bitfields_have_no_plain_value() {
        assert!(value_of("struct C { int a:3; int b:5; } BEGIN {}", "C").is_none());
    }

    fn names_offsets(ty: Type) -> Vec<(String, u32)> {
        let Type::Tuple(t) = ty else {
            panic!("a record")
        };
        t.fields
            .iter()
            .map(|f| (f.name.clone().unwrap_or_default(), f.offset))
            .collect()
    }

    #[test]
    fn floats_are_none_values() {
        let (ty, size) = value_of(
            "union N { int i; float f; } struct E { int a; union N n; double d; } BEGIN {}",
            "E",
        )
        .unwrap();
        assert_eq!(size, 16);
        assert_eq!(
            names_offsets(ty),
            [
                ("a".to_string(), 0),
                ("n".to_string(), 4),
                ("d".to_string(), 8)
            ]
        );
        let Type::Tuple(t) = ty else {
            panic!("a record")
        };
        let none = |size| Type::Fmt(tracec_meta::FmtKind::None { size });
        assert_eq!(t.fields[2].ty, none(8));
        let Type::Tuple(n) = t.fields[1].ty else {
            panic!("a union record")
        };
        assert_eq!(n.fields[1].ty, none(4));
        assert_eq!(n.fields[1].offset, 0);
    }

    #[test]
    fn flexible_arrays_are_left_out() {
        let (ty, size) = value_of("struct D { int x; int y[0]; } BEGIN {}", "D").unwrap();
        assert_eq!(size, 4);
        assert_eq!(names_offsets(ty), [("x".to_string(), 0)]);
    }

    #[test]
    fn unions_overlap_and_anonymous_members_flatten() {
        let src = "struct Q { union { struct { unsigned int hash; unsigned int len; }; \
                   unsigned long hash_len; }; const char *name; } \
                   union U { int i; char c[8]; } \
                   struct S { int m; union U u; } BEGIN {}";
        let (ty, size) = value_of(src, "Q").expect("a value");
        assert_eq!(size, 16);
        let want: Vec<(String, u32)> = [("hash", 0), ("len", 4), ("hash_len", 0), ("name", 8)]
            .iter()
            .map(|(n, o)| (n.to_string(), *o))
            .collect();
        assert_eq!(names_offsets(ty), want);
        let (ty, size) = value_of(src, "S").expect("a value");
        assert_eq!(size, 12);
        let Type::Tuple(s) = ty else {
            panic!("a record")
        };
        assert_eq!(s.fields[1].offset, 4);
        assert_eq!(s.fields[1].size, 8);
        let want: Vec<(String, u32)> = [("i", 0), ("c", 0)]
            .iter()
            .map(|(n, o)| (n.to_string(), *o))
            .collect();
        assert_eq!(names_offsets(s.fields[1].ty), want);
    }
}
