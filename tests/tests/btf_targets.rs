//! End to end: `fentry:bpf:...`/`fexit:bpf:...` on a running tracerun's program
//! (tracerun B resolves tracerun A's tracepoint program by name, then by id), and a
//! module probe whose module is not loaded here. This kernel refuses every
//! `BPF_PROG_TYPE_TRACING` load with `EPERM` (vmlinux functions and BPF targets
//! alike), so B must either run (a kernel that allows it) or fail on exactly that
//! errno, naming A's program as the target it resolved.

use regex::Regex;
use std::time::Duration;
use tracec_tests::*;

/// B's outcome: the lines it printed, or its error (which must be the kernel's
/// `EPERM` on a target matching `target`).
fn run_b(obj: &std::path::Path, target: &Regex) -> Result<String, String> {
    let mut b = Run::start(obj, &[]);
    let code = b.finish(Duration::from_secs(15));
    let (out, err) = (b.stdout_text(), b.stderr_text());
    if code == Some(0) {
        return Ok(out);
    }
    assert!(
        err.contains("Operation not permitted") && target.is_match(&err),
        "want the kernel's EPERM on {target}, got:\n{err}"
    );
    Err(err)
}

#[test]
fn fexit_on_a_running_bpf_program() {
    let Some(_g) = kernel_or_skip("fexit_on_a_running_bpf_program") else {
        return;
    };
    let dir = scratch("btf_targets_bpf");
    let a = compile_text(
        &dir,
        "a",
        "tracepoint:syscalls:sys_enter_getpgid { @n = count(); }",
    );
    let mut run_a = Run::start(&a, &[]);
    run_a.wait_attached();
    let by_name = compile_text(
        &dir,
        "b",
        "fexit:bpf:tracepoint_syscalls_sys_enter_getpgid_* { printf(\"bye\\n\"); exit(); }",
    );
    let target = Regex::new(r"on bpf:(\d+):tracepoint_syscalls_sys_enter_getpgid_\d+:").unwrap();
    let outcome = run_b(&by_name, &target);
    // The same program by id.
    if let Err(err) = &outcome {
        let id = &target.captures(err).expect("target named")[1];
        let by_id = compile_text(&dir, "c", &format!("fentry:bpf:{id}:* {{ exit(); }}"));
        let exact = Regex::new(&format!(
            r"on bpf:{id}:tracepoint_syscalls_sys_enter_getpgid_\d+:"
        ))
        .unwrap();
        assert!(
            run_b(&by_id, &exact).is_err(),
            "EPERM for one target, not the other"
        );
    }
    run_a.signal(libc::SIGINT);
    run_a.finish(Duration::from_secs(10));
    if let Ok(out) = outcome {
        assert!(out.contains("bye"), "{out}");
    }
}

#[test]
fn no_matching_bpf_program_is_an_error() {
    let Some(_g) = kernel_or_skip("no_matching_bpf_program_is_an_error") else {
        return;
    };
    let dir = scratch("btf_targets_none");
    let b = compile_text(&dir, "b", "fentry:bpf:no_program_has_this_name { }");
    let mut run = Run::start(&b, &[]);
    assert_eq!(run.finish(Duration::from_secs(10)), Some(1));
    let err = run.stderr_text();
    assert!(
        err.contains("no running BPF program or subprogram matches no_program_has_this_name"),
        "{err}"
    );
}
