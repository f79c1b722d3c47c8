//! Tuples, records, bools and `sizeof` end to end, output compared byte for byte
//! with the text the pinned bpftrace reference prints.

use std::time::Duration;
use tracec_tests::*;

const TYPES: &str = r#"
BEGIN
{
  $t = ((int8)-100, "abc", (5, (uint16)600), true);
  printf("%d %s %d %d\n", $t.0, $t.1, $t.2.0, $t.2.1);
  print($t);
  print(sizeof($t)); // the variable's type over the whole probe: string[14]
  print(sizeof(uint16));
  $t = (1, "longer string", (7, 8), false);
  print($t);
  print($t[1 + 2]);
  $r = (a = 1, b = "x");
  $r = (b = "yz", a = 2);
  print($r);
  print($r.b);
  print(strcontains("hello", "ell"));
  @k[(1, "a")] = (true, 3);
  @k[(2, "b")] = (false, 4);
  $key = (3, "c");
  @k[$key] = (true, 5);
  @b[true] = false;
  exit();
}
"#;

const TYPES_OUT: &str = "-100 abc 5 600
(-100, abc, (5, 600), true)
22
2
(1, longer string, (7, 8), false)
false
{ .a = 2, .b = yz }
yz
true


@b[true]: false
@k[1, a]: (true, 3)
@k[2, b]: (false, 4)
@k[3, c]: (true, 5)
";

#[test]
fn tuples_records_and_bools_print_exactly() {
    let Some(_k) = kernel_or_skip("types") else {
        return;
    };
    let dir = scratch("types");
    let obj = compile_text(&dir, "types", TYPES);
    let mut run = Run::start(&obj, &[]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    assert_eq!(run.stdout_text(), TYPES_OUT);
}

#[test]
fn tuple_misuse_is_reported() {
    let dir = scratch("types_errors");
    let cases = [
        ("BEGIN { $t = (1, 2); print($t.5); }", "out of range"),
        (
            "BEGIN { $t = (1, 2); $i = 1; print($t[$i]); }",
            "constant integer",
        ),
        ("BEGIN { $r = (a = 1); print($r.b); }", "no field 'b'"),
        ("BEGIN { $t = (1, 2); $t = (1, 2, 3); }", "cannot assign"),
        ("BEGIN { $r = (a = 1, a = 2); }", "given twice"),
    ];
    for (src, want) in cases {
        let path = dir.join("bad.bt");
        std::fs::write(&path, src).unwrap();
        let out = tracec(&[
            path.to_str().unwrap(),
            "-o",
            dir.join("bad.o").to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{src} compiled");
        assert!(err.contains(want), "{src}: {err}");
    }
}
