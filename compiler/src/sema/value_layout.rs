//! Kernel and script C types read whole as values (`$s = *p`, `@a = p->arr`,
//! `p->sub_struct` as a value): the script type whose memory layout is the C type's
//! own, so that the bytes read from memory are the value as they are.
//!
//! Integers, enums, bools and pointers are themselves; `char[N]` is a string of `N`
//! bytes (as a `char` field reads); other arrays are arrays of their element's value
//! (`[1,2,3]`, nested for `int y[2][2]`); structs are records with their members at
//! their C offsets. Unions, bitfields, anonymous members and flexible arrays have no
//! such value ([`c_value`] gives `None`; structs with bitfields are read member by
//! member, see `sema::struct_value`).

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
        Kind::Ptr => Some((
            Type::Ptr {
                user,
                to: Pointee::Other,
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
            // The runtime steps through an array by its element's size.
            if let Type::Tuple(t) = elem {
                if t.meta().size() != esize {
                    return None;
                }
            }
            let fields = (0..a.nelems)
                .map(|i| TupleField {
                    name: None,
                    ty: elem,
                    offset: i * esize,
                    size: esize,
                })
                .collect();
            let size = esize.checked_mul(a.nelems)?;
            let align = align(elem, esize);
            Some((Type::Tuple(fixed_layout(fields, size, align, true)), size))
        }
        Kind::Struct => {
            let size = t.size()?;
            let mut fields = Vec::new();
            let mut max_align = 1;
            for m in t.members() {
                if m.name.is_empty() || m.bitfield_size != 0 || m.bit_offset % 8 != 0 {
                    return None;
                }
                let (ty, fsize) = value(btf, m.ty, user, depth + 1)?;
                max_align = max_align.max(align(ty, fsize));
                fields.push(TupleField {
                    name: Some(m.name.to_string()),
                    ty,
                    offset: m.bit_offset / 8,
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
    fn bitfields_and_unions_have_no_plain_value() {
        assert!(value_of("struct C { int a:3; int b:5; } BEGIN {}", "C").is_none());
        assert!(value_of("struct D { int x; int y[0]; } BEGIN {}", "D").is_none());
    }
}
