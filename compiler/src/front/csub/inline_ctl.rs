//! `do`/`while` loops and `switch` statements, which the script language lacks:
//!
//! ```text
//! do body while (c);      ⇒ { let $first = 1; while ($first || c) { $first = 0; body } }
//! switch (v) {            ⇒ { let $v = v; let $at = $v == 1 ? 0 : $v == 2 ? 1 : 2;
//!   case 1: a; break;         let $broken = 0;
//!   case 2: b;                if ($at <= 0) { a; $broken = 1; }
//!   default: c;               if ($broken == 0 && $at <= 1) { b; }
//! }                           if ($broken == 0 && $at <= 2) { c; } }
//! ```
//!
//! A section runs when control enters at it or at an earlier section (C's
//! fallthrough) and no `break` ended the switch; a `break` sets the flag, and the
//! statements after one that may break are guarded by it (as after a `return`).

use super::inline::{assign, binary, expr, int, let_, stmt, var, Frame, Inliner};
use super::inline_expr::common;
use super::{CExpr, CExprKind, CSection, CStmt, CStmtKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Block, ExprKind, Span, Stmt, StmtKind};
use std::collections::HashMap;

/// Whether a `break` in `stmts` ends the `switch` they are in (one not inside a
/// nested loop or switch).
pub(super) fn breaks_switch(stmts: &[CStmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        CStmtKind::Break => true,
        CStmtKind::If { then, els, .. } => {
            breaks_switch(then) || els.as_deref().is_some_and(breaks_switch)
        }
        CStmtKind::Block(b) => breaks_switch(b),
        _ => false,
    })
}

/// A local variable `label` reads (a `case` label must be constant).
fn local_in<'e>(fr: &Frame<'_>, label: &'e CExpr) -> Option<&'e str> {
    match &label.kind {
        CExprKind::Var(n) => fr.local(n).is_some().then_some(n.as_str()),
        CExprKind::Binary { lhs, rhs, .. } => local_in(fr, lhs).or_else(|| local_in(fr, rhs)),
        CExprKind::Unary { expr, .. } | CExprKind::Cast { expr, .. } => local_in(fr, expr),
        _ => None,
    }
}

fn block(stmts: Vec<Stmt>, span: Span) -> Block {
    Block { stmts, span }
}

impl<'a> Inliner<'a> {
    /// `do body while (cond);`: a `while` whose first test always passes (a
    /// `continue` goes to the test, as in C).
    pub(super) fn do_while(
        &mut self,
        fr: &mut Frame<'a>,
        body: &[CStmt],
        cond: &CExpr,
        sp: Span,
    ) -> Vec<Stmt> {
        let first = fr.temp();
        let c = self.truth(fr, cond);
        let mut test = binary(
            BinOp::LogOr,
            binary(BinOp::Ne, var(&first, sp), int(0, sp)),
            c,
        );
        if fr.flagged {
            let not_done = binary(BinOp::Eq, var(&fr.done(), sp), int(0, sp));
            test = binary(BinOp::LogAnd, not_done, test);
        }
        fr.steps.push(Vec::new());
        fr.breaks.push(None);
        let mut inner = self.scoped(fr, body, sp);
        fr.breaks.pop();
        fr.steps.pop();
        inner.stmts.insert(0, assign(&first, int(0, sp), sp));
        let out = vec![
            let_(first, int(1, sp), sp),
            stmt(
                StmtKind::While {
                    cond: test,
                    body: inner,
                },
                sp,
            ),
        ];
        vec![stmt(StmtKind::Block(block(out, sp)), sp)]
    }

    /// `switch (value) { sections }`.
    pub(super) fn switch(
        &mut self,
        fr: &mut Frame<'a>,
        value: &CExpr,
        sections: &[CSection],
        sp: Span,
    ) -> Vec<Stmt> {
        // The controlling value, promoted; the labels are converted to its type.
        let vt = self.ty_of(fr, value);
        let vt = common(vt.as_ref(), vt.as_ref()).unwrap_or(CType::S64);
        let v = fr.temp();
        let at = fr.temp();
        let mut out = Vec::new();
        let val = self.value(fr, value);
        out.push(let_(v.clone(), super::inline::store(&vt, val), sp));
        // Where control enters: the matching case's index, else the default's,
        // else past the last section.
        let default = sections.iter().position(|s| s.label.is_none());
        let mut entry = int(default.unwrap_or(sections.len()) as u64, value.span);
        for (i, s) in sections.iter().enumerate().rev() {
            let Some(label) = &s.label else { continue };
            if let Some(name) = local_in(fr, label) {
                self.diags.push(Diagnostic::error(
                    label.span,
                    format!(
                        "expression is not an integer constant expression: '{name}' is a variable"
                    ),
                ));
            }
            let k = self.value(fr, label);
            let k = super::inline::store(&vt, k);
            let hit = binary(BinOp::Eq, var(&v, s.span), k);
            entry = expr(
                ExprKind::Ternary {
                    cond: Box::new(hit),
                    then: Box::new(int(i as u64, s.span)),
                    els: Box::new(entry),
                },
                s.span,
            );
        }
        out.push(let_(at.clone(), entry, sp));
        let broken = sections
            .iter()
            .any(|s| breaks_switch(&s.body))
            .then(|| fr.temp());
        if let Some(b) = &broken {
            out.push(let_(b.clone(), int(0, sp), sp));
        }
        fr.breaks.push(broken.clone());
        fr.scopes.push(HashMap::new());
        for (i, s) in sections.iter().enumerate() {
            if s.body.is_empty() {
                continue;
            }
            let span = s.span;
            let mut cond = binary(BinOp::Le, var(&at, span), int(i as u64, span));
            let not_set = |name: &str| binary(BinOp::Eq, var(name, span), int(0, span));
            // Earlier sections may have ended the switch (or the function).
            let earlier = &sections[..i];
            if let Some(b) = &broken {
                if earlier.iter().any(|s| breaks_switch(&s.body)) {
                    cond = binary(BinOp::LogAnd, not_set(b), cond);
                }
            }
            if fr.flagged && earlier.iter().any(|s| super::inline::returns(&s.body)) {
                cond = binary(BinOp::LogAnd, not_set(&fr.done()), cond);
            }
            let body = self.stmts(fr, &s.body);
            out.push(stmt(
                StmtKind::If {
                    cond,
                    then: block(body, span),
                    els: None,
                },
                span,
            ));
        }
        fr.scopes.pop();
        fr.breaks.pop();
        vec![stmt(StmtKind::Block(block(out, sp)), sp)]
    }
}
