//! Which files a uprobe's binary path names, for wildcard expansion and listing.
//!
//! * A path with `*`/`?` in any component matches the files it globs (only ELF
//!   files; each component's matches in name order), spelled as written up to the
//!   globbed components: `./testprogs/uprobe*` gives `./testprogs/uprobe_test`.
//! * An existing path is itself.
//! * A bare name (no `/`) that is no file of the working directory is searched in
//!   `$PATH`, then in `/etc/ld.so.cache` as a library: `libc` (or `c`) is the first
//!   entry named `libc.so*`, `libssl.so.3` that exact entry (what bpftrace does, so that
//!   `uprobe:libc:malloc*` names `/lib/x86_64-linux-gnu/libc.so.6`).

use super::glob::{has_wildcard, matches};
use super::usyms::is_elf;
use std::path::{Path, PathBuf};

/// The system's library cache.
const LD_SO_CACHE: &str = "/etc/ld.so.cache";

/// The files `path` names, each as `(spelling in probe names, file)`; empty when a
/// wildcard matches nothing or a bare name is found nowhere.
pub(crate) fn resolve(path: &str) -> Vec<(String, PathBuf)> {
    if has_wildcard(path) {
        return glob_files(path);
    }
    let p = Path::new(path);
    if p.exists() || path.contains('/') {
        return if p.is_file() {
            vec![(path.to_string(), p.to_path_buf())]
        } else {
            Vec::new()
        };
    }
    let found = search_path(path).or_else(|| {
        let cache = std::fs::read(LD_SO_CACHE).ok()?;
        find_library(&cache, path)
    });
    found
        .map(|f| vec![(f.display().to_string(), f)])
        .unwrap_or_default()
}

/// An executable file named `name` in a directory of `$PATH`.
fn search_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let var = std::env::var("PATH").unwrap_or_default();
    var.split(':').filter(|d| !d.is_empty()).find_map(|dir| {
        let f = Path::new(dir).join(name);
        let meta = std::fs::metadata(&f).ok()?;
        (meta.is_file() && meta.permissions().mode() & 0o111 != 0).then_some(f)
    })
}

/// The files a path with wildcards matches: component by component, a component
/// with wildcards matching the entries of the directories reached so far.
fn glob_files(path: &str) -> Vec<(String, PathBuf)> {
    let absolute = path.starts_with('/');
    let mut reached: Vec<String> = vec![if absolute { "/".into() } else { String::new() }];
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    for part in parts {
        let mut next = Vec::new();
        for base in &reached {
            if !has_wildcard(part) {
                next.push(format!("{base}{part}/"));
                continue;
            }
            let dir = if base.is_empty() { "." } else { base.as_str() };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| !n.starts_with('.') || part.starts_with('.'))
                .filter(|n| matches(part, n))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| format!("{base}{n}/")));
        }
        reached = next;
    }
    reached
        .into_iter()
        .filter_map(|mut shown| {
            shown.pop();
            let file = PathBuf::from(&shown);
            (file.is_file() && is_elf(&file)).then_some((shown, file))
        })
        .collect()
}

/// `ld.so.cache` entry flags: an ELF libc6 library of this machine's architecture.
#[cfg(target_arch = "x86_64")]
const CACHE_FLAGS: i32 = 0x0303;
#[cfg(target_arch = "aarch64")]
const CACHE_FLAGS: i32 = 0x0a03;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const CACHE_FLAGS: i32 = 0x0003;

/// The library `name` in an `ld.so.cache` image (the "glibc-ld.so.cache1.1" format,
/// alone or after the old format's table): `name` itself when it contains `.so`,
/// else the first entry whose name starts with `{name}.so` (`libc`) or, for a name
/// without the `lib` prefix, `lib{name}.so` (`c`).
fn find_library(cache: &[u8], name: &str) -> Option<PathBuf> {
    const MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
    let start = cache.windows(MAGIC.len()).position(|w| w == MAGIC)?;
    let u32_at = |off: usize| -> Option<u32> {
        let b = cache.get(off..off + 4)?;
        Some(u32::from_le_bytes(b.try_into().ok()?))
    };
    let nlibs = usize::try_from(u32_at(start + MAGIC.len())?).ok()?;
    // magic, nlibs, len_strings, flags + 3 padding bytes, extension offset, 3 unused.
    let entries = start + MAGIC.len() + 4 + 4 + 4 + 4 + 12;
    let prefix = if name.starts_with("lib") {
        format!("{name}.so")
    } else {
        format!("lib{name}.so")
    };
    let exact = name.contains(".so");
    let cstr = |off: u32| -> Option<&str> {
        // String offsets of the new format count from the new header.
        let from = start.checked_add(usize::try_from(off).ok()?)?;
        let rest = cache.get(from..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        std::str::from_utf8(&rest[..len]).ok()
    };
    (0..nlibs).find_map(|i| {
        let e = entries.checked_add(i.checked_mul(24)?)?;
        let flags = u32_at(e)? as i32;
        let key = cstr(u32_at(e + 4)?)?;
        let value = cstr(u32_at(e + 8)?)?;
        let wanted = if exact {
            key == name
        } else {
            key.starts_with(&prefix)
        };
        (wanted && flags == CACHE_FLAGS).then(|| PathBuf::from(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new-format cache with `(key, value)` entries of this architecture's flags
    /// (and a first entry of another architecture named like the first).
    fn cache(entries: &[(&str, &str)]) -> Vec<u8> {
        const MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
        let all: Vec<(i32, &str, &str)> = entries
            .first()
            .map(|&(k, _)| (0x0003, k, "/lib32/other-arch"))
            .into_iter()
            .chain(entries.iter().map(|&(k, v)| (CACHE_FLAGS, k, v)))
            .collect();
        let header = MAGIC.len() + 4 + 4 + 4 + 4 + 12;
        let mut strings = Vec::new();
        let mut table = Vec::new();
        let strings_at = header + 24 * all.len();
        for (flags, k, v) in &all {
            let k_off = (strings_at + strings.len()) as u32;
            strings.extend_from_slice(k.as_bytes());
            strings.push(0);
            let v_off = (strings_at + strings.len()) as u32;
            strings.extend_from_slice(v.as_bytes());
            strings.push(0);
            table.extend_from_slice(&flags.to_le_bytes());
            table.extend_from_slice(&k_off.to_le_bytes());
            table.extend_from_slice(&v_off.to_le_bytes());
            table.extend_from_slice(&[0; 12]);
        }
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(all.len() as u32).to_le_bytes());
        out.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        out.extend_from_slice(&[0; 8 + 12]);
        out.extend(table);
        out.extend(strings);
        out
    }

    #[test]
    fn library_names() {
        let c = cache(&[
            ("libcap.so.2", "/lib/libcap.so.2"),
            ("libc.so.6", "/lib/x86/libc.so.6"),
            ("libssl.so.3", "/lib/libssl.so.3"),
            ("libssl.so.59", "/lib/libssl.so.59"),
        ]);
        assert_eq!(find_library(&c, "libc"), Some("/lib/x86/libc.so.6".into()));
        assert_eq!(find_library(&c, "libcap"), Some("/lib/libcap.so.2".into()));
        assert_eq!(find_library(&c, "c"), Some("/lib/x86/libc.so.6".into()));
        assert_eq!(find_library(&c, "cap"), Some("/lib/libcap.so.2".into()));
        assert_eq!(
            find_library(&c, "libssl.so.59"),
            Some("/lib/libssl.so.59".into())
        );
        assert_eq!(find_library(&c, "libssl.so"), None);
        assert_eq!(find_library(&c, "nothing"), None);
        assert_eq!(find_library(b"not a cache", "c"), None);
        // Truncated: no panic, no match.
        assert_eq!(find_library(&c[..60], "ssl"), None);
    }

    #[test]
    fn globs_and_plain_paths() {
        let dir = std::env::temp_dir().join(format!("tracec-upath-{}", std::process::id()));
        let sub = dir.join("bin");
        std::fs::create_dir_all(&sub).unwrap();
        for n in ["prog_a", "prog_b", "other"] {
            std::fs::write(sub.join(n), b"\x7fELF rest").unwrap();
        }
        std::fs::write(sub.join("prog_script"), b"#!/bin/sh\n").unwrap();
        let d = dir.display();
        let got: Vec<String> = resolve(&format!("{d}/b*/prog_*"))
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(got, [format!("{d}/bin/prog_a"), format!("{d}/bin/prog_b")]);
        let exact = format!("{d}/bin/other");
        assert_eq!(resolve(&exact), [(exact.clone(), PathBuf::from(&exact))]);
        assert!(resolve(&format!("{d}/bin/none")).is_empty());
        assert!(resolve(&format!("{d}/bin")).is_empty(), "a directory");
        assert!(resolve(&format!("{d}/x*/prog_a")).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
