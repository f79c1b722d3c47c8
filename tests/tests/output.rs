//! print(), zero(), hist/lhist/stats and `tracerun -f json` end to end on the kernel.

use tracec_tests::*;

#[test]
fn print_runs_in_order_with_printf() {
    let Some(_k) = kernel_or_skip("output_print") else {
        return;
    };
    let run = run_to_exit(
        "output-print",
        r#"BEGIN {
  @x[1] = 5; @x[2] = 3;
  printf("a\n"); print(@x); printf("b\n"); print(@x, 1); print(@x[1]);
  print("str"); print(-4); print(@empty);
  @s = stats(1); @s = stats(2); @s = stats(3); print(@s);
  zero(@x); print(@x); clear(@x); print(@x); printf("end\n");
  exit();
}
END { @empty = 2; }"#,
        &[],
    );
    assert_eq!(
        run.stdout_text(),
        "a\n@x[2]: 3\n@x[1]: 5\nb\n@x[1]: 5\n5\nstr\n-4\n@empty: 0\n\
@s: { .count = 3, .average = 2, .total = 6 }\n@x[1]: 0\n@x[2]: 0\nend\n\n\n\
@empty: 2\n@s: { .count = 3, .average = 2, .total = 6 }\n"
    );
}

#[test]
fn histograms_print_like_bpftrace() {
    let Some(_k) = kernel_or_skip("output_hist") else {
        return;
    };
    let run = run_to_exit(
        "output-hist",
        r#"BEGIN {
  @ = hist(-1); @ = hist(2); @ = hist(3); @ = hist(7); @ = hist(20);
  @l = lhist(2, 0, 10, 2); @l = lhist(3, 0, 10, 2); @l = lhist(7, 0, 10, 2);
  @l = lhist(-1, 0, 10, 2); @l = lhist(11, 0, 10, 2);
  @k["x"] = hist(1024, 1);
  exit();
}"#,
        &[],
    );
    let out = run.stdout_text();
    let expected_hist = "@:\n\
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
[0]                    0 |                                                    |\n\
[1]                    0 |                                                    |\n\
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
[8, 16)                0 |                                                    |\n\
[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\n";
    assert!(out.contains(expected_hist), "{out}");
    // hist(1024, 1): bucket 21 is [1024, 1536) (suffixes start at powers >= 2^10).
    assert!(out.contains("@k[x]:\n[1024, 1536)           1 |"), "{out}");
    assert!(
        out.contains(
            "[10, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
        ),
        "{out}"
    );
}

#[test]
fn json_output_is_ndjson() {
    let Some(_k) = kernel_or_skip("output_json") else {
        return;
    };
    let run = run_to_exit(
        "output-json",
        r#"BEGIN { printf("x %d\n", 1); @m["k"] = 2; @h = hist(2); print(7); exit(); }"#,
        &["-f", "json"],
    );
    let lines: Vec<serde_json::Value> = run
        .stdout_text()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            serde_json::json!({"type": "attached_probes", "count": 1, "data": {"probes": 1}}),
            serde_json::json!({"type": "printf", "data": "x 1\n"}),
            serde_json::json!({"type": "value", "data": 7}),
            serde_json::json!({"type": "hist", "data": {"@h": [{"min": 2, "max": 3, "count": 1}]}}),
            serde_json::json!({"type": "map", "data": {"@m": {"k": 2}}}),
        ]
    );
}
