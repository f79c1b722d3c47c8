//! Arithmetic with bpftrace's own rules: pointer arithmetic (`$p + n` and `$p - n`
//! move by `n` elements of the pointee: `(int32 *)0x32 + 1` is `0x36`), and division
//! by a run-time zero (the result is 1, with a warning).

use super::types::*;
use super::Checker;
use crate::front::ast::Span;

impl Checker {
    /// Bytes one element of a pointer's pointee takes: 1 for `char *` and for pointees
    /// whose size is unknown, 8 for pointers to pointers.
    pub(super) fn pointee_size(&mut self, to: Pointee, span: Span) -> u32 {
        match to {
            Pointee::Char | Pointee::Other | Pointee::Addr => 1,
            Pointee::Ptr | Pointee::PtrTo(_) => 8,
            Pointee::Sized { size } => size.max(1),
            Pointee::Tuple(t) => t.size.max(1),
            Pointee::Fmt(f) => f.size().max(1),
            Pointee::Kernel { id } => self
                .btf(span, "pointer arithmetic on a kernel struct")
                .and_then(|b| b.size_of(id).ok())
                .unwrap_or(1)
                .max(1),
        }
    }
}

/// bpftrace's run-time warning for a zero divisor.
pub(super) const DIV_ZERO_WARNING: &str = "Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result.";

impl Checker {
    /// `lhs / rhs` or `lhs % rhs` whose divisor is not a constant.
    pub(super) fn div_checked(
        &mut self,
        op: Arith,
        lhs: TExpr,
        rhs: TExpr,
        ty: Type,
        span: Span,
    ) -> TExpr {
        let id = self.intern_printf(tracec_meta::PrintfSpec {
            format: DIV_ZERO_WARNING.to_string(),
            args: Vec::new(),
        });
        let warn = self.locate_printf(id, span, "WARNING");
        TExpr {
            kind: TExprKind::DivChecked {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                warn,
            },
            ty,
            span,
        }
    }
}

/// `n * scale`, folded when `n` is a constant.
pub(super) fn scaled(n: TExpr, scale: u32) -> TExpr {
    if scale == 1 {
        return n;
    }
    if let TExprKind::Int(v) = n.kind {
        return TExpr {
            kind: TExprKind::Int(v.wrapping_mul(i64::from(scale))),
            ..n
        };
    }
    let span = n.span;
    let ty = n.ty;
    TExpr {
        kind: TExprKind::Arith {
            op: Arith::Mul,
            lhs: Box::new(n),
            rhs: Box::new(TExpr {
                kind: TExprKind::Int(i64::from(scale)),
                ty: Type::U64,
                span,
            }),
        },
        ty: match ty {
            Type::Bool => Type::U64,
            t => t,
        },
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i64) -> TExpr {
        TExpr {
            kind: TExprKind::Int(v),
            ty: Type::I64,
            span: Span::new(0, 1),
        }
    }

    #[test]
    fn constants_fold_and_others_multiply() {
        assert!(matches!(scaled(int(3), 4).kind, TExprKind::Int(12)));
        assert!(matches!(scaled(int(-2), 8).kind, TExprKind::Int(-16)));
        assert!(matches!(scaled(int(5), 1).kind, TExprKind::Int(5)));
        let var = TExpr {
            kind: TExprKind::Var(VarId(0)),
            ..int(0)
        };
        let TExprKind::Arith { op, rhs, .. } = scaled(var, 2).kind else {
            panic!("a variable is scaled at run time");
        };
        assert_eq!(op, Arith::Mul);
        assert!(matches!(rhs.kind, TExprKind::Int(2)));
    }
}
