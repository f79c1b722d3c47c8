//! `tracerun -v`: programs are loaded with a verifier log (level 1) of `log_size`
//! bytes (`BPFTRACE_LOG_SIZE`, config `log_size`), as bpftrace loads them in verbose
//! mode. The kernel fails a load whose log does not fit (`ENOSPC`), so a log size too
//! small for the program stops the run with bpftrace's error, as it does there.
//!
//! aya 0.14 grows its own log buffer until the log fits, so the check is a load of
//! its own ([`crate::uprobe_multi::prog::load_as`]) before aya's, for the program
//! kinds that need no attach target (kprobe, uprobe, tracepoint, raw tracepoint,
//! perf event); the checked copy is closed at once.

use crate::object::Object;
use crate::uprobe_multi::prog::{load_as, How, LoadError};
use crate::Error;
use aya::Ebpf;
use std::sync::OnceLock;
use tracec_meta::ProbeSpec;

static LOG_SIZE: OnceLock<u64> = OnceLock::new();

/// Turn verbose loading on, with a log of `log_size` bytes.
pub fn enable(log_size: u64) {
    let _ = LOG_SIZE.set(log_size);
}

/// bpftrace's name of the program of the `n`th probe (from 1): the probe's name with
/// every character but letters, digits and `_` replaced by `_`, then `_N`.
pub fn bpftrace_name(probe: &str, n: usize) -> String {
    let base: String = probe
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{base}_{n}")
}

/// The messages for a program whose verifier log did not fit in `size` bytes.
pub fn trimmed_messages(name: &str, size: u64) -> [String; 2] {
    let enospc = std::io::Error::from_raw_os_error(libc::ENOSPC);
    let what = enospc.to_string();
    let what = what.split(" (os error").next().unwrap_or(&what);
    [
        format!(
            "WARNING: Kernel log seems to be trimmed: the verifier's log of {name} needs more than {size} bytes (set BPFTRACE_LOG_SIZE or config log_size higher)"
        ),
        format!(
            "ERROR: Error loading BPF program for {name}. Error code: -{} ({what}).",
            libc::ENOSPC
        ),
    ]
}

/// With `-v`, load `probe`'s program (the `n`th, from 1) with a log of the configured
/// size; a log that does not fit is bpftrace's error. Any other outcome is left to
/// aya's load, which reports the verifier's rejections itself.
pub fn check(ebpf: &Ebpf, obj: &Object, probe: &ProbeSpec, n: usize) -> Result<(), Error> {
    let Some(&size) = LOG_SIZE.get() else {
        return Ok(());
    };
    let mut log = vec![
        0u8;
        usize::try_from(size)
            .unwrap_or(usize::MAX)
            .min(u32::MAX as usize >> 2)
    ];
    let how = How {
        prog_type: None,
        attach_type: 0,
        log: Some(&mut log),
        target: None,
        core: None,
    };
    match load_as(ebpf, obj, &probe.program, how) {
        Err(LoadError::Kernel(e)) if e.raw_os_error() == Some(libc::ENOSPC) => {
            let name = bpftrace_name(&probe.name, n);
            for m in trimmed_messages(&name, size) {
                eprintln!("{m}");
            }
            Err(Error::new(format!(
                "{}: the verifier log does not fit in log_size ({size} bytes)",
                probe.name
            )))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_bpftrace() {
        assert_eq!(bpftrace_name("begin", 1), "begin_1");
        assert_eq!(
            bpftrace_name("uprobe:/bin/sh:main", 3),
            "uprobe__bin_sh_main_3"
        );
    }

    #[test]
    fn messages() {
        let [w, e] = trimmed_messages("begin_1", 2);
        assert!(
            w.starts_with("WARNING: Kernel log seems to be trimmed"),
            "{w}"
        );
        assert_eq!(
            e,
            "ERROR: Error loading BPF program for begin_1. Error code: -28 (No space left on device)."
        );
    }
}
