//! Global struct, union and array variables (`static struct hist initial_hist;`,
//! libbpf-tools' zero initializers for `bpf_map_update_elem`). Globals keep their
//! initial values here (nothing writes them), so each function that names one
//! starts with a local of the same name and initializer, which the inliner then
//! holds as any aggregate local (`places.rs`). That copy is only equivalent while
//! nothing writes the global: an assignment to it (or a member or element of it),
//! or its address given to anything but `bpf_map_update_elem`'s value or
//! `memcmp`, is a located diagnostic.

use super::{unsupported, CExpr, CExprKind, CFunc, CInit, CStmt, CStmtKind};
use crate::diag::Diagnostic;
use crate::front::ast::UnOp;

/// Starts each function of `funcs` defined after a global aggregate `decl` (a
/// `CStmtKind::Decl`) that names it with a copy of `decl`.
pub fn prepend(funcs: &mut [CFunc], globals: &[CStmt]) -> Result<(), Diagnostic> {
    for g in globals {
        let CStmtKind::Decl { name, init, .. } = &g.kind else {
            continue;
        };
        let zero = match init {
            None => true,
            Some(super::CInit::List(items)) => items.is_empty(),
            Some(super::CInit::Expr(_)) => false,
        };
        for f in funcs.iter_mut().filter(|f| f.span.start > g.span.start) {
            if f.params.iter().any(|p| &p.name == name) {
                continue;
            }
            let mut w = Walk {
                name,
                used: false,
                shadow: None,
                err: None,
            };
            w.stmts(&f.body);
            if !w.used {
                continue;
            }
            if let Some(d) = w.err.or(w.shadow) {
                return Err(d);
            }
            f.body.insert(0, g.clone());
            if zero {
                f.zero_globals.push(name.clone());
            }
        }
    }
    Ok(())
}

/// Finds the uses of the global `name` in a body, and the ones outside the subset.
struct Walk<'n> {
    name: &'n str,
    used: bool,
    /// A local of the same name (an error only when the global is used too).
    shadow: Option<Diagnostic>,
    err: Option<Diagnostic>,
}

impl Walk<'_> {
    fn fail(&mut self, d: Diagnostic) {
        self.err.get_or_insert(d);
    }

    fn stmts(&mut self, body: &[CStmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &CStmt) {
        match &s.kind {
            CStmtKind::Decl { name, init, .. } => {
                if name == self.name && self.shadow.is_none() {
                    self.shadow = Some(unsupported(
                        s.span,
                        &format!("a local variable named as the global `{name}`"),
                    ));
                }
                if let Some(i) = init {
                    self.init(i);
                }
            }
            CStmtKind::Expr(e) | CStmtKind::Return(Some(e)) => self.expr(e),
            CStmtKind::Assign { target, value, .. } => {
                self.target(target);
                self.expr(value);
            }
            CStmtKind::Incr { target, .. } => self.target(target),
            CStmtKind::If { cond, then, els } => {
                self.expr(cond);
                self.stmts(then);
                if let Some(e) = els {
                    self.stmts(e);
                }
            }
            CStmtKind::While { cond, body } | CStmtKind::DoWhile { body, cond } => {
                self.expr(cond);
                self.stmts(body);
            }
            CStmtKind::Switch { value, sections } => {
                self.expr(value);
                for sec in sections {
                    self.stmts(&sec.body);
                }
            }
            CStmtKind::For {
                init,
                cond,
                step,
                body,
            } => {
                self.stmts(init);
                if let Some(c) = cond {
                    self.expr(c);
                }
                self.stmts(step);
                self.stmts(body);
            }
            CStmtKind::Block(b) => self.stmts(b),
            CStmtKind::Return(None)
            | CStmtKind::Break
            | CStmtKind::Continue
            | CStmtKind::Goto(_)
            | CStmtKind::Label(_) => {}
        }
    }

    fn init(&mut self, i: &CInit) {
        match i {
            CInit::Expr(e) => self.expr(e),
            CInit::List(items) => {
                for it in items {
                    self.init(&it.init);
                }
            }
        }
    }

    /// Whether `e` is the global or a member or element of it.
    fn rooted(&self, e: &CExpr) -> bool {
        match &e.kind {
            CExprKind::Var(n) => n == self.name,
            CExprKind::Member {
                base, arrow: false, ..
            }
            | CExprKind::Index { base, .. } => self.rooted(base),
            _ => false,
        }
    }

    /// The target of an assignment or increment.
    fn target(&mut self, e: &CExpr) {
        if self.rooted(e) {
            self.fail(unsupported(
                e.span,
                "writing to a global variable (globals keep their initial values)",
            ));
        }
        self.expr(e);
    }

    fn expr(&mut self, e: &CExpr) {
        match &e.kind {
            CExprKind::Var(n) => self.used |= n == self.name,
            CExprKind::Call { name, args } => {
                for (i, a) in args.iter().enumerate() {
                    let allowed = (name == "bpf_map_update_elem" && i == 2) || name == "memcmp";
                    match &a.kind {
                        CExprKind::Unary {
                            op: UnOp::AddrOf,
                            expr,
                        } if allowed && self.rooted(expr) => self.expr(expr),
                        _ => self.expr(a),
                    }
                }
            }
            CExprKind::Unary { op, expr } => {
                if *op == UnOp::AddrOf && self.rooted(expr) {
                    self.fail(unsupported(
                        e.span,
                        "the address of a global variable other than as \
                         bpf_map_update_elem's value (globals keep their initial values)",
                    ));
                }
                self.expr(expr);
            }
            CExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            CExprKind::Ternary { cond, then, els } => {
                self.expr(cond);
                self.expr(then);
                self.expr(els);
            }
            CExprKind::Cast { expr, .. } | CExprKind::SizeofExpr(expr) => self.expr(expr),
            CExprKind::Member { base, .. } => self.expr(base),
            CExprKind::Index { base, index } => {
                self.expr(base);
                self.expr(index);
            }
            CExprKind::Int(_) | CExprKind::Str(_) | CExprKind::SizeofType(_) => {}
        }
    }
}
