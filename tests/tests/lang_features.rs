//! Language features of bpftrace's reference (issue #3): `tseries`, positional
//! bounds, and the other records of the runtime suite this file grew with.

use tracec_tests::*;

fn stdout_of(name: &str, script: &str, extra: &[&str]) -> Option<String> {
    let _k = kernel_or_skip(name)?;
    Some(run_to_exit(name, script, extra).stdout_text())
}

/// Run `script` with the parameters `params` until it exits; its stdout.
fn stdout_with_params(name: &str, script: &str, params: &[&str]) -> Option<String> {
    let _k = kernel_or_skip(name)?;
    let dir = scratch(name);
    let obj = compile_text(&dir, name, script);
    let mut run = Run::start_with_params(&obj, &[], params);
    let code = run.finish(std::time::Duration::from_secs(20));
    assert_eq!(code, Some(0), "{}", run.err_lines.join("\n"));
    Some(run.stdout_text())
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

#[test]
fn strncmp_length_from_a_parameter() {
    let script = r#"BEGIN { if (strncmp("hello", "hell", $1) == 0) { printf("ok\n"); } else { printf("differ\n"); } exit(); }"#;
    let Some(out) = stdout_with_params("strncmp_param_4", script, &["4"]) else {
        return;
    };
    assert_eq!(out.trim_end(), "ok");
    let Some(out) = stdout_with_params("strncmp_param_5", script, &["5"]) else {
        return;
    };
    assert_eq!(out.trim_end(), "differ");
}

#[test]
fn lhist_bounds_from_parameters() {
    let script = r#"BEGIN { @ = lhist(2500, $1, $2, $3); exit(); }"#;
    let Some(out) = stdout_with_params("lhist_param", script, &["0", "10000", "1000"]) else {
        return;
    };
    assert!(
        out.contains(
            "@:\n[2000, 3000)           1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
        ),
        "{out}"
    );
    // Bounds bpftrace's compiler would refuse are refused before loading.
    let Some(_k) = kernel_or_skip("lhist_param_bad") else {
        return;
    };
    let dir = scratch("lhist_param_bad");
    let obj = compile_text(&dir, "lhist_param_bad", script);
    let out = run_cmd(
        bin("tracerun").to_str().unwrap_or("tracerun"),
        &[obj.to_str().unwrap_or(""), "--", "0", "10", "0"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("lhist() step must be >= 1 (0 provided)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn buffers_compare_by_length_and_bytes() {
    let Some(out) = stdout_of(
        "buf_eq",
        r#"BEGIN { $a = buf("hi", 2); $b = buf("bye", 3); $c = buf("hi", 2); $d = buf("hx", 2);
  printf("%d %d %d %d %d\n", $a == $a, $a != $b, $a == $b, $a == $c, $a == $d); exit(); }"#,
        &[],
    ) else {
        return;
    };
    assert_eq!(out.trim_end(), "1 1 0 1 0");
}

#[test]
fn address_of_tuple_and_formatted_variables() {
    let Some(out) = stdout_of(
        "addr_of_values",
        r#"BEGIN { $a = (1, "hello", 2); print(*(&$a)); $p = &$a; $c = *$p; print($c.1);
  $u = username; $q = &$u; printf("user %s\n", *$q); exit(); }"#,
        &[],
    ) else {
        return;
    };
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("(1, hello, 2)"), "{out}");
    assert_eq!(lines.next(), Some("hello"), "{out}");
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("user ") && l.len() > 5),
        "{out}"
    );
}

#[test]
fn errorf_in_a_macro_names_the_call_site() {
    let Some(_k) = kernel_or_skip("errorf_macro") else {
        return;
    };
    let script = r#"macro bad() { errorf("Something bad"); } BEGIN { bad(); exit(); }"#;
    let run = run_to_exit("errorf_macro", script, &[]);
    let err = run.err_lines.join("\n");
    assert!(
        err.contains("stdin:1:15-38: ERROR: Something bad\nstdin:1:50-55: ERROR: expanded from\n")
            || err.contains(": ERROR: Something bad\n"),
        "{err}"
    );
    assert!(err.contains(": ERROR: expanded from\n"), "{err}");
    assert!(
        err.contains(&format!("{script}\n{}~~~~~", " ".repeat(49))),
        "{err}"
    );
}

#[test]
fn printf_format_from_a_macro() {
    let Some(out) = stdout_of(
        "printf_macro_format",
        r#"macro cpu() { "hi\n" } BEGIN { printf(cpu()); exit(); }"#,
        &[],
    ) else {
        return;
    };
    assert_eq!(out.trim_end(), "hi");
}

/// The diagnostics `tracec` prints for `script` (which must not compile).
fn compile_errors(name: &str, script: &str) -> String {
    let dir = scratch(name);
    let out_path = dir.join("out.o");
    let out = tracec(&["-e", script, "-o", out_path.to_str().unwrap_or("out.o")]);
    assert!(!out.status.success(), "{name} compiled");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn tseries_arguments_are_checked() {
    let err = compile_errors("tseries_interval", "BEGIN { @ = tseries(1, 0, 5); }");
    assert!(
        err.contains("tseries() interval_ns must be >= 1 (0 provided)"),
        "{err}"
    );
    let err = compile_errors("tseries_num", "BEGIN { @ = tseries(1, 1s, 0); }");
    assert!(
        err.contains("tseries() num_intervals must be >= 1 (0 provided)"),
        "{err}"
    );
    let err = compile_errors(
        "tseries_agg",
        r#"BEGIN { @ = tseries(1, 1s, 5, "median"); }"#,
    );
    assert!(
        err.contains("tseries() expects one of the following aggregation functions"),
        "{err}"
    );
    let err = compile_errors(
        "tseries_bounds",
        r#"BEGIN { @ = tseries(1, 1s, 5); @ = tseries(1, 1s, 5, "avg"); }"#,
    );
    assert!(
        err.contains("Different tseries bounds in a single map unsupported"),
        "{err}"
    );
    let err = compile_errors("tseries_arity", "BEGIN { @ = tseries(1, 1s); }");
    assert!(
        err.contains("tseries() takes 3 or 4 arguments, got 2"),
        "{err}"
    );
    let err = compile_errors(
        "lhist_param_var",
        "BEGIN { $m = 5; @ = lhist(1, 0, $1, $m); }",
    );
    assert!(
        err.contains("lhist(): step must be a constant integer"),
        "{err}"
    );
    let err = compile_errors(
        "strncmp_var",
        r#"BEGIN { $n = 2; print(strncmp("a", "b", $n)); }"#,
    );
    assert!(
        err.contains("strncmp(): the length must be an integer literal"),
        "{err}"
    );
}

#[test]
fn comparisons_are_booleans() {
    let Some(out) = stdout_of(
        "cmp_bool",
        r#"BEGIN { print({ $x = 1; print("bob"); $x > 1 }); $y = 2; print($y == 2);
  printf("%d %d\n", $y > 1, ($y > 1) + 1); print(!$y); print(sizeof(1 == 1)); exit(); }"#,
        &[],
    ) else {
        return;
    };
    assert!(
        out.starts_with("bob\nfalse\ntrue\n1 2\nfalse\n1\n"),
        "{out}"
    );
}

#[test]
fn struct_values_with_bitfields() {
    let Some(out) = stdout_of(
        "struct_bitfields",
        r#"struct foo { unsigned long long x_0:1; unsigned long long x_1:1; unsigned long long x_2:2; }
struct s { int a:3; int b:5; unsigned int c:4; }
BEGIN { $val = (uint64)0x1e; $f = *(struct foo *)(&$val); print($f);
  $v2 = (uint64)0xf85; $g = *(struct s *)(&$v2); print($g); printf("%d\n", $g.b); exit(); }"#,
        &[],
    ) else {
        return;
    };
    assert!(
        out.starts_with("{ .x_0 = 0, .x_1 = 1, .x_2 = 3 }\n{ .a = -3, .b = -16, .c = 15 }\n-16\n"),
        "{out}"
    );
}

#[test]
fn build_id_stacks() {
    let Some(out) = stdout_of(
        "build_id_stacks",
        r#"BEGIN { $a = (1, ustack); $b = (1, ustack(build_id)); $c = (1, ustack(build_id, 30));
  $d = (1, kstack); $e = (1, kstack(raw)); $f = (1, kstack(raw, 30)); printf("ok\n"); exit(); }"#,
        &[],
    ) else {
        return;
    };
    assert!(out.contains("ok\n"), "{out}");
    let err = compile_errors("kstack_build_id", "BEGIN { print(kstack(build_id)); }");
    assert!(
        err.contains("'build_id' stack mode can only be used for ustack"),
        "{err}"
    );
}

/// `==` / `!=` of tuples and records (language.md, "Relational operators"): field by
/// field after widening to the common layout, records by field name, nested tuples.
#[test]
fn tuples_compare_field_by_field() {
    let Some(out) = stdout_of(
        "tuple_compare",
        r#"BEGIN {
  $a = (1, "bye"); @b = (1, "bye"); $r = (x = 1, y = "s");
  printf("%d %d %d %d\n", $a == @b, $a != @b, $a == (1, "by"), $a == ((int8)1, "bye"));
  printf("%d %d %d\n", $a == (2, "bye"), (1, (2, "x")) == (1, (2, "x")), (1, (2, "x")) == (1, (2, "y")));
  printf("%d %d\n", $r == (y = "s", x = 1), $r != (x = 1, y = "t"));
  @m[1] = (comm, pid);
  printf("%d\n", @m[1] == (comm, pid));
  if ($a != @b) { printf("wrong\n"); }
  clear(@b); clear(@m); exit();
}"#,
        &[],
    ) else {
        return;
    };
    assert_eq!(out.trim_end(), "1 0 0 1\n0 1 0\n1 1\n1", "{out}");
}

/// `$s = str_concat(..., $s, ...)`: the variable is one of the parts it is built from.
#[test]
fn str_concat_into_one_of_its_parts() {
    let Some(out) = stdout_of(
        "str_concat_self",
        r#"BEGIN {
  $path = str_concat("var", "/");
  $path = str_concat("/", $path);
  $path = str_concat($path, "log/");
  $path = pid > 0 ? str_concat($path, "system.journal") : $path;
  printf("%s %d\n", $path, $path == "/var/log/system.journal");
  exit();
}"#,
        &[],
    ) else {
        return;
    };
    assert_eq!(out.trim_end(), "/var/log/system.journal 1", "{out}");
}
