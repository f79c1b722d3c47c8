//! `dw_ustack([mode, ][limit])` (stdlib.md): a user stack unwound with `.eh_frame`
//! CFI instead of frame pointers. Its arguments are `ustack`'s (`stacks.rs`); the
//! program snapshots the user registers and stack (`lower/dw_stack.rs`), which it
//! reads from a `struct pt_regs` context, so the probe must have one.
//!
//! The value is a snapshot id, unwound by the runtime; the kernel never sees frames.
//! As a map key, entries of one stack are merged only where the runtime prints the
//! map (additive maps, `lower/map_add.rs`, add their values). In the program each
//! `dw_ustack` takes a new snapshot, so `@m[dw_ustack]` reads, `has_key` and `delete`
//! find no entry, and `for`/`len` see one element per sample: a limit of tracec
//! (ARCHITECTURE.md, "dw_ustack"), not bpftrace's behaviour.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast;
use crate::front::ast::Span;
use tracec_meta::Attach;

/// Whether a probe of `attach` runs with the interrupted user registers at the start
/// of its context (`struct pt_regs`, or `bpf_perf_event_data` whose first member it is).
pub(super) fn has_user_regs(attach: &Attach) -> bool {
    matches!(
        attach,
        Attach::Uprobe { .. }
            | Attach::Usdt { .. }
            | Attach::Kprobe { .. }
            | Attach::Profile { .. }
            | Attach::Interval { .. }
    )
}

impl Checker {
    pub(super) fn dw_stack_expr(
        &mut self,
        cx: &mut ProbeCx,
        args: &[ast::Expr],
        span: Span,
    ) -> TExpr {
        if !has_user_regs(&cx.probe.attach) {
            self.error(
                span,
                "dw_ustack can only be used in probes with user registers (uprobe, usdt, kprobe, profile, interval)",
            );
            return poisoned(span);
        }
        self.unstable_use(super::unstable::Feature::DwUstack, span);
        self.stack_expr("dw_ustack", args, span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_with_registers() {
        assert!(has_user_regs(&Attach::Profile {
            hz: 99,
            period_ns: 0
        }));
        assert!(!has_user_regs(&Attach::Begin));
    }
}
