//! Attach points completed at run time from positional parameters
//! (`interval:ms:$1`, `uprobe:$1:malloc`).
//!
//! bpftrace substitutes its arguments into attach points before it parses them. An
//! object compiled without those arguments keeps such an attach point as a template
//! ([`AttachTemplate`]): its [`crate::ProbeSpec::name`] and the
//! [`crate::AttachName::probe`] of its names are the text as written, with `$N`, and the
//! numbers of its [`crate::Attach`] are placeholders. The runtime substitutes its own
//! arguments into the text ([`substitute`]) and derives the attach values from the
//! result ([`resolve`]), with bpftrace's messages for values that are no number.
//!
//! The rate and count grammar of attach points ([`parse_count`], [`parse_rate`]) lives
//! here so that the compiler and the runtime read them the same way.

use crate::Attach;
use serde::{Deserialize, Serialize};

/// One attach point whose values come from the runtime's positional arguments.
/// Format 1.14.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachTemplate {
    /// The attach point as written, provider spelled in full, parameters kept:
    /// `interval:ms:$1`. Every probe spec named so, and every attach name whose
    /// `probe` is this text, is this attach point.
    pub text: String,
    /// Where it is in the script (`NAME:LINE:COL-COL`), for errors.
    #[serde(default)]
    pub location: String,
    /// Its source line, a newline, and `~` under the attach point.
    #[serde(default)]
    pub context: String,
}

/// A parameter in an attach point: `$N` (N from 1) or `$#` (0 here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamUse {
    /// Byte range of `$N` in the text.
    pub start: usize,
    pub end: usize,
    /// N, or 0 for `$#`.
    pub index: u32,
}

/// The parameters of `text`, in order.
pub fn params_in(text: &str) -> Vec<ParamUse> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'#') {
            out.push(ParamUse {
                start: i,
                end: i + 2,
                index: 0,
            });
            i += 2;
            continue;
        }
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let n = text[i + 1..i + 1 + digits].parse::<u32>().ok();
        if let Some(n) = n.filter(|n| *n > 0) {
            out.push(ParamUse {
                start: i,
                end: i + 1 + digits,
                index: n,
            });
        }
        i += 1 + digits;
    }
    out
}

/// `text` with every parameter replaced by `value(index)` (index 0 is `$#`).
pub fn replace_params(text: &str, mut value: impl FnMut(u32) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for p in params_in(text) {
        out.push_str(&text[last..p.start]);
        out.push_str(&value(p.index));
        last = p.end;
    }
    out.push_str(&text[last..]);
    out
}

/// `text` with `$N` replaced by the N-th of `positional` (empty when there is none, as
/// bpftrace does) and `$#` by their number.
pub fn substitute(text: &str, positional: &[String]) -> String {
    replace_params(text, |i| match i {
        0 => positional.len().to_string(),
        n => positional.get(n as usize - 1).cloned().unwrap_or_default(),
    })
}

/// Why a count in an attach point is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountError {
    Invalid(String),
    Overflow(String),
}

impl std::fmt::Display for CountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CountError::Invalid(t) => write!(f, "'{t}' is not a number"),
            CountError::Overflow(t) => write!(f, "'{t}' is too large"),
        }
    }
}

impl CountError {
    /// bpftrace's wording (`invalid integer: abc`).
    pub fn bpftrace(&self) -> String {
        match self {
            CountError::Invalid(t) => format!("invalid integer: {t}"),
            CountError::Overflow(t) => {
                format!("overflow error, maximum value is {}: {t}", u64::MAX)
            }
        }
    }
}

/// An integer as bpftrace writes them in attach points: decimal with optional `_`
/// separators, `0x` hex, or integer scientific notation (`1e6`).
pub fn parse_count(text: &str) -> Result<u64, CountError> {
    let overflow = || CountError::Overflow(text.to_string());
    let invalid = || CountError::Invalid(text.to_string());
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        return u64::from_str_radix(hex, 16).map_err(|_| overflow());
    }
    let decimal = |s: &str| -> Result<u64, CountError> {
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

/// Nanoseconds in a second.
pub const NS_PER_SEC: u64 = 1_000_000_000;

/// Units accepted in the second position (`interval:ms:10`).
pub const RATE_UNITS: [&str; 4] = ["hz", "ms", "s", "us"];

/// How often a timed probe fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// Once every so many nanoseconds.
    Period(u64),
    /// So many times per second.
    Hz(u64),
}

/// Why the parts after `interval`/`profile` are no rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateError {
    /// Nothing after the provider.
    Missing,
    /// `interval:UNIT:N` with an unknown unit.
    Unit(String),
    /// `interval:UNIT:` or `interval:UNIT` (a unit and no count).
    NoCount(String),
    /// The count of `interval:UNIT:N` is no number.
    Count(CountError),
    /// `interval:N[SUFFIX]` with an unknown suffix.
    Suffix(String),
    /// The number of `interval:N[SUFFIX]` is no number.
    Duration(CountError),
    /// More than two parts.
    TooMany,
    /// A rate of 0.
    Zero,
    /// More nanoseconds than 64 bits hold.
    Overflow,
}

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

/// Split `500ms` into (`500`, `ms`): the suffix is the trailing letters, unless the
/// text is hex (where letters are digits).
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
    text.split_at(cut)
}

/// Nanoseconds of a duration written as one number with an optional suffix
/// (`100ms`, `1s`, `0x10`), as in `interval:100ms`; `None` when it is no duration.
pub fn duration_ns(text: &str) -> Option<u64> {
    let (num, suffix) = split_suffix(text);
    parse_count(num).ok()?.checked_mul(suffix_ns(suffix)?)
}

/// The rate named by the parts after the provider: `[UNIT, COUNT]` or `[N[SUFFIX]]`.
pub fn parse_rate<S: AsRef<str>>(rest: &[S]) -> Result<Rate, RateError> {
    let (value, mult) = match rest {
        [] => return Err(RateError::Missing),
        [unit, count] => {
            let (unit, count) = (unit.as_ref(), count.as_ref());
            if !RATE_UNITS.contains(&unit) {
                return Err(RateError::Unit(unit.to_string()));
            }
            if count.is_empty() {
                return Err(RateError::NoCount(unit.to_string()));
            }
            let n = parse_count(count).map_err(RateError::Count)?;
            let mult = match unit {
                "hz" => None,
                "s" => Some(NS_PER_SEC),
                "ms" => Some(1_000_000),
                _ => Some(1_000),
            };
            (n, mult)
        }
        [spec] => {
            let spec = spec.as_ref();
            if RATE_UNITS.contains(&spec) {
                return Err(RateError::NoCount(spec.to_string()));
            }
            let (num, suffix) = split_suffix(spec);
            let Some(mult) = suffix_ns(suffix) else {
                return Err(RateError::Suffix(spec.to_string()));
            };
            (parse_count(num).map_err(RateError::Duration)?, Some(mult))
        }
        _ => return Err(RateError::TooMany),
    };
    if value == 0 {
        return Err(RateError::Zero);
    }
    match mult {
        None => Ok(Rate::Hz(value)),
        Some(m) => value
            .checked_mul(m)
            .map(Rate::Period)
            .ok_or(RateError::Overflow),
    }
}

/// The period of an `interval` probe firing at `rate`, if it is at most 1 GHz.
pub fn interval_period(rate: Rate) -> Option<u64> {
    match rate {
        Rate::Period(ns) => Some(ns),
        Rate::Hz(hz) if hz <= NS_PER_SEC => Some(NS_PER_SEC / hz),
        Rate::Hz(_) => None,
    }
}

/// The message for a rate error at run time, in bpftrace's words where it has them.
fn rate_message(provider: &str, rest: &[&str], e: &RateError) -> String {
    let why = match e {
        // `interval:ms:$1` without `$1`: bpftrace parses the empty count.
        RateError::NoCount(_) if rest.len() == 2 => CountError::Invalid(String::new()).bpftrace(),
        RateError::Missing | RateError::TooMany => {
            return format!("{provider} probe type requires 1 or 2 arguments")
        }
        RateError::Count(c) | RateError::Duration(c) => c.bpftrace(),
        RateError::Unit(u) => format!("unknown unit '{u}' (units: {})", RATE_UNITS.join(", ")),
        RateError::NoCount(u) => format!("missing count after '{u}'"),
        RateError::Suffix(s) => format!("unknown duration suffix in '{s}'"),
        RateError::Zero => "it must be non-zero".to_string(),
        RateError::Overflow => "the period overflows 64-bit nanoseconds".to_string(),
    };
    format!("Invalid rate of {provider} probe: {why}")
}

/// Split a substituted attach point at its colons.
fn parts(text: &str) -> Vec<&str> {
    text.split(':').collect()
}

/// `NAME[+OFFSET]` into the name and the offset (0 without one).
fn name_offset(spec: &str) -> Result<(String, u64), String> {
    match spec.split_once('+') {
        None => Ok((spec.to_string(), 0)),
        Some((name, off)) => {
            let off = parse_count(off)
                .map_err(|e| format!("Failed to parse offset: {}", e.bpftrace()))?;
            Ok((name.to_string(), off))
        }
    }
}

/// The attach values of `compiled` (the placeholders the compiler wrote) taken from
/// `text`, the template with the arguments substituted. `Err` is bpftrace's message
/// (without location) when the values are not valid.
pub fn resolve(compiled: &Attach, text: &str) -> Result<Attach, String> {
    let parts = parts(text);
    let provider = parts[0];
    let rest = &parts[1..];
    match compiled {
        Attach::Interval { .. } => {
            let rate = parse_rate(rest).map_err(|e| rate_message(provider, rest, &e))?;
            let period_ns = interval_period(rate).ok_or_else(|| {
                format!("Invalid rate of {provider} probe: more than {NS_PER_SEC} hz")
            })?;
            Ok(Attach::Interval { period_ns })
        }
        Attach::Profile { .. } => Ok(
            match parse_rate(rest).map_err(|e| rate_message(provider, rest, &e))? {
                Rate::Hz(hz) => Attach::Profile { hz, period_ns: 0 },
                Rate::Period(period_ns) => Attach::Profile { hz: 0, period_ns },
            },
        ),
        Attach::PerfCounter {
            hardware,
            event,
            config,
            period,
        } => {
            let period = match rest {
                [_] => *period,
                [_, count] => parse_count(count)
                    .map_err(|e| format!("Invalid count for {provider} probe: {}", e.bpftrace()))?,
                _ => return Err(format!("{provider} probe type requires 1 or 2 arguments")),
            };
            if period == 0 {
                return Err(format!(
                    "Invalid count for {provider} probe: it must be at least 1"
                ));
            }
            Ok(Attach::PerfCounter {
                hardware: *hardware,
                event: event.clone(),
                config: *config,
                period,
            })
        }
        Attach::Uprobe { ret, .. } => {
            let [path, spec] = rest else {
                return Err(format!("{provider} probe type requires 2 arguments"));
            };
            if path.is_empty() {
                return Err(format!("{provider} probe needs a binary path"));
            }
            // A bare address (file offset) in the binary, as the compiler reads it.
            let (symbol, offset) = if spec.starts_with(|c: char| c.is_ascii_digit()) {
                let addr = parse_count(spec).map_err(|e| {
                    format!("Invalid address of {provider} probe: {}", e.bpftrace())
                })?;
                (String::new(), addr)
            } else {
                name_offset(spec)?
            };
            if symbol.is_empty() && offset == 0 {
                return Err(format!("{provider} probe needs a function name"));
            }
            if *ret && offset != 0 {
                return Err("Offset not allowed".to_string());
            }
            Ok(Attach::Uprobe {
                path: path.to_string(),
                symbol,
                offset,
                ret: *ret,
            })
        }
        Attach::Kprobe { ret, .. } => {
            let [spec] = rest else {
                return Err(format!("{provider} probe type requires 1 argument"));
            };
            let (function, offset) = name_offset(spec)?;
            if function.is_empty() {
                return Err(format!("{provider} probe needs a function name"));
            }
            if *ret && offset != 0 {
                return Err("Offset not allowed".to_string());
            }
            Ok(Attach::Kprobe {
                function,
                offset,
                ret: *ret,
            })
        }
        Attach::Usdt { .. } => {
            let (path, provider, name) = match rest {
                [path, name] => (path, "", name),
                [path, provider, name] => (path, *provider, name),
                _ => return Err(format!("{provider} probe type requires 2 or 3 arguments")),
            };
            if name.is_empty() {
                return Err(format!("{provider} probe needs a probe name"));
            }
            Ok(Attach::Usdt {
                path: path.to_string(),
                provider: provider.to_string(),
                name: name.to_string(),
            })
        }
        Attach::Watchpoint {
            mode, asynchronous, ..
        } => {
            let [addr, len, _] = rest else {
                return Err(format!("{provider} probe type requires 3 arguments"));
            };
            let address = parse_count(addr)
                .map_err(|e| format!("Invalid function/address argument: {}", e.bpftrace()))?;
            let length = parse_count(len)
                .map_err(|e| format!("Invalid length argument: {}", e.bpftrace()))?;
            if address == 0 {
                return Err("Invalid function/address argument: the address must not be 0".into());
            }
            if ![1, 2, 4, 8].contains(&length) {
                return Err(format!(
                    "Invalid length argument: {length} is not 1, 2, 4 or 8"
                ));
            }
            Ok(Attach::Watchpoint {
                address,
                length,
                mode: mode.clone(),
                asynchronous: *asynchronous,
            })
        }
        other => Err(format!(
            "the object's attach point '{text}' cannot take positional parameters ({other:?})"
        )),
    }
}

/// The name `func` prints for an attach name of a template, after substitution: the
/// traced function of a uprobe or kprobe (without offset), as the compiler names it.
pub fn func_of(attach: &Attach) -> Option<String> {
    match attach {
        // A probe at an address keeps the address as written.
        Attach::Uprobe { symbol, .. } if symbol.is_empty() => None,
        Attach::Uprobe { symbol, .. } => {
            Some(crate::demangle::demangle(symbol).unwrap_or_else(|| symbol.clone()))
        }
        Attach::Kprobe { function, .. } => Some(function.clone()),
        _ => None,
    }
}

#[cfg(test)]
#[path = "attach_template_tests.rs"]
mod tests;
