//! C type names, `typeof`, `sizeof` of types and expressions, and integer / bool
//! arrays end to end, byte for byte as bpftrace prints them.

use tracec_tests::*;

const SCRIPT: &str = r#"
struct Foo { char m; }
macro sof(a, b) { sizeof(a[2]) + sizeof(b*) + sizeof(b) }
macro add(x) { let $y: typeof(x); if (true) { $y = 1 } x + $y }
BEGIN
{
  printf("%d %d %d %d %d\n", sizeof(uint64_t), sizeof(unsigned short), sizeof(char), sizeof(u32), sizeof(void *));
  printf("%d %d %d\n", sizeof(1 == 1), sizeof(int8[3]), sizeof(size_t));
  print(sof(typeof(uint64*), typeof(struct Foo)));
  print(add(1));
  let $s: typeof(size_t) = 7;
  $c = (uint8_t)0x1ff;
  $d = (char)0xff;
  $p = (void *)0;
  print(($s, $c, $d));
  printf("%x\n", ((int8[8])12345)[1]);
  print((int8[])"hi");
  @a = (bool[2])(uint16)1;
  @b = (uint16[2])(uint32)0x30002;
  exit();
}
"#;

const OUT: &str = "8 2 1 4 8
1 3 8
25
2
(7, 255, -1)
30
[104,105,0]


@a: [true,false]
@b: [2,3]
";

#[test]
fn type_names_and_arrays() {
    let Some(_k) = kernel_or_skip("type_names") else {
        return;
    };
    let run = run_to_exit("type_names", SCRIPT, &[]);
    assert_eq!(run.stdout_text(), OUT);
}

#[test]
fn arrays_in_json() {
    let Some(_k) = kernel_or_skip("type_names_json") else {
        return;
    };
    let run = run_to_exit(
        "type_names_json",
        "BEGIN { @a = (int8[4])(uint32)0x04030201; exit(); }",
        &["-f", "json"],
    );
    assert!(
        run.stdout_text()
            .contains(r#"{"type": "map", "data": {"@a": [1,2,3,4]}}"#),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn array_size_mismatch_is_an_error() {
    let dir = scratch("type_names_err");
    let src = dir.join("bad.bt");
    std::fs::write(&src, "BEGIN { $a = (int8[3])(uint32)1; }").unwrap();
    let out = tracec(&[
        src.to_str().unwrap(),
        "-o",
        dir.join("bad.o").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot cast a value of 4 bytes to int8[3]"),
        "{err}"
    );
}
