//! `-l uprobe:PATH:PATTERN` (and `uretprobe`, or a provider glob such as
//! `*:PATH:*`): the function symbols of the files PATH names, as bpftrace lists
//! them (`uprobe:./testprogs/uprobe_test:uprobeFunction1`); and `-l usdt:PATH:*`,
//! `usdt:PATH:PROVIDER:NAME`: the USDT notes of those files
//! (`usdt:./testprogs/usdt_test:tracetest:testprobe`). PATH may have
//! wildcards and may be a bare library name. `*` is every file the process of `-p`
//! maps ([`super::proc_paths`]): with a process, pieces without a file (`uprobe:*`,
//! `usdt:*:PROVIDER:*`, a bare pattern, no pattern) list its uprobes, uretprobes and
//! USDT probes, with the files' full paths, as `bpftrace -l -p PID` does. Without a
//! process, `usdt:*:...` lists the USDT probes of every running process's files.

use super::glob::matches;
use super::list::Piece;
use super::{upath, usdt, usyms};
use std::path::PathBuf;

/// The listed uprobe/uretprobe and USDT entries of `pieces` (no arguments: symbols
/// carry no types), with those of process `pid`'s files.
pub(super) fn entries_for(pieces: &[Piece<'_>], pid: Option<u32>) -> Vec<(String, Vec<String>)> {
    let mut out = entries_in(pieces, pid);
    if let Some(pid) = pid {
        out.extend(process_entries(pieces, pid));
    }
    out
}

/// The uprobes, uretprobes and USDT probes of the files process `pid` maps that the
/// pieces without a file select: each piece's pattern matches `PATH:FUNCTION` or
/// `PATH:PROVIDER:NAME` as a whole.
fn process_entries(pieces: &[Piece<'_>], pid: u32) -> Vec<(String, Vec<String>)> {
    let searches: Vec<(&str, String)> = pieces.iter().filter_map(Piece::process_search).collect();
    let wants = |kind: &str| searches.iter().any(|(p, _)| matches(p, kind));
    if !["uprobe", "uretprobe", "usdt"].iter().any(|k| wants(k)) {
        return Vec::new();
    }
    let files: Vec<PathBuf> = super::proc_paths::of_pid(pid)
        .unwrap_or_default()
        .into_iter()
        .filter(|f| usyms::is_elf(f))
        .collect();
    let mut out = Vec::new();
    let mut emit = |kind: &str, target: String| {
        if searches
            .iter()
            .any(|(p, search)| matches(p, kind) && matches(search, &target))
        {
            out.push((format!("{kind}:{target}"), Vec::new()));
        }
    };
    for file in &files {
        let shown = file.display();
        if wants("uprobe") || wants("uretprobe") {
            for sym in usyms::read(file).unwrap_or_default() {
                emit("uprobe", format!("{shown}:{sym}"));
                emit("uretprobe", format!("{shown}:{sym}"));
            }
        }
        if wants("usdt") {
            for note in usdt::read_notes(file).unwrap_or_default() {
                emit("usdt", format!("{shown}:{}:{}", note.provider, note.name));
            }
        }
    }
    out
}

/// The listed uprobe/uretprobe entries of `pieces` that name files (no arguments:
/// symbols carry no types).
#[cfg(test)]
pub(super) fn entries(pieces: &[Piece<'_>]) -> Vec<(String, Vec<String>)> {
    entries_in(pieces, None)
}

/// [`entries`], where a path of the `-p` process's mount namespace is read through
/// `/proc/PID/root` ([`upath::resolve_for`]).
fn entries_in(pieces: &[Piece<'_>], pid: Option<u32>) -> Vec<(String, Vec<String>)> {
    let mut out = usdt_entries(pieces, pid);
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
        for (shown, file) in upath::resolve_for(path, pid) {
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
fn usdt_entries(pieces: &[Piece<'_>], pid: Option<u32>) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for piece in pieces {
        let Some((kind, path, provider, name)) = piece.usdt_target() else {
            continue;
        };
        if !matches(kind, "usdt") || (path == "*" && (pid.is_some() || kind != "usdt")) {
            continue;
        }
        // `usdt:*:...` without a process: every running process's files, as bpftrace
        // lists them (only for `usdt` spelled out: `-l` alone does not scan them).
        let files = if path == "*" {
            super::uprobe_wild::process_files(None).unwrap_or_default()
        } else {
            upath::resolve_for(unquote(path), pid)
        };
        for (shown, file) in files {
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
    fn process_searches_as_bpftrace_builds_them() {
        let search = |p: &str| {
            pieces(Some(p))[0]
                .process_search()
                .map(|(t, s)| (t.to_string(), s))
        };
        assert_eq!(search("uprobe:*"), Some(("uprobe".into(), "*:*".into())));
        assert_eq!(search("uprobe:f*"), Some(("uprobe".into(), "*:f*".into())));
        assert_eq!(search("f*"), Some(("*".into(), "*:f*".into())));
        assert_eq!(
            search("usdt:*:tracetest2:*"),
            Some(("usdt".into(), "*:tracetest2:*".into()))
        );
        assert_eq!(search("uprobe:./prog:f*"), None, "a named file");
        // Without a process, nothing is added.
        assert!(entries_for(&pieces(Some("uprobe:*")), None).is_empty());
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
