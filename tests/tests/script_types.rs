//! Script-defined C types (structs, unions, enums, typedefs at top level) end to
//! end: layouts, `sizeof`/`offsetof`, field reads without CO-RE, and enum values
//! printed as their enumerators, byte for byte as bpftrace prints them.

use tracec_tests::*;

const SCRIPT: &str = r#"
struct Foo { int x; char c; }
struct packed { int x; char y; int z; } /* comment */ __attribute__ ((packed))
struct Outer { int a; struct Inner { short s; long l; } in; } ;
enum Color { RED = 1, GREEN, BLUE = 10 };
enum { LONELY = 333 };
BEGIN
{
  printf("%d %d %d\n", sizeof(struct Foo), sizeof(struct packed), sizeof(struct Outer));
  printf("%d %d\n", offsetof(struct Outer, in), offsetof(struct Outer, in.l));
  printf("%d %s %s %d\n", GREEN, GREEN, BLUE, BLUE + 1);
  $c = (enum Color)2;
  $u = (enum Color)5;
  printf("%s %s|%-6s|\n", $c, $u, RED);
  @m[RED] = GREEN;
  @t = (LONELY, BLUE);
  print(LONELY);
  exit();
}
"#;

const OUT: &str = "8 9 24
8 16
2 GREEN BLUE 11
GREEN 5|RED   |
LONELY


@m[RED]: GREEN
@t: (LONELY, BLUE)
";

#[test]
fn script_types_layout_and_enum_names() {
    let Some(_k) = kernel_or_skip("script_types") else {
        return;
    };
    let run = run_to_exit("script_types", SCRIPT, &[]);
    assert_eq!(run.stdout_text(), OUT);
}

#[test]
fn json_output_keeps_enums_as_numbers() {
    let Some(_k) = kernel_or_skip("script_types_json") else {
        return;
    };
    let run = run_to_exit(
        "script_types_json",
        "enum { FOO = 333 }; BEGIN { $f = FOO; print($f); printf(\"%s\\n\", FOO); exit() }",
        &["-f", "json"],
    );
    let text = run.stdout_text();
    assert!(text.contains(r#"{"type": "value", "data": 333}"#), "{text}");
    assert!(text.contains(r#""data": "FOO\n""#), "{text}");
}

#[test]
fn bad_definitions_are_reported() {
    let dir = scratch("script_types_bad");
    let src = dir.join("bad.bt");
    std::fs::write(&src, "struct A { struct missing m; } BEGIN { exit() }").unwrap();
    let out = tracec(&[
        src.to_str().unwrap(),
        "-o",
        dir.join("bad.o").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("field has incomplete type 'struct missing'"),
        "{err}"
    );
}
