//! Language features of bpftrace's reference (issue #3): `tseries`, positional
//! bounds, and the other records of the runtime suite this file grew with.

use tracec_tests::*;

fn stdout_of(name: &str, script: &str, extra: &[&str]) -> Option<String> {
    let _k = kernel_or_skip(name)?;
    Some(run_to_exit(name, script, extra).stdout_text())
}

#[test]
fn tseries_prints_the_current_interval() {
    let Some(out) = stdout_of(
        "tseries_text",
        r#"BEGIN { $i = 0; while ($i < 4) { @s = tseries($i, 1s, 3, "sum"); @m["k"] = tseries(-$i, 1s, 2, "min"); $i++; }
  @l = tseries(5, 1s, 2); @gone = tseries(1, 1ms, 5); clear(@gone); exit(); }"#,
        &[],
    ) else {
        return;
    };
    assert!(!out.contains("@gone"), "{out}");
    assert!(out.contains("@m[k]:\n"), "{out}");
    // One interval each (all writes within a second, unless it ticked over).
    let rows: Vec<&str> = out.lines().filter(|l| l.ends_with(" 6")).collect();
    assert!(!rows.is_empty() || out.contains("| 3"), "{out}");
    assert!(out.contains("hh:mm:ss"), "{out}");
    assert!(out.contains("| -3\n") || out.contains("| -2\n"), "{out}");
    assert!(out.contains("* 5\n") || out.contains("| 5\n"), "{out}");
}

#[test]
fn tseries_json() {
    let Some(out) = stdout_of(
        "tseries_json",
        r#"BEGIN { @a = tseries(7, 10s, 5, "max"); exit(); }"#,
        &["-f", "json"],
    ) else {
        return;
    };
    assert!(
        out.contains(r#"{"type": "tseries", "data": {"@a": [{"interval_start":""#),
        "{out}"
    );
    assert!(out.contains(r#"0000000","value":7}]}}"#), "{out}");
}
