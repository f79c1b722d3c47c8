//! `-l uprobe:PATH:PATTERN` (and `uretprobe`, or a provider glob such as
//! `*:PATH:*`): the function symbols of the files PATH names, as bpftrace lists
//! them (`uprobe:./testprogs/uprobe_test:uprobeFunction1`); and `-l usdt:PATH:*`,
//! `usdt:PATH:PROVIDER:NAME`: the USDT notes of those files
//! (`usdt:./testprogs/usdt_test:tracetest:testprobe`). PATH may have
//! wildcards and may be a bare library name; `*` (every mapped file of a process)
//! is not listed, since the compiler knows no process.

use super::glob::matches;
use super::list::Piece;
use super::{upath, usdt, usyms};

/// The listed uprobe/uretprobe entries of `pieces` (no arguments: symbols carry no
/// types).
pub(super) fn entries(pieces: &[Piece<'_>]) -> Vec<(String, Vec<String>)> {
    let mut out = usdt_entries(pieces);
    for piece in pieces {
        let Some((provider, path, function)) = piece.user_target() else {
            continue;
        };
        let kinds: Vec<&str> = ["uprobe", "uretprobe"]
            .into_iter()
            .filter(|k| matches(provider, k))
            .collect();
        if kinds.is_empty() || path == "*" {
            continue;
        }
        let path = unquote(path);
        let function = unquote(function);
        for (shown, file) in upath::resolve(path) {
            let Ok(symbols) = usyms::read(&file) else {
                continue;
            };
            for sym in symbols.iter().filter(|s| matches(function, s)) {
                for kind in &kinds {
                    out.push((format!("{kind}:{shown}:{sym}"), Vec::new()));
                }
            }
        }
    }
    out
}

/// The listed USDT probes of `pieces`: `usdt:PATH:PATTERN` matches the probe name under
/// any provider, `usdt:PATH:PROVIDER:NAME` both.
fn usdt_entries(pieces: &[Piece<'_>]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for piece in pieces {
        let Some((kind, path, provider, name)) = piece.usdt_target() else {
            continue;
        };
        if !matches(kind, "usdt") || path == "*" {
            continue;
        }
        for (shown, file) in upath::resolve(unquote(path)) {
            for note in usdt::read_notes(&file).unwrap_or_default() {
                if matches(provider, &note.provider) && matches(unquote(name), &note.name) {
                    let entry = format!("usdt:{shown}:{}:{}", note.provider, note.name);
                    if !out.iter().any(|(e, _)| e == &entry) {
                        out.push((entry, Vec::new()));
                    }
                }
            }
        }
    }
    out
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::super::list::pieces;
    use super::super::usyms::test_elf;
    use super::*;

    fn names(pattern: &str) -> Vec<String> {
        let mut v: Vec<String> = entries(&pieces(Some(pattern)))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        v.sort();
        v
    }

    #[test]
    fn lists_function_symbols() {
        let dir = std::env::temp_dir().join(format!("tracec-list-user-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("uprobe_test"),
            test_elf(&["uprobeFunction1", "main"]),
        )
        .unwrap();
        let d = dir.display();
        assert_eq!(
            names(&format!("uprobe:{d}/uprobe_test:uprobeFunc*")),
            [format!("uprobe:{d}/uprobe_test:uprobeFunction1")]
        );
        assert_eq!(
            names(&format!("uprobe:{d}/uprobe*:*")),
            [
                format!("uprobe:{d}/uprobe_test:alias_of_first"),
                format!("uprobe:{d}/uprobe_test:main"),
                format!("uprobe:{d}/uprobe_test:uprobeFunction1"),
            ]
        );
        assert_eq!(
            names(&format!("uretprobe:{d}/uprobe_test:main")),
            [format!("uretprobe:{d}/uprobe_test:main")]
        );
        // A provider glob lists both kinds; other providers none.
        assert_eq!(names(&format!("*:{d}/uprobe_test:main")).len(), 2);
        assert!(names(&format!("kprobe:{d}/uprobe_test:main")).is_empty());
        assert!(names(&format!("uprobe:{d}/missing:*")).is_empty());
        assert!(names("uprobe:*:main").is_empty());
        assert!(names("main").is_empty(), "a bare pattern names no binary");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
