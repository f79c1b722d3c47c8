//! `*(struct X *)p`: a whole struct read as a record value (`{ .a = 1, .b = 2 }`).
//! Its integer, enum and pointer members become the record's fields; bitfields are
//! extracted into fields of their declared integer type.

use super::tuple;
use super::types::*;
use super::Checker;
use crate::front::ast::{self, Span};
use crate::kbtf::{self, Kind};

/// How to read one member of the struct into its record field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberRead {
    /// Bit offset of the member in the struct.
    pub bit_offset: u32,
    /// Bitfield width; 0 for a whole member of `size` bytes.
    pub bits: u32,
    /// Bytes of the member's type (and of its record field).
    pub size: u32,
    pub signed: bool,
}

/// The value type and readable shape of a struct member, if it is a scalar.
fn member_type(btf: &kbtf::Btf, id: u32) -> Option<(Type, u32, bool)> {
    let rid = btf.resolve(id).ok()?;
    let t = btf.ty(rid).ok()?;
    match t.kind() {
        Kind::Int => {
            let i = t.int()?;
            if i.bool {
                return Some((Type::Bool, 1, false));
            }
            Some((
                Type::Int {
                    signed: i.signed,
                    enum_id: None,
                },
                i.size,
                i.signed,
            ))
        }
        Kind::Enum | Kind::Enum64 => {
            let size = btf.size_of(rid).ok()?;
            Some((
                Type::Int {
                    signed: t.kind_flag(),
                    enum_id: Some(rid),
                },
                size,
                t.kind_flag(),
            ))
        }
        Kind::Ptr => Some((
            Type::Ptr {
                user: false,
                to: Pointee::Other,
            },
            8,
            false,
        )),
        _ => None,
    }
}

impl Checker {
    /// `*ptr` of a pointer to the struct `id`.
    pub(super) fn struct_value(&mut self, ptr: TExpr, id: u32, user: bool, span: Span) -> TExpr {
        let Some(btf) = self.btf(span, "reading a struct") else {
            return super::poisoned(span);
        };
        let Some(t) = btf.resolve(id).ok().and_then(|r| btf.ty(r).ok()) else {
            return super::poisoned(span);
        };
        // Structs laid out as a record is (no bitfields) are read as they are.
        if let Some((ty, size)) = super::value_layout::c_value(&btf, id, user) {
            return TExpr {
                kind: TExprKind::DerefMem {
                    ptr: Box::new(ptr),
                    size,
                    user,
                },
                ty,
                span,
            };
        }
        let name = btf.type_name(id);
        if t.kind() != Kind::Struct {
            self.error(
                span,
                format!("cannot read {name} as a value: only structs can be"),
            );
            return super::poisoned(span);
        }
        let mut fields = Vec::new();
        let mut reads = Vec::new();
        for m in t.members() {
            let Some((ty, size, signed)) = member_type(&btf, m.ty) else {
                self.error(
                    span,
                    format!(
                        "cannot read {name} as a value: member '{}' is not an integer, enum or pointer",
                        m.name
                    ),
                );
                return super::poisoned(span);
            };
            if m.name.is_empty() {
                self.error(
                    span,
                    format!("cannot read {name} as a value: it has anonymous members"),
                );
                return super::poisoned(span);
            }
            fields.push((Some(m.name.to_string()), ty, size));
            reads.push(MemberRead {
                bit_offset: m.bit_offset,
                bits: m.bitfield_size,
                size,
                signed,
            });
        }
        if fields.is_empty() {
            self.error(
                span,
                format!("cannot read {name} as a value: it has no members"),
            );
            return super::poisoned(span);
        }
        let Ok(struct_size) = btf.size_of(id) else {
            return super::poisoned(span);
        };
        let record = tuple::layout(fields);
        TExpr {
            kind: TExprKind::StructValue {
                ptr: Box::new(ptr),
                user,
                size: struct_size,
                members: reads,
            },
            ty: Type::Tuple(record),
            span,
        }
    }
}

impl Checker {
    /// The value type a `let $v: T` of a struct or array type declares (`struct W`,
    /// `struct W[10]`, `int32[4]`): the layout the same C type read from memory has,
    /// so that the value assigned later matches it. `None` (no diagnostic) when the
    /// type has no such value.
    pub(super) fn declared_value(&mut self, t: &ast::TypeName) -> Option<Type> {
        if t.pointers != 0 {
            return None;
        }
        self.declared_value_sized(t).map(|(ty, _)| ty)
    }

    fn declared_value_sized(&mut self, t: &ast::TypeName) -> Option<(Type, u32)> {
        match &t.base {
            ast::TypeBase::Record { name, union } if t.pointers == 0 => {
                let btf = self.kernel.get().ok()?;
                let id = btf.find_struct(name).filter(|&id| {
                    btf.ty(id)
                        .is_ok_and(|r| r.kind() == if *union { Kind::Union } else { Kind::Struct })
                })?;
                super::value_layout::c_value(&btf, id, false)
            }
            ast::TypeBase::Int { bits, signed } if t.pointers == 0 => {
                let size = u32::from(*bits / 8).clamp(1, 8);
                Some((Type::int(*signed), size))
            }
            ast::TypeBase::Bool if t.pointers == 0 => Some((Type::Bool, 1)),
            ast::TypeBase::Array {
                elem,
                len: Some(len),
            } if t.pointers == 0 => {
                let (ety, esize) = if elem.pointers > 0 {
                    // An array of pointers (`struct Foo *[2]`).
                    (self.declared_type(elem)?, 8)
                } else {
                    self.declared_value_sized(elem)?
                };
                super::value_layout::array_value(ety, esize, *len)
            }
            _ => None,
        }
    }
}

/// A declared array of pointers (`let $x: struct Foo *[2]` in a uprobe) as an array of
/// pointers into the traced process's memory, as a declared pointer there is.
pub(super) fn user_pointers(ty: Type) -> Type {
    let Type::Tuple(t) = ty else {
        return ty;
    };
    let Some(first) = t.fields.first().filter(|_| t.array) else {
        return ty;
    };
    let elem = match first.ty {
        Type::Ptr { to, .. } => Type::Ptr { user: true, to },
        inner @ Type::Tuple(_) => user_pointers(inner),
        _ => return ty,
    };
    super::value_layout::array_value(elem, first.size, t.fields.len() as u32).map_or(ty, |v| v.0)
}
