//! End to end: processes, signals, files and system calls.

use super::common::*;
use std::process::Command;

#[test]
fn proc_exec_prints_the_new_program() {
    let Some(mut p) = start("proc-exec", &[]) else {
        return;
    };
    let me = std::process::id().to_string();
    // `/bin/echo` is run by this test: its parent is us.
    p.trigger_until(
        || drop(sh("/bin/echo", &["hi"])),
        |l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() == 5 && f[2] == me && f[3] == "echo" && f[4] == "/bin/echo"
        },
    );
    let lines = p.stop();
    assert!(lines[0].starts_with("TIME     PID     PPID"), "{lines:?}");
}

#[test]
fn proc_exit_prints_code_and_signal() {
    let Some(mut p) = start("proc-exit", &[]) else {
        return;
    };
    let pids = std::cell::RefCell::new(Vec::new());
    p.trigger_until(
        || {
            let mut c = Command::new("sh").args(["-c", "exit 7"]).spawn().unwrap();
            pids.borrow_mut().push(c.id().to_string());
            c.wait().unwrap();
        },
        |l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() == 6 && pids.borrow().iter().any(|p| p == f[0]) && f[2] == "sh" && f[3] == "7"
        },
    );
    // A process killed by SIGKILL: code 0, signal 9.
    let mut c = Command::new("sleep").arg("10").spawn().unwrap();
    let pid = c.id().to_string();
    c.kill().unwrap();
    c.wait().unwrap();
    p.trigger_until(
        || {},
        |l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() == 6 && f[0] == pid && f[3] == "0" && f[4] == "9"
        },
    );
    p.stop();
}

#[test]
fn proc_forks_counts_by_parent_every_second() {
    let Some(mut p) = start("proc-forks", &[]) else {
        return;
    };
    for _ in 0..3 {
        sh("/bin/true", &[]);
    }
    p.wait_for(2.5, |l| l.starts_with("@total: "));
    let lines = p.stop();
    assert!(lines.iter().any(|l| l.starts_with("@forks[")), "{lines:?}");
}

#[test]
fn signals_shows_sender_target_and_filters_by_number() {
    let Some(mut p) = start("signals", &["--sig=10"]) else {
        return;
    };
    let mut child = Command::new("sleep").arg("10").spawn().unwrap();
    let target = child.id().to_string();
    // Signal it once it is `sleep` (after its exec), so that the target comm is known.
    let comm = format!("/proc/{target}/comm");
    let end = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::fs::read_to_string(&comm).unwrap_or_default().trim() != "sleep"
        && std::time::Instant::now() < end
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // SIGUSR1 (10) kills sleep; SIGCONT (18) is filtered out.
    unsafe { libc::kill(child.id() as i32, libc::SIGCONT) };
    unsafe { libc::kill(child.id() as i32, libc::SIGUSR1) };
    child.wait().unwrap();
    let me = std::process::id().to_string();
    p.trigger_until(
        || {},
        |l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() == 6 && f[0] == me && f[2] == "10" && f[3] == target && f[4] == "sleep"
        },
    );
    let lines = p.stop();
    assert_eq!(lines[0], "Tracing signal 10 only.");
    assert!(
        !lines
            .iter()
            .any(|l| l.split_whitespace().nth(2) == Some("18")),
        "{lines:?}"
    );
}

#[test]
fn file_opens_shows_fd_errno_and_path_for_one_pid() {
    let me = std::process::id().to_string();
    let Some(mut p) = start("file-opens", &[&me]) else {
        return;
    };
    let dir = tracec_tests::scratch("file-opens-target");
    let there = dir.join("here");
    std::fs::write(&there, "x").unwrap();
    let missing = dir.join("missing");
    let there_s = there.display().to_string();
    p.trigger_until(
        || drop(std::fs::File::open(&there)),
        |l| l.starts_with(&me) && l.ends_with(&format!("   0 {there_s}")),
    );
    let missing_s = missing.display().to_string();
    p.trigger_until(
        || drop(std::fs::File::open(&missing)),
        |l| l.starts_with(&me) && l.ends_with(&format!("-1   2 {missing_s}")),
    );
    // Other processes are filtered out by $1.
    sh("cat", &[&there_s]);
    let lines = p.stop();
    assert!(
        lines[1..]
            .iter()
            .filter(|l| !l.is_empty())
            .all(|l| l.starts_with(&me)),
        "{lines:?}"
    );
    assert_no_prefix(&lines, "@path[");
}

#[test]
fn file_open_counts_counts_by_comm_and_path() {
    let Some(p) = start("file-open-counts", &[]) else {
        return;
    };
    sh("cat", &["/etc/hostname"]);
    sh("cat", &["/etc/hostname"]);
    let lines = p.stop();
    let n = map_value(&lines, "@opens[cat, /etc/hostname]: ");
    assert!(n.is_some_and(|n| n >= 2), "{lines:?}");
}

#[test]
fn file_rw_bytes_sums_writes_by_comm() {
    let Some(mut p) = start("file-rw-bytes", &[]) else {
        return;
    };
    shell("head -c 100000 /dev/zero | cat > /dev/null");
    p.wait_for(2.8, |l| l.starts_with("@write_bytes[head]: "));
    let lines = p.stop();
    let n = map_value(&lines, "@write_bytes[head]: ").unwrap();
    assert!(n >= 100_000, "{lines:?}");
    assert!(map_value(&lines, "@read_bytes[cat]: ").is_some_and(|n| n >= 100_000));
}

#[test]
fn file_deletes_shows_files_and_directories() {
    let Some(mut p) = start("file-deletes", &[]) else {
        return;
    };
    let dir = tracec_tests::scratch("file-deletes-target");
    let f = dir.join("gone").display().to_string();
    let d = dir.join("gonedir").display().to_string();
    p.trigger_until(
        || {
            std::fs::write(&f, "x").unwrap();
            sh("rm", &[&f]);
        },
        |l| l.contains(" rm ") && l.ends_with(&format!(" {f}")),
    );
    p.trigger_until(
        || {
            std::fs::create_dir_all(&d).unwrap();
            sh("rmdir", &[&d]);
        },
        |l| l.contains(" rmdir ") && l.ends_with(&format!(" {d} (dir)")),
    );
    p.stop();
}

#[test]
fn file_renames_shows_old_and_new_path() {
    let Some(mut p) = start("file-renames", &[]) else {
        return;
    };
    let dir = tracec_tests::scratch("file-renames-target");
    let a = dir.join("a").display().to_string();
    let b = dir.join("b").display().to_string();
    p.trigger_until(
        || {
            std::fs::write(&a, "x").unwrap();
            sh("mv", &[&a, &b]);
        },
        |l| l.contains(" mv ") && l.ends_with(&format!(" {a} -> {b}")),
    );
    p.stop();
}

#[test]
fn file_syncs_shows_fsync_and_counts_by_comm() {
    let Some(mut p) = start("file-syncs", &[]) else {
        return;
    };
    let f = tracec_tests::scratch("file-syncs-target").join("f");
    std::fs::write(&f, "x").unwrap();
    let fs = f.display().to_string();
    p.trigger_until(
        || drop(sh("sync", &[&fs])),
        |l| l.contains(" sync ") && l.contains(" fsync fd="),
    );
    let lines = p.stop();
    assert!(
        map_value(&lines, "@calls[sync]: ").is_some_and(|n| n >= 1),
        "{lines:?}"
    );
}

#[test]
fn syscall_counts_names_calls_and_filters_by_comm() {
    let Some(p) = start("syscall-counts", &["--comm=cat"]) else {
        return;
    };
    sh("cat", &["/etc/hostname"]);
    let lines = p.stop();
    assert!(
        map_value(&lines, "@syscalls[257, openat]: ").is_some_and(|n| n >= 1),
        "{lines:?}"
    );
    assert_prefix(&lines, "@syscalls[0, read]: ");
    assert!(
        map_value(&lines, "@syscalls[231, exit_group]: ") == Some(1),
        "{lines:?}"
    );
}

#[test]
fn syscall_latency_histograms_one_pid() {
    let me = std::process::id();
    let Some(p) = start("syscall-latency", &[&me.to_string()]) else {
        return;
    };
    // This thread's nanosleep: about 50 ms, in the [32K, 64K) us bucket.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let lines = p.stop();
    assert_prefix(&lines, "@usecs[");
    assert!(
        lines.iter().any(|l| l.starts_with("[32K, 64K)")),
        "{lines:?}"
    );
    assert_no_prefix(&lines, "@start[");
}

#[test]
fn syscall_errors_counts_comm_number_and_errno() {
    let Some(p) = start("syscall-errors", &[]) else {
        return;
    };
    sh("cat", &["/no/such/file"]);
    let lines = p.stop();
    // openat (257) failing with ENOENT (2).
    assert!(
        map_value(&lines, "@errors[cat, 257, 2]: ").is_some_and(|n| n >= 1),
        "{lines:?}"
    );
}

#[test]
fn read_latency_histograms_reads_and_sizes() {
    let Some(p) = start("read-latency", &[]) else {
        return;
    };
    sh("head", &["-c", "20000", "/dev/urandom"]);
    let lines = p.stop();
    assert_prefix(&lines, "@read_us[head]:");
    let stats = lines
        .iter()
        .find(|l| l.starts_with("@bytes[head]: { .count = "))
        .unwrap_or_else(|| panic!("{lines:?}"));
    let total: u64 = stats
        .rsplit(".total = ")
        .next()
        .and_then(|t| t.trim_end_matches(" }").parse().ok())
        .unwrap();
    assert!(total >= 20_000, "{stats}");
    assert_no_prefix(&lines, "@start[");
}
