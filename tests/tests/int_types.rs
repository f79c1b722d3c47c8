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
