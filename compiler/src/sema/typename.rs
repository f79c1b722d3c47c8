//! Type names as written (`uint64_t`, `size_t`, `typeof($x)`, `int8[4]`, `void *`)
//! resolved to the forms the rest of `sema` handles: bpftrace integers, `bool`,
//! `struct`/`union`/`enum` names, `void` and arrays of those, plus pointers.
//! Typedefs come from the script's and the kernel's BTF; `typeof` takes the type
//! of a type argument (a cast of 0, as in `sizeof(type)`), or of an expression.

use super::types::*;
use super::{Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span, TypeBase, TypeName};
use crate::front::typenames::c_int;
use crate::kbtf::{Btf, Kind, TypeId};

/// How many typedefs / `typeof`s deep a type name may go.
const MAX_DEPTH: u32 = 16;

fn named(base: TypeBase, pointers: u32, span: Span) -> TypeName {
    TypeName {
        base,
        pointers,
        span,
    }
}

/// The type name of BTF type `id` (typedefs followed), when the language can spell it.
pub(super) fn btf_type_name(btf: &Btf, id: TypeId, span: Span, depth: u32) -> Option<TypeName> {
    if depth > MAX_DEPTH {
        return None;
    }
    if id == 0 {
        return Some(named(TypeBase::Void, 0, span));
    }
    let id = btf.resolve(id).ok()?;
    let t = btf.ty(id).ok()?;
    let base = match t.kind() {
        Kind::Int => {
            let i = t.int()?;
            if i.bool {
                TypeBase::Bool
            } else {
                TypeBase::Int {
                    bits: u8::try_from(i.size.clamp(1, 8) * 8).ok()?,
                    signed: i.signed,
                }
            }
        }
        Kind::Ptr => {
            let target = t.raw_type();
            let inner = match btf.resolve(target).ok().and_then(|r| btf.ty(r).ok()) {
                Some(r) if r.kind() == Kind::FuncProto => named(TypeBase::Void, 0, span),
                _ => btf_type_name(btf, target, span, depth + 1)
                    .unwrap_or_else(|| named(TypeBase::Void, 0, span)),
            };
            return Some(TypeName {
                pointers: inner.pointers.saturating_add(1),
                ..inner
            });
        }
        Kind::Struct | Kind::Union if !t.name().is_empty() => TypeBase::Record {
            name: t.name().to_string(),
            union: t.kind() == Kind::Union,
        },
        Kind::Enum | Kind::Enum64 if !t.name().is_empty() => TypeBase::Enum {
            name: t.name().to_string(),
        },
        Kind::Enum | Kind::Enum64 => TypeBase::Int {
            bits: u8::try_from(t.size()?.clamp(1, 8) * 8).ok()?,
            signed: false,
        },
        Kind::Array => {
            let a = t.array()?;
            let elem = btf_type_name(btf, a.elem, span, depth + 1)?;
            TypeBase::Array {
                elem: Box::new(elem),
                len: Some(a.nelems),
            }
        }
        _ => return None,
    };
    Some(named(base, 0, span))
}

/// Whether `e` stands for a type rather than a value: a type argument (a cast of 0),
/// `typeof(...)`, or such a type indexed (`typeof(x)[2]`, an array type).
pub(super) fn is_type_expr(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Cast { expr, .. } => matches!(expr.kind, ExprKind::Int(0)),
        ExprKind::Call { name, args } => name == "typeof" && args.len() == 1,
        ExprKind::Index { base, index } => {
            is_type_expr(base) && matches!(index.kind, ExprKind::Int(_))
        }
        _ => false,
    }
}

impl Checker {
    /// `t` with every typedef, C spelling, `typeof` and array element resolved; `None`
    /// (after an error) when it names no type.
    pub(super) fn resolve_type(&mut self, cx: &mut ProbeCx, t: &TypeName) -> Option<TypeName> {
        self.resolve_type_at(cx, t, 0)
    }

    fn resolve_type_at(&mut self, cx: &mut ProbeCx, t: &TypeName, depth: u32) -> Option<TypeName> {
        if depth > MAX_DEPTH {
            self.error(t.span, "type name nested too deeply");
            return None;
        }
        let inner = match &t.base {
            TypeBase::Named(_) if super::str_decl::is_string_name(t) => return Some(t.clone()),
            TypeBase::Named(name) => self.named_type(name, t.span)?,
            TypeBase::Typeof(e) => self.type_of_expr(cx, e, depth + 1)?,
            TypeBase::Array { elem, len } => {
                let elem = self.resolve_type_at(cx, elem, depth + 1)?;
                named(
                    TypeBase::Array {
                        elem: Box::new(elem),
                        len: *len,
                    },
                    0,
                    t.span,
                )
            }
            _ => return Some(t.clone()),
        };
        Some(TypeName {
            base: inner.base,
            pointers: inner.pointers.saturating_add(t.pointers),
            span: t.span,
        })
    }

    /// Whether the bare word `name` names a type (`typeof(size_t)`).
    pub(super) fn is_type_name(&mut self, name: &str) -> bool {
        c_int(name).is_some()
            || self
                .kernel
                .get()
                .is_ok_and(|b| b.find_typedef(name).is_some())
    }

    /// A type name that is no bpftrace type: a C integer spelling or a typedef.
    pub(super) fn named_type(&mut self, name: &str, span: Span) -> Option<TypeName> {
        if let Some((bits, signed)) = c_int(name) {
            return Some(named(TypeBase::Int { bits, signed }, 0, span));
        }
        let btf = self.btf(span, &format!("type `{name}`"))?;
        let found = btf
            .find_typedef(name)
            .and_then(|id| btf_type_name(&btf, id, span, 0));
        if found.is_none() {
            self.error(span, format!("unknown type `{name}`"));
        }
        found
    }

    /// The type `typeof(e)` names (`e` is also the written argument of a type
    /// parameter: a cast of 0, `typeof(...)`, or an indexed type).
    pub(super) fn type_of_expr(
        &mut self,
        cx: &mut ProbeCx,
        e: &ast::Expr,
        depth: u32,
    ) -> Option<TypeName> {
        if depth > MAX_DEPTH {
            self.error(e.span, "type name nested too deeply");
            return None;
        }
        match &e.kind {
            ExprKind::Cast { ty, .. } => return self.resolve_type_at(cx, ty, depth + 1),
            ExprKind::Call { name, args } if name == "typeof" => {
                let [arg] = args.as_slice() else {
                    self.error(e.span, "typeof() takes 1 argument");
                    return None;
                };
                return self.type_of_expr(cx, arg, depth + 1);
            }
            ExprKind::Index { base, index } if is_type_expr(base) => {
                let ExprKind::Int(n) = index.kind else {
                    return None;
                };
                let elem = self.type_of_expr(cx, base, depth + 1)?;
                return Some(named(
                    TypeBase::Array {
                        elem: Box::new(elem),
                        len: Some(u32::try_from(n).unwrap_or(u32::MAX)),
                    },
                    0,
                    e.span,
                ));
            }
            ExprKind::Ident(name) if self.is_type_name(name) => {
                return self.named_type(name, e.span);
            }
            _ => {}
        }
        let t = self.expr(cx, e);
        let span = e.span;
        let base = match t.ty {
            Type::Unknown => return None,
            Type::Int { .. } => {
                let bytes = match t.kind {
                    TExprKind::KernelField {
                        read: KernelRead::Int { size, .. },
                        ..
                    } => size,
                    _ => self.int_width(cx, e),
                };
                TypeBase::Int {
                    bits: (bytes.clamp(1, 8) * 8) as u8,
                    signed: t.ty.is_signed(),
                }
            }
            Type::Bool => TypeBase::Bool,
            Type::Str { size } => return Some(super::str_decl::string_type_name(size, span)),
            Type::Ptr { to, .. } => {
                let pointee = match to {
                    Pointee::Char => TypeBase::Int {
                        bits: 8,
                        signed: true,
                    },
                    Pointee::Sized { size } => TypeBase::Int {
                        bits: (size.clamp(1, 8) * 8) as u8,
                        signed: true,
                    },
                    Pointee::Kernel { id } => {
                        let btf = self.btf(span, "typeof")?;
                        return btf_type_name(&btf, id, span, 0).map(|n| TypeName {
                            pointers: n.pointers + 1,
                            ..n
                        });
                    }
                    Pointee::Ptr | Pointee::PtrTo(_) => {
                        return Some(named(TypeBase::Void, 2, span))
                    }
                    Pointee::Other | Pointee::Tuple(_) | Pointee::Fmt(_) => TypeBase::Void,
                    // `uptr(n)` of an integer keeps bpftrace's integer type.
                    Pointee::Addr => {
                        return Some(named(
                            TypeBase::Int {
                                bits: 64,
                                signed: false,
                            },
                            0,
                            span,
                        ))
                    }
                };
                return Some(named(pointee, 1, span));
            }
            Type::Tuple(tt) if tt.array => {
                let f = tt.fields.first()?;
                let elem = if f.ty == Type::Bool {
                    TypeBase::Bool
                } else {
                    TypeBase::Int {
                        bits: (f.size.clamp(1, 8) * 8) as u8,
                        signed: f.ty.is_signed(),
                    }
                };
                TypeBase::Array {
                    elem: Box::new(named(elem, 0, span)),
                    len: Some(tt.fields.len() as u32),
                }
            }
            other => {
                self.error(
                    span,
                    format!("typeof() of {} is not supported", other.describe()),
                );
                return None;
            }
        };
        Some(named(base, 0, span))
    }

    /// Bytes of a value of the resolved type `t` (`sizeof(type)`).
    pub(super) fn type_size(&mut self, t: &TypeName) -> Option<u32> {
        if t.pointers > 0 {
            return Some(8);
        }
        match &t.base {
            TypeBase::Int { bits, .. } => Some(u32::from(*bits / 8).clamp(1, 8)),
            TypeBase::Bool => Some(1),
            TypeBase::Enum { name } => {
                let btf = self.btf(t.span, "sizeof");
                btf.and_then(|b| b.find_enum(name).and_then(|id| b.size_of(id).ok()))
            }
            TypeBase::Record { name, union } => self
                .record(name, *union, t.span)
                .and_then(|id| self.btf(t.span, "sizeof")?.size_of(id).ok()),
            TypeBase::Array { elem, len } => {
                let n = len.unwrap_or(0);
                self.type_size(elem).map(|s| s.saturating_mul(n))
            }
            TypeBase::Void => {
                self.error(t.span, "sizeof(void) is not defined");
                None
            }
            TypeBase::Named(_) | TypeBase::Typeof(_) => None,
        }
    }
}

impl Checker {
    /// `ty` of tracepoint field `field` refined from the kernel BTF of its record
    /// (`struct trace_event_raw_<class>`; syscall records have none): an enum field
    /// keeps its enum (printed by name), a pointer to a struct points to that struct
    /// (so that `args.napi->dev` reads it).
    pub(super) fn tp_field_refine(
        &mut self,
        attach: &tracec_meta::Attach,
        field: &str,
        ty: Type,
    ) -> Type {
        let tracec_meta::Attach::Tracepoint { category, name } = attach else {
            return ty;
        };
        if category == "syscalls" || !matches!(ty, Type::Int { .. } | Type::Ptr { .. }) {
            return ty;
        }
        let Some(tp) = self.kernel.tracepoints() else {
            return ty;
        };
        let btf = &tp.btf;
        let member = tp
            .class_of(name)
            .and_then(|class| btf.find_struct(&format!("trace_event_raw_{class}")))
            .and_then(|id| btf.member(id, field).ok().flatten());
        let Some(m) = member else {
            return ty;
        };
        let Some(t) = btf.resolve(m.ty).ok().and_then(|id| btf.ty(id).ok()) else {
            return ty;
        };
        let refined = match (ty, t.kind()) {
            (Type::Int { signed, .. }, Kind::Enum | Kind::Enum64) if m.bitfield_size == 0 => {
                Some((
                    Type::Int {
                        signed,
                        enum_id: Some(t.id()),
                    },
                    Some(t.id()),
                ))
            }
            (Type::Ptr { user, .. }, Kind::Ptr) => btf
                .resolve(t.raw_type())
                .ok()
                .and_then(|p| btf.ty(p).ok())
                .filter(|p| matches!(p.kind(), Kind::Struct | Kind::Union) && !p.name().is_empty())
                .map(|p| {
                    (
                        Type::Ptr {
                            user,
                            to: Pointee::Kernel { id: p.id() },
                        },
                        None,
                    )
                }),
            _ => None,
        };
        match refined {
            Some((t, used)) => {
                if let Some(id) = used {
                    // The enumerators are read from the kernel BTF at the end, if loaded.
                    if self.kernel.get().is_ok() {
                        self.use_enum(id);
                    }
                }
                t
            }
            None => ty,
        }
    }
}
