//! The files a process maps, which `uprobe:*:PATTERN` expands against and
//! `-l -p PID` lists: its executable first, then every file of `/proc/PID/maps` in
//! mapping order, each once, as bpftrace collects them. A file that was deleted since
//! it was mapped is left out. When the process lives in another mount namespace, the
//! paths go through `/proc/PID/root` so that they name its files from here.
//!
//! Without a process (`uprobe:*:PATTERN` compiled without `-p`), the target is every
//! file mapped by any running process, as bpftrace expands it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The files process `pid` maps (see the module documentation), or why they could not
/// be read (no such process, no permission).
pub(crate) fn of_pid(pid: u32) -> Result<Vec<PathBuf>, String> {
    of_pid_in(Path::new("/proc"), pid)
}

/// [`of_pid`] against the proc filesystem at `proc`.
pub(crate) fn of_pid_in(proc: &Path, pid: u32) -> Result<Vec<PathBuf>, String> {
    let dir = proc.join(pid.to_string());
    let maps = std::fs::read_to_string(dir.join("maps"))
        .map_err(|e| format!("cannot read the mappings of process {pid}: {e}"))?;
    let root = fs_root(proc, pid);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut push = |p: &str| {
        if p.starts_with('/') && !p.contains("(deleted)") {
            let full = format!("{root}{p}");
            if seen.insert(full.clone()) {
                out.push(PathBuf::from(full));
            }
        }
    };
    if let Ok(exe) = std::fs::read_link(dir.join("exe")) {
        push(&exe.to_string_lossy());
    }
    for line in maps.lines() {
        if let Some(path) = mapped_file(line) {
            push(path);
        }
    }
    Ok(out)
}

/// The files mapped by any running process, sorted (processes that end or cannot be
/// read meanwhile are skipped).
pub(crate) fn of_all_processes() -> Vec<PathBuf> {
    let mut all = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if let Ok(paths) = of_pid(pid) {
            all.extend(paths);
        }
    }
    all.into_iter().collect()
}

/// The path of one `/proc/PID/maps` line (`ADDR PERMS OFFSET DEV INODE PATH`), when the
/// mapping has one (not `[heap]`, `[vdso]` or anonymous memory).
fn mapped_file(line: &str) -> Option<&str> {
    let mut rest = line;
    for _ in 0..5 {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace)?;
        rest = &rest[end..];
    }
    let path = rest.trim_start();
    path.starts_with('/').then_some(path)
}

/// `/proc/PID/root` when process `pid` is in another mount namespace than this one
/// (its paths then name files of its own tree), else the empty prefix.
fn fs_root(proc: &Path, pid: u32) -> String {
    let ns = |p: PathBuf| std::fs::read_link(p).ok();
    let own = ns(proc.join("self/ns/mnt"));
    let theirs = ns(proc.join(format!("{pid}/ns/mnt")));
    match (own, theirs) {
        (Some(a), Some(b)) if a != b => format!("{}/{pid}/root", proc.display()),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_maps_lines() {
        let l = "7fc8ee4fa000-7fc8ee4fb000 r--p 00000000 00:1f 27168296   /usr/lib/libc.so.6";
        assert_eq!(mapped_file(l), Some("/usr/lib/libc.so.6"));
        let spaced = "55d0-55d1 r-xp 00001000 08:01 42 /tmp/a b/prog (deleted)";
        assert_eq!(mapped_file(spaced), Some("/tmp/a b/prog (deleted)"));
        assert_eq!(
            mapped_file("7ffd-7ffe rw-p 00000000 00:00 0          [stack]"),
            None
        );
        assert_eq!(mapped_file("7ffd-7ffe rw-p 00000000 00:00 0"), None);
        assert_eq!(mapped_file(""), None);
    }

    #[test]
    fn own_process_maps_its_executable_first() {
        let me = std::process::id();
        let paths = of_pid(me).unwrap();
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        assert_eq!(paths.first(), Some(&exe));
        let unique: BTreeSet<_> = paths.iter().collect();
        assert_eq!(unique.len(), paths.len(), "each file once");
        assert!(paths.iter().all(|p| p.is_absolute()));
    }

    #[test]
    fn missing_process_is_an_error() {
        let dir = std::env::temp_dir().join(format!("tracec-proc-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = of_pid_in(&dir, 4_000_000).unwrap_err();
        assert!(err.contains("process 4000000"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fake_proc_tree_lists_files_once_without_deleted_ones() {
        let dir = std::env::temp_dir().join(format!("tracec-proc-fake-{}", std::process::id()));
        let pdir = dir.join("77");
        std::fs::create_dir_all(&pdir).unwrap();
        std::fs::write(
            pdir.join("maps"),
            "1-2 r--p 0 00:01 5 /bin/prog\n\
             2-3 r-xp 0 00:01 5 /bin/prog\n\
             3-4 r-xp 0 00:01 6 /lib/libc.so.6\n\
             4-5 r-xp 0 00:01 7 /lib/old.so (deleted)\n\
             5-6 rw-p 0 00:00 0 [heap]\n",
        )
        .unwrap();
        let paths = of_pid_in(&dir, 77).unwrap();
        assert_eq!(
            paths,
            [PathBuf::from("/bin/prog"), PathBuf::from("/lib/libc.so.6")]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
