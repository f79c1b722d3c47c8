//! Integer declarations: values converted to the declared type, literals that do not
//! fit refused, other values warned about.

use super::int_width_tests::map_constants;
use super::tests::test_ast::src_errors as errors;

#[test]
fn literals_must_fit_the_declared_type() {
    for src in [
        "BEGIN { let $a: uint16 = -1; }",
        "BEGIN { let $a: uint8 = 10000000; }",
        "BEGIN { let $a: uint16; $a = -1; }",
        "BEGIN { let $a: uint8 = (uint8)1; $a = 10000; }",
        "BEGIN { let $a: int8 = 1; $a = -10000; }",
    ] {
        let e = errors(src);
        assert_eq!(e.len(), 1, "{src}: {e:?}");
        assert!(e[0].contains("does not fit"), "{src}: {e:?}");
    }
    for src in [
        "BEGIN { let $a: uint16 = (uint16)-1; }",
        "BEGIN { let $a: int8; $a = 1; let $b: int8 = -128; let $c: uint8 = 255; }",
        "BEGIN { let $c: uint64 = 18446744073709551615; }",
        "BEGIN { $b = -1; let $a: uint16 = $b; }",
    ] {
        assert_eq!(errors(src), Vec::<String>::new(), "{src}");
    }
}

#[test]
fn declared_types_are_not_promoted() {
    // An undeclared variable grows to hold what is assigned; a declared one does not.
    assert_eq!(
        map_constants(
            "BEGIN { let $a: int16 = 1; $a = (int64)2; @s = sizeof($a); \
             $b = (int16)1; $b = (int64)2; @t = sizeof($b) }"
        ),
        vec![2, 8]
    );
}
