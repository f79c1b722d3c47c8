//! Probe providers: one file per provider (how its attach points are spelled, which
//! programs and sections they become, what context they give the script).
//!
//! [`expand`] turns one attach point as written (`tracepoint:syscalls:sys_enter_*`)
//! into the concrete probes it names. Each concrete probe becomes one BPF program.
//! A wildcard attach point yields several probes, each with its own [`Context`]
//! (tracepoints matched by one pattern need not share a record layout).
//!
//! Provider names and short names: `BEGIN`/`begin`, `END`/`end`, `tracepoint`/`t`,
//! `interval`/`i`, `profile`/`p`, `kprobe`/`k`, `kretprobe`/`kr`, `uprobe`/`u`,
//! `uretprobe`/`ur`. Tracepoint formats come from a [`TracepointSource`]; [`expand`]
//! and [`list`] use the tracefs named by [`Env`].

mod begin_end;
mod bench;
mod btf_funcs;
pub mod debugdirs;
pub mod deferred;
mod fentry;
mod fentry_bpf;
pub mod format;
pub mod glob;
mod interval;
mod iter;
mod kfuncs;
mod kmod;
mod kprobe;
pub use kprobe::is_address as is_kprobe_address;
pub mod dwarf;
mod list;
mod list_kernel;
mod list_modules;
mod list_types;
mod list_user;
pub mod offline;
mod perf;
mod proc_paths;
mod profile;
mod rawtracepoint;
mod self_probe;
pub mod table;
pub mod traceable;
pub mod tracefs;
mod tracepoint;
mod upath;
mod uprobe;
mod uprobe_check;
mod uprobe_cpp;
mod uprobe_srcline;
mod uprobe_wild;
mod usdt;
mod usyms;
mod watchpoint;

use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use std::path::PathBuf;
use tracec_meta::Attach;
use tracefs::{Tracefs, TracepointSource};

pub use list::{list_verbose_with, list_with};

/// Where probe information comes from.
#[derive(Debug, Clone)]
pub struct Env {
    /// Root of tracefs (`/sys/kernel/tracing`): tracepoint formats and lists.
    pub tracefs: PathBuf,
    /// Kernel BTF (`/sys/kernel/btf/vmlinux`), used with the embedded tracepoint table
    /// when tracefs is unreadable; `None`: tracefs only.
    pub btf: Option<PathBuf>,
    /// The process of `-p PID`: `uprobe:*:PATTERN` expands against the files it maps,
    /// and `-l` lists its uprobes and USDT probes. `None`: no process.
    pub pid: Option<u32>,
}

/// One concrete probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandedProbe {
    /// Full bpftrace-style name: `tracepoint:syscalls:sys_enter_openat`, `BEGIN`,
    /// `interval:s:1`, `profile:hz:99`. This is what the `probe` builtin prints.
    pub name: String,
    /// libbpf SEC name: `raw_tp`, `tracepoint/syscalls/sys_enter_openat`, `perf_event`.
    pub section: String,
    /// A C-identifier stem for the program symbol (`tracepoint_syscalls_sys_enter_openat`);
    /// the lowering appends a unique suffix.
    pub symbol_stem: String,
    pub attach: Attach,
    /// What `args` means in this probe.
    pub context: Context,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Context {
    /// No `args` (BEGIN, END, interval, profile).
    None,
    /// A tracepoint record; `args->f` reads `fields[f]` at its offset from ctx.
    Tracepoint { fields: Vec<TpField> },
    /// A `struct pt_regs` (kprobe, uprobe): `argN` reads the Nth argument register,
    /// `retval` the return register (`ret` probes only), `func` is `function`.
    Regs { ret: bool, function: String },
    /// An array of `u64` argument slots typed by kernel BTF (rawtracepoint,
    /// fentry/fexit): `argN` is slot N, `args.NAME` the named argument with its
    /// type, `retval` (fexit) the slot after the arguments.
    BtfArgs(BtfArgs),
    /// A BPF iterator: ctx points to `struct bpf_iter__<target>` (`ctx.task`...).
    Iter { target: String },
    /// A USDT probe (ctx is `struct pt_regs`): `argN` is read through the spec map the
    /// runtime fills. `nargs`: the most arguments of its locations, when the compiler
    /// could read the binary.
    Usdt { nargs: Option<u32> },
}

/// The arguments of a rawtracepoint or fentry/fexit probe.
#[derive(Debug, Clone, PartialEq)]
pub struct BtfArgs {
    /// In order; slot `i` of ctx holds `args[i]`.
    pub args: Vec<BtfArg>,
    /// The return value's kernel BTF type (fexit only).
    pub retval: Option<u32>,
    /// What `func` means (fentry/fexit), when the probe has one.
    pub function: Option<String>,
    /// Whether `argN` is available (rawtracepoint; fentry uses `args`).
    pub argn: bool,
}

/// One argument: its name and kernel BTF type id (in the BTF of [`Env::btf`], or
/// `/sys/kernel/btf/vmlinux`).
#[derive(Debug, Clone, PartialEq)]
pub struct BtfArg {
    pub name: String,
    pub ty: u32,
}

/// A field of a tracepoint's format (common_* fields excluded).
#[derive(Debug, Clone, PartialEq)]
pub struct TpField {
    pub name: String,
    /// Byte offset from the start of the record (= from ctx).
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    pub ty: TpType,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TpType {
    /// An integer of the field's size.
    Int { signed: bool },
    /// A pointer; `user` when it points into user memory (syscall arguments).
    /// `pointee_ptr` when it is a pointer to pointers (`const char *const *argv`).
    Ptr {
        user: bool,
        char_ptr: bool,
        pointee_ptr: bool,
    },
    /// A pointer to `struct NAME` / `union NAME` (`struct __kernel_timespec *rqtp`):
    /// `->`/`.` read its fields through kernel BTF; `user` as for [`TpType::Ptr`].
    RecordPtr {
        user: bool,
        name: String,
        union: bool,
    },
    /// `char name[N]`: an inline string.
    CharArray { len: u32 },
    /// `__data_loc char[] name`: a u32 whose low 16 bits are the string's offset from
    /// the record start and high 16 bits its length.
    DataLocString,
    /// Any other array: `elem_size` bytes per element, `len` elements.
    Array {
        elem_size: u32,
        len: u32,
        signed: bool,
    },
}

/// Expand an attach point into concrete probes, or explain why it names none.
/// Each probe is named as bpftrace prints it ([`tracec_meta::attach_name::normalize`]).
pub fn expand(ap: &AttachPoint, env: &Env) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let mut probes = expand_env(ap, &*tracepoint_source(env), env)?;
    for p in &mut probes {
        p.name = tracec_meta::attach_name::normalize(&p.name);
    }
    Ok(probes)
}

/// All probes matching `pattern` (bpftrace `-l` syntax, `*` wildcards; all if `None`),
/// one bpftrace-style name per entry, sorted.
pub fn list(pattern: Option<&str>, env: &Env) -> Result<Vec<String>, String> {
    Ok(list_verbose_opt(pattern, env, false)?
        .into_iter()
        .map(|(name, _)| name)
        .collect())
}

/// [`list`] with each probe's arguments (declarations such as `const char * filename`),
/// for `-lv`: `(name, args)` per probe.
pub fn list_verbose(
    pattern: Option<&str>,
    env: &Env,
) -> Result<Vec<(String, Vec<String>)>, String> {
    list_verbose_opt(pattern, env, true)
}

/// Tracepoints and templates ([`list_verbose_with`]) and the kernel's other providers
/// (`list_kernel`), sorted; arguments only when `verbose`.
fn list_verbose_opt(
    pattern: Option<&str>,
    env: &Env,
    verbose: bool,
) -> Result<Vec<(String, Vec<String>)>, String> {
    // `struct NAME` pieces list kernel types; the rest are probe patterns.
    let (probe_pattern, type_pieces) = match pattern {
        Some(p) => list_types::split_pattern(p),
        None => (None, Vec::new()),
    };
    let mut types = Vec::new();
    if !type_pieces.is_empty() {
        let btf = btf_funcs::for_env(env)?;
        types = list_types::entries(&btf, &type_pieces, verbose);
        if probe_pattern.is_none() {
            return Ok(types.into_iter().map(|t| (t, Vec::new())).collect());
        }
    }
    let pattern = if pattern.is_some() {
        probe_pattern.as_deref()
    } else {
        None
    };
    let pieces = list::pieces(pattern);
    let wants_tracepoints = pieces.iter().any(|p| p.wants_provider("tracepoint"));
    let mut out = if verbose {
        list_verbose_with(pattern, &*tracepoint_source(env))
    } else {
        list_with(pattern, &*tracepoint_source(env))
            .map(|v| v.into_iter().map(|n| (n, Vec::new())).collect())
    };
    // Without tracefs, the other providers are still listed when asked for.
    if out.is_err() && !wants_tracepoints {
        out = Ok(Vec::new());
    }
    let mut out = out?;
    out.extend(list_kernel::entries(&pieces, env, verbose));
    let mut user = list_user::entries_for(&pieces, env.pid);
    if verbose {
        dwarf::list_args(&mut user);
    }
    out.extend(user);
    // By name alone: one probe's arguments never differ between its sources.
    out.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.dedup_by(|a, b| a.0 == b.0);
    out.extend(types.into_iter().map(|t| (t, Vec::new())));
    Ok(out)
}

/// Where tracepoint formats come from for `env`: tracefs when its `events/`
/// directory is readable; otherwise, when `env.btf` is set, that BTF with the
/// embedded table ([`offline::BtfSource`]); otherwise tracefs, whose errors say
/// what is missing.
pub fn tracepoint_source(env: &Env) -> Box<dyn TracepointSource> {
    let root = tracefs_root(&env.tracefs, std::path::Path::new(DEBUGFS_TRACING));
    match &env.btf {
        Some(btf) if std::fs::read_dir(root.join("events")).is_err() => {
            Box::new(offline::BtfSource::new(btf))
        }
        _ => Box::new(Tracefs::new(root)),
    }
}

/// The standard tracefs mount point.
pub const DEFAULT_TRACEFS: &str = "/sys/kernel/tracing";
/// Where older systems expose tracefs (through debugfs).
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";

/// `configured`, unless it is the default mount point, has no `events/` and
/// `fallback` (the debugfs location) has.
fn tracefs_root(configured: &std::path::Path, fallback: &std::path::Path) -> PathBuf {
    if configured == std::path::Path::new(DEFAULT_TRACEFS)
        && !configured.join("events").is_dir()
        && fallback.join("events").is_dir()
    {
        fallback.to_path_buf()
    } else {
        configured.to_path_buf()
    }
}

/// [`expand`] with an explicit tracepoint source (kernel BTF from the default place).
pub fn expand_with(
    ap: &AttachPoint,
    src: &dyn TracepointSource,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let env = Env {
        tracefs: PathBuf::from(DEFAULT_TRACEFS),
        btf: None,
        pid: None,
    };
    expand_env(ap, src, &env)
}

/// [`expand`] with an explicit tracepoint source; `env.btf` names the kernel BTF
/// (`None`: `/sys/kernel/btf/vmlinux`) for the providers typed by it.
pub fn expand_env(
    ap: &AttachPoint,
    src: &dyn TracepointSource,
    env: &Env,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let first = ap.parts.first().map_or("", String::as_str);
    if let Some(begin) = begin_end::classify(first) {
        return begin_end::expand(ap, begin);
    }
    match canonical_provider(first) {
        Some(Provider::Supported(p)) => match p {
            "tracepoint" => tracepoint::expand(ap, src),
            "interval" => interval::expand(ap),
            "profile" => profile::expand(ap),
            "kprobe" => kmod::kprobe_module(ap, env).and_then(|_| kprobe::expand(ap, false)),
            "kretprobe" => kmod::kprobe_module(ap, env).and_then(|_| kprobe::expand(ap, true)),
            "uprobe" => uprobe::expand(ap, false, env.pid),
            "uretprobe" => uprobe::expand(ap, true, env.pid),
            "rawtracepoint" => rawtracepoint::expand(ap, env),
            "software" => perf::expand(ap, false),
            "hardware" => perf::expand(ap, true),
            "fentry" => fentry::expand(ap, env, false),
            "fexit" => fentry::expand(ap, env, true),
            "iter" => iter::expand(ap, env),
            "self" => self_probe::expand(ap),
            "bench" => bench::expand(ap, false),
            "test" => bench::expand(ap, true),
            "usdt" => usdt::expand_for(ap, env.pid),
            "watchpoint" | "asyncwatchpoint" => watchpoint::expand(ap, p),
            _ => Err(Diagnostic::error(
                ap.span,
                format!("probe type '{p}' is not supported yet"),
            )),
        },
        Some(Provider::Unsupported(p)) => Err(Diagnostic::error(
            ap.span,
            format!("probe type '{p}' is not supported yet"),
        )
        .with_note(supported_note())),
        None => {
            let mut d = Diagnostic::error(ap.span, format!("unknown probe type '{first}'"))
                .with_label("unknown probe type");
            let names = PROVIDERS.iter().map(|&(long, _, _)| long);
            let names = names.chain(["BEGIN", "END"]);
            if let Some(best) = glob::closest(first, names) {
                d = d.with_note(format!("did you mean '{best}'?"));
            }
            Err(d.with_note(supported_note()))
        }
    }
}

/// A provider name after resolving short names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    Supported(&'static str),
    /// A bpftrace provider tracec does not implement yet.
    Unsupported(&'static str),
}

/// (long name, short names, supported), as bpftrace spells them.
const PROVIDERS: &[(&str, &[&str], bool)] = &[
    ("tracepoint", &["t"], true),
    ("interval", &["i"], true),
    ("profile", &["p"], true),
    ("kprobe", &["k"], true),
    ("kretprobe", &["kr"], true),
    ("uprobe", &["u"], true),
    ("uretprobe", &["ur"], true),
    ("usdt", &["U"], true),
    ("fentry", &["f", "kfunc"], true),
    ("fexit", &["fr", "kretfunc"], true),
    ("rawtracepoint", &["rt"], true),
    ("software", &["s"], true),
    ("hardware", &["h"], true),
    ("watchpoint", &["w"], true),
    ("asyncwatchpoint", &["aw"], true),
    ("iter", &["it"], true),
    ("self", &[], true),
    ("test", &[], true),
    ("bench", &[], true),
];

/// Resolve a provider's long or short name.
pub(crate) fn canonical_provider(word: &str) -> Option<Provider> {
    PROVIDERS
        .iter()
        .find(|(long, short, _)| *long == word || short.contains(&word))
        .map(|&(long, _, supported)| {
            if supported {
                Provider::Supported(long)
            } else {
                Provider::Unsupported(long)
            }
        })
}

fn supported_note() -> String {
    let list: Vec<String> = PROVIDERS
        .iter()
        .filter(|p| p.2)
        .map(|(long, short, _)| format!("{long} ({})", short.join(", ")))
        .collect();
    format!("supported probe types: BEGIN, END, {}", list.join(", "))
}

/// The probe's name as the `probe` builtin prints it: the provider's long name,
/// then the rest as written (`i:ms:1` is `interval:ms:1`).
fn canonical_name(provider: &str, ap: &AttachPoint) -> String {
    let mut name = provider.to_string();
    for part in &ap.parts[1..] {
        name.push(':');
        name.push_str(part);
    }
    name
}

/// A C identifier from `provider` and the attach point's parts (`interval_s_1`).
fn symbol_stem(provider: &str, rest: &[String]) -> String {
    let mut stem = provider.to_string();
    for part in rest {
        stem.push('_');
        stem.push_str(part);
    }
    sanitize(&stem)
}

/// Replace everything that cannot appear in a C identifier with `_`.
pub fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod kmod_tests;
#[cfg(test)]
mod tests;
