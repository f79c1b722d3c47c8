//! Loading the object with aya, and attaching programs: one provider per [`Attach`] kind.
//!
//! To add a probe kind: add the variant to `tracec_meta::Attach`, a `attach_*` function
//! here, and its arm in [`attach`]. Links are owned by aya's program objects and are
//! detached when the [`Ebpf`] is dropped.

use crate::object::Object;
use crate::params::GlobalValue;
use crate::Error;
use aya::maps::{Map, MapData};
use aya::programs::perf_event::{PerfEventConfig, PerfEventScope, SamplePolicy, SoftwareEvent};
use aya::programs::uprobe::{UProbeAttachLocation, UProbeScope};
use aya::programs::{PerfEvent, Program, ProgramError};
use aya::Ebpf;
use std::collections::HashSet;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use tracec_meta::{Attach, ProbeSpec, GLOBAL_CPID, GLOBAL_NCPUS, GLOBAL_START_NS};

/// Parse the object and create its maps, with `tracec_start_ns` set to `start_ns` and
/// the script's parameters set in `.rodata`; no program is loaded yet. The kernel BTF
/// is read only if the object needs it ([`crate::target_btf`]).
pub fn open(obj: &Object, start_ns: u64, cpid: u64, params: &[GlobalValue]) -> Result<Ebpf, Error> {
    let mut loader = crate::target_btf::loader(&obj.meta, &obj.bytes)
        .map_err(|e| Error::new(format!("{}: {e}", obj.path.display())))?;
    loader.override_global(GLOBAL_START_NS, &start_ns, false);
    // `ncpus`: 0 only if the possible CPUs cannot be read.
    let ncpus = crate::sys::possible_cpus().map_or(0, |n| n as u64);
    loader.override_global(GLOBAL_NCPUS, &ncpus, false);
    loader.override_global(GLOBAL_CPID, &cpid, false);
    let (ns_dev, ns_ino) = crate::pidns::current();
    loader.override_global(tracec_meta::GLOBAL_PIDNS_DEV, &ns_dev, false);
    loader.override_global(tracec_meta::GLOBAL_PIDNS_INO, &ns_ino, false);
    let ns_child = u64::from(crate::pidns::is_child(ns_ino));
    loader.override_global(tracec_meta::GLOBAL_PIDNS_CHILD, &ns_child, false);
    let symbols = crate::symaddr::resolve(&obj.meta, params)?;
    for (symbol, addr) in &symbols {
        loader.override_global(symbol.as_str(), addr, false);
    }
    for p in params {
        loader.override_global(p.symbol.as_str(), p.bytes.as_slice(), true);
    }
    let patched = crate::ksyms::resolve(&obj.bytes, &obj.meta.ksyms)
        .map_err(|e| Error::new(format!("{}: {e}", obj.path.display())))?;
    loader
        .load(patched.as_deref().unwrap_or(&obj.bytes))
        .map_err(|e| {
            Error::new(format!(
                "{}: cannot load: {}",
                obj.path.display(),
                chain(&e)
            ))
        })
}

/// Create maps and load every program named by the metadata (each once).
pub fn load(obj: &Object, start_ns: u64, cpid: u64, params: &[GlobalValue]) -> Result<Ebpf, Error> {
    let mut ebpf = open(obj, start_ns, cpid, params)?;
    let mut loaded = HashSet::new();
    let multi = crate::uprobe_multi::programs(&obj.meta);
    for probe in &obj.meta.probes {
        if !loaded.insert(probe.program.as_str()) {
            continue;
        }
        crate::verbose_load::check(&ebpf, obj, probe, loaded.len())?;
        // Module functions and tracepoints, BPF programs: attach targets aya lacks.
        if let Some(r) = crate::btf_target::load(&ebpf, obj, probe) {
            r?;
            continue;
        }
        // A wildcard uprobe's program, for one uprobe_multi link; aya's otherwise.
        if multi.contains(&probe.program)
            && crate::uprobe_multi::load(&ebpf, obj, &probe.program).is_ok()
        {
            continue;
        }
        load_program(&mut ebpf, probe)?.map_err(|e| {
            let detail = chain(&e);
            Error::new(
                crate::relocs::explain(&obj.meta, probe, &detail)
                    .or_else(|| crate::ksyms::explain(probe, &detail))
                    .unwrap_or_else(|| {
                        format!(
                            "{}: the kernel rejected program {}: {detail}",
                            probe.name, probe.program
                        )
                    }),
            )
        })?;
    }
    Ok(ebpf)
}

/// Load the program of `probe` into the kernel. The outer error is ours (no such
/// program, a type tracerun cannot run); the inner one is the kernel's answer, with the
/// verifier log when the verifier rejected it.
pub fn load_program(ebpf: &mut Ebpf, probe: &ProbeSpec) -> Result<Result<(), ProgramError>, Error> {
    let btf_load = matches!(
        probe.attach,
        Attach::Fentry { .. } | Attach::Iter { .. } | Attach::RawTracepoint { .. }
    );
    let btf =
        if btf_load {
            Some(crate::target_btf::kernel_btf().map_err(|e| {
                Error::new(format!("{}: this probe type needs it: {e}", probe.name))
            })?)
        } else {
            None
        };
    let prog = program(ebpf, probe)?;
    Ok(match (prog, &probe.attach, &btf) {
        (Program::FEntry(p), Attach::Fentry { function, .. }, Some(btf)) => p.load(function, btf),
        (Program::FExit(p), Attach::Fentry { function, .. }, Some(btf)) => p.load(function, btf),
        (Program::Iter(p), Attach::Iter { target, .. }, Some(btf)) => p.load(target, btf),
        (Program::BtfTracePoint(p), Attach::RawTracepoint { name, .. }, Some(btf)) => {
            p.load(name, btf)
        }
        (prog, _, _) => match prog {
            Program::RawTracePoint(p) => p.load(),
            Program::TracePoint(p) => p.load(),
            Program::PerfEvent(p) => p.load(),
            Program::KProbe(p) => p.load(),
            Program::UProbe(p) => p.load(),
            other => {
                return Err(Error::new(format!(
                    "{}: program {} has type {:?}, which tracerun cannot run",
                    probe.name,
                    probe.program,
                    other.prog_type()
                )))
            }
        },
    })
}

fn program<'a>(ebpf: &'a mut Ebpf, probe: &ProbeSpec) -> Result<&'a mut Program, Error> {
    ebpf.program_mut(&probe.program).ok_or_else(|| {
        Error::new(format!(
            "{}: program {} is not in the object (aya found none by that name)",
            probe.name, probe.program
        ))
    })
}

/// The descriptor of a loaded program (to run BEGIN/END with `BPF_PROG_TEST_RUN`).
pub fn program_fd(ebpf: &Ebpf, probe: &ProbeSpec) -> Result<RawFd, Error> {
    let prog = ebpf.program(&probe.program).ok_or_else(|| {
        Error::new(format!(
            "{}: program {} is missing",
            probe.name, probe.program
        ))
    })?;
    prog.fd()
        .map(|fd| fd.as_fd().as_raw_fd())
        .map_err(|e| Error::new(format!("{}: {}", probe.name, chain(&e))))
}

/// The data behind any map variant.
pub fn map_data(map: &Map) -> &MapData {
    match map {
        Map::Array(d)
        | Map::ArrayOfMaps(d)
        | Map::BloomFilter(d)
        | Map::CgroupArray(d)
        | Map::CgroupStorage(d)
        | Map::CgrpStorage(d)
        | Map::CpuMap(d)
        | Map::DevMap(d)
        | Map::DevMapHash(d)
        | Map::HashMap(d)
        | Map::HashOfMaps(d)
        | Map::InodeStorage(d)
        | Map::LpmTrie(d)
        | Map::LruHashMap(d)
        | Map::PerCpuArray(d)
        | Map::PerCpuCgroupStorage(d)
        | Map::PerCpuHashMap(d)
        | Map::PerCpuLruHashMap(d)
        | Map::PerfEventArray(d)
        | Map::ProgramArray(d)
        | Map::Queue(d)
        | Map::ReusePortSockArray(d)
        | Map::RingBuf(d)
        | Map::SockHash(d)
        | Map::SockMap(d)
        | Map::SkStorage(d)
        | Map::Stack(d)
        | Map::StackTraceMap(d)
        | Map::Unsupported(d)
        | Map::XskMap(d) => d,
    }
}

/// The descriptor of the map with ELF symbol `symbol`.
pub fn map_fd(ebpf: &Ebpf, symbol: &str) -> Result<RawFd, Error> {
    ebpf.map(symbol)
        .map(|m| map_data(m).fd().as_fd().as_raw_fd())
        .ok_or_else(|| {
            Error::new(format!(
                "map {symbol} was not created (aya found none by that name)"
            ))
        })
}

/// Attach one (non-BEGIN/END) probe.
pub fn attach(ebpf: &mut Ebpf, probe: &ProbeSpec) -> Result<(), Error> {
    if let Some(r) = crate::uprobe_multi::attach(probe, pid_scope_pid()) {
        return r.map_err(|e| Error::new(format!("cannot attach {}: {}", probe.name, e)));
    }
    if let Some(r) = crate::btf_target::attach(probe) {
        return r.map_err(|e| Error::new(format!("cannot attach {}: {}", probe.name, e)));
    }
    let prog = program(ebpf, probe)?;
    // Kprobes at an address or offset: opened here (as for a cookie), with cookie 0.
    let here = crate::cookie::opened_here(&probe.attach);
    if let Some(cookie) = probe.cookie.or(here.then_some(0)) {
        return crate::cookie::attach(prog, probe, cookie, pid_scope())
            .map_err(|e| Error::new(format!("cannot attach {}: {}", probe.name, e)));
    }
    let r = match &probe.attach {
        Attach::Begin | Attach::End => Ok(()),
        Attach::Tracepoint { category, name } => attach_tracepoint(prog, category, name),
        Attach::Interval { period_ns } => attach_interval(prog, *period_ns),
        Attach::Profile { hz, period_ns } => attach_profile(prog, *hz, *period_ns),
        Attach::Kprobe {
            function, offset, ..
        } => attach_kprobe(prog, function, *offset),
        Attach::Uprobe {
            path,
            symbol,
            offset,
            ..
        } => attach_uprobe(prog, path, symbol, *offset, pid_scope()),
        Attach::RawTracepoint { name, .. } => crate::load_more::attach_raw_tracepoint(prog, name),
        Attach::PerfCounter {
            hardware,
            config,
            period,
            ..
        } => crate::load_more::attach_perf_counter(prog, *hardware, *config, *period),
        Attach::Fentry { .. } | Attach::FentryBpf { .. } => crate::load_more::attach_fentry(prog),
        Attach::Usdt { .. } => {
            let pid = crate::load_more::usdt_pid().map(|p| p.get());
            crate::usdt::attach(ebpf, probe, pid)
        }
        Attach::Watchpoint { .. } => {
            let pid = crate::load_more::usdt_pid().map(|p| p.get());
            crate::watchpoint::attach(ebpf, probe, pid)
        }
        // Iterators are run (or pinned) by the session; signal probes run on signals.
        Attach::Iter { .. }
        | Attach::Signal { .. }
        | Attach::Bench { .. }
        | Attach::Test { .. } => Ok(()),
    };
    r.map_err(|e| Error::new(format!("cannot attach {}: {}", probe.name, e)))
}

/// Detach an attached probe (and unload its program), as bpftrace does before END
/// so that END sees maps no event changes any more. BEGIN, END, iterators and
/// signal probes were never attached and stay loaded, as does a program that one
/// of them shares (`END, tracepoint:x { }`).
pub fn detach(ebpf: &mut Ebpf, probe: &ProbeSpec, all: &[ProbeSpec]) {
    let unattached = |p: &ProbeSpec| {
        matches!(
            p.attach,
            Attach::Begin
                | Attach::End
                | Attach::Iter { .. }
                | Attach::Signal { .. }
                | Attach::Bench { .. }
                | Attach::Test { .. }
        )
    };
    if unattached(probe)
        || all
            .iter()
            .any(|p| p.program == probe.program && unattached(p))
    {
        return;
    }
    if crate::uprobe_multi::detach(&probe.program) || crate::btf_target::detach(&probe.program) {
        return;
    }
    if probe.cookie.is_some()
        || crate::cookie::opened_here(&probe.attach)
        || matches!(
            probe.attach,
            Attach::Usdt { .. } | Attach::Watchpoint { .. }
        )
    {
        crate::usdt::detach(&probe.program);
    }
    let Some(prog) = ebpf.program_mut(&probe.program) else {
        return;
    };
    // Failure leaves the links to be dropped with the session, as before.
    let _ = match prog {
        Program::TracePoint(p) => p.unload(),
        Program::RawTracePoint(p) => p.unload(),
        Program::BtfTracePoint(p) => p.unload(),
        Program::PerfEvent(p) => p.unload(),
        Program::KProbe(p) => p.unload(),
        Program::UProbe(p) => p.unload(),
        Program::FEntry(p) => p.unload(),
        Program::FExit(p) => p.unload(),
        _ => Ok(()),
    };
}

fn wrong_type(prog: &Program, want: &str) -> String {
    format!(
        "its program has type {:?} but {want} needs another; recompile it with tracec",
        prog.prog_type()
    )
}

fn attach_tracepoint(prog: &mut Program, category: &str, name: &str) -> Result<(), String> {
    let Program::TracePoint(tp) = prog else {
        return Err(wrong_type(prog, "a tracepoint"));
    };
    tp.attach(category, name).map(drop).map_err(|e| match &e {
        ProgramError::TracePointError(_) => format!(
            "{} (is there a tracepoint {category}:{name} in /sys/kernel/tracing/events?)",
            chain(&e)
        ),
        _ => chain(&e),
    })
}

fn perf(prog: &mut Program) -> Result<&mut PerfEvent, String> {
    match prog {
        Program::PerfEvent(p) => Ok(p),
        other => Err(wrong_type(other, "a perf event")),
    }
}

const CPU_CLOCK: PerfEventConfig = PerfEventConfig::Software(SoftwareEvent::CpuClock);

/// `interval`: a cpu-clock event on CPU 0 every `period_ns` (as bpftrace does).
fn attach_interval(prog: &mut Program, period_ns: u64) -> Result<(), String> {
    perf(prog)?
        .attach(
            CPU_CLOCK,
            PerfEventScope::AllProcessesOneCpu { cpu: 0 },
            SamplePolicy::Period(period_ns),
            false,
        )
        .map(drop)
        .map_err(|e| chain(&e))
}

/// `profile`: a cpu-clock event on every online CPU, by frequency or period.
fn attach_profile(prog: &mut Program, hz: u64, period_ns: u64) -> Result<(), String> {
    let policy = if hz != 0 {
        SamplePolicy::Frequency(hz)
    } else {
        SamplePolicy::Period(period_ns)
    };
    let cpus = aya::util::online_cpus().map_err(|(what, e)| format!("{what}: {e}"))?;
    let p = perf(prog)?;
    for cpu in cpus {
        p.attach(
            CPU_CLOCK,
            PerfEventScope::AllProcessesOneCpu { cpu },
            policy,
            false,
        )
        .map_err(|e| format!("on CPU {cpu}: {}", chain(&e)))?;
    }
    Ok(())
}

fn attach_kprobe(prog: &mut Program, function: &str, offset: u64) -> Result<(), String> {
    let Program::KProbe(k) = prog else {
        return Err(wrong_type(prog, "a kprobe"));
    };
    k.attach(function, offset).map(drop).map_err(|e| {
        format!(
            "{} (does this kernel have kprobes, CONFIG_KPROBE_EVENTS, and a function {function}?)",
            chain(&e)
        )
    })
}

/// The process uprobes are limited to (`tracerun -p PID`), or 0.
fn pid_scope_pid() -> u32 {
    crate::load_more::target_pid().map_or(0, |p| p.get())
}

/// The process uprobes are limited to (`tracerun -p PID`), if any.
fn pid_scope() -> UProbeScope {
    match crate::load_more::target_pid() {
        Some(pid) => UProbeScope::OneProcess(pid),
        None => UProbeScope::AllProcesses,
    }
}

fn attach_uprobe(
    prog: &mut Program,
    path: &str,
    symbol: &str,
    offset: u64,
    scope: UProbeScope,
) -> Result<(), String> {
    let Program::UProbe(u) = prog else {
        return Err(wrong_type(prog, "a uprobe"));
    };
    uprobe_at(u, path, symbol, offset, None, scope)
}

/// Attach uprobe `u` to `symbol+offset` of `path` (file offset `offset` when
/// `symbol` is empty), with a BPF cookie if given. A symbol the binary does not
/// define is bpftrace's "Could not resolve symbol" (aya would go on to look for
/// separate debug info and report that file missing instead).
pub fn uprobe_at(
    u: &mut aya::programs::UProbe,
    path: &str,
    symbol: &str,
    offset: u64,
    cookie: Option<u64>,
    scope: UProbeScope,
) -> Result<(), String> {
    use aya::programs::uprobe::{UProbeAttachPoint, UProbeError};
    // A bare name is found as the compiler found it: an executable in `$PATH`
    // (`uprobe:bash:readline`), else a library name (`libc`, or a soname such as
    // `libc.so.6`, which aya's own lookup does not take) in the library cache.
    let cached = crate::attach_params::find_binary(path);
    let path = match &cached {
        Some(p) => p.as_str(),
        None => path,
    };
    if let Some(found) = crate::uprobe_archive::locate(path, symbol, offset) {
        let (archive, at) = found?;
        let location = UProbeAttachLocation::AbsoluteOffset(at);
        return u
            .attach(UProbeAttachPoint { location, cookie }, &archive, scope)
            .map(drop)
            .map_err(|e| chain(&e));
    }
    let location = if symbol.is_empty() {
        // An address in the binary, as bpftrace takes it: the file offset of the
        // `PT_LOAD` segment holding it.
        UProbeAttachLocation::AbsoluteOffset(crate::debugsyms::address_offset(path, offset))
    } else if offset != 0 {
        UProbeAttachLocation::SymbolOffset(symbol, offset)
    } else {
        UProbeAttachLocation::Symbol(symbol)
    };
    match u.attach(UProbeAttachPoint { location, cookie }, path, scope) {
        Ok(_) => Ok(()),
        Err(aya::programs::ProgramError::UProbeError(UProbeError::SymbolError {
            symbol: name,
            ..
        })) => {
            // A symbol of the binary's separate debug file only (a bare library
            // name is found in the library cache, as aya found it).
            let file = if path.contains('/') {
                Some(std::path::PathBuf::from(path))
            } else {
                tracec_meta::ldcache::library(path)
            };
            let found = file.and_then(|f| Some((crate::debugsyms::file_offset(&f, symbol)?, f)));
            let Some((at, file)) = found else {
                return Err(format!("Could not resolve symbol: {path}:{name}"));
            };
            let location = UProbeAttachLocation::AbsoluteOffset(at + offset);
            u.attach(UProbeAttachPoint { location, cookie }, &file, scope)
                .map(drop)
                .map_err(|e| chain(&e))
        }
        Err(e) => Err(chain(&e)),
    }
}

/// An error and its sources on one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let next = c.to_string();
        if !s.contains(&next) {
            s.push_str(": ");
            s.push_str(&next);
        }
        cur = c.source();
    }
    s
}
