//! USDT probes ([`Attach::Usdt`]): find the locations of `provider:name` in the
//! target's `.note.stapsdt` notes ([`elf`]), store each location's argument specs
//! ([`args`]) in the object's spec map at a fresh index, and attach the program as a
//! uprobe at each location with that index as its BPF cookie ([`perf`]), with the
//! location's semaphore as the uprobe reference counter, so the kernel activates it
//! in every process that maps the file (or only the `-p`/`-c` process).
//!
//! The links are kept here, by program, until [`detach`] or the end of the process.

pub mod args;
pub mod elf;
pub mod perf;

use crate::load::{chain, map_fd};
use aya::programs::Program;
use aya::Ebpf;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use tracec_meta::usdt::{encode, MAX_SPECS, SPECS_SYMBOL};
use tracec_meta::{Attach, ProbeSpec};

/// The next free index of the spec map.
static NEXT_SPEC: AtomicU32 = AtomicU32::new(0);

/// One attached perf event: the program's name, the event and the link.
struct Link {
    program: String,
    _perf: OwnedFd,
    _link: OwnedFd,
}

/// Perf events this module (and [`crate::watchpoint`]) attached, by program.
static LINKS: Mutex<Vec<Link>> = Mutex::new(Vec::new());

/// Keep `perf` and its `link` to `program` until [`detach`] of that program.
pub(crate) fn keep(program: &str, perf: OwnedFd, link: OwnedFd) {
    LINKS.lock().unwrap_or_else(|p| p.into_inner()).push(Link {
        program: program.to_string(),
        _perf: perf,
        _link: link,
    });
}

/// Attach a USDT probe at every location it names; `pid`: only in that process.
pub fn attach(ebpf: &mut Ebpf, probe: &ProbeSpec, pid: Option<u32>) -> Result<(), String> {
    let Attach::Usdt {
        path,
        provider,
        name,
    } = &probe.attach
    else {
        return Err("not a usdt probe".into());
    };
    let specs = map_fd(ebpf, SPECS_SYMBOL).ok();
    let prog = ebpf
        .program_mut(&probe.program)
        .ok_or_else(|| format!("program {} is not in the object", probe.program))?;
    let Program::UProbe(u) = prog else {
        return Err(format!(
            "its program has type {:?} but a usdt probe needs a uprobe; recompile it with tracec",
            prog.prog_type()
        ));
    };
    let prog_fd = u.fd().map_err(|e| chain(&e))?.as_fd().as_raw_fd();
    let mut attached = 0;
    // Files found through processes (`usdt:*`), which may exit meanwhile: a file gone
    // with its process has nothing left to attach to.
    let through_processes = path.is_empty() || path == "*";
    let gone = |file: &Path| through_processes && !file.exists();
    for file in files(path, pid, crate::load_more::child_program())? {
        let Some(locations) = file_locations(&file, through_processes)? else {
            continue;
        };
        for loc in locations
            .iter()
            .filter(|l| (provider.is_empty() || glob(provider, &l.provider)) && glob(name, &l.name))
        {
            let what = format!("{}:{} in {}", loc.provider, loc.name, file.display());
            // Without a spec map the program reads no argument: any cookie will do.
            let cookie = match specs {
                Some(fd) => store_spec(fd, &loc.args).map_err(|e| format!("{what}: {e}"))?,
                None => 0,
            };
            let perf = match perf::open_uprobe(&file, loc.offset, loc.semaphore, pid) {
                Ok(p) => p,
                Err(_) if gone(&file) => break,
                Err(e) => return Err(format!("{what}: perf_event_open: {e}")),
            };
            let link = perf::link_perf_event(prog_fd, perf.as_raw_fd(), u64::from(cookie))
                .map_err(|e| format!("{what}: cannot attach the program: {e}"))?;
            keep(&probe.program, perf, link);
            attached += 1;
        }
    }
    if attached == 0 {
        let what = if provider.is_empty() {
            name.clone()
        } else {
            format!("{provider}:{name}")
        };
        let place = if path.is_empty() {
            "the traced process".to_string()
        } else {
            format!("'{path}'")
        };
        return Err(format!("no usdt probe matches '{what}' in {place}"));
    }
    Ok(())
}

/// Detach every perf event [`keep`] holds for `program`.
pub fn detach(program: &str) {
    LINKS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|l| l.program != program);
}

/// Parse `args` into a spec, store it at a fresh index of the spec map and return
/// the index.
fn store_spec(map: std::os::fd::RawFd, args_text: &str) -> Result<u32, String> {
    let specs = args::parse_args(args_text)?;
    let index = NEXT_SPEC.fetch_add(1, Ordering::Relaxed);
    if index >= MAX_SPECS {
        return Err(format!(
            "more than {MAX_SPECS} usdt locations in one session are not supported"
        ));
    }
    crate::sys::map_update_existing(map, &index.to_le_bytes(), &encode(&specs))
        .map_err(|e| format!("cannot store the argument specs: {e}"))?;
    Ok(index)
}

/// The files a usdt probe's path names: the path itself, the files matching a
/// wildcard in its file name, or (empty path, or a bare name with `-p`/`-c`) the
/// executable files mapped by the traced process. An empty path with `-c` is the
/// `child` program: the child maps nothing of its own before it execs.
fn files(path: &str, pid: Option<u32>, child: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let p = Path::new(path);
    let any = path.is_empty() || path == "*";
    if let (true, Some(program)) = (any, child) {
        return Ok(vec![program.to_path_buf()]);
    }
    // `usdt:*:...` without a process: every running process's files.
    if let (true, None) = (path == "*", pid) {
        return Ok(all_mapped_files());
    }
    if any || (!path.contains('/') && !p.exists()) {
        let Some(pid) = pid else {
            return Err(if path.is_empty() {
                "a usdt probe without a binary needs a process (-p PID or -c CMD)".into()
            } else {
                format!("usdt target file '{path}' does not exist")
            });
        };
        let mapped = mapped_files(pid)?;
        if any {
            return Ok(mapped);
        }
        return Ok(mapped
            .into_iter()
            .filter(|f| {
                f.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| names_library(path, n))
            })
            .take(1)
            .collect());
    }
    let file_name = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
    if !file_name.contains(['*', '?']) {
        return Ok(vec![p.to_path_buf()]);
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read directory {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| e.file_name().to_str().is_some_and(|n| glob(file_name, n)))
        .map(|e| e.path())
        .collect();
    crate::sorting::sort(&mut out);
    Ok(out)
}

/// Whether file name `file` is the library or binary `name` (`c` names `libc.so.6`).
fn names_library(name: &str, file: &str) -> bool {
    let stem = file.strip_prefix("lib").unwrap_or(file);
    [file, stem].iter().any(|f| {
        f.strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '-']))
    })
}

/// The files process `pid` maps executable, in order of first mapping, through its
/// root (so files of another mount namespace are found).
fn mapped_files(pid: u32) -> Result<Vec<PathBuf>, String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .map_err(|e| format!("cannot read the mappings of process {pid}: {e}"))?;
    let mut out: Vec<PathBuf> = Vec::new();
    for line in maps.lines() {
        let mut cols = line.split_whitespace();
        let perms = cols.nth(1).unwrap_or("");
        let Some(file) = cols.nth(3) else { continue };
        if !perms.contains('x') || !file.starts_with('/') {
            continue;
        }
        let rooted = PathBuf::from(format!("/proc/{pid}/root{file}"));
        if !out.contains(&rooted) {
            out.push(rooted);
        }
    }
    Ok(out)
}

/// The executable files mapped by any running process, each once (processes that end
/// or cannot be read meanwhile are skipped).
/// The USDT locations of `file`; `None` when it was found `through_processes` and is
/// gone (its process exited since the files were listed).
fn file_locations(
    file: &Path,
    through_processes: bool,
) -> Result<Option<Vec<elf::Location>>, String> {
    match elf::locations(file) {
        Ok(l) => Ok(Some(l)),
        Err(_) if through_processes && !file.exists() => Ok(None),
        Err(e) => Err(e),
    }
}

fn all_mapped_files() -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let mut all = Vec::new();
    let pids = std::fs::read_dir("/proc").into_iter().flatten().flatten();
    for pid in pids.filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok()) {
        for f in mapped_files(pid).unwrap_or_default() {
            // One file mapped by several processes is probed once (by inode).
            if let Ok(m) = std::fs::metadata(&f) {
                if !seen.contains(&(m.dev(), m.ino())) {
                    seen.push((m.dev(), m.ino()));
                    all.push(f);
                }
            }
        }
    }
    all
}

/// Shell-style `*` and `?` matching, as the compiler expands attach points.
pub use tracec_meta::glob::matches as glob;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_gone_with_its_process_is_skipped_only_when_found_through_processes() {
        let gone = Path::new("/proc/999999999/root/no/such/file");
        assert_eq!(file_locations(gone, true).map(|l| l.is_none()), Ok(true));
        assert!(file_locations(gone, false).is_err());
    }

    #[test]
    fn library_names() {
        assert!(names_library("c", "libc.so.6"));
        assert!(names_library("libc", "libc.so.6"));
        assert!(names_library("python3", "python3"));
        assert!(!names_library("c", "libcrypt.so.1"));
    }

    #[test]
    fn without_a_path_a_process_is_needed() {
        let e = files("", None, None).unwrap_err();
        assert!(e.contains("-p PID"), "{e}");
        assert_eq!(
            files("/bin/true", None, None).unwrap(),
            [PathBuf::from("/bin/true")]
        );
    }

    #[test]
    fn a_star_without_a_process_is_every_process() {
        // This test process maps its own executable: it is among the files, once.
        let all = files("*", None, None).unwrap();
        let exe = std::fs::canonicalize("/proc/self/exe").unwrap();
        let same: Vec<_> = all
            .iter()
            .filter(|f| std::fs::canonicalize(f).is_ok_and(|c| c == exe))
            .collect();
        assert_eq!(same.len(), 1, "{all:?}");
        // With a process, `*` is that process's files; with a child, its program.
        let me = std::process::id();
        assert_eq!(files("*", Some(me), None), files("", Some(me), None));
        let prog = Path::new("/usr/bin/prog");
        assert_eq!(files("*", None, Some(prog)).unwrap(), [prog.to_path_buf()]);
    }

    #[test]
    fn without_a_path_a_child_is_its_program() {
        let prog = Path::new("/usr/bin/prog");
        assert_eq!(
            files("", Some(1), Some(prog)).unwrap(),
            [prog.to_path_buf()]
        );
        // A named binary stays the one named.
        assert_eq!(
            files("/bin/true", Some(1), Some(prog)).unwrap(),
            [PathBuf::from("/bin/true")]
        );
    }
}
