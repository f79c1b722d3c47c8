//! Attaching a program with a BPF cookie (`ProbeSpec::cookie`): one program shared by
//! several attach points of a probe reads the cookie (`bpf_get_attach_cookie`) to
//! know which one fired, i.e. what `probe` and `func` print.
//!
//! Uprobes go through aya, which takes a cookie. aya 0.14 cannot give one to kprobes
//! and tracepoints, so those perf events are opened here (`perf_event_open(2)` on
//! the `kprobe` PMU, or `PERF_TYPE_TRACEPOINT` with the tracepoint's id from
//! tracefs) and linked with `BPF_LINK_CREATE` ([`crate::usdt::perf::link_perf_event`]);
//! the descriptors live until [`crate::usdt::detach`] of the program.

use crate::load::chain;
use crate::usdt::perf::{link_perf_event, pmu_type, PerfAttr};
use aya::programs::uprobe::UProbeScope;
use aya::programs::Program;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use tracec_meta::{Attach, ProbeSpec};

/// `PERF_TYPE_TRACEPOINT`.
const PERF_TYPE_TRACEPOINT: u32 = 2;

/// Attach `probe`'s program (`prog`) to its attach point with `cookie`.
pub fn attach(
    prog: &mut Program,
    probe: &ProbeSpec,
    cookie: u64,
    uprobe_scope: UProbeScope,
) -> Result<(), String> {
    match &probe.attach {
        Attach::Uprobe {
            path,
            symbol,
            offset,
            ..
        } => {
            let Program::UProbe(u) = prog else {
                return Err(wrong_type(prog, "a uprobe"));
            };
            crate::load::uprobe_at(u, path, symbol, *offset, Some(cookie), uprobe_scope)
        }
        Attach::Kprobe {
            function,
            offset,
            ret,
        } => {
            let fd = match prog {
                Program::KProbe(k) => k.fd().map_err(|e| chain(&e))?.as_fd().as_raw_fd(),
                other => return Err(wrong_type(other, "a kprobe")),
            };
            let perf = open_kprobe(function, *offset, *ret).map_err(|e| {
                format!(
                    "perf_event_open: {e} (does this kernel have kprobes, CONFIG_KPROBE_EVENTS, and a function {function}?)"
                )
            })?;
            link(fd, perf, probe, cookie)
        }
        Attach::Tracepoint { category, name } => {
            let fd = match prog {
                Program::TracePoint(t) => t.fd().map_err(|e| chain(&e))?.as_fd().as_raw_fd(),
                other => return Err(wrong_type(other, "a tracepoint")),
            };
            let perf = open_tracepoint(category, name).map_err(|e| {
                format!(
                    "{e} (is there a tracepoint {category}:{name} in /sys/kernel/tracing/events?)"
                )
            })?;
            link(fd, perf, probe, cookie)
        }
        other => Err(format!(
            "an attach cookie is not supported for {other:?}; recompile it with tracec"
        )),
    }
}

fn wrong_type(prog: &Program, want: &str) -> String {
    format!(
        "its program has type {:?} but {want} needs another; recompile it with tracec",
        prog.prog_type()
    )
}

/// Link `prog_fd` to `perf` with `cookie`, keeping both until the program is detached.
fn link(prog_fd: RawFd, perf: OwnedFd, probe: &ProbeSpec, cookie: u64) -> Result<(), String> {
    let link = link_perf_event(prog_fd, perf.as_raw_fd(), cookie)
        .map_err(|e| format!("cannot attach the program: {e}"))?;
    crate::usdt::keep(&probe.program, perf, link);
    Ok(())
}

/// The bit of `config` that makes a kprobe a kretprobe, from the PMU's
/// `format/retprobe` (`config:0`); bit 0 when it cannot be read.
fn retprobe_bit() -> u32 {
    std::fs::read_to_string("/sys/bus/event_source/devices/kprobe/format/retprobe")
        .ok()
        .and_then(|t| parse_config_bit(&t))
        .unwrap_or(0)
}

/// `config:N` to N.
fn parse_config_bit(text: &str) -> Option<u32> {
    text.trim().strip_prefix("config:")?.parse().ok()
}

/// A kprobe (or kretprobe) on `function` + `offset`, on every CPU.
fn open_kprobe(function: &str, offset: u64, ret: bool) -> io::Result<OwnedFd> {
    let ty = pmu_type("kprobe")?;
    let name = CString::new(function)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "name contains a NUL byte"))?;
    let mut attr = PerfAttr::new(ty);
    if ret {
        attr.config(1u64 << retprobe_bit());
    }
    attr.sample_period(1);
    attr.config1(name.as_ptr() as u64);
    attr.config2(offset);
    // Any process: the program runs wherever the probe fires.
    attr.open(-1, 0)
}

/// The tracefs root holding `events/`.
fn tracefs_events() -> &'static str {
    if std::path::Path::new("/sys/kernel/tracing/events").is_dir() {
        "/sys/kernel/tracing/events"
    } else {
        "/sys/kernel/debug/tracing/events"
    }
}

/// The perf event of tracepoint `category:name`, on every CPU.
fn open_tracepoint(category: &str, name: &str) -> io::Result<OwnedFd> {
    let path = format!("{}/{category}/{name}/id", tracefs_events());
    let text = std::fs::read_to_string(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
    let id: u64 = text
        .trim()
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("{path}: not a number")))?;
    let mut attr = PerfAttr::new(PERF_TYPE_TRACEPOINT);
    attr.config(id);
    attr.sample_period(1);
    attr.open(-1, 0)
        .map_err(|e| io::Error::new(e.kind(), format!("perf_event_open: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retprobe_format() {
        assert_eq!(parse_config_bit("config:0\n"), Some(0));
        assert_eq!(parse_config_bit("config:5"), Some(5));
        assert_eq!(parse_config_bit("config1:0"), None);
        assert_eq!(parse_config_bit(""), None);
    }
}
