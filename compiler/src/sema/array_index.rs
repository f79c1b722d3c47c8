//! `a[i]` outside kernel field chains (see `sema::kernel_walk` for those):
//! pointers (`$p[2]` is `*($p + 2)`: `args->argv[0]`, `(int32 *)arg0` indexed) and
//! array values in memory (`$a[0]`, `@a[0][1]`, `$a[$i]` with a run-time index,
//! checked against the length at run time).

use super::kernel_walk::Access;
use super::types::*;
use super::{poisoned, Checker};
use crate::front::ast::Span;

impl Checker {
    /// `p[i]`: the element `i` places after the one `p` points to.
    pub(super) fn ptr_index(&mut self, p: TExpr, i: TExpr, span: Span) -> TExpr {
        let Type::Ptr { to, .. } = p.ty else {
            return poisoned(span);
        };
        if !matches!(i.ty, Type::Int { .. } | Type::Bool) {
            if i.ty != Type::Unknown {
                self.error(
                    i.span,
                    format!(
                        "a pointer index must be an integer, not {}",
                        i.ty.describe()
                    ),
                );
            }
            return poisoned(span);
        }
        let scale = self.pointee_size(to, span);
        let off = super::pointer::scaled(i, scale);
        let addr = match off.kind {
            TExprKind::Int(0) => p,
            _ => TExpr {
                kind: TExprKind::Arith {
                    op: Arith::Add,
                    lhs: Box::new(p.clone()),
                    rhs: Box::new(off),
                },
                ty: p.ty,
                span,
            },
        };
        self.deref(addr, span)
    }

    /// `a[i]` of an array value with an index known only at run time.
    pub(super) fn array_elem(&mut self, a: TExpr, i: TExpr, span: Span) -> TExpr {
        let Type::Tuple(t) = a.ty else {
            return poisoned(span);
        };
        let Some(elem) = t.fields.first().map(|f| f.ty) else {
            return poisoned(span);
        };
        if !matches!(elem, Type::Int { .. } | Type::Bool) || !t.array {
            self.error(
                i.span,
                format!(
                    "{} can only be indexed with a constant here; only integer arrays take a run-time index",
                    t.describe()
                ),
            );
            return poisoned(span);
        }
        let id = self.intern_printf(tracec_meta::PrintfSpec {
            format: super::kernel_walk::OOB_WARNING.to_string(),
            args: Vec::new(),
        });
        let warn = self.locate_printf(id, span, "WARNING");
        TExpr {
            kind: TExprKind::ArrayElem {
                base: Box::new(a),
                index: Box::new(i),
                warn,
            },
            ty: elem,
            span,
        }
    }

    /// `v.a[1].b` on a record or tuple value `v`: fields and indexes in turn.
    pub(super) fn tuple_chain(
        &mut self,
        v: TExpr,
        chain: &[Access<'_>],
        span: Span,
        want_addr: bool,
    ) -> TExpr {
        if want_addr {
            self.error(
                span,
                "cannot take the address of a part of a value; only of a variable or of a field read through a pointer",
            );
            return poisoned(span);
        }
        let mut cur = v;
        for acc in chain {
            cur = self.tuple_fields(cur, &[(acc.name, acc.span)]);
            for i in &acc.indexes {
                cur = self.value_index(cur, i.clone(), span);
            }
        }
        TExpr { span, ..cur }
    }

    /// `a[i]` of a value `a` with the checked index `i`.
    pub(super) fn value_index(&mut self, a: TExpr, i: TExpr, span: Span) -> TExpr {
        match a.ty {
            Type::Unknown => poisoned(span),
            Type::Ptr { .. } => self.ptr_index(a, i, span),
            Type::Tuple(t) => match i.kind {
                TExprKind::Int(v) => {
                    match u32::try_from(v)
                        .ok()
                        .filter(|v| (*v as usize) < t.fields.len())
                    {
                        Some(v) if !t.record => super::tuple::get(a, t, v, span),
                        _ if t.array => {
                            self.error(
                                i.span,
                                format!(
                                    "the index {v} is out of bounds for array of size {}",
                                    t.fields.len()
                                ),
                            );
                            poisoned(span)
                        }
                        _ => {
                            self.error(
                                i.span,
                                format!(
                                    "index {v} is out of range for {} of {} fields",
                                    t.describe(),
                                    t.fields.len()
                                ),
                            );
                            poisoned(span)
                        }
                    }
                }
                _ if t.array => self.array_elem(a, i, span),
                _ => {
                    if i.ty != Type::Unknown {
                        self.error(i.span, "a tuple index must be a constant integer");
                    }
                    poisoned(span)
                }
            },
            // A string field of a record (`$r.comm[0]`): its byte, as `$s[0]`.
            Type::Str { .. } if matches!(i.ty, Type::Int { .. }) => TExpr {
                kind: TExprKind::StrIndex {
                    base: Box::new(a),
                    index: Box::new(i),
                },
                ty: Type::I64,
                span,
            },
            other => {
                self.error(
                    span,
                    format!(
                        "cannot index {}: only arrays, pointers, strings and maps can be",
                        other.describe()
                    ),
                );
                poisoned(span)
            }
        }
    }
}

/// An integer array field of a tracepoint record (`unsigned long args[6]`): its
/// elements, each a field of ctx (a constant index picks one; a whole array is
/// copied element by element).
pub(super) fn tp_array(offset: u32, elem_size: u32, len: u32, signed: bool, span: Span) -> TExpr {
    let esize = match elem_size {
        1 | 2 | 4 | 8 => elem_size,
        _ => 8,
    };
    let items = (0..len)
        .map(|i| TExpr {
            kind: TExprKind::TpField {
                offset: offset + i * esize,
                size: esize,
                signed,
            },
            ty: Type::int(signed),
            span,
        })
        .collect();
    TExpr {
        kind: TExprKind::Tuple(items),
        ty: Type::Tuple(super::tuple::array_layout(Type::int(signed), esize, len)),
        span,
    }
}
