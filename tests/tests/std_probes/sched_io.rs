//! End to end: scheduler, CPU sampling, block I/O and the per-second summary.

use super::common::*;

#[test]
fn runq_latency_prints_a_histogram() {
    let Some(p) = start("runq-latency", &[]) else {
        return;
    };
    sh("sleep", &["0.2"]);
    let lines = p.stop();
    let at = lines.iter().position(|l| l == "@runq_us:");
    let at = at.unwrap_or_else(|| panic!("{lines:?}"));
    assert!(lines[at + 1].starts_with('['), "{lines:?}");
    assert_no_prefix(&lines, "@queued[");
}

#[test]
fn offcpu_time_sums_blocked_time_by_comm() {
    let Some(p) = start("offcpu-time", &[]) else {
        return;
    };
    sh("sleep", &["0.3"]);
    let lines = p.stop();
    // sleep spends at least its 300 ms off CPU.
    let us = map_value(&lines, "@offcpu_us[sleep]: ");
    assert!(us.is_some_and(|us| us >= 250_000), "{lines:?}");
    assert_no_prefix(&lines, "@off[");
}

#[test]
fn ctx_switches_prints_both_kinds_each_second_and_top_five() {
    let Some(mut p) = start("ctx-switches", &[]) else {
        return;
    };
    p.wait_for(2.5, |l| l.starts_with("@switches[voluntary]: "));
    let lines = p.stop();
    let top = lines
        .iter()
        .position(|l| l == "Top 5 switched-out processes:")
        .unwrap_or_else(|| panic!("{lines:?}"));
    let shown = lines[top + 1..]
        .iter()
        .filter(|l| l.starts_with("@by_comm["))
        .count();
    assert!((1..=5).contains(&shown), "{lines:?}");
    // END detached the probes before clearing: no map comes back at exit.
    assert!(
        lines[top + 1..]
            .iter()
            .all(|l| l.is_empty() || l.starts_with("@by_comm[")),
        "{lines:?}"
    );
    assert!(
        lines[top + 1 + shown..].iter().all(|l| l.is_empty()),
        "{lines:?}"
    );
}

#[test]
fn cpu_migrations_counts_a_forced_move() {
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("skipping cpu_migrations: one CPU");
        return;
    }
    let Some(p) = start("cpu-migrations", &[]) else {
        return;
    };
    // Pinned to CPU 0, then re-pinned to CPU 1: the kernel migrates the task.
    for _ in 0..3 {
        sh("taskset", &["-c", "0", "taskset", "-c", "1", "true"]);
    }
    let lines = p.stop();
    assert_prefix(&lines, "@migrations[taskset, 0, 1]: ");
}

#[test]
fn sched_wakeups_counts_waker_and_wakee() {
    let Some(p) = start("sched-wakeups", &[]) else {
        return;
    };
    // Three times: a wakeup that comes while a BPF program already runs on that CPU
    // (a busy machine) is not traced, as the kernel does not nest programs.
    for _ in 0..3 {
        sh("sleep", &["0.1"]);
    }
    let lines = p.stop();
    // The timer wakes sleep; sleep's exit wakes its parent (this test).
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("@wakeups[") && l.contains(", sleep]: ")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("@wakeups[sleep, ")),
        "{lines:?}"
    );
}

#[test]
fn bio_latency_histograms_writes_by_disk() {
    let Some(p) = start("bio-latency", &[]) else {
        return;
    };
    let f = disk_file("bio-latency");
    direct_write(&f);
    let lines = p.stop();
    let _ = std::fs::remove_file(&f);
    // @usecs[MAJOR, MINOR, RWBS]: a write flag in some key.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("@usecs[") && l.contains(", W")),
        "{lines:?}"
    );
    assert_no_prefix(&lines, "@issued[");
}

#[test]
fn bio_sizes_histograms_the_issuer() {
    let Some(p) = start("bio-sizes", &[]) else {
        return;
    };
    let f = disk_file("bio-sizes");
    direct_write(&f);
    let lines = p.stop();
    let _ = std::fs::remove_file(&f);
    let at = lines
        .iter()
        .position(|l| l == "@bytes[dd]:")
        .unwrap_or_else(|| panic!("{lines:?}"));
    // 16 KiB writes.
    assert!(
        lines[at + 1..]
            .iter()
            .take_while(|l| l.starts_with('['))
            .any(|l| l.starts_with("[16K, 32K)")),
        "{lines:?}"
    );
}

#[test]
fn bio_trace_prints_each_write_of_dd() {
    let Some(mut p) = start("bio-trace", &[]) else {
        return;
    };
    let f = disk_file("bio-trace");
    p.trigger_until(
        || direct_write(&f),
        |l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.len() == 7 && w[1] == "dd" && w[3].starts_with('W') && w[5] == "16384"
        },
    );
    let lines = p.stop();
    let _ = std::fs::remove_file(&f);
    assert_no_prefix(&lines, "@start[");
    assert_no_prefix(&lines, "@who[");
}

#[test]
fn oncpu_comm_samples_a_busy_process() {
    let Some(p) = start("oncpu-comm", &[]) else {
        return;
    };
    // Keep a CPU busy for 300 ms in a shell loop.
    shell("end=$(($(date +%s%N) + 300000000)); while [ $(date +%s%N) -lt $end ]; do :; done");
    let lines = p.stop();
    assert_eq!(
        lines[0],
        "Sampling on-CPU commands at 99 Hz... Hit Ctrl-C to end."
    );
    assert_prefix(&lines, "@samples[");
}

#[test]
fn sys_summary_prints_counters_each_second() {
    let Some(mut p) = start("sys-summary", &[]) else {
        return;
    };
    sh("/bin/true", &[]);
    p.wait_for(2.5, |l| l.starts_with("@events[exec]: "));
    let lines = p.stop();
    assert_prefix(&lines, "@events[syscall]: ");
    assert_prefix(&lines, "@events[ctxsw]: ");
}
