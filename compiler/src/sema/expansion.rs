//! Macro expansions seen while checking: a block whose own span does not contain its
//! statements is the body of a macro put at a call site (`front::macros` gives the
//! block the call's span). `warnf`/`errorf` inside one report the call sites as
//! bpftrace does ("expanded from").

use super::Checker;
use crate::front::ast::Span;

impl Checker {
    /// Note the expansion at `site` if `inner` (the spans of what it contains) lies
    /// outside it; returns whether it did, for [`Checker::leave_expansion`].
    pub(super) fn enter_expansion(
        &mut self,
        site: Span,
        mut inner: impl Iterator<Item = Span>,
    ) -> bool {
        let outside = inner.any(|s| s.start < site.start || s.end > site.end);
        if outside {
            self.expansions.push(site);
        }
        outside
    }

    pub(super) fn leave_expansion(&mut self, entered: bool) {
        if entered {
            self.expansions.pop();
        }
    }
}
