//! End to end: `tracerun -v` loads programs with a verifier log of `log_size` bytes
//! (`BPFTRACE_LOG_SIZE`, else config `log_size`), as bpftrace's verbose mode does: a
//! log that does not fit fails the run with bpftrace's error; without `-v` the size
//! does not matter.

use std::process::Command;
use tracec_tests::*;

const SCRIPT: &str = "begin { printf(\"%s\\n\", \"loaded\"); exit(); }";

fn run(obj: &std::path::Path, verbose: bool, size: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(bin("tracerun"));
    if verbose {
        cmd.arg("-v");
    }
    cmd.arg(obj).env_remove("BPFTRACE_LOG_SIZE");
    if let Some(s) = size {
        cmd.env("BPFTRACE_LOG_SIZE", s);
    }
    let o = cmd.output().expect("run tracerun");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_log_too_small_fails_verbose_loads_only() {
    let Some(_guard) = kernel_or_skip("log_size_small") else {
        return;
    };
    let dir = scratch("log_size_small");
    let obj = compile_text(&dir, "small", SCRIPT);
    let (ok, _, err) = run(&obj, true, Some("2"));
    assert!(!ok, "{err}");
    assert!(
        err.lines().any(|l| l
            == "ERROR: Error loading BPF program for begin_1. Error code: -28 (No space left on device)."),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("WARNING: Kernel log seems to be trimmed")),
        "{err}"
    );
    // Without -v there is no log to fill.
    let (ok, out, err) = run(&obj, false, Some("2"));
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "loaded");
    // A log big enough, from the environment or the default.
    for size in [Some("10000000"), None] {
        let (ok, out, err) = run(&obj, true, size);
        assert!(ok, "{err}");
        assert_eq!(out.trim(), "loaded");
    }
}

#[test]
fn the_config_block_sets_the_log_size() {
    let Some(_guard) = kernel_or_skip("log_size_config") else {
        return;
    };
    let dir = scratch("log_size_config");
    let obj = compile_text(
        &dir,
        "config",
        &format!("config = {{ log_size = 2 }} {SCRIPT}"),
    );
    let (ok, _, err) = run(&obj, true, None);
    assert!(!ok, "{err}");
    assert!(err.contains("Error code: -28"), "{err}");
    // The environment wins over the block.
    let (ok, out, err) = run(&obj, true, Some("1000000"));
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "loaded");
}
