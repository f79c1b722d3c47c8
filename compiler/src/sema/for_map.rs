//! Checking `for ($kv : @map) { body }` (and which range loops become callbacks).
//!
//! Until scripts have tuple values, the loop variable is not one variable but one per
//! part, under names no script can spell: `kv.0` (the key, or `kv.0.0`, `kv.0.1`...
//! for a map with several keys) and `kv.1` (the value). `$kv.0` and `$kv.1.`
//! expressions resolve to them in [`Checker::loop_tuple_field`].

use super::types::*;
use super::{agg_read, poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use crate::sema::MapValueType;

impl Checker {
    /// `for ($var : @map) { body }`.
    pub(super) fn for_map(
        &mut self,
        cx: &mut ProbeCx,
        var: &str,
        m: &ast::Expr,
        body: &ast::Block,
        span: Span,
    ) -> TStmtKind {
        let ExprKind::Map { name, keys } = &m.kind else {
            self.error(
                m.span,
                "a `for` loop iterates over a map (`for ($kv : @m)`) or a range (`for ($i : 0..n)`)",
            );
            return TStmtKind::Expr(poisoned(span));
        };
        if !keys.is_empty() {
            self.error(
                m.span,
                format!("iterate over the whole map, without keys: for (${var} : {name})"),
            );
        }
        if cx.vars.lookup(var).is_some() {
            self.error(
                span,
                format!(
                    "loop variable ${var} is already declared; variable shadowing is not allowed"
                ),
            );
        }
        let map = self.maps.get(name, m.span);
        let key_types: Vec<Type> = self
            .maps
            .keys(map)
            .map(<[Type]>::to_vec)
            .unwrap_or_default();
        let value_ty = match self.maps.value(map) {
            Some(MapValueType::Plain(t)) => t,
            Some(MapValueType::Agg { kind, signed }) if agg_read::readable(kind) => {
                agg_read::value_type(kind, signed)
            }
            Some(MapValueType::Agg { .. }) => {
                let n = self.maps.name(map).to_string();
                self.error(
                    m.span,
                    format!("cannot iterate over {n}: only maps of values, count(), sum(), min(), max() and avg() can be iterated"),
                );
                Type::Unknown
            }
            None => Type::Unknown,
        };
        let shared = visible_vars(cx);
        cx.vars.push_scope();
        let part = |cx: &mut ProbeCx, name: String, ty: Type| {
            let v = cx.vars.declare_new(&name);
            cx.vars.vars[v.0 as usize].1 = ty;
            cx.vars.assigned[v.0 as usize] = true;
            v
        };
        let keys = match key_types.as_slice() {
            [] => vec![part(cx, format!("{var}.0"), Type::U64)],
            [t] => vec![part(cx, format!("{var}.0"), *t)],
            many => many
                .iter()
                .enumerate()
                .map(|(i, t)| part(cx, format!("{var}.0.{i}"), *t))
                .collect(),
        };
        let value = part(cx, format!("{var}.1"), value_ty);
        let first_local = cx.vars.next;
        cx.loops += 1;
        let body = self.block(cx, body);
        cx.loops -= 1;
        let locals = (first_local..cx.vars.next)
            .map(|i| VarId(i as u32))
            .collect();
        cx.vars.pop_scope();
        TStmtKind::ForMap {
            map,
            keys,
            value,
            shared,
            locals,
            body,
        }
    }

    /// `$kv.0`, `$kv.1`, `$kv.0.1` of a map loop variable, if `base.field` is one.
    pub(super) fn loop_tuple_field(
        &mut self,
        cx: &mut ProbeCx,
        base: &ast::Expr,
        field: &str,
        span: Span,
    ) -> Option<TExpr> {
        let path = format!("{}.{field}", tuple_path(base)?);
        loop_var_whole(cx, &path, span)
    }
}

/// The loop variable part called `path` (`kv.0`, `kv.1`...), or, when the loop keeps it
/// as several parts (`kv` itself, or `kv.0` of a map with several keys), the tuple of
/// those parts. `None` if `path` names no part of a map loop variable.
pub(super) fn loop_var_whole(cx: &ProbeCx, path: &str, span: Span) -> Option<TExpr> {
    if let Some(v) = cx.vars.lookup(path) {
        return Some(TExpr {
            kind: TExprKind::Var(v),
            ty: cx.vars.ty(v),
            span,
        });
    }
    let prefix = format!("{path}.");
    let has_parts = cx
        .vars
        .scopes
        .iter()
        .flat_map(|s| s.iter())
        .any(|(name, _)| name.starts_with(&prefix));
    if !has_parts {
        return None;
    }
    let first = loop_var_whole(cx, &format!("{path}.0"), span)?;
    let mut items = vec![first];
    for i in 1.. {
        match loop_var_whole(cx, &format!("{path}.{i}"), span) {
            Some(e) => items.push(e),
            None => break,
        }
    }
    if items.iter().any(|e| e.ty == Type::Unknown) {
        return Some(poisoned(span));
    }
    let fields = items
        .iter()
        .map(|e| {
            let size = match e.ty {
                Type::Int { .. } => 8,
                Type::Bool => 1,
                other => other.storage_size(),
            };
            (None, e.ty, size)
        })
        .collect();
    Some(TExpr {
        ty: Type::Tuple(super::tuple::layout(fields)),
        kind: TExprKind::Tuple(items),
        span,
    })
}

/// `kv`, `kv.0`... for `$kv`, `$kv.0`...; `None` for anything else.
fn tuple_path(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Var(n) => Some(n.clone()),
        ExprKind::Field {
            base,
            field,
            arrow: false,
        } if field.bytes().all(|b| b.is_ascii_digit()) => {
            Some(format!("{}.{field}", tuple_path(base)?))
        }
        _ => None,
    }
}

/// Most iterations of a range loop with constant bounds that is lowered inline (the
/// verifier walks every iteration); other range loops run as `bpf_loop` callbacks.
pub(super) const INLINE_RANGE_MAX: i64 = 64;

/// Whether `start..end` has constant bounds at most [`INLINE_RANGE_MAX`] apart.
pub(super) fn unrolls(start: &TExpr, end: &TExpr) -> bool {
    match (&start.kind, &end.kind) {
        (TExprKind::Int(a), TExprKind::Int(b)) => b.saturating_sub(*a) <= INLINE_RANGE_MAX,
        _ => false,
    }
}

/// The variables visible at this point (innermost declaration of each name).
pub(super) fn visible_vars(cx: &ProbeCx) -> Vec<VarId> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (name, v) in cx.vars.scopes.iter().rev().flat_map(|s| s.iter().rev()) {
        if seen.insert(name.as_str()) {
            out.push(*v);
        }
    }
    out.sort();
    out
}
