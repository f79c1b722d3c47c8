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

/// The files `path` names, each as `(spelling in probe names, file)`; empty when a
/// wildcard matches nothing or a bare name is found nowhere.
pub(crate) fn resolve(path: &str) -> Vec<(String, PathBuf)> {
    if has_wildcard(path) {
        return glob_files(path);
    }
    let p = Path::new(path);
    if tracec_meta::archive::read_member(path).is_some() {
        // A binary stored in a zip archive, read by `usyms` from there.
        return vec![(path.to_string(), p.to_path_buf())];
    }
    if p.exists() || path.contains('/') {
        return if p.is_file() {
            vec![(path.to_string(), p.to_path_buf())]
        } else {
            Vec::new()
        };
    }
    let found = search_path(path).or_else(|| tracec_meta::ldcache::library(path));
    found
        .map(|f| vec![(f.display().to_string(), f)])
        .unwrap_or_default()
}

/// [`resolve`] for the binaries of process `pid` (`-p`): an absolute path without
/// wildcards that names no file here but one through `/proc/PID/root` (the process lives
/// in another mount namespace, as in a container) is that file, spelled as written, as
/// bpftrace resolves a traced process's binaries.
pub(crate) fn resolve_for(path: &str, pid: Option<u32>) -> Vec<(String, PathBuf)> {
    let found = resolve(path);
    if !found.is_empty() {
        return found;
    }
    through_process_root(path, pid)
        .map(|f| vec![(path.to_string(), PathBuf::from(f))])
        .unwrap_or_default()
}

/// `/proc/PID/root/PATH` when `path` is absolute, has no wildcards, names nothing here and
/// names a file there.
pub(crate) fn through_process_root(path: &str, pid: Option<u32>) -> Option<String> {
    through_root_in(Path::new("/proc"), path, pid?)
}

/// [`through_process_root`] against the proc filesystem at `proc`.
fn through_root_in(proc: &Path, path: &str, pid: u32) -> Option<String> {
    if !path.starts_with('/') || has_wildcard(path) || Path::new(path).exists() {
        return None;
    }
    let inside = format!("{}/{pid}/root{path}", proc.display());
    Path::new(&inside).is_file().then_some(inside)
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn paths_of_another_mount_namespace() {
        let proc = std::env::temp_dir().join(format!("tracec-upath-proc-{}", std::process::id()));
        // A path that exists only in process 42's root.
        let hidden = format!("/tracec-upath-hidden-{}/prog", std::process::id());
        let inside = proc.join(format!("42/root{hidden}"));
        std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
        std::fs::write(&inside, b"\x7fELF").unwrap();
        let want = format!("{}/42/root{hidden}", proc.display());
        assert_eq!(through_root_in(&proc, &hidden, 42), Some(want));
        assert_eq!(through_root_in(&proc, &hidden, 43), None, "another process");
        assert_eq!(through_root_in(&proc, "relative/prog", 42), None);
        assert_eq!(through_root_in(&proc, "/tracec-upath-*/prog", 42), None);
        // A path that exists here is this namespace's file.
        let here = std::env::temp_dir();
        assert_eq!(through_root_in(&proc, here.to_str().unwrap(), 42), None);
        assert!(resolve_for(&hidden, None).is_empty());
        std::fs::remove_dir_all(&proc).unwrap();
    }
}
