//! bpftrace's integer widths: `sizeof`/`typeof` of literals and variables, casts of
//! narrow integers to pointers, and the key types in "Argument mismatch" errors.

use super::tests::test_ast::chk;
use super::types::*;

/// The constants assigned to maps in the (only) probe's body, in order.
pub(super) fn map_constants(src: &str) -> Vec<i64> {
    let p = crate::front::parse(src).expect("parses");
    let c = chk(&p).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    c.probes[0]
        .body
        .iter()
        .filter_map(|s| match &s.kind {
            TStmtKind::AssignMap {
                value: MapValue::Plain(v),
                ..
            } => match v.kind {
                TExprKind::Int(n) => Some(n),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

use super::tests::test_ast::src_errors as errors;

#[test]
fn literals_take_the_smallest_signed_type() {
    assert_eq!(
        map_constants(
            "BEGIN { @a = sizeof(1); @b = sizeof(-1); @c = sizeof(1000); @d = sizeof(-40000); \
             @e = sizeof(5000000000); @f = sizeof(1 + 1); @g = sizeof(1 == 1) }"
        ),
        vec![1, 1, 2, 4, 8, 8, 1]
    );
}

#[test]
fn variables_take_the_widest_assigned_value() {
    assert_eq!(
        map_constants(
            "BEGIN { $a = 1; $b = -1000; $c = 1; $c = (uint64)2; $d = 1; $d++; $e = $b; \
             $f = (uint32)3; \
             @a = sizeof($a); @b = sizeof($b); @c = sizeof($c); @d = sizeof($d); \
             @e = sizeof($e); @f = sizeof($f) }"
        ),
        vec![1, 2, 8, 8, 2, 4]
    );
    // A later assignment widens the variable where it is measured earlier too.
    assert_eq!(
        map_constants("BEGIN { $a = 1; @a = sizeof($a); $a = 100000 }"),
        vec![4]
    );
    assert_eq!(
        map_constants("BEGIN { $a = 1; @a = sizeof(typeof($a)) }"),
        vec![1]
    );
}

#[test]
fn narrow_integers_become_pointers_zero_extended() {
    let p = crate::front::parse("BEGIN { @p = (uint8 *)-1; @q = (uint8 *)(int16)-1 }").unwrap();
    let c = chk(&p).unwrap();
    let mut consts = Vec::new();
    for s in &c.probes[0].body {
        if let TStmtKind::AssignMap {
            value: MapValue::Plain(v),
            ..
        } = &s.kind
        {
            assert!(matches!(v.ty, Type::Ptr { .. }), "{:?}", v.ty);
            if let TExprKind::Int(n) = v.kind {
                consts.push(n);
            }
        }
    }
    assert_eq!(consts, vec![0xff, 0xffff]);
}

#[test]
fn key_mismatches_name_bpftrace_types() {
    assert_eq!(
        errors("BEGIN { @g[1, \"hi\"] = 2; if (has_key(@g, (1, 2))) { } }"),
        vec![
            "Argument mismatch for @g: trying to access with arguments: '(int8,int8)' \
             when map expects arguments: '(int8,string[3])'"
        ]
    );
    assert_eq!(
        errors("BEGIN { $k = (uint16)7; @m[$k] = 1; @m[\"x\"] = 2 }"),
        vec![
            "Argument mismatch for @m: trying to access with arguments: 'string[2]' \
             when map expects arguments: 'uint16'"
        ]
    );
}
