//! `unroll($1) { body }`: bpftrace reads the count from the command line when it
//! compiles; tracec compiles ahead of time, so the count is a parameter read at run
//! time and the body becomes a loop that runs it `count` times (at most
//! [`UNROLL_MAX`](super::control::UNROLL_MAX), none when the count is below 1).

use super::types::*;
use super::{Checker, ProbeCx};
use crate::front::ast;
use crate::ir::Cond;

impl Checker {
    /// The statements of `unroll(count) { body }` with a parameter `count`.
    pub(super) fn unroll_param(
        &mut self,
        cx: &mut ProbeCx,
        count: TExpr,
        body: &ast::Block,
        max: i64,
    ) -> TStmtKind {
        let span = count.span;
        // A hidden counter: no script can spell this name.
        let counter = cx.vars.declare_new(&format!("unroll.{}", span.start));
        cx.vars.vars[counter.0 as usize].1 = Type::I64;
        cx.vars.assigned[counter.0 as usize] = true;
        let var = || TExpr {
            kind: TExprKind::Var(counter),
            ty: Type::I64,
            span,
        };
        let int = |v: i64| TExpr {
            kind: TExprKind::Int(v),
            ty: Type::I64,
            span,
        };
        let below = |lhs: TExpr, rhs: TExpr| TExpr {
            kind: TExprKind::Cmp {
                cond: Cond::Slt,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            ty: Type::U64,
            span,
        };
        let cond = TExpr {
            kind: TExprKind::Logic {
                and: true,
                lhs: Box::new(below(var(), int(max))),
                rhs: Box::new(below(var(), count)),
            },
            ty: Type::U64,
            span,
        };
        let mut stmts = self.block(cx, body);
        stmts.push(TStmt {
            kind: TStmtKind::AssignVar {
                var: counter,
                value: TExpr {
                    kind: TExprKind::Arith {
                        op: Arith::Add,
                        lhs: Box::new(var()),
                        rhs: Box::new(int(1)),
                    },
                    ty: Type::I64,
                    span,
                },
            },
            span,
        });
        let stmt = |kind| TStmt { kind, span };
        TStmtKind::If {
            cond: int(1),
            then: vec![
                stmt(TStmtKind::AssignVar {
                    var: counter,
                    value: int(0),
                }),
                stmt(TStmtKind::While { cond, body: stmts }),
            ],
            els: Vec::new(),
        }
    }
}

/// Whether `e` is a parameter of the script (`$1`, `$#`) read at run time.
pub(super) fn is_param(e: &TExpr) -> bool {
    matches!(e.kind, TExprKind::Param(_)) && matches!(e.ty, Type::Int { .. })
}
