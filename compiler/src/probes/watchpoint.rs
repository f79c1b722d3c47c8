//! `watchpoint:ADDRESS:LENGTH:MODE` and `asyncwatchpoint:...` (short names `w`, `aw`):
//! a hardware breakpoint (`PERF_TYPE_BREAKPOINT` perf event) on ADDRESS, LENGTH bytes
//! (1, 2, 4 or 8), for reads (`r`), writes (`w`), both (`rw`) or execution (`x`). The
//! program is a `perf_event` one; the runtime opens the breakpoint in the `-p`/`-c`
//! process, or on every CPU for a kernel address. bpftrace's `FUNC+ARG` form (the
//! address taken from a function's argument at run time) is not supported.

use super::interval::parse_count;
use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

pub(super) fn expand(ap: &AttachPoint, kind: &str) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let invalid = |why: String| {
        Diagnostic::error(ap.span, format!("invalid {kind} probe: {why}")).with_note(format!(
            "write {kind}:ADDRESS:LENGTH:MODE, e.g. {kind}:0x10000000:8:rw"
        ))
    };
    let [addr, len, mode] = &ap.parts[1..] else {
        return Err(invalid("it needs an address, a length and a mode".into()));
    };
    if addr.contains('+') {
        return Err(Diagnostic::error(
            ap.span,
            format!("{kind} probes on a function argument (FUNC+ARG) are not supported"),
        )
        .with_note("give the address to watch as a number"));
    }
    let address = parse_count(addr).map_err(|e| invalid(format!("address {e}")))?;
    if address == 0 {
        return Err(invalid("the address must not be 0".into()));
    }
    let length = parse_count(len).map_err(|e| invalid(format!("length {e}")))?;
    if ![1, 2, 4, 8].contains(&length) {
        return Err(invalid(format!("length {length} is not 1, 2, 4 or 8")));
    }
    let valid_mode = !mode.is_empty()
        && mode.chars().all(|c| matches!(c, 'r' | 'w' | 'x'))
        && mode.len()
            == mode
                .chars()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        && (!mode.contains('x') || mode == "x");
    if !valid_mode {
        return Err(invalid(format!("mode '{mode}' is not one of r, w, rw, x")));
    }
    Ok(vec![ExpandedProbe {
        name: canonical_name(kind, ap),
        section: "perf_event".into(),
        symbol_stem: symbol_stem(kind, &ap.parts[1..]),
        attach: Attach::Watchpoint {
            address,
            length,
            mode: mode.clone(),
            asynchronous: kind == "asyncwatchpoint",
        },
        context: Context::None,
    }])
}
