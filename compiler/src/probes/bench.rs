//! `bench:NAME` and `test:NAME`: programs tracerun runs itself through
//! `BPF_PROG_TEST_RUN` (like BEGIN) in its bench mode (`--bench`: many times, reporting
//! the average time per run) or test mode (`--test`: once each, reporting which
//! passed). Outside those modes they never run.

use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

/// `bench:NAME` (`test` false) or `test:NAME` (`test` true).
pub(super) fn expand(ap: &AttachPoint, test: bool) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let kind = if test { "test" } else { "bench" };
    let name = match &ap.parts[1..] {
        [name] if !name.is_empty() => name.as_str(),
        _ => {
            let example = if test {
                "e.g. test:sum { if (1 + 1 != 2) { return 1; } }"
            } else {
                "e.g. bench:count { @ = count(); }"
            };
            return Err(
                Diagnostic::error(ap.span, format!("{kind} probe needs a name")).with_note(example),
            );
        }
    };
    if name.contains(['*', '?']) {
        return Err(Diagnostic::error(
            ap.span,
            format!("{kind} probe name '{name}' cannot contain wildcards"),
        ));
    }
    let name = name.to_string();
    Ok(vec![ExpandedProbe {
        name: canonical_name(kind, ap),
        section: "raw_tp".to_string(),
        symbol_stem: symbol_stem(kind, &ap.parts[1..]),
        attach: if test {
            Attach::Test { name }
        } else {
            Attach::Bench { name }
        },
        context: Context::None,
    }])
}
