//! Constructs of bpftrace's language found missing by running its own parser and
//! type-checker snippets through `tracec --check`: each runs and prints bpftrace's
//! output.

use tracec_tests::*;

fn stdout_of(name: &str, script: &str) -> Option<String> {
    let _k = kernel_or_skip(name)?;
    Some(run_to_exit(name, script, &[]).stdout_text())
}

#[test]
fn typeof_casts_convert_to_the_named_type() {
    let Some(out) = stdout_of(
        "syntax10_typeof_cast",
        "begin { $x = (uint8)1; $y = (typeof($x))-1; $z = (typeof(int16))70000;\n\
         @m[1] = (int32)5; $w = (typeof(@m[1]))-2;\n\
         printf(\"%d %d %d %d\\n\", $y, $z, $w, sizeof(typeof($x))); exit(); }",
    ) else {
        return;
    };
    assert_eq!(out.lines().next(), Some("255 4464 -2 1"), "{out}");
}

#[test]
fn string_declarations_hold_strings_of_their_size() {
    let Some(out) = stdout_of(
        "syntax10_string_let",
        "begin { let $a: string; printf(\"[%s]\\n\", $a); $a = \"hiya\";\n\
         let $b: string[8] = \"ab\"; $b = \"abcdefg\"; $x = \"foo\"; let $y: typeof($x); $y = \"bar\";\n\
         printf(\"%s %s %s %d\\n\", $a, $b, $y, sizeof($b)); exit(); }",
    ) else {
        return;
    };
    assert!(out.starts_with("[]\nhiya abcdefg bar 8\n"), "{out}");
}

#[test]
fn integer_declarations_convert_what_is_assigned() {
    let Some(out) = stdout_of(
        "syntax10_int_let",
        "begin { $b = -1; let $a: uint16 = $b; let $d: uint8 = 255; $d++;\n\
         let $e: int8 = 100; $e += 100; let $f: uint16 = (uint16)-1;\n\
         printf(\"%d %d %d %d %d\\n\", $a, $d, $e, $f, sizeof($a)); exit(); }",
    ) else {
        return;
    };
    assert!(out.starts_with("65535 0 -56 65535 2\n"), "{out}");
}

#[test]
fn macros_pass_types_to_offsetof_and_casts() {
    let Some(out) = stdout_of(
        "syntax10_macro_types",
        "struct Foo { int x; int y; struct { long c; } a; }\n\
         macro off(t, f) { offsetof(t, f) }\n\
         macro p_cast(a, b) { (a*)b }\n\
         begin { printf(\"%d %d %d\\n\", off(typeof(struct Foo), y), off(typeof(struct Foo), a.c),\n\
         sizeof((typeof(uint16))70000)); print(p_cast(typeof(uint8), -1)); exit(); }",
    ) else {
        return;
    };
    assert!(out.starts_with("4 8 2\n0xff\n"), "{out}");
}

#[test]
fn macros_ending_in_macro_calls_have_values() {
    let Some(out) = stdout_of(
        "syntax10_macro_values",
        "macro one() { 1 } macro two() { one() }\n\
         macro inner(t) { sizeof(t) } macro outer(z) { inner(typeof(z)) }\n\
         begin { printf(\"%d %d\\n\", two(), outer(typeof(uint16))); exit(); }",
    ) else {
        return;
    };
    assert!(out.starts_with("1 2\n"), "{out}");
}

#[test]
fn string_casts_set_the_size() {
    let Some(out) = stdout_of(
        "syntax10_string_cast",
        "begin { $a = (string[10])\"hello\"; @m[(string[12])\"k\"] = 1;\n\
         printf(\"%s %d %d\\n\", $a, sizeof($a), sizeof((string)\"abc\")); exit(); }",
    ) else {
        return;
    };
    assert!(out.starts_with("hello 10 4\n"), "{out}");
    assert!(out.contains("@m[k]: 1\n"), "{out}");
}
