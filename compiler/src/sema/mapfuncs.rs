//! Functions of a whole map: `has_key(@m, key)` (a lookup) and `len(@m)` (the
//! number of entries; lowered in `lower/mapfuncs.rs`).

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, Expr, ExprKind, Span};

/// Functions of this module.
pub fn known(name: &str) -> bool {
    matches!(name, "has_key" | "len")
}

impl Checker {
    /// A call of this module's functions for its value; `None`: not ours.
    pub(super) fn map_func_call(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        Some(match name {
            "has_key" => self.has_key(cx, args, span),
            "len" => self.map_len(cx, args, span),
            _ => return None,
        })
    }

    /// The map argument of `f`, if it is a keyed map (reporting otherwise).
    pub(super) fn keyed_map<'a>(
        &mut self,
        f: &str,
        arg: Option<&'a Expr>,
        span: Span,
    ) -> Option<&'a str> {
        let Some(Expr {
            kind: ExprKind::Map { name, keys },
            span: ms,
        }) = arg
        else {
            self.error(span, format!("{f}() expects a map as its first argument"));
            return None;
        };
        if !keys.is_empty() {
            self.error(*ms, format!("{f}() expects a map, not a map element"));
            return None;
        }
        let idx = self.maps.get(name, *ms);
        if self.maps.keys(idx).is_some_and(|k| k.is_empty()) {
            self.error(
                span,
                format!("call to {f}() expects a map with explicit keys (non-scalar map)"),
            );
            return None;
        }
        Some(name)
    }

    /// `has_key(@m, key)`: whether the map holds `key` (a tuple key is its parts).
    fn has_key(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if args.len() != 2 {
            self.error(
                span,
                format!("has_key() takes 2 arguments, got {}", args.len()),
            );
            return poisoned(span);
        }
        let Some(name) = self.keyed_map("has_key", args.first(), span) else {
            return poisoned(span);
        };
        let (map, tkeys) = self.map_keys(cx, name, &args[1..], args[0].span);
        TExpr {
            kind: TExprKind::HasKey { map, keys: tkeys },
            ty: Type::Bool,
            span,
        }
    }

    /// `len(@m)`: the number of entries.
    fn map_len(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if args.len() != 1 {
            self.error(span, format!("len() takes 1 argument, got {}", args.len()));
            return poisoned(span);
        }
        if let Some(t) = self.stack_len(cx, &args[0], span) {
            return t;
        }
        let Some(name) = self.keyed_map("len", args.first(), span) else {
            return poisoned(span);
        };
        let map = self.maps.get(name, args[0].span);
        TExpr {
            kind: TExprKind::MapLen(map),
            ty: Type::I64,
            span,
        }
    }
}
