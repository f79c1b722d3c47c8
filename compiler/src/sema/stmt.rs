//! Checking statements.

use super::functions::{self, Func};
use super::types::*;
use super::{poisoned, Checker, MapValueType, ProbeCx};
use crate::diag::Diagnostic;
use crate::front::ast::{self, BinOp, ExprKind, Span, StmtKind};

impl Checker {
    pub(super) fn block(&mut self, cx: &mut ProbeCx, b: &ast::Block) -> Vec<TStmt> {
        let mut out = Vec::new();
        for s in &b.stmts {
            self.stmt(cx, s, &mut out);
        }
        out
    }

    fn stmt(&mut self, cx: &mut ProbeCx, s: &ast::Stmt, out: &mut Vec<TStmt>) {
        let span = s.span;
        let kind = match &s.kind {
            StmtKind::Expr(e) => {
                if let ExprKind::Call { name, args } = &e.kind {
                    if let Some(k) = self.call_stmt(cx, name, args, e.span) {
                        out.push(TStmt { kind: k, span });
                        return;
                    }
                    if let Some(Func::Agg(_)) = functions::lookup(name) {
                        self.error(
                            e.span,
                            format!("{name}() must be assigned to a map, e.g. @x = {name}(...)"),
                        );
                        return;
                    }
                }
                let te = self.expr(cx, e);
                if !matches!(te.ty, Type::Unknown | Type::Void) {
                    // bpftrace warns about discarded expressions (language.md, "Blocks").
                    self.warning(
                        Diagnostic::warning(e.span, "the value of this expression is discarded")
                            .with_label("unused value")
                            .with_note("assign it to a variable or a map, or remove it"),
                    );
                }
                TStmtKind::Expr(te)
            }
            StmtKind::Assign { target, op, value } => self.assign(cx, target, *op, value, span),
            StmtKind::Incr { target, delta } => {
                let (op, mag) = if *delta < 0 {
                    (BinOp::Sub, delta.unsigned_abs())
                } else {
                    (BinOp::Add, *delta as u64)
                };
                let one = ast::Expr {
                    kind: ExprKind::Int(mag),
                    span,
                };
                self.assign(cx, target, Some(op), &one, span)
            }
            StmtKind::If { cond, then, els } => {
                let cond = self.condition(cx, cond);
                let then = self.block(cx, then);
                let els = els.as_ref().map(|b| self.block(cx, b)).unwrap_or_default();
                TStmtKind::If { cond, then, els }
            }
            StmtKind::Block(b) => {
                let inner = self.block(cx, b);
                out.extend(inner);
                return;
            }
        };
        out.push(TStmt { kind, span });
    }

    /// `value`, or `target op value` for compound assignments.
    fn rhs(
        &mut self,
        cx: &mut ProbeCx,
        target: &ast::Expr,
        op: Option<BinOp>,
        value: &ast::Expr,
        span: Span,
    ) -> TExpr {
        match op {
            None => self.expr(cx, value),
            Some(op) => self.binary(cx, op, target, value, span),
        }
    }

    fn assign(
        &mut self,
        cx: &mut ProbeCx,
        target: &ast::Expr,
        op: Option<BinOp>,
        value: &ast::Expr,
        span: Span,
    ) -> TStmtKind {
        match &target.kind {
            ExprKind::Var(name) if super::params::special(name).is_some() => {
                self.error(
                    target.span,
                    format!("${name} is a parameter of the script and cannot be assigned"),
                );
                TStmtKind::Expr(poisoned(span))
            }
            ExprKind::Var(name) => {
                let v = self.rhs(cx, target, op, value, span);
                if v.ty == Type::Void {
                    self.error(v.span, "this expression has no value to assign");
                }
                let var = cx.vars.declare(name);
                let old = cx.vars.ty(var);
                let new = match (old, v.ty) {
                    (_, Type::Unknown | Type::Void) => old,
                    (Type::Unknown, t) => t,
                    (Type::Str { size: a }, Type::Str { size: b }) => Type::Str { size: a.max(b) },
                    (Type::Int { .. }, Type::Int { .. }) => old,
                    (a, b) if a.is_scalar() && b.is_scalar() => a,
                    (a, b) => {
                        self.error(
                            span,
                            format!(
                                "cannot assign {} to ${name}, which holds {}",
                                b.kind_word_article(),
                                a.kind_word_article()
                            ),
                        );
                        a
                    }
                };
                cx.vars.vars[var.0 as usize].1 = new;
                cx.vars.assigned[var.0 as usize] = true;
                TStmtKind::AssignVar { var, value: v }
            }
            ExprKind::Map { name, keys } => {
                if let (None, ExprKind::Call { name: f, args }) = (op, &value.kind) {
                    if let Some(Func::Agg(kind)) = functions::lookup(f) {
                        let (map, tkeys) = self.map_keys(cx, name, keys, target.span);
                        let Some((mv, mt)) = self.agg_value(cx, kind, f, args, value.span) else {
                            return TStmtKind::Expr(poisoned(span));
                        };
                        if let Err(m) = self.maps.assign(map, mt) {
                            self.error(span, m);
                        }
                        return TStmtKind::AssignMap {
                            map,
                            keys: tkeys,
                            value: mv,
                        };
                    }
                }
                if op.is_some() {
                    // `@m += x` / `@m++` on a map without a value yet: it starts as 0.
                    let idx = self.maps.get(name, target.span);
                    if self.maps.value(idx).is_none() {
                        let _ = self.maps.assign(idx, MapValueType::Plain(Type::I64));
                    }
                }
                let v = self.rhs(cx, target, op, value, span);
                let (map, tkeys) = self.map_keys(cx, name, keys, target.span);
                match v.ty {
                    Type::Void => {
                        self.error(v.span, "this expression has no value to assign");
                        return TStmtKind::Expr(poisoned(span));
                    }
                    Type::Unknown => {}
                    t => {
                        if let Err(m) = self.maps.assign(map, MapValueType::Plain(t)) {
                            self.error(span, m);
                        }
                    }
                }
                TStmtKind::AssignMap {
                    map,
                    keys: tkeys,
                    value: MapValue::Plain(v),
                }
            }
            _ => {
                self.error(
                    target.span,
                    "only variables ($x) and maps (@m[k]) can be assigned to",
                );
                TStmtKind::Expr(poisoned(span))
            }
        }
    }
}

impl Type {
    /// `an integer`, `a string`, `a pointer`.
    pub fn kind_word_article(self) -> String {
        match self {
            Type::Int { .. } => "an integer".into(),
            Type::Str { .. } => "a string".into(),
            Type::Ptr { .. } => "a pointer".into(),
            Type::Void => "no value".into(),
            Type::Unknown => "an unknown value".into(),
        }
    }
}
