//! Assignments to lvalues (`places.rs`): `target op= value` for each kind of
//! place, an aggregate local copied leaf by leaf.

use super::inline::{assign, binary, int, let_, stmt, store, var, Frame, Inliner};
use super::inline_expr::arith;
use super::places::Place;
use super::{unsupported, CExpr, CExprKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Block, Expr, ExprKind, Span, Stmt, StmtKind};

impl<'a> Inliner<'a> {
    /// `target op= value`.
    pub(super) fn assign_to(
        &mut self,
        fr: &mut Frame<'a>,
        target: &CExpr,
        op: Option<BinOp>,
        src: &CExpr,
        sp: Span,
    ) -> Vec<Stmt> {
        if let Some(stmts) = self.lookup_again(fr, target, src, sp) {
            return stmts;
        }
        let place = match self.place(fr, target) {
            Some(Ok(p)) => p,
            Some(Err(d)) => {
                self.diags.push(d);
                return Vec::new();
            }
            None => {
                let d = match &target.kind {
                    CExprKind::Var(name) if self.consts.contains_key(name.as_str()) => unsupported(
                        target.span,
                        "writing to a global variable (globals keep their initial values)",
                    ),
                    CExprKind::Var(name) => {
                        Diagnostic::error(sp, format!("use of undeclared identifier '{name}'"))
                    }
                    _ => Diagnostic::error(target.span, "expression is not assignable"),
                };
                self.diags.push(d);
                return Vec::new();
            }
        };
        let src_ty = self.ty_of(fr, src);
        let combine = |old: Expr, old_ty: &CType, v: Expr| match op {
            Some(op) => arith(op, old, Some(old_ty), v, src_ty.as_ref()),
            None => v,
        };
        if let Place::Local { prefix, ty } = place {
            if op.is_some() {
                self.diags.push(Diagnostic::error(
                    sp,
                    format!(
                        "invalid operands to an arithmetic assignment ('{}')",
                        ty.spelling()
                    ),
                ));
                return Vec::new();
            }
            return self.copy_from(fr, &prefix, &ty, src, sp);
        }
        if let Place::Mem { .. } = place {
            self.diags.push(unsupported(
                target.span,
                "writing to memory through a pointer (BPF tracing programs only read it)",
            ));
            return Vec::new();
        }
        if let Place::Overlay { ty, .. } = place {
            self.diags.push(unsupported(
                target.span,
                &format!(
                    "assigning a whole `{}` inside a union (assign its scalar members)",
                    ty.spelling()
                ),
            ));
            return Vec::new();
        }
        if let Place::MapElem {
            map,
            key,
            ty: ty @ CType::Record { .. },
        } = &place
        {
            if op.is_some() {
                self.diags.push(Diagnostic::error(
                    sp,
                    format!(
                        "invalid operands to an arithmetic assignment ('{}')",
                        ty.spelling()
                    ),
                ));
                return Vec::new();
            }
            return self.assign_map_record(fr, (map, key, ty), src, sp);
        }
        if let Place::MapField { ty, .. } = &place {
            if !ty.is_scalar() {
                self.diags.push(Diagnostic::error(
                    target.span,
                    format!("array type '{}' is not assignable", ty.spelling()),
                ));
                return Vec::new();
            }
        }
        let value = self.value(fr, src);
        match place {
            Place::Var { name, ty } => {
                let v = combine(var(&name, sp), &ty, value);
                vec![assign(&name, store(&ty, v), sp)]
            }
            Place::Dyn { elems, elem, index } => {
                let t = fr.temp();
                let mut out = vec![let_(t.clone(), index, sp)];
                let old = self.read(
                    Place::Dyn {
                        elems: elems.clone(),
                        elem: elem.clone(),
                        index: var(&t, sp),
                    },
                    sp,
                );
                let v = fr.temp();
                out.push(let_(
                    v.clone(),
                    store(&elem, combine(old, &elem, value)),
                    sp,
                ));
                for (i, e) in elems.iter().enumerate() {
                    let write = match e {
                        Place::Bits { word, shift, ty } => {
                            super::unions::write_bits(self.table, word, *shift, ty, var(&v, sp), sp)
                        }
                        Place::Var { name, .. } => assign(name, var(&v, sp), sp),
                        // (Elements are variables or bits.)
                        _ => continue,
                    };
                    out.push(stmt(
                        StmtKind::If {
                            cond: binary(BinOp::Eq, var(&t, sp), int(i as u64, sp)),
                            then: Block {
                                stmts: vec![write],
                                span: sp,
                            },
                            els: None,
                        },
                        sp,
                    ));
                }
                out
            }
            Place::Bits { word, shift, ty } => {
                let old = super::unions::read_bits(&word, shift, &ty, sp);
                let v = combine(old, &ty, value);
                vec![super::unions::write_bits(
                    self.table, &word, shift, &ty, v, sp,
                )]
            }
            Place::MapElem { map, key, ty } => {
                let old = super::helpers_map::read_element(&map, &key, &ty, sp);
                let v = combine(old, &ty, value);
                vec![super::helpers_map::write_element(&map, &key, &ty, v, sp)]
            }
            Place::MapField {
                map,
                key,
                field,
                ty,
                record,
                index: Some(index),
            } => {
                // A run-time index is evaluated once.
                let (mut out, at) = match index.kind {
                    ExprKind::Int(_) => (Vec::new(), index),
                    _ => {
                        let t = fr.temp();
                        (vec![let_(t.clone(), index, sp)], var(&t, sp))
                    }
                };
                let old = Self::read_map_field(&map, &key, &field, &ty, Some(at.clone()), sp);
                let v = fr.temp();
                out.push(let_(v.clone(), store(&ty, combine(old, &ty, value)), sp));
                out.extend(self.write_map_elem(
                    fr,
                    (&map, &key, &field, &record),
                    at,
                    var(&v, sp),
                    sp,
                ));
                out
            }
            Place::MapField {
                map,
                key,
                field,
                ty,
                record,
                index: None,
            } => {
                let old = Self::read_map_field(&map, &key, &field, &ty, None, sp);
                let v = combine(old, &ty, value);
                self.write_map_field(fr, (&map, &key, &field, &record), v, sp)
            }
            Place::Local { .. } | Place::Mem { .. } | Place::Overlay { .. } => Vec::new(),
        }
    }
}
