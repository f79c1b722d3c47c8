//! bpftrace's integer types end to end: builtin widths, promotion of variables, map
//! values and `?:` branches, and the signedness of mixed operations, output compared
//! byte for byte with what bpftrace's rules give.

use std::time::Duration;
use tracec_tests::*;

const SCRIPT: &str = r#"
BEGIN
{
  printf("%d %d %d\n", sizeof(pid), sizeof(tid), sizeof(nsecs));
  printf("%d %d\n", sizeof((uint32)5 + (uint8)3), sizeof(1 < 2));
  $c = (int8)-1;
  $d = (uint64)1;
  printf("%d %d\n", $c < $d, (int8)-1 < (uint8)1);
  $a = (uint64)1;
  $a = -1;
  print($a);
  $u = (uint8)200;
  $u = (int8)-1;
  printf("%d %d\n", $u, sizeof($u));
  $t = nsecs ? (uint8)1 : (int32)-1;
  printf("%d %d\n", $t, sizeof($t));
  print((uint8)255 + 1);
  print((uint64)3 - (uint64)5);
  @m = (uint32)5;
  @m = -1;
  @p = (uint64)pid - (uint64)pid;
  @s = sizeof(@m);
  exit();
}
"#;

const OUT: &str = "4 4 8
8 1
1 1
-1
-1 2
1 4
256
-2


@m: -1
@p: 0
@s: 8
";

#[test]
fn integer_types_promote_like_bpftrace() {
    let Some(_k) = kernel_or_skip("int_types") else {
        return;
    };
    let dir = scratch("int_types");
    let obj = compile_text(&dir, "int_types", SCRIPT);
    let mut run = Run::start(&obj, &[]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    assert_eq!(run.stdout_text(), OUT);
}

/// `>>`, `/` and `%` on negative values: literal-only operations fold signed, the
/// program shifts logically and divides unsigned (as bpftrace's codegen does).
const OPS: &str = r#"
BEGIN
{
  $a = -8;
  $b = (int32)-8;
  print(-8 >> 1);
  print($a >> 1);
  print($b >> 1);
  print((int32)-8 >> 1);
  print(-8 / 3);
  print(-8 % 3);
  print($a / 3);
  print($a % 3);
  print((uint64)$b / 3);
  $c = (uint8)200;
  print($c >> 1);
  exit();
}
"#;

const OPS_OUT: &str = "-4
9223372036854775804
9223372036854775804
9223372036854775804
-2
-2
6148914691236517202
2
6148914691236517202
100


";

#[test]
fn shifts_and_divisions_of_negative_values_match_bpftrace() {
    let Some(_k) = kernel_or_skip("int_ops") else {
        return;
    };
    let dir = scratch("int_ops");
    let obj = compile_text(&dir, "int_ops", OPS);
    let mut run = Run::start(&obj, &[]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    assert_eq!(run.stdout_text(), OPS_OUT);
}

#[test]
fn signed_division_and_implicit_casts_warn_like_bpftrace() {
    let dir = scratch("int_ops_warn");
    let src = dir.join("w.bt");
    std::fs::write(
        &src,
        "BEGIN { @x = (uint64)1; @y = -1 / @x; $a = (uint64)1 + (int64)2; @z = (uint64)10 / 2; }\n",
    )
    .unwrap();
    let out = dir.join("w.o");
    let o = tracec(&[
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--format",
        "bpftrace",
    ]);
    assert!(o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    let warn = |loc: &str, msg: &str| format!("{}:{loc}: WARNING: {msg}\n", src.display());
    assert!(
        stderr.contains(&warn(
            "1:30-37",
            "signed operands for '/' can lead to undefined behavior (cast to unsigned to silence warning)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&warn(
            "1:35-37",
            "Expression of type: uint64 being cast to type: int64. This may cause unexpected \
             results. Use an explicit cast to suppress this warning."
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&warn(
            "1:44-53",
            "Expression of type: uint64 being cast to type: int64. This may cause unexpected \
             results. Use an explicit cast to suppress this warning."
        )),
        "{stderr}"
    );
    assert_eq!(stderr.matches("WARNING").count(), 3, "{stderr}");
}

/// Tuples take their elements' integer types (`pid` a uint32, `1` an int8);
/// aggregations of narrow and signed values print as bpftrace prints them.
const TUPLES_AGGS: &str = r#"
BEGIN
{
  printf("%d %d %d\n", sizeof((pid, 1)), sizeof((tid, (uint8)1, nsecs)), sizeof((1, 2)));
  $t = (pid, 1);
  $t = (3, -4);
  print($t);
  @s = sum((int8)-1);
  @s = sum((int8)-2);
  @x = max((uint8)200);
  @n = min((int8)-5);
  @a = avg((int8)-3);
  @st = stats((uint8)255);
  exit();
}
"#;

const TUPLES_AGGS_OUT: &str = "8 16 2
(3, -4)


@a: -3
@n: -5
@s: -3
@st: { .count = 1, .average = 255, .total = 255 }
@x: 200
";

#[test]
fn tuple_layouts_and_narrow_aggregations_match_bpftrace() {
    let Some(_k) = kernel_or_skip("int_tuples_aggs") else {
        return;
    };
    let dir = scratch("int_tuples_aggs");
    let obj = compile_text(&dir, "int_tuples_aggs", TUPLES_AGGS);
    let mut run = Run::start(&obj, &[]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    assert_eq!(run.stdout_text(), TUPLES_AGGS_OUT);
}
