//! Checking statements.

use super::functions::{self, Func};
use super::types::*;
use super::{poisoned, Checker, MapValueType, ProbeCx};
use crate::diag::Diagnostic;
use crate::front::ast::{self, BinOp, ExprKind, Span, StmtKind};

impl Checker {
    /// A block: its own scope for variables.
    pub(super) fn block(&mut self, cx: &mut ProbeCx, b: &ast::Block) -> Vec<TStmt> {
        self.stmts_scoped(cx, &b.stmts)
    }

    /// Statements in a scope of their own.
    pub(super) fn stmts_scoped(&mut self, cx: &mut ProbeCx, stmts: &[ast::Stmt]) -> Vec<TStmt> {
        cx.vars.push_scope();
        let mut out = Vec::new();
        let mut diverged = false;
        for s in stmts {
            if diverged {
                self.warning(
                    // bpftrace's text.
                    Diagnostic::warning(s.span, "Unreachable statement")
                        .with_label("never runs")
                        .with_note("it follows a `break`, `continue`, `return` or `exit()`"),
                );
                diverged = false;
            }
            self.stmt(cx, s, &mut out);
            diverged |= super::control::diverges(&s.kind);
        }
        cx.vars.pop_scope();
        out
    }

    pub(super) fn stmt(&mut self, cx: &mut ProbeCx, s: &ast::Stmt, out: &mut Vec<TStmt>) {
        let span = s.span;
        let kind = match &s.kind {
            StmtKind::Expr(e) if ternary_of_statements(e) => {
                let ExprKind::Ternary { cond, then, els } = &e.kind else {
                    return;
                };
                // `c ? printf(...) : exit()`: an `if` whose branches are statements.
                let cond = self.condition(cx, cond);
                let branch = |this: &mut Self, cx: &mut ProbeCx, b: &ast::Expr| {
                    let mut out = Vec::new();
                    let st = ast::Stmt {
                        kind: StmtKind::Expr(b.clone()),
                        span: b.span,
                    };
                    this.stmt(cx, &st, &mut out);
                    out
                };
                let then = branch(self, cx, then);
                let els = branch(self, cx, els);
                TStmtKind::If { cond, then, els }
            }
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
            StmtKind::Assign {
                target,
                op: None,
                value,
            } if agg_block(target, value).is_some() => {
                // `@m = { let $a = 1; avg($a) }`: the block's statements, then the
                // aggregation into the map, in the block's scope.
                let Some(b) = agg_block(target, value) else {
                    return;
                };
                let inner = self.block(cx, &b);
                out.extend(inner);
                return;
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
                let expanded = self.enter_expansion(b.span, b.stmts.iter().map(|s| s.span));
                let inner = self.block(cx, b);
                self.leave_expansion(expanded);
                out.extend(inner);
                return;
            }
            StmtKind::Let { name, ty, value } => {
                self.let_stmt(cx, name, ty.as_ref(), value.as_ref(), span)
            }
            StmtKind::While { cond, body } => self.while_stmt(cx, cond, body),
            StmtKind::Unroll { count, body } => self.unroll(cx, count, body),
            StmtKind::For { var, iter, body } => self.for_stmt(cx, var, iter, body, span),
            StmtKind::Break | StmtKind::Continue => {
                let brk = matches!(s.kind, StmtKind::Break);
                if cx.loops == 0 {
                    let word = if brk { "break" } else { "continue" };
                    self.error(span, format!("`{word}` is only allowed inside a loop"));
                }
                if brk {
                    TStmtKind::Break
                } else {
                    TStmtKind::Continue
                }
            }
            StmtKind::Return(value) => {
                let value = value.as_ref().map(|v| self.expr(cx, v));
                if let Some(v) = &value {
                    self.require_scalar(v, "a probe's return value");
                }
                TStmtKind::Return(value)
            }
        };
        out.push(TStmt { kind, span });
    }

    /// `$var = v` with `v` checked: the variable's type merges with the value's.
    pub(super) fn assign_checked(
        &mut self,
        cx: &mut ProbeCx,
        target: &ast::Expr,
        var: VarId,
        v: TExpr,
        span: Span,
    ) -> TStmtKind {
        let ExprKind::Var(name) = &target.kind else {
            return TStmtKind::Expr(poisoned(span));
        };
        if v.ty == Type::Void {
            self.error(v.span, "this expression has no value to assign");
        }
        let v = self.convert_to_declared_int(cx, var, v);
        let old = cx.vars.ty(var);
        // `probe`/`func` into a string variable become strings (`name_str`).
        let v = match old {
            Type::Str { .. } => self.name_as_str(cx, v),
            Type::Tuple(_) => self.names_in_tuple(cx, old, v),
            _ => v,
        };
        let new = match (old, v.ty) {
            (t, Type::Str { .. }) if super::name_str::is_name_type(t) => v.ty,
            (_, Type::Unknown | Type::Void) => old,
            (Type::Unknown, t) => t,
            (Type::Str { size: a }, Type::Str { size: b }) => Type::Str { size: a.max(b) },
            (Type::Int { .. }, Type::Int { .. }) => old,
            (Type::Stack(a), Type::Stack(b)) if a == b => old,
            (Type::Fmt(a), Type::Fmt(b)) if super::fmtvals::merge(a, b).is_some() => {
                super::fmtvals::merge(a, b).map_or(old, Type::Fmt)
            }
            (Type::Tuple(_), Type::Tuple(_)) if old.merge(v.ty).is_some() => {
                old.merge(v.ty).unwrap_or(old)
            }
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
        let new = self.capped_string(cx, var, new, &v.ty, span);
        cx.vars.vars[var.0 as usize].1 = new;
        cx.vars.assigned[var.0 as usize] = true;
        TStmtKind::AssignVar { var, value: v }
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
                let vint = self.value_int(cx, op.is_none().then_some(value), &v);
                let var = cx.vars.declare(name);
                if op.is_none() {
                    self.var_assign_warning(cx, var, value, &v, vint);
                }
                let stmt = self.assign_checked(cx, target, var, v, span);
                self.note_var_int(cx, var, vint);
                stmt
            }
            ExprKind::Ident(name) if name == "_" && op.is_none() => {
                // `_ = e`: evaluate and discard, without the discarded-value warning.
                TStmtKind::Expr(self.expr(cx, value))
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
                let v = match self.maps.value(map) {
                    Some(MapValueType::Plain(Type::Str { .. })) => self.name_as_str(cx, v),
                    Some(MapValueType::Plain(super::func_sym::KSYM)) => {
                        self.func_as_ksym(cx, map, v)
                    }
                    Some(MapValueType::Plain(t @ Type::Tuple(_))) => self.names_in_tuple(cx, t, v),
                    _ => v,
                };
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
                        let vint = self.value_int(cx, op.is_none().then_some(value), &v);
                        if op.is_none() {
                            self.map_assign_warning(name, value, &v, vint);
                        }
                        self.note_map_int(name, map, vint);
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

/// `@m = { stmts; agg(...) }` as the block `{ stmts; @m = agg(...) }`.
fn agg_block(target: &ast::Expr, value: &ast::Expr) -> Option<ast::Block> {
    let ExprKind::Map { .. } = target.kind else {
        return None;
    };
    let ExprKind::Block { stmts, value: v } = &value.kind else {
        return None;
    };
    let ExprKind::Call { name, .. } = &v.kind else {
        return None;
    };
    let Some(Func::Agg(_)) = functions::lookup(name) else {
        return None;
    };
    let mut stmts = stmts.clone();
    stmts.push(ast::Stmt {
        kind: StmtKind::Assign {
            target: target.clone(),
            op: None,
            value: (**v).clone(),
        },
        span: target.span.to(v.span),
    });
    Some(ast::Block {
        stmts,
        span: value.span,
    })
}

/// A ternary used as a statement with a function call in a branch (`c ? printf(...) :
/// printf(...)`): its branches are statements, which may have no value.
fn ternary_of_statements(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Ternary { then, els, .. } => [then, els]
            .iter()
            .any(|b| matches!(b.kind, ExprKind::Call { .. }) || ternary_of_statements(b)),
        _ => false,
    }
}

impl Type {
    /// `an integer`, `a string`, `a pointer`.
    pub fn kind_word_article(self) -> String {
        match self {
            Type::Int { .. } => "an integer".into(),
            Type::Str { .. } => "a string".into(),
            Type::Ptr { .. } => "a pointer".into(),
            Type::Bool => "a bool".into(),
            Type::Tuple(t) if t.record => "a record".into(),
            Type::Tuple(_) => "a tuple".into(),
            Type::Stack(s) => format!("a {}", s.name()),
            Type::Fmt(f) => format!("a {}", super::fmtvals::name(f)),
            Type::Void => "no value".into(),
            Type::Unknown => "an unknown value".into(),
        }
    }
}
