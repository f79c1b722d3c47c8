//! Grammar helpers that desugar expression forms into ones the later passes already
//! know: `$a++` / `--$a` as expressions become block expressions around an
//! increment statement, and `if (c) { a } else { b }` as an expression becomes a
//! ternary of block expressions.

use super::ast::{Block, Expr, ExprKind, Span, Stmt, StmtKind};
use super::lexer::{LexError, Tok};
use crate::diag::Diagnostic;
use lalrpop_util::{ErrorRecovery, ParseError};

/// The hidden variable that keeps a post-increment's old value: no script can spell
/// a variable name with a `.`.
fn old_value_var(at: u32) -> String {
    format!("incr.{at}")
}

fn incr_stmt(target: Expr, delta: i64, span: Span) -> Stmt {
    Stmt {
        kind: StmtKind::Incr { target, delta },
        span,
    }
}

/// The statements and value of `target++` spanning `span`: `let $old = target;
/// target++;` and `$old`.
fn post_incr_parts(target: Expr, delta: i64, span: Span) -> (Vec<Stmt>, Expr) {
    let name = old_value_var(span.start);
    let save = Stmt {
        kind: StmtKind::Let {
            name: name.clone(),
            ty: None,
            value: Some(target.clone()),
        },
        span: target.span,
    };
    let value = Expr {
        kind: ExprKind::Var(name),
        span,
    };
    (vec![save, incr_stmt(target, delta, span)], value)
}

/// `target++` / `target--` ending at byte `end`: `{ let $old = target; target++; $old }`.
pub(super) fn incr_expr(target: Expr, delta: i64, end: usize) -> Expr {
    let span = Span::new(target.span.start as usize, end);
    let (stmts, value) = post_incr_parts(target, delta, span);
    Expr {
        kind: ExprKind::Block {
            stmts,
            value: Box::new(value),
        },
        span,
    }
}

/// `++target` / `--target` starting at byte `start`: `{ target++; target }`.
pub(super) fn incr_expr_prefix(start: usize, target: Expr, delta: i64) -> Expr {
    let span = Span::new(start, target.span.end as usize);
    let value = if matches!(target.kind, ExprKind::Var(_) | ExprKind::Map { .. }) {
        target.clone()
    } else {
        // No variable or map: the statement is an error, and copying the target
        // would double the tree at each level of `++ ++ ++ ... $x`.
        Expr {
            kind: ExprKind::Int(0),
            span: target.span,
        }
    };
    Expr {
        kind: ExprKind::Block {
            stmts: vec![incr_stmt(target, delta, span)],
            value: Box::new(value),
        },
        span,
    }
}

/// An expression used as a statement. An increment whose value is unused is the plain
/// increment statement again.
pub(super) fn expr_stmt(e: Expr, span: Span) -> Stmt {
    if let ExprKind::Block { stmts, .. } = &e.kind {
        if let Some(last) = stmts.last() {
            if matches!(last.kind, StmtKind::Incr { .. }) && last.span == e.span {
                let last = last.clone();
                return Stmt {
                    kind: last.kind,
                    span,
                };
            }
        }
    }
    Stmt {
        kind: StmtKind::Expr(e),
        span,
    }
}

/// `if (cond) { ...; a } else { ...; b }` as an expression: `cond ? {...; a} : {...; b}`.
/// A branch that does not end with a value is a syntax error.
pub(super) fn if_expr(
    errors: &mut Vec<ErrorRecovery<usize, Tok, LexError>>,
    cond: Expr,
    then: Block,
    els: Block,
    span: Span,
) -> Expr {
    let then = branch_value(errors, then);
    let els = branch_value(errors, els);
    Expr {
        kind: ExprKind::Ternary {
            cond: Box::new(cond),
            then: Box::new(then),
            els: Box::new(els),
        },
        span,
    }
}

/// The value of an if expression's branch: its last statement, which must be an
/// expression or an `if` with an `else` whose branches have values.
fn branch_value(errors: &mut Vec<ErrorRecovery<usize, Tok, LexError>>, mut b: Block) -> Expr {
    let value = match b.stmts.pop() {
        Some(Stmt {
            kind: StmtKind::Expr(e),
            ..
        }) => e,
        Some(Stmt {
            kind:
                StmtKind::If {
                    cond,
                    then,
                    els: Some(els),
                },
            span,
        }) => if_expr(errors, cond, then, els, span),
        Some(Stmt {
            kind: StmtKind::Incr { target, delta },
            span,
        }) => {
            if target.span.start == span.start {
                // `$a++`: the old value.
                let (stmts, value) = post_incr_parts(target, delta, span);
                b.stmts.extend(stmts);
                value
            } else {
                // `++$a`: the new value.
                b.stmts.push(incr_stmt(target.clone(), delta, span));
                target
            }
        }
        other => {
            let at = other.as_ref().map_or(b.span, |s| s.span);
            let d = Diagnostic::error(
                at,
                "syntax error: each branch of an if expression must end with a value",
            );
            errors.push(ErrorRecovery {
                error: ParseError::User { error: LexError(d) },
                dropped_tokens: Vec::new(),
            });
            Expr {
                kind: ExprKind::Int(0),
                span: at,
            }
        }
    };
    if b.stmts.is_empty() {
        return value;
    }
    let span = b.span;
    Expr {
        kind: ExprKind::Block {
            stmts: b.stmts,
            value: Box::new(value),
        },
        span,
    }
}

#[cfg(test)]
#[path = "sugar_tests.rs"]
mod tests;
