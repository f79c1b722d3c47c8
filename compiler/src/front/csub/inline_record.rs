//! Structs passed and returned by value between the file's functions. A struct
//! parameter is a local of the callee (one variable per leaf) that the call fills
//! from the argument (a caller's local, or memory such as `*p`); a function
//! returning a struct is inlined only where its result initializes or is assigned
//! to a local, whose leaves its `return` statements then fill:
//!
//! A struct returned to the script becomes a record of its members (an array
//! member a tuple): `make(1, 2)` in a probe is `(lo = 1, hi = 2)`.
//!
//! ```text
//! struct span s = make(1, 2);   ⇒ let $s__lo = 0; let $s__hi = 0;
//!                                 { ...; $s__lo = ...; $s__hi = ...; $done = 1; }
//! ```

use super::inline::{discard, expr, int, let_, store, var, Frame, Inliner};
use super::places::{leaf_name, Arg, Place, Seg};
use super::{unsupported, CExpr, CExprKind, CFunc, CParam, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{Expr, ExprKind, Span, Stmt};

impl<'a> Inliner<'a> {
    /// The arguments of a call of the file's function `name`: a local's address
    /// for a pointer parameter names that local; a struct parameter takes the
    /// object itself.
    pub(super) fn call_args(&mut self, fr: &mut Frame<'a>, name: &str, args: &[CExpr]) -> Vec<Arg> {
        let params = self.funcs.get(name).map(|f| &f.params);
        let mut out = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let param = params.and_then(|ps| ps.get(i)).map(|p| &p.ty);
            let ptr_param = param.is_some_and(CType::is_ptr);
            if param.is_some_and(|t| !t.is_scalar()) {
                out.push(match self.place(fr, a) {
                    Some(Ok(p @ (Place::Local { .. } | Place::Mem { .. }))) => Arg::Record(p),
                    Some(Err(d)) => {
                        self.diags.push(d);
                        Arg::Value(int(0, a.span))
                    }
                    _ => {
                        self.diags.push(unsupported(
                            a.span,
                            "this struct argument (only a local or an object behind a pointer)",
                        ));
                        Arg::Value(int(0, a.span))
                    }
                });
                continue;
            }
            out.push(match self.local_address(fr, a) {
                Some(Ok(target)) if ptr_param => Arg::Alias(target),
                Some(Err(d)) if ptr_param => {
                    self.diags.push(d);
                    Arg::Value(int(0, a.span))
                }
                _ => Arg::Value(self.value(fr, a)),
            });
        }
        out
    }

    /// The struct parameter `p` as a local of the callee, filled from `from`
    /// (`None`: the argument was an error already reported; the leaves stay 0).
    pub(super) fn record_param(
        &mut self,
        fr: &mut Frame<'a>,
        p: &CParam,
        from: Option<Place>,
    ) -> Vec<Stmt> {
        let mut out = self.declare(fr, &p.name, &p.ty, None, p.span);
        let prefix = fr.local(&p.name).map(|l| l.script.clone());
        if let (Some(prefix), Some(from)) = (prefix, from) {
            out.extend(self.copy_place(&prefix, &p.ty, from, p.span));
        }
        out
    }

    /// `return e;` in a function returning a struct: `e` copied into the caller's
    /// local.
    pub(super) fn return_record(&mut self, fr: &mut Frame<'a>, e: &CExpr, sp: Span) -> Vec<Stmt> {
        let ty = fr.func_ret();
        let Some(prefix) = fr.out.clone() else {
            return Vec::new();
        };
        match self.record_call(fr, e, &prefix, &ty, sp) {
            Some(stmts) => stmts,
            None => self.copy_from(fr, &prefix, &ty, e, sp),
        }
    }

    /// When `e` calls a file function returning a struct: the call, its result
    /// copied into the leaves under `prefix` (of type `ty`).
    pub(super) fn record_call(
        &mut self,
        fr: &mut Frame<'a>,
        e: &CExpr,
        prefix: &str,
        ty: &CType,
        sp: Span,
    ) -> Option<Vec<Stmt>> {
        let CExprKind::Call { name, args } = &e.kind else {
            return None;
        };
        let f = self.funcs.get(name.as_str()).copied()?;
        if f.ret.is_scalar() || f.ret == CType::Void {
            return None;
        }
        if f.ret != *ty {
            self.diags.push(Diagnostic::error(
                sp,
                format!(
                    "assigning to '{}' from incompatible type '{}'",
                    ty.spelling(),
                    f.ret.spelling()
                ),
            ));
            return Some(Vec::new());
        }
        let args = self.call_args(fr, name, args);
        Some(
            self.call(f, args, Some(prefix), e.span)
                .map(discard)
                .unwrap_or_default(),
        )
    }

    /// A call in the script of `f`, which returns a struct: a block filling a
    /// temporary struct, whose value is the record of its leaves.
    pub(super) fn script_record_call(
        &mut self,
        f: &'a CFunc,
        args: Vec<Arg>,
        sp: Span,
    ) -> Option<Expr> {
        let leaves = match self.leaves(&f.ret, sp) {
            Ok(l) => l,
            Err(d) => {
                self.diags.push(d);
                return None;
            }
        };
        let prefix = format!("{}r", self.fresh_prefix());
        let mut stmts: Vec<Stmt> = leaves
            .iter()
            .map(|(path, lty)| {
                let n = path.iter().fold(prefix.clone(), |p, s| leaf_name(&p, s));
                let_(n, store(lty, int(0, sp)), sp)
            })
            .collect();
        stmts.extend(discard(self.call(f, args, Some(&prefix), sp)?));
        let value = self.record_value(&prefix, &f.ret, sp);
        Some(expr(
            ExprKind::Block {
                stmts,
                value: Box::new(value),
            },
            sp,
        ))
    }

    /// The script value of the aggregate under `prefix`: a record of a struct's
    /// members, a tuple of an array's elements.
    fn record_value(&self, prefix: &str, ty: &CType, sp: Span) -> Expr {
        match ty {
            CType::Record { name, union } => {
                let members = self.table.members(name, *union).unwrap_or_default();
                let (names, values) = members
                    .iter()
                    .filter_map(|(m, t)| {
                        let t = t.as_ref()?;
                        let part = leaf_name(prefix, &Seg::Field(m.clone()));
                        Some((m.clone(), self.record_value(&part, t, sp)))
                    })
                    .unzip();
                expr(ExprKind::Record { names, values }, sp)
            }
            CType::Array(elem, n) => {
                let values = (0..*n)
                    .map(|i| self.record_value(&leaf_name(prefix, &Seg::Index(i)), elem, sp))
                    .collect();
                expr(ExprKind::Tuple(values), sp)
            }
            _ => var(prefix, sp),
        }
    }
}
