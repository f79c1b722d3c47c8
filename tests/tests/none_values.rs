//! Struct values with members of a type the language has no value for (floats):
//! bpftrace's "none" values, printed `null` in text and JSON output.

use tracec_tests::*;

const PROG: &str = r#"
union N { int i; float f; };
struct Foo { int m; union N n; double d; };
__attribute__((noinline)) int func(struct Foo *foo) { return foo->m; }
int main(void) {
  struct Foo foo = { 2, { 0 }, 1.5 };
  foo.n.i = 5;
  return func(&foo) - 2;
}
"#;

#[test]
fn float_members_print_null() {
    let dir = scratch("none_values");
    let Some(bin) = build_c(&dir, "prog", PROG, &["-g", "-O0"]) else {
        return;
    };
    let p = bin.to_str().unwrap();
    let script = format!(
        "union N {{ int i; float f; }}; struct Foo {{ int m; union N n; double d; }};
uprobe:{p}:func {{ print(*((struct Foo *) arg0)); exit(); }}"
    );
    let obj = compile_text(&dir, "none_values", &script);
    let Some(_k) = kernel_or_skip("float_members_print_null") else {
        return;
    };
    let out = run_object_to_exit(&obj, &["-q", "-c", p]).stdout_text();
    assert!(
        out.contains("{ .m = 2, .n = { .i = 5, .f = null }, .d = null }\n"),
        "{out}"
    );
    let out = run_object_to_exit(&obj, &["-q", "-f", "json", "-c", p]).stdout_text();
    assert!(
        out.contains(r#"{"type": "value", "data": {"m": 2, "n": {"i": 5, "f": null}, "d": null}}"#),
        "{out}"
    );
}
