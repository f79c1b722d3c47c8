//! Watchpoints ([`Attach::Watchpoint`]): a `PERF_TYPE_BREAKPOINT` perf event on an
//! address, in the `-p`/`-c` process, or on every online CPU for a kernel address,
//! with the `perf_event` program attached through a BPF link.

use crate::load::chain;
use crate::usdt::perf::{link_perf_event, PerfAttr};
use aya::programs::Program;
use aya::Ebpf;
use std::os::fd::{AsFd, AsRawFd};
use tracec_meta::{Attach, ProbeSpec};

const PERF_TYPE_BREAKPOINT: u32 = 5;
const HW_BREAKPOINT_R: u32 = 1;
const HW_BREAKPOINT_W: u32 = 2;
const HW_BREAKPOINT_X: u32 = 4;
/// Addresses from here up are the kernel's (x86-64, arm64).
const KERNEL_START: u64 = 0xffff_0000_0000_0000;

/// `bp_type` for a mode (`r`, `w`, `rw`, `x`).
fn bp_type(mode: &str) -> Result<u32, String> {
    let mut t = 0;
    for c in mode.chars() {
        t |= match c {
            'r' => HW_BREAKPOINT_R,
            'w' => HW_BREAKPOINT_W,
            'x' => HW_BREAKPOINT_X,
            _ => return Err(format!("invalid watchpoint mode '{mode}'")),
        };
    }
    if t == 0 || (t & HW_BREAKPOINT_X != 0 && t != HW_BREAKPOINT_X) {
        return Err(format!("invalid watchpoint mode '{mode}'"));
    }
    Ok(t)
}

/// The breakpoint's `perf_event_attr`. Execution breakpoints cover one `long`, as
/// the kernel requires.
fn attr(address: u64, length: u64, mode: &str) -> Result<PerfAttr, String> {
    let ty = bp_type(mode)?;
    let mut a = PerfAttr::new(PERF_TYPE_BREAKPOINT);
    a.sample_period(1);
    a.set_u32(52, ty); // bp_type
    a.config1(address); // bp_addr
    let len = if ty == HW_BREAKPOINT_X {
        std::mem::size_of::<libc::c_long>() as u64
    } else {
        length
    };
    a.config2(len); // bp_len
    Ok(a)
}

/// `perf_event_attr.inherit` (bit 1 of the flags word): threads the watched thread
/// creates later get the breakpoint too.
const ATTR_INHERIT: u64 = 1 << 1;

/// The threads of process `pid` (`/proc/PID/task`), the process itself first; just
/// the process when they cannot be listed.
fn threads(pid: u32) -> Vec<i32> {
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .filter(|t| *t != pid as i32)
                .collect()
        })
        .unwrap_or_default();
    crate::sorting::sort(&mut tids);
    tids.insert(0, pid as i32);
    tids
}

pub fn attach(ebpf: &mut Ebpf, probe: &ProbeSpec, pid: Option<u32>) -> Result<(), String> {
    let Attach::Watchpoint {
        address,
        length,
        mode,
        ..
    } = &probe.attach
    else {
        return Err("not a watchpoint".into());
    };
    let mut attr = attr(*address, *length, mode)?;
    let prog = ebpf
        .program_mut(&probe.program)
        .ok_or_else(|| format!("program {} is not in the object", probe.program))?;
    let Program::PerfEvent(p) = prog else {
        return Err(format!(
            "its program has type {:?} but a watchpoint needs a perf_event one; recompile it with tracec",
            prog.prog_type()
        ));
    };
    let prog_fd = p.fd().map_err(|e| chain(&e))?.as_fd().as_raw_fd();
    let targets: Vec<(i32, i32)> = match pid {
        // Every thread the process has, and (inherited) those it creates.
        Some(pid) => {
            attr.set_u64(40, ATTR_INHERIT);
            threads(pid).into_iter().map(|tid| (tid, -1)).collect()
        }
        None if *address >= KERNEL_START => aya::util::online_cpus()
            .map_err(|(what, e)| format!("{what}: {e}"))?
            .into_iter()
            .map(|cpu| (-1, cpu as i32))
            .collect(),
        None => {
            return Err(format!(
                "a watchpoint on user address {address:#x} needs a process (-p PID or -c CMD)"
            ))
        }
    };
    for (pid, cpu) in targets {
        let perf = attr
            .open(pid, cpu)
            .map_err(|e| format!("perf_event_open (hardware breakpoint at {address:#x}): {e}"))?;
        let link = link_perf_event(prog_fd, perf.as_raw_fd(), 0)
            .map_err(|e| format!("cannot attach the program: {e}"))?;
        crate::usdt::keep(&probe.program, perf, link);
    }
    Ok(())
}

/// The programs of the watchpoints on `address` among `probes`.
fn watching(probes: &[ProbeSpec], address: u64) -> Vec<&str> {
    probes
        .iter()
        .filter(|p| matches!(p.attach, Attach::Watchpoint { address: a, .. } if a == address))
        .map(|p| p.program.as_str())
        .collect()
}

/// `unwatch(address)`: close the breakpoint events (and links) of every watchpoint
/// on `address`, as bpftrace does; an address nothing watches is no error.
pub fn unwatch(probes: &[ProbeSpec], address: u64) {
    for program in watching(probes, address) {
        crate::usdt::detach(program);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwatch_finds_the_watchpoints_on_an_address() {
        let spec = |program: &str, attach: Attach| ProbeSpec {
            program: program.into(),
            section: "perf_event".into(),
            name: program.into(),
            attach,
            cookie: None,
        };
        let wp = |address| Attach::Watchpoint {
            address,
            length: 4,
            mode: "w".into(),
            asynchronous: false,
        };
        let probes = [
            spec("a", wp(0x1000)),
            spec("b", wp(0x2000)),
            spec("c", wp(0x1000)),
            spec(
                "d",
                Attach::Kprobe {
                    function: String::new(),
                    offset: 0x1000,
                    ret: false,
                },
            ),
        ];
        assert_eq!(watching(&probes, 0x1000), ["a", "c"]);
        assert_eq!(watching(&probes, 0x2000), ["b"]);
        assert!(watching(&probes, 0x3000).is_empty());
        unwatch(&probes, 0x3000);
    }

    #[test]
    fn threads_of_this_process() {
        let me = std::process::id();
        let seen = std::thread::scope(|s| {
            let h = s.spawn(|| threads(me));
            h.join().unwrap()
        });
        assert_eq!(seen[0], me as i32);
        assert!(seen.len() >= 2, "{seen:?}");
        assert_eq!(threads(u32::MAX), [u32::MAX as i32]);
    }

    #[test]
    fn modes() {
        assert_eq!(bp_type("r"), Ok(1));
        assert_eq!(bp_type("w"), Ok(2));
        assert_eq!(bp_type("rw"), Ok(3));
        assert_eq!(bp_type("x"), Ok(4));
        assert!(bp_type("rx").is_err());
        assert!(bp_type("").is_err());
        assert!(bp_type("q").is_err());
    }

    #[test]
    fn execution_breakpoints_cover_a_long() {
        let a = attr(0x1000, 1, "x").unwrap();
        assert_eq!(u64::from_ne_bytes(a.0[64..72].try_into().unwrap()), 8);
        let a = attr(0x1000, 2, "w").unwrap();
        assert_eq!(u64::from_ne_bytes(a.0[64..72].try_into().unwrap()), 2);
        assert_eq!(u64::from_ne_bytes(a.0[56..64].try_into().unwrap()), 0x1000);
    }
}
