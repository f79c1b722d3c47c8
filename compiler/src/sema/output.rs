//! Checking `print`, `zero` and the printing aggregations `stats`, `hist` and `lhist`.

use super::functions::arity_error;
use super::lhist_param::is_positional;
use super::types::*;
use super::{poisoned, Checker, MapValueType, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use tracec_meta::AggKind;

/// Largest `bits` argument of `hist` (bpftrace allows 0 to 5).
pub const HIST_MAX_BITS: i64 = 5;
/// Most buckets an `lhist` may have (bpftrace's limit).
pub const LHIST_MAX_BUCKETS: i64 = 1000;

impl Checker {
    /// `print(@m)`, `print(@m, top)`, `print(@m, top, div)` or `print(value)`.
    pub(super) fn print_call(
        &mut self,
        cx: &mut ProbeCx,
        args: &[ast::Expr],
        span: Span,
    ) -> TStmtKind {
        let bad = TStmtKind::Expr(poisoned(span));
        let Some(first) = args.first() else {
            self.error(span, arity_error("print", "1 to 3 arguments", 0));
            return bad;
        };
        if let ExprKind::Map { name, keys } = &first.kind {
            if keys.is_empty() {
                if args.len() > 3 {
                    self.error(span, arity_error("print", "1 to 3 arguments", args.len()));
                    return bad;
                }
                let map = self.maps.get(name, first.span);
                let mut extra = args[1..].iter().map(|a| {
                    let t = self.expr(cx, a);
                    if !matches!(t.ty, Type::Int { .. } | Type::Unknown) {
                        self.error(
                            t.span,
                            format!(
                                "print(): top and div must be integers, not {}",
                                t.ty.describe()
                            ),
                        );
                    }
                    t
                });
                let zero = |s: Span| TExpr {
                    kind: TExprKind::Int(0),
                    ty: Type::U64,
                    span: s,
                };
                let top = extra.next().unwrap_or_else(|| zero(span));
                let div = extra.next().unwrap_or_else(|| zero(span));
                self.printed_maps.insert(map.0);
                return TStmtKind::PrintMap { map, top, div };
            }
        }
        if args.len() != 1 {
            self.error(
                span,
                "print(): top and div arguments are only allowed when printing a whole map, e.g. print(@m, 10)",
            );
            return bad;
        }
        let value = self.print_value_expr(cx, first);
        let ty = match value.ty {
            Type::Unknown => return bad,
            Type::Void => {
                self.error(value.span, "print(): this expression has no value to print");
                return bad;
            }
            t => t.meta(),
        };
        let id = match self.print_values.iter().position(|t| *t == ty) {
            Some(i) => i as u32,
            None => {
                self.print_values.push(ty);
                (self.print_values.len() - 1) as u32
            }
        };
        TStmtKind::PrintValue { id, value }
    }

    /// `zero(@m)`.
    pub(super) fn zero_call(&mut self, args: &[ast::Expr], span: Span) -> TStmtKind {
        match args {
            [ast::Expr {
                kind: ExprKind::Map { name, keys },
                span: ms,
            }] if keys.is_empty() => TStmtKind::Zero {
                map: self.maps.get(name, *ms),
            },
            _ => {
                self.error(span, "zero() takes one map, e.g. zero(@m)");
                TStmtKind::Expr(poisoned(span))
            }
        }
    }

    /// The aggregated integer argument of an aggregation.
    pub(super) fn agg_operand(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        arg: &ast::Expr,
    ) -> Option<TExpr> {
        let x = self.expr(cx, arg);
        match x.ty {
            Type::Int { .. } | Type::Ptr { .. } => Some(x),
            Type::Unknown => None,
            other => {
                self.error(
                    x.span,
                    format!("{name}() needs an integer, not {}", other.describe()),
                );
                None
            }
        }
    }

    /// A constant integer argument (`hist`'s bits, `lhist`'s bounds).
    pub(super) fn const_arg(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        what: &str,
        arg: &ast::Expr,
    ) -> Option<i64> {
        let e = self.expr(cx, arg);
        match e.kind {
            TExprKind::Int(v) if matches!(e.ty, Type::Int { .. }) => Some(v),
            _ if e.ty == Type::Unknown => None,
            _ => {
                self.error(
                    e.span,
                    format!("{name}(): {what} must be a constant integer"),
                );
                None
            }
        }
    }

    /// `stats(x)`, `hist(x[, bits])`, `lhist(x, min, max, step)`.
    pub(super) fn agg_value_ext(
        &mut self,
        cx: &mut ProbeCx,
        kind: AggKind,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<(MapValue, MapValueType)> {
        let want = match kind {
            AggKind::Stats => "1 argument",
            AggKind::Hist { .. } => "1 or 2 arguments",
            _ => "4 arguments",
        };
        let arity_ok = match kind {
            AggKind::Stats => args.len() == 1,
            AggKind::Hist { .. } => matches!(args.len(), 1 | 2),
            _ => args.len() == 4,
        };
        if !arity_ok {
            self.error(span, arity_error(name, want, args.len()));
            return None;
        }
        let x = self.agg_operand(cx, name, &args[0]);
        let (value, kind) = match kind {
            AggKind::Stats => (MapValue::Stats(x?), AggKind::Stats),
            AggKind::Hist { .. } => {
                let bits = match args.get(1) {
                    Some(a) => {
                        let b = self.const_arg(cx, name, "the number of bits", a)?;
                        if !(0..=HIST_MAX_BITS).contains(&b) {
                            self.error(
                                a.span,
                                format!("hist(): the number of bits must be 0 to {HIST_MAX_BITS}, not {b}"),
                            );
                            return None;
                        }
                        b as u32
                    }
                    None => 0,
                };
                (MapValue::Hist { x: x?, bits }, AggKind::Hist { bits })
            }
            _ if args[1..].iter().any(is_positional) => {
                let value = self.lhist_param(cx, x?, &args[1..])?;
                let kind = value.agg();
                (value, kind)
            }
            _ => {
                let min = self.const_arg(cx, name, "min", &args[1]);
                let max = self.const_arg(cx, name, "max", &args[2]);
                let step = self.const_arg(cx, name, "step", &args[3]);
                let (x, min, max, step) = (x?, min?, max?, step?);
                if min < 0 || max < 0 || step < 0 {
                    self.error(span, "lhist(): min, max and step must not be negative");
                    return None;
                }
                if step == 0 {
                    self.error(args[3].span, "lhist(): step must not be 0");
                    return None;
                }
                if min >= max {
                    self.error(span, "lhist(): min must be less than max");
                    return None;
                }
                if (max - min) / step > LHIST_MAX_BUCKETS {
                    self.error(
                        span,
                        format!("lhist(): too many buckets: (max - min) / step is more than {LHIST_MAX_BUCKETS}"),
                    );
                    return None;
                }
                (
                    MapValue::Lhist { x, min, max, step },
                    AggKind::Lhist { min, max, step },
                )
            }
        };
        let signed = match &value {
            MapValue::Stats(e) => e.ty.is_signed() || matches!(e.kind, TExprKind::Int(_)),
            _ => false,
        };
        Some((value, MapValueType::Agg { kind, signed }))
    }
}
