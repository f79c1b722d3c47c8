//! Calls of imported C functions become block expressions of the script language,
//! inlined at each call site:
//!
//! ```text
//! int add(int a, int b) { return a + b; }     print(add(1, 2))
//!   ⇒ print({ let $__c0_a_0 = (int64)(int32)(1); ...; (int32)($__c0_a_0 + $__c0_b_1) })
//! ```
//!
//! Variables are 64 bits wide and every store truncates to the declared C type
//! first, so values wrap as in C. A function whose only `return` is its last
//! statement yields that value directly; otherwise returns set a result variable and
//! a "returned" flag that guards the statements after them and ends the loops
//! around them.

use super::{unsupported, CExpr, CExprKind, CFunc, CStmt, CStmtKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::*;
use std::collections::HashMap;

/// How deep inlined calls may nest (C recursion cannot be inlined).
const MAX_INLINE_DEPTH: usize = 16;

/// Replace the calls of `funcs` in every probe of `program` by their bodies.
pub fn inline(program: &mut Program, funcs: &[CFunc]) -> Vec<Diagnostic> {
    let mut cx = Inliner {
        funcs: funcs.iter().map(|f| (f.name.as_str(), f)).collect(),
        next_id: 0,
        active: Vec::new(),
        diags: Vec::new(),
    };
    if funcs.is_empty() {
        return Vec::new();
    }
    for p in &mut program.probes {
        if let Some(pred) = &mut p.predicate {
            cx.script_expr(pred);
        }
        cx.script_block(&mut p.body.stmts);
    }
    cx.diags
}

struct Inliner<'a> {
    funcs: HashMap<&'a str, &'a CFunc>,
    next_id: u32,
    /// The functions being inlined (recursion check).
    active: Vec<&'a str>,
    diags: Vec<Diagnostic>,
}

/// One inlined call: its variables and whether it needs the return flag.
struct Frame<'a> {
    func: &'a CFunc,
    prefix: String,
    scopes: Vec<HashMap<String, (String, CType)>>,
    count: u32,
    flagged: bool,
    /// Steps of the enclosing `for` loops (a `continue` runs them first).
    steps: Vec<Vec<CStmt>>,
}

fn expr(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

fn stmt(kind: StmtKind, span: Span) -> Stmt {
    Stmt { kind, span }
}

fn var(name: &str, span: Span) -> Expr {
    expr(ExprKind::Var(name.to_string()), span)
}

fn int(v: u64, span: Span) -> Expr {
    expr(ExprKind::Int(v), span)
}

fn cast(bits: u8, signed: bool, e: Expr) -> Expr {
    let span = e.span;
    expr(
        ExprKind::Cast {
            ty: TypeName {
                base: TypeBase::Int { bits, signed },
                pointers: 0,
                span,
            },
            expr: Box::new(e),
        },
        span,
    )
}

fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.to(rhs.span);
    expr(
        ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    )
}

/// `e` as a value of type `ty`, widened to the 64-bit register the variables hold.
fn store(ty: CType, e: Expr) -> Expr {
    match ty {
        CType::Bool | CType::Void => {
            let span = e.span;
            expr(
                ExprKind::Ternary {
                    cond: Box::new(e),
                    then: Box::new(int(1, span)),
                    els: Box::new(int(0, span)),
                },
                span,
            )
        }
        CType::Int { bits: 64, signed } => cast(64, signed, e),
        CType::Int { bits, signed } => cast(64, signed, cast(bits, signed, e)),
    }
}

fn wide(ty: CType) -> bool {
    !matches!(
        ty,
        CType::Int {
            bits: 64,
            signed: false
        }
    )
}

/// Whether a `return` occurs in `stmts`.
fn returns(stmts: &[CStmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        CStmtKind::Return(_) => true,
        CStmtKind::If { then, els, .. } => returns(then) || els.as_deref().is_some_and(returns),
        CStmtKind::While { body, .. } | CStmtKind::Block(body) => returns(body),
        CStmtKind::For {
            init, step, body, ..
        } => returns(init) || returns(step) || returns(body),
        _ => false,
    })
}

impl<'a> Inliner<'a> {
    fn script_block(&mut self, stmts: &mut [Stmt]) {
        for s in stmts {
            self.script_stmt(s);
        }
    }

    fn script_stmt(&mut self, s: &mut Stmt) {
        match &mut s.kind {
            StmtKind::Expr(e) | StmtKind::Return(Some(e)) => self.script_expr(e),
            StmtKind::Assign { target, value, .. } => {
                self.script_expr(target);
                self.script_expr(value);
            }
            StmtKind::Incr { target, .. } => self.script_expr(target),
            StmtKind::If { cond, then, els } => {
                self.script_expr(cond);
                self.script_block(&mut then.stmts);
                if let Some(b) = els {
                    self.script_block(&mut b.stmts);
                }
            }
            StmtKind::Block(b) => self.script_block(&mut b.stmts),
            StmtKind::Let { value, .. } => {
                if let Some(v) = value {
                    self.script_expr(v);
                }
            }
            StmtKind::While { cond: e, body } | StmtKind::Unroll { count: e, body } => {
                self.script_expr(e);
                self.script_block(&mut body.stmts);
            }
            StmtKind::For { iter, body, .. } => {
                match iter {
                    ForIter::Range { start, end } => {
                        self.script_expr(start);
                        self.script_expr(end);
                    }
                    ForIter::Map(m) => self.script_expr(m),
                }
                self.script_block(&mut body.stmts);
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) => {}
        }
    }

    fn script_expr(&mut self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Ident(_) | ExprKind::Var(_) => {}
            ExprKind::Map { keys: list, .. }
            | ExprKind::Tuple(list)
            | ExprKind::Record { values: list, .. } => {
                list.iter_mut().for_each(|x| self.script_expr(x))
            }
            ExprKind::Call { name, args } => {
                args.iter_mut().for_each(|x| self.script_expr(x));
                if let Some(f) = self.funcs.get(name.as_str()).copied() {
                    let args = std::mem::take(args);
                    if let Some(inlined) = self.call(f, args, e.span) {
                        *e = inlined;
                    }
                }
            }
            ExprKind::Field { base, .. } | ExprKind::Unary { expr: base, .. } => {
                self.script_expr(base)
            }
            ExprKind::Cast { ty, expr } => {
                if let TypeBase::Typeof(t) = &mut ty.base {
                    self.script_expr(t);
                }
                self.script_expr(expr);
            }
            ExprKind::Index { base: a, index: b } | ExprKind::Binary { lhs: a, rhs: b, .. } => {
                self.script_expr(a);
                self.script_expr(b);
            }
            ExprKind::Ternary { cond, then, els } => {
                self.script_expr(cond);
                self.script_expr(then);
                self.script_expr(els);
            }
            ExprKind::Block { stmts, value } => {
                self.script_block(stmts);
                self.script_expr(value);
            }
        }
    }

    /// The block expression of a call of `f` with (already translated) `args`.
    fn call(&mut self, f: &'a CFunc, args: Vec<Expr>, span: Span) -> Option<Expr> {
        if args.len() != f.params.len() {
            self.diags.push(Diagnostic::error(
                span,
                format!(
                    "{}() takes {} argument{}, not {}",
                    f.name,
                    f.params.len(),
                    if f.params.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            ));
            return None;
        }
        if self.active.contains(&f.name.as_str()) || self.active.len() >= MAX_INLINE_DEPTH {
            self.diags.push(unsupported(
                f.span,
                "recursive calls (functions are inlined)",
            ));
            return None;
        }
        self.active.push(&f.name);
        let id = self.next_id;
        self.next_id += 1;
        let last_only = match f.body.split_last() {
            Some((last, rest)) => matches!(last.kind, CStmtKind::Return(Some(_))) && !returns(rest),
            None => false,
        };
        let mut fr = Frame {
            func: f,
            prefix: format!("__c{id}_"),
            scopes: vec![HashMap::new()],
            count: 0,
            flagged: !last_only && returns(&f.body),
            steps: Vec::new(),
        };
        let mut out = Vec::new();
        for (p, a) in f.params.iter().zip(args) {
            let name = fr.declare(&p.name, p.ty);
            out.push(stmt(
                StmtKind::Let {
                    name,
                    ty: None,
                    value: Some(store(p.ty, a)),
                },
                p.span,
            ));
        }
        let ret_name = format!("{}ret", fr.prefix);
        let done_name = format!("{}done", fr.prefix);
        let result = if last_only {
            let (last, rest) = f.body.split_last().expect("checked above");
            out.extend(self.stmts(&mut fr, rest));
            let CStmtKind::Return(Some(v)) = &last.kind else {
                unreachable!("checked above")
            };
            let v = self.expr(&mut fr, v);
            if f.ret == CType::Void {
                out.push(stmt(StmtKind::Expr(v), last.span));
                int(0, span)
            } else {
                out.push(stmt(
                    StmtKind::Let {
                        name: ret_name.clone(),
                        ty: None,
                        value: Some(store(f.ret, v)),
                    },
                    last.span,
                ));
                var(&ret_name, span)
            }
        } else {
            if fr.flagged {
                let zero = if wide(f.ret) {
                    cast(64, true, int(0, f.span))
                } else {
                    cast(64, false, int(0, f.span))
                };
                for (name, value) in [(&ret_name, zero), (&done_name, int(0, f.span))] {
                    out.push(stmt(
                        StmtKind::Let {
                            name: name.clone(),
                            ty: None,
                            value: Some(value),
                        },
                        f.span,
                    ));
                }
            }
            out.extend(self.stmts(&mut fr, &f.body));
            if fr.flagged {
                var(&ret_name, span)
            } else {
                int(0, span)
            }
        };
        self.active.pop();
        let value = match f.ret {
            CType::Int { bits, signed } if bits < 64 => cast(bits, signed, result),
            CType::Bool => binary(BinOp::Ne, result, int(0, span)),
            _ => result,
        };
        Some(expr(
            ExprKind::Block {
                stmts: out,
                value: Box::new(value),
            },
            span,
        ))
    }

    fn stmts(&mut self, fr: &mut Frame<'a>, stmts: &[CStmt]) -> Vec<Stmt> {
        let mut out = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            out.extend(self.stmt(fr, s));
            let rest = &stmts[i + 1..];
            if fr.flagged && !rest.is_empty() && returns(std::slice::from_ref(s)) {
                let cond = binary(BinOp::Eq, var(&fr.done(), s.span), int(0, s.span));
                let then = self.stmts(fr, rest);
                let span = rest[0].span.to(rest[rest.len() - 1].span);
                out.push(stmt(
                    StmtKind::If {
                        cond,
                        then: Block { stmts: then, span },
                        els: None,
                    },
                    span,
                ));
                break;
            }
        }
        out
    }

    fn scoped(&mut self, fr: &mut Frame<'a>, stmts: &[CStmt], span: Span) -> Block {
        fr.scopes.push(HashMap::new());
        let stmts = self.stmts(fr, stmts);
        fr.scopes.pop();
        Block { stmts, span }
    }

    fn stmt(&mut self, fr: &mut Frame<'a>, s: &CStmt) -> Vec<Stmt> {
        let sp = s.span;
        let one = |kind| vec![stmt(kind, sp)];
        match &s.kind {
            CStmtKind::Decl { name, ty, init } => {
                let value = match init {
                    Some(e) => self.expr(fr, e),
                    None => int(0, sp),
                };
                let name = fr.declare(name, *ty);
                one(StmtKind::Let {
                    name,
                    ty: None,
                    value: Some(store(*ty, value)),
                })
            }
            CStmtKind::Expr(e) => {
                let e = self.expr(fr, e);
                one(StmtKind::Expr(e))
            }
            CStmtKind::Assign { name, op, value } => {
                let Some((target, ty)) = self.lookup(fr, name, sp) else {
                    return Vec::new();
                };
                let mut v = self.expr(fr, value);
                if let Some(op) = op {
                    v = binary(*op, var(&target, sp), v);
                }
                one(StmtKind::Assign {
                    target: var(&target, sp),
                    op: None,
                    value: store(ty, v),
                })
            }
            CStmtKind::Incr { name, delta } => {
                let Some((target, ty)) = self.lookup(fr, name, sp) else {
                    return Vec::new();
                };
                let op = if *delta > 0 { BinOp::Add } else { BinOp::Sub };
                let v = binary(op, var(&target, sp), int(1, sp));
                one(StmtKind::Assign {
                    target: var(&target, sp),
                    op: None,
                    value: store(ty, v),
                })
            }
            CStmtKind::If { cond, then, els } => {
                let cond = self.expr(fr, cond);
                let then = self.scoped(fr, then, sp);
                let els = els.as_ref().map(|b| self.scoped(fr, b, sp));
                one(StmtKind::If { cond, then, els })
            }
            CStmtKind::Block(b) => {
                let b = self.scoped(fr, b, sp);
                one(StmtKind::Block(b))
            }
            CStmtKind::While { cond, body } => {
                let cond = self.loop_cond(fr, Some(cond), sp);
                fr.steps.push(Vec::new());
                let body = self.scoped(fr, body, sp);
                fr.steps.pop();
                one(StmtKind::While { cond, body })
            }
            CStmtKind::For {
                init,
                cond,
                step,
                body,
            } => {
                fr.scopes.push(HashMap::new());
                let mut out = self.stmts(fr, init);
                let cond = self.loop_cond(fr, cond.as_ref(), sp);
                fr.steps.push(step.clone());
                let mut inner = self.scoped(fr, body, sp);
                fr.steps.pop();
                inner.stmts.extend(self.stmts(fr, step));
                fr.scopes.pop();
                out.push(stmt(StmtKind::While { cond, body: inner }, sp));
                vec![stmt(
                    StmtKind::Block(Block {
                        stmts: out,
                        span: sp,
                    }),
                    sp,
                )]
            }
            CStmtKind::Return(value) => {
                let func = fr.func;
                let v = match (value, func.ret) {
                    (Some(_), CType::Void) => {
                        self.diags.push(Diagnostic::error(
                            sp,
                            format!("void function '{}' should not return a value", func.name),
                        ));
                        return Vec::new();
                    }
                    (None, CType::Void) => None,
                    (Some(e), ty) => Some(store(ty, self.expr(fr, e))),
                    (None, _) => {
                        self.diags.push(Diagnostic::error(
                            sp,
                            format!("non-void function '{}' should return a value", func.name),
                        ));
                        return Vec::new();
                    }
                };
                let mut out = Vec::new();
                if let Some(v) = v {
                    out.push(stmt(
                        StmtKind::Assign {
                            target: var(&fr.ret(), sp),
                            op: None,
                            value: v,
                        },
                        sp,
                    ));
                }
                out.push(stmt(
                    StmtKind::Assign {
                        target: var(&fr.done(), sp),
                        op: None,
                        value: int(1, sp),
                    },
                    sp,
                ));
                if !fr.steps.is_empty() {
                    out.push(stmt(StmtKind::Break, sp));
                }
                out
            }
            CStmtKind::Break | CStmtKind::Continue if fr.steps.is_empty() => {
                let what = if s.kind == CStmtKind::Break {
                    "break"
                } else {
                    "continue"
                };
                self.diags.push(Diagnostic::error(
                    sp,
                    format!("'{what}' statement not in loop statement"),
                ));
                Vec::new()
            }
            CStmtKind::Break => one(StmtKind::Break),
            CStmtKind::Continue => {
                let step = fr.steps.last().cloned().unwrap_or_default();
                let mut out = self.stmts(fr, &step);
                out.push(stmt(StmtKind::Continue, sp));
                out
            }
        }
    }

    /// A loop condition, which also ends the loop once the function returned.
    fn loop_cond(&mut self, fr: &mut Frame<'a>, cond: Option<&CExpr>, sp: Span) -> Expr {
        let c = match cond {
            Some(c) => self.expr(fr, c),
            None => int(1, sp),
        };
        if fr.flagged {
            let not_done = binary(BinOp::Eq, var(&fr.done(), sp), int(0, sp));
            binary(BinOp::LogAnd, not_done, c)
        } else {
            c
        }
    }

    fn lookup(&mut self, fr: &Frame<'a>, name: &str, sp: Span) -> Option<(String, CType)> {
        let found = fr.scopes.iter().rev().find_map(|s| s.get(name)).cloned();
        if found.is_none() {
            self.diags.push(Diagnostic::error(
                sp,
                format!("use of undeclared identifier '{name}'"),
            ));
        }
        found
    }

    fn expr(&mut self, fr: &mut Frame<'a>, e: &CExpr) -> Expr {
        let sp = e.span;
        match &e.kind {
            CExprKind::Int(v) => int(*v, sp),
            CExprKind::Var(name) => match self.lookup(fr, name, sp) {
                Some((v, _)) => var(&v, sp),
                None => int(0, sp),
            },
            CExprKind::Call { name, args } => {
                let args: Vec<Expr> = args.iter().map(|a| self.expr(fr, a)).collect();
                match self.funcs.get(name.as_str()).copied() {
                    Some(f) => self.call(f, args, sp).unwrap_or_else(|| int(0, sp)),
                    None => {
                        self.diags.push(unsupported(
                            sp,
                            &format!("a call of '{name}', which is not a function of this file"),
                        ));
                        int(0, sp)
                    }
                }
            }
            CExprKind::Unary { op, expr: inner } => {
                let inner = self.expr(fr, inner);
                expr(
                    ExprKind::Unary {
                        op: *op,
                        expr: Box::new(inner),
                    },
                    sp,
                )
            }
            CExprKind::Binary { op, lhs, rhs } => {
                let l = self.expr(fr, lhs);
                let r = self.expr(fr, rhs);
                let mut b = binary(*op, l, r);
                b.span = sp;
                b
            }
            CExprKind::Ternary { cond, then, els } => {
                let c = self.expr(fr, cond);
                let t = self.expr(fr, then);
                let f = self.expr(fr, els);
                expr(
                    ExprKind::Ternary {
                        cond: Box::new(c),
                        then: Box::new(t),
                        els: Box::new(f),
                    },
                    sp,
                )
            }
            CExprKind::Cast { ty, expr: inner } => {
                let inner = self.expr(fr, inner);
                match ty {
                    CType::Int { bits, signed } => cast(*bits, *signed, inner),
                    CType::Bool => binary(BinOp::Ne, inner, int(0, sp)),
                    CType::Void => inner,
                }
            }
        }
    }
}

impl Frame<'_> {
    fn declare(&mut self, name: &str, ty: CType) -> String {
        let script = format!("{}{name}_{}", self.prefix, self.count);
        self.count += 1;
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), (script.clone(), ty));
        }
        script
    }
    fn ret(&self) -> String {
        format!("{}ret", self.prefix)
    }
    fn done(&self) -> String {
        format!("{}done", self.prefix)
    }
}
