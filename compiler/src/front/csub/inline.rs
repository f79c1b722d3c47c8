//! Calls of imported C functions become block expressions of the script language,
//! inlined at each call site:
//!
//! ```text
//! int add(int a, int b) { return a + b; }     print(add(1, 2))
//!   ⇒ print({ let $__c0_a_0 = (int64)(int32)(1); ...; (int32)($__c0_a_0 + $__c0_b_1) })
//! ```
//!
//! Integer variables are 64 bits wide and every store truncates to the declared C
//! type first, so values wrap as in C; pointer variables hold the script's pointer
//! types, so `p->f`, `*p`, `p[i]` and `p + n` are the script's (CO-RE) reads and
//! pointer arithmetic. A struct or array local is held as one script variable per
//! scalar leaf (`places.rs`). The BPF helpers a C file calls become the script's
//! builtins and reads (`helpers.rs`). A function whose only `return` is its last
//! statement yields that value directly; otherwise returns set a result variable and
//! a "returned" flag that guards the statements after them and ends the loops
//! around them.

use super::places::{Arg, Local, Place};
use super::types::RecordTable;
use super::{unsupported, CConst, CExpr, CFunc, CStmt, CStmtKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::*;
use std::collections::HashMap;

/// How deep inlined calls may nest (C recursion cannot be inlined).
const MAX_INLINE_DEPTH: usize = 16;

/// Replace the calls of `funcs` in every probe of `program` by their bodies (which
/// read the globals `consts`).
pub fn inline(
    program: &mut Program,
    funcs: &[CFunc],
    consts: &[CConst],
    maps: &[super::CMap],
) -> Vec<Diagnostic> {
    if funcs.is_empty() {
        return Vec::new();
    }
    let table = RecordTable::new(&program.c_definitions);
    let mut cx = Inliner {
        funcs: funcs.iter().map(|f| (f.name.as_str(), f)).collect(),
        next_id: 0,
        active: Vec::new(),
        diags: Vec::new(),
        table: &table,
        consts: consts.iter().map(|c| (c.name.as_str(), c)).collect(),
        maps: maps.iter().map(|m| (m.name.as_str(), m)).collect(),
        used_maps: Vec::new(),
    };
    for p in &mut program.probes {
        if let Some(pred) = &mut p.predicate {
            cx.script_expr(pred);
        }
        cx.script_block(&mut p.body.stmts);
    }
    super::helpers_map::declare_maps(program, &cx.used_maps, &table, &mut cx.diags);
    // A function inlined at several calls reports each of its errors once.
    let mut seen = std::collections::HashSet::new();
    cx.diags
        .into_iter()
        .filter(|d| seen.insert((d.span.start, d.span.end, d.message.clone())))
        .collect()
}

pub(super) struct Inliner<'a> {
    pub(super) funcs: HashMap<&'a str, &'a CFunc>,
    next_id: u32,
    /// The functions being inlined (recursion check).
    active: Vec<&'a str>,
    pub(super) diags: Vec<Diagnostic>,
    pub(super) table: &'a RecordTable,
    pub(super) consts: HashMap<&'a str, &'a CConst>,
    /// The file's BPF maps by name (script maps).
    pub(super) maps: HashMap<&'a str, &'a super::CMap>,
    /// The maps the inlined code uses (declared for the script at the end).
    pub(super) used_maps: Vec<&'a super::CMap>,
}

/// One inlined call: its variables and whether it needs the return flag.
pub(super) struct Frame<'a> {
    func: &'a CFunc,
    prefix: String,
    pub(super) scopes: Vec<HashMap<String, Local>>,
    count: u32,
    pub(super) flagged: bool,
    /// Steps of the enclosing loops (a `continue` runs them first).
    pub(super) steps: Vec<Vec<CStmt>>,
    /// What a `break` ends, innermost last: a loop (`None`) or a `switch` (the
    /// name of its "broken" flag).
    pub(super) breaks: Vec<Option<String>>,
    /// For a function returning a struct: the prefix of the caller's local its
    /// `return` copies into.
    pub(super) out: Option<String>,
    /// Variables shared by the whole function (`helpers_map_array.rs`: a copy of
    /// a struct map element while one of its members is written), by what they
    /// are for.
    pub(super) shared: HashMap<String, String>,
    /// Their declarations, put at the start of the function.
    pub(super) prelude: Vec<Stmt>,
}

pub(super) fn expr(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

pub(super) fn stmt(kind: StmtKind, span: Span) -> Stmt {
    Stmt { kind, span }
}

pub(super) fn var(name: &str, span: Span) -> Expr {
    expr(ExprKind::Var(name.to_string()), span)
}

pub(super) fn int(v: u64, span: Span) -> Expr {
    expr(ExprKind::Int(v), span)
}

pub(super) fn let_(name: String, value: Expr, span: Span) -> Stmt {
    stmt(
        StmtKind::Let {
            name,
            ty: None,
            value: Some(value),
        },
        span,
    )
}

pub(super) fn assign(name: &str, value: Expr, span: Span) -> Stmt {
    stmt(
        StmtKind::Assign {
            target: var(name, span),
            op: None,
            value,
        },
        span,
    )
}

pub(super) fn cast(bits: u8, signed: bool, e: Expr) -> Expr {
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

pub(super) fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
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

/// `e` as a value of the scalar type `ty`, integers widened to the 64-bit register
/// the variables hold.
pub(super) fn store(ty: &CType, e: Expr) -> Expr {
    let span = e.span;
    match ty {
        CType::Int { bits: 64, signed } => cast(64, *signed, e),
        CType::Int { bits, signed } => cast(64, *signed, cast(*bits, *signed, e)),
        CType::Ptr(_) => match ty.script_type(span) {
            Some(t) => expr(
                ExprKind::Cast {
                    ty: t,
                    expr: Box::new(e),
                },
                span,
            ),
            None => e,
        },
        _ => expr(
            ExprKind::Ternary {
                cond: Box::new(e),
                then: Box::new(int(1, span)),
                els: Box::new(int(0, span)),
            },
            span,
        ),
    }
}

fn wide(ty: &CType) -> bool {
    !matches!(
        ty,
        CType::Int {
            bits: 64,
            signed: false
        }
    )
}

/// Whether evaluating `e` has no effect.
fn pure(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Var(_) => true,
        ExprKind::Cast { expr, .. } | ExprKind::Unary { expr, .. } => pure(expr),
        ExprKind::Binary { lhs, rhs, .. } => pure(lhs) && pure(rhs),
        _ => false,
    }
}

/// The statements evaluating `e` for its effects only (an inlined call's block
/// without its value).
pub(super) fn discard(e: Expr) -> Vec<Stmt> {
    let span = e.span;
    match e.kind {
        ExprKind::Block { mut stmts, value } => {
            if !pure(&value) {
                stmts.push(stmt(StmtKind::Expr(*value), span));
            }
            vec![stmt(StmtKind::Block(Block { stmts, span }), span)]
        }
        _ if pure(&e) => Vec::new(),
        kind => vec![stmt(StmtKind::Expr(expr(kind, span)), span)],
    }
}

/// Whether a `return` occurs in `stmts`.
pub(super) fn returns(stmts: &[CStmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        CStmtKind::Return(_) => true,
        CStmtKind::If { then, els, .. } => returns(then) || els.as_deref().is_some_and(returns),
        CStmtKind::While { body, .. }
        | CStmtKind::DoWhile { body, .. }
        | CStmtKind::Block(body) => returns(body),
        CStmtKind::Switch { sections, .. } => sections.iter().any(|s| returns(&s.body)),
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
                    let args = args
                        .into_iter()
                        .zip(
                            f.params
                                .iter()
                                .map(|p| p.ty.is_scalar())
                                .chain(std::iter::repeat(true)),
                        )
                        .map(|(a, scalar)| {
                            if scalar {
                                Arg::Value(a)
                            } else {
                                // A struct from the script (`*$p`): its fields are read.
                                Arg::Record(Place::Mem { expr: a, ty: None })
                            }
                        })
                        .collect();
                    let inlined = if f.ret.is_scalar() || f.ret == CType::Void {
                        self.call(f, args, None, e.span)
                    } else {
                        self.script_record_call(f, args, e.span)
                    };
                    if let Some(inlined) = inlined {
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
    pub(super) fn call(
        &mut self,
        f: &'a CFunc,
        args: Vec<Arg>,
        out: Option<&str>,
        span: Span,
    ) -> Option<Expr> {
        if args.len() != f.params.len() {
            self.diags
                .push(super::arity(span, &f.name, f.params.len(), args.len()));
            return None;
        }
        if self.active.contains(&f.name.as_str()) || self.active.len() >= MAX_INLINE_DEPTH {
            self.diags.push(unsupported(
                f.span,
                "recursive calls (functions are inlined)",
            ));
            return None;
        }
        let record_ret = !(f.ret.is_scalar() || f.ret == CType::Void);
        if record_ret && out.is_none() {
            self.diags.push(unsupported(
                span,
                &format!(
                    "using a `{}` returned by value other than to initialize or assign a local, or in the script",
                    f.ret.spelling()
                ),
            ));
            return None;
        }
        self.active.push(&f.name);
        let id = self.next_id;
        self.next_id += 1;
        let last_only = !record_ret
            && match f.body.split_last() {
                Some((last, rest)) => {
                    matches!(last.kind, CStmtKind::Return(Some(_))) && !returns(rest)
                }
                None => false,
            };
        let mut fr = Frame {
            func: f,
            prefix: format!("__c{id}_"),
            scopes: vec![HashMap::new()],
            count: 0,
            flagged: !last_only && returns(&f.body),
            steps: Vec::new(),
            breaks: Vec::new(),
            out: out.map(str::to_string),
            shared: HashMap::new(),
            prelude: Vec::new(),
        };
        let mut out = Vec::new();
        for (p, a) in f.params.iter().zip(args) {
            match a {
                // (An error already reported.)
                Arg::Value(_) if !p.ty.is_scalar() => {
                    out.extend(self.record_param(&mut fr, p, None))
                }
                Arg::Value(a) => {
                    let name = fr.declare(&p.name, p.ty.clone());
                    out.push(let_(name, store(&p.ty, a), p.span));
                }
                Arg::Alias(target) => fr.declare_alias(&p.name, p.ty.clone(), target),
                Arg::Record(from) => out.extend(self.record_param(&mut fr, p, Some(from))),
            }
        }
        let ret_name = format!("{}ret", fr.prefix);
        let done_name = format!("{}done", fr.prefix);
        let result = if last_only {
            let (last, rest) = f.body.split_last().expect("checked above");
            out.extend(self.stmts(&mut fr, rest));
            let CStmtKind::Return(Some(v)) = &last.kind else {
                unreachable!("checked above")
            };
            let v = self.value(&mut fr, v);
            if f.ret == CType::Void {
                out.push(stmt(StmtKind::Expr(v), last.span));
                int(0, span)
            } else {
                out.push(let_(ret_name.clone(), store(&f.ret, v), last.span));
                var(&ret_name, span)
            }
        } else {
            if fr.flagged {
                let zero = match &f.ret {
                    CType::Ptr(_) => store(&f.ret, int(0, f.span)),
                    t if wide(t) => cast(64, true, int(0, f.span)),
                    _ => cast(64, false, int(0, f.span)),
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
        let prelude = std::mem::take(&mut fr.prelude);
        out.splice(0..0, prelude);
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

    /// A prefix for variables of no call (a struct returned to the script).
    pub(super) fn fresh_prefix(&mut self) -> String {
        let id = self.next_id;
        self.next_id += 1;
        format!("__c{id}_")
    }

    pub(super) fn stmts(&mut self, fr: &mut Frame<'a>, stmts: &[CStmt]) -> Vec<Stmt> {
        let mut out = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            out.extend(self.stmt(fr, s));
            let rest = &stmts[i + 1..];
            let one = std::slice::from_ref(s);
            let returned = fr.flagged && returns(one);
            let broken = match fr.breaks.last() {
                Some(Some(flag)) if super::inline_ctl::breaks_switch(one) => Some(flag.clone()),
                _ => None,
            };
            if !rest.is_empty() && (returned || broken.is_some()) {
                let not_set = |name: &str| binary(BinOp::Eq, var(name, s.span), int(0, s.span));
                let cond = match (returned, broken) {
                    (true, Some(flag)) => {
                        binary(BinOp::LogAnd, not_set(&fr.done()), not_set(&flag))
                    }
                    (true, None) => not_set(&fr.done()),
                    (false, Some(flag)) => not_set(&flag),
                    (false, None) => unreachable!("checked above"),
                };
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

    pub(super) fn scoped(&mut self, fr: &mut Frame<'a>, stmts: &[CStmt], span: Span) -> Block {
        fr.scopes.push(HashMap::new());
        let stmts = self.stmts(fr, stmts);
        fr.scopes.pop();
        Block { stmts, span }
    }

    fn stmt(&mut self, fr: &mut Frame<'a>, s: &CStmt) -> Vec<Stmt> {
        let sp = s.span;
        let one = |kind| vec![stmt(kind, sp)];
        match &s.kind {
            CStmtKind::Decl { name, ty, init } => self.declare(fr, name, ty, init.as_ref(), sp),
            CStmtKind::Expr(e) => {
                let e = self.value(fr, e);
                discard(e)
            }
            CStmtKind::Assign { target, op, value } => self.assign_to(fr, target, *op, value, sp),
            CStmtKind::Incr { target, delta } => {
                let op = if *delta > 0 { BinOp::Add } else { BinOp::Sub };
                let one = CExpr {
                    kind: super::CExprKind::Int(1),
                    span: sp,
                };
                self.assign_to(fr, target, Some(op), &one, sp)
            }
            CStmtKind::If { cond, then, els } => {
                let cond = self.truth(fr, cond);
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
                fr.breaks.push(None);
                let body = self.scoped(fr, body, sp);
                fr.breaks.pop();
                fr.steps.pop();
                one(StmtKind::While { cond, body })
            }
            CStmtKind::DoWhile { body, cond } => self.do_while(fr, body, cond, sp),
            CStmtKind::Switch { value, sections } => self.switch(fr, value, sections, sp),
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
                fr.breaks.push(None);
                let mut inner = self.scoped(fr, body, sp);
                fr.breaks.pop();
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
                let v = match (value, &func.ret) {
                    (Some(_), CType::Void) => {
                        self.diags.push(Diagnostic::error(
                            sp,
                            format!("void function '{}' should not return a value", func.name),
                        ));
                        return Vec::new();
                    }
                    (None, CType::Void) => None,
                    (Some(e), ty) if !ty.is_scalar() => {
                        let mut out = self.return_record(fr, e, sp);
                        out.push(assign(&fr.done(), int(1, sp), sp));
                        if !fr.steps.is_empty() {
                            out.push(stmt(StmtKind::Break, sp));
                        }
                        return out;
                    }
                    (Some(e), ty) => Some(store(ty, self.value(fr, e))),
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
            CStmtKind::Break if fr.breaks.is_empty() => {
                self.diags.push(Diagnostic::error(
                    sp,
                    "'break' statement not in loop or switch statement",
                ));
                Vec::new()
            }
            CStmtKind::Continue if fr.steps.is_empty() => {
                self.diags.push(Diagnostic::error(
                    sp,
                    "'continue' statement not in loop statement",
                ));
                Vec::new()
            }
            CStmtKind::Break => match fr.breaks.last() {
                Some(Some(flag)) => vec![assign(flag, int(1, sp), sp)],
                _ => one(StmtKind::Break),
            },
            // (`goto.rs` rewrote every one before inlining.)
            CStmtKind::Goto(_) | CStmtKind::Label(_) => {
                self.diags.push(unsupported(sp, "this `goto`"));
                Vec::new()
            }
            CStmtKind::Continue => {
                let step = fr.steps.last().cloned().unwrap_or_default();
                let mut out = self.stmts(fr, &step);
                out.push(stmt(StmtKind::Continue, sp));
                out
            }
        }
    }

    /// A loop condition, which also ends the loop once the function returned.
    pub(super) fn loop_cond(&mut self, fr: &mut Frame<'a>, cond: Option<&CExpr>, sp: Span) -> Expr {
        let c = match cond {
            Some(c) => self.truth(fr, c),
            None => int(1, sp),
        };
        if fr.flagged {
            let not_done = binary(BinOp::Eq, var(&fr.done(), sp), int(0, sp));
            binary(BinOp::LogAnd, not_done, c)
        } else {
            c
        }
    }
}

impl<'a> Frame<'a> {
    /// A script name for the local `name` of type `ty`, visible in the current scope.
    pub(super) fn declare(&mut self, name: &str, ty: CType) -> String {
        let script = format!("{}{}_{name}", self.prefix, self.count);
        self.count += 1;
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(
                name.to_string(),
                Local {
                    script: script.clone(),
                    ty,
                    alias: None,
                },
            );
        }
        script
    }

    /// A fresh script variable for a temporary.
    pub(super) fn temp(&mut self) -> String {
        let script = format!("{}{}_", self.prefix, self.count);
        self.count += 1;
        script
    }

    /// The pointer parameter `name`, standing for the caller's local `target`.
    pub(super) fn declare_alias(&mut self, name: &str, ty: CType, target: Place) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(
                name.to_string(),
                Local {
                    script: String::new(),
                    ty,
                    alias: Some(target),
                },
            );
        }
    }

    pub(super) fn local(&self, name: &str) -> Option<&Local> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }
    fn ret(&self) -> String {
        format!("{}ret", self.prefix)
    }
    pub(super) fn func_ret(&self) -> CType {
        self.func.ret.clone()
    }
    /// Whether `name` is a global aggregate of zeros copied at the start of the
    /// function (`globals.rs`).
    pub(super) fn zero_global(&self, name: &str) -> bool {
        self.func.zero_globals.iter().any(|g| g == name)
    }
    pub(super) fn func_body(&self) -> &'a [super::CStmt] {
        &self.func.body
    }
    pub(super) fn done(&self) -> String {
        format!("{}done", self.prefix)
    }
}
