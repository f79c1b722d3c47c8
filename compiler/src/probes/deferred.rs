//! Attach points with positional parameters compiled without the arguments
//! (`interval:ms:$1`, `uprobe:$1:malloc`): the parameter only changes values the
//! runtime uses when it attaches, so the probe is compiled once with placeholder
//! values and named by its template text (`interval:ms:$1`); `tracerun` substitutes
//! its own arguments before attaching ([`tracec_meta::attach_template`]).
//!
//! Deferred: `interval`/`profile` rates (every unit form), `software`/`hardware`
//! counts, `watchpoint` address and length, `uprobe`/`uretprobe` binary and function
//! `kprobe`/`kretprobe` function and the parts of `usdt` probes (without wildcards:
//! nothing can be expanded at run time). Everything else (the probe type itself, tracepoints, fentry, USDT...)
//! decides the program's type or context at compile time, and is an error saying so.

use super::{canonical_provider, symbol_stem, Context, ExpandedProbe, Provider};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::attach_template::{params_in, replace_params};
use tracec_meta::Attach;

/// The first parameter of `text` as written (`$1`, `$#`).
fn first_param(text: &str) -> Option<&str> {
    params_in(text).first().map(|p| &text[p.start..p.end])
}

/// Whether an attach point has positional parameters.
pub fn has_params(ap: &AttachPoint) -> bool {
    !params_in(&ap.raw).is_empty()
}

/// Whether a probe name is a template the runtime completes (`uprobe:$1:f`).
pub fn is_template(name: &str) -> bool {
    !params_in(name).is_empty()
}

/// Why `args` is missing in a deferred uprobe.
pub const ARGS_NOTE: &str = "the binary is a positional parameter, so its DWARF arguments are unknown when compiling: pass the arguments after `--` (`tracec ... -- ARGS`), or read argN";

/// The template text of `ap`: its provider's full name, then its parts as written.
pub fn template_text(provider: &str, ap: &AttachPoint) -> String {
    let mut text = provider.to_string();
    for p in &ap.parts[1..] {
        text.push(':');
        text.push_str(p);
    }
    text
}

/// The error for a parameter the runtime cannot fill in: `why` says what needs it.
fn refuse(ap: &AttachPoint, why: &str) -> Diagnostic {
    let p = first_param(&ap.raw).unwrap_or("$");
    Diagnostic::error(
        ap.span,
        format!(
            "positional parameter '{p}' in attach point '{}': {why}, so tracec needs the argument at compile time",
            ap.raw
        ),
    )
    .with_label("needs its arguments at compile time")
    .with_note("pass the arguments after `--` (`tracec ... -- ARGS`), then run the object with the same ones (`tracerun OBJECT -- ARGS`)")
}

/// `ap` with every parameter of the parts at `positions` replaced by `value`.
fn placeholder(ap: &AttachPoint, value: impl Fn(usize) -> &'static str) -> AttachPoint {
    let mut out = ap.clone();
    for (i, part) in out.parts.iter_mut().enumerate().skip(1) {
        let v = value(i);
        *part = replace_params(part, |_| v.to_string());
    }
    out.raw = out.parts.join(":");
    out
}

/// Whether part `i` of `ap` holds a parameter.
fn param_at(ap: &AttachPoint, i: usize) -> bool {
    ap.parts.get(i).is_some_and(|p| !params_in(p).is_empty())
}

/// Whether `text` would need expanding (wildcards, quotes).
fn pattern_like(text: &str) -> bool {
    text.contains(['*', '?', '[', '"'])
}

/// How attach points are expanded ([`super::expand`] with its environment).
pub type Expand<'a> = dyn FnMut(&AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic> + 'a;

/// Expand `ap`, whose parameters are left to the runtime, with placeholder values
/// through `expand`. The probes are named by the template text, which the caller
/// records as a [`tracec_meta::attach_template::AttachTemplate`].
pub fn expand_deferred(
    ap: &AttachPoint,
    expand: &mut Expand<'_>,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let first = ap.parts.first().map_or("", String::as_str);
    if !params_in(first).is_empty() {
        return Err(refuse(
            ap,
            "the probe type decides how the probe is compiled",
        ));
    }
    let Some(Provider::Supported(provider)) = canonical_provider(first) else {
        return Err(refuse(
            ap,
            "this probe type is compiled from its attach point",
        ));
    };
    let text = template_text(provider, ap);
    let rename = |mut list: Vec<ExpandedProbe>| {
        for p in &mut list {
            p.name = text.clone();
            zero_placeholders(&mut p.attach);
        }
        list
    };
    match provider {
        "interval" | "profile" => {
            // A whole unit part (`interval:$1:5`) gets a unit, every other a count.
            let unit_pos = ap.parts.len() == 3;
            let fake = placeholder(ap, |i| if unit_pos && i == 1 { "s" } else { "1" });
            expand(&fake).map(rename)
        }
        "software" | "hardware" => {
            if param_at(ap, 1) {
                return Err(refuse(
                    ap,
                    &format!("the event of a {provider} probe selects its counter"),
                ));
            }
            expand(&placeholder(ap, |_| "1")).map(rename)
        }
        "watchpoint" | "asyncwatchpoint" => {
            if param_at(ap, 3) {
                return Err(refuse(
                    ap,
                    "the mode of a watchpoint is checked when compiling",
                ));
            }
            expand(&placeholder(ap, |i| if i == 2 { "8" } else { "1" })).map(rename)
        }
        "uprobe" | "uretprobe" => uprobe(ap, provider, text),
        "kprobe" | "kretprobe" => kprobe(ap, provider, text),
        "usdt" => usdt(ap, text),
        _ => Err(refuse(
            ap,
            &format!("a {provider} probe's program and context come from its attach point"),
        )),
    }
}

/// Zero the values the runtime sets: a runtime older than templates (format 1.14)
/// then fails to attach the probe instead of running it at a placeholder rate.
fn zero_placeholders(attach: &mut Attach) {
    match attach {
        Attach::Interval { period_ns } => *period_ns = 0,
        Attach::Profile { hz, period_ns } => (*hz, *period_ns) = (0, 0),
        Attach::PerfCounter { period, .. } => *period = 0,
        Attach::Watchpoint { address, .. } => *address = 0,
        _ => {}
    }
}

/// `uprobe:PATH:FUNCTION[+OFFSET]` with parameters in PATH or FUNCTION.
fn uprobe(ap: &AttachPoint, kind: &str, text: String) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let [path, spec] = &ap.parts[1..] else {
        return Err(refuse(
            ap,
            &format!("only {kind}:PATH:FUNCTION can take its binary or function at run time"),
        ));
    };
    if pattern_like(path) || pattern_like(spec) || path.contains('@') {
        return Err(refuse(
            ap,
            "wildcards, quoted paths and source locations are expanded when compiling",
        ));
    }
    let ret = kind == "uretprobe";
    Ok(vec![ExpandedProbe {
        name: text,
        section: kind.to_string(),
        symbol_stem: symbol_stem(kind, &ap.parts[1..]),
        attach: Attach::Uprobe {
            path: path.clone(),
            symbol: spec.clone(),
            offset: 0,
            ret,
        },
        context: Context::Regs {
            ret,
            function: spec.split('+').next().unwrap_or_default().to_string(),
        },
    }])
}

/// `usdt:PATH:[PROVIDER:]NAME` with parameters anywhere: the runtime reads the notes
/// of the binary, as it does for a binary the compiler cannot read.
fn usdt(ap: &AttachPoint, text: String) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let (path, provider, name) = match &ap.parts[1..] {
        [path, name] => (path, "", name),
        [path, provider, name] => (path, provider.as_str(), name),
        _ => {
            return Err(refuse(
                ap,
                "only usdt:PATH:[PROVIDER:]NAME can take its parts at run time",
            ))
        }
    };
    if pattern_like(path) || pattern_like(provider) || pattern_like(name) {
        return Err(refuse(
            ap,
            "wildcards and quoted names are expanded when compiling",
        ));
    }
    Ok(vec![ExpandedProbe {
        name: text,
        section: "uprobe".into(),
        symbol_stem: symbol_stem("usdt", &ap.parts[1..]),
        attach: Attach::Usdt {
            path: path.clone(),
            provider: provider.to_string(),
            name: name.clone(),
        },
        context: Context::Usdt { nargs: None },
    }])
}

/// `kprobe:FUNCTION[+OFFSET]` with parameters in FUNCTION.
fn kprobe(ap: &AttachPoint, kind: &str, text: String) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let [spec] = &ap.parts[1..] else {
        return Err(refuse(
            ap,
            &format!("only {kind}:FUNCTION can take its function at run time"),
        ));
    };
    if pattern_like(spec) {
        return Err(refuse(ap, "wildcards are expanded when compiling"));
    }
    let ret = kind == "kretprobe";
    Ok(vec![ExpandedProbe {
        name: text,
        section: kind.to_string(),
        symbol_stem: symbol_stem(kind, &ap.parts[1..]),
        attach: Attach::Kprobe {
            function: spec.clone(),
            offset: 0,
            ret,
        },
        context: Context::Regs {
            ret,
            function: spec.split('+').next().unwrap_or_default().to_string(),
        },
    }])
}

#[cfg(test)]
#[path = "deferred_tests.rs"]
mod tests;
