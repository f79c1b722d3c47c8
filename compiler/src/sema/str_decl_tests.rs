//! `string` / `string[N]` declarations and `typeof` of string variables.

use super::int_width_tests::map_constants;
use super::tests::test_ast::src_errors as errors;

#[test]
fn unsized_string_declarations_grow_with_assignments() {
    assert_eq!(
        errors(r#"BEGIN { let $a: string; $a = "hiya"; print($a) }"#),
        Vec::<String>::new()
    );
    assert_eq!(
        map_constants(
            r#"BEGIN { let $y: string = "hi"; $y = "muchmuchlongerstr"; @s = sizeof($y) }"#
        ),
        vec![18]
    );
}

#[test]
fn sized_string_declarations_have_their_size() {
    assert_eq!(
        map_constants(r#"BEGIN { let $b: string[8] = "ab"; @s = sizeof($b) }"#),
        vec![8]
    );
    assert_eq!(
        map_constants(r#"BEGIN { $x = "foo"; let $y: typeof($x); $y = "bar"; @s = sizeof($y) }"#),
        vec![4]
    );
}

#[test]
fn sized_string_declarations_refuse_larger_strings() {
    let e = errors(r#"BEGIN { let $x: string[3] = "helloooooo"; }"#);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("string[11]") && e[0].contains("string[3]"),
        "{e:?}"
    );
    let e = errors(r#"BEGIN { let $x: string[3] = "hi"; $x = "helloooooo"; }"#);
    assert_eq!(e.len(), 1, "{e:?}");
    let e = errors(r#"BEGIN { let $a: string; $a = 1; }"#);
    assert_eq!(e.len(), 1, "{e:?}");
    let e = errors(r#"BEGIN { let $a: string[]; }"#);
    assert!(e[0].contains("at least 1"), "{e:?}");
}

#[test]
fn bare_type_names_in_declarations_are_looked_up() {
    let e = errors("BEGIN { let $x: nonexistent; }");
    assert!(
        e.len() == 1 && e[0].contains("unknown type `nonexistent`"),
        "{e:?}"
    );
    let e = errors("BEGIN { let $x: nonexistent *; }");
    assert!(
        e.len() == 1 && e[0].contains("unknown type `nonexistent`"),
        "{e:?}"
    );
}

#[test]
fn string_casts_resize_strings_only() {
    assert_eq!(
        map_constants(
            r#"BEGIN { $a = (string[10])"hello"; @a = sizeof($a); @b = sizeof((string)"abc") }"#
        ),
        vec![10, 4]
    );
    for src in [
        r#"BEGIN { $a = (string[2])"hello"; }"#,
        "BEGIN { $a = (string[2])5; }",
        "BEGIN { $a = (string)5; }",
    ] {
        let e = errors(src);
        assert_eq!(e.len(), 1, "{src}: {e:?}");
        assert!(e[0].starts_with("cannot cast"), "{src}: {e:?}");
    }
}
