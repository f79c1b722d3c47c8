//! Macro expansion: `macro name(params) { body }` definitions are substituted into
//! the probes before semantic analysis.
//!
//! Hygiene (language.md, "Macros"): a macro body only reaches the variables and maps
//! passed to it. Its own variables are renamed per expansion (`$y` becomes `$y#N`, a
//! name no script can spell); `$p` parameters become the variable passed, `@p`
//! parameters the map passed, and an expression parameter `p` is replaced by the
//! argument expression wherever it appears. A call used as a statement becomes a
//! block; used as a value it becomes a block expression whose value is the body's
//! last expression.

use super::ast::*;
use super::params_special;
use crate::diag::Diagnostic;

/// How deeply macro expansions may nest (a recursive macro stops here).
pub const MAX_EXPANSION_DEPTH: usize = 64;
/// How many expansions one script may have (arguments used several times multiply).
pub const MAX_EXPANSIONS: u32 = 10_000;

/// Expand every macro call in `program`'s probes; the macro definitions are kept.
pub fn expand(program: &mut Program) -> Vec<Diagnostic> {
    let mut x = Expander {
        macros: program.macros.clone(),
        next_id: 0,
        depth: 0,
        diags: Vec::new(),
    };
    x.check_duplicates();
    for p in &mut program.probes {
        if let Some(pred) = &mut p.predicate {
            x.expr(pred);
        }
        x.block(&mut p.body);
    }
    x.diags
}

struct Expander {
    macros: Vec<Macro>,
    next_id: u32,
    depth: usize,
    diags: Vec<Diagnostic>,
}

/// The parts of a call that might be a macro call: name and arguments.
fn as_call(e: &Expr) -> Option<(&str, &[Expr])> {
    match &e.kind {
        ExprKind::Call { name, args } => Some((name, args)),
        ExprKind::Ident(name) => Some((name, &[])),
        _ => None,
    }
}

impl Expander {
    fn check_duplicates(&mut self) {
        for m in &self.macros {
            // `macro set(x, x)`, `macro set(@x, @x)`: a parameter named twice.
            let names: Vec<String> = m
                .params
                .iter()
                .map(|p| match p {
                    MacroParam::Var(n) => format!("${n}"),
                    MacroParam::Map(n) => format!("@{n}"),
                    MacroParam::Expr(n) => n.clone(),
                })
                .collect();
            for (j, n) in names.iter().enumerate() {
                if names[..j].contains(n) {
                    self.diags.push(Diagnostic::error(
                        m.span,
                        format!("macro `{}` names parameter `{n}` twice", m.name),
                    ));
                }
            }
        }
        for (i, m) in self.macros.iter().enumerate() {
            let dup = self.macros[..i]
                .iter()
                .any(|o| o.name == m.name && o.params.len() == m.params.len());
            if dup {
                self.diags.push(Diagnostic::error(
                    m.span,
                    format!(
                        "macro `{}` with {} parameter(s) is already defined",
                        m.name,
                        m.params.len()
                    ),
                ));
            }
        }
    }

    fn find(&self, name: &str, arity: usize) -> Option<usize> {
        self.macros
            .iter()
            .position(|m| m.name == name && m.params.len() == arity)
    }

    fn block(&mut self, b: &mut Block) {
        for s in &mut b.stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &mut Stmt) {
        match &mut s.kind {
            StmtKind::Expr(e) => {
                let call = as_call(e).and_then(|(n, a)| self.find(n, a.len()));
                if let Some(idx) = call {
                    // A call, or a bare identifier naming a macro without parameters.
                    let mut args = match &mut e.kind {
                        ExprKind::Call { args, .. } => std::mem::take(args),
                        _ => Vec::new(),
                    };
                    args.iter_mut().for_each(|a| self.expr(a));
                    if let Some(b) = self.instantiate(idx, args, e.span) {
                        s.kind = StmtKind::Block(b);
                    }
                    return;
                }
                self.expr(e);
            }
            StmtKind::Assign { target, value, .. } => {
                self.expr(target);
                self.expr(value);
            }
            StmtKind::Incr { target, .. } => self.expr(target),
            StmtKind::If { cond, then, els } => {
                self.expr(cond);
                self.block(then);
                if let Some(b) = els {
                    self.block(b);
                }
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::Let { ty, value, .. } => {
                if let Some(t) = ty {
                    self.type_name(t);
                }
                if let Some(v) = value {
                    self.expr(v);
                }
            }
            StmtKind::Return(value) => {
                if let Some(v) = value {
                    self.expr(v);
                }
            }
            StmtKind::While { cond: e, body } | StmtKind::Unroll { count: e, body } => {
                self.expr(e);
                self.block(body);
            }
            StmtKind::For { iter, body, .. } => {
                match iter {
                    ForIter::Range { start, end } => {
                        self.expr(start);
                        self.expr(end);
                    }
                    ForIter::Map(m) => self.expr(m),
                }
                self.block(body);
            }
            StmtKind::Break | StmtKind::Continue => {}
        }
    }

    /// Macro calls inside a type name's `typeof(...)` (`(typeof(mytype()))1`).
    fn type_name(&mut self, t: &mut TypeName) {
        match &mut t.base {
            TypeBase::Typeof(e) => self.expr(e),
            TypeBase::Array { elem, .. } => self.type_name(elem),
            _ => {}
        }
    }

    fn expr(&mut self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Var(_) | ExprKind::Ident(_) => {}
            ExprKind::Map { keys: list, .. }
            | ExprKind::Call { args: list, .. }
            | ExprKind::Tuple(list)
            | ExprKind::Record { values: list, .. } => list.iter_mut().for_each(|a| self.expr(a)),
            ExprKind::Field { base, .. } | ExprKind::Unary { expr: base, .. } => self.expr(base),
            ExprKind::Cast { ty, expr: base } => {
                self.type_name(ty);
                self.expr(base);
            }
            ExprKind::Index { base: a, index: b } | ExprKind::Binary { lhs: a, rhs: b, .. } => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Ternary { cond, then, els } => {
                self.expr(cond);
                self.expr(then);
                self.expr(els);
            }
            ExprKind::Block { stmts, value } => {
                stmts.iter_mut().for_each(|s| self.stmt(s));
                self.expr(value);
            }
        }
        let Some(idx) = as_call(e).and_then(|(n, a)| self.find(n, a.len())) else {
            return;
        };
        let args = match &mut e.kind {
            ExprKind::Call { args, .. } => std::mem::take(args),
            _ => Vec::new(),
        };
        let Some(mut body) = self.instantiate(idx, args, e.span) else {
            // Already reported; keep a harmless placeholder.
            e.kind = ExprKind::Int(0);
            return;
        };
        let value = match body.stmts.pop().map(block_value) {
            Some(Ok(v)) => v,
            other => {
                body.stmts.extend(other.and_then(Result::err).map(|s| *s));
                self.diags.push(Diagnostic::error(
                    e.span,
                    format!(
                        "macro `{}` does not end with an expression, so it has no value",
                        self.macros[idx].name
                    ),
                ));
                e.kind = ExprKind::Int(0);
                return;
            }
        };
        e.kind = ExprKind::Block {
            stmts: body.stmts,
            value: Box::new(value),
        };
    }

    /// The body of macro `idx` for a call with `args` (already expanded), itself
    /// expanded.
    fn instantiate(&mut self, idx: usize, args: Vec<Expr>, call: Span) -> Option<Block> {
        if self.depth >= MAX_EXPANSION_DEPTH {
            self.diags.push(Diagnostic::error(
                call,
                format!(
                    "macro expansion is nested too deeply (more than {MAX_EXPANSION_DEPTH} levels); is `{}` recursive?",
                    self.macros[idx].name
                ),
            ));
            return None;
        }
        if self.next_id >= MAX_EXPANSIONS {
            self.diags.push(Diagnostic::error(
                call,
                format!("too many macro expansions (more than {MAX_EXPANSIONS})"),
            ));
            return None;
        }
        let m = &self.macros[idx];
        let id = self.next_id;
        self.next_id += 1;
        let mut subst = Subst {
            id,
            macro_name: m.name.clone(),
            vars: Vec::new(),
            maps: Vec::new(),
            exprs: Vec::new(),
            diags: Vec::new(),
        };
        for (p, a) in m.params.iter().zip(args) {
            match (p, &a.kind) {
                (MacroParam::Var(name), ExprKind::Var(arg)) => {
                    subst.vars.push((name.clone(), arg.clone()))
                }
                (MacroParam::Map(name), ExprKind::Map { name: arg, keys }) if keys.is_empty() => {
                    subst.maps.push((name.clone(), arg.clone()))
                }
                (MacroParam::Expr(name), _) => subst.exprs.push((name.clone(), a)),
                (MacroParam::Var(name), _) => self.diags.push(Diagnostic::error(
                    a.span,
                    format!(
                        "macro `{}` expects a scratch variable for ${name}, e.g. $x",
                        m.name
                    ),
                )),
                (MacroParam::Map(name), _) => self.diags.push(Diagnostic::error(
                    a.span,
                    format!(
                        "macro `{}` expects a map without keys for @{name}, e.g. @m",
                        m.name
                    ),
                )),
            }
        }
        let mut body = m.body.clone();
        subst.block(&mut body);
        let failed = !subst.diags.is_empty();
        self.diags.append(&mut subst.diags);
        if failed {
            return None;
        }
        self.depth += 1;
        self.block(&mut body);
        self.depth -= 1;
        // The expansion stands where the call was (sema reports it as "expanded from").
        body.span = call;
        Some(body)
    }
}

/// Renames and substitutions of one expansion.
struct Subst {
    id: u32,
    macro_name: String,
    vars: Vec<(String, String)>,
    maps: Vec<(String, String)>,
    exprs: Vec<(String, Expr)>,
    diags: Vec<Diagnostic>,
}

impl Subst {
    fn var(&self, name: &str) -> String {
        if params_special(name) {
            return name.to_string();
        }
        match self.vars.iter().find(|(p, _)| p == name) {
            Some((_, a)) => a.clone(),
            None => format!("{name}#{}", self.id),
        }
    }

    fn map(&mut self, name: &str, span: Span) -> String {
        match self.maps.iter().find(|(p, _)| p == name) {
            Some((_, a)) => a.clone(),
            None => {
                self.diags.push(Diagnostic::error(
                    span,
                    format!(
                        "macro `{}` uses map @{name}, which is not one of its parameters; pass it in, e.g. macro {}(@{name})",
                        self.macro_name, self.macro_name
                    ),
                ));
                name.to_string()
            }
        }
    }

    /// A type naming an expression parameter (`t *` in `macro m(t)`) becomes the type
    /// of the argument (`typeof(arg)`); `typeof(e)` substitutes inside `e`.
    fn ty(&mut self, t: &mut TypeName) {
        match &mut t.base {
            TypeBase::Named(name) => {
                if let Some((_, arg)) = self.exprs.iter().find(|(p, _)| p == name) {
                    t.base = TypeBase::Typeof(Box::new(arg.clone()));
                }
            }
            TypeBase::Typeof(e) => self.expr(e),
            TypeBase::Array { elem, .. } => self.ty(elem),
            _ => {}
        }
    }

    fn block(&mut self, b: &mut Block) {
        for s in &mut b.stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &mut Stmt) {
        match &mut s.kind {
            StmtKind::Expr(e) | StmtKind::Incr { target: e, .. } => self.expr(e),
            StmtKind::Assign { target, value, .. } => {
                self.expr(target);
                self.expr(value);
            }
            StmtKind::If { cond, then, els } => {
                self.expr(cond);
                self.block(then);
                if let Some(b) = els {
                    self.block(b);
                }
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::Let { name, value, ty } => {
                *name = self.var(name);
                if let Some(t) = ty {
                    self.ty(t);
                }
                if let Some(v) = value {
                    self.expr(v);
                }
            }
            StmtKind::Return(value) => {
                if let Some(v) = value {
                    self.expr(v);
                }
            }
            StmtKind::While { cond: e, body } | StmtKind::Unroll { count: e, body } => {
                self.expr(e);
                self.block(body);
            }
            StmtKind::For { var, iter, body } => {
                *var = self.var(var);
                match iter {
                    ForIter::Range { start, end } => {
                        self.expr(start);
                        self.expr(end);
                    }
                    ForIter::Map(m) => self.expr(m),
                }
                self.block(body);
            }
            StmtKind::Break | StmtKind::Continue => {}
        }
    }

    fn expr(&mut self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Int(_) | ExprKind::Str(_) => {}
            ExprKind::Var(name) => *name = self.var(name),
            ExprKind::Ident(name) => {
                if let Some((_, arg)) = self.exprs.iter().find(|(p, _)| p == name) {
                    *e = arg.clone();
                }
            }
            ExprKind::Map { name, keys } => {
                *name = self.map(name, e.span);
                keys.iter_mut().for_each(|k| self.expr(k));
            }
            ExprKind::Call { args, .. }
            | ExprKind::Tuple(args)
            | ExprKind::Record { values: args, .. } => args.iter_mut().for_each(|a| self.expr(a)),
            ExprKind::Cast { ty, expr: base } => {
                self.ty(ty);
                self.expr(base);
            }
            ExprKind::Field { base, .. } | ExprKind::Unary { expr: base, .. } => self.expr(base),
            ExprKind::Index { base: a, index: b } | ExprKind::Binary { lhs: a, rhs: b, .. } => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Ternary { cond, then, els } => {
                self.expr(cond);
                self.expr(then);
                self.expr(els);
            }
            ExprKind::Block { stmts, value } => {
                stmts.iter_mut().for_each(|s| self.stmt(s));
                self.expr(value);
            }
        }
    }
}

/// The value a block's last statement `s` gives: an expression, or a block (a macro
/// call expanded in statement position, `macro two() { one() }`, or a nested block)
/// whose own last statement gives one. `Err(s)` when it gives none.
fn block_value(s: Stmt) -> Result<Expr, Box<Stmt>> {
    let span = s.span;
    match s.kind {
        StmtKind::Expr(v) => Ok(v),
        StmtKind::Block(mut b) => match b.stmts.pop().map(block_value) {
            Some(Ok(value)) => Ok(Expr {
                kind: ExprKind::Block {
                    stmts: b.stmts,
                    value: Box::new(value),
                },
                span,
            }),
            last => {
                b.stmts.extend(last.and_then(Result::err).map(|l| *l));
                Err(Box::new(Stmt {
                    kind: StmtKind::Block(b),
                    span,
                }))
            }
        },
        kind => Err(Box::new(Stmt { kind, span })),
    }
}
