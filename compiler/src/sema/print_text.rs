//! `print()` of `$N`, alone or as an element of a tuple literal: the parameter is
//! typed at run time by its argument, as bpftrace does (see `params.rs`), because
//! only its printed text matters there: `print(($1, 2))` with the argument `pos1`
//! prints `(pos1, 2)`, with `0x10` prints `(16, 2)`.

use super::params;
use super::types::*;
use super::{Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};

/// Whether `e` is `$N` or a tuple literal with one somewhere among its elements.
fn has_text_param(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Tuple(items) => items.iter().any(has_text_param),
        _ => params::positional(e).is_some(),
    }
}

impl Checker {
    /// The value `print(value)` prints.
    pub(super) fn print_value_expr(&mut self, cx: &mut ProbeCx, e: &ast::Expr) -> TExpr {
        if !has_text_param(e) {
            return self.expr(cx, e);
        }
        match &e.kind {
            ExprKind::Tuple(items) => self.text_tuple(cx, items, e.span),
            _ => match params::positional(e) {
                Some(n) => self.positional_text(n, e.span),
                None => self.expr(cx, e),
            },
        }
    }

    /// A tuple literal whose `$N` elements (also in nested tuple literals) are text.
    fn text_tuple(&mut self, cx: &mut ProbeCx, elems: &[ast::Expr], span: Span) -> TExpr {
        self.tuple_of(cx, elems, None, span, Checker::print_value_expr)
    }
}
