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
            let perf = open_kprobe(function, *offset, *ret)
                .map_err(|e| kprobe_error(&e, function, *offset))?;
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

/// Whether `attach` is a kprobe at a bare kernel address (an empty `function`, the
/// address in `offset`).
pub fn is_kprobe_address(attach: &Attach) -> bool {
    matches!(attach, Attach::Kprobe { function, .. } if function.is_empty())
}

/// Whether tracerun opens `attach`'s perf event itself even without a cookie: kprobes
/// at an address or at an offset (aya 0.14 names a symbol, and its error would hide
/// the kernel's `EILSEQ` for an offset inside an instruction).
pub fn opened_here(attach: &Attach) -> bool {
    matches!(attach, Attach::Kprobe { function, offset, .. } if function.is_empty() || *offset != 0)
}

/// The message for a kprobe the kernel refused: bpftrace's for a location inside an
/// instruction (`EILSEQ`), else the error and what the kernel needs.
fn kprobe_error(e: &io::Error, function: &str, offset: u64) -> String {
    if e.raw_os_error() == Some(libc::EILSEQ) {
        return "Possible attachment attempt in the middle of an instruction, try a different offset.".into();
    }
    if function.is_empty() {
        format!(
            "perf_event_open: {e} (does this kernel have kprobes, CONFIG_KPROBE_EVENTS, and traceable code at address {offset:#x}?)"
        )
    } else {
        format!(
            "perf_event_open: {e} (does this kernel have kprobes, CONFIG_KPROBE_EVENTS, and a function {function}?)"
        )
    }
}

/// A kprobe (or kretprobe) on `function` + `offset`, on every CPU; with an empty
/// `function`, at the kernel address `offset` (the kernel reads `config2` as an
/// absolute address when `config1` names no symbol).
fn open_kprobe(function: &str, offset: u64, ret: bool) -> io::Result<OwnedFd> {
    let ty = pmu_type("kprobe")?;
    let name = CString::new(function)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "name contains a NUL byte"))?;
    let name_ptr = if function.is_empty() {
        0
    } else {
        name.as_ptr() as u64
    };
    let mut attr = PerfAttr::new(ty);
    if ret {
        attr.config(1u64 << retprobe_bit());
    }
    attr.sample_period(1);
    attr.config1(name_ptr);
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
    fn kprobe_messages() {
        let addr = Attach::Kprobe {
            function: String::new(),
            offset: 0x1000,
            ret: false,
        };
        assert!(is_kprobe_address(&addr));
        let named = Attach::Kprobe {
            function: "vfs_read".into(),
            offset: 3,
            ret: false,
        };
        assert!(!is_kprobe_address(&named));
        assert!(opened_here(&addr) && opened_here(&named));
        let plain = Attach::Kprobe {
            function: "vfs_read".into(),
            offset: 0,
            ret: false,
        };
        assert!(!opened_here(&plain));
        let eilseq = io::Error::from_raw_os_error(libc::EILSEQ);
        assert!(kprobe_error(&eilseq, "vfs_read", 3).starts_with("Possible attachment attempt"));
        let enoent = io::Error::from_raw_os_error(libc::ENOENT);
        assert!(kprobe_error(&enoent, "", 0x1000).contains("address 0x1000"));
        assert!(kprobe_error(&enoent, "vfs_read", 0).contains("function vfs_read"));
    }

    #[test]
    fn retprobe_format() {
        assert_eq!(parse_config_bit("config:0\n"), Some(0));
        assert_eq!(parse_config_bit("config:5"), Some(5));
        assert_eq!(parse_config_bit("config1:0"), None);
        assert_eq!(parse_config_bit(""), None);
    }
}
