//! `kfunc_allowed(name)`: whether the running kernel lets the program calling it call
//! kfunc `name`. As bpftrace does, the kernel is asked: a two-instruction program
//! (`call` of the kfunc by its vmlinux BTF id with `BPF_PSEUDO_KFUNC_CALL`, `exit`)
//! is loaded with that program's type, and the kfunc is refused when the verifier
//! log says "calling kernel function NAME is not allowed". Any other outcome (the
//! program loads, or the verifier stops later, at the call's uninitialized
//! arguments) means the kfunc passed that check. Tracing programs also need their
//! expected attach type and a target (the probe's function, `btf_trace_` typedef or
//! `bpf_iter_` function), or the kernel refuses them before looking at the code.
//!
//! The program type comes from the libbpf section name the compiler recorded
//! (`SymbolGlobal::allowed_in`), read as libbpf and aya read it. Answers are cached
//! per (kfunc, program type, attach type, target).

use crate::sys::{bpf, Attr};
use std::collections::HashMap;
use std::os::fd::{FromRawFd, OwnedFd};
use tracec_meta::KsymKind;

const BPF_PROG_LOAD: libc::c_long = 5;

pub const PROG_TYPE_KPROBE: u32 = 2;
pub const PROG_TYPE_TRACEPOINT: u32 = 5;
pub const PROG_TYPE_PERF_EVENT: u32 = 7;
pub const PROG_TYPE_RAW_TRACEPOINT: u32 = 17;
pub const PROG_TYPE_TRACING: u32 = 26;
const TRACE_RAW_TP: u32 = 23;
const TRACE_FENTRY: u32 = 24;
const TRACE_FEXIT: u32 = 25;
const TRACE_ITER: u32 = 28;
/// `BPF_PSEUDO_KFUNC_CALL`: the call's `imm` is a kernel BTF function id.
const PSEUDO_KFUNC_CALL: u8 = 2;
/// Verifier log room: the refusal comes at the first instruction.
const LOG_SIZE: usize = 4096;

/// What a tracing program is loaded against (found in the kernel BTF by name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A `BTF_KIND_FUNC` (fentry/fexit function, `bpf_iter_<target>`).
    Func(String),
    /// A `BTF_KIND_TYPEDEF` (`btf_trace_<tracepoint>` of a `tp_btf` program).
    Typedef(String),
}

/// The program type a section loads as, with the attach type and target the kernel
/// needs for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProgKind {
    pub prog_type: u32,
    pub attach_type: u32,
    pub target: Option<Target>,
}

/// The [`ProgKind`] of a libbpf section name; `None` for a prefix tracerun never loads.
pub fn prog_kind(section: &str) -> Option<ProgKind> {
    let (prefix, rest) = section.split_once('/').unwrap_or((section, ""));
    let plain = |prog_type| ProgKind {
        prog_type,
        attach_type: 0,
        target: None,
    };
    let tracing = |attach_type, target| ProgKind {
        prog_type: PROG_TYPE_TRACING,
        attach_type,
        target: Some(target),
    };
    // A module function is written `MODULE:FUNCTION`.
    let function = || rest.rsplit(':').next().unwrap_or(rest).to_string();
    Some(match prefix {
        "kprobe" | "kretprobe" | "uprobe" | "uretprobe" | "ksyscall" | "kretsyscall" | "usdt" => {
            plain(PROG_TYPE_KPROBE)
        }
        "tp" | "tracepoint" => plain(PROG_TYPE_TRACEPOINT),
        "perf_event" => plain(PROG_TYPE_PERF_EVENT),
        "raw_tp" | "raw_tracepoint" => plain(PROG_TYPE_RAW_TRACEPOINT),
        "fentry" => tracing(TRACE_FENTRY, Target::Func(function())),
        "fexit" => tracing(TRACE_FEXIT, Target::Func(function())),
        "tp_btf" => tracing(TRACE_RAW_TP, Target::Typedef(format!("btf_trace_{rest}"))),
        "iter" => tracing(TRACE_ITER, Target::Func(format!("bpf_iter_{rest}"))),
        _ => return None,
    })
}

/// The trial program: `call kfunc_id` (as a kfunc call), `exit`.
pub fn trial_insns(kfunc_id: u32) -> [u8; 16] {
    let mut code = [0u8; 16];
    code[0] = 0x85; // BPF_JMP | BPF_CALL
    code[1] = PSEUDO_KFUNC_CALL << 4; // src_reg, dst_reg 0
    code[4..8].copy_from_slice(&kfunc_id.to_le_bytes());
    code[8] = 0x95; // BPF_JMP | BPF_EXIT
    code
}

/// Whether a verifier log refuses kfunc `name` to the program type.
pub fn refused(log: &[u8], name: &str) -> bool {
    let needle = format!("calling kernel function {name} is not allowed");
    let text = String::from_utf8_lossy(log);
    text.contains(&needle)
}

/// Load the trial program; the verifier log, whatever the outcome.
fn load_trial(kind: &ProgKind, target_id: u32, kfunc_id: u32) -> Vec<u8> {
    let insns = trial_insns(kfunc_id);
    let license = c"GPL";
    let mut log = vec![0u8; LOG_SIZE];
    let mut attr = Attr::new();
    attr.u32_at(0, kind.prog_type)
        .u32_at(4, 2)
        .u64_at(8, insns.as_ptr() as u64)
        .u64_at(16, license.as_ptr() as u64)
        .u32_at(24, 1)
        .u32_at(28, LOG_SIZE as u32)
        .u64_at(32, log.as_mut_ptr() as u64)
        .u32_at(68, kind.attach_type)
        .u32_at(108, target_id);
    if let Ok(fd) = bpf(BPF_PROG_LOAD, &mut attr) {
        // SAFETY: a descriptor the kernel just returned to us; dropping closes it.
        drop(unsafe { OwnedFd::from_raw_fd(fd as i32) });
    }
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    log.truncate(end);
    log
}

/// `kfunc_allowed` answers for one run, cached.
#[derive(Default)]
pub struct Trials {
    cache: HashMap<(String, ProgKind), u64>,
}

impl Trials {
    /// 1 when the kernel lets programs of `section`'s type call kfunc `name`, else 0
    /// (also when the kernel BTF `btf` lacks the kfunc or cannot be read).
    pub fn allowed(&mut self, btf: Option<&[u8]>, name: &str, section: &str) -> u64 {
        let (Some(btf), Some(kind)) = (btf, prog_kind(section)) else {
            return 0;
        };
        let key = (name.to_string(), kind);
        if let Some(&v) = self.cache.get(&key) {
            return v;
        }
        let v = ask_kernel(btf, name, &key.1);
        self.cache.insert(key, v);
        v
    }
}

/// The kernel's answer for kfunc `name` and program kind `kind`: 1 or 0.
fn ask_kernel(btf: &[u8], name: &str, kind: &ProgKind) -> u64 {
    let Ok(ids) = crate::ksyms::btf_ids(btf, &[(KsymKind::Func, name)]) else {
        return 0;
    };
    let Some(&kfunc_id) = ids.get(&(KsymKind::Func, name.to_string())) else {
        return 0;
    };
    let log = match &kind.target {
        None => load_trial(kind, 0, kfunc_id),
        Some(target) => {
            let log = target_id(target).map(|id| load_trial(kind, id, kfunc_id));
            match log {
                Some(log) if !log.is_empty() => log,
                // The target is not in the kernel's BTF (a module's function), or
                // the kernel refused the program before verifying it (fentry without
                // trampolines): kfuncs are granted per program type, so any tracing
                // program that reaches the verifier answers.
                _ => {
                    let fallback = fallback_kind();
                    match fallback.target.as_ref().and_then(target_id) {
                        Some(id) => load_trial(&fallback, id, kfunc_id),
                        None => Vec::new(),
                    }
                }
            }
        }
    };
    u64::from(!refused(&log, name))
}

/// The tracing program of the fallback trial: `tp_btf/sched_switch`, which every
/// kernel with tracepoints has.
fn fallback_kind() -> ProgKind {
    ProgKind {
        prog_type: PROG_TYPE_TRACING,
        attach_type: TRACE_RAW_TP,
        target: Some(Target::Typedef("btf_trace_sched_switch".into())),
    }
}

/// The kernel BTF id of a tracing program's target.
fn target_id(target: &Target) -> Option<u32> {
    use aya_obj::btf::BtfKind;
    let btf = crate::target_btf::kernel_btf().ok()?;
    let (name, kind) = match target {
        Target::Func(n) => (n.as_str(), BtfKind::Func),
        Target::Typedef(n) => (n.as_str(), BtfKind::Typedef),
    };
    btf.id_by_type_name_kind(name, kind).ok()
}

#[cfg(test)]
#[path = "kfunc_trial_tests.rs"]
mod tests;
