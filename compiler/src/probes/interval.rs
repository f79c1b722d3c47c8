//! `interval:UNIT:N` / `interval:N[SUFFIX]` (short name `i`): a timer on one CPU.
//! The rate grammar here is shared with `profile`.

use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

pub(super) use tracec_meta::attach_template::Rate;
use tracec_meta::attach_template::{self as template, RateError, NS_PER_SEC};

/// Units accepted in the second position (`interval:ms:10`).
pub(super) const UNITS: [&str; 4] = template::RATE_UNITS;

/// Parse an integer as bpftrace writes them in attach points: decimal with optional
/// `_` separators, `0x` hex, or integer scientific notation (`1e6`).
pub(super) fn parse_count(text: &str) -> Result<u64, String> {
    template::parse_count(text).map_err(|e| e.to_string())
}

/// Parse the parts after the provider name into a rate; `what` is the canonical
/// provider name for messages. The grammar is shared with `tracerun`, which reads
/// rates given by positional parameters ([`tracec_meta::attach_template`]).
pub(super) fn parse_rate(ap: &AttachPoint, what: &str) -> Result<Rate, Diagnostic> {
    let err = |msg: String| Diagnostic::error(ap.span, msg);
    let example = format!("e.g. {what}:s:1, {what}:ms:100, {what}:hz:99 or {what}:1s");
    template::parse_rate(&ap.parts[1..]).map_err(|e| match e {
        RateError::Missing => err(format!("{what} probe needs a rate")).with_note(example),
        RateError::Unit(unit) => err(format!("invalid {what} unit '{unit}'"))
            .with_label("unknown unit")
            .with_note(format!("units: {}", UNITS.join(", "))),
        RateError::NoCount(unit) => {
            let colon = if ap.parts.len() > 2 { ":" } else { "" };
            err(format!("missing count after '{what}:{unit}{colon}'")).with_note(example)
        }
        RateError::Count(c) => err(format!("invalid {what} count: {c}")),
        RateError::Suffix(spec) => err(format!("invalid {what} duration '{spec}'"))
            .with_label("unknown unit suffix")
            .with_note("duration suffixes: ns, us, ms, s, m, h, d (none means ns)"),
        RateError::Duration(c) => err(format!("invalid {what} duration: {c}")),
        RateError::TooMany => {
            err(format!("too many arguments for {what} probe")).with_note(example)
        }
        RateError::Zero => err(format!("{what} rate must be non-zero")),
        RateError::Overflow => err(format!(
            "{what} period is too long (overflows 64-bit nanoseconds)"
        )),
    })
}

pub(super) fn expand(ap: &AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let Some(period_ns) = template::interval_period(parse_rate(ap, "interval")?) else {
        return Err(Diagnostic::error(
            ap.span,
            format!("interval frequency is too high (at most {NS_PER_SEC} hz)"),
        ));
    };
    Ok(vec![ExpandedProbe {
        name: canonical_name("interval", ap),
        section: "perf_event".to_string(),
        symbol_stem: symbol_stem("interval", &ap.parts[1..]),
        attach: Attach::Interval { period_ns },
        context: Context::None,
    }])
}
