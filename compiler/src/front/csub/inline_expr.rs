//! C expressions as script expressions, and the C types of expressions where the
//! translation needs them (pointer differences, `sizeof`, member types).

use super::inline::{binary, cast, expr, int, store, Frame, Inliner};
use super::places::{alias_of, Place};
use super::{unsupported, CExpr, CExprKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Expr, ExprKind, Span, UnOp};

/// Whether `e` is a null pointer constant (`0`, `(void *)0`, `NULL`).
fn is_null(e: &CExpr) -> bool {
    match &e.kind {
        CExprKind::Int(0) => true,
        CExprKind::Cast { ty, expr } => ty.is_ptr() && is_null(expr),
        _ => false,
    }
}

/// The type of C's usual arithmetic conversions of two integer operands (`None`
/// when a type is unknown and the other leaves the choice open).
pub(super) fn common(l: Option<&CType>, r: Option<&CType>) -> Option<CType> {
    let promote = |t: &CType| match t {
        CType::Bool => Some((32u8, true)),
        CType::Int { bits, .. } if *bits < 32 => Some((32, true)),
        CType::Int { bits, signed } => Some((*bits, *signed)),
        _ => None,
    };
    let (bits, signed) = match (l.and_then(promote), r.and_then(promote)) {
        (Some(a), Some(b)) if a.1 == b.1 => (a.0.max(b.0), a.1),
        (Some((ab, asg)), Some((bb, _))) => {
            let (ub, sb) = if asg { (bb, ab) } else { (ab, bb) };
            if ub >= sb {
                (ub, false)
            } else {
                (sb, true)
            }
        }
        (Some((64, s)), None) | (None, Some((64, s))) => (64, s),
        _ => return None,
    };
    Some(CType::Int { bits, signed })
}

/// `l op r` for operands of C types `lt` and `rt`: `n + p` is `p + n` (for the
/// script's scaling), and integer operands are converted to their common type, as C
/// converts them (so the script does not warn about implicit conversions).
pub(super) fn arith(op: BinOp, l: Expr, lt: Option<&CType>, r: Expr, rt: Option<&CType>) -> Expr {
    let lptr = lt.is_some_and(CType::is_ptr);
    let rptr = rt.is_some_and(CType::is_ptr);
    let (mut l, mut r) = if op == BinOp::Add && rptr && !lptr {
        (r, l)
    } else {
        (l, r)
    };
    let converts = !matches!(op, BinOp::Shl | BinOp::Shr | BinOp::LogAnd | BinOp::LogOr);
    if converts && !lptr && !rptr {
        if let Some(CType::Int { signed, .. }) = common(lt, rt) {
            // The script subtracts as int64; the bits of an unsigned difference are
            // the same.
            if op == BinOp::Sub && !signed {
                let d = binary(op, cast(64, true, l), cast(64, true, r));
                return cast(64, false, d);
            }
            l = cast(64, signed, l);
            r = cast(64, signed, r);
        } else {
            // Beside an operand of a type only the script knows (a kernel field),
            // a variable is read at its C type, so the script converts the two as
            // C would.
            // (A literal stays one: the script gives it the other operand's sign.)
            let own = |e: Expr, t: Option<&CType>| match t {
                _ if matches!(e.kind, ExprKind::Int(_)) => e,
                Some(CType::Int { bits, signed }) if *bits < 64 => cast(*bits, *signed, e),
                _ => e,
            };
            l = own(l, lt);
            r = own(r, rt);
        }
    }
    binary(op, l, r)
}

/// The script's `sizeof(T)` of a type it knows.
fn script_sizeof(ty: &CType, span: Span) -> Option<Expr> {
    let t = ty.script_type(span)?;
    let zero = expr(
        ExprKind::Cast {
            ty: t,
            expr: Box::new(int(0, span)),
        },
        span,
    );
    Some(expr(
        ExprKind::Call {
            name: "sizeof".into(),
            args: vec![zero],
        },
        span,
    ))
}

impl<'a> Inliner<'a> {
    /// The value of `e`.
    pub(super) fn value(&mut self, fr: &mut Frame<'a>, e: &CExpr) -> Expr {
        let sp = e.span;
        match &e.kind {
            CExprKind::Int(v) => int(*v, sp),
            CExprKind::Str(_) => {
                self.diags.push(unsupported(
                    sp,
                    "a string literal here (only as bpf_printk's format or a memcmp operand)",
                ));
                int(0, sp)
            }
            CExprKind::Var(name) if fr.local(name).is_none() => {
                if let Some(c) = self.consts.get(name.as_str()) {
                    let v = int(c.value, sp);
                    return match &c.ty {
                        CType::Int { bits, signed } => cast(*bits, *signed, v),
                        CType::Bool => int(u64::from(c.value != 0), sp),
                        t => super::inline::store(t, v),
                    };
                }
                match self.table.enumerators.get(name) {
                    Some(v) => int(*v as u64, sp),
                    None => {
                        self.diags.push(Diagnostic::error(
                            sp,
                            format!("use of undeclared identifier '{name}'"),
                        ));
                        int(0, sp)
                    }
                }
            }
            CExprKind::Var(_)
            | CExprKind::Member { .. }
            | CExprKind::Index { .. }
            | CExprKind::Unary {
                op: UnOp::Deref, ..
            } => match self.place(fr, e) {
                Some(Ok(p)) => self.read(p, sp),
                Some(Err(d)) => {
                    self.diags.push(d);
                    int(0, sp)
                }
                None => int(0, sp),
            },
            CExprKind::Unary {
                op: UnOp::AddrOf,
                expr: inner,
            } => self.address(fr, inner, sp),
            CExprKind::Call { name, args } => {
                if let Some(v) = self.helper(fr, name, args, sp) {
                    return v;
                }
                let args = self.call_args(fr, name, args);
                match self.funcs.get(name.as_str()).copied() {
                    Some(f) => self.call(f, args, None, sp).unwrap_or_else(|| int(0, sp)),
                    None => {
                        self.diags.push(unsupported(
                            sp,
                            &format!("a call of '{name}', which is not a function of this file"),
                        ));
                        int(0, sp)
                    }
                }
            }
            CExprKind::Unary {
                op: UnOp::Not,
                expr: inner,
            } => {
                let inner = self.truth(fr, inner);
                expr(
                    ExprKind::Unary {
                        op: UnOp::Not,
                        expr: Box::new(inner),
                    },
                    sp,
                )
            }
            CExprKind::Unary { op, expr: inner } => {
                let inner = self.value(fr, inner);
                expr(
                    ExprKind::Unary {
                        op: *op,
                        expr: Box::new(inner),
                    },
                    sp,
                )
            }
            CExprKind::Binary { op, lhs, rhs } => self.binary_value(fr, *op, lhs, rhs, sp),
            CExprKind::Ternary { cond, then, els } => {
                let c = self.truth(fr, cond);
                let mut t = self.value(fr, then);
                let mut f = self.value(fr, els);
                // Arithmetic branches convert to their common type, as in C
                // (`v ? *v : -1` of a `u32 *v` is an `unsigned int`).
                let (tt, ft) = (self.ty_of(fr, then), self.ty_of(fr, els));
                if let Some(ty) = common(tt.as_ref(), ft.as_ref()).filter(|_| {
                    !tt.as_ref().is_some_and(CType::is_ptr)
                        && !ft.as_ref().is_some_and(CType::is_ptr)
                }) {
                    t = store(&ty, t);
                    f = store(&ty, f);
                }
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
                let v = self.value(fr, inner);
                match ty {
                    CType::Int { bits, signed } => cast(*bits, *signed, v),
                    CType::Bool => binary(BinOp::Ne, v, int(0, sp)),
                    CType::Void => v,
                    CType::Ptr(_) => match ty.script_type(sp) {
                        Some(t) => expr(
                            ExprKind::Cast {
                                ty: t,
                                expr: Box::new(v),
                            },
                            sp,
                        ),
                        None => {
                            self.diags
                                .push(unsupported(sp, "casts to pointers to arrays"));
                            int(0, sp)
                        }
                    },
                    CType::Record { .. } | CType::Array(..) => {
                        self.diags
                            .push(unsupported(sp, &format!("casts to `{}`", ty.spelling())));
                        int(0, sp)
                    }
                }
            }
            CExprKind::SizeofType(ty) => self.size_of(ty, sp),
            CExprKind::SizeofExpr(inner) => match self.ty_of(fr, inner) {
                Some(ty) => self.size_of(&ty, sp),
                None => {
                    let v = self.value(fr, inner);
                    expr(
                        ExprKind::Call {
                            name: "sizeof".into(),
                            args: vec![v],
                        },
                        sp,
                    )
                }
            },
        }
    }

    /// `e` tested for truth: a pointer to a local is never null.
    pub(super) fn truth(&mut self, fr: &mut Frame<'a>, e: &CExpr) -> Expr {
        if let Some(p) = alias_of(fr, e) {
            return self.alias_truth(p, e.span);
        }
        self.value(fr, e)
    }

    /// Whether a pointer to `p` is not null: a map element when its key is in the
    /// map; a local always.
    pub(super) fn alias_truth(&self, p: Place, sp: Span) -> Expr {
        match p {
            Place::MapElem { map, key, .. } => match self.maps.get(map.as_str()) {
                Some(m) => super::helpers_map::present(m, super::inline::var(&key, sp), sp),
                None => int(1, sp),
            },
            _ => int(1, sp),
        }
    }

    /// The local `e` is the address of (`&local`, `&local.member`, or a pointer to a
    /// local passed on); `None` when `e` is no such address.
    pub(super) fn local_address(
        &mut self,
        fr: &mut Frame<'a>,
        e: &CExpr,
    ) -> Option<Result<Place, Diagnostic>> {
        if let Some(p) = alias_of(fr, e) {
            return Some(Ok(p));
        }
        // An array local decays to a pointer to its first element.
        if matches!(self.ty_of(fr, e), Some(CType::Array(..))) {
            if let Some(Ok(p @ Place::Local { .. })) = self.place(fr, e) {
                return Some(Ok(p));
            }
        }
        let CExprKind::Unary {
            op: UnOp::AddrOf,
            expr: inner,
        } = &e.kind
        else {
            return None;
        };
        match self.place(fr, inner)? {
            Ok(p @ (Place::Local { .. } | Place::Var { .. })) => Some(Ok(p)),
            Ok(Place::Dyn { .. }) => Some(Err(unsupported(
                e.span,
                "the address of an array element chosen at run time",
            ))),
            Ok(Place::Mem { .. }) => None,
            Ok(Place::MapElem { .. } | Place::MapField { .. }) => None,
            Ok(Place::Bits { .. } | Place::Overlay { .. }) => Some(Err(unsupported(
                e.span,
                "the address of a member of a union local",
            ))),
            Err(d) => Some(Err(d)),
        }
    }

    /// `&e`: the address of memory behind a pointer (a local has none).
    fn address(&mut self, fr: &mut Frame<'a>, inner: &CExpr, sp: Span) -> Expr {
        match self.place(fr, inner) {
            Some(Ok(Place::Mem { expr: obj, .. })) => match obj.kind {
                ExprKind::Unary {
                    op: UnOp::Deref,
                    expr: p,
                } => *p,
                ExprKind::Index { base, index } => binary(BinOp::Add, *base, *index),
                kind => expr(
                    ExprKind::Unary {
                        op: UnOp::AddrOf,
                        expr: Box::new(expr(kind, obj.span)),
                    },
                    sp,
                ),
            },
            Some(Ok(_)) => {
                self.diags.push(unsupported(
                    sp,
                    "the address of a local (only as the destination of \
                     bpf_probe_read_kernel/bpf_core_read)",
                ));
                int(0, sp)
            }
            Some(Err(d)) => {
                self.diags.push(d);
                int(0, sp)
            }
            None => {
                self.diags.push(Diagnostic::error(
                    sp,
                    "cannot take the address of an rvalue",
                ));
                int(0, sp)
            }
        }
    }

    fn binary_value(
        &mut self,
        fr: &mut Frame<'a>,
        op: BinOp,
        lhs: &CExpr,
        rhs: &CExpr,
        sp: Span,
    ) -> Expr {
        let lt = self.ty_of(fr, lhs);
        let rt = self.ty_of(fr, rhs);
        let lptr = lt.as_ref().is_some_and(CType::is_ptr);
        let rptr = rt.as_ref().is_some_and(CType::is_ptr);
        if matches!(op, BinOp::LogAnd | BinOp::LogOr) {
            let l = self.truth(fr, lhs);
            let r = self.truth(fr, rhs);
            let mut b = binary(op, l, r);
            b.span = sp;
            return b;
        }
        // A pointer to a local compared with NULL.
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            let (a, b) = (alias_of(fr, lhs), alias_of(fr, rhs));
            let p = match (a, b) {
                (Some(p), None) if is_null(rhs) => Some(p),
                (None, Some(p)) if is_null(lhs) => Some(p),
                _ => None,
            };
            if let Some(p) = p {
                let t = self.alias_truth(p, sp);
                return if op == BinOp::Ne {
                    t
                } else {
                    expr(
                        ExprKind::Unary {
                            op: UnOp::Not,
                            expr: Box::new(t),
                        },
                        sp,
                    )
                };
            }
        }
        // A pointer compared with a null pointer constant: with 0.
        let l = if op.is_comparison() && rptr && is_null(lhs) {
            int(0, lhs.span)
        } else {
            self.value(fr, lhs)
        };
        let r = if op.is_comparison() && lptr && is_null(rhs) {
            int(0, rhs.span)
        } else {
            self.value(fr, rhs)
        };
        // `p - q`: the number of elements between them.
        if op == BinOp::Sub && lptr && rptr {
            let elem = lt.and_then(|t| t.pointee().cloned()).unwrap_or(CType::Void);
            let bytes = cast(64, true, binary(BinOp::Sub, l, r));
            let size = match elem {
                CType::Void => return bytes,
                t => self.size_of(&t, sp),
            };
            let mut b = binary(BinOp::Div, bytes, cast(64, true, size));
            b.span = sp;
            return b;
        }
        let mut b = arith(op, l, lt.as_ref(), r, rt.as_ref());
        b.span = sp;
        b
    }

    /// `sizeof(ty)`: a number, or the script's `sizeof` for records.
    pub(super) fn size_of(&mut self, ty: &CType, sp: Span) -> Expr {
        match ty {
            CType::Bool | CType::Void => int(1, sp),
            CType::Int { bits, .. } => int(u64::from(*bits / 8), sp),
            CType::Ptr(_) => int(8, sp),
            CType::Array(elem, n) => {
                let e = self.size_of(elem, sp);
                match e.kind {
                    ExprKind::Int(v) => int(v.saturating_mul(u64::from(*n)), sp),
                    _ => binary(BinOp::Mul, e, int(u64::from(*n), sp)),
                }
            }
            CType::Record { .. } => script_sizeof(ty, sp).unwrap_or_else(|| int(0, sp)),
        }
    }

    /// The C type of `e`, where the file's definitions give it.
    pub(super) fn ty_of(&self, fr: &Frame<'a>, e: &CExpr) -> Option<CType> {
        match &e.kind {
            CExprKind::Int(v) => Some(if *v > i32::MAX as u64 {
                CType::S64
            } else {
                CType::S32
            }),
            CExprKind::Var(name) => Some(match fr.local(name) {
                Some(l) => l.ty.clone(),
                None => self
                    .consts
                    .get(name.as_str())
                    .map_or(CType::S32, |c| c.ty.clone()),
            }),
            CExprKind::Cast { ty, .. } => Some(ty.clone()),
            CExprKind::Call { name, .. } => match self.funcs.get(name.as_str()) {
                Some(f) => Some(f.ret.clone()),
                None => super::helpers::helper_type(name),
            },
            CExprKind::Unary { op, expr: inner } => match op {
                UnOp::Deref => self.ty_of(fr, inner)?.pointee().cloned(),
                UnOp::AddrOf => Some(CType::Ptr(Box::new(self.ty_of(fr, inner)?))),
                UnOp::Not => Some(CType::S32),
                UnOp::Neg | UnOp::BitNot => self.ty_of(fr, inner),
            },
            CExprKind::Member { base, field, arrow } => {
                let bt = self.ty_of(fr, base)?;
                let rec = if *arrow { bt.pointee()?.clone() } else { bt };
                self.table.member_type(&rec, field)
            }
            CExprKind::Index { base, .. } => self.ty_of(fr, base)?.pointee().cloned(),
            CExprKind::Binary { op, lhs, rhs } => match op {
                BinOp::Add | BinOp::Sub => {
                    let l = self.ty_of(fr, lhs);
                    let r = self.ty_of(fr, rhs);
                    match (l, r) {
                        (Some(l), Some(r)) if l.is_ptr() && r.is_ptr() => Some(CType::S64),
                        (Some(l), _) if l.is_ptr() => Some(l),
                        (_, Some(r)) if r.is_ptr() => Some(r),
                        (l, r) => common(l.as_ref(), r.as_ref()).or(l),
                    }
                }
                o if o.is_comparison() || matches!(o, BinOp::LogAnd | BinOp::LogOr) => {
                    Some(CType::S32)
                }
                BinOp::Shl | BinOp::Shr => self.ty_of(fr, lhs),
                _ => {
                    let l = self.ty_of(fr, lhs);
                    let r = self.ty_of(fr, rhs);
                    common(l.as_ref(), r.as_ref()).or(l)
                }
            },
            CExprKind::Ternary { then, els, .. } => {
                let (tt, ft) = (self.ty_of(fr, then), self.ty_of(fr, els));
                match (&tt, &ft) {
                    (Some(a), Some(b)) if !a.is_ptr() && !b.is_ptr() => {
                        common(tt.as_ref(), ft.as_ref()).or(tt)
                    }
                    _ => tt,
                }
            }
            CExprKind::SizeofType(_) | CExprKind::SizeofExpr(_) => Some(CType::U64),
            CExprKind::Str(_) => None,
        }
    }
}
