//! Scripts from the wild, tenth corpus: one-liners from READMEs, runbooks and shell
//! scripts (`bpftrace -e '...'`). The scripts here are our own, written after the
//! patterns those showed.

use std::time::Duration;
use tracec_tests::*;

const LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";

/// A uprobe on libc's `malloc` fires for tracerun's own allocations: every record it
/// reads makes another, so the ring never empties. SIGINT must still end the session
/// promptly, with the events printed so far.
#[test]
fn sigint_ends_a_probe_that_feeds_on_tracerun_itself() {
    let Some(_k) = kernel_or_skip("wild10_malloc_flood") else {
        return;
    };
    if !std::path::Path::new(LIBC).exists() {
        eprintln!("skipped: no {LIBC}");
        return;
    }
    let dir = scratch("wild10_malloc_flood");
    let script = format!(
        "uprobe:{LIBC}:malloc /comm == \"tracerun\"/ {{ printf(\"malloc(%d) by %s\\n\", arg0, comm); }}\n"
    );
    let obj = compile_text(&dir, "flood", &script);
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    assert!(
        run.wait_stdout(Duration::from_secs(10), |l| l.starts_with("malloc(")
            && l.ends_with(") by tracerun")),
        "no malloc event printed; stderr:\n{}",
        run.stderr_text()
    );
    run.signal(libc::SIGINT);
    // Before the event loop bounded its reads, this never returned.
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    let out = run.stdout_text();
    assert!(out.lines().any(|l| l.starts_with("malloc(")), "{out}");
}
