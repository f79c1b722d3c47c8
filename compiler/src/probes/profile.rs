//! `profile:UNIT:N` / `profile:N[SUFFIX]` (short name `p`): a timer on every CPU.
//! Same rate grammar as `interval`.

use super::interval::{parse_rate, Rate};
use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

pub(super) fn expand(ap: &AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let attach = match parse_rate(ap, "profile")? {
        Rate::Hz(hz) => Attach::Profile { hz, period_ns: 0 },
        Rate::Period(period_ns) => Attach::Profile { hz: 0, period_ns },
    };
    Ok(vec![ExpandedProbe {
        name: canonical_name("profile", ap),
        section: "perf_event".to_string(),
        symbol_stem: symbol_stem("profile", &ap.parts[1..]),
        attach,
        context: Context::None,
    }])
}
