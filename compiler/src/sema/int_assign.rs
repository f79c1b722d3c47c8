//! bpftrace's implicit-cast warnings where a value is converted to a type it does not
//! fit without an operation: stored into a scratch variable or a map whose integer
//! type (every value assigned anywhere, promoted together: `int_width.rs`) is not its
//! own, or one branch of `?:` whose result type is the promotion of both.
//!
//! ```text
//! $c = (uint64)1; $c = (int64)-1;   // $c is an int64:
//! // WARNING: Expression of type: uint64 being cast to type: int64. ...
//! ```
//!
//! As for operations (`int_ops.rs`), literals (which fail instead when they do not
//! fit) and aggregations read as values never warn.

use super::int_ops::{fits, implicit_cast_warning, is_literal};
use super::int_promo::IntTy;
use super::types::*;
use super::{Checker, ProbeCx, VarId};
use crate::diag::Diagnostic;
use crate::front::ast;

impl Checker {
    /// Warn when `value` (checked as `t`, of bpftrace type `ty`) does not fit `target`.
    fn cast_into(&mut self, value: &ast::Expr, t: &TExpr, ty: Option<IntTy>, target: IntTy) {
        let Some(ty) = ty else {
            return;
        };
        if !self.final_pass || is_literal(value) || self.reads_aggregation(t) {
            return;
        }
        if !fits(ty, target) {
            self.warning(Diagnostic::warning(
                value.span,
                implicit_cast_warning(ty, target),
            ));
        }
    }

    /// `$var = value` (a plain assignment; `vint`: the value's integer type).
    pub(super) fn var_assign_warning(
        &mut self,
        cx: &ProbeCx,
        var: VarId,
        value: &ast::Expr,
        t: &TExpr,
        vint: Option<IntTy>,
    ) {
        let target = cx.vars.widths.get(var.0 as usize).copied().flatten();
        if let Some(target) = target {
            self.cast_into(value, t, vint, target);
        }
    }

    /// `@map[...] = value` (a plain assignment; `vint`: the value's integer type).
    pub(super) fn map_assign_warning(
        &mut self,
        name: &str,
        value: &ast::Expr,
        t: &TExpr,
        vint: Option<IntTy>,
    ) {
        if let Some(target) = self.map_ints.get(name).copied() {
            self.cast_into(value, t, vint, target);
        }
    }

    /// The branches of `c ? then : els` (checked as `tt` and `et`), converted to the
    /// promotion of both.
    pub(super) fn ternary_warnings(
        &mut self,
        cx: &ProbeCx,
        (then, tt): (&ast::Expr, &TExpr),
        (els, et): (&ast::Expr, &TExpr),
    ) {
        if !self.final_pass {
            return;
        }
        let (Type::Int { .. }, Type::Int { .. }) = (tt.ty, et.ty) else {
            return;
        };
        let (Some(a), Some(b)) = (self.int_ty(cx, then), self.int_ty(cx, els)) else {
            return;
        };
        let target = a.promote(b);
        self.cast_into(then, tt, Some(a), target);
        self.cast_into(els, et, Some(b), target);
    }
}
