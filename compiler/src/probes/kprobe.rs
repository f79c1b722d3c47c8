//! `kprobe[:MODULE]:FN[+OFFSET]` and `kretprobe[:MODULE]:FN` (short names `k`, `kr`).
//! `*`/`?` in FN (and MODULE) expand against the kernel's traceable functions. The
//! context is `struct pt_regs`: `argN`, `retval` (kretprobe), `func`. Bare
//! addresses are recognised and refused.

use super::glob::{has_wildcard, matches};
use super::interval::parse_count;
use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

/// Split `name+offset` (offset decimal or hex) into its parts.
pub(super) fn split_offset(spec: &str) -> Result<(&str, u64), String> {
    match spec.split_once('+') {
        Some((name, off)) => Ok((
            name,
            parse_count(off).map_err(|e| format!("invalid offset: {e}"))?,
        )),
        None => Ok((spec, 0)),
    }
}

pub(super) fn expand(ap: &AttachPoint, ret: bool) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let kind = if ret { "kretprobe" } else { "kprobe" };
    let err = |msg: String| Diagnostic::error(ap.span, msg);
    let (module, spec) = match &ap.parts[1..] {
        [f] if !f.is_empty() => (None, f.as_str()),
        [m, f] if !m.is_empty() && !f.is_empty() => (Some(m.as_str()), f.as_str()),
        _ => {
            return Err(err(format!("{kind} probe needs a kernel function"))
                .with_note(format!("e.g. {kind}:vfs_read")));
        }
    };
    if has_wildcard(spec) || module.is_some_and(has_wildcard) {
        if spec.contains('+') {
            return Err(err(format!(
                "{kind}: an offset cannot be used with a wildcard"
            )));
        }
        let all = kernel_functions_cached().map_err(|e| {
            err(format!("cannot expand {kind} wildcard: {e}")).with_note(
                "the list of traceable functions is /sys/kernel/tracing/available_filter_functions",
            )
        })?;
        let mut found: Vec<(Option<String>, String)> = all
            .iter()
            .filter(|(m, f)| {
                matches(spec, f)
                    && match (module, m) {
                        (None, _) => true,
                        (Some(pat), Some(m)) => matches(pat, m),
                        (Some(pat), None) => matches(pat, "vmlinux"),
                    }
            })
            .cloned()
            .collect();
        found.sort();
        found.dedup();
        if found.is_empty() {
            return Err(err(format!(
                "No matches for {kind} {}",
                &ap.raw[ap.parts[0].len() + 1..]
            )));
        }
        return found
            .iter()
            .map(|(m, f)| one(ap, kind, m.as_deref(), f, 0, ret))
            .collect();
    }
    let (function, offset) = split_offset(spec).map_err(|e| err(format!("{kind}: {e}")))?;
    if function.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(err(format!(
            "{kind} at a bare address is not supported yet"
        )));
    }
    if function.is_empty()
        || !function
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(err(format!("invalid kernel function name '{function}'")));
    }
    if ret && offset != 0 {
        return Err(err("kretprobe does not take an offset".to_string()));
    }
    let mut p = one(ap, kind, module, function, offset, ret)?;
    p.symbol_stem = symbol_stem(kind, &ap.parts[1..]);
    Ok(vec![p])
}

/// One concrete probe on `function` (in `module`, when given).
fn one(
    ap: &AttachPoint,
    kind: &str,
    module: Option<&str>,
    function: &str,
    offset: u64,
    ret: bool,
) -> Result<ExpandedProbe, Diagnostic> {
    let section = if offset != 0 {
        format!("{kind}/{function}+{offset}")
    } else {
        format!("{kind}/{function}")
    };
    let mut name = format!("{kind}:");
    if let Some(m) = module {
        name.push_str(m);
        name.push(':');
    }
    name.push_str(function);
    if offset != 0 {
        // As written (decimal or hex) when there is one concrete probe.
        name = canonical_name(kind, ap);
    }
    let stem_parts: Vec<String> = module
        .into_iter()
        .map(str::to_string)
        .chain([function.to_string()])
        .collect();
    Ok(ExpandedProbe {
        name,
        section,
        symbol_stem: symbol_stem(kind, &stem_parts),
        attach: Attach::Kprobe {
            function: function.to_string(),
            offset,
            ret,
        },
        context: Context::Regs {
            ret,
            function: function.to_string(),
        },
    })
}

/// [`kernel_functions`], read once per process: a script with several wildcard
/// attach points (`vfsstat.bt` has five) would otherwise read the 200k-line list once
/// for each. Functions of modules loaded later are not seen by the same process.
pub(super) fn kernel_functions_cached() -> Result<&'static [KernelFunction], String> {
    static LIST: std::sync::OnceLock<Result<Vec<KernelFunction>, String>> =
        std::sync::OnceLock::new();
    LIST.get_or_init(kernel_functions)
        .as_deref()
        .map_err(Clone::clone)
}

/// A traceable kernel function: (module, name).
type KernelFunction = (Option<String>, String);

/// Traceable kernel functions: `available_filter_functions` in tracefs, else the text
/// symbols of `/proc/kallsyms`.
fn kernel_functions() -> Result<Vec<KernelFunction>, String> {
    let parse_ftrace = |text: &str| -> Vec<(Option<String>, String)> {
        text.lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let name = w.next()?.to_string();
                let module = w
                    .next()
                    .and_then(|m| m.strip_prefix('[')?.strip_suffix(']').map(str::to_string));
                Some((module, name))
            })
            .collect()
    };
    for p in [
        "/sys/kernel/tracing/available_filter_functions",
        "/sys/kernel/debug/tracing/available_filter_functions",
    ] {
        if let Ok(text) = std::fs::read_to_string(p) {
            return Ok(parse_ftrace(&text));
        }
    }
    let text = std::fs::read_to_string("/proc/kallsyms")
        .map_err(|e| format!("cannot read /proc/kallsyms: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (_, kind, name) = (w.next()?, w.next()?, w.next()?);
            // Not functions kprobes can trace: ftrace's padding before each function
            // (`__pfx_`, `__cfi_`) and the loaded BPF programs (module `[bpf]`).
            if !matches!(kind, "t" | "T")
                || name.starts_with("__pfx_")
                || name.starts_with("__cfi_")
            {
                return None;
            }
            let module = w
                .next()
                .and_then(|m| m.strip_prefix('[')?.strip_suffix(']').map(str::to_string));
            if module.as_deref() == Some("bpf") {
                return None;
            }
            Some((module, name.to_string()))
        })
        .collect())
}
