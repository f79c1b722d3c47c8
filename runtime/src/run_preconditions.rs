//! What must hold before a run loads anything: privileges, BPF, tracefs.

use crate::sys;
use crate::Error;
use tracec_meta::{Attach, Metadata};

/// Things that must hold before loading anything, each with a one-line fix.
pub fn preconditions(meta: &Metadata) -> Result<(), Error> {
    if !sys::has_privileges() {
        return Err(Error::new(
            "tracing needs root (or CAP_BPF and CAP_PERFMON); run tracerun with sudo",
        ));
    }
    if let Err(e) = sys::bpf_available() {
        return Err(Error::new(if e.raw_os_error() == Some(libc::ENOSYS) {
            "this kernel has no BPF support (the bpf(2) system call is missing)".to_string()
        } else {
            format!("BPF is not permitted here ({e}); check kernel.unprivileged_bpf_disabled, seccomp and LSM policy")
        }));
    }
    let needs_tracefs = meta
        .probes
        .iter()
        .any(|p| matches!(p.attach, Attach::Tracepoint { .. }));
    if needs_tracefs && sys::tracefs().is_none() {
        return Err(Error::new(
            "tracefs is not mounted, so tracepoints cannot be attached; mount it with: mount -t tracefs nodev /sys/kernel/tracing",
        ));
    }
    Ok(())
}
