//! bpftrace's integer widths. Integers are 64 bits in registers here, but bpftrace
//! gives each integer value a width that shows in `sizeof`, `typeof`, casts to
//! pointers and messages: a literal takes the smallest signed type that holds it
//! (`1` and `-1` are `int8`, `1000` is `int16`), a cast its type, arithmetic 64 bits,
//! and a scratch variable the widest value assigned to it anywhere in the probe
//! (`$a = 1; $a = (uint64)2` makes `$a` a `uint64` from the start). The variables'
//! widths are collected as assignments are checked; the final pass sees them all.

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

impl Checker {
    /// The width in bytes (1, 2, 4 or 8) of the integer expression `e`.
    pub(super) fn int_width(&self, cx: &ProbeCx, e: &ast::Expr) -> u32 {
        match &e.kind {
            ExprKind::Var(name) => cx
                .vars
                .lookup(name)
                .map_or(8, |v| var_width(cx.vars.widths.get(v.0 as usize).copied())),
            ExprKind::Block { value, .. } => self.int_width(cx, value),
            _ => super::tuple::int_size(e),
        }
    }

    /// Records that `var` was assigned `value` (`None`: a compound assignment, whose
    /// arithmetic is 64 bits wide).
    pub(super) fn note_var_width(&self, cx: &mut ProbeCx, var: VarId, value: Option<&ast::Expr>) {
        if !matches!(cx.vars.ty(var), Type::Int { .. }) {
            return;
        }
        let w = value.map_or(8, |e| self.int_width(cx, e));
        if let Some(slot) = cx.vars.widths.get_mut(var.0 as usize) {
            *slot = (*slot).max(w);
        }
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

/// A recorded width (0 or absent: nothing assigned yet) as bytes.
fn var_width(w: Option<u32>) -> u32 {
    w.filter(|w| (1..=8).contains(w)).unwrap_or(8)
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
