//! Checking `tseries(x, interval_ns, num_intervals[, agg])`: a time series map value.

use super::functions::arity_error;
use super::types::*;
use super::{Checker, MapValueType, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use tracec_meta::{AggKind, TseriesAgg};

/// Most intervals a `tseries` may keep (bpftrace's limit).
pub const TSERIES_MAX_INTERVALS: i64 = 1_000_000;

impl Checker {
    /// `@m[keys] = tseries(x, interval_ns, num_intervals[, agg])`.
    pub(super) fn tseries_value(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<(MapValue, MapValueType)> {
        if !matches!(args.len(), 3 | 4) {
            self.error(span, arity_error(name, "3 or 4 arguments", args.len()));
            return None;
        }
        self.unstable_use(super::unstable::Feature::Tseries, span);
        let x = self.agg_operand(cx, name, &args[0]);
        let interval = self.const_arg(cx, name, "interval_ns", &args[1]);
        let num = self.const_arg(cx, name, "num_intervals", &args[2]);
        let agg = match args.get(3) {
            None => Some(TseriesAgg::Last),
            Some(a) => self.tseries_agg(a),
        };
        let (x, interval, num, agg) = (x?, interval?, num?, agg?);
        if interval < 1 {
            self.error(
                args[1].span,
                format!("tseries() interval_ns must be >= 1 ({interval} provided)"),
            );
            return None;
        }
        if num < 1 {
            self.error(
                args[2].span,
                format!("tseries() num_intervals must be >= 1 ({num} provided)"),
            );
            return None;
        }
        if num > TSERIES_MAX_INTERVALS {
            self.error(
                args[2].span,
                format!(
                    "tseries() num_intervals must be < {TSERIES_MAX_INTERVALS} ({num} provided)"
                ),
            );
            return None;
        }
        let signed = x.ty.is_signed() || matches!(x.kind, TExprKind::Int(_));
        let (interval_ns, num_intervals) = (interval as u64, num as u64);
        Some((
            MapValue::Tseries {
                x,
                interval_ns,
                num_intervals,
                agg,
            },
            MapValueType::Agg {
                kind: AggKind::Tseries {
                    interval_ns,
                    num_intervals,
                    agg,
                },
                signed,
            },
        ))
    }

    /// The optional aggregation: a string literal naming one.
    fn tseries_agg(&mut self, arg: &ast::Expr) -> Option<TseriesAgg> {
        let agg = match &arg.kind {
            ExprKind::Str(s) => TseriesAgg::from_name(s),
            _ => None,
        };
        if agg.is_none() {
            self.error(
                arg.span,
                "tseries() expects one of the following aggregation functions: avg, max, min, sum",
            );
        }
        agg
    }
}
