//! Casts: `(uint32)x`, `(int8)x` (truncate, then extend), `(struct task_struct *)p`
//! (a kernel struct pointer whose fields `->` reads), `(int8 *)p`.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, Span, TypeBase, TypeName};

impl Checker {
    /// `(type)e`.
    pub(super) fn cast(
        &mut self,
        cx: &mut ProbeCx,
        ty: &TypeName,
        e: &ast::Expr,
        span: Span,
    ) -> TExpr {
        let Some(resolved) = self.resolve_type(cx, ty) else {
            return poisoned(span);
        };
        let ty = &resolved;
        if let Some(size) = super::str_decl::string_decl(ty) {
            return self.string_cast(cx, size, e, span);
        }
        if let Some(int) = super::int_decl::declared_int(ty) {
            self.cast_ints.insert(ty.span, int);
        }
        if let Some(t) = self.pton_int_cast(ty, e, span) {
            return t;
        }
        let inner = self.expr(cx, e);
        if inner.ty == Type::Unknown {
            return poisoned(span);
        }
        // An array field cast to a pointer decays to its address (`(struct X *)p->cb`).
        let inner = match inner.ty {
            Type::Str { .. } | Type::Tuple(_) if ty.pointers > 0 => self
                .kernel_place(cx, e, true)
                .filter(|a| matches!(a.ty, Type::Ptr { .. }))
                .or_else(|| super::tp_array_addr::tp_array_addr(&inner))
                .unwrap_or(inner),
            _ => inner,
        };
        if let (TypeBase::Array { elem, len }, 0) = (&ty.base, ty.pointers) {
            return self.array_cast(elem, *len, inner, e, span);
        }
        let inner = match self.array_int_cast(ty, inner, span) {
            Ok(t) => return t,
            Err(inner) => inner,
        };
        if !matches!(inner.ty, Type::Int { .. } | Type::Ptr { .. } | Type::Bool) {
            self.error(
                span,
                format!("cannot cast {} to {}", inner.ty.describe(), ty.spelling()),
            );
            return poisoned(span);
        }
        if ty.pointers > 0 {
            // The pointee of the innermost pointer, then one level per extra `*`.
            let base = match &ty.base {
                TypeBase::Record { name, union } => match self.record(name, *union, ty.span) {
                    Some(id) => Pointee::Kernel { id },
                    None => return poisoned(span),
                },
                TypeBase::Int { bits: 8, .. } => Pointee::Char,
                TypeBase::Int { bits, .. } => Pointee::Sized {
                    size: u32::from(bits / 8).max(1),
                },
                TypeBase::Bool => Pointee::Sized { size: 1 },
                TypeBase::Enum { .. }
                | TypeBase::Void
                | TypeBase::Array { .. }
                | TypeBase::Named(_)
                | TypeBase::Typeof(_) => Pointee::Other,
            };
            let to = super::ptr_to::wrap(base, ty.pointers - 1);
            // A narrower integer becomes a pointer zero-extended (`(uint8 *)-1` is 0xff).
            let inner = match inner.ty {
                Type::Int { .. } => match self.int_width(cx, e) {
                    w @ 1..=4 => int_cast(inner, (w * 8) as u8, false, span),
                    _ => inner,
                },
                _ => inner,
            };
            // An integer made a pointer in a uprobe or usdt probe (`(struct X *)arg0`)
            // points into the traced process's memory.
            let user = match inner.ty {
                Type::Ptr { user, .. } => user,
                _ => matches!(
                    cx.probe.attach,
                    tracec_meta::Attach::Uprobe { .. } | tracec_meta::Attach::Usdt { .. }
                ),
            };
            return TExpr {
                ty: Type::Ptr { user, to },
                span,
                ..inner
            };
        }
        match &ty.base {
            TypeBase::Enum { name } => self.enum_cast(name, inner, span, ty.span),
            TypeBase::Record { .. } => {
                self.error(
                    ty.span,
                    format!(
                        "cannot cast to {} (a struct value); cast to a pointer, e.g. ({} *)",
                        ty.spelling(),
                        ty.spelling()
                    ),
                );
                poisoned(span)
            }
            TypeBase::Int { bits, signed } => int_cast(inner, *bits, *signed, span),
            TypeBase::Bool => bool_cast(inner, span),
            TypeBase::Void | TypeBase::Array { .. } | TypeBase::Named(_) | TypeBase::Typeof(_) => {
                self.error(ty.span, format!("cannot cast to {}", ty.spelling()));
                poisoned(span)
            }
        }
    }
}

/// `(bool)e`: whether `e` is non-zero.
pub(super) fn bool_cast(inner: TExpr, span: Span) -> TExpr {
    if inner.ty == Type::Bool {
        return TExpr { span, ..inner };
    }
    let kind = match inner.kind {
        TExprKind::Int(v) => TExprKind::Int(i64::from(v != 0)),
        _ => TExprKind::Cmp {
            cond: crate::ir::Cond::Ne,
            lhs: Box::new(inner),
            rhs: Box::new(TExpr {
                kind: TExprKind::Int(0),
                ty: Type::U64,
                span,
            }),
        },
    };
    TExpr {
        kind,
        ty: Type::Bool,
        span,
    }
}

/// `(intN)e` / `(uintN)e`: truncate, then sign- or zero-extend to 64 bits.
pub(super) fn int_cast(inner: TExpr, bits: u8, signed: bool, span: Span) -> TExpr {
    let ty = Type::int(signed);
    let bits = u32::from(bits).clamp(8, 64);
    if let TExprKind::Int(v) = inner.kind {
        let shift = 64 - bits;
        let v = if shift == 0 {
            v
        } else if signed {
            (v << shift) >> shift
        } else {
            ((v as u64) << shift >> shift) as i64
        };
        return TExpr {
            kind: TExprKind::Int(v),
            ty,
            span,
        };
    }
    if bits == 64 {
        return TExpr { ty, span, ..inner };
    }
    let konst = |v: i64| TExpr {
        kind: TExprKind::Int(v),
        ty: Type::I64,
        span,
    };
    let shift = i64::from(64 - bits);
    let up = TExpr {
        kind: TExprKind::Arith {
            op: Arith::Shl,
            lhs: Box::new(inner),
            rhs: Box::new(konst(shift)),
        },
        ty: Type::U64,
        span,
    };
    TExpr {
        kind: TExprKind::Arith {
            op: Arith::Shr { signed },
            lhs: Box::new(up),
            rhs: Box::new(konst(shift)),
        },
        ty,
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_casts_fold() {
        let c = |v: i64, bits, signed| {
            let e = TExpr {
                kind: TExprKind::Int(v),
                ty: Type::I64,
                span: Span::default(),
            };
            match int_cast(e, bits, signed, Span::default()).kind {
                TExprKind::Int(v) => v,
                k => panic!("not folded: {k:?}"),
            }
        };
        assert_eq!(c(255, 8, true), -1);
        assert_eq!(c(-1, 8, false), 255);
        assert_eq!(c(-1, 16, false), 65535);
        assert_eq!(c(0x1_0000_0001, 32, false), 1);
        assert_eq!(c(-1, 64, false), -1);
    }
}
