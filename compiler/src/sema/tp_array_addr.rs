//! A tracepoint array field cast to a pointer (`(struct sockaddr *)args->saddr` of a
//! `__u8 saddr[28]` field) decays to its address in the tracepoint record, as kernel
//! struct array fields do: ctx plus the field's offset (CO-RE relocated when the
//! record is described by kernel BTF), a kernel pointer.

use super::types::*;
use crate::front::ast::Span;

/// The record's address (ctx) as a kernel pointer.
fn ctx_ptr(span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Builtin(Builtin::Ctx),
        ty: Type::Ptr {
            user: false,
            to: Pointee::Other,
        },
        span,
    }
}

/// The address of the tracepoint array field `e` reads, if it is one.
pub(super) fn tp_array_addr(e: &TExpr) -> Option<TExpr> {
    let span = e.span;
    let ty = Type::Ptr {
        user: false,
        to: Pointee::Other,
    };
    let kind = match &e.kind {
        TExprKind::TpCharArray { offset, .. } => TExprKind::Arith {
            op: Arith::Add,
            lhs: Box::new(ctx_ptr(span)),
            rhs: Box::new(TExpr {
                kind: TExprKind::Int(i64::from(*offset)),
                ty: Type::U64,
                span,
            }),
        },
        TExprKind::TpCharArrayCore { access, .. } => TExprKind::FieldAddr {
            ptr: Box::new(ctx_ptr(span)),
            access: access.clone(),
        },
        _ => return None,
    };
    Some(TExpr { kind, ty, span })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_array_fields_decay_to_ctx_plus_offset() {
        let span = Span::default();
        let field = TExpr {
            kind: TExprKind::TpCharArray { offset: 34, len: 4 },
            ty: Type::Str { size: 4 },
            span,
        };
        let addr = tp_array_addr(&field).expect("an address");
        assert!(matches!(addr.ty, Type::Ptr { user: false, .. }));
        let TExprKind::Arith {
            op: Arith::Add,
            lhs,
            rhs,
        } = addr.kind
        else {
            panic!("ctx + offset")
        };
        assert_eq!(lhs.kind, TExprKind::Builtin(Builtin::Ctx));
        assert_eq!(rhs.kind, TExprKind::Int(34));
        let other = TExpr {
            kind: TExprKind::Int(1),
            ty: Type::U64,
            span,
        };
        assert!(tp_array_addr(&other).is_none());
    }
}
