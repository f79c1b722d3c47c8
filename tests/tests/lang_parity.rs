//! Language parity with bpftrace (issue #3): map loop variables used whole, pointer
//! arithmetic, ternaries, diagnostics. Expected text as the pinned bpftrace reference
//! prints it.

use tracec_tests::*;

fn stdout_of(name: &str, script: &str) -> Option<String> {
    let _k = kernel_or_skip(name)?;
    Some(run_to_exit(name, script, &[]).stdout_text())
}

#[test]
fn map_loop_variable_is_a_tuple() {
    let Some(out) = stdout_of(
        "loop_kv_tuple",
        r#"BEGIN { @m[16, 17] = 32; @s["a"] = "x";
  for ($kv : @m) { print($kv); $y = $kv.0; print($y); }
  for ($kv : @s) { $t = $kv; print($t); }
  clear(@m); clear(@s); exit(); }"#,
    ) else {
        return;
    };
    assert!(
        out.starts_with("((16, 17), 32)\n(16, 17)\n(a, x)\n"),
        "{out}"
    );
}

#[test]
fn pointer_arithmetic_scales_by_the_pointee() {
    let Some(out) = stdout_of(
        "pointer_arith",
        r#"BEGIN { $a = (int32 *)0x32; $a += 2; print($a); $a++; print($a);
  print($a - 1); $c = (int8 *)0x10; $c--; print($c);
  @p = (int64 *)0x32; @p++; print(@p); clear(@p); exit(); }"#,
    ) else {
        return;
    };
    assert!(
        out.starts_with("0x3a\n0x3e\n0x3a\n0xf\n@p: 0x3a\n"),
        "{out}"
    );
}

#[test]
fn ternaries_of_bools_tuples_statements_and_elvis() {
    let Some(out) = stdout_of(
        "ternaries",
        r#"BEGIN { $b = nsecs ? true : false; print($b);
  nsecs ? printf("yes\n") : printf("no\n");
  $t = nsecs ? ("long string", "a") : ("b", "long string 2"); print($t);
  $x = 0; $y = $x ?: 7; $z = 3 ?: 9; print(($y, $z)); exit(); }"#,
    ) else {
        return;
    };
    assert!(
        out.starts_with("true\nyes\n(long string, a)\n(7, 3)\n"),
        "{out}"
    );
}

#[test]
fn unroll_count_from_a_parameter() {
    let Some(_k) = kernel_or_skip("unroll_param") else {
        return;
    };
    let dir = scratch("unroll_param");
    let obj = compile_text(
        &dir,
        "unroll_param",
        r#"BEGIN { $a = 1; unroll ($1) { $a = $a + 1; } printf("a=%d\n", $a); exit(); }"#,
    );
    for (arg, want) in [("10", "a=11"), ("0", "a=1"), ("500", "a=101")] {
        let mut run = Run::start_with_params(&obj, &[], &[arg]);
        assert_eq!(run.finish(std::time::Duration::from_secs(20)), Some(0));
        assert_eq!(run.stdout_text().lines().next(), Some(want), "$1 = {arg}");
    }
}

#[test]
fn bpftrace_style_diagnostics() {
    let o = tracec(&[
        "--format",
        "bpftrace",
        "-e",
        "BEGIN { unroll (101) { } }",
        "-o",
        "/dev/null",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("stdin:1:17-20: ERROR: unroll maximum value is 100"),
        "{err}"
    );
    let o = tracec(&["--format", "bpftrace", "no_such_script.bt"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err,
        "ERROR: failed to open file 'no_such_script.bt': No such file or directory\n"
    );
    let o = tracec(&[
        "--format",
        "bpftrace",
        "-e",
        "BEGIN { exit(); @a = 1; }",
        "-o",
        "/dev/null",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(": WARNING: Unreachable statement"), "{err}");
}

#[test]
fn delete_returns_whether_the_element_was_there() {
    let Some(out) = stdout_of(
        "delete_value",
        r#"BEGIN { @a[1] = 1; $x = delete(@a, 2); $y = delete(@a, 1);
  printf("%d %d\n", $x, $y); if (!delete(@a[1])) { printf("gone\n"); } exit(); }"#,
    ) else {
        return;
    };
    assert!(out.starts_with("0 1\ngone\n"), "{out}");
}

#[test]
fn string_indexing() {
    let Some(out) = stdout_of(
        "str_index",
        r#"BEGIN { $a = "foo"; $i = 1; $far = (uint64)100;
  printf("%c%c%c %d %d %d\n", $a[0], $a[$i], "xyz"[2], $a[3], $a[$far], $a[-1]); exit(); }"#,
    ) else {
        return;
    };
    assert!(out.starts_with("foz 0 0 0\n"), "{out}");
}

#[test]
fn division_by_a_run_time_zero_is_one_with_a_warning() {
    let Some(_k) = kernel_or_skip("div_zero") else {
        return;
    };
    let run = run_to_exit(
        "div_zero",
        "BEGIN { @z = 0; @one = 1; print(10 / @z); print(10 % @z); print(-7 / @one); clear(@z); clear(@one); exit(); }",
        &[],
    );
    assert!(
        run.stdout_text().starts_with("1\n1\n-7\n"),
        "{}",
        run.stdout_text()
    );
    let warning = "WARNING: Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result.";
    let all = format!("{}\n{}", run.stdout_text(), run.err_lines.join("\n"));
    assert_eq!(all.matches(warning).count(), 2, "{all}");
}
