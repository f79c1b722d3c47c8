//! End to end: a watchpoint in a `-p`/`-c` process covers every thread: those that
//! exist when it is set (one breakpoint event per thread) and those created later
//! (inherited events); and an execution breakpoint fires on a call. The programs are
//! the conformance stand-ins of `tests/testprogs/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tracec_tests::*;

fn build(dir: &Path, name: &str) -> Option<PathBuf> {
    let src = workspace().join(format!("tests/testprogs/{name}.c"));
    build_c_file(&src, &dir.join(name), &["-O0", "-pthread"])
}

const WRITE: &str = r#"watchpoint:0x10000000:1:w { printf("hit %s\n", probe); exit() }"#;

#[test]
fn a_thread_created_later_hits_the_watchpoint() {
    let Some(_k) = kernel_or_skip("watchpoint_new_thread") else {
        return;
    };
    let dir = scratch("watchpoint-new-thread-bin");
    let Some(bin) = build(&dir, "watchpoint_threaded") else {
        return;
    };
    let cmd = format!("{} 1", bin.display());
    let run = run_to_exit("watchpoint-new-thread", WRITE, &["-c", &cmd]);
    assert_eq!(
        run.stdout_text().trim(),
        format!("hit watchpoint:{}:268435456:1:w", bin.display())
    );
}

#[test]
fn an_existing_thread_hits_the_watchpoint() {
    let Some(_k) = kernel_or_skip("watchpoint_old_thread") else {
        return;
    };
    let dir = scratch("watchpoint-old-thread-bin");
    let Some(bin) = build(&dir, "watchpoint_threaded") else {
        return;
    };
    let mut target = Command::new(&bin)
        .stdout(Stdio::null())
        .spawn()
        .expect("start the threaded program");
    // Its writer thread exists once the process has two tasks.
    let tasks = format!("/proc/{}/task", target.id());
    for _ in 0..300 {
        if std::fs::read_dir(&tasks).is_ok_and(|d| d.count() >= 2) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = target.id().to_string();
    let run = run_to_exit("watchpoint-old-thread", WRITE, &["-p", &pid]);
    let _ = target.kill();
    let _ = target.wait();
    assert_eq!(
        run.stdout_text().trim(),
        format!("hit watchpoint:/proc/{pid}/exe:268435456:1:w")
    );
}

#[test]
fn a_call_hits_an_execution_breakpoint() {
    let Some(_k) = kernel_or_skip("watchpoint_exec") else {
        return;
    };
    let dir = scratch("watchpoint-exec-bin");
    let Some(bin) = build(&dir, "watchpoint_exec") else {
        return;
    };
    let run = run_to_exit(
        "watchpoint-exec",
        r#"watchpoint:0x10000000:1:x { printf("hit\n"); exit() }"#,
        &["-c", bin.to_str().unwrap()],
    );
    assert_eq!(run.stdout_text().trim(), "hit");
}
