//! Attach functions of the probe kinds added after the first five (see [`crate::load`]):
//! raw tracepoints, perf counters (`software`/`hardware`), fentry/fexit and BPF
//! iterators; and the process filter of `tracerun -p PID` / `-c CMD`.

use crate::load::chain;
use aya::programs::links::FdLink;
use aya::programs::perf_event::{
    HardwareEvent, PerfEventConfig, PerfEventScope, SamplePolicy, SoftwareEvent,
};
use aya::programs::{Program, ProgramError};
use std::fs::File;
use std::num::NonZeroU32;
use std::sync::OnceLock;

static TARGET_PID: OnceLock<NonZeroU32> = OnceLock::new();

/// `-p PID`: limit uprobes, USDT probes, watchpoints and perf counters to process
/// `pid` from now on. Set once.
pub fn set_target_pid(pid: NonZeroU32) {
    let _ = TARGET_PID.set(pid);
}

/// The process given with `-p`, if any.
pub fn target_pid() -> Option<NonZeroU32> {
    TARGET_PID.get().copied()
}

static CHILD_PID: OnceLock<NonZeroU32> = OnceLock::new();

/// The child of `-c CMD`. As in bpftrace, only USDT probes (and watchpoints, which
/// need a process for a user address) are limited to it; nothing else is filtered.
pub fn set_child_pid(pid: NonZeroU32) {
    let _ = CHILD_PID.set(pid);
}

static CHILD_PROGRAM: OnceLock<std::path::PathBuf> = OnceLock::new();

/// The executable the `-c` child runs: USDT probes without a binary are looked up
/// there, since the child has not exec'ed yet when probes are attached.
pub fn set_child_program(program: std::path::PathBuf) {
    let _ = CHILD_PROGRAM.set(program);
}

/// The `-c` child's executable, unless `-p` names the traced process.
pub fn child_program() -> Option<&'static std::path::Path> {
    match target_pid() {
        Some(_) => None,
        None => CHILD_PROGRAM.get().map(std::path::PathBuf::as_path),
    }
}

/// The process USDT probes and watchpoints attach to: `-p PID`, else the `-c` child.
pub fn usdt_pid() -> Option<NonZeroU32> {
    target_pid().or_else(|| CHILD_PID.get().copied())
}

fn wrong(prog: &Program, want: &str) -> String {
    format!(
        "its program has type {:?} but {want} needs another; recompile it with tracec",
        prog.prog_type()
    )
}

/// A raw tracepoint: `tp_btf` (BTF-typed arguments, what tracec writes) or, for
/// objects of older compilers, a plain `raw_tp` program.
pub fn attach_raw_tracepoint(prog: &mut Program, name: &str) -> Result<(), String> {
    let r = match prog {
        Program::BtfTracePoint(p) => p.attach().map(drop),
        Program::RawTracePoint(p) => p.attach(name).map(drop),
        _ => return Err(wrong(prog, "a raw tracepoint")),
    };
    r.map_err(|e| {
        format!(
            "{} (is there a tracepoint {name} in this kernel?)",
            chain(&e)
        )
    })
}

fn software(config: u64) -> Option<SoftwareEvent> {
    use SoftwareEvent::*;
    Some(match config {
        0 => CpuClock,
        1 => TaskClock,
        2 => PageFaults,
        3 => ContextSwitches,
        4 => CpuMigrations,
        5 => PageFaultsMin,
        6 => PageFaultsMaj,
        7 => AlignmentFaults,
        8 => EmulationFaults,
        9 => Dummy,
        10 => BpfOutput,
        _ => return None,
    })
}

fn hardware(config: u64) -> Option<HardwareEvent> {
    use HardwareEvent::*;
    Some(match config {
        0 => CpuCycles,
        1 => Instructions,
        2 => CacheReferences,
        3 => CacheMisses,
        4 => BranchInstructions,
        5 => BranchMisses,
        6 => BusCycles,
        7 => StalledCyclesFrontend,
        8 => StalledCyclesBackend,
        9 => RefCpuCycles,
        _ => return None,
    })
}

/// A perf counter sampled every `period` events, on every online CPU (or in the
/// `-p` process).
pub fn attach_perf_counter(
    prog: &mut Program,
    is_hw: bool,
    config: u64,
    period: u64,
) -> Result<(), String> {
    let Program::PerfEvent(p) = prog else {
        return Err(wrong(prog, "a perf event"));
    };
    let event = if is_hw {
        hardware(config).map(PerfEventConfig::Hardware)
    } else {
        software(config).map(PerfEventConfig::Software)
    }
    .ok_or_else(|| format!("unknown perf event id {config}"))?;
    let scopes: Vec<PerfEventScope> = match target_pid() {
        Some(pid) => vec![PerfEventScope::OneProcess {
            pid: pid.get(),
            cpu: None,
        }],
        None => aya::util::online_cpus()
            .map_err(|(what, e)| format!("{what}: {e}"))?
            .into_iter()
            .map(|cpu| PerfEventScope::AllProcessesOneCpu { cpu })
            .collect(),
    };
    for scope in scopes {
        p.attach(event, scope, SamplePolicy::Period(period), false)
            .map_err(|e| {
                let mut m = chain(&e);
                if is_hw {
                    m.push_str(" (this machine may have no hardware performance counters, e.g. a virtual machine without a virtual PMU)");
                }
                m
            })?;
    }
    Ok(())
}

pub fn attach_fentry(prog: &mut Program) -> Result<(), String> {
    match prog {
        Program::FEntry(p) => p.attach().map(drop).map_err(|e| chain(&e)),
        Program::FExit(p) => p.attach().map(drop).map_err(|e| chain(&e)),
        other => Err(wrong(other, "fentry/fexit")),
    }
}

/// Start iterator `prog`: the file to read it through, or `None` when it was
/// pinned at `pin` instead.
pub fn start_iter(prog: &mut Program, pin: &str) -> Result<Option<File>, String> {
    let Program::Iter(p) = prog else {
        return Err(wrong(prog, "an iterator"));
    };
    let id = p.attach().map_err(|e| chain(&e))?;
    let link = p.take_link(id).map_err(|e: ProgramError| chain(&e))?;
    if pin.is_empty() {
        return link.into_file().map(Some).map_err(|e| chain(&e));
    }
    let fd: FdLink = link
        .try_into()
        .map_err(|e: aya::programs::links::LinkError| chain(&e))?;
    fd.pin(pin)
        .map(drop)
        .map_err(|e| format!("cannot pin at {pin}: {}", chain(&e)))?;
    Ok(None)
}
