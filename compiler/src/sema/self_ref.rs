//! A map read inside its own first assignment (`@bytes = @bytes + n`): bpftrace
//! types the map from the assignment and reads 0 the first time. While the map has
//! no value type yet, arithmetic between that read and an integer takes the type
//! the other operand gives it, so the assignment fixes the map's type; the next
//! pass then checks the read against it. In the final pass a map still without a
//! type was never assigned, which `MapTable::finish` reports.

use super::types::{TExpr, TExprKind, Type};
use crate::front::ast::{BinOp, Span};

/// The provisional result of arithmetic `op` whose operands are `lhs` and `rhs`
/// when one is a read of a map with no type yet and the other an integer.
pub(super) fn provisional_arith(op: BinOp, lhs: &TExpr, rhs: &TExpr, span: Span) -> Option<TExpr> {
    let arith = !(op.is_comparison() || matches!(op, BinOp::LogAnd | BinOp::LogOr));
    let untyped_map =
        |e: &TExpr| e.ty == Type::Unknown && matches!(e.kind, TExprKind::MapRead { .. });
    let other = match (untyped_map(lhs), untyped_map(rhs)) {
        (true, false) => rhs,
        (false, true) => lhs,
        _ => return None,
    };
    let Type::Int { signed, .. } = other.ty else {
        return None;
    };
    if !arith {
        return None;
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
