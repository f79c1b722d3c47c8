//! Wildcard uprobes through one `uprobe_multi` link, as bpftrace attaches them on
//! kernels that have it (6.6+): a program shared by several uprobe attach points of one
//! probe (each with its BPF cookie, which `probe` and `func` read) is loaded with
//! expected attach type `BPF_TRACE_UPROBE_MULTI` ([`prog`]) and linked to every
//! location of a file with one `BPF_LINK_CREATE` (path, file offsets, cookies, pid,
//! `BPF_F_UPROBE_MULTI_RETURN` for uretprobes), one link per file.
//!
//! [`programs`] picks the programs; anything that fails before the link (no kernel
//! support, a load error) leaves the program to aya and the per-probe links.
//! The program and its links live here until [`detach`].

pub mod offsets;
pub mod prog;

use crate::object::Object;
use crate::sys::{bpf, Attr};
use aya::Ebpf;
use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, OnceLock};
use tracec_meta::{Attach, Metadata, ProbeSpec};

const BPF_LINK_CREATE: libc::c_long = 28;
/// `BPF_F_UPROBE_MULTI_RETURN`.
const MULTI_RETURN: u32 = 1;

/// Per probe name: `Ok` once linked, or why it could not be.
type Outcomes = Vec<(String, Result<(), String>)>;

/// A program loaded here, its probes' outcome once linked, and its links.
struct Entry {
    program: String,
    prog: OwnedFd,
    probes: Vec<ProbeSpec>,
    results: Option<Outcomes>,
    links: Vec<OwnedFd>,
}

/// Few programs are loaded here: a vector is smaller code than a map.
static LOADED: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn loaded() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    LOADED.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether the kernel creates `uprobe_multi` links (probed once, as libbpf does: a
/// trivial program of that attach type, linked to `/`, which is no regular file, must
/// fail with `EBADF`; a kernel without the link type says `EINVAL`).
pub fn supported() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        if std::env::var_os("TRACERUN_NO_UPROBE_MULTI").is_some() {
            return false;
        }
        let Ok(fd) = prog::trivial(prog::ATTACH_UPROBE_MULTI) else {
            return false;
        };
        let Ok(root) = CString::new("/") else {
            return false;
        };
        match link(prog::raw(&fd), &root, &[0], &[0], false, 0) {
            Ok(_) => true,
            Err(e) => e.raw_os_error() == Some(libc::EBADF),
        }
    })
}

/// The programs of `meta` to attach through `uprobe_multi` links: those shared by at
/// least two uprobe attach points (all entry or all return probes), each with a cookie.
pub fn candidates(meta: &Metadata) -> Vec<String> {
    let ret = |p: &ProbeSpec| match p.attach {
        Attach::Uprobe { ret, .. } => Some(ret),
        _ => None,
    };
    // A shared program's attach points come in one run (wildcards make thousands).
    let probes = &meta.probes;
    let mut out: Vec<String> = Vec::new();
    for run in probes.chunk_by(|a, b| a.program == b.program) {
        let kind = ret(&run[0]);
        let program = &run[0].program;
        if run.len() >= 2
            && kind.is_some()
            && run.iter().all(|p| p.cookie.is_some() && ret(p) == kind)
            && probes.iter().filter(|p| p.program == *program).count() == run.len()
        {
            out.push(program.clone());
        }
    }
    out
}

/// The programs of `meta` to load here: [`candidates`], when the kernel supports it.
pub fn programs(meta: &Metadata) -> Vec<String> {
    let c = candidates(meta);
    if c.is_empty() || !supported() {
        return Vec::new();
    }
    c
}

/// Load `program` for `uprobe_multi`; `Err` leaves it to aya.
pub fn load(ebpf: &Ebpf, obj: &Object, program: &str) -> Result<(), String> {
    let fd = prog::load(ebpf, obj, program)?;
    let probes = obj
        .meta
        .probes
        .iter()
        .filter(|p| p.program == program)
        .cloned()
        .collect();
    loaded().push(Entry {
        program: program.to_string(),
        prog: fd,
        probes,
        results: None,
        links: Vec::new(),
    });
    Ok(())
}

/// Whether `program` was loaded here.
pub fn is_loaded(program: &str) -> bool {
    loaded().iter().any(|e| e.program == program)
}

/// Attach `probe`, a probe of a program loaded here: the first one links every probe
/// of the program (one link per file, limited to process `pid` if not 0); each then
/// reports its own outcome. `None`: not a program of this module.
pub fn attach(probe: &ProbeSpec, pid: u32) -> Option<Result<(), String>> {
    let mut all = loaded();
    let entry = all.iter_mut().find(|e| e.program == probe.program)?;
    if entry.results.is_none() {
        let (results, links) = link_all(prog::raw(&entry.prog), &entry.probes, pid);
        entry.results = Some(results);
        entry.links = links;
    }
    let results = entry.results.as_ref()?;
    Some(
        results
            .iter()
            .find(|(name, _)| *name == probe.name)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| Err(format!("{} is not a probe of its program", probe.name))),
    )
}

/// Detach and unload `program` if it was loaded here; whether it was.
pub fn detach(program: &str) -> bool {
    let mut all = loaded();
    let before = all.len();
    all.retain(|e| e.program != program);
    all.len() != before
}

/// One location to link: the probe's name, the file, its offset there and cookie.
struct Target<'a> {
    name: &'a str,
    file: String,
    offset: u64,
    cookie: u64,
    ret: bool,
}

fn link_all(prog_fd: RawFd, probes: &[ProbeSpec], pid: u32) -> (Outcomes, Vec<OwnedFd>) {
    let mut results = Outcomes::new();
    // Per file and kind (entry or return): its targets.
    let mut by_file: Vec<Vec<Target<'_>>> = Vec::new();
    for p in probes {
        match target(p) {
            Ok(t) => match by_file
                .iter_mut()
                .find(|g| g[0].file == t.file && g[0].ret == t.ret)
            {
                Some(g) => g.push(t),
                None => by_file.push(vec![t]),
            },
            Err(e) => results.push((p.name.clone(), Err(e))),
        }
    }
    let mut links = Vec::new();
    for targets in by_file {
        let (file, ret) = (&targets[0].file, targets[0].ret);
        let offsets: Vec<u64> = targets.iter().map(|t| t.offset).collect();
        let cookies: Vec<u64> = targets.iter().map(|t| t.cookie).collect();
        let outcome = CString::new(file.as_str())
            .map_err(|_| format!("{file}: the path contains a NUL byte"))
            .and_then(|path| {
                link(prog_fd, &path, &offsets, &cookies, ret, pid)
                    .map_err(|e| format!("uprobe_multi link on {file}: {e}"))
            });
        let ok = outcome.map(|fd| links.push(fd));
        for t in &targets {
            results.push((t.name.to_string(), ok.clone()));
        }
    }
    (results, links)
}

fn target(p: &ProbeSpec) -> Result<Target<'_>, String> {
    let Attach::Uprobe {
        path,
        symbol,
        offset,
        ret,
    } = &p.attach
    else {
        return Err(format!("{} is not a uprobe", p.name));
    };
    // A member of a zip archive: the archive file at the member's offset.
    let (file, at) = match crate::uprobe_archive::locate(path, symbol, *offset) {
        Some(found) => found.map(|(a, at)| (a.to_string_lossy().into_owned(), at))?,
        None => {
            let file = offsets::resolve_path(path);
            let at = offsets::file_offset(&file, symbol, *offset)?;
            (file, at)
        }
    };
    Ok(Target {
        name: &p.name,
        file,
        offset: at,
        cookie: p.cookie.unwrap_or(0),
        ret: *ret,
    })
}

/// `BPF_LINK_CREATE` of a `uprobe_multi` link: `prog_fd` at the file offsets
/// `offsets` of `path` with `cookies`, return probes if `ret`, in process `pid` only
/// (0: every process).
pub fn link(
    prog_fd: RawFd,
    path: &CString,
    offsets: &[u64],
    cookies: &[u64],
    ret: bool,
    pid: u32,
) -> io::Result<OwnedFd> {
    let mut attr = Attr::new();
    attr.u32_at(0, prog_fd as u32)
        .u32_at(8, prog::ATTACH_UPROBE_MULTI)
        .u64_at(16, path.as_ptr() as u64)
        .u64_at(24, offsets.as_ptr() as u64)
        .u64_at(40, cookies.as_ptr() as u64)
        .u32_at(48, offsets.len().min(cookies.len()) as u32)
        .u32_at(52, if ret { MULTI_RETURN } else { 0 })
        .u32_at(56, pid);
    let fd = bpf(BPF_LINK_CREATE, &mut attr)?;
    // SAFETY: a descriptor the kernel just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

#[cfg(test)]
mod tests;
