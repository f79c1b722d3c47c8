//! Raw `bpf(2)` commands the runtime issues itself, and facts about the system.

use std::io;
use std::os::fd::RawFd;

const BPF_MAP_LOOKUP_ELEM: libc::c_long = 1;
const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
const BPF_MAP_DELETE_ELEM: libc::c_long = 3;
const BPF_MAP_GET_NEXT_KEY: libc::c_long = 4;
const BPF_PROG_TEST_RUN: libc::c_long = 10;

pub(crate) use tracec_meta::bpf_objects::{bpf, Attr};

/// Run a program once with `BPF_PROG_TEST_RUN` (used for BEGIN and END, which are
/// `raw_tp` programs) on a small zeroed context. Returns the program's return value.
pub fn prog_test_run(prog_fd: RawFd) -> io::Result<u32> {
    let mut ctx = [0u64; 8];
    let mut attr = Attr::new();
    attr.u32_at(0, prog_fd as u32) // test.prog_fd
        .u32_at(40, std::mem::size_of_val(&ctx) as u32) // test.ctx_size_in
        .u64_at(48, ctx.as_mut_ptr() as u64); // test.ctx_in
    bpf(BPF_PROG_TEST_RUN, &mut attr)?;
    Ok(attr.read_u32(4)) // test.retval
}

fn elem_attr(map_fd: RawFd, key: u64, value: u64) -> Attr {
    let mut attr = Attr::new();
    attr.u32_at(0, map_fd as u32)
        .u64_at(8, key)
        .u64_at(16, value);
    attr
}

/// The key after `key` (the first key if `None`), or `None` at the end.
pub fn map_next_key(
    map_fd: RawFd,
    key: Option<&[u8]>,
    key_size: usize,
) -> io::Result<Option<Vec<u8>>> {
    if key.is_some_and(|k| k.len() != key_size) {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    let mut next = vec![0u8; key_size.max(1)];
    let key_ptr = key.map_or(0, |k| k.as_ptr() as u64);
    let mut attr = elem_attr(map_fd, key_ptr, next.as_mut_ptr() as u64);
    match bpf(BPF_MAP_GET_NEXT_KEY, &mut attr) {
        Ok(_) => {
            next.truncate(key_size);
            Ok(Some(next))
        }
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Look `key` up; `value_len` is the full size the kernel writes (for per-CPU maps,
/// the slot size rounded up to 8 times the number of possible CPUs).
pub fn map_lookup(map_fd: RawFd, key: &[u8], value_len: usize) -> io::Result<Option<Vec<u8>>> {
    let mut value = vec![0u8; value_len.max(1)];
    let mut attr = elem_attr(map_fd, key.as_ptr() as u64, value.as_mut_ptr() as u64);
    match bpf(BPF_MAP_LOOKUP_ELEM, &mut attr) {
        Ok(_) => {
            value.truncate(value_len);
            Ok(Some(value))
        }
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Set the value of an existing `key` (`BPF_EXIST`); a key that is gone meanwhile is
/// not an error. `value` is the full size (per-CPU maps: every CPU's slot).
pub fn map_update_existing(map_fd: RawFd, key: &[u8], value: &[u8]) -> io::Result<()> {
    const BPF_EXIST: u64 = 2;
    let mut attr = elem_attr(map_fd, key.as_ptr() as u64, value.as_ptr() as u64);
    attr.u64_at(24, BPF_EXIST); // flags
    match bpf(BPF_MAP_UPDATE_ELEM, &mut attr) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Delete `key`; a key that is already gone is not an error.
pub fn map_delete(map_fd: RawFd, key: &[u8]) -> io::Result<()> {
    let mut attr = elem_attr(map_fd, key.as_ptr() as u64, 0);
    match bpf(BPF_MAP_DELETE_ELEM, &mut attr) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Every key of a map, in the kernel's iteration order.
pub fn map_keys(map_fd: RawFd, key_size: usize) -> io::Result<Vec<Vec<u8>>> {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut cur = map_next_key(map_fd, None, key_size)?;
    while let Some(k) = cur {
        cur = map_next_key(map_fd, Some(&k), key_size)?;
        keys.push(k);
        // A hash map whose key was deleted under us restarts from the beginning;
        // never loop for ever on a map that is being rewritten.
        if keys.len() > 1 << 24 {
            break;
        }
    }
    Ok(keys)
}

/// Parse a CPU list such as `0-3,5,7-8` (the format of `/sys/devices/system/cpu/possible`).
pub fn parse_cpu_list(s: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                if b < a || b - a > 1 << 16 {
                    return None;
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(part.trim().parse().ok()?),
        }
    }
    (!cpus.is_empty()).then_some(cpus)
}

/// Number of possible CPUs: the number of slots in a per-CPU map value.
pub fn possible_cpus() -> io::Result<usize> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible")?;
    let cpus = parse_cpu_list(&text)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad possible CPU list"))?;
    // Slots are indexed by CPU id, so a sparse list still needs max+1 slots.
    Ok(cpus.iter().max().map_or(1, |m| *m as usize + 1))
}

/// `CLOCK_MONOTONIC` now, in nanoseconds (what `bpf_ktime_get_ns` returns).
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to write to.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Whether this process may load and attach tracing programs: root, or both
/// `CAP_BPF` and `CAP_PERFMON` in the effective set.
pub fn has_privileges() -> bool {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut header = Header {
        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: header and data have the layout capget(2) expects for version 3.
    let r = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    if r != 0 {
        return false;
    }
    let has = |cap: u32| data[(cap / 32) as usize].effective & (1 << (cap % 32)) != 0;
    has(CAP_BPF) && has(CAP_PERFMON)
}

/// Whether the kernel has the `bpf(2)` syscall at all (probe it with a harmless command
/// on an invalid descriptor: EBADF means it is there).
pub fn bpf_available() -> Result<(), io::Error> {
    let mut attr = elem_attr(-1, 0, 0);
    match bpf(BPF_MAP_GET_NEXT_KEY, &mut attr) {
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => Err(e),
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => Err(e),
        _ => Ok(()),
    }
}

/// The tracefs mount point, if tracefs is mounted.
pub fn tracefs() -> Option<&'static str> {
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .into_iter()
        .find(|p| std::path::Path::new(p).join("events").is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-3\n"), Some(vec![0, 1, 2, 3]));
        assert_eq!(parse_cpu_list("0,2-3,7"), Some(vec![0, 2, 3, 7]));
        assert_eq!(parse_cpu_list("0"), Some(vec![0]));
        assert_eq!(parse_cpu_list(""), None);
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("x"), None);
    }

    #[test]
    fn possible_cpus_is_at_least_online() {
        let n = possible_cpus().unwrap();
        let online = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert!(n >= online, "{n} < {online}");
    }

    #[test]
    fn monotonic_clock_advances() {
        let a = monotonic_ns();
        let b = monotonic_ns();
        assert!(a > 0 && b >= a);
    }

    #[test]
    fn bpf_calls_on_bad_fds_fail_cleanly() {
        // Without privileges these fail with EPERM, with them with EBADF; never a crash.
        assert!(map_next_key(-1, None, 8).is_err());
        assert!(map_lookup(-1, &[0; 8], 8).is_err());
        assert!(prog_test_run(-1).is_err());
    }
}
