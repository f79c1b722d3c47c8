//! bpftrace's refusal to attach a uprobe to a function symbol of size 0 (such as
//! `_init`): without a size it cannot check that the probe lands on an instruction
//! boundary. A probe the script names is an error (unless `--unsafe`); one a wildcard
//! matched is skipped with a warning. Checked before loading, so a skipped probe is
//! neither loaded nor attached.

use crate::uprobe_bounds::{functions, Func};
use crate::Error;
use goblin::elf::Elf;
use std::collections::HashMap;
use tracec_meta::{Attach, Metadata, ProbeSpec};

/// The message bpftrace gives for `symbol`.
fn boundary(symbol: &str) -> String {
    format!("Could not determine boundary for {symbol} (symbol has size 0).")
}

/// The metadata to run when the options change it: `--probe-filter` applied, and
/// uprobes on size-0 symbols a wildcard matched dropped (their warnings printed to
/// stderr); `None` when it stays as read.
pub fn adjusted(meta: &Metadata, opts: &crate::run::Options) -> Result<Option<Metadata>, Error> {
    let mut out = meta.clone();
    if let Some(pattern) = &opts.probe_filter {
        crate::probe_filter::apply(&mut out, pattern)?;
    }
    for w in check(&mut out, opts.allow_unsafe)? {
        eprintln!("{w}");
    }
    Ok((out != *meta).then_some(out))
}

/// Check the uprobes of `meta` on plain function symbols: with `allow_unsafe` nothing
/// is checked; otherwise a probe on a size-0 symbol is an error when the script named
/// it, or dropped from `meta` (its warning returned) when a wildcard matched it.
pub fn check(meta: &mut Metadata, allow_unsafe: bool) -> Result<Vec<String>, Error> {
    if allow_unsafe {
        return Ok(Vec::new());
    }
    let mut read: HashMap<String, Vec<(String, Func)>> = HashMap::new();
    let mut zero = Vec::new();
    for (i, probe) in meta.probes.iter().enumerate() {
        let Attach::Uprobe {
            path,
            symbol,
            offset: 0,
            ..
        } = &probe.attach
        else {
            continue;
        };
        if symbol.is_empty() || !path.contains('/') {
            continue;
        }
        let funcs = read
            .entry(path.clone())
            .or_insert_with(|| function_symbols(path));
        if has_size_zero(funcs, symbol) {
            zero.push(i);
        }
    }
    let mut warnings = Vec::new();
    for &i in zero.iter().rev() {
        let probe = &meta.probes[i];
        let Attach::Uprobe { symbol, .. } = &probe.attach else {
            continue;
        };
        if named_by_script(meta, probe) {
            return Err(Error::bpftrace(format!(
                "{}\nUse --unsafe to force attachment. WARNING: This option could lead to data corruption in the target process.",
                boundary(symbol)
            )));
        }
        warnings.push(format!("WARNING: {} Skipping.", boundary(symbol)));
        meta.probes.remove(i);
    }
    warnings.reverse();
    Ok(warnings)
}

/// Whether every function symbol called `symbol` has size 0 (a symbol that is not
/// among them is left to the attach).
fn has_size_zero(funcs: &[(String, Func)], symbol: &str) -> bool {
    let mut sizes = funcs
        .iter()
        .filter(|(n, _)| n == symbol)
        .map(|(_, f)| f.size);
    sizes
        .next()
        .is_some_and(|first| first == 0 && sizes.all(|s| s == 0))
}

/// Whether the script spelled `probe` itself rather than a wildcard matching it: the
/// only attach point of its program, or its name written out in the script.
fn named_by_script(meta: &Metadata, probe: &ProbeSpec) -> bool {
    let shared = meta
        .probes
        .iter()
        .filter(|p| p.program == probe.program)
        .count();
    if shared == 1 {
        return true;
    }
    let Some(source) = &meta.source else {
        return false;
    };
    source.match_indices(probe.name.as_str()).any(|(at, m)| {
        source[at + m.len()..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ',' | '{' | '/'))
    })
}

/// The function symbols of the binary at `path`; none when it cannot be read.
fn function_symbols(path: &str) -> Vec<(String, Func)> {
    let Some(bytes) = crate::uprobe_bounds::binary(path) else {
        return Vec::new();
    };
    Elf::parse(&bytes)
        .map(|e| functions(&e))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uprobe(program: &str, path: &str, symbol: &str) -> ProbeSpec {
        ProbeSpec {
            program: program.into(),
            section: "uprobe".into(),
            name: format!("uprobe:{path}:{symbol}"),
            attach: Attach::Uprobe {
                path: path.into(),
                symbol: symbol.into(),
                offset: 0,
                ret: false,
            },
            cookie: None,
        }
    }

    #[test]
    fn sizes_of_a_name() {
        let f = |addr, size| Func { addr, size };
        let funcs = vec![
            ("_init".to_string(), f(0x1000, 0)),
            ("main".to_string(), f(0x2000, 0x20)),
            ("dup".to_string(), f(0x3000, 0)),
            ("dup".to_string(), f(0x3000, 8)),
        ];
        assert!(has_size_zero(&funcs, "_init"));
        assert!(!has_size_zero(&funcs, "main"));
        assert!(!has_size_zero(&funcs, "dup"));
        assert!(!has_size_zero(&funcs, "absent"));
    }

    #[test]
    fn named_or_matched() {
        let mut meta = Metadata {
            probes: vec![
                uprobe("a", "/bin/x", "_init"),
                uprobe("b", "/bin/x", "_init"),
                uprobe("b", "/bin/x", "_fini"),
            ],
            source: Some("uprobe:/bin/x:_in* { } uprobe:/bin/x:_fini, u:/bin/x:f { }".into()),
            ..Metadata::default()
        };
        assert!(named_by_script(&meta, &meta.probes[0]));
        assert!(!named_by_script(&meta, &meta.probes[1]));
        assert!(named_by_script(&meta, &meta.probes[2]));
        meta.source = None;
        assert!(!named_by_script(&meta, &meta.probes[2]));
    }

    #[test]
    fn unsafe_checks_nothing() {
        let mut meta = Metadata {
            probes: vec![uprobe("a", "/no/such/file", "_init")],
            ..Metadata::default()
        };
        assert!(check(&mut meta, true).unwrap().is_empty());
        // An unreadable binary is left to the attach.
        assert!(check(&mut meta, false).unwrap().is_empty());
        assert_eq!(meta.probes.len(), 1);
    }
}
