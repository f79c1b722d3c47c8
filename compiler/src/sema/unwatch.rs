//! `unwatch(addr)` (async): the runtime removes every watchpoint on `addr`, as
//! bpftrace's `watchpoint_detach` handler does; an address no watchpoint watches is
//! ignored. The event is [`EventKind::Unwatch`], its payload laid out by a printf of
//! `%llu` (the address), which the runtime formats and reads back.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use tracec_meta::EventKind;

/// The printf format an `unwatch` event carries its address with.
pub const UNWATCH_FORMAT: &str = "%llu";

impl Checker {
    /// `unwatch(addr)`: `addr` an integer or a pointer.
    pub(super) fn unwatch(
        &mut self,
        cx: &mut ProbeCx,
        args: &[ast::Expr],
        span: Span,
    ) -> TStmtKind {
        let bad = TStmtKind::Expr(poisoned(span));
        let [addr] = args else {
            self.error(span, "unwatch() takes 1 argument: the watched address");
            return bad;
        };
        if matches!(addr.kind, ExprKind::Str(_)) {
            self.error(
                addr.span,
                "unwatch() needs an address (an integer), not a string",
            );
            return bad;
        }
        let fmt = ast::Expr {
            kind: ExprKind::Str(UNWATCH_FORMAT.into()),
            span: addr.span,
        };
        match self.printf(cx, &[fmt, addr.clone()], span) {
            TStmtKind::Printf { id, args } => TStmtKind::Async {
                kind: EventKind::Unwatch,
                id,
                args,
            },
            other => other,
        }
    }
}
