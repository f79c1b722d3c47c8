//! bpftrace's integer widths. Integers are 64 bits in registers here, but bpftrace
//! gives each integer value a width that shows in `sizeof`, `typeof`, casts to
//! pointers and messages: a literal takes the smallest signed type that holds it
//! (`1` and `-1` are `int8`, `1000` is `int16`), a cast its type, arithmetic 64 bits,
//! and a scratch variable the widest value assigned to it anywhere in the probe
//! (`$a = 1; $a = (uint64)2` makes `$a` a `uint64` from the start). The variables'
//! widths are collected as assignments are checked; the final pass sees them all.

use super::int_promo::{self, IntTy};
use super::types::*;
use super::{Checker, ProbeCx, VarId};
use crate::front::ast::{self, ExprKind};

/// bpftrace's spelling of an integer of `bytes` bytes (`int8`, `uint32`).
pub(super) fn int_spelling(signed: bool, bytes: u32) -> String {
    let bits = bytes.clamp(1, 8) * 8;
    if signed {
        format!("int{bits}")
    } else {
        format!("uint{bits}")
    }
}

/// The key of `e`'s facts: its span and a fingerprint of its shape. Nodes that
/// share a span (a synthetic cast around a literal, as the C front end builds them,
/// `(int64)(uint32)0` and `(uint64)0` on one C token) would otherwise overwrite each
/// other's facts; the fingerprint follows the chain of nested nodes on the same
/// span (kinds, cast types, operators, literal values), which is short.
pub(super) fn fact_key(e: &ast::Expr) -> (ast::Span, u64) {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut node = e;
    loop {
        std::mem::discriminant(&node.kind).hash(&mut h);
        let next = match &node.kind {
            ExprKind::Int(v) => {
                v.hash(&mut h);
                None
            }
            ExprKind::Cast { ty, expr } => {
                ty.pointers.hash(&mut h);
                std::mem::discriminant(&ty.base).hash(&mut h);
                if let ast::TypeBase::Int { bits, signed } = ty.base {
                    (bits, signed).hash(&mut h);
                }
                Some(expr)
            }
            ExprKind::Unary { op, expr } => {
                std::mem::discriminant(op).hash(&mut h);
                Some(expr)
            }
            ExprKind::Binary { op, lhs, .. } => {
                std::mem::discriminant(op).hash(&mut h);
                Some(lhs)
            }
            ExprKind::Ternary { then, .. } => Some(then),
            ExprKind::Block { value, .. } => Some(value),
            _ => None,
        };
        match next {
            Some(n) if n.span == e.span => node = n,
            _ => return (e.span, h.finish()),
        }
    }
}

impl Checker {
    /// The width in bytes (1, 2, 4 or 8) of the integer expression `e`.
    pub(super) fn int_width(&self, cx: &ProbeCx, e: &ast::Expr) -> u32 {
        self.int_ty(cx, e).map_or(8, |t| t.bytes)
    }

    /// bpftrace's type of the integer expression `e`, as recorded when it was
    /// checked (a variable: all its values so far); `None` when not known.
    pub(super) fn int_ty(&self, cx: &ProbeCx, e: &ast::Expr) -> Option<IntTy> {
        match &e.kind {
            ExprKind::Var(name) => {
                let v = cx.vars.lookup(name)?;
                let signed = cx.vars.ty(v).is_signed();
                Some(
                    cx.vars
                        .widths
                        .get(v.0 as usize)
                        .copied()
                        .flatten()
                        .unwrap_or(IntTy::wide(signed)),
                )
            }
            ExprKind::Block { value, .. } => self.int_ty(cx, value),
            _ => self.int_tys.get(&fact_key(e)).copied().or_else(|| {
                let bytes = super::tuple::int_size(e);
                (bytes < 8).then(|| IntTy::new(true, bytes))
            }),
        }
    }

    /// Records bpftrace's type of `e`, checked as `t` (integers only).
    pub(super) fn note_int(&mut self, cx: &ProbeCx, e: &ast::Expr, t: &TExpr) {
        let Type::Int { signed, .. } = t.ty else {
            return;
        };
        let ty = self.compute_int(cx, e, t, signed);
        self.int_tys.insert(fact_key(e), ty);
    }

    fn compute_int(&self, cx: &ProbeCx, e: &ast::Expr, t: &TExpr, signed: bool) -> IntTy {
        match &t.kind {
            TExprKind::KernelField {
                read: KernelRead::Int { size, .. },
                ..
            }
            | TExprKind::TpField { size, .. }
                if (1..=8).contains(size) =>
            {
                return IntTy::new(signed, *size);
            }
            _ => {}
        }
        let wide = IntTy::wide(signed);
        match &e.kind {
            ExprKind::Int(v) => IntTy::literal(i128::from(*v)),
            ExprKind::Unary {
                op: ast::UnOp::Neg,
                expr,
            } => match expr.kind {
                ExprKind::Int(v) => IntTy::literal(-i128::from(v)),
                _ => wide,
            },
            ExprKind::Cast { ty, .. } if ty.pointers == 0 => match ty.base {
                ast::TypeBase::Int { bits, signed } => {
                    IntTy::new(signed, u32::from(bits / 8).clamp(1, 8))
                }
                _ => self.cast_ints.get(&ty.span).copied().unwrap_or(wide),
            },
            ExprKind::Ident(name) => match super::builtins::lookup(name) {
                Some(_) => int_promo::builtin_bytes(name).map_or(wide, |b| IntTy::new(signed, b)),
                None => wide,
            },
            ExprKind::Call { name, .. } if matches!(name.as_str(), "pid" | "tid") => {
                IntTy::new(signed, 4)
            }
            ExprKind::Var(_) | ExprKind::Block { .. } => self.int_ty(cx, e).unwrap_or(wide),
            ExprKind::Map { name, .. } => self.map_ints.get(name).copied().unwrap_or(wide),
            ExprKind::Ternary { then, els, .. } => {
                match (self.int_ty(cx, then), self.int_ty(cx, els)) {
                    (Some(a), Some(b)) => a.promote(b),
                    _ => wide,
                }
            }
            _ => wide,
        }
    }

    /// The type of the value `t` (the expression `e` as written; `None`: a compound
    /// assignment's arithmetic) stored into a variable or map.
    pub(super) fn value_int(
        &self,
        cx: &ProbeCx,
        e: Option<&ast::Expr>,
        t: &TExpr,
    ) -> Option<IntTy> {
        let Type::Int { signed, .. } = t.ty else {
            return None;
        };
        Some(
            e.and_then(|e| self.int_ty(cx, e))
                .unwrap_or(IntTy::wide(signed)),
        )
    }

    /// Records that `var` was assigned a value of type `value`: the variable's type
    /// is promoted to hold it (its sign too).
    pub(super) fn note_var_int(&self, cx: &mut ProbeCx, var: VarId, value: Option<IntTy>) {
        let (Some(value), Type::Int { signed, enum_id }) = (value, cx.vars.ty(var)) else {
            return;
        };
        if cx.vars.int_decls.contains_key(&var.0) {
            // A declared type (`let $a: uint16`) stays as declared.
            return;
        }
        let Some(slot) = cx.vars.widths.get_mut(var.0 as usize) else {
            return;
        };
        let promoted = slot.map_or(value, |old| old.promote(value));
        *slot = Some(promoted);
        if promoted.signed != signed {
            cx.vars.vars[var.0 as usize].1 = Type::Int {
                signed: promoted.signed,
                enum_id,
            };
        }
    }

    /// Records that map `name` (index `map`) was used with an integer of type `key`
    /// as key `pos`: that key's type is promoted to hold it (its sign too).
    pub(super) fn note_map_key_int(&mut self, name: &str, map: MapIdx, pos: usize, key: IntTy) {
        let slot = (name.to_string(), pos);
        let promoted = self
            .map_key_ints
            .get(&slot)
            .map_or(key, |old| old.promote(key));
        self.map_key_ints.insert(slot, promoted);
        self.maps.set_key_int_sign(map, pos, promoted.signed);
    }

    /// Records that map `name` (index `map`) was assigned a plain integer of type
    /// `value`: the map's value type is promoted to hold it (its sign too).
    pub(super) fn note_map_int(&mut self, name: &str, map: MapIdx, value: Option<IntTy>) {
        let Some(value) = value else {
            return;
        };
        let promoted = self
            .map_ints
            .get(name)
            .map_or(value, |old| old.promote(value));
        self.map_ints.insert(name.to_string(), promoted);
        self.maps.set_int_sign(map, promoted.signed);
    }

    /// bpftrace's spelling of the type of key expression `e` of type `ty` (`int8`,
    /// `string[3]`, `(int8,string[3])`), when it can be spelled.
    pub(super) fn key_spelling(
        &self,
        cx: &ProbeCx,
        e: Option<&ast::Expr>,
        ty: Type,
    ) -> Option<String> {
        match ty {
            Type::Int { signed, .. } => {
                let w = e.map_or(8, |e| self.int_width(cx, e));
                Some(int_spelling(signed, w))
            }
            Type::Str { size } => Some(format!("string[{size}]")),
            Type::Bool => Some("bool".into()),
            Type::Tuple(t) if !t.record => {
                let elems = match e.map(|e| &e.kind) {
                    Some(ExprKind::Tuple(elems)) if elems.len() == t.fields.len() => {
                        elems.iter().map(Some).collect()
                    }
                    _ => vec![None; t.fields.len()],
                };
                let parts = t
                    .fields
                    .iter()
                    .zip(elems)
                    .map(|(f, e)| match (f.ty, e) {
                        (Type::Int { signed, .. }, None) => Some(int_spelling(signed, f.size)),
                        (ty, e) => self.key_spelling(cx, e, ty),
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(format!("({})", parts.join(",")))
            }
            _ => None,
        }
    }
}

impl Checker {
    /// bpftrace's spelling of the keys `keys` (checked as `tkeys`) of a map access:
    /// one key's type, or a tuple of several.
    pub(super) fn keys_spelling(
        &self,
        cx: &ProbeCx,
        keys: &[ast::Expr],
        tkeys: &[TExpr],
    ) -> Option<String> {
        match (keys, tkeys) {
            ([], _) => None,
            ([k], [t]) => self.key_spelling(cx, Some(k), t.ty),
            _ if keys.len() == tkeys.len() => {
                let parts = keys
                    .iter()
                    .zip(tkeys)
                    .map(|(k, t)| self.key_spelling(cx, Some(k), t.ty))
                    .collect::<Option<Vec<_>>>()?;
                Some(format!("({})", parts.join(",")))
            }
            _ => None,
        }
    }
}
