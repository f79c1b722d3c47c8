//! `a == b` / `a != b` of two tuples or records (language.md, "Relational operators":
//! strings, integer arrays and tuples). The operands may differ in the way a variable
//! may hold both (`(1, "bye")` against a `(int64, string[16])`): both are converted to
//! the layout that holds either ([`Type::merge`]: integers widen, strings grow, records
//! match fields by name), whose bytes are canonical (zeroed padding, strings zero-padded),
//! so equal values are equal bytes. No other operator applies to tuples.

use super::types::*;
use super::{poisoned, Checker};
use crate::front::ast::{BinOp, Span};

/// Whether both operands are tuples or records (not integer arrays).
pub(super) fn both_tuples(lhs: &TExpr, rhs: &TExpr) -> bool {
    let is_tuple = |ty: Type| matches!(ty, Type::Tuple(t) if !t.array);
    is_tuple(lhs.ty) && is_tuple(rhs.ty)
}

impl Checker {
    /// The comparison of two tuples.
    pub(super) fn tuple_compare(&mut self, op: BinOp, lhs: TExpr, rhs: TExpr, span: Span) -> TExpr {
        let Some(negate) = self.equality_negation(op, "tuples", span) else {
            return poisoned(span);
        };
        let Some(Type::Tuple(ty)) = lhs.ty.merge(rhs.ty) else {
            self.error(
                span,
                format!(
                    "cannot compare {} with {}",
                    lhs.ty.describe(),
                    rhs.ty.describe()
                ),
            );
            return poisoned(span);
        };
        TExpr {
            kind: TExprKind::TupleEq {
                negate,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                ty,
            },
            ty: Type::Bool,
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::test_ast::src_errors as errors;

    #[test]
    fn tuples_of_compatible_shapes_compare_with_eq_and_ne() {
        for (a, b) in [
            ("(1, \"bye\")", "(2, \"longer string\")"),
            ("(1, (true, \"x\"))", "((int8)3, (false, \"yy\"))"),
            ("(a = 1, b = \"x\")", "(b = \"yy\", a = 2)"),
        ] {
            for op in ["==", "!="] {
                let src = format!("BEGIN {{ $a = {a}; if ($a {op} {b}) {{ exit(); }} }}");
                assert_eq!(errors(&src), Vec::<String>::new(), "{src}");
            }
        }
    }

    #[test]
    fn other_shapes_and_operators_are_refused() {
        let e = errors("BEGIN { if ((1, 2) == (1, 2, 3)) { exit(); } }");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("cannot compare"), "{e:?}");
        let e = errors("BEGIN { if ((1, \"a\") == (\"a\", 1)) { exit(); } }");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            errors("BEGIN { if ((1, 2) < (1, 3)) { exit(); } }"),
            vec!["The < operator cannot be used on tuples.".to_string()]
        );
    }
}
