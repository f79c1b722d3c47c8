//! `bench:NAME`: a micro benchmark, run by tracerun in bench mode (`--bench`) many
//! times through `BPF_PROG_TEST_RUN` (like BEGIN), which reports the average time per
//! run. Outside bench mode it never runs.

use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

pub(super) fn expand(ap: &AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let name = match &ap.parts[1..] {
        [name] if !name.is_empty() => name.as_str(),
        _ => {
            return Err(
                Diagnostic::error(ap.span, "bench probe needs a name".to_string())
                    .with_note("e.g. bench:count { @ = count(); }"),
            )
        }
    };
    if name.contains(['*', '?']) {
        return Err(Diagnostic::error(
            ap.span,
            format!("bench probe name '{name}' cannot contain wildcards"),
        ));
    }
    Ok(vec![ExpandedProbe {
        name: canonical_name("bench", ap),
        section: "raw_tp".to_string(),
        symbol_stem: symbol_stem("bench", &ap.parts[1..]),
        attach: Attach::Bench {
            name: name.to_string(),
        },
        context: Context::None,
    }])
}
