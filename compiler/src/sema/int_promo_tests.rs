//! bpftrace's integer promotion through the checker: builtin widths, arithmetic and
//! comparison signedness, and variables, map values and `?:` unifying their types.

use super::int_width_tests::map_constants;
use super::maps::MapValueType;
use super::tests::test_ast::chk;
use super::types::*;

fn checked(src: &str) -> super::Checked {
    let p = crate::front::parse(src).expect("parses");
    chk(&p).unwrap_or_else(|d| panic!("{src}: {d:?}"))
}

/// The value type of map `name`.
fn map_value(src: &str, name: &str) -> MapValueType {
    checked(src)
        .maps
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.value)
        .unwrap_or_else(|| panic!("{src}: no map {name}"))
}

/// The type of variable `$name` of the (only) probe.
fn var_type(src: &str, name: &str) -> Type {
    checked(src).probes[0]
        .vars
        .iter()
        .find(|v| v.name == name)
        .map(|v| v.ty)
        .unwrap_or_else(|| panic!("{src}: no ${name}"))
}

#[test]
fn builtins_have_bpftrace_widths() {
    assert_eq!(
        map_constants(
            "BEGIN { @a = sizeof(pid); @b = sizeof(tid); @c = sizeof(nsecs); \
             @d = sizeof(pid(curr_ns)); @e = sizeof(pid + 1); $p = pid; @f = sizeof($p) }"
        ),
        vec![4, 4, 8, 4, 8, 4]
    );
    assert_eq!(
        map_constants("BEGIN { @p = pid; @s = sizeof(@p) }"),
        vec![4]
    );
}

#[test]
fn ternaries_promote_their_branches() {
    assert_eq!(
        map_constants(
            "BEGIN { @a = sizeof(nsecs ? (uint8)1 : (int32)-1); \
             @b = sizeof(nsecs ? (uint8)1 : (int8)-1); \
             @c = sizeof(nsecs ? (uint16)1 : 1) }"
        ),
        vec![4, 2, 2]
    );
}

#[test]
fn variables_promote_sign_and_width() {
    assert_eq!(
        var_type("BEGIN { $a = (uint64)1; $a = -1 }", "a"),
        Type::I64
    );
    assert_eq!(var_type("BEGIN { $a = (uint32)1; $a = 5 }", "a"), Type::U64);
    assert_eq!(var_type("BEGIN { $a = 5; $a = (uint32)1 }", "a"), Type::U64);
    assert_eq!(
        map_constants("BEGIN { $u = (uint8)1; $u = (int8)-1; @a = sizeof($u) }"),
        vec![2]
    );
    assert_eq!(
        map_constants("BEGIN { $u = (uint32)1; $u = (int8)-1; @a = sizeof($u) }"),
        vec![8]
    );
}

#[test]
fn map_values_promote_sign() {
    assert_eq!(
        map_value("BEGIN { @m = (uint32)5; @m = -1 }", "@m"),
        MapValueType::Plain(Type::I64)
    );
    assert_eq!(
        map_value("BEGIN { @m = (uint32)5; @m = 7 }", "@m"),
        MapValueType::Plain(Type::U64)
    );
    assert_eq!(
        map_constants("BEGIN { @m = (int8)1; @m = (int64)2; @s = sizeof(@m) }"),
        vec![1, 2, 8]
    );
}

#[test]
fn mixed_sign_operations_are_signed() {
    let c = checked("BEGIN { $c = (int8)-1; $d = (uint64)1; @a = $c < $d; @b = $c + $d }");
    let cmp = c.probes[0].body.iter().find_map(|s| match &s.kind {
        TStmtKind::AssignMap {
            value: MapValue::Plain(v),
            ..
        } => Some(v.clone()),
        _ => None,
    });
    assert!(
        matches!(
            cmp.map(|v| v.kind),
            Some(TExprKind::Cmp {
                cond: crate::ir::Cond::Slt,
                ..
            })
        ),
        "a comparison of int8 with uint64 is signed"
    );
    assert_eq!(
        map_value(
            "BEGIN { $c = (int8)-1; $d = (uint64)1; @b = $c + $d }",
            "@b"
        ),
        MapValueType::Plain(Type::I64)
    );
    assert_eq!(
        map_value("BEGIN { $d = (uint64)1; @b = $d + 1 }", "@b"),
        MapValueType::Plain(Type::U64)
    );
    assert_eq!(
        map_value("BEGIN { $d = (uint64)3; @b = $d - (uint64)1 }", "@b"),
        MapValueType::Plain(Type::I64)
    );
}

#[test]
fn map_keys_promote_sign() {
    let keys = |src: &str| {
        checked(src)
            .maps
            .iter()
            .find(|m| m.name == "@k")
            .map(|m| m.keys.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        keys("BEGIN { @k[(uint64)1] = 1; @k[-1] = 2 }"),
        vec![Type::I64]
    );
    assert_eq!(
        keys("BEGIN { @k[(uint64)1] = 1; @k[2] = 2 }"),
        vec![Type::U64]
    );
    assert_eq!(
        keys("BEGIN { @k[(uint32)1, \"a\"] = 1; @k[(int8)-2, \"b\"] = 2 }"),
        vec![Type::I64, Type::Str { size: 2 }]
    );
}

/// A map read in its own first assignment through a comparison or a `?:` branch takes
/// its type from the assignment (bpftrace reads 0 the first time), as arithmetic does.
#[test]
fn self_referencing_conditions_type_the_map() {
    assert_eq!(
        map_value("BEGIN { @m = cpu > @m ? cpu : @m; }", "@m"),
        MapValueType::Plain(Type::U64)
    );
    assert_eq!(
        map_value("BEGIN { @m = @m > 1 ? 1 : 2; }", "@m"),
        MapValueType::Plain(Type::I64)
    );
    assert_eq!(
        map_value("BEGIN { @m = @m + 1; }", "@m"),
        MapValueType::Plain(Type::I64)
    );
}
