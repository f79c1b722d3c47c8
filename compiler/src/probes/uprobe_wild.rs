//! `uprobe:PATH:PATTERN` and `uretprobe:PATH:PATTERN` with `*`/`?` in the function
//! (and/or the path): expanded at compile time against the function symbols of the
//! files PATH names ([`super::upath`], [`super::usyms`]), one concrete probe per file
//! and symbol. The probes of one attach point share one program; `probe` and `func`
//! come from the attach cookie (`sema/attach_names.rs`).

use super::glob::{has_wildcard, matches};
use super::usyms::{self, SymError};
use super::{proc_paths, sanitize, upath, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use std::path::PathBuf;
use tracec_meta::Attach;

/// The concrete probes of a wildcard uprobe attach point (`kind` is `uprobe` or
/// `uretprobe`; `path` and `pattern` unquoted). A `*` path names every file the
/// process `pid` maps (every running process's without one, [`proc_paths`]).
pub(super) fn expand(
    ap: &AttachPoint,
    kind: &str,
    path: &str,
    pattern: &str,
    ret: bool,
    pid: Option<u32>,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let err = |msg: String| Diagnostic::error(ap.span, msg);
    if pattern.contains('+') {
        return Err(err(format!(
            "{kind}: an offset cannot be used with a wildcard"
        )));
    }
    if pattern.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(err(format!("invalid {kind} function pattern '{pattern}'")));
    }
    expand_matching(ap, kind, path, ret, pid, None, &|s| matches(pattern, s))
}

/// The probes on the function symbols `select` accepts in the files `path` names
/// (`*`: those process `pid` maps). `lang` (`cpp`) is written into the probe names
/// between the file and the symbol, as bpftrace names `cpp:` probes.
pub(super) fn expand_matching(
    ap: &AttachPoint,
    kind: &str,
    path: &str,
    ret: bool,
    pid: Option<u32>,
    lang: Option<&str>,
    select: &dyn Fn(&str) -> bool,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let err = |msg: String| Diagnostic::error(ap.span, msg);
    let files = if path == "*" {
        process_files(pid).map_err(|e| err(format!("error finding {kind} target: {e}")))?
    } else {
        upath::resolve_for(path, pid)
    };
    if files.is_empty() && !has_wildcard(path) {
        return Err(err(format!(
            "{kind} target file '{path}' does not exist or is not executable"
        )));
    }
    let mut probes = Vec::new();
    for (shown, file) in &files {
        let symbols = match usyms::read(file) {
            Ok(s) => s,
            Err(SymError::NotElf) if has_wildcard(path) => continue,
            Err(SymError::NotElf) => {
                return Err(err(format!(
                    "{kind} target file '{path}' is not an ELF file"
                )))
            }
            Err(SymError::Unreadable(e)) => {
                return Err(err(format!("cannot read {kind} target '{shown}': {e}")))
            }
        };
        for s in symbols.iter().filter(|s| select(s)) {
            let mut probe = one(kind, shown, s, ret);
            if let Some(lang) = lang {
                probe.name = format!("{kind}:{shown}:{lang}:{s}");
            }
            probes.push(probe);
        }
    }
    if probes.is_empty() {
        return Err(err(format!(
            "No matches for {kind} {}.",
            &ap.raw[ap.parts[0].len() + 1..]
        )));
    }
    Ok(probes)
}

/// The ELF files of process `pid` (of every running process for `None`), each as
/// `(spelling in probe names, file)`.
pub(super) fn process_files(pid: Option<u32>) -> Result<Vec<(String, PathBuf)>, String> {
    let paths = match pid {
        Some(pid) => proc_paths::of_pid(pid)?,
        None => proc_paths::of_all_processes(),
    };
    Ok(paths
        .into_iter()
        .filter(|p| usyms::is_elf(p))
        .map(|p| (p.display().to_string(), p))
        .collect())
}

/// One concrete probe on `symbol` of the file spelled `path`.
pub(super) fn one(kind: &str, path: &str, symbol: &str, ret: bool) -> ExpandedProbe {
    ExpandedProbe {
        name: format!("{kind}:{path}:{symbol}"),
        section: format!("{kind}/{path}:{symbol}"),
        symbol_stem: sanitize(&format!("{kind}_{path}_{symbol}")),
        attach: Attach::Uprobe {
            path: path.to_string(),
            symbol: symbol.to_string(),
            offset: 0,
            ret,
        },
        context: Context::Regs {
            ret,
            function: tracec_meta::demangle::demangle(symbol).unwrap_or_else(|| symbol.to_string()),
        },
    }
}

#[cfg(test)]
#[path = "uprobe_wild_tests.rs"]
mod tests;
