//! Runtime behaviour end to end on the real kernel: maps printed at exit, interval and
//! profile probes firing, BEGIN/END order, exit(), signals, and teardown that leaves
//! no program, map or link behind.

use std::time::Duration;
use tracec_tests::*;

#[test]
fn begin_end_and_exit_run_in_order() {
    let Some(_k) = kernel_or_skip("begin_end") else {
        return;
    };
    let run = run_to_exit(
        "begin-end",
        r#"BEGIN { printf("first %d\n", 1); }
begin { printf("second\n"); exit(); }
END { printf("end %s\n", "done"); }"#,
        &[],
    );
    let lines: Vec<&str> = run
        .out_lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines, ["first 1", "second", "end done"]);
}

#[test]
fn a_script_of_only_begin_and_end_exits_after_begin() {
    let Some(_k) = kernel_or_skip("begin_only") else {
        return;
    };
    // No exit(): with nothing to attach, the session ends after BEGIN, runs END and
    // prints the maps (run_to_exit fails if it has not exited within 20 s).
    let run = run_to_exit(
        "begin-only",
        "BEGIN { printf(\"hi\\n\"); @n = 7; } END { printf(\"bye\\n\"); }",
        &[],
    );
    assert_eq!(run.stdout_text(), "hi\nbye\n\n\n@n: 7\n");
}

#[test]
fn maps_print_at_exit() {
    let Some(_k) = kernel_or_skip("maps_exit") else {
        return;
    };
    let run = run_to_exit(
        "maps",
        r#"BEGIN {
  @a = 1;
  @b[2, "x"] = 3;
  @c = count(); @c = count();
  @s[1] = sum(5); @s[1] = sum(-8);
  @mn = min(4); @mn = min(-2);
  @mx = max(9); @mx = max(3);
  @v = avg(7); @v = avg(2);
  exit();
}"#,
        &[],
    );
    let out = run.stdout_text();
    for want in [
        "@a: 1",
        "@b[2, x]: 3",
        "@c: 2",
        "@s[1]: -3",
        "@mn: -2",
        "@mx: 9",
        "@v: 4",
    ] {
        assert!(
            out.lines().any(|l| l == want),
            "missing {want:?} in:\n{out}"
        );
    }
}

#[test]
fn interval_fires_and_exits() {
    let Some(_k) = kernel_or_skip("interval") else {
        return;
    };
    let run = run_to_exit(
        "interval",
        r#"interval:ms:100 { printf("tick\n"); }
interval:ms:550 { exit(); }"#,
        &[],
    );
    let ticks = run.out_lines.iter().filter(|l| *l == "tick").count();
    assert!(
        (3..=7).contains(&ticks),
        "{ticks} ticks:\n{}",
        run.stdout_text()
    );
}

#[test]
fn profile_samples_every_cpu() {
    let Some(_k) = kernel_or_skip("profile") else {
        return;
    };
    let run = run_to_exit(
        "profile",
        r#"profile:hz:99 { @samples[cpu] = count(); }
interval:s:1 { exit(); }"#,
        &["-q"],
    );
    assert!(run.err_lines.iter().all(|l| !l.starts_with("Attached")));
    let samples: Vec<&String> = run
        .out_lines
        .iter()
        .filter(|l| l.starts_with("@samples["))
        .collect();
    assert!(!samples.is_empty(), "{}", run.stdout_text());
}

#[test]
fn sigint_prints_maps_and_leaves_nothing_behind() {
    let Some(_k) = kernel_or_skip("teardown") else {
        return;
    };
    let progs_before: Vec<u64> = loaded_progs().iter().map(|p| p.id).collect();
    let dir = scratch("teardown");
    let obj = compile_text(
        &dir,
        "teardown",
        r#"tracepoint:syscalls:sys_enter_getpid { @calls[comm] = count(); }
interval:ms:50 { @t = count(); }
END { printf("bye\n"); }"#,
    );
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    assert!(
        run.err_lines.iter().any(|l| l == "Attached 3 probes"),
        "{:?}",
        run.err_lines
    );
    // What this run loaded: new programs and maps carrying our names (other BPF users on
    // the machine may come and go meanwhile).
    let attached: Vec<KernelObject> = loaded_progs()
        .into_iter()
        .filter(|p| !progs_before.contains(&p.id))
        .filter(|p| p.name.starts_with("tracepoint_") || p.name.starts_with("interval_"))
        .collect();
    assert_eq!(attached.len(), 2, "attached programs: {:?}", loaded_progs());
    let ours: Vec<u64> = attached.iter().map(|p| p.id).collect();
    let our_maps: Vec<u64> = attached.iter().flat_map(|p| p.map_ids.clone()).collect();
    assert!(!our_maps.is_empty(), "{attached:?}");
    assert!(
        loaded_links()
            .iter()
            .any(|l| l.prog.is_some_and(|p| ours.contains(&p))),
        "no link holds our programs: {:?}",
        loaded_links()
    );
    std::thread::sleep(Duration::from_millis(300));
    run.signal(libc::SIGINT);
    assert_eq!(run.finish(Duration::from_secs(10)), Some(0));
    assert!(
        run.out_lines.iter().any(|l| l == "bye"),
        "{}",
        run.stdout_text()
    );
    assert!(
        run.out_lines.iter().any(|l| l.starts_with("@t: ")),
        "{}",
        run.stdout_text()
    );
    assert_eventually_none(
        || {
            loaded_progs()
                .into_iter()
                .filter(|p| {
                    ours.contains(&p.id)
                        || (!progs_before.contains(&p.id) && p.name.starts_with("END_"))
                })
                .collect()
        },
        "programs",
    );
    assert_eventually_none(
        || {
            loaded_links()
                .into_iter()
                .filter(|l| l.prog.is_some_and(|p| ours.contains(&p)))
                .collect()
        },
        "links",
    );
    assert_eventually_none(
        || {
            loaded_maps()
                .into_iter()
                .filter(|m| our_maps.contains(&m.id))
                .collect()
        },
        "maps",
    );
}

/// A probe that queues slow events (system() for every context switch, each of which
/// switches context again) must not hold off SIGINT: tracerun looks for the signal between
/// batches of events, drops the rest, and runs END.
#[test]
fn sigint_ends_a_session_flooded_with_slow_events() {
    let Some(_k) = kernel_or_skip("sigint_flood") else {
        return;
    };
    let dir = scratch("sigint_flood");
    let src = dir.join("flood.bt");
    std::fs::write(
        &src,
        r#"tracepoint:sched:sched_switch { system("echo foo"); } END { printf("end\n"); }"#,
    )
    .unwrap();
    let obj = dir.join("flood.o");
    let o = tracec(&[
        src.to_str().unwrap(),
        "--unsafe",
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut run = Run::start(&obj, &["--unsafe"]);
    run.wait_attached();
    std::thread::sleep(Duration::from_millis(1500));
    run.signal(libc::SIGINT);
    assert_eq!(
        run.finish(Duration::from_secs(5)),
        Some(0),
        "{}",
        run.stdout_text()
    );
    assert!(
        run.out_lines.iter().any(|l| l == "end"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn output_file_option() {
    let Some(_k) = kernel_or_skip("output_file") else {
        return;
    };
    let dir = scratch("outfile");
    let out = dir.join("out.txt");
    let run = run_to_exit(
        "outfile",
        r#"BEGIN { printf("to file %s\n", "ok"); exit(); }"#,
        &["-o", out.to_str().unwrap()],
    );
    assert!(
        run.out_lines.iter().all(|l| l.is_empty()),
        "{:?}",
        run.out_lines
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.lines().any(|l| l == "to file ok"), "{text}");
}

/// When the reader falls behind, the ringbuf overflows: every dropped event is counted
/// and reported, none is lost silently.
#[test]
fn overflow_is_reported_as_lost_events() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let Some(_k) = kernel_or_skip("lost_events") else {
        return;
    };
    let dir = scratch("lost");
    let obj = compile_text(
        &dir,
        "lost",
        r#"tracepoint:syscalls:sys_enter_getpid / pid == $PID / { printf("%s %d %s\n", comm, tid, comm); }"#
            .replace("$PID", &std::process::id().to_string())
            .as_str(),
    );
    let mut child = Command::new(bin("tracerun"))
        .arg(&obj)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let attached = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_eq!(attached, "Attached 1 probe");
    // Nobody reads stdout yet: the pipe fills, tracerun blocks, the ringbuf overflows.
    const CALLS: usize = 300_000;
    for _ in 0..CALLS {
        // SAFETY: getpid has no preconditions.
        unsafe {
            libc::syscall(libc::SYS_getpid);
        }
    }
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let reader = std::thread::spawn(move || {
        stdout
            .lines()
            .map_while(Result::ok)
            .filter(|l| l.contains(' '))
            .count()
    });
    std::thread::sleep(Duration::from_secs(1));
    // SAFETY: kill on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    assert!(child.wait().unwrap().success());
    let printed = reader.join().unwrap();
    let lost: usize = rx
        .try_iter()
        .filter_map(|l| {
            l.strip_prefix("Lost ")?
                .strip_suffix(" events")?
                .parse::<usize>()
                .ok()
        })
        .sum();
    assert!(lost > 0, "nothing lost? printed {printed}");
    // Events still in the ringbuf when SIGINT arrived are dropped by design, so the
    // two add up to at most CALLS; the overflow itself must be accounted for.
    assert!(
        printed + lost <= CALLS,
        "printed {printed} + lost {lost} > {CALLS}"
    );
    assert!(
        lost >= CALLS / 2,
        "printed {printed}, lost {lost} of {CALLS}"
    );
}
