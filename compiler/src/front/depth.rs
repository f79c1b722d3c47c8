//! A limit on how deeply the syntax tree nests. The parser itself is table driven
//! (no recursion), but later passes walk the tree recursively; this keeps them far
//! from the stack limit. Both functions here use explicit stacks.

use super::ast::{Block, Expr, ExprKind, ForIter, Program, Stmt, StmtKind};
use crate::diag::Diagnostic;

/// Deepest allowed nesting of expressions, statements and blocks.
pub const MAX_NESTING: usize = 512;

enum Node<'a> {
    Expr(&'a Expr),
    Stmt(&'a Stmt),
    Block(&'a Block),
}

/// Error on the first node nested more than [`MAX_NESTING`] levels deep.
pub fn check(program: &Program) -> Result<(), Diagnostic> {
    let mut stack: Vec<(Node, usize)> = Vec::new();
    for m in &program.macros {
        stack.push((Node::Block(&m.body), 1));
    }
    for p in &program.probes {
        stack.push((Node::Block(&p.body), 1));
        if let Some(e) = &p.predicate {
            stack.push((Node::Expr(e), 1));
        }
    }
    while let Some((node, depth)) = stack.pop() {
        let span = match &node {
            Node::Expr(e) => e.span,
            Node::Stmt(s) => s.span,
            Node::Block(b) => b.span,
        };
        if depth > MAX_NESTING {
            return Err(Diagnostic::error(
                span,
                format!("program is nested too deeply (more than {MAX_NESTING} levels)"),
            )
            .with_label("too deep here"));
        }
        let d = depth + 1;
        match node {
            Node::Block(b) => stack.extend(b.stmts.iter().map(|s| (Node::Stmt(s), d))),
            Node::Stmt(s) => match &s.kind {
                StmtKind::Expr(e) => stack.push((Node::Expr(e), d)),
                StmtKind::Assign { target, value, .. } => {
                    stack.push((Node::Expr(target), d));
                    stack.push((Node::Expr(value), d));
                }
                StmtKind::Incr { target, .. } => stack.push((Node::Expr(target), d)),
                StmtKind::If { cond, then, els } => {
                    stack.push((Node::Expr(cond), d));
                    stack.push((Node::Block(then), d));
                    if let Some(b) = els {
                        stack.push((Node::Block(b), d));
                    }
                }
                StmtKind::Block(b) => stack.push((Node::Block(b), d)),
                StmtKind::Let { value, .. } => {
                    stack.extend(value.iter().map(|e| (Node::Expr(e), d)))
                }
                StmtKind::While { cond: e, body } | StmtKind::Unroll { count: e, body } => {
                    stack.push((Node::Expr(e), d));
                    stack.push((Node::Block(body), d));
                }
                StmtKind::For { iter, body, .. } => {
                    match iter {
                        ForIter::Range { start, end } => {
                            stack.push((Node::Expr(start), d));
                            stack.push((Node::Expr(end), d));
                        }
                        ForIter::Map(m) => stack.push((Node::Expr(m), d)),
                    }
                    stack.push((Node::Block(body), d));
                }
                StmtKind::Return(value) => stack.extend(value.iter().map(|e| (Node::Expr(e), d))),
                StmtKind::Break | StmtKind::Continue => {}
            },
            Node::Expr(e) => {
                if let ExprKind::Block { stmts, .. } = &e.kind {
                    stack.extend(stmts.iter().map(|s| (Node::Stmt(s), d)));
                }
                stack.extend(e.children().into_iter().map(|c| (Node::Expr(c), d)));
            }
        }
    }
    Ok(())
}

enum Owned {
    Expr(Expr),
    Block(Block),
}

/// Drop a (possibly very deep) program without recursion.
pub fn dismantle(program: Program) {
    let mut stack: Vec<Owned> = Vec::new();
    stack.extend(program.macros.into_iter().map(|m| Owned::Block(m.body)));
    for p in program.probes {
        stack.push(Owned::Block(p.body));
        stack.extend(p.predicate.map(Owned::Expr));
    }
    while let Some(node) = stack.pop() {
        match node {
            Owned::Block(b) => {
                for s in b.stmts {
                    match s.kind {
                        StmtKind::Expr(e) | StmtKind::Incr { target: e, .. } => {
                            stack.push(Owned::Expr(e))
                        }
                        StmtKind::Assign { target, value, .. } => {
                            stack.push(Owned::Expr(target));
                            stack.push(Owned::Expr(value));
                        }
                        StmtKind::If { cond, then, els } => {
                            stack.push(Owned::Expr(cond));
                            stack.push(Owned::Block(then));
                            stack.extend(els.map(Owned::Block));
                        }
                        StmtKind::Block(b) => stack.push(Owned::Block(b)),
                        StmtKind::Let { value, .. } | StmtKind::Return(value) => {
                            stack.extend(value.map(Owned::Expr))
                        }
                        StmtKind::While { cond: e, body } | StmtKind::Unroll { count: e, body } => {
                            stack.push(Owned::Expr(e));
                            stack.push(Owned::Block(body));
                        }
                        StmtKind::For { iter, body, .. } => {
                            match iter {
                                ForIter::Range { start, end } => {
                                    stack.push(Owned::Expr(start));
                                    stack.push(Owned::Expr(end));
                                }
                                ForIter::Map(m) => stack.push(Owned::Expr(m)),
                            }
                            stack.push(Owned::Block(body));
                        }
                        StmtKind::Break | StmtKind::Continue => {}
                    }
                }
            }
            Owned::Expr(e) => match e.kind {
                ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Ident(_) | ExprKind::Var(_) => {}
                ExprKind::Map { keys: list, .. }
                | ExprKind::Call { args: list, .. }
                | ExprKind::Tuple(list)
                | ExprKind::Record { values: list, .. } => {
                    stack.extend(list.into_iter().map(Owned::Expr))
                }
                ExprKind::Field { base, .. }
                | ExprKind::Unary { expr: base, .. }
                | ExprKind::Cast { expr: base, .. } => stack.push(Owned::Expr(*base)),
                ExprKind::Index { base: a, index: b } | ExprKind::Binary { lhs: a, rhs: b, .. } => {
                    stack.push(Owned::Expr(*a));
                    stack.push(Owned::Expr(*b));
                }
                ExprKind::Ternary { cond, then, els } => {
                    stack.push(Owned::Expr(*cond));
                    stack.push(Owned::Expr(*then));
                    stack.push(Owned::Expr(*els));
                }
                ExprKind::Block { stmts, value } => {
                    stack.push(Owned::Block(Block {
                        stmts,
                        span: e.span,
                    }));
                    stack.push(Owned::Expr(*value));
                }
            },
        }
    }
}
