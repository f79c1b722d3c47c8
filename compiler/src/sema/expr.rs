//! Checking expressions.

use super::types::*;
use super::{builtins, params, poisoned, Checker, MapValueType, ProbeCx};
use crate::front::ast::{self, BinOp, ExprKind, Span};
use crate::ir::Cond;

/// A constant non-negative integer takes the signedness of the other side
/// (bpftrace's "positive literals are flexible"; a cast to an unsigned type is not).
fn flexible(e: &TExpr) -> bool {
    matches!(e.kind, TExprKind::Int(v) if v >= 0) && e.ty.is_signed()
}

/// Whether an operation on `l` and `r` is signed: either side is once flexible
/// literals took the other's sign (see `int_promo`).
fn signed_op(l: &TExpr, r: &TExpr) -> bool {
    let ty = |t: &TExpr| super::int_promo::IntTy {
        signed: t.ty.is_signed(),
        bytes: 8,
        flexible: flexible(t),
    };
    super::int_promo::op_signed(ty(l), ty(r), false)
}

/// Whether a division or modulo of literals `l` by `r` (folded) is signed: when both
/// are once flexible literals took the other's sign. Anything else divides unsigned
/// in the program, as bpftrace's does (`int_ops`).
fn div_signed(l: &TExpr, r: &TExpr) -> bool {
    match (flexible(l), flexible(r)) {
        (true, true) => true,
        (true, false) => r.ty.is_signed(),
        (false, true) => l.ty.is_signed(),
        (false, false) => l.ty.is_signed() && r.ty.is_signed(),
    }
}

fn konst(e: &TExpr) -> Option<i64> {
    match e.kind {
        TExprKind::Int(v) => Some(v),
        _ => None,
    }
}

fn int(v: i64, ty: Type, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Int(v),
        ty,
        span,
    }
}

impl Checker {
    /// An expression used for its value.
    pub(super) fn expr(&mut self, cx: &mut ProbeCx, e: &ast::Expr) -> TExpr {
        let t = self.expr_kind(cx, e);
        self.note_int(cx, e, &t);
        t
    }

    fn expr_kind(&mut self, cx: &mut ProbeCx, e: &ast::Expr) -> TExpr {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(v) => {
                let ty = if *v > i64::MAX as u64 {
                    Type::U64
                } else {
                    Type::I64
                };
                int(*v as i64, ty, span)
            }
            ExprKind::Str(s) => TExpr {
                kind: TExprKind::Str(s.clone()),
                ty: Type::Str {
                    size: s.len() as u32 + 1,
                },
                span,
            },
            ExprKind::Ident(name) => self.ident(cx, name, span),
            ExprKind::Var(name) if params::special(name).is_some() => {
                self.special_var(params::special(name), span)
            }
            ExprKind::Var(name) => match cx.vars.lookup(name) {
                Some(v) if cx.vars.assigned[v.0 as usize] => TExpr {
                    kind: TExprKind::Var(v),
                    ty: cx.vars.ty(v),
                    span,
                },
                None if cx.vars.lookup(&format!("{name}.1")).is_some() => {
                    super::for_map::loop_var_whole(cx, name, span).unwrap_or_else(|| poisoned(span))
                }
                _ => {
                    self.error(
                        span,
                        format!("variable '${name}' is used before it is assigned"),
                    );
                    poisoned(span)
                }
            },
            ExprKind::Map { name, keys } => self.map_read(cx, name, keys, span),
            ExprKind::Call { name, args } => self.call_expr(cx, name, args, span),
            ExprKind::Field { base, field, .. } => self.field(cx, base, field, span),
            ExprKind::Index { base, index } => self.index_expr(cx, base, index, span),
            ExprKind::Unary { op, expr } => self.unary(cx, *op, expr, span),
            ExprKind::Binary { op, lhs, rhs } => self.binary(cx, *op, lhs, rhs, span),
            ExprKind::Ternary { cond, then, els } => self.ternary(cx, cond, then, els, span),
            ExprKind::Cast { ty, expr } => self.cast(cx, ty, expr, span),
            ExprKind::Block { stmts, value } => self.block_expr(cx, stmts, value, span),
            ExprKind::Tuple(items) => self.tuple_expr(cx, items, None, span),
            ExprKind::Record { names, values } => self.tuple_expr(cx, values, Some(names), span),
        }
    }

    /// An expression used as a condition: an integer or pointer.
    pub(super) fn condition(&mut self, cx: &mut ProbeCx, e: &ast::Expr) -> TExpr {
        let t = self.expr(cx, e);
        self.require_scalar(&t, "a condition");
        t
    }

    /// Report unless `t` is an integer or pointer; `what` completes "cannot use a string as ...".
    pub(super) fn require_scalar(&mut self, t: &TExpr, what: &str) -> bool {
        match t.ty {
            Type::Int { .. } | Type::Ptr { .. } | Type::Bool => true,
            Type::Unknown => false,
            other => {
                self.error(t.span, format!("cannot use {} as {what}", other.describe()));
                false
            }
        }
    }

    pub(super) fn ident(&mut self, cx: &mut ProbeCx, name: &str, span: Span) -> TExpr {
        if let Some((b, ty)) = builtins::lookup(name) {
            return TExpr {
                kind: TExprKind::Builtin(b),
                ty,
                span,
            };
        }
        if let Some(t) = self.probe_ident(cx, name, span) {
            return t;
        }
        match name {
            "true" | "false" => TExpr {
                kind: TExprKind::Int(i64::from(name == "true")),
                ty: Type::Bool,
                span,
            },
            "curtask" => self.curtask(span),
            "usermode" | "ppid" => self.task_builtin(cx, name, span),
            "kstack" | "ustack" => self.stack_expr(name, &[], span),
            "dw_ustack" => self.dw_stack_expr(cx, &[], span),
            "username" => super::fmtvals::username(span),
            "probe" => super::attach_names::probe_expr(cx, span),
            "args" => self.whole_args(cx, span),
            _ if super::stdlib::is_ident(name) => self
                .stdlib_ident(cx, name, span)
                .unwrap_or_else(|| poisoned(span)),
            _ => match self.enum_constant(name, span) {
                Some(c) => c,
                // A macro of a header the host lacks (see `front::kconsts`).
                None => match crate::front::kconsts::lookup(name).filter(|_| self.abi_constants) {
                    Some(v) => int(v, Type::I64, span),
                    None => {
                        self.error(span, format!("unknown builtin '{name}'"));
                        poisoned(span)
                    }
                },
            },
        }
    }

    pub(super) fn diag_note(&mut self, span: Span, msg: String, note: String) {
        if self.final_pass {
            self.diags
                .push(crate::diag::Diagnostic::error(span, msg).with_note(note));
        }
    }

    /// Check map keys and record their types; returns the map and checked keys.
    pub(super) fn map_keys(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        keys: &[ast::Expr],
        span: Span,
    ) -> (MapIdx, Vec<TExpr>) {
        let idx = self.maps.get(name, span);
        let mut tkeys = Vec::new();
        for k in keys {
            let t = self.expr(cx, k);
            match t.ty {
                Type::Int { .. }
                | Type::Ptr { .. }
                | Type::Str { .. }
                | Type::Bool
                | Type::Tuple(_)
                | Type::Stack(_)
                | Type::Fmt(_)
                | Type::Unknown => {}
                Type::Void => self.error(t.span, "a map key must be an integer or a string"),
            }
            tkeys.push(t);
        }
        let spelling = self.keys_spelling(cx, keys, &tkeys);
        // `@m[$t]` with a tuple `$t` is `@m[$t.0, $t.1, ...]` (an array stays one key).
        if let [single] = tkeys.as_slice() {
            if matches!(single.ty, Type::Tuple(t) if !t.record && !t.array && t.fields.len() > 1) {
                tkeys = super::tuple::split(tkeys.remove(0));
            }
        }
        let types: Vec<Type> = tkeys
            .iter()
            .map(|t| {
                if t.ty == Type::Void {
                    Type::Unknown
                } else {
                    t.ty
                }
            })
            .collect();
        match self.maps.use_keys(idx, &types) {
            Err(m) => {
                let m = match (self.maps.key_spelling(idx), spelling) {
                    (Some(known), Some(here)) => format!(
                        "Argument mismatch for {}: trying to access with arguments: '{here}' when map expects arguments: '{known}'",
                        self.maps.name(idx)
                    ),
                    _ => m,
                };
                self.error(span, m);
            }
            Ok(()) => {
                if let Some(s) = spelling {
                    self.maps.note_key_spelling(idx, s);
                }
                if keys.len() == tkeys.len() {
                    for (i, (k, t)) in keys.iter().zip(&tkeys).enumerate() {
                        if let Some(ty) = self.value_int(cx, Some(k), t) {
                            self.note_map_key_int(name, idx, i, ty);
                        }
                    }
                }
            }
        }
        (idx, tkeys)
    }

    fn map_read(&mut self, cx: &mut ProbeCx, name: &str, keys: &[ast::Expr], span: Span) -> TExpr {
        let (map, keys) = self.map_keys(cx, name, keys, span);
        let ty = match self.maps.value(map) {
            Some(MapValueType::Plain(t)) => t,
            Some(MapValueType::Agg { kind, signed }) if super::agg_read::readable(kind) => {
                super::agg_read::value_type(kind, signed)
            }
            Some(MapValueType::Agg { .. }) => {
                let n = self.maps.name(map).to_string();
                self.error(
                    span,
                    format!("{n} holds an aggregation (count(), sum()...) and cannot be read as a value"),
                );
                return poisoned(span);
            }
            // Reported once by `MapTable::finish` if it is never assigned.
            None => Type::Unknown,
        };
        TExpr {
            kind: TExprKind::MapRead { map, keys },
            ty,
            span,
        }
    }

    fn unary(&mut self, cx: &mut ProbeCx, op: ast::UnOp, e: &ast::Expr, span: Span) -> TExpr {
        if op == ast::UnOp::AddrOf {
            return self.addr_of(cx, e, span);
        }
        let t = self.expr(cx, e);
        let (op, sym) = match op {
            ast::UnOp::Neg => (UnaryOp::Neg, "-"),
            ast::UnOp::BitNot => (UnaryOp::BitNot, "~"),
            ast::UnOp::Not => (UnaryOp::LogNot, "!"),
            ast::UnOp::Deref => return self.deref(t, span),
            ast::UnOp::AddrOf => return poisoned(span),
        };
        if !self.require_scalar(&t, &format!("the operand of '{sym}'")) {
            return poisoned(span);
        }
        let ty = match op {
            UnaryOp::Neg => Type::I64,
            UnaryOp::LogNot => Type::Bool,
            UnaryOp::BitNot => match t.ty {
                Type::Ptr { .. } => Type::U64,
                other => other,
            },
        };
        if let Some(v) = konst(&t) {
            let r = match op {
                UnaryOp::Neg => v.wrapping_neg(),
                UnaryOp::BitNot => !v,
                UnaryOp::LogNot => (v == 0) as i64,
            };
            return int(r, ty, span);
        }
        TExpr {
            kind: TExprKind::Unary {
                op,
                expr: Box::new(t),
            },
            ty,
            span,
        }
    }

    pub(super) fn binary(
        &mut self,
        cx: &mut ProbeCx,
        op: BinOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
    ) -> TExpr {
        let (lhs, rhs) = if matches!(op, BinOp::Eq | BinOp::Ne) {
            self.compare_operands(cx, l, r)
        } else {
            (self.expr(cx, l), self.expr(cx, r))
        };
        if lhs.ty == Type::Unknown || rhs.ty == Type::Unknown {
            return super::self_ref::provisional_arith(op, &lhs, &rhs, span)
                .unwrap_or_else(|| poisoned(span));
        }
        self.int_op_warnings(cx, op, (l, &lhs), (r, &rhs), span);
        if matches!(op, BinOp::LogAnd | BinOp::LogOr) {
            let ok = self.require_scalar(&lhs, &format!("an operand of '{}'", op.symbol()))
                & self.require_scalar(&rhs, &format!("an operand of '{}'", op.symbol()));
            if !ok {
                return poisoned(span);
            }
            let and = op == BinOp::LogAnd;
            if let (Some(a), Some(b)) = (konst(&lhs), konst(&rhs)) {
                let v = if and {
                    a != 0 && b != 0
                } else {
                    a != 0 || b != 0
                };
                return int(v as i64, Type::Bool, span);
            }
            return TExpr {
                kind: TExprKind::Logic {
                    and,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                ty: Type::Bool,
                span,
            };
        }
        if op.is_comparison() {
            let (lhs, rhs) = self.names_compared(cx, lhs, rhs);
            return self.compare(op, lhs, rhs, span);
        }
        // Arithmetic.
        for t in [&lhs, &rhs] {
            if !t.ty.is_scalar() {
                self.error(
                    t.span,
                    format!(
                        "cannot use {} in arithmetic ('{}')",
                        t.ty.describe(),
                        op.symbol()
                    ),
                );
                return poisoned(span);
            }
        }
        let signed = signed_op(&lhs, &rhs);
        // Only literal-only operations are signed (bpftrace folds them before typing);
        // the program shifts logically and divides unsigned (`int_ops`).
        let folded = super::int_ops::is_literal(l) && super::int_ops::is_literal(r);
        let aop = match op {
            BinOp::Add => Arith::Add,
            BinOp::Sub => Arith::Sub,
            BinOp::Mul => Arith::Mul,
            BinOp::Div => Arith::Div {
                signed: folded && div_signed(&lhs, &rhs),
            },
            BinOp::Mod => Arith::Mod {
                signed: folded && div_signed(&lhs, &rhs),
            },
            BinOp::BitAnd => Arith::And,
            BinOp::BitOr => Arith::Or,
            BinOp::BitXor => Arith::Xor,
            BinOp::Shl => Arith::Shl,
            BinOp::Shr => Arith::Shr {
                signed: folded && lhs.ty.is_signed(),
            },
            // Handled above.
            BinOp::Eq
            | BinOp::Ne
            | BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge
            | BinOp::LogAnd
            | BinOp::LogOr => return poisoned(span),
        };
        let rhs = match (lhs.ty, aop) {
            (Type::Ptr { to, .. }, Arith::Add | Arith::Sub)
                if !matches!(rhs.ty, Type::Ptr { .. }) =>
            {
                let scale = self.pointee_size(to, span);
                super::pointer::scaled(rhs, scale)
            }
            _ => rhs,
        };
        let ty = match (lhs.ty, aop) {
            (Type::Ptr { .. }, Arith::Add | Arith::Sub) if !matches!(rhs.ty, Type::Ptr { .. }) => {
                lhs.ty
            }
            (_, Arith::Sub) => Type::I64,
            _ => Type::int(signed),
        };
        if let (Some(a), Some(b)) = (konst(&lhs), konst(&rhs)) {
            let v = match aop {
                Arith::Add => Some(a.wrapping_add(b)),
                Arith::Sub => Some(a.wrapping_sub(b)),
                Arith::Mul => Some(a.wrapping_mul(b)),
                Arith::Div { .. } | Arith::Mod { .. } if b == 0 => {
                    self.error(span, "division by zero");
                    return poisoned(span);
                }
                Arith::Div { signed: true } => Some(a.wrapping_div(b)),
                Arith::Div { signed: false } => Some(((a as u64) / (b as u64)) as i64),
                Arith::Mod { signed: true } => Some(a.wrapping_rem(b)),
                Arith::Mod { signed: false } => Some(((a as u64) % (b as u64)) as i64),
                Arith::And => Some(a & b),
                Arith::Or => Some(a | b),
                Arith::Xor => Some(a ^ b),
                Arith::Shl => Some(if (0..64).contains(&b) { a << b } else { 0 }),
                Arith::Shr { signed } => Some(match (signed, (0..64).contains(&b)) {
                    (true, true) => a >> b,
                    (false, true) => ((a as u64) >> b) as i64,
                    (true, false) => a >> 63,
                    (false, false) => 0,
                }),
            };
            if let Some(v) = v {
                return int(v, ty, span);
            }
        }
        if matches!(aop, Arith::Div { .. } | Arith::Mod { .. }) && konst(&rhs).is_none() {
            return self.div_checked(aop, lhs, rhs, ty, span);
        }
        TExpr {
            kind: TExprKind::Arith {
                op: aop,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            ty,
            span,
        }
    }

    fn compare(&mut self, op: BinOp, lhs: TExpr, rhs: TExpr, span: Span) -> TExpr {
        if let BinOp::Eq | BinOp::Ne = op {
            let negate = op == BinOp::Ne;
            let literal = |e: &TExpr| matches!(e.kind, TExprKind::Str(_));
            if (literal(&rhs) && self.runtime_name(&lhs, "compared with a string"))
                || (literal(&lhs) && self.runtime_name(&rhs, "compared with a string"))
            {
                return poisoned(span);
            }
            let names = &self.attach_names;
            if let Some(t) = super::attach_names::compare(names, negate, &lhs, &rhs, span) {
                return t;
            }
        }
        if super::array_cmp::both_arrays(&lhs, &rhs) {
            return self.array_compare(op, lhs, rhs, span);
        }
        if super::tuple_cmp::both_tuples(&lhs, &rhs) {
            return self.tuple_compare(op, lhs, rhs, span);
        }
        match (lhs.ty, rhs.ty) {
            (
                Type::Fmt(tracec_meta::FmtKind::Buf { .. }),
                Type::Fmt(tracec_meta::FmtKind::Buf { .. }),
            ) if matches!(op, BinOp::Eq | BinOp::Ne) => TExpr {
                kind: TExprKind::BufEq {
                    negate: op == BinOp::Ne,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                ty: Type::Bool,
                span,
            },
            (Type::Str { .. }, Type::Str { .. }) => {
                let negate = match op {
                    BinOp::Eq => false,
                    BinOp::Ne => true,
                    _ => {
                        self.error(
                            span,
                            format!(
                                "strings can only be compared with == and !=, not '{}'",
                                op.symbol()
                            ),
                        );
                        return poisoned(span);
                    }
                };
                if let (TExprKind::Str(a), TExprKind::Str(b)) = (&lhs.kind, &rhs.kind) {
                    return int(((a == b) != negate) as i64, Type::Bool, span);
                }
                TExpr {
                    kind: TExprKind::StrEq {
                        negate,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    ty: Type::Bool,
                    span,
                }
            }
            (a, b) if a.is_scalar() && b.is_scalar() => {
                let signed = signed_op(&lhs, &rhs);
                let cond = match (op, signed) {
                    (BinOp::Eq, _) => Cond::Eq,
                    (BinOp::Ne, _) => Cond::Ne,
                    (BinOp::Lt, true) => Cond::Slt,
                    (BinOp::Lt, false) => Cond::Ult,
                    (BinOp::Le, true) => Cond::Sle,
                    (BinOp::Le, false) => Cond::Ule,
                    (BinOp::Gt, true) => Cond::Sgt,
                    (BinOp::Gt, false) => Cond::Ugt,
                    (BinOp::Ge, true) => Cond::Sge,
                    (_, _) => {
                        if signed {
                            Cond::Sge
                        } else {
                            Cond::Uge
                        }
                    }
                };
                if let (Some(x), Some(y)) = (konst(&lhs), konst(&rhs)) {
                    let (ux, uy) = (x as u64, y as u64);
                    let v = match cond {
                        Cond::Eq => x == y,
                        Cond::Ne => x != y,
                        Cond::Slt => x < y,
                        Cond::Sle => x <= y,
                        Cond::Sgt => x > y,
                        Cond::Sge => x >= y,
                        Cond::Ult => ux < uy,
                        Cond::Ule => ux <= uy,
                        Cond::Ugt => ux > uy,
                        Cond::Uge => ux >= uy,
                        Cond::Set => x & y != 0,
                    };
                    return int(v as i64, Type::Bool, span);
                }
                TExpr {
                    kind: TExprKind::Cmp {
                        cond,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    ty: Type::Bool,
                    span,
                }
            }
            (a, b) => {
                self.error(
                    span,
                    format!("cannot compare {} with {}", a.describe(), b.describe()),
                );
                poisoned(span)
            }
        }
    }

    fn ternary(
        &mut self,
        cx: &mut ProbeCx,
        c: &ast::Expr,
        t: &ast::Expr,
        e: &ast::Expr,
        span: Span,
    ) -> TExpr {
        let cond = self.condition(cx, c);
        let then = self.expr(cx, t);
        let els = self.expr(cx, e);
        let (then, els) = self.names_in_branches(cx, then, els);
        self.ternary_warnings(cx, (t, &then), (e, &els));
        let ty = match (then.ty, els.ty) {
            (Type::Unknown, _) | (_, Type::Unknown) => {
                return super::self_ref::provisional_ternary(&then, &els, span)
                    .unwrap_or_else(|| poisoned(span))
            }
            (Type::Str { size: a }, Type::Str { size: b }) => Type::Str { size: a.max(b) },
            (Type::Ptr { .. }, b) if b.is_scalar() => then.ty,
            (Type::Int { .. }, Type::Ptr { .. }) => els.ty,
            (Type::Fmt(a), Type::Fmt(b)) if super::fmtvals::merge(a, b).is_some() => {
                super::fmtvals::merge(a, b).map_or(then.ty, Type::Fmt)
            }
            (Type::Int { enum_id: a, .. }, Type::Int { enum_id: b, .. }) => Type::Int {
                signed: signed_op(&then, &els),
                enum_id: if a == b { a } else { None },
            },
            (Type::Bool, Type::Bool) => Type::Bool,
            (a @ Type::Tuple(_), b @ Type::Tuple(_)) if a.merge(b).is_some() => {
                a.merge(b).unwrap_or(a)
            }
            (a, b) => {
                self.error(
                    span,
                    format!(
                        "the branches of '?:' must have the same kind of type, not {} and {}",
                        a.describe(),
                        b.describe()
                    ),
                );
                return poisoned(span);
            }
        };
        if cond.ty == Type::Unknown {
            return poisoned(span);
        }
        if let Some(v) = konst(&cond) {
            let mut pick = if v != 0 { then } else { els };
            pick.ty = ty;
            return pick;
        }
        TExpr {
            kind: TExprKind::Ternary {
                cond: Box::new(cond),
                then: Box::new(then),
                els: Box::new(els),
            },
            ty,
            span,
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn literal_flexibility() {
        let s = Span::default();
        let lit = int(0, Type::I64, s);
        let u = TExpr {
            kind: TExprKind::Builtin(Builtin::Pid),
            ty: Type::U64,
            span: s,
        };
        let neg = int(-1, Type::I64, s);
        assert!(!signed_op(&u, &lit));
        // A negative value makes the operation signed (bpftrace's int64).
        assert!(signed_op(&u, &neg));
        assert!(signed_op(&lit, &neg));
        // A cast to an unsigned type is no flexible literal.
        let cast = int(5, Type::U64, s);
        assert!(signed_op(&cast, &neg));
        assert!(!signed_op(&cast, &lit));
        // Division stays unsigned unless both sides are signed.
        assert!(!div_signed(&u, &neg));
        assert!(div_signed(&lit, &neg));
    }
}
