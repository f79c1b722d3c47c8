//! Providers tracec recognises and checks the spelling of, but cannot attach:
//! `watchpoint`/`asyncwatchpoint` (hardware breakpoints on addresses the runtime
//! would have to resolve in a traced process).

use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;

pub(super) fn watchpoint(ap: &AttachPoint, kind: &str) -> Diagnostic {
    // watchpoint:ADDRESS:LENGTH:MODE or watchpoint:FUNC+ARG:LENGTH:MODE
    let well_formed = ap.parts.len() == 4
        && ap.parts[3].chars().all(|c| matches!(c, 'r' | 'w' | 'x'))
        && !ap.parts[3].is_empty()
        && ap.parts[2].parse::<u32>().is_ok();
    if !well_formed {
        return Diagnostic::error(ap.span, format!("invalid {kind} probe")).with_note(format!(
            "write {kind}:ADDRESS:LENGTH:MODE, e.g. {kind}:0x10000000:8:rw"
        ));
    }
    Diagnostic::error(ap.span, format!("{kind} probes are not supported")).with_note(
        "tracec cannot set hardware breakpoints (they need a resolved address in a traced process)",
    )
}
