//! `uprobe:PATH:PATTERN` and `uretprobe:PATH:PATTERN` with `*`/`?` in the function
//! (and/or the path): expanded at compile time against the function symbols of the
//! files PATH names ([`super::upath`], [`super::usyms`]), one concrete probe per file
//! and symbol. The probes of one attach point share one program; `probe` and `func`
//! come from the attach cookie (`sema/attach_names.rs`).

use super::glob::{has_wildcard, matches};
use super::usyms::{self, SymError};
use super::{sanitize, upath, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

/// The concrete probes of a wildcard uprobe attach point (`kind` is `uprobe` or
/// `uretprobe`; `path` and `pattern` unquoted).
pub(super) fn expand(
    ap: &AttachPoint,
    kind: &str,
    path: &str,
    pattern: &str,
    ret: bool,
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
    if path == "*" {
        return Err(err(format!(
            "{kind}:*:{pattern} (every binary of a process) is not supported yet"
        ))
        .with_note("name the binary or library: uprobe:/path/to/binary:PATTERN"));
    }
    let files = upath::resolve(path);
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
        probes.extend(
            symbols
                .iter()
                .filter(|s| matches(pattern, s))
                .map(|s| one(kind, shown, s, ret)),
        );
    }
    if probes.is_empty() {
        return Err(err(format!(
            "No matches for {kind} {}.",
            &ap.raw[ap.parts[0].len() + 1..]
        )));
    }
    Ok(probes)
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
