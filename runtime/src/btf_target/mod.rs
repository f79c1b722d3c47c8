//! Tracing programs whose attach target is not in the kernel's own BTF, which aya
//! 0.14 cannot load: `fentry`/`fexit` on a kernel module's function and
//! `rawtracepoint` on a module's tracepoint (loaded with `attach_btf_obj_fd`, the
//! module's BTF object, and the target's id in the module's split BTF), and
//! `fentry:bpf:...` on running BPF programs (`attach_prog_fd`, the target's
//! descriptor, and its function's id in the target's BTF; one load per matching
//! function of every matching program). Loads go through
//! [`crate::uprobe_multi::prog::load_as`] (relocated like aya's), links through
//! `BPF_RAW_TRACEPOINT_OPEN`, except for `fentry:bpf` targets: each is named
//! `fentry:bpf:ID:FUNC` here ([`run_time_names`], indices after the object's attach
//! names) and linked with `BPF_LINK_CREATE` carrying that index as its cookie, which
//! the program's `probe` and `func` read. Programs and links live here until [`detach`].

#[cfg(test)]
mod tests;

use crate::object::Object;
use crate::sys::{bpf, Attr};
use crate::uprobe_multi::prog::{load_as, AttachTarget, How, LoadError};
use crate::Error;
use aya::Ebpf;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;
use tracec_meta::bpf_objects as kobj;
use tracec_meta::btf_names as names;
use tracec_meta::{Attach, AttachName, ProbeSpec};

/// `BPF_PROG_TYPE_TRACING`.
const PROG_TYPE_TRACING: u32 = 26;
/// `BPF_TRACE_RAW_TP`, `BPF_TRACE_FENTRY`, `BPF_TRACE_FEXIT`.
const TRACE_RAW_TP: u32 = 23;
const TRACE_FENTRY: u32 = 24;
const TRACE_FEXIT: u32 = 25;
const RAW_TRACEPOINT_OPEN: libc::c_long = 17;
const LINK_CREATE: libc::c_long = 28;

/// Where kernel BTF files are.
const SYSFS_BTF: &str = "/sys/kernel/btf";

/// The programs of one probe loaded here, and their links once attached.
struct Entry {
    program: String,
    probe: String,
    progs: Vec<OwnedFd>,
    /// Per program: the cookie its link carries (`fentry:bpf` targets), and the
    /// attach type for `BPF_LINK_CREATE`.
    cookies: Vec<Option<(u64, u32)>>,
    links: Vec<OwnedFd>,
}

static LOADED: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// The attach names of `fentry:bpf` targets found at run time, in the order of
/// their indices (the first is the object's `attach_names.len()`).
static RUN_TIME_NAMES: Mutex<Vec<AttachName>> = Mutex::new(Vec::new());

/// The names [`load`] gave `fentry:bpf` targets, to append to the object's attach
/// names: what `probe` and `func` print for them.
pub fn run_time_names() -> Vec<AttachName> {
    RUN_TIME_NAMES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// The cookie of a new run-time name: its index after the object's `base` names.
fn name_cookie(base: usize, name: AttachName) -> u64 {
    let mut names = RUN_TIME_NAMES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = names.iter().position(|n| *n == name) {
        return (base + i) as u64;
    }
    names.push(name);
    (base + names.len() - 1) as u64
}

fn loaded() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    LOADED.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether `attach` is loaded here.
pub fn handles(attach: &Attach) -> bool {
    match attach {
        Attach::Fentry { module, .. } | Attach::RawTracepoint { module, .. } => !module.is_empty(),
        Attach::FentryBpf { .. } => true,
        _ => false,
    }
}

/// One target: what to call it in messages, and the load's attach target.
struct Target {
    what: String,
    btf_id: u32,
    fd: OwnedFd,
    /// For a running BPF program's function: `probe` and `func` of this target.
    name: Option<AttachName>,
}

/// The attach type and targets of `attach` on this host.
fn targets(attach: &Attach) -> Result<(u32, Vec<Target>), String> {
    match attach {
        Attach::Fentry {
            function,
            ret,
            module,
        } => {
            let kind = if *ret { TRACE_FEXIT } else { TRACE_FENTRY };
            let t = module_target(module, function, names::KIND_FUNC)?;
            Ok((kind, vec![t]))
        }
        Attach::RawTracepoint { name, module } => {
            let typedef = format!("btf_trace_{name}");
            let t = module_target(module, &typedef, names::KIND_TYPEDEF)?;
            Ok((TRACE_RAW_TP, vec![t]))
        }
        Attach::FentryBpf { id, pattern, ret } => {
            let kind = if *ret { TRACE_FEXIT } else { TRACE_FENTRY };
            let provider = if *ret { "fexit" } else { "fentry" };
            Ok((kind, bpf_targets(provider, *id, pattern)?))
        }
        _ => Err("not a targeted tracing program".into()),
    }
}

/// `name` (of BTF kind `kind`) in module `module`'s BTF.
fn module_target(module: &str, name: &str, kind: u32) -> Result<Target, String> {
    let fd = kobj::module_btf(module)
        .ok_or_else(|| format!("kernel module {module} is not loaded (it has no BTF object)"))?;
    let dir = std::path::Path::new(SYSFS_BTF);
    let read =
        |f: &str| std::fs::read(dir.join(f)).map_err(|e| format!("{}/{f}: {e}", dir.display()));
    let (base, split) = (read("vmlinux")?, read(module)?);
    let btf_id = split_id(&base, &split, module, name, kind)?;
    Ok(Target {
        what: format!("{module}:{name}"),
        btf_id,
        fd,
        name: None,
    })
}

/// The id of `name` (of BTF kind `kind`) in `split`, module `module`'s BTF on
/// top of the kernel's `base`.
fn split_id(base: &[u8], split: &[u8], module: &str, name: &str, kind: u32) -> Result<u32, String> {
    let base = names::Blob::parse(base).map_err(|e| format!("vmlinux BTF: {e}"))?;
    let split = names::Blob::parse(split).map_err(|e| format!("BTF of {module}: {e}"))?;
    split
        .find(name, kind, Some(&base))
        .ok_or_else(|| format!("the BTF of module {module} has no {name}"))
}

type CoreCache = Mutex<Vec<(String, &'static aya::Btf)>>;

/// The kernel's BTF with module `module`'s, for CO-RE relocations against the
/// module's types: parsed once per module and kept for the life of the process.
fn module_core(module: &str) -> Result<&'static aya::Btf, String> {
    static CACHE: CoreCache = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, b)) = cache.iter().find(|(m, _)| m == module) {
        return Ok(b);
    }
    let dir = std::path::Path::new(SYSFS_BTF);
    let read =
        |f: &str| std::fs::read(dir.join(f)).map_err(|e| format!("{}/{f}: {e}", dir.display()));
    let (base, split) = (read("vmlinux")?, read(module)?);
    let base = names::Blob::parse(&base).map_err(|e| format!("vmlinux BTF: {e}"))?;
    let split = names::Blob::parse(&split).map_err(|e| format!("BTF of {module}: {e}"))?;
    let merged = names::merge(&base, &split);
    let btf = aya::Btf::parse(&merged, aya::Endianness::default())
        .map_err(|e| format!("BTF of {module}: {}", crate::load::chain(&e)))?;
    let btf: &'static aya::Btf = Box::leak(Box::new(btf));
    cache.push((module.to_string(), btf));
    Ok(btf)
}

/// Every function matching `pattern` of program `id` (0: of every program), named as
/// bpftrace names the probes it expands to: `PROVIDER:bpf:ID:FUNC`.
fn bpf_targets(provider: &str, id: u32, pattern: &str) -> Result<Vec<Target>, String> {
    let progs = match id {
        0 => kobj::progs(),
        n => vec![kobj::prog(n).ok_or_else(|| {
            format!("there is no running BPF program with id {n} and BTF func info")
        })?],
    };
    let mut out = Vec::new();
    for p in &progs {
        for (btf_id, name) in &p.funcs {
            if !tracec_meta::glob::matches(pattern, name) {
                continue;
            }
            let fd =
                p.fd.try_clone()
                    .map_err(|e| format!("program {}: {e}", p.id))?;
            out.push(Target {
                what: format!("bpf:{}:{name}", p.id),
                btf_id: *btf_id,
                fd,
                name: Some(bpf_target_name(provider, p.id, name)),
            });
        }
    }
    if out.is_empty() {
        return Err(match id {
            0 => format!("no running BPF program or subprogram matches {pattern}"),
            n => format!("program {n} has no function matching {pattern}"),
        });
    }
    Ok(out)
}

/// Load `probe`'s program for each of its targets, if it is one of ours
/// ([`handles`]); `None` otherwise.
pub fn load(ebpf: &Ebpf, obj: &Object, probe: &ProbeSpec) -> Option<Result<(), Error>> {
    if !handles(&probe.attach) {
        return None;
    }
    let fail = |m: String| Error::new(format!("{}: {m}", probe.name));
    Some((|| {
        let (attach_type, targets) = targets(&probe.attach).map_err(fail)?;
        let core = match &probe.attach {
            Attach::Fentry { module, .. } | Attach::RawTracepoint { module, .. }
                if crate::target_btf::needed(&obj.meta, &obj.bytes) =>
            {
                Some(module_core(module).map_err(fail)?)
            }
            _ => None,
        };
        let mut progs = Vec::new();
        let mut cookies = Vec::new();
        for t in &targets {
            let how = How {
                prog_type: Some(PROG_TYPE_TRACING),
                attach_type,
                log: None,
                target: Some(AttachTarget {
                    btf_id: t.btf_id,
                    fd: t.fd.as_raw_fd(),
                }),
                core,
            };
            match load_as(ebpf, obj, &probe.program, how) {
                Ok(Some(fd)) => {
                    progs.push(fd);
                    let base = obj.meta.attach_names.len();
                    cookies.push(t.name.clone().map(|n| (name_cookie(base, n), attach_type)));
                }
                Ok(None) => return Err(fail("no program type".into())),
                Err(LoadError::Prepare(e)) => return Err(fail(e)),
                Err(LoadError::Kernel(e)) => {
                    return Err(fail(format!(
                        "the kernel rejected program {} on {}: {e}",
                        probe.program, t.what
                    )))
                }
            }
        }
        loaded().push(Entry {
            program: probe.program.clone(),
            probe: probe.name.clone(),
            progs,
            cookies,
            links: Vec::new(),
        });
        Ok(())
    })())
}

/// Attach `probe` if its programs were loaded here; `None` otherwise.
pub fn attach(probe: &ProbeSpec) -> Option<Result<(), String>> {
    let mut all = loaded();
    let e = all
        .iter_mut()
        .find(|e| e.program == probe.program && e.probe == probe.name)?;
    if !e.links.is_empty() {
        return Some(Ok(()));
    }
    for (p, cookie) in e.progs.iter().zip(&e.cookies) {
        let link = match cookie {
            Some((cookie, attach_type)) => link_with_cookie(p.as_raw_fd(), *attach_type, *cookie)
                .map_err(|err| format!("BPF_LINK_CREATE: {err}")),
            None => open(p.as_raw_fd()).map_err(|err| format!("BPF_RAW_TRACEPOINT_OPEN: {err}")),
        };
        match link {
            Ok(l) => e.links.push(l),
            Err(err) => return Some(Err(err)),
        }
    }
    Some(Ok(()))
}

/// Detach and unload `program` if it was loaded here; whether it was.
pub fn detach(program: &str) -> bool {
    let mut all = loaded();
    let before = all.len();
    all.retain(|e| e.program != program);
    all.len() != before
}

/// `PROVIDER:bpf:ID:FUNC`, what `probe` prints for function `func` of program `id`,
/// and `func`.
fn bpf_target_name(provider: &str, id: u32, func: &str) -> AttachName {
    AttachName {
        probe: format!("{provider}:bpf:{id}:{func}"),
        func: func.to_string(),
    }
}

/// Link a tracing program to the target it was loaded for, with `cookie` for
/// `bpf_get_attach_cookie` (`link_create.tracing`: the target's BTF id 0 keeps the
/// load's target; the cookie is at offset 24).
fn link_with_cookie(prog: RawFd, attach_type: u32, cookie: u64) -> std::io::Result<OwnedFd> {
    let mut attr = Attr::new();
    attr.u32_at(0, prog as u32)
        .u32_at(8, attach_type)
        .u64_at(24, cookie);
    let fd = bpf(LINK_CREATE, &mut attr)?;
    // SAFETY: a descriptor the kernel just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Link a tracing program to the target it was loaded for.
fn open(prog: RawFd) -> std::io::Result<OwnedFd> {
    let mut attr = Attr::new();
    attr.u64_at(0, 0).u32_at(8, prog as u32);
    let fd = bpf(RAW_TRACEPOINT_OPEN, &mut attr)?;
    // SAFETY: a descriptor the kernel just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}
