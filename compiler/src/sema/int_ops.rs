//! bpftrace's integer operations beyond their types (`int_promo`): what is computed
//! at compile time, how `>>`, `/` and `%` treat signed values, and the warnings about
//! them.
//!
//! - bpftrace folds operations whose operands are all literals (`-8 >> 1`, `-8 / 3`)
//!   with signed 64-bit arithmetic before it types anything: `-4`, `-2`;
//! - everything else runs in the program, where `>>` is always a logical shift and
//!   `/` and `%` always divide unsigned (BPF has no signed division): `$a >> 1` with
//!   `$a = -8` is 9223372036854775804. A constant that is no literal (`(int32)-8`)
//!   folds the same way the program would compute it;
//! - a division or modulo of operands whose types still differ once flexible literals
//!   took the other's sign, one of them signed, warns (`signed operands for '/'`);
//! - an operand converted to the operation's type that does not fit it (a `uint64`
//!   in a signed operation) warns (`Expression of type: uint64 being cast to type:
//!   int64`), unless it is a literal or an aggregation read as a value.

use super::int_promo::IntTy;
use super::int_width::int_spelling;
use super::types::*;
use super::{Checker, MapValueType, ProbeCx};
use crate::diag::Diagnostic;
use crate::front::ast::{self, BinOp, ExprKind, UnOp};

/// Whether bpftrace sees `e` as an integer literal when it folds constants: a
/// literal, a negated or complemented literal, or an arithmetic operation on those.
pub(super) fn is_literal(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_) => true,
        ExprKind::Unary {
            op: UnOp::Neg | UnOp::BitNot,
            expr,
        } => is_literal(expr),
        ExprKind::Binary { op, lhs, rhs } => {
            !op.is_comparison()
                && !matches!(op, BinOp::LogAnd | BinOp::LogOr)
                && is_literal(lhs)
                && is_literal(rhs)
        }
        _ => false,
    }
}

/// `l` and `r` once a flexible side took the other's sign (no longer flexible then).
pub(super) fn adopt_signs(l: IntTy, r: IntTy) -> (IntTy, IntTy) {
    let fixed = |t: IntTy, signed: bool| IntTy::new(signed, t.bytes);
    match (l.flexible, r.flexible) {
        (true, false) => (fixed(l, r.signed), r),
        (false, true) => (l, fixed(r, l.signed)),
        _ => (l, r),
    }
}

/// Whether every value of `src` is a value of `dst` (bpftrace's `FitsInto`): a
/// flexible or same-signed type into one as wide, an unsigned one into a wider signed
/// one; a signed type never fits an unsigned one.
pub(super) fn fits(src: IntTy, dst: IntTy) -> bool {
    if src.signed == dst.signed || src.flexible {
        src.bytes <= dst.bytes
    } else if !src.signed {
        src.bytes < dst.bytes
    } else {
        false
    }
}

/// bpftrace's warning for `/` and `%` (`op`) whose operands may be negative.
pub(super) fn signed_division_warning(op: BinOp) -> String {
    format!(
        "signed operands for '{}' can lead to undefined behavior (cast to unsigned to silence warning)",
        op.symbol()
    )
}

/// bpftrace's warning for a value of type `from` implicitly converted to `to`.
pub(super) fn implicit_cast_warning(from: IntTy, to: IntTy) -> String {
    format!(
        "Expression of type: {} being cast to type: {}. This may cause unexpected results. \
         Use an explicit cast to suppress this warning.",
        int_spelling(from.signed, from.bytes),
        int_spelling(to.signed, to.bytes)
    )
}

impl Checker {
    /// Whether `t` reads an aggregation (`@s` holding `sum()`) as a value, which
    /// bpftrace converts without warnings.
    pub(super) fn reads_aggregation(&self, t: &TExpr) -> bool {
        matches!(t.kind, TExprKind::MapRead { map, .. }
            if matches!(self.maps.value(map), Some(MapValueType::Agg { .. })))
    }

    /// bpftrace's type of the integer operand `e` (checked as `t`); `None` for other
    /// values.
    fn operand_int(&self, cx: &ProbeCx, e: &ast::Expr, t: &TExpr) -> Option<IntTy> {
        let Type::Int { signed, .. } = t.ty else {
            return None;
        };
        if self.reads_aggregation(t) {
            return Some(IntTy::wide(signed));
        }
        Some(self.int_ty(cx, e).unwrap_or(IntTy::wide(signed)))
    }

    /// bpftrace's warnings for integer operation `op` on `l` and `r` (checked as
    /// `lt` and `rt`): signed division, and operands that do not fit the type they
    /// are converted to. Literal-only operations are folded first and never warn.
    pub(super) fn int_op_warnings(
        &mut self,
        cx: &ProbeCx,
        op: BinOp,
        (l, lt): (&ast::Expr, &TExpr),
        (r, rt): (&ast::Expr, &TExpr),
        span: ast::Span,
    ) {
        if !self.final_pass || (is_literal(l) && is_literal(r)) {
            return;
        }
        let (Some(li), Some(ri)) = (self.operand_int(cx, l, lt), self.operand_int(cx, r, rt))
        else {
            return;
        };
        let (la, ra) = adopt_signs(li, ri);
        let same = la.signed == ra.signed && la.bytes == ra.bytes;
        if matches!(op, BinOp::Div | BinOp::Mod) && !same && (la.signed || ra.signed) {
            self.warning(Diagnostic::warning(span, signed_division_warning(op)));
        }
        let target = if op.is_comparison() {
            li.promote(ri)
        } else {
            IntTy::wide(la.signed || ra.signed || op == BinOp::Sub)
        };
        for (e, t, ty) in [(l, lt, li), (r, rt, ri)] {
            if !fits(ty, target) && !is_literal(e) && !self.reads_aggregation(t) {
                self.warning(Diagnostic::warning(
                    e.span,
                    implicit_cast_warning(ty, target),
                ));
            }
        }
    }
}
