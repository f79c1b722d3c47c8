//! `kprobe[:MODULE]:FN[+OFFSET]` and `kretprobe[:MODULE]:FN` (short names `k`, `kr`).
//! `*`/`?` in FN (and MODULE) expand against the kernel's traceable functions. The
//! context is `struct pt_regs`: `argN`, `retval` (kretprobe), `func`.
//! `kprobe:ADDR` / `kretprobe:ADDR` (decimal or `0x` hex) probe a bare kernel
//! address: `Attach::Kprobe` with an empty `function` and the address in `offset`
//! (the kernel's own convention for a kprobe without a symbol). Only `tracec
//! --unsafe` compiles them (the driver checks, see [`is_address`]), as in bpftrace.

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
        let all = super::traceable::functions().map_err(|e| {
            err(format!("cannot expand {kind} wildcard: {e}")).with_note(
                "the list of traceable functions is /sys/kernel/tracing/available_filter_functions",
            )
        })?;
        let mut found: Vec<(Option<String>, String)> = all
            .iter()
            .filter(|&(m, f)| {
                matches(spec, f)
                    && match (module, m) {
                        (None, _) => true,
                        (Some(pat), Some(m)) => matches(pat, m),
                        (Some(pat), None) => matches(pat, "vmlinux"),
                    }
            })
            .map(|(m, f)| (m.map(str::to_string), f.to_string()))
            .collect();
        found.sort();
        found.dedup();
        // A pattern that matches nothing gives no probe: the checker reports the probe
        // that is left without attach points, as bpftrace does.
        // As bpftrace names them: with the module (`vmlinux` for the kernel's own
        // functions) when the attach point names one, else the function alone.
        return found
            .iter()
            .map(|(m, f)| {
                let shown = module.map(|_| m.as_deref().unwrap_or("vmlinux"));
                one(ap, kind, shown, f, 0, ret)
            })
            .collect();
    }
    let (function, offset) = split_offset(spec).map_err(|e| err(format!("{kind}: {e}")))?;
    if function.starts_with(|c: char| c.is_ascii_digit()) {
        if module.is_some() || spec.contains('+') {
            return Err(err(format!(
                "{kind}: an address cannot take a module or an offset"
            )));
        }
        let addr =
            parse_count(function).map_err(|e| err(format!("{kind}: invalid address: {e}")))?;
        return Ok(vec![address(ap, kind, addr, ret)]);
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

/// A probe at the bare kernel address `addr`, named as bpftrace names it (the
/// address in decimal: `kprobe:305419896`).
fn address(ap: &AttachPoint, kind: &str, addr: u64, ret: bool) -> ExpandedProbe {
    ExpandedProbe {
        name: format!("{kind}:{addr}"),
        section: kind.to_string(),
        symbol_stem: symbol_stem(kind, &ap.parts[1..]),
        attach: Attach::Kprobe {
            function: String::new(),
            offset: addr,
            ret,
        },
        context: Context::Regs {
            ret,
            function: String::new(),
        },
    }
}

/// Whether `attach` is a kprobe at a bare address (which needs `--unsafe`).
pub fn is_address(attach: &Attach) -> bool {
    matches!(attach, Attach::Kprobe { function, .. } if function.is_empty())
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
