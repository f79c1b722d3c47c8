//! `goto` and labels, rewritten into the structured statements the inliner knows
//! (before inlining, on the parsed body of each function).
//!
//! A backward `goto` (to a label earlier in a block that holds the `goto`) becomes a
//! loop around the statements from the label to the last such `goto`; the `goto`
//! asks for one more pass and jumps forward to the end of the loop's body:
//!
//! ```text
//! retry:                      retry:                     (forward gotos still land here)
//!   a;                          do { __again_retry = 0;
//!   if (c) goto retry;            a;
//!   b;                            if (c) { __again_retry = 1; goto retry__again_end; }
//!                                 retry__again_end: ;
//!                               } while (__again_retry);
//!                               b;
//! ```
//!
//! A forward `goto` (to a label later in a block that holds it) sets the label's
//! flag; the statements it skips in the blocks between are guarded by the flag, a
//! loop or `switch` it is in is left with `break` (and the loops around that one by
//! `if (flag) break;` after it), and the label clears the flag:
//!
//! ```text
//! while (x) {                 while (x) {
//!   if (c) goto out;            if (c) { __goto_out = 1; break; }
//!   x--;                        x--;
//! }                           }
//! y = 1;                      if (!(__goto_out)) { y = 1; }
//! out:                        __goto_out = 0;
//! return y;                   return y;
//! ```
//!
//! The flags are `int` locals declared first in the function. Declarations among
//! the skipped statements are moved before the guard (their initializer becomes
//! an assignment under it), so the names stay visible after the label, as in C.
//! A forward `goto` may also enter an `if` or a block (not a loop or `switch`)
//! that holds its label: the `if` takes the branch holding the label without
//! testing its condition (`flag || cond`, `!flag && cond` for the `else`), and the
//! statements before the label in each list entered are skipped as above:
//!
//! ```text
//! if (c) goto in;             if (c) { __goto_in = 1; }
//! v = 5;                      if (!(__goto_in)) { v = 5; }
//! if (v > 3) {                if (__goto_in || v > 3) {
//!   v = 1;                      if (!(__goto_in)) { v = 1; }
//! in:                           __goto_in = 0;
//!   v += 2;                     v += 2;
//! }                           }
//! ```
//!
//! Any other `goto` into a block it is not in (backward, into a loop or `switch`,
//! or from one branch of an `if` into the other) stays a located diagnostic, as does a `break`/`continue` between a label and a backward `goto`
//! to it that would then end the new loop instead of the one it is in.

use super::{unsupported, CExpr, CExprKind, CInit, CSection, CStmt, CStmtKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Span, UnOp};
use std::collections::{HashMap, HashSet};

type PResult<T> = Result<T, Diagnostic>;

/// The function body `body` without `goto`s and labels.
pub fn lower(body: Vec<CStmt>) -> PResult<Vec<CStmt>> {
    if !any_jump(&body) {
        return Ok(body);
    }
    let mut labels = HashMap::new();
    let mut gotos = Vec::new();
    collect(&body, &mut labels, &mut gotos)?;
    if let Some((l, sp)) = gotos.iter().find(|(l, _)| !labels.contains_key(l)) {
        return Err(Diagnostic::error(
            *sp,
            format!("use of undeclared label '{l}'"),
        ));
    }
    let mut flags = Vec::new();
    let body = backward_list(body, &mut flags)?;
    let mut depth_of = HashMap::new();
    label_depths(&body, 0, &mut depth_of);
    let mut fwd = Forward {
        depth_of,
        open: Vec::new(),
        flags,
    };
    let body = fwd.list(body, 0, Vec::new())?;
    let mut out: Vec<CStmt> = fwd
        .flags
        .iter()
        .map(|(name, span)| CStmt {
            kind: CStmtKind::Decl {
                name: name.clone(),
                ty: CType::S32,
                init: Some(CInit::Expr(int(0, *span))),
            },
            span: *span,
        })
        .collect();
    out.extend(body);
    Ok(out)
}

fn int(v: u64, span: Span) -> CExpr {
    CExpr {
        kind: CExprKind::Int(v),
        span,
    }
}

fn var(name: &str, span: Span) -> CExpr {
    CExpr {
        kind: CExprKind::Var(name.to_string()),
        span,
    }
}

fn set(name: &str, v: u64, span: Span) -> CStmt {
    CStmt {
        kind: CStmtKind::Assign {
            target: var(name, span),
            op: None,
            value: int(v, span),
        },
        span,
    }
}

fn forward_flag(label: &str) -> String {
    format!("__goto_{label}")
}

/// The statement lists directly inside `s`, with whether each is the body of a
/// loop or a `switch` section (a `break` there leaves `s`).
fn children(s: &CStmt) -> Vec<(&[CStmt], bool)> {
    match &s.kind {
        CStmtKind::If { then, els, .. } => {
            let mut v = vec![(then.as_slice(), false)];
            if let Some(e) = els {
                v.push((e.as_slice(), false));
            }
            v
        }
        CStmtKind::Block(b) => vec![(b.as_slice(), false)],
        CStmtKind::While { body, .. }
        | CStmtKind::DoWhile { body, .. }
        | CStmtKind::For { body, .. } => vec![(body.as_slice(), true)],
        CStmtKind::Switch { sections, .. } => {
            sections.iter().map(|s| (s.body.as_slice(), true)).collect()
        }
        _ => Vec::new(),
    }
}

fn any_jump(stmts: &[CStmt]) -> bool {
    stmts.iter().any(|s| {
        matches!(s.kind, CStmtKind::Goto(_) | CStmtKind::Label(_))
            || children(s).iter().any(|(c, _)| any_jump(c))
    })
}

/// Every label (defined once) and every `goto` of a body.
fn collect(
    stmts: &[CStmt],
    labels: &mut HashMap<String, Span>,
    gotos: &mut Vec<(String, Span)>,
) -> PResult<()> {
    for s in stmts {
        match &s.kind {
            CStmtKind::Label(l) => {
                if labels.insert(l.clone(), s.span).is_some() {
                    return Err(Diagnostic::error(
                        s.span,
                        format!("redefinition of label '{l}'"),
                    ));
                }
            }
            CStmtKind::Goto(l) => gotos.push((l.clone(), s.span)),
            _ => {
                for (c, _) in children(s) {
                    collect(c, labels, gotos)?;
                }
            }
        }
    }
    Ok(())
}

/// Whether `s` holds a `goto label`.
fn has_goto(s: &CStmt, label: &str) -> bool {
    match &s.kind {
        CStmtKind::Goto(l) => l == label,
        _ => children(s)
            .iter()
            .any(|(c, _)| c.iter().any(|t| has_goto(t, label))),
    }
}

/// The labels `goto`s in `s` name that `s` does not define.
fn escaping(s: &CStmt) -> Vec<String> {
    fn walk(s: &CStmt, gotos: &mut Vec<String>, defined: &mut HashSet<String>) {
        match &s.kind {
            CStmtKind::Goto(l) => {
                if !gotos.contains(l) {
                    gotos.push(l.clone());
                }
            }
            CStmtKind::Label(l) => {
                defined.insert(l.clone());
            }
            _ => {
                for (c, _) in children(s) {
                    c.iter().for_each(|t| walk(t, gotos, defined));
                }
            }
        }
    }
    let mut gotos = Vec::new();
    let mut defined = HashSet::new();
    walk(s, &mut gotos, &mut defined);
    gotos.retain(|l| !defined.contains(l));
    gotos
}

/// A `break` or `continue` in `stmts` that would end the loop put around them
/// (one not inside a loop, or for `break` a `switch`, of their own).
fn loose_jump(stmts: &[CStmt], in_switch: bool) -> Option<Span> {
    stmts.iter().find_map(|s| match &s.kind {
        CStmtKind::Break if !in_switch => Some(s.span),
        CStmtKind::Continue => Some(s.span),
        CStmtKind::While { .. } | CStmtKind::DoWhile { .. } | CStmtKind::For { .. } => None,
        CStmtKind::Switch { sections, .. } => {
            sections.iter().find_map(|sec| loose_jump(&sec.body, true))
        }
        _ => children(s)
            .iter()
            .find_map(|(c, _)| loose_jump(c, in_switch)),
    })
}

/// Every `goto label` in `stmts` replaced by `{ flag = 1; goto to; }`.
fn retarget(stmts: Vec<CStmt>, label: &str, flag: &str, to: &str) -> PResult<Vec<CStmt>> {
    stmts
        .into_iter()
        .map(|s| {
            let span = s.span;
            let kind = match s.kind {
                CStmtKind::Goto(l) if l == label => CStmtKind::Block(vec![
                    set(flag, 1, span),
                    CStmt {
                        kind: CStmtKind::Goto(to.to_string()),
                        span,
                    },
                ]),
                kind => map_lists(kind, &mut |b| retarget(b, label, flag, to))?,
            };
            Ok(CStmt { kind, span })
        })
        .collect()
}

/// `kind` with `f` applied to each statement list directly inside it.
fn map_lists(
    kind: CStmtKind,
    f: &mut dyn FnMut(Vec<CStmt>) -> PResult<Vec<CStmt>>,
) -> PResult<CStmtKind> {
    Ok(match kind {
        CStmtKind::If { cond, then, els } => CStmtKind::If {
            cond,
            then: f(then)?,
            els: els.map(&mut *f).transpose()?,
        },
        CStmtKind::Block(b) => CStmtKind::Block(f(b)?),
        CStmtKind::While { cond, body } => CStmtKind::While {
            cond,
            body: f(body)?,
        },
        CStmtKind::DoWhile { body, cond } => CStmtKind::DoWhile {
            body: f(body)?,
            cond,
        },
        CStmtKind::For {
            init,
            cond,
            step,
            body,
        } => CStmtKind::For {
            init,
            cond,
            step,
            body: f(body)?,
        },
        CStmtKind::Switch { value, sections } => CStmtKind::Switch {
            value,
            sections: sections
                .into_iter()
                .map(|s| {
                    Ok(CSection {
                        label: s.label,
                        body: f(s.body)?,
                        span: s.span,
                    })
                })
                .collect::<PResult<_>>()?,
        },
        k => k,
    })
}

/// Declarations among `stmts` (not nested) moved out: returns the moved
/// declarations (without initializers) and the statements left, an initializer
/// now an assignment. Initializer lists stay (their names are then local to the
/// statements).
fn hoist(stmts: Vec<CStmt>) -> (Vec<CStmt>, Vec<CStmt>) {
    let mut decls = Vec::new();
    let mut rest = Vec::new();
    for s in stmts {
        match s.kind {
            CStmtKind::Decl {
                name,
                ty,
                init: Some(CInit::Expr(e)),
            } => {
                decls.push(CStmt {
                    kind: CStmtKind::Decl {
                        name: name.clone(),
                        ty,
                        init: None,
                    },
                    span: s.span,
                });
                rest.push(CStmt {
                    kind: CStmtKind::Assign {
                        target: var(&name, s.span),
                        op: None,
                        value: e,
                    },
                    span: s.span,
                });
            }
            CStmtKind::Decl { init: None, .. } => decls.push(s),
            kind => rest.push(CStmt { kind, span: s.span }),
        }
    }
    (decls, rest)
}

fn span_of(stmts: &[CStmt], or: Span) -> Span {
    match (stmts.first(), stmts.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => or,
    }
}

/// Backward `goto`s of `stmts` (and of the lists inside) made loops; `flags` gets
/// the loops' "again" flags.
fn backward_list(mut rest: Vec<CStmt>, flags: &mut Vec<(String, Span)>) -> PResult<Vec<CStmt>> {
    let mut out = Vec::new();
    loop {
        // The first label some later statement of this list jumps back to, and the
        // last such statement.
        let found = rest.iter().enumerate().find_map(|(k, s)| match &s.kind {
            CStmtKind::Label(l) => {
                let j = rest[k + 1..].iter().rposition(|t| has_goto(t, l))?;
                Some((k, k + 1 + j, l.clone()))
            }
            _ => None,
        });
        let Some((k, j, label)) = found else {
            for s in rest {
                out.push(backward_stmt(s, flags)?);
            }
            return Ok(out);
        };
        let tail = rest.split_off(j + 1);
        let region = rest.split_off(k + 1);
        for s in rest {
            out.push(backward_stmt(s, flags)?);
        }
        let span = span_of(&region, out.last().map_or(Span::new(0, 0), |s| s.span));
        if let Some(at) = loose_jump(&region, false) {
            return Err(unsupported(
                at,
                &format!(
                    "a `break` or `continue` between the label `{label}` and a `goto` back to it"
                ),
            ));
        }
        let again = format!("__again_{label}");
        let end = format!("{label}__again_end");
        flags.push((again.clone(), span));
        let (decls, region) = hoist(region);
        out.extend(decls);
        let mut body = vec![set(&again, 0, span)];
        body.extend(retarget(region, &label, &again, &end)?);
        body.push(CStmt {
            kind: CStmtKind::Label(end),
            span,
        });
        let cond = CExpr {
            kind: CExprKind::Binary {
                op: BinOp::Ne,
                lhs: Box::new(var(&again, span)),
                rhs: Box::new(int(0, span)),
            },
            span,
        };
        out.push(CStmt {
            kind: CStmtKind::DoWhile {
                body: backward_list(body, flags)?,
                cond,
            },
            span,
        });
        rest = tail;
    }
}

fn backward_stmt(s: CStmt, flags: &mut Vec<(String, Span)>) -> PResult<CStmt> {
    let span = s.span;
    let kind = map_lists(s.kind, &mut |b| backward_list(b, flags))?;
    Ok(CStmt { kind, span })
}

/// How many loops and `switch`es hold each label.
fn label_depths(stmts: &[CStmt], depth: usize, out: &mut HashMap<String, usize>) {
    for s in stmts {
        if let CStmtKind::Label(l) = &s.kind {
            out.insert(l.clone(), depth);
        }
        for (c, breakable) in children(s) {
            label_depths(c, depth + usize::from(breakable), out);
        }
    }
}

struct Forward {
    depth_of: HashMap<String, usize>,
    /// For each enclosing list, its labels not yet passed (where a `goto` here
    /// may jump).
    open: Vec<HashSet<String>>,
    /// The flags to declare.
    flags: Vec<(String, Span)>,
}

impl Forward {
    fn depth(&self, label: &str) -> usize {
        self.depth_of.get(label).copied().unwrap_or(0)
    }

    /// `stmts` lowered; `entering`: the labels in them a `goto` outside may be
    /// jumping to when the list starts (what precedes them is skipped).
    fn list(
        &mut self,
        stmts: Vec<CStmt>,
        depth: usize,
        entering: Vec<String>,
    ) -> PResult<Vec<CStmt>> {
        let mut here = HashSet::new();
        enterable(&stmts, &mut here);
        self.open.push(here);
        let mut out = Vec::new();
        // Labels a `goto` before may be jumping to (skipping what follows).
        let mut pending: Vec<String> = entering;
        let mut skipped: Vec<CStmt> = Vec::new();
        for s in stmts {
            if let CStmtKind::Label(l) = &s.kind {
                if let Some(open) = self.open.last_mut() {
                    open.remove(l);
                }
                if let Some(i) = pending.iter().position(|p| p == l) {
                    guard(&mut out, std::mem::take(&mut skipped), &pending);
                    pending.remove(i);
                    out.push(set(&forward_flag(l), 0, s.span));
                }
                continue;
            }
            let targets = escaping(&s);
            let mut inside = HashSet::new();
            if matches!(s.kind, CStmtKind::If { .. } | CStmtKind::Block(_)) {
                for (c, _) in children(&s) {
                    enterable(c, &mut inside);
                }
            }
            if let Some(open) = self.open.last_mut() {
                open.retain(|l| !inside.contains(l));
            }
            let (entered, others): (Vec<String>, Vec<String>) =
                pending.iter().cloned().partition(|p| inside.contains(p));
            if !entered.is_empty() {
                // A jump into a block of this statement: it is entered when the
                // label's flag is set (what other pending jumps skip it).
                guard(&mut out, std::mem::take(&mut skipped), &pending);
                let lowered = self.enter(s, depth, &entered)?;
                if others.is_empty() {
                    out.extend(lowered);
                } else {
                    guard(&mut out, lowered, &others);
                }
                pending = others;
            } else {
                let lowered = self.stmt(s, depth)?;
                if pending.is_empty() {
                    out.extend(lowered);
                } else {
                    skipped.extend(lowered);
                }
            }
            // What follows a statement that may jump is guarded anew (by every
            // flag that may be set there).
            let jumps: Vec<String> = targets
                .into_iter()
                .filter(|t| self.depth(t) == depth)
                .collect();
            if !jumps.is_empty() {
                guard(&mut out, std::mem::take(&mut skipped), &pending);
            }
            for t in jumps {
                if !pending.contains(&t) {
                    pending.push(t);
                }
            }
        }
        guard(&mut out, skipped, &pending);
        self.open.pop();
        Ok(out)
    }

    fn stmt(&mut self, s: CStmt, depth: usize) -> PResult<Vec<CStmt>> {
        let span = s.span;
        let breakable = matches!(
            s.kind,
            CStmtKind::While { .. }
                | CStmtKind::DoWhile { .. }
                | CStmtKind::For { .. }
                | CStmtKind::Switch { .. }
        );
        let leaving = if breakable { escaping(&s) } else { Vec::new() };
        let kind = match s.kind {
            CStmtKind::Goto(l) => {
                if !self.open.iter().any(|o| o.contains(&l)) {
                    return Err(unsupported(
                        span,
                        &format!(
                            "a `goto {l}` into a block it is not in, or back into a loop or switch (only jumps ahead within an enclosing block, or back to a label of an enclosing block)"
                        ),
                    ));
                }
                let flag = forward_flag(&l);
                if !self.flags.iter().any(|(f, _)| *f == flag) {
                    self.flags.push((flag.clone(), span));
                }
                let mut out = vec![set(&flag, 1, span)];
                if depth > self.depth(&l) {
                    out.push(CStmt {
                        kind: CStmtKind::Break,
                        span,
                    });
                }
                return Ok(out);
            }
            CStmtKind::Label(_) => return Ok(Vec::new()),
            kind => {
                let inner = depth + usize::from(breakable);
                map_lists(kind, &mut |b| self.list(b, inner, Vec::new()))?
            }
        };
        let mut out = vec![CStmt { kind, span }];
        // A `goto` that left this loop or switch for a label outside the loop or
        // switch around it leaves that one too.
        for l in leaving {
            if depth > self.depth(&l) {
                out.push(CStmt {
                    kind: CStmtKind::If {
                        cond: var(&forward_flag(&l), span),
                        then: vec![CStmt {
                            kind: CStmtKind::Break,
                            span,
                        }],
                        els: None,
                    },
                    span,
                });
            }
        }
        Ok(out)
    }
}

impl Forward {
    /// The `if` or block `s` entered by a jump to one of `labels` inside it: an
    /// `if` takes the branch holding the label without testing its condition,
    /// `flag || cond` (`!flag && cond` for the `else`), and each list skips what
    /// precedes the label.
    fn enter(&mut self, s: CStmt, depth: usize, labels: &[String]) -> PResult<Vec<CStmt>> {
        let span = s.span;
        let kind = match s.kind {
            CStmtKind::If { cond, then, els } => {
                let mut in_then = HashSet::new();
                enterable(&then, &mut in_then);
                let (to_then, to_else): (Vec<String>, Vec<String>) =
                    labels.iter().cloned().partition(|l| in_then.contains(l));
                let mut cond = cond;
                if let Some(e) = any_flag(&to_else, span) {
                    cond = logic(BinOp::LogAnd, not(e), cond);
                }
                if let Some(t) = any_flag(&to_then, span) {
                    cond = logic(BinOp::LogOr, t, cond);
                }
                let then = self.list(then, depth, to_then)?;
                let els = match els {
                    Some(e) => Some(self.list(e, depth, to_else)?),
                    None => None,
                };
                CStmtKind::If { cond, then, els }
            }
            CStmtKind::Block(b) => CStmtKind::Block(self.list(b, depth, labels.to_vec())?),
            // (Only `if`s and blocks hold enterable labels.)
            kind => kind,
        };
        Ok(vec![CStmt { kind, span }])
    }
}

/// The labels of `stmts` a forward `goto` from outside may enter: those of the
/// list and of the `if`s and blocks in it, not of loops or `switch`es.
fn enterable(stmts: &[CStmt], out: &mut HashSet<String>) {
    for s in stmts {
        match &s.kind {
            CStmtKind::Label(l) => {
                out.insert(l.clone());
            }
            CStmtKind::If { .. } | CStmtKind::Block(_) => {
                for (c, _) in children(s) {
                    enterable(c, out);
                }
            }
            _ => {}
        }
    }
}

/// `flag_a || flag_b ...` of the labels (`None` for none).
fn any_flag(labels: &[String], span: Span) -> Option<CExpr> {
    labels
        .iter()
        .map(|p| var(&forward_flag(p), span))
        .reduce(|a, b| logic(BinOp::LogOr, a, b))
}

fn logic(op: BinOp, a: CExpr, b: CExpr) -> CExpr {
    let span = a.span.to(b.span);
    CExpr {
        kind: CExprKind::Binary {
            op,
            lhs: Box::new(a),
            rhs: Box::new(b),
        },
        span,
    }
}

fn not(e: CExpr) -> CExpr {
    let span = e.span;
    CExpr {
        kind: CExprKind::Unary {
            op: UnOp::Not,
            expr: Box::new(e),
        },
        span,
    }
}

/// `skipped` run only when no flag of `pending` is set, appended to `out` (its
/// declarations before the guard).
fn guard(out: &mut Vec<CStmt>, skipped: Vec<CStmt>, pending: &[String]) {
    if skipped.is_empty() {
        return;
    }
    let span = span_of(&skipped, Span::new(0, 0));
    let (decls, then) = hoist(skipped);
    out.extend(decls);
    if then.is_empty() {
        return;
    }
    let any = pending
        .iter()
        .map(|p| var(&forward_flag(p), span))
        .reduce(|a, b| CExpr {
            kind: CExprKind::Binary {
                op: BinOp::LogOr,
                lhs: Box::new(a),
                rhs: Box::new(b),
            },
            span,
        })
        .unwrap_or_else(|| int(0, span));
    out.push(CStmt {
        kind: CStmtKind::If {
            cond: CExpr {
                kind: CExprKind::Unary {
                    op: UnOp::Not,
                    expr: Box::new(any),
                },
                span,
            },
            then,
            els: None,
        },
        span,
    });
}
