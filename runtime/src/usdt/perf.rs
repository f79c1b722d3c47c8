//! Uprobes opened with `perf_event_open(2)` on the `uprobe` PMU, so that a semaphore
//! (the uprobe reference counter, `config` bits 32-63) can be given, and attached to
//! a program through a BPF link that carries the cookie (`BPF_LINK_CREATE`,
//! `BPF_PERF_EVENT`). aya 0.14 can set the cookie but not the reference counter.

use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Size of the `perf_event_attr` we pass (`PERF_ATTR_SIZE_VER7`).
const ATTR_SIZE: usize = 128;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
/// Where the reference counter offset goes in `config`.
const REF_CTR_SHIFT: u32 = 32;

/// A zeroed `struct perf_event_attr` of [`ATTR_SIZE`] bytes, set field by field.
#[repr(C, align(8))]
pub(crate) struct PerfAttr(pub [u8; ATTR_SIZE]);

impl PerfAttr {
    pub(crate) fn new(ty: u32) -> PerfAttr {
        let mut a = PerfAttr([0; ATTR_SIZE]);
        a.set_u32(0, ty);
        a.set_u32(4, ATTR_SIZE as u32);
        a
    }
    pub(crate) fn set_u32(&mut self, off: usize, v: u32) {
        self.0[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    }
    pub(crate) fn set_u64(&mut self, off: usize, v: u64) {
        self.0[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    }
    pub(crate) fn config(&mut self, v: u64) {
        self.set_u64(8, v);
    }
    pub(crate) fn sample_period(&mut self, v: u64) {
        self.set_u64(16, v);
    }
    pub(crate) fn config1(&mut self, v: u64) {
        self.set_u64(56, v);
    }
    pub(crate) fn config2(&mut self, v: u64) {
        self.set_u64(64, v);
    }

    /// `perf_event_open(attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC)`.
    pub(crate) fn open(&self, pid: i32, cpu: i32) -> io::Result<OwnedFd> {
        // SAFETY: the attr buffer is a live, zero-padded perf_event_attr whose size field
        // says ATTR_SIZE; any pointer stored in it (config1) outlives the call.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                self.0.as_ptr(),
                pid,
                cpu,
                -1 as libc::c_int,
                PERF_FLAG_FD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
    }
}

/// The PMU type of `/sys/bus/event_source/devices/NAME`.
pub(crate) fn pmu_type(name: &str) -> io::Result<u32> {
    let path = format!("/sys/bus/event_source/devices/{name}/type");
    let text = std::fs::read_to_string(&path)?;
    text.trim()
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("{path}: not a number")))
}

/// A uprobe at file `offset` of `path` with the reference counter at file offset
/// `ref_ctr` (0: none), for process `pid` (or every process when `None`).
pub fn open_uprobe(
    path: &Path,
    offset: u64,
    ref_ctr: u64,
    pid: Option<u32>,
) -> io::Result<OwnedFd> {
    let ty = pmu_type("uprobe")?;
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    let mut attr = PerfAttr::new(ty);
    attr.config(ref_ctr << REF_CTR_SHIFT);
    attr.sample_period(1);
    attr.config1(c_path.as_ptr() as u64);
    attr.config2(offset);
    match pid {
        Some(pid) => attr.open(pid as i32, -1),
        // Any process: the program runs wherever the probe fires; the CPU only
        // satisfies perf_event_open.
        None => attr.open(-1, 0),
    }
}

/// Attach program `prog_fd` to perf event `perf_fd` with `cookie`; the link lives as
/// long as the returned descriptor.
pub fn link_perf_event(prog_fd: RawFd, perf_fd: RawFd, cookie: u64) -> io::Result<OwnedFd> {
    const BPF_LINK_CREATE: libc::c_long = 28;
    const BPF_PERF_EVENT: u32 = 41;
    #[repr(C, align(8))]
    struct Attr([u8; 64]);
    let mut attr = Attr([0; 64]);
    attr.0[0..4].copy_from_slice(&(prog_fd as u32).to_ne_bytes());
    attr.0[4..8].copy_from_slice(&(perf_fd as u32).to_ne_bytes());
    attr.0[8..12].copy_from_slice(&BPF_PERF_EVENT.to_ne_bytes());
    attr.0[16..24].copy_from_slice(&cookie.to_ne_bytes());
    // SAFETY: attr is a live, zeroed bpf_attr of the size passed; it holds no pointers.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_LINK_CREATE,
            attr.0.as_mut_ptr(),
            attr.0.len() as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor the kernel just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}
