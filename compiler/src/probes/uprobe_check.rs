//! bpftrace's "No matches for uprobe PATH:FUNC." for a uprobe on a function the
//! binary does not have, found at compile time when the binary is readable here (a
//! path with a `/`); otherwise the runtime's attach reports it. The script's
//! `missing_probes` then makes it an error, a warning or nothing.

use super::usyms;
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use std::path::Path;

/// Check that the ELF file `path` names (as the script spells it, unquoted) has a
/// function `symbol`. Files that cannot be read here, or that are no ELF files, pass.
pub(super) fn symbol_exists(
    ap: &AttachPoint,
    kind: &str,
    path: &str,
    symbol: &str,
) -> Result<(), Diagnostic> {
    if !path.contains('/') {
        return Ok(());
    }
    let Ok(names) = usyms::read(Path::new(path)) else {
        return Ok(());
    };
    if names.is_empty() || has_function(&names, symbol) {
        return Ok(());
    }
    Err(Diagnostic::error(
        ap.span,
        format!("No matches for {kind} {path}:{symbol}."),
    ))
}

/// Whether `names` (sorted) hold `symbol`, or a versioned `symbol@VERSION`, or the
/// name is a compiler-split fragment (`f.part.0`, which the symbol list leaves out).
fn has_function(names: &[String], symbol: &str) -> bool {
    if symbol.contains(".part.") || names.binary_search_by(|n| n.as_str().cmp(symbol)).is_ok() {
        return true;
    }
    let versioned = format!("{symbol}@");
    let from = names.partition_point(|n| n.as_str() < versioned.as_str());
    names.get(from).is_some_and(|n| n.starts_with(&versioned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::ast::Span;

    fn ap(raw: &str) -> AttachPoint {
        AttachPoint {
            raw: raw.to_string(),
            parts: raw.split(':').map(String::from).collect(),
            span: Span::new(0, raw.len()),
        }
    }

    #[test]
    fn versioned_and_split_names_count() {
        let names: Vec<String> = ["_IO_fclose@@GLIBC_2.2.5", "main", "zz"]
            .map(String::from)
            .to_vec();
        assert!(has_function(&names, "main"));
        assert!(has_function(&names, "_IO_fclose"));
        assert!(has_function(&names, "f.part.0"));
        assert!(!has_function(&names, "mai"));
        assert!(!has_function(&names, "_IO_fclos"));
    }

    #[test]
    fn missing_functions_of_a_readable_binary() {
        let dir = std::env::temp_dir().join(format!("tracec-uprobe-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let bin = dir.join("prog");
        std::fs::write(&bin, usyms::test_elf(&["present"])).expect("write ELF");
        let path = bin.to_str().expect("UTF-8 path");
        let a = ap(&format!("uprobe:{path}:absent"));
        assert!(symbol_exists(&a, "uprobe", path, "present").is_ok());
        let e = symbol_exists(&a, "uprobe", path, "absent").unwrap_err();
        assert_eq!(e.message, format!("No matches for uprobe {path}:absent."));
        // Bare names and unreadable files are left to the runtime.
        assert!(symbol_exists(&a, "uprobe", "prog", "absent").is_ok());
        assert!(symbol_exists(&a, "uprobe", "/no/such/file", "absent").is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
