//! `sizeof(type)` and `sizeof(expr)`: a compile-time constant. A type argument reaches
//! here as a cast of 0 (`sizeof(uint16)` parses as `sizeof((uint16)0)`, which has the
//! same size), so only the written type matters; struct types are measured in the
//! kernel BTF.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span, TypeBase};

impl Checker {
    /// `sizeof(x)`.
    pub(super) fn sizeof(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        let [arg] = args else {
            self.error(
                span,
                format!("sizeof() takes 1 argument, got {}", args.len()),
            );
            return poisoned(span);
        };
        let size = match &arg.kind {
            ExprKind::Cast { ty, .. } if ty.pointers > 0 => Some(8),
            ExprKind::Cast { ty, .. } => match &ty.base {
                TypeBase::Int { bits, .. } => Some(u32::from(*bits / 8).clamp(1, 8)),
                TypeBase::Bool => Some(1),
                TypeBase::Record { name, union } => self
                    .record(name, *union, ty.span)
                    .and_then(|id| self.btf(ty.span, "sizeof")?.size_of(id).ok()),
            },
            _ => {
                let t = self.expr(cx, arg);
                match t.ty {
                    Type::Unknown => None,
                    Type::Void => {
                        self.error(arg.span, "sizeof() of an expression without a value");
                        None
                    }
                    Type::Int { .. } => Some(super::tuple::int_size(arg)),
                    Type::Bool => Some(1),
                    other => Some(other.storage_size()),
                }
            }
        };
        match size {
            Some(n) => TExpr {
                kind: TExprKind::Int(i64::from(n)),
                ty: Type::U64,
                span,
            },
            None => poisoned(span),
        }
    }
}
