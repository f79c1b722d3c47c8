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
