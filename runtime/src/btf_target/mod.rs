//! Tracing programs whose attach target is not in the kernel's own BTF, which aya
//! 0.14 cannot load: `fentry`/`fexit` on a kernel module's function and
//! `rawtracepoint` on a module's tracepoint (loaded with `attach_btf_obj_fd`, the
//! module's BTF object, and the target's id in the module's split BTF), and
//! `fentry:bpf:...` on running BPF programs (`attach_prog_fd`, the target's
//! descriptor, and its function's id in the target's BTF; one load per matching
//! function of every matching program). Loads go through
//! [`crate::uprobe_multi::prog::load_as`] (relocated like aya's), links through
//! `BPF_RAW_TRACEPOINT_OPEN`. Programs and links live here until [`detach`].

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
use tracec_meta::{Attach, ProbeSpec};

/// `BPF_PROG_TYPE_TRACING`.
const PROG_TYPE_TRACING: u32 = 26;
/// `BPF_TRACE_RAW_TP`, `BPF_TRACE_FENTRY`, `BPF_TRACE_FEXIT`.
const TRACE_RAW_TP: u32 = 23;
const TRACE_FENTRY: u32 = 24;
const TRACE_FEXIT: u32 = 25;
const RAW_TRACEPOINT_OPEN: libc::c_long = 17;

/// Where kernel BTF files are.
const SYSFS_BTF: &str = "/sys/kernel/btf";

/// The programs of one probe loaded here, and their links once attached.
struct Entry {
    program: String,
    probe: String,
    progs: Vec<OwnedFd>,
    links: Vec<OwnedFd>,
}

static LOADED: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

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
            Ok((kind, bpf_targets(*id, pattern)?))
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

/// Every function matching `pattern` of program `id` (0: of every program).
fn bpf_targets(id: u32, pattern: &str) -> Result<Vec<Target>, String> {
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
                Ok(Some(fd)) => progs.push(fd),
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
    for p in &e.progs {
        match open(p.as_raw_fd()) {
            Ok(l) => e.links.push(l),
            Err(err) => return Some(Err(format!("BPF_RAW_TRACEPOINT_OPEN: {err}"))),
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

/// Link a tracing program to the target it was loaded for.
fn open(prog: RawFd) -> std::io::Result<OwnedFd> {
    let mut attr = Attr::new();
    attr.u64_at(0, 0).u32_at(8, prog as u32);
    let fd = bpf(RAW_TRACEPOINT_OPEN, &mut attr)?;
    // SAFETY: a descriptor the kernel just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}
