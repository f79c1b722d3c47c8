//! `a == b` / `a != b` of two integer arrays (language.md, "Relational operators"):
//! equal when their bytes are. bpftrace compares arrays of one element size and
//! length only, and no array with `<` and the like.

use super::types::*;
use super::{poisoned, Checker};
use crate::front::ast::{BinOp, Span};

/// The element size and count of an array type, if `ty` is one of integers or bools.
fn int_array(ty: Type) -> Option<(u32, usize)> {
    let Type::Tuple(t) = ty else {
        return None;
    };
    if !t.array {
        return None;
    }
    let first = t.fields.first()?;
    if !matches!(first.ty, Type::Int { .. } | Type::Bool) {
        return Some((0, t.fields.len()));
    }
    Some((first.size, t.fields.len()))
}

/// Whether both operands are arrays (then [`Checker::array_compare`] compares them).
pub(super) fn both_arrays(lhs: &TExpr, rhs: &TExpr) -> bool {
    let is_array = |ty: Type| matches!(ty, Type::Tuple(t) if t.array);
    is_array(lhs.ty) && is_array(rhs.ty)
}

impl Checker {
    /// Whether `op`, comparing two `what` (arrays, tuples), is `!=`; `None` (reported)
    /// for operators other than `==` and `!=`.
    pub(super) fn equality_negation(&mut self, op: BinOp, what: &str, span: Span) -> Option<bool> {
        match op {
            BinOp::Eq => Some(false),
            BinOp::Ne => Some(true),
            _ => {
                self.error(
                    span,
                    format!("The {} operator cannot be used on {what}.", op.symbol()),
                );
                None
            }
        }
    }

    /// The comparison of two arrays.
    pub(super) fn array_compare(&mut self, op: BinOp, lhs: TExpr, rhs: TExpr, span: Span) -> TExpr {
        let Some(negate) = self.equality_negation(op, "arrays", span) else {
            return poisoned(span);
        };
        match (int_array(lhs.ty), int_array(rhs.ty)) {
            (Some((a, n)), Some((b, m))) if a == b && n == m && a != 0 => TExpr {
                kind: TExprKind::ArrayEq {
                    negate,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                ty: Type::Bool,
                span,
            },
            _ => {
                self.error(
                    span,
                    "Only arrays of same sized integer support comparison operators.",
                );
                poisoned(span)
            }
        }
    }
}

#[cfg(test)]
mod tests {

    use super::super::tests::test_ast::src_errors as errors;

    const PRELUDE: &str = "struct A { int x[4]; int y[4]; short s[4]; int z[2]; } ";

    #[test]
    fn arrays_of_one_layout_compare_with_eq_and_ne() {
        for op in ["==", "!="] {
            let src = format!(
                "{PRELUDE} BEGIN {{ $a = (struct A *)0; if ($a->x {op} $a->y) {{ exit(); }} }}"
            );
            assert_eq!(errors(&src), Vec::<String>::new(), "{src}");
        }
    }

    #[test]
    fn other_arrays_and_operators_are_refused() {
        for (rhs, op, msg) in [
            (
                "s",
                "==",
                "Only arrays of same sized integer support comparison operators.",
            ),
            (
                "z",
                "!=",
                "Only arrays of same sized integer support comparison operators.",
            ),
            ("y", "<", "The < operator cannot be used on arrays."),
        ] {
            let src = format!(
                "{PRELUDE} BEGIN {{ $a = (struct A *)0; if ($a->x {op} $a->{rhs}) {{ exit(); }} }}"
            );
            assert_eq!(errors(&src), vec![msg.to_string()], "{src}");
        }
    }
}
