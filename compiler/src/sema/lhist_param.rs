//! `lhist(x, $1, $2, $3)`: bpftrace substitutes positional parameters when it compiles;
//! tracec compiles ahead of time, so such bounds are read at run time: the program
//! computes the bucket from the parameters' `.rodata` globals, and the map's
//! [`tracec_meta::AggKind::LhistParam`] tells `tracerun` which parameters to read (it
//! checks the bounds as bpftrace's compiler would before loading).

use super::types::*;
use super::unroll_param::is_param;
use super::{Checker, ProbeCx};
use crate::front::ast::{self, ExprKind};

/// Whether `e` is a positional parameter (`$1`, `$#`) as written.
pub(super) fn is_positional(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Var(name) => name == "#" || name.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

impl Checker {
    /// The map value of `lhist(x, min, max, step)` where some of the bounds are
    /// parameters; the others must be constant integers.
    pub(super) fn lhist_param(
        &mut self,
        cx: &mut ProbeCx,
        x: TExpr,
        bounds: &[ast::Expr],
    ) -> Option<MapValue> {
        let mut out = Vec::new();
        for (arg, what) in bounds.iter().zip(["min", "max", "step"]) {
            let e = self.expr(cx, arg);
            match e.kind {
                _ if e.ty == Type::Unknown => return None,
                TExprKind::Int(v) if v < 0 => {
                    self.error(e.span, "lhist(): min, max and step must not be negative");
                    return None;
                }
                TExprKind::Int(_) => out.push(e),
                _ if is_param(&e) => out.push(e),
                _ => {
                    self.error(
                        e.span,
                        format!("lhist(): {what} must be a constant integer"),
                    );
                    return None;
                }
            }
        }
        let bounds: [TExpr; 3] = out.try_into().ok()?;
        Some(MapValue::LhistParam {
            x,
            bounds: Box::new(bounds),
        })
    }
}
