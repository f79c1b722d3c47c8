//! `interval:UNIT:N` / `interval:N[SUFFIX]` (short name `i`): a timer on one CPU.
//! The rate grammar here is shared with `profile`.

use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

const NS_PER_SEC: u64 = 1_000_000_000;

/// How often a timed probe fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rate {
    /// Once every so many nanoseconds.
    Period(u64),
    /// So many times per second.
    Hz(u64),
}

/// Units accepted in the second position (`interval:ms:10`).
pub(super) const UNITS: [&str; 4] = ["hz", "ms", "s", "us"];

/// Nanoseconds per unit of a duration suffix (`interval:500ms`, `interval:1s`).
fn suffix_ns(suffix: &str) -> Option<u64> {
    Some(match suffix {
        "" | "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => NS_PER_SEC,
        "m" => 60 * NS_PER_SEC,
        "h" => 3_600 * NS_PER_SEC,
        "d" => 86_400 * NS_PER_SEC,
        _ => return None,
    })
}

/// Parse an integer as bpftrace writes them in attach points: decimal with optional
/// `_` separators, `0x` hex, or integer scientific notation (`1e6`).
pub(super) fn parse_count(text: &str) -> Result<u64, String> {
    let overflow = || format!("'{text}' is too large");
    let invalid = || format!("'{text}' is not a number");
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        return u64::from_str_radix(hex, 16).map_err(|_| overflow());
    }
    let decimal = |s: &str| -> Result<u64, String> {
        let digits: String = s.chars().filter(|&c| c != '_').collect();
        if digits.is_empty()
            || !digits.chars().all(|c| c.is_ascii_digit())
            || s.starts_with('_')
            || s.ends_with('_')
        {
            return Err(invalid());
        }
        digits.parse::<u64>().map_err(|_| overflow())
    };
    match text.split_once(['e', 'E']) {
        Some((mantissa, exp)) => {
            let m = decimal(mantissa)?;
            let e = decimal(exp)?;
            let scale = u32::try_from(e)
                .ok()
                .and_then(|e| 10u64.checked_pow(e))
                .ok_or_else(overflow)?;
            m.checked_mul(scale).ok_or_else(overflow)
        }
        None => decimal(text),
    }
}

/// Split `500ms` into (`500`, `ms`): the suffix is the trailing letters, unless the
/// text is hex or scientific (where letters are digits or the exponent marker).
fn split_suffix(text: &str) -> (&str, &str) {
    if text.starts_with("0x") || text.starts_with("0X") {
        return (text, "");
    }
    let cut = text
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_ascii_alphabetic())
        .last()
        .map_or(text.len(), |(i, _)| i);
    let (num, suffix) = text.split_at(cut);
    // `1e6` has no suffix: `e` then digits is an exponent, and it is not trailing.
    (num, suffix)
}

/// Parse the parts after the provider name into a rate; `what` is the canonical
/// provider name for messages.
pub(super) fn parse_rate(ap: &AttachPoint, what: &str) -> Result<Rate, Diagnostic> {
    let err = |msg: String| Diagnostic::error(ap.span, msg);
    let example = format!("e.g. {what}:s:1, {what}:ms:100, {what}:hz:99 or {what}:1s");
    let rest = &ap.parts[1..];
    let (value, mult_or_hz) = match rest {
        [] => {
            return Err(err(format!("{what} probe needs a rate")).with_note(example));
        }
        [unit, count] => {
            if !UNITS.contains(&unit.as_str()) {
                return Err(err(format!("invalid {what} unit '{unit}'"))
                    .with_label("unknown unit")
                    .with_note(format!("units: {}", UNITS.join(", "))));
            }
            if count.is_empty() {
                return Err(err(format!("missing count after '{what}:{unit}:'")).with_note(example));
            }
            let n = parse_count(count).map_err(|e| err(format!("invalid {what} count: {e}")))?;
            let mult = match unit.as_str() {
                "hz" => None,
                "s" => Some(NS_PER_SEC),
                "ms" => Some(1_000_000),
                _ => Some(1_000),
            };
            (n, mult)
        }
        [spec] => {
            if UNITS.contains(&spec.as_str()) {
                return Err(err(format!("missing count after '{what}:{spec}'")).with_note(example));
            }
            let (num, suffix) = split_suffix(spec);
            let Some(mult) = suffix_ns(suffix) else {
                return Err(err(format!("invalid {what} duration '{spec}'"))
                    .with_label("unknown unit suffix")
                    .with_note("duration suffixes: ns, us, ms, s, m, h, d (none means ns)"));
            };
            let n = parse_count(num).map_err(|e| err(format!("invalid {what} duration: {e}")))?;
            (n, Some(mult))
        }
        _ => {
            return Err(err(format!("too many arguments for {what} probe")).with_note(example));
        }
    };
    if value == 0 {
        return Err(err(format!("{what} rate must be non-zero")));
    }
    match mult_or_hz {
        None => Ok(Rate::Hz(value)),
        Some(mult) => value.checked_mul(mult).map(Rate::Period).ok_or_else(|| {
            err(format!(
                "{what} period is too long (overflows 64-bit nanoseconds)"
            ))
        }),
    }
}

pub(super) fn expand(ap: &AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let period_ns = match parse_rate(ap, "interval")? {
        Rate::Period(ns) => ns,
        Rate::Hz(hz) if hz <= NS_PER_SEC => NS_PER_SEC / hz,
        Rate::Hz(_) => {
            return Err(Diagnostic::error(
                ap.span,
                format!("interval frequency is too high (at most {NS_PER_SEC} hz)"),
            ))
        }
    };
    Ok(vec![ExpandedProbe {
        name: canonical_name("interval", ap),
        section: "perf_event".to_string(),
        symbol_stem: symbol_stem("interval", &ap.parts[1..]),
        attach: Attach::Interval { period_ns },
        context: Context::None,
    }])
}
