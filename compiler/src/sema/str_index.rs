//! `$s[i]`: one byte of a string, as a signed `char` (bpftrace's `int8`).

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, Span};

impl Checker {
    /// `base[index]` where `base` (already checked) is a string.
    pub(super) fn str_index(
        &mut self,
        cx: &mut ProbeCx,
        base: TExpr,
        index: &ast::Expr,
        span: Span,
    ) -> TExpr {
        let i = self.expr(cx, index);
        match i.ty {
            Type::Int { .. } => {}
            Type::Unknown => return poisoned(span),
            other => {
                self.error(
                    i.span,
                    format!(
                        "a string index must be an integer, not {}",
                        other.describe()
                    ),
                );
                return poisoned(span);
            }
        }
        if let (TExprKind::Str(s), TExprKind::Int(n)) = (&base.kind, &i.kind) {
            let byte = usize::try_from(*n)
                .ok()
                .and_then(|n| s.as_bytes().get(n).copied())
                .unwrap_or(0);
            return TExpr {
                kind: TExprKind::Int(i64::from(byte as i8)),
                ty: Type::I64,
                span,
            };
        }
        TExpr {
            kind: TExprKind::StrIndex {
                base: Box::new(base),
                index: Box::new(i),
            },
            ty: Type::I64,
            span,
        }
    }
}
