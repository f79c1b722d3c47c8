//! `typeof(...)` where a type is expected: casts, and `offsetof` given a type
//! through a macro parameter.

use super::int_width_tests::map_constants;
use super::tests::test_ast::src_errors as errors;

#[test]
fn offsetof_takes_a_typeof_type() {
    assert_eq!(
        map_constants(
            "struct Foo { int x; int y; struct { int c; } a; } \
             macro off(t, f) { offsetof(t, f) } \
             BEGIN { @a = offsetof(typeof(struct Foo), y); @b = off(typeof(struct Foo), a.c) }"
        ),
        vec![4, 8]
    );
    let e = errors("BEGIN { $x = 1; $y = offsetof(typeof($x), l); }");
    assert!(e.iter().any(|m| m.contains("needs a struct")), "{e:?}");
}

#[test]
fn typeof_casts_take_the_type() {
    assert_eq!(
        map_constants(
            "BEGIN { $x = (uint8)1; @a = (typeof($x))-1; @b = (typeof(int16))70000; \
             @c = sizeof((typeof($x))1000) }"
        ),
        vec![255, 4464, 1]
    );
}

#[test]
fn macro_calls_inside_typeof_are_expanded() {
    assert_eq!(
        map_constants(
            "macro mytype() { (uint16)1 } \
             BEGIN { $x = (typeof(mytype()))1; @a = sizeof($x); \
             let $y: typeof(mytype()) = 3; @b = sizeof($y) }"
        ),
        vec![2, 2]
    );
}
