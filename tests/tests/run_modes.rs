//! tracerun's run-time flags: `--probe-filter REGEX` (only matching probes are loaded
//! and attached; BEGIN/END always run) and `--bench` (bench mode: `bench:` probes are
//! timed after BEGIN and reported as bpftrace reports them).

use tracec_tests::{kernel_or_skip, run_to_exit};

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
