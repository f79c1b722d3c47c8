//! `BEGIN` / `END` (in any case: `begin`, `End`...): run once by the runtime through
//! `BPF_PROG_TEST_RUN`, before anything is attached and at exit.

use super::{Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

/// Whether `word` names the begin or end probe; `Some(true)` for begin.
pub(super) fn classify(word: &str) -> Option<bool> {
    if word.eq_ignore_ascii_case("begin") {
        Some(true)
    } else if word.eq_ignore_ascii_case("end") {
        Some(false)
    } else {
        None
    }
}

pub(super) fn expand(ap: &AttachPoint, begin: bool) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let word = &ap.parts[0];
    if ap.parts.len() > 1 {
        return Err(
            Diagnostic::error(ap.span, format!("'{word}' takes no arguments"))
                .with_label(format!("write just '{word}'")),
        );
    }
    let (stem, attach) = if begin {
        ("BEGIN", Attach::Begin)
    } else {
        ("END", Attach::End)
    };
    Ok(vec![ExpandedProbe {
        // The `probe` builtin prints the spelling used: `BEGIN` (bpftrace 0.17 and
        // older) or `begin` (newer bpftrace).
        name: word.clone(),
        section: "raw_tp".to_string(),
        symbol_stem: stem.to_string(),
        attach,
        context: Context::None,
    }])
}
