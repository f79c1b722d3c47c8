//! tracerun's run-time flags: `--probe-filter REGEX` (only matching probes are loaded
//! and attached; BEGIN/END always run), `--bench` (bench mode: `bench:` probes are
//! timed after BEGIN and reported as bpftrace reports them) and `--test` (test mode:
//! `test:` probes run once each and pass or fail).

use std::time::Duration;
use tracec_tests::{compile_text, kernel_or_skip, run_to_exit, scratch, Run};

#[test]
fn probe_filter_attaches_only_matching_probes() {
    let Some(_guard) = kernel_or_skip("probe_filter_attaches_only_matching_probes") else {
        return;
    };
    let run = run_to_exit(
        "probe_filter",
        r#"BEGIN { printf("begin\n"); }
           interval:ms:100 { printf("bad\n"); exit(); }
           interval:ms:200 { printf("hit\n"); exit(); }
           END { printf("end\n"); }"#,
        &["--probe-filter", ":200"],
    );
    assert!(
        run.stdout_text().starts_with("begin\nhit\nend\n"),
        "{}",
        run.stdout_text()
    );
    assert!(!run.stdout_text().contains("bad"));
    assert!(
        run.err_lines.iter().any(|l| l == "Attached 3 probes"),
        "{:?}",
        run.err_lines
    );
}

#[test]
fn bench_mode_times_each_benchmark_in_order() {
    let Some(_guard) = kernel_or_skip("bench_mode_times_each_benchmark_in_order") else {
        return;
    };
    let run = run_to_exit(
        "bench_mode",
        r#"BEGIN { printf("begin\n"); }
           bench:first { @a = count(); }
           bench:second { @b++; }
           interval:s:100 { printf("never\n"); }
           END { printf("end\n"); clear(@a); clear(@b); }"#,
        &["--bench"],
    );
    let out = run.out_lines.clone();
    assert_eq!(out[0], "begin");
    assert_eq!(
        out[1],
        "Benchmark                                Time(ns)       Iterations"
    );
    assert_eq!(out[2], "-".repeat(66));
    for (line, name) in out[3..5].iter().zip(["first", "second"]) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.len(), 3, "{line}");
        assert_eq!(words[0], name);
        assert!(words[1].parse::<u64>().is_ok_and(|ns| ns > 0), "{line}");
        assert!(words[2].parse::<u64>().is_ok_and(|n| n > 0), "{line}");
    }
    assert_eq!(out[5], "end");
    assert!(!run.stdout_text().contains("never"));
}

#[test]
fn helper_checks_warn_about_missing_map_elements() {
    let Some(_guard) = kernel_or_skip("helper_checks_warn_about_missing_map_elements") else {
        return;
    };
    let dir = tracec_tests::scratch("helper_checks");
    let obj = dir.join("k.o");
    let script = r#"i:ms:10 { @[1] = 1; printf("%d\n", @[2]); exit(); }"#;
    let o = tracec_tests::tracec(&["-k", "-e", script, "-o", obj.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut run = tracec_tests::Run::start(&obj, &[]);
    assert_eq!(run.finish(std::time::Duration::from_secs(20)), Some(0));
    let warning = [
        "stdin:1:36-40: WARNING: Can't lookup map element because it does not exist.",
        "Additional Info - helper: map_lookup_elem, retcode: 0",
        script,
        "                                   ~~~~",
    ];
    let at = run
        .err_lines
        .iter()
        .position(|l| l == warning[0])
        .unwrap_or_else(|| panic!("{:?}", run.err_lines));
    assert_eq!(run.err_lines[at..at + 4], warning);
    assert!(
        run.stdout_text().starts_with("0\n"),
        "{}",
        run.stdout_text()
    );
    // Without -k the same read is silent.
    let plain = run_to_exit("helper_checks_off", script, &[]);
    assert!(!plain.err_lines.iter().any(|l| l.contains("WARNING")));
}

/// `--test`: each `test:` probe runs once after BEGIN; a return value, an `errorf` or
/// `exit(N)` fails it, and only a failure's output is shown; exit status 1.
#[test]
fn test_mode_runs_each_test_and_reports_failures() {
    let Some(_guard) = kernel_or_skip("test_mode_runs_each_test_and_reports_failures") else {
        return;
    };
    let dir = scratch("test_mode");
    let obj = compile_text(
        &dir,
        "t",
        r#"BEGIN { printf("begin\n"); @m[1] = 1; @m[2] = 2; }
           test:okay { print("hidden"); }
           test:returns { print("shown"); return 1; }
           test:from_loop { for ($kv : @m) { if ($kv.0 == 2) { return 3; } } }
           test:errs { errorf("bad %d", 5); }
           test:exits_zero { exit(); }
           interval:s:100 { printf("never\n"); }
           END { printf("end\n"); clear(@m); }"#,
    );
    let mut run = Run::start(&obj, &["--test"]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(1));
    let plain = run
        .stdout_text()
        .replace("\x1b[32m", "")
        .replace("\x1b[31m", "")
        .replace("\x1b[0m", "");
    let lines: Vec<&str> = plain.lines().collect();
    let strip_time = |l: &str| l.split(" (").next().unwrap_or(l).to_string();
    // errorf's location names the script file: keep the message only.
    let got: Vec<String> = lines
        .iter()
        .map(|l| strip_time(l))
        .map(|l| match l.find("ERROR: ") {
            Some(i) => l[i..].to_string(),
            None => l,
        })
        .collect();
    assert_eq!(
        got[..18],
        [
            "begin",
            "[==========] Running 5 tests.",
            "[ RUN      ] okay",
            "[       OK ] okay",
            "[ RUN      ] returns",
            "shown",
            "[  FAILED  ] returns",
            "[ RUN      ] from_loop",
            "[  FAILED  ] from_loop",
            "[ RUN      ] errs",
            "ERROR: bad 5",
            "[  FAILED  ] errs",
            "[ RUN      ] exits_zero",
            "[       OK ] exits_zero",
            "[==========] 5 tests ran.",
            "[  PASSED  ] 2 tests.",
            "[  FAILED  ] 3 tests, listed below:",
            "[  FAILED  ] returns",
        ]
        .map(String::from),
        "{plain}"
    );
    assert!(lines.contains(&"end"), "{plain}");
    assert!(
        !plain.contains("never") && !plain.contains("hidden"),
        "{plain}"
    );
    // Timings in bpftrace's units.
    assert!(
        lines[3].ends_with(" ns)") || lines[3].ends_with(" us)") || lines[3].ends_with(" ms)"),
        "{}",
        lines[3]
    );
}
