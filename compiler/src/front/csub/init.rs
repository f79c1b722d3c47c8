//! Declarations of locals: a scalar is one `let`; a struct or array declares every
//! leaf (zero), then its initializer list or copied value assigns them.

use super::inline::{assign, int, let_, store, Frame, Inliner};
use super::places::{leaf_name, Seg};
use super::{unsupported, CExprKind, CInit, CInitItem, CType, Designator};
use crate::diag::Diagnostic;
use crate::front::ast::{ExprKind, Span, Stmt, StmtKind};

impl<'a> Inliner<'a> {
    /// `T name [= init];`
    pub(super) fn declare(
        &mut self,
        fr: &mut Frame<'a>,
        name: &str,
        ty: &CType,
        init: Option<&CInit>,
        sp: Span,
    ) -> Vec<Stmt> {
        if ty.is_ptr() {
            if let Some(args) = super::helpers_map::lookup_init(init) {
                return self.lookup_decl(fr, name, ty, args, sp);
            }
            if init.is_none() {
                if let Some(stmts) = self.lookup_later(fr, name, ty, sp) {
                    return stmts;
                }
            }
        }
        if ty.is_scalar() {
            let value = match init {
                Some(CInit::Expr(e)) => self.value(fr, e),
                Some(CInit::List(items)) => match items.first() {
                    Some(CInitItem {
                        init: CInit::Expr(e),
                        designator: None,
                        ..
                    }) if items.len() == 1 => self.value(fr, e),
                    Some(_) => {
                        self.diags
                            .push(unsupported(sp, "this initializer of a scalar"));
                        int(0, sp)
                    }
                    None => int(0, sp),
                },
                None => int(0, sp),
            };
            let script = fr.declare(name, ty.clone());
            return vec![let_(script, store(ty, value), sp)];
        }
        let leaves = match self.leaves(ty, sp) {
            Ok(l) => l,
            Err(d) => {
                self.diags.push(d);
                return Vec::new();
            }
        };
        if let Some(CInit::Expr(e)) = init {
            if let CExprKind::Call { name: f, .. } = &e.kind {
                let returns_record = self
                    .funcs
                    .get(f.as_str())
                    .is_some_and(|f| !(f.ret.is_scalar() || f.ret == CType::Void));
                if returns_record {
                    // The leaves exist first; the call's returns fill them.
                    let mut out = self.declare(fr, name, ty, None, sp);
                    let prefix = fr.local(name).map(|l| l.script.clone());
                    if let Some(prefix) = prefix {
                        out.extend(self.copy_from(fr, &prefix, ty, e, sp));
                    }
                    return out;
                }
            }
        }
        // The initializer reads the names visible before this declaration.
        let mut inits = Vec::new();
        let tmp_prefix = fr.temp();
        match init {
            None => {}
            Some(CInit::List(items)) => self.init_list(fr, &tmp_prefix, ty, items, &mut inits),
            Some(CInit::Expr(e)) => inits.extend(self.copy_from(fr, &tmp_prefix, ty, e, sp)),
        }
        let script = fr.declare(name, ty.clone());
        let mut out: Vec<Stmt> = leaves
            .iter()
            .map(|(path, lty)| {
                let n = path.iter().fold(script.clone(), |p, s| leaf_name(&p, s));
                let_(n, store(lty, int(0, sp)), sp)
            })
            .collect();
        // The initial values went to the temporary prefix; rename them.
        for mut s in inits {
            if let StmtKind::Assign { target, .. } = &mut s.kind {
                if let ExprKind::Var(v) = &mut target.kind {
                    if let Some(rest) = v.strip_prefix(&tmp_prefix) {
                        *v = format!("{script}{rest}");
                    }
                }
            }
            out.push(s);
        }
        out
    }

    /// The assignments of a braced initializer to the leaves under `prefix`.
    fn init_list(
        &mut self,
        fr: &mut Frame<'a>,
        prefix: &str,
        ty: &CType,
        items: &[CInitItem],
        out: &mut Vec<Stmt>,
    ) {
        if let CType::Record { union: true, .. } = ty {
            self.init_union(fr, prefix, ty, items, out);
            return;
        }
        let parts: Vec<(Seg, CType)> = match ty {
            CType::Array(elem, n) => (0..*n).map(|i| (Seg::Index(i), (**elem).clone())).collect(),
            CType::Record { name, union } => match self.table.members(name, *union) {
                Some(ms) => ms
                    .iter()
                    .filter_map(|(m, t)| Some((Seg::Field(m.clone()), t.clone()?)))
                    .collect(),
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        let mut next = 0;
        for item in items {
            let at = match &item.designator {
                None => next,
                Some(Designator::Index(i)) => *i as usize,
                Some(Designator::Field(f)) => parts
                    .iter()
                    .position(|(s, _)| *s == Seg::Field(f.clone()))
                    .unwrap_or(usize::MAX),
            };
            let Some((seg, pty)) = parts.get(at).cloned() else {
                self.diags.push(Diagnostic::error(
                    item.span,
                    "excess or unknown element in initializer",
                ));
                return;
            };
            next = at + 1;
            let name = leaf_name(prefix, &seg);
            match (&item.init, pty.is_scalar()) {
                (CInit::Expr(e), true) => {
                    let v = self.value(fr, e);
                    out.push(assign(&name, store(&pty, v), item.span));
                }
                (CInit::List(sub), false) => self.init_list(fr, &name, &pty, sub, out),
                (CInit::Expr(e), false) => {
                    out.extend(self.copy_from(fr, &name, &pty, e, item.span))
                }
                (CInit::List(_), true) => self
                    .diags
                    .push(unsupported(item.span, "braces around a scalar initializer")),
            }
        }
    }
}
