//! `args` as a whole value: bpftrace's record of a probe's arguments, printed
//! `{ .n = 0x7ffc..., .c = 120 }`. In a uprobe whose function has DWARF arguments and
//! in fentry/fexit/rawtracepoint probes (BTF arguments, named) it is checked as the named
//! tuple `(n = args.n, c = args.c, ...)`, so it can be printed, stored, used as a map
//! key or value and nested in tuples like any record.

use super::types::TExpr;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{Expr, ExprKind, Span};
use crate::probes::Context;

impl Checker {
    /// `args` without a field at `span`.
    pub(super) fn whole_args(&mut self, cx: &mut ProbeCx, span: Span) -> TExpr {
        let Some(names) = self.arg_names(cx) else {
            self.error(span, "'args' must be followed by a field, e.g. args->name");
            return poisoned(span);
        };
        if names.is_empty() {
            self.error(
                span,
                format!(
                    "'args' of probe '{}' is empty: it has no arguments",
                    cx.probe.name
                ),
            );
            return poisoned(span);
        }
        let values: Vec<Expr> = names.iter().map(|n| field_of_args(n, span)).collect();
        self.tuple_expr(cx, &values, Some(&names), span)
    }

    /// The argument names of the probe, when `args` is a record there.
    fn arg_names(&self, cx: &ProbeCx) -> Option<Vec<String>> {
        if let Context::BtfArgs(a) = &cx.probe.context {
            // Raw tracepoints have `argN` too; their BTF names the arguments as well,
            // unless it does not (then only the numbers can be used).
            if a.args.iter().any(|a| a.name.is_empty()) {
                return None;
            }
            return Some(a.args.iter().map(|a| a.name.clone()).collect());
        }
        let args = self.uprobe_dwarf_args(cx)?;
        Some(args.into_iter().map(|a| a.name).collect())
    }
}

/// The expression `args.NAME`, located at `span`.
fn field_of_args(name: &str, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Field {
            base: Box::new(Expr {
                kind: ExprKind::Ident("args".to_string()),
                span,
            }),
            field: name.to_string(),
            arrow: false,
        },
        span,
    }
}
