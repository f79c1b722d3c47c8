//! Checking declarations and control flow: `let`, `while`, `unroll`, `for`, block
//! expressions.

use super::types::*;
use super::{params, poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, ForIter, Span, StmtKind, TypeBase, TypeName};

/// Most and fewest repetitions of `unroll` (language.md, "Unroll"; bpftrace caps it at 100).
pub const UNROLL_MAX: i64 = 100;

impl Checker {
    /// `let $name[: ty] [= value]`.
    pub(super) fn let_stmt(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        ty: Option<&TypeName>,
        value: Option<&ast::Expr>,
        span: Span,
    ) -> TStmtKind {
        if params::special(name).is_some() {
            self.error(
                span,
                format!("${name} is a parameter of the script and cannot be declared"),
            );
            return TStmtKind::Expr(poisoned(span));
        }
        if cx.vars.lookup(name).is_some() {
            let msg = if cx.vars.in_innermost(name) {
                format!("variable ${name} is already declared in this block")
            } else {
                format!("variable ${name} is already declared; variable shadowing is not allowed")
            };
            self.error(span, msg);
        }
        let resolved = ty.and_then(|t| self.resolve_type(cx, t));
        let int_decl = resolved.as_ref().and_then(super::int_decl::declared_int);
        let string = resolved
            .as_ref()
            .map(|t| (t, super::str_decl::string_decl(t)));
        let (declared, cap) = match string {
            Some((t, Some(_))) => match self.declared_string(t) {
                Some((ty, cap)) => (Some(ty), cap),
                None => (None, None),
            },
            _ => (resolved.and_then(|t| self.declared_type(&t)), None),
        };
        let declared = declared.map(|t| match t {
            // A declared pointer in a uprobe or usdt probe points into the traced
            // process's memory, as `(struct X *)arg0` does.
            Type::Ptr { to, .. } => Type::Ptr {
                user: matches!(
                    cx.probe.attach,
                    tracec_meta::Attach::Uprobe { .. } | tracec_meta::Attach::Usdt { .. }
                ),
                to,
            },
            array @ Type::Tuple(_)
                if matches!(
                    cx.probe.attach,
                    tracec_meta::Attach::Uprobe { .. } | tracec_meta::Attach::Usdt { .. }
                ) =>
            {
                super::struct_value::user_pointers(array)
            }
            other => other,
        });
        // The value is checked before the name is visible: `let $x = $x` reads an
        // outer `$x` (which is an error above) rather than the new one.
        let v = value.map(|v| self.expr(cx, v));
        let var = cx.vars.declare_new(name);
        match cap {
            Some(n) => cx.vars.str_caps.insert(var.0, n),
            None => cx.vars.str_caps.remove(&var.0),
        };
        self.declare_int(cx, var, int_decl);
        if let Some(t) = declared {
            if cx.vars.ty(var) == Type::Unknown {
                cx.vars.vars[var.0 as usize].1 = t;
            }
        }
        cx.vars.assigned[var.0 as usize] = true;
        if v.is_none() && self.final_pass && cx.vars.ty(var) == Type::Unknown {
            // Never assigned anywhere: `let $x;` is the integer 0.
            cx.vars.vars[var.0 as usize].1 = Type::I64;
        }
        match (v, value) {
            (Some(v), Some(value)) => {
                let target = ast::Expr {
                    kind: ExprKind::Var(name.to_string()),
                    span,
                };
                // As `$x = value`: integer width, and the implicit-cast warning
                // against a declared type.
                let vint = self.value_int(cx, Some(value), &v);
                self.var_assign_warning(cx, var, value, &v, vint);
                let stmt = self.assign_checked(cx, &target, var, v, span);
                self.note_var_int(cx, var, vint);
                stmt
            }
            _ => TStmtKind::ZeroVar { var },
        }
    }

    /// The type a `let` declares.
    pub(super) fn declared_type(&mut self, t: &TypeName) -> Option<Type> {
        match (&t.base, t.pointers) {
            (TypeBase::Int { signed, .. }, 0) => Some(Type::int(*signed)),
            (TypeBase::Bool, 0) => Some(Type::Bool),
            (TypeBase::Void | TypeBase::Bool | TypeBase::Enum { .. }, 1) => Some(Type::Ptr {
                user: false,
                to: Pointee::Other,
            }),
            (TypeBase::Int { bits: 8, .. }, 1) => Some(Type::Ptr {
                user: false,
                to: Pointee::Char,
            }),
            (TypeBase::Int { .. }, 1) => Some(Type::Ptr {
                user: false,
                to: Pointee::Other,
            }),
            (TypeBase::Record { name, union }, 1) => {
                let id = self.record(name, *union, t.span)?;
                Some(Type::Ptr {
                    user: false,
                    to: Pointee::Kernel { id },
                })
            }
            (base, n) if n > 1 => {
                // As a cast to the type: the inner pointer keeps its pointee.
                let inner = match base {
                    TypeBase::Record { name, union } => Pointee::Kernel {
                        id: self.record(name, *union, t.span)?,
                    },
                    TypeBase::Int { bits: 8, .. } => Pointee::Char,
                    TypeBase::Int { bits, .. } => Pointee::Sized {
                        size: u32::from(bits / 8).max(1),
                    },
                    _ => Pointee::Other,
                };
                Some(Type::Ptr {
                    user: false,
                    to: super::ptr_to::wrap(inner, n - 1),
                })
            }
            (TypeBase::Record { .. } | TypeBase::Array { .. }, 0)
                if self.declared_value(t).is_some() =>
            {
                self.declared_value(t)
            }
            _ => {
                self.error(
                    t.span,
                    format!(
                        "variables cannot hold {} (a struct value); declare a pointer, e.g. {} *",
                        t.spelling(),
                        t.spelling()
                    ),
                );
                None
            }
        }
    }

    /// `while (cond) { body }`.
    pub(super) fn while_stmt(
        &mut self,
        cx: &mut ProbeCx,
        cond: &ast::Expr,
        body: &ast::Block,
    ) -> TStmtKind {
        let cond = self.condition(cx, cond);
        cx.loops += 1;
        let body = self.block(cx, body);
        cx.loops -= 1;
        TStmtKind::While { cond, body }
    }

    /// `unroll(count) { body }`: `count` is a constant from 1 to [`UNROLL_MAX`].
    pub(super) fn unroll(
        &mut self,
        cx: &mut ProbeCx,
        count: &ast::Expr,
        body: &ast::Block,
    ) -> TStmtKind {
        let c = self.expr(cx, count);
        if super::unroll_param::is_param(&c) {
            return self.unroll_param(cx, c, body, UNROLL_MAX);
        }
        let n = match c.kind {
            TExprKind::Int(n) if (1..=UNROLL_MAX).contains(&n) => n as u32,
            TExprKind::Int(n) if n > UNROLL_MAX => {
                self.error(
                    count.span,
                    format!("unroll maximum value is {UNROLL_MAX}, got {n}"),
                );
                1
            }
            TExprKind::Int(n) => {
                self.error(count.span, format!("unroll minimum value is 1, got {n}"));
                1
            }
            _ => {
                if c.ty != Type::Unknown {
                    self.error(
                        count.span,
                        "unroll count must be a constant integer, e.g. unroll(3)",
                    );
                }
                1
            }
        };
        let body = self.block(cx, body);
        TStmtKind::Unroll { count: n, body }
    }

    /// `for ($var : iter) { body }`.
    pub(super) fn for_stmt(
        &mut self,
        cx: &mut ProbeCx,
        var: &str,
        iter: &ForIter,
        body: &ast::Block,
        span: Span,
    ) -> TStmtKind {
        match iter {
            ForIter::Range { start, end } => {
                let start = self.expr(cx, start);
                let end = self.expr(cx, end);
                for e in [&start, &end] {
                    if !matches!(e.ty, Type::Int { .. } | Type::Unknown) {
                        self.error(
                            e.span,
                            format!("a range bound must be an integer, not {}", e.ty.describe()),
                        );
                    }
                }
                if cx.vars.lookup(var).is_some() {
                    self.error(
                        span,
                        format!("loop variable ${var} is already declared; variable shadowing is not allowed"),
                    );
                }
                let shared = super::for_map::visible_vars(cx);
                cx.vars.push_scope();
                let first_local = cx.vars.next;
                let v = cx.vars.declare_new(var);
                cx.vars.vars[v.0 as usize].1 = Type::I64;
                cx.vars.assigned[v.0 as usize] = true;
                cx.loops += 1;
                let body = self.block(cx, body);
                cx.loops -= 1;
                let locals = (first_local..cx.vars.next)
                    .map(|i| VarId(i as u32))
                    .collect();
                cx.vars.pop_scope();
                if super::for_map::unrolls(&start, &end) {
                    TStmtKind::ForRange {
                        var: v,
                        start,
                        end,
                        body,
                    }
                } else {
                    TStmtKind::ForRangeCallback {
                        var: v,
                        start,
                        end,
                        shared,
                        locals,
                        body,
                    }
                }
            }
            ForIter::Map(m) => self.for_map(cx, var, m, body, span),
        }
    }

    /// A block expression `{ stmts; value }`.
    pub(super) fn block_expr(
        &mut self,
        cx: &mut ProbeCx,
        stmts: &[ast::Stmt],
        value: &ast::Expr,
        span: Span,
    ) -> TExpr {
        let expanded = self.enter_expansion(span, stmts.iter().map(|s| s.span).chain([value.span]));
        let v = self.block_expr_inner(cx, stmts, value, span);
        self.leave_expansion(expanded);
        v
    }

    fn block_expr_inner(
        &mut self,
        cx: &mut ProbeCx,
        stmts: &[ast::Stmt],
        value: &ast::Expr,
        span: Span,
    ) -> TExpr {
        cx.vars.push_scope();
        let mut out = Vec::new();
        for s in stmts {
            self.stmt(cx, s, &mut out);
        }
        // A value-less call (`{ printf("hi") }`) ends the block as a statement.
        let stmt_call = match &value.kind {
            ExprKind::Call { name, args } => self.call_stmt(cx, name, args, value.span),
            _ => None,
        };
        let v = match stmt_call {
            Some(kind) => {
                out.push(TStmt {
                    kind,
                    span: value.span,
                });
                TExpr {
                    ty: Type::Void,
                    ..poisoned(value.span)
                }
            }
            None => self.expr(cx, value),
        };
        cx.vars.pop_scope();
        if out.is_empty() {
            return TExpr { span, ..v };
        }
        TExpr {
            ty: v.ty,
            kind: TExprKind::Block {
                stmts: out,
                value: Box::new(v),
            },
            span,
        }
    }
}

/// Whether a statement never completes normally: later statements of its block are
/// unreachable.
pub(super) fn diverges(s: &StmtKind) -> bool {
    match s {
        StmtKind::Break | StmtKind::Continue | StmtKind::Return(_) => true,
        StmtKind::Expr(e) => {
            matches!(&e.kind, crate::front::ast::ExprKind::Call { name, .. } if name == "exit")
        }
        _ => false,
    }
}
