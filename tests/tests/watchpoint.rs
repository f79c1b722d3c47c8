//! End to end: hardware watchpoints on a fixed address of a test program built here
//! with gcc from `tests/fixtures/watchpoint_test.c` (it writes to 0x10000000 every
//! 50 ms), in a `-c` child and in a `-p` process.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tracec_tests::*;

fn build(dir: &Path) -> Option<PathBuf> {
    let src = workspace().join("tests/fixtures/watchpoint_test.c");
    build_c_file(&src, &dir.join("watchpoint_test"), &["-O1"])
}

const SCRIPT: &str = r#"watchpoint:0x10000000:8:w { @hits = count(); if (@hits == 3) { printf("hit %s\n", probe); exit(); } }"#;

#[test]
fn writes_of_a_child_hit_the_watchpoint() {
    let Some(_k) = kernel_or_skip("watchpoint_child") else {
        return;
    };
    let dir = scratch("watchpoint-child-bin");
    let Some(bin) = build(&dir) else { return };
    let cmd = format!("{} 100", bin.display());
    let run = run_to_exit("watchpoint-child", SCRIPT, &["-c", &cmd]);
    assert!(
        run.stdout_text()
            .starts_with(&format!("hit watchpoint:{}:268435456:8:w\n", bin.display())),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn writes_of_a_running_process_hit_the_watchpoint() {
    let Some(_k) = kernel_or_skip("watchpoint_pid") else {
        return;
    };
    let dir = scratch("watchpoint-pid-bin");
    let Some(bin) = build(&dir) else { return };
    let mut target = Command::new(&bin)
        .arg("1000")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the watchpoint test program");
    std::thread::sleep(Duration::from_millis(100));
    let pid = target.id().to_string();
    let run = run_to_exit("watchpoint-pid", SCRIPT, &["-p", &pid]);
    let _ = target.kill();
    let _ = target.wait();
    assert!(
        run.stdout_text()
            .starts_with(&format!("hit watchpoint:/proc/{pid}/exe:268435456:8:w\n")),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn a_user_address_needs_a_process() {
    let Some(_k) = kernel_or_skip("watchpoint_no_process") else {
        return;
    };
    let dir = scratch("watchpoint-no-process");
    let obj = compile_text(&dir, "w", SCRIPT);
    let o = run_cmd(bin("tracerun").to_str().unwrap(), &[obj.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("needs a process (-p PID or -c CMD)"), "{err}");
}

/// `unwatch(addr)` removes the watchpoint: the child writes every 50 ms for the
/// whole run, yet only the writes before the first event is handled count (bpftrace's
/// unwatch test expects 1; a write racing the removal may add one).
#[test]
fn unwatch_removes_the_watchpoint() {
    let Some(_k) = kernel_or_skip("watchpoint_unwatch") else {
        return;
    };
    let dir = scratch("watchpoint-unwatch-bin");
    let Some(bin) = build(&dir) else { return };
    let cmd = format!("{} 100", bin.display());
    let script = r#"watchpoint:0x10000000:8:w { @n = count(); unwatch(0x10000000); }
        interval:ms:700 { exit(); }"#;
    let run = run_to_exit("watchpoint-unwatch", script, &["-c", &cmd]);
    let out = run.stdout_text();
    assert!(out.contains("@n: 1\n") || out.contains("@n: 2\n"), "{out}");
    // Without unwatch, the same run counts a write per 50 ms.
    let script = r#"watchpoint:0x10000000:8:w { @n = count(); }
        interval:ms:700 { exit(); }"#;
    let run = run_to_exit("watchpoint-no-unwatch", script, &["-c", &cmd]);
    let n: u64 = run
        .stdout_text()
        .lines()
        .find_map(|l| l.strip_prefix("@n: "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(n >= 5, "{}", run.stdout_text());
}
