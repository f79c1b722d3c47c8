//! The script's run-time parameters: `tracerun OBJECT -- ARGS...` parsed against the
//! object's [`ParamSpec`]s into the bytes of their `.rodata` globals.
//!
//! After `--`, `--name=VALUE` and `--name` are named options (`getopt`); every other
//! argument is positional (`$1`, `$2`...); a second bare `--` makes all the arguments
//! after it positional. Integers are C literals: decimal, `0x` hex, `0` octal, with an
//! optional sign, up to `u64::MAX`. Booleans are `true`/`1`/`false`/`0` in any case,
//! and `--name` alone is `true`. Strings longer than the global are cut.

use crate::Error;
use tracec_meta::{ParamKind, ParamSpec, ParamType, ParamValue};

/// A global to set before loading: its symbol and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalValue {
    pub symbol: String,
    pub bytes: Vec<u8>,
}

/// The command line split into positional arguments and `(name, value)` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    pub positional: Vec<String>,
    pub named: Vec<(String, Option<String>)>,
}

/// Split the arguments after `--`.
pub fn split(args: &[String]) -> Args {
    let mut out = Args::default();
    let mut only_positional = false;
    for a in args {
        if only_positional {
            out.positional.push(a.clone());
        } else if a == "--" {
            only_positional = true;
        } else if let Some(opt) = a.strip_prefix("--") {
            let (name, value) = match opt.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (opt, None),
            };
            out.named.push((name.to_string(), value));
        } else {
            out.positional.push(a.clone());
        }
    }
    out
}

/// A C integer literal: decimal, `0x`/`0X` hex, `0` octal, optional sign. Values above
/// `i64::MAX` (up to `u64::MAX`) keep their bits.
pub fn parse_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let (radix, body) = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, h)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    let mag = u64::from_str_radix(body, radix).ok()?;
    if neg {
        if mag > i64::MIN.unsigned_abs() {
            return None;
        }
        Some((mag as i64).wrapping_neg())
    } else {
        Some(mag as i64)
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// The names of the script's options, in declaration order.
fn option_names(specs: &[ParamSpec]) -> Vec<&str> {
    specs
        .iter()
        .filter_map(|s| match &s.kind {
            ParamKind::Named { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

const NO_OPTIONS: &str = "HINT: no custom program options defined.";

/// bpftrace's hint after an unexpected option: the options on one line.
fn options_hint(specs: &[ParamSpec]) -> String {
    let names = option_names(specs);
    if names.is_empty() {
        return NO_OPTIONS.to_string();
    }
    let list: Vec<String> = names.iter().map(|n| format!("--{n}")).collect();
    format!("HINT: expected program options: {}", list.join(", "))
}

/// `-- --help`: every option on its own line, with its description.
fn options_help(specs: &[ParamSpec]) -> String {
    let mut out = String::from("HINT: expected program options:");
    let mut any = false;
    for s in specs {
        if let ParamKind::Named {
            name, description, ..
        } = &s.kind
        {
            any = true;
            out.push_str("\n  --");
            out.push_str(name);
            if let Some(d) = description {
                out.push_str(": ");
                out.push_str(d);
            }
        }
    }
    if any {
        out
    } else {
        NO_OPTIONS.to_string()
    }
}

/// A bad option value, in bpftrace's words.
fn option_error(name: &str, what: &str, value: &str) -> Error {
    Error::bpftrace(format!(
        "program command line option --{name} {what} (value: {value})"
    ))
}

fn named_value(name: &str, ty: ParamType, value: Option<&str>) -> Result<ParamValue, Error> {
    match (ty, value) {
        (ParamType::Bool, None) => Ok(ParamValue::Bool(true)),
        (ParamType::Bool, Some(v)) => parse_bool(v)
            .map(ParamValue::Bool)
            .ok_or_else(|| option_error(name, "invalid boolean", v)),
        (ParamType::Int, None) => Err(option_error(name, "invalid integer", "")),
        (ParamType::Str { .. }, None) => Err(Error::bpftrace(format!(
            "program command line option --{name} requires a value (--{name}=VALUE)"
        ))),
        (ParamType::Int, Some(v)) => parse_int(v)
            .map(ParamValue::Int)
            .ok_or_else(|| option_error(name, "invalid integer", v)),
        (ParamType::Str { .. }, Some(v)) => Ok(ParamValue::Str(v.to_string())),
    }
}

/// Options the script does not declare are an error; `--help` asks for the list.
fn check_known(specs: &[ParamSpec], named: &[(String, Option<String>)]) -> Result<(), Error> {
    let known = option_names(specs);
    let mut unexpected: Vec<String> = Vec::new();
    let mut help = false;
    for (name, _) in named {
        if known.contains(&name.as_str()) {
            continue;
        }
        if name == "help" {
            help = true;
            continue;
        }
        let flag = format!("--{name}");
        if !unexpected.contains(&flag) {
            unexpected.push(flag);
        }
    }
    let hint = if help {
        options_help(specs)
    } else {
        options_hint(specs)
    };
    if !unexpected.is_empty() {
        return Err(Error::new(format!(
            "ERROR: unexpected program command line options: {}\n{hint}",
            unexpected.join(", ")
        )));
    }
    if help {
        return Err(Error::new(hint));
    }
    Ok(())
}

/// The text of a `$N` typed by its argument (see `ParamKind::PositionalText`).
pub fn positional_text(arg: Option<&str>) -> String {
    match arg {
        None => "0".into(),
        Some(a) => match parse_int(a) {
            Some(v) if v < 0 && !a.trim_start().starts_with('-') => (v as u64).to_string(),
            Some(v) => v.to_string(),
            None => a.to_string(),
        },
    }
}

/// The value of every parameter from the command line, as the globals to set.
pub fn resolve(specs: &[ParamSpec], args: &[String]) -> Result<Vec<GlobalValue>, Error> {
    let args = split(args);
    check_known(specs, &args.named)?;
    let mut out = Vec::new();
    for s in specs {
        let value = match &s.kind {
            ParamKind::Count => ParamValue::Int(args.positional.len() as i64),
            ParamKind::Positional { index } => {
                let arg = index
                    .checked_sub(1)
                    .and_then(|i| args.positional.get(i as usize));
                match (s.ty, arg) {
                    (ParamType::Str { .. }, a) => ParamValue::Str(a.cloned().unwrap_or_default()),
                    (_, None) => ParamValue::Int(0),
                    (_, Some(a)) => ParamValue::Int(parse_int(a).ok_or_else(|| {
                        Error::new(format!(
                            "${index} is used as a number, but its argument {a:?} is not one; use str(${index}) to read it as text"
                        ))
                    })?),
                }
            }
            ParamKind::PositionalText { index } => {
                let arg = index
                    .checked_sub(1)
                    .and_then(|i| args.positional.get(i as usize));
                ParamValue::Str(positional_text(arg.map(String::as_str)))
            }
            ParamKind::Named { name, default, .. } => {
                // The last occurrence wins.
                match args.named.iter().rev().find(|(n, _)| n == name) {
                    Some((_, v)) => named_value(name, s.ty, v.as_deref())?,
                    None => default.clone(),
                }
            }
        };
        let bytes = s.ty.encode(&value).ok_or_else(|| {
            Error::new(format!(
                "parameter {}: the object's metadata gives it type {:?}, which does not fit its value",
                s.symbol, s.ty
            ))
        })?;
        out.push(GlobalValue {
            symbol: s.symbol.clone(),
            bytes,
        });
    }
    Ok(out)
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
