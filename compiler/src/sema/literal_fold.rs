//! bpftrace's errors for integer literals whose folding overflows (its literal
//! folding pass): `0xffffffffffffffff + 1`, `0 - 0xffffffffffffffff`, `-(1 << 64)`...
//!
//! bpftrace folds operations on literals before typing them, on values that are
//! either non-negative (up to `u64::MAX`) or negative (down to `i64::MIN`); a result
//! outside both is an error where it compiles, not a wrapped value. This pass finds
//! those errors on the tree as written; sema folds the same expressions afterwards.
//! Division by a literal zero keeps sema's own error.

use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Block, Expr, ExprKind, ForIter, Program, Stmt, StmtKind, UnOp};

/// bpftrace's message for a fold that overflows or underflows.
pub const FLOW_ERROR: &str = "unable to fold literals due to overflow or underflow";
/// bpftrace's message for negating a literal above 2^63.
pub const NEG_ERROR: &str = "negative value will underflow";

/// A folded literal: non-negative, or negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lit {
    U(u64),
    N(i64),
}

/// A signed result as bpftrace keeps it: non-negative values are [`Lit::U`].
fn clamp(v: i64) -> Lit {
    if v >= 0 {
        Lit::U(v as u64)
    } else {
        Lit::N(v)
    }
}

/// The overflow errors of every probe of `program`.
pub fn check(program: &Program) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for p in &program.probes {
        if let Some(pred) = &p.predicate {
            fold(pred, &mut out);
        }
        block(&p.body, &mut out);
    }
    out
}

fn block(b: &Block, out: &mut Vec<Diagnostic>) {
    stmts(&b.stmts, out);
}

fn stmts(list: &[Stmt], out: &mut Vec<Diagnostic>) {
    for s in list {
        match &s.kind {
            StmtKind::Expr(e) | StmtKind::Return(Some(e)) => {
                fold(e, out);
            }
            StmtKind::Assign { target, value, .. } => {
                fold(target, out);
                fold(value, out);
            }
            StmtKind::Incr { target, .. } => {
                fold(target, out);
            }
            StmtKind::If { cond, then, els } => {
                fold(cond, out);
                block(then, out);
                if let Some(e) = els {
                    block(e, out);
                }
            }
            StmtKind::Block(b) => block(b, out),
            StmtKind::Let { value, .. } => {
                if let Some(v) = value {
                    fold(v, out);
                }
            }
            StmtKind::While { cond, body } | StmtKind::Unroll { count: cond, body } => {
                fold(cond, out);
                block(body, out);
            }
            StmtKind::For { iter, body, .. } => {
                match iter {
                    ForIter::Range { start, end } => {
                        fold(start, out);
                        fold(end, out);
                    }
                    ForIter::Map(m) => {
                        fold(m, out);
                    }
                }
                block(body, out);
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) => {}
        }
    }
}

/// The literal value of `e` when it folds to one; errors go to `out` (and stop the
/// folding of what contains them).
fn fold(e: &Expr, out: &mut Vec<Diagnostic>) -> Option<Lit> {
    match &e.kind {
        ExprKind::Int(v) => Some(Lit::U(*v)),
        ExprKind::Unary { op, expr } => {
            let v = fold(expr, out)?;
            match (op, v) {
                (UnOp::Neg, Lit::U(0)) => Some(Lit::U(0)),
                (UnOp::Neg, Lit::U(u)) if u > 1 << 63 => {
                    out.push(Diagnostic::error(e.span, NEG_ERROR));
                    None
                }
                (UnOp::Neg, Lit::U(u)) => Some(Lit::N((u as i64).wrapping_neg())),
                (UnOp::Neg, Lit::N(n)) => Some(Lit::U(n.unsigned_abs())),
                (UnOp::BitNot, Lit::U(u)) => Some(Lit::U(!u)),
                (UnOp::BitNot, Lit::N(n)) => Some(Lit::U(!n as u64)),
                _ => None,
            }
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let l = fold(lhs, out);
            let r = fold(rhs, out);
            let (l, r) = (l?, r?);
            match binary(*op, l, r) {
                Ok(v) => v,
                Err(()) => {
                    out.push(Diagnostic::error(e.span, FLOW_ERROR));
                    None
                }
            }
        }
        ExprKind::Ternary { cond, then, els } => {
            let c = fold(cond, out);
            let t = fold(then, out);
            let f = fold(els, out);
            match c? {
                Lit::U(0) => f,
                _ => t,
            }
        }
        _ => {
            for c in e.children() {
                fold(c, out);
            }
            if let ExprKind::Block { stmts: list, .. } = &e.kind {
                stmts(list, out);
            }
            None
        }
    }
}

fn is_comparison(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Eq
            | BinOp::Ne
            | BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge
            | BinOp::LogAnd
            | BinOp::LogOr
    )
}

/// `l op r`: `Ok(None)` when the result is no integer literal (a comparison, a
/// division by zero left to sema), `Err` on overflow.
fn binary(op: BinOp, l: Lit, r: Lit) -> Result<Option<Lit>, ()> {
    let signed = |v: Lit| match v {
        Lit::U(u) => i64::try_from(u).ok(),
        Lit::N(n) => Some(n),
    };
    if matches!(op, BinOp::Div | BinOp::Mod) && r == Lit::U(0) {
        return Ok(None);
    }
    match (l, r) {
        (Lit::U(a), Lit::U(b)) => {
            if is_comparison(op) {
                return Ok(None);
            }
            unsigned(op, a, b).map(Some).ok_or(())
        }
        _ => {
            // A negative operand: both must be representable as signed.
            let (Some(a), Some(b)) = (signed(l), signed(r)) else {
                return Err(());
            };
            if is_comparison(op) {
                return Ok(None);
            }
            signed_op(op, a, b).map(Some).ok_or(())
        }
    }
}

fn unsigned(op: BinOp, a: u64, b: u64) -> Option<Lit> {
    Some(match op {
        BinOp::Add => Lit::U(a.checked_add(b)?),
        BinOp::Sub if a >= b => Lit::U(a - b),
        BinOp::Sub => {
            // Negative: fits when b - a <= 2^63.
            let delta = b - a - 1;
            if delta > i64::MAX as u64 {
                return None;
            }
            Lit::N(-(delta as i64) - 1)
        }
        BinOp::Mul => Lit::U(a.checked_mul(b)?),
        BinOp::Div => Lit::U(a / b),
        BinOp::Mod => Lit::U(a % b),
        BinOp::BitAnd => Lit::U(a & b),
        BinOp::BitOr => Lit::U(a | b),
        BinOp::BitXor => Lit::U(a ^ b),
        BinOp::Shl => Lit::U(a.wrapping_shl(b as u32)),
        BinOp::Shr => Lit::U(a.wrapping_shr(b as u32)),
        _ => return None,
    })
}

fn signed_op(op: BinOp, a: i64, b: i64) -> Option<Lit> {
    Some(match op {
        BinOp::Add => clamp(a.checked_add(b)?),
        BinOp::Sub => clamp(a.checked_sub(b)?),
        BinOp::Mul if a < 0 && b < 0 => Lit::U(a.unsigned_abs().checked_mul(b.unsigned_abs())?),
        BinOp::Mul => clamp(a.checked_mul(b)?),
        BinOp::Div => clamp(a.checked_div(b)?),
        BinOp::Mod => clamp(a.checked_rem(b)?),
        BinOp::BitAnd => clamp(a & b),
        BinOp::BitOr => clamp(a | b),
        BinOp::BitXor => clamp(a ^ b),
        BinOp::Shl => clamp(a.wrapping_shl(b as u32)),
        BinOp::Shr => clamp(a.wrapping_shr(b as u32)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(expr: &str) -> Vec<String> {
        let p = crate::front::parse(&format!("BEGIN {{ $x = {expr}; }}")).expect("parses");
        check(&p).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn representable_results_fold_silently() {
        for e in [
            "9223372036854775807 + 1",
            "0xffffffffffffffff + 0",
            "0x7fffffffffffffff + (-1)",
            "0 - 0x8000000000000000",
            "0x7fffffffffffffff - 0xffffffffffffffff",
            "-1 * -1",
            "0x7fffffffffffffff * 0x2",
            "1 << 64",
            "0x8000000000000000 << 1",
            "-10 % 3",
            "5 / 0",
            "0xffffffffffffffff > 0",
            "-(0x8000000000000000)",
        ] {
            assert_eq!(errors(e), Vec::<String>::new(), "{e}");
        }
    }

    #[test]
    fn overflows_are_bpftrace_errors() {
        for e in [
            "0xffffffffffffffff + 1",
            "0x8000000000000000 + (-1)",
            "0 - 0x8000000000000001",
            "1 - 0xffffffffffffffff",
            "0x7fffffffffffffff - (-1)",
            "0x8000000000000000 * 0x2",
            "0xffffffffffffffff * 0xffffffffffffffff",
            "-1 & 0xffffffffffffffff",
            "(0xffffffffffffffff + 1) * 2",
        ] {
            assert_eq!(errors(e), vec![FLOW_ERROR.to_string()], "{e}");
        }
        assert_eq!(errors("-(0x8000000000000001)"), vec![NEG_ERROR.to_string()]);
    }

    #[test]
    fn only_literal_operands_fold() {
        assert!(errors("$y + 0xffffffffffffffff").is_empty());
        assert!(errors("pid * 0xffffffffffffffff").is_empty());
        assert_eq!(errors("printf(\"%d\", 0xffffffffffffffff + 1)").len(), 1);
    }
}
