//! A map read inside its own first assignment (`@bytes = @bytes + n`): bpftrace
//! types the map from the assignment and reads 0 the first time. While the map has
//! no value type yet, arithmetic between that read and an integer takes the type
//! the other operand gives it, so the assignment fixes the map's type; the next
//! pass then checks the read against it. In the final pass a map still without a
//! type was never assigned, which `MapTable::finish` reports.

use super::types::{TExpr, TExprKind, Type};
use crate::front::ast::{BinOp, Span};

/// Whether `e` reads a map that has no value type yet.
fn untyped_map(e: &TExpr) -> bool {
    e.ty == Type::Unknown && matches!(e.kind, TExprKind::MapRead { .. })
}

/// The provisional result of `op` whose operands are `lhs` and `rhs` when one is a
/// read of a map with no type yet and the other an integer: a comparison or logical
/// operation is a bool (`@max = cpu > @max ? cpu : @max`), arithmetic the integer type
/// the other operand gives it.
pub(super) fn provisional_arith(op: BinOp, lhs: &TExpr, rhs: &TExpr, span: Span) -> Option<TExpr> {
    let arith = !(op.is_comparison() || matches!(op, BinOp::LogAnd | BinOp::LogOr));
    let other = match (untyped_map(lhs), untyped_map(rhs)) {
        (true, false) => rhs,
        (false, true) => lhs,
        _ => return None,
    };
    let Type::Int { signed, .. } = other.ty else {
        return None;
    };
    if !arith {
        return Some(TExpr {
            kind: TExprKind::Int(0),
            ty: Type::Bool,
            span,
        });
    }
    let ty = if op == BinOp::Sub {
        Type::I64
    } else {
        Type::int(signed)
    };
    Some(TExpr {
        kind: TExprKind::Int(0),
        ty,
        span,
    })
}

/// The provisional result of `cond ? then : els` when one branch reads a map with no
/// type yet and the other is an integer: the other branch's type.
pub(super) fn provisional_ternary(then: &TExpr, els: &TExpr, span: Span) -> Option<TExpr> {
    let other = match (untyped_map(then), untyped_map(els)) {
        (true, false) => els,
        (false, true) => then,
        _ => return None,
    };
    matches!(other.ty, Type::Int { .. }).then_some(TExpr {
        kind: TExprKind::Int(0),
        ty: other.ty,
        span,
    })
}
