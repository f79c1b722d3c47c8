//! `--debuginfo=DIR[:DIR]`: extra directories where a stripped binary's separate debug
//! file is looked for, before the standard places of `tracec_meta::debugfile`.
//!
//! As bpftrace documents the option, a directory is absolute or relative to the traced
//! binary's own directory; entries are separated by `:` or given by repeating the
//! option. In a directory the file is looked for by the binary's debug-link name (or
//! `NAME.debug` without one): `DIR/LINK`, and for an absolute directory also
//! `DIR/.build-id/xx/yyyy.debug` and `DIR/<binary's directory>/LINK`. A candidate is
//! taken when its build ID equals the binary's; without a build ID it is taken as is,
//! unless the entry starts with `+`, which asks for the debug link's CRC-32 to match
//! (`-` turns that check off again). Files that do not match are skipped.
//!
//! The directories are a per-thread setting ([`with_dirs`]), which `tracec::compile`,
//! `tracec::check` and `tracec -l` scope to their options.
//!
//! The runtime knows only the standard places, so a uprobe on a function that only a
//! debug file found here names is rewritten into an address probe ([`resolve_symbols`]).

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use goblin::elf::Elf;
use tracec_meta::debugfile;
use tracec_meta::{Attach, ProbeSpec};

thread_local! {
    static DIRS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with `dirs` (each `DIR[:DIR]`, as given to `--debuginfo`) as the extra
/// debug directories of this thread; the previous setting is restored afterwards.
pub fn with_dirs<T>(dirs: &[String], f: impl FnOnce() -> T) -> T {
    struct Restore(Vec<String>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let old = std::mem::take(&mut self.0);
            DIRS.with(|d| *d.borrow_mut() = old);
        }
    }
    let entries: Vec<String> = dirs
        .iter()
        .flat_map(|d| d.split(':'))
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect();
    let _restore = Restore(DIRS.with(|d| std::mem::replace(&mut *d.borrow_mut(), entries)));
    f()
}

/// The extra debug directories of this thread.
fn dirs() -> Vec<String> {
    DIRS.with(|d| d.borrow().clone())
}

/// One place to look, and whether the debug link's CRC must match there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub path: PathBuf,
    pub crc: bool,
}

/// The candidates for the debug file of `binary` in `entries` (see the module docs).
pub(crate) fn candidates(
    binary: &Path,
    build_id: Option<&[u8]>,
    link: &str,
    entries: &[String],
) -> Vec<Candidate> {
    // Empty for a bare file name (the current directory).
    let bin_dir = binary.parent().unwrap_or(Path::new(""));
    let mut crc = false;
    let mut out: Vec<Candidate> = Vec::new();
    let mut push = |path: PathBuf, crc: bool| {
        if path.as_path() != binary && !out.iter().any(|c| c.path == path) {
            out.push(Candidate { path, crc });
        }
    };
    for entry in entries {
        let dir = if let Some(d) = entry.strip_prefix('+') {
            crc = true;
            d
        } else if let Some(d) = entry.strip_prefix('-') {
            crc = false;
            d
        } else {
            entry.as_str()
        };
        if dir.starts_with('/') {
            let dir = Path::new(dir);
            if let Some(id) = build_id.filter(|id| id.len() >= 2) {
                let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
                push(
                    dir.join(".build-id")
                        .join(&hex[..2])
                        .join(format!("{}.debug", &hex[2..])),
                    crc,
                );
            }
            let here = if bin_dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                bin_dir
            };
            let abs = std::fs::canonicalize(here).unwrap_or_else(|_| here.to_path_buf());
            let rel = abs.strip_prefix("/").unwrap_or(&abs);
            push(dir.join(rel).join(link), crc);
            push(dir.join(link), crc);
        } else {
            push(bin_dir.join(dir).join(link), crc);
        }
    }
    out
}

/// The contents of the debug file of the ELF image `bytes` (read from `binary`) found
/// in this thread's extra directories. The image may have kept its symbols
/// (`strip --strip-debug`): callers look here for what the image lacks.
pub(crate) fn find(binary: &Path, elf: &Elf<'_>, bytes: &[u8]) -> Option<Vec<u8>> {
    let entries = dirs();
    if entries.is_empty() {
        return None;
    }
    let id = debugfile::section(elf, bytes, ".note.gnu.build-id").and_then(debugfile::build_id);
    let link = debugfile::section(elf, bytes, ".gnu_debuglink").and_then(debugfile::debuglink);
    let name = match link {
        Some((name, _)) => name.to_string(),
        None => format!("{}.debug", binary.file_name()?.to_string_lossy()),
    };
    candidates(binary, id, &name, &entries)
        .into_iter()
        .find_map(|c| {
            if !std::fs::metadata(&c.path).ok()?.is_file() || same_file(&c.path, binary) {
                return None;
            }
            let data = std::fs::read(&c.path).ok()?;
            let celf = Elf::parse(&data).ok()?;
            let cid = debugfile::section(&celf, &data, ".note.gnu.build-id")
                .and_then(debugfile::build_id);
            let ok = match (id, cid, link) {
                (Some(want), Some(got), _) => want == got,
                (Some(_), None, _) => false,
                (None, _, Some((_, crc))) if c.crc => debugfile::crc32(&data) == crc,
                _ => true,
            };
            ok.then_some(data)
        })
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Rewrite every uprobe of `probes` on a function that the binary does not name itself
/// but a debug file of [`find`] does into a probe on its address (the runtime looks
/// for debug files in the standard places only).
pub(crate) fn resolve_symbols(probes: &mut [ProbeSpec]) {
    if dirs().is_empty() {
        return;
    }
    for p in probes {
        let Attach::Uprobe {
            path,
            symbol,
            offset,
            ..
        } = &mut p.attach
        else {
            continue;
        };
        if symbol.is_empty() || !path.contains('/') {
            continue;
        }
        if let Some(addr) = debug_only_address(Path::new(path), symbol) {
            *offset = offset.saturating_add(addr);
            symbol.clear();
        }
    }
}

/// The address of function `symbol` in the debug file of the binary at `path` found
/// through the extra directories, when the binary's own symbols lack it.
fn debug_only_address(path: &Path, symbol: &str) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let elf = Elf::parse(&bytes).ok()?;
    if function_address(&elf, symbol).is_some() {
        return None;
    }
    let debug = find(path, &elf, &bytes)?;
    function_address(&Elf::parse(&debug).ok()?, symbol)
}

/// The address of the defined function `name` in `.symtab` or `.dynsym`.
fn function_address(elf: &Elf<'_>, name: &str) -> Option<u64> {
    let tables = [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)];
    tables.into_iter().find_map(|(syms, strs)| {
        syms.iter()
            .find(|s| s.is_function() && s.st_value != 0 && strs.get_at(s.st_name) == Some(name))
            .map(|s| s.st_value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(c: &[Candidate]) -> Vec<(String, bool)> {
        c.iter()
            .map(|c| (c.path.display().to_string(), c.crc))
            .collect()
    }

    #[test]
    fn relative_and_absolute_entries() {
        let entries: Vec<String> = ["./dbg", "+/abs", "-rel", ""].map(String::from).to_vec();
        let c = candidates(
            Path::new("/nonexistent-dir/bin/prog"),
            Some(&[0xab, 0xcd, 0xef]),
            "prog.debug",
            &entries,
        );
        let want = [
            ("/nonexistent-dir/bin/./dbg/prog.debug", false),
            ("/abs/.build-id/ab/cdef.debug", true),
            ("/abs/nonexistent-dir/bin/prog.debug", true),
            ("/abs/prog.debug", true),
            ("/nonexistent-dir/bin/rel/prog.debug", false),
            ("/nonexistent-dir/bin/prog.debug", false),
        ];
        let want: Vec<(String, bool)> = want.iter().map(|(p, c)| (p.to_string(), *c)).collect();
        assert_eq!(paths(&c), want);
        // A bare binary name is relative to the current directory; the binary itself is
        // never its own debug file.
        let c = candidates(Path::new("prog"), None, "prog", &["".to_string()]);
        assert!(c.is_empty(), "{c:?}");
        let c = candidates(Path::new("prog"), None, "prog.debug", &["d".to_string()]);
        assert_eq!(paths(&c), [("d/prog.debug".to_string(), false)]);
    }

    #[test]
    fn setting_is_scoped_and_split_at_colons() {
        assert!(dirs().is_empty());
        let inner = with_dirs(&["a:b".to_string(), "c".to_string()], || {
            let d = dirs();
            let nested = with_dirs(&[], dirs);
            (d, nested, dirs())
        });
        assert_eq!(inner.0, ["a", "b", "c"]);
        assert!(inner.1.is_empty());
        assert_eq!(inner.2, ["a", "b", "c"]);
        assert!(dirs().is_empty());
    }
}
