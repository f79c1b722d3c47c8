//! Implicit-cast warnings of assignments and `?:` branches (`int_assign.rs`).

use super::tests::test_ast::chk;

/// The warnings of `BEGIN { body }`.
fn warnings(body: &str) -> Vec<String> {
    let p = crate::front::parse(&format!("BEGIN {{ {body} }}")).expect("parses");
    chk(&p)
        .unwrap_or_else(|d| panic!("{body}: {d:?}"))
        .warnings
        .into_iter()
        .map(|d| d.message)
        .collect()
}

fn cast_warnings(body: &str) -> Vec<String> {
    warnings(body)
        .into_iter()
        .filter(|w| w.contains("being cast to type"))
        .collect()
}

#[test]
fn a_variable_widened_to_a_signed_type_warns_for_the_unsigned_value() {
    let w = cast_warnings("$c = (uint64)1; $d = (int64)-1; $c = $d; print($c);");
    assert_eq!(
        w,
        vec![
            "Expression of type: uint64 being cast to type: int64. This may cause unexpected \
             results. Use an explicit cast to suppress this warning."
                .to_string()
        ]
    );
}

#[test]
fn values_that_fit_do_not_warn() {
    assert!(cast_warnings("$a = 1; $b = -1000; $a = $b; print($a)").is_empty());
    assert!(cast_warnings("$a = (uint8)1; $a = (uint16)2; print($a)").is_empty());
    assert!(cast_warnings("$a = (uint32)1; $a = (int64)-2; print($a)").is_empty());
}

#[test]
fn literals_and_aggregations_do_not_warn() {
    assert!(cast_warnings("$a = (int8)1; $a = 5000; print($a)").is_empty());
    assert!(cast_warnings("@s = sum(1); $a = (int8)1; $a = @s; print($a)").is_empty());
}

#[test]
fn maps_warn_like_variables() {
    let w = cast_warnings("@m = (uint64)1; @m = (int8)-1;");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].starts_with("Expression of type: uint64 being cast to type: int64"));
}

#[test]
fn ternary_branches_are_cast_to_their_promotion() {
    let w = cast_warnings("$x = (uint64)5; $y = (int32)-5; $z = nsecs > 0 ? $x : $y; print($z)");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].starts_with("Expression of type: uint64 being cast to type: int64"));
    let w = cast_warnings("$x = (uint32)5; $y = (int32)-5; $z = nsecs > 0 ? $x : $y; print($z)");
    assert!(w.is_empty(), "{w:?}");
}
