//! The `-l` entries of the providers that come from the kernel's BTF and ftrace rather
//! than from tracefs events: software and hardware counters (every name and alias,
//! `software:cpu-clock:`), iterators this kernel has (`iter:task`), raw tracepoints
//! (`rawtracepoint:vmlinux:sched_switch`, from the BTF typedefs `btf_trace_*`), and,
//! kprobes and kretprobes on the traceable functions (`available_filter_functions` when
//! readable, else the text symbols of `/proc/kallsyms`, the list kprobe wildcards expand
//! against), and fentry/fexit on those of them that have a BTF `FUNC`. With `-v`, raw
//! tracepoints, kprobes and fentry/fexit functions list their arguments as C
//! declarations (kprobes when the function has BTF).

use std::path::Path;

use super::btf_funcs::{self, RAWTP_PREFIX};
use super::kfuncs::KernelFunctions;
use super::list::Piece;
use super::{iter, perf, Env};
use crate::kbtf::{Btf, Kind};

/// The name ftrace gives functions it cannot resolve; bpftrace never lists it.
/// One listed probe and, for `-v`, its arguments.
pub(super) type Entry = (String, Vec<String>);

/// Every entry of these providers selected by `pieces`.
pub(super) fn entries(pieces: &[Piece<'_>], env: &Env, verbose: bool) -> Vec<Entry> {
    let mut out = Vec::new();
    let wants =
        |provider: &str, parts: &[&str]| pieces.iter().any(|p| p.matches_entry(provider, parts));
    for (provider, hardware) in [("software", false), ("hardware", true)] {
        for name in perf::names(hardware) {
            if wants(provider, &[name]) {
                out.push((format!("{provider}:{name}:"), Vec::new()));
            }
        }
    }
    let btf = btf_funcs::for_env(env).ok();
    if let Some(btf) = &btf {
        for target in iter::TARGETS {
            if wants("iter", &[target]) && btf.find_struct(&format!("bpf_iter__{target}")).is_some()
            {
                out.push((format!("iter:{target}"), Vec::new()));
            }
        }
        for name in btf_funcs::names_with_prefix(btf, Kind::Typedef, RAWTP_PREFIX) {
            if wants("rawtracepoint", &["vmlinux", &name]) {
                let args = if verbose {
                    btf_funcs::rawtp_proto(btf, &name)
                        .map(|proto| arg_decls(btf, proto, 1))
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                out.push((format!("rawtracepoint:vmlinux:{name}"), args));
            }
        }
    }
    let from_ftrace = traceable_functions(&env.tracefs);
    let mut functions: Vec<(Option<&str>, &str)> = from_ftrace.iter().collect();
    let host = env.tracefs == std::path::Path::new(super::DEFAULT_TRACEFS);
    if functions.is_empty() && host && wants_functions(pieces) {
        // This host's tracefs without a readable function list: as kprobe wildcards
        // expand, the text symbols of /proc/kallsyms. (Another tracefs, such as a
        // copy of a remote machine's, describes that machine, not this one.)
        if let Ok(all) = super::kfuncs::cached() {
            functions = all.iter().collect();
        }
    }
    functions.sort_unstable();
    functions.dedup();
    for (module, name) in functions {
        function_entries(&mut out, pieces, btf.as_deref(), module, name, verbose);
    }
    out.extend(super::list_modules::entries(pieces, env, verbose));
    out
}

/// The kprobe, kretprobe, fentry and fexit entries of one kernel function.
fn function_entries(
    out: &mut Vec<Entry>,
    pieces: &[Piece<'_>],
    btf: Option<&Btf>,
    module: Option<&str>,
    name: &str,
    verbose: bool,
) {
    let wants =
        |provider: &str, parts: &[&str]| pieces.iter().any(|p| p.matches_entry(provider, parts));
    let parts_kprobe: &[&str] = match module {
        Some(m) => &[m, name],
        None => &[name],
    };
    // The BTF prototype, looked up at most once (only vmlinux functions have one here).
    let mut proto_cache: Option<Option<u32>> = None;
    let mut proto =
        |btf: &Btf| *proto_cache.get_or_insert_with(|| btf_funcs::func_proto(btf, name));
    for provider in ["kprobe", "kretprobe"] {
        if wants(provider, parts_kprobe) {
            let args = match (btf, module) {
                (Some(btf), None) if verbose && provider == "kprobe" => {
                    proto(btf).map(|p| arg_decls(btf, p, 0)).unwrap_or_default()
                }
                _ => Vec::new(),
            };
            let entry = match module {
                Some(m) => format!("{provider}:{m}:{name}"),
                None => format!("{provider}:{name}"),
            };
            out.push((entry, args));
        }
    }
    let (Some(btf), None) = (btf, module) else {
        return;
    };
    for provider in ["fentry", "fexit"] {
        if wants(provider, &["vmlinux", name]) {
            let Some(p) = proto(btf) else {
                return;
            };
            let args = if verbose {
                arg_decls(btf, p, 0)
            } else {
                Vec::new()
            };
            out.push((format!("{provider}:vmlinux:{name}"), args));
        }
    }
}

/// Whether any piece can select a kprobe, kretprobe, fentry or fexit entry (reading
/// the kernel's symbols is skipped otherwise).
fn wants_functions(pieces: &[Piece<'_>]) -> bool {
    pieces.iter().any(|p| {
        ["kprobe", "kretprobe", "fentry", "fexit"]
            .iter()
            .any(|provider| p.may_select(provider))
    })
}

/// The parameters of FUNC_PROTO `proto` (the first `skip` dropped) as declarations.
fn arg_decls(btf: &Btf, proto: u32, skip: usize) -> Vec<String> {
    btf_funcs::proto_args(btf, proto, skip)
        .map(|(args, _)| {
            args.iter()
                .map(|a| btf.declaration(a.ty, &a.name))
                .collect()
        })
        .unwrap_or_default()
}

/// The functions of `available_filter_functions` (`name` or `name [module]`), without
/// ftrace's placeholder; empty when the file cannot be read (no dynamic ftrace, or
/// access denied), as then nothing can be attached by function name either.
fn traceable_functions(tracefs: &Path) -> KernelFunctions {
    std::fs::File::open(tracefs.join("available_filter_functions"))
        .and_then(|f| KernelFunctions::parse(f, false))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::list::pieces;
    use super::*;

    #[test]
    fn entries_match_like_bpftrace_patterns() {
        let m = |pat: &str, provider: &str, parts: &[&str]| {
            pieces(Some(pat))
                .iter()
                .any(|p| p.matches_entry(provider, parts))
        };
        assert!(m("software:*", "software", &["cpu"]));
        assert!(m("*ware:*", "hardware", &["cycles"]));
        assert!(m("s:cpu:1000", "software", &["cpu"]), "a count is ignored");
        assert!(!m("software:*", "hardware", &["cycles"]));
        assert!(m("fentry:vfs_*", "fentry", &["vmlinux", "vfs_read"]));
        assert!(m(
            "rt:vmlinux:sched_*",
            "rawtracepoint",
            &["vmlinux", "sched_switch"]
        ));
        assert!(!m(
            "rt:mod:sched_*",
            "rawtracepoint",
            &["vmlinux", "sched_switch"]
        ));
        assert!(m("*do_nanosleep*", "kprobe", &["do_nanosleep"]));
        assert!(
            m("kprobe*", "kprobe", &["vfs_read"]),
            "a bare pattern matches the whole name"
        );
        assert!(!m("kprobe*", "iter", &["task"]));
    }

    #[test]
    fn software_and_hardware_list_every_name() {
        let all = pieces(Some("software:*,hardware:cpu-cycles"));
        let env = Env {
            tracefs: "/nonexistent".into(),
            btf: Some("/nonexistent".into()),
            pid: None,
        };
        let names: Vec<String> = entries(&all, &env, false)
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert!(names.contains(&"software:cpu:".to_string()));
        assert!(names.contains(&"software:cpu-clock:".to_string()));
        assert!(names.contains(&"hardware:cpu-cycles:".to_string()));
        assert!(!names.iter().any(|n| n.starts_with("hardware:cycles")));
        assert!(
            !names.iter().any(|n| n.starts_with("iter:")),
            "no BTF, no iterators"
        );
    }
}
