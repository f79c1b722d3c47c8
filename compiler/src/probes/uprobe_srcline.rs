//! `uprobe:PATH@FILE:LINE[:COLUMN]`: a uprobe on the first instruction of a source
//! statement, found in the binary's DWARF line table (`dwarf::line_address`). The
//! probe attaches at that virtual address, as `uprobe:PATH:ADDRESS` does.

use std::path::Path;

use super::dwarf::{line_address, LineError, SourceLoc};
use super::glob::has_wildcard;
use super::{symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

/// `spec` is the attach point's second part, `PATH@FILE`; the line (and column) are
/// the parts after it.
pub(super) fn expand(
    ap: &AttachPoint,
    kind: &str,
    spec: &str,
    ret: bool,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let err = |msg: String| Diagnostic::error(ap.span, msg);
    let Some((path, file)) = spec.split_once('@') else {
        return Err(err(format!("{kind}: expected PATH@FILE:LINE")));
    };
    if ret {
        return Err(err(
            "uretprobe cannot attach to a source location (PATH@FILE:LINE); use a function name"
                .to_string(),
        ));
    }
    if path.is_empty() {
        return Err(err(format!("{kind} probe needs a binary before '@'")));
    }
    if has_wildcard(path) || has_wildcard(file) {
        return Err(err(format!(
            "{kind}: wildcards are not allowed in a source location"
        )));
    }
    let rest: Vec<&str> = ap.parts[2..].iter().map(String::as_str).collect();
    let loc = SourceLoc::parse(file, &rest).map_err(|e| err(format!("{kind}: {e}")))?;
    let shown = match loc.column {
        Some(c) => format!("{}:{}:{c}", loc.file, loc.line),
        None => format!("{}:{}", loc.file, loc.line),
    };
    let addr = line_address(Path::new(path), &loc).map_err(|e| {
        err(match e {
            LineError::NoLineInfo => format!("{path} has no DWARF line information"),
            LineError::NoFile => format!(
                "{path}: no source file {} in its debug information",
                loc.file
            ),
            LineError::NoStatement => format!("{path}: no statement at {shown}"),
            LineError::Read(why) => format!("could not read {path}: {why}"),
        })
    })?;
    let function =
        containing_function(Path::new(path), addr).unwrap_or_else(|| format!("{addr:#x}"));
    Ok(vec![ExpandedProbe {
        // bpftrace names it by the address the line resolves to.
        name: format!("{kind}:{path}:{addr}"),
        section: format!("{kind}/{path}:{addr:#x}"),
        symbol_stem: symbol_stem(kind, &ap.parts[1..]),
        attach: Attach::Uprobe {
            path: path.to_string(),
            symbol: String::new(),
            offset: addr,
            ret: false,
        },
        context: Context::Regs {
            ret: false,
            function,
        },
    }])
}

/// The name of the function symbol whose range holds the virtual address `addr` in
/// the ELF file at `path` (or its separate debug file), demangled.
fn containing_function(path: &Path, addr: u64) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let find = |bytes: &[u8]| -> Option<String> {
        let elf = goblin::elf::Elf::parse(bytes).ok()?;
        elf.syms
            .iter()
            .find(|s| s.is_function() && s.st_value <= addr && addr - s.st_value < s.st_size.max(1))
            .and_then(|s| elf.strtab.get_at(s.st_name))
            .map(str::to_string)
    };
    let name = find(&bytes).or_else(|| find(&super::usyms::debug_file(path, &bytes)?))?;
    Some(tracec_meta::demangle::demangle(&name).unwrap_or(name))
}
