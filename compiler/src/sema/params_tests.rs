//! The typing rule of `$N`, `$#` and `getopt`, and their globals.

use super::params::{special, Special};
use super::tests::test_ast::chk;
use super::types::*;
use super::Checked;
use tracec_meta::{ParamKind, ParamSpec, ParamType, ParamValue};

const STR64: ParamType = ParamType::Str { size: 64 };

fn check(src: &str) -> Checked {
    let p = crate::front::parse(src).expect("parses");
    chk(&p).unwrap_or_else(|d| panic!("{src}: {:?}", d))
}

use super::tests::test_ast::src_errors as errors;

fn kinds(c: &Checked) -> Vec<(ParamKind, ParamType)> {
    c.params.iter().map(|p| (p.kind.clone(), p.ty)).collect()
}

fn pos(index: u32, ty: ParamType) -> (ParamKind, ParamType) {
    (ParamKind::Positional { index }, ty)
}

/// The value of `$x = <expr>` statements, in order.
fn assigned(c: &Checked) -> Vec<&TExpr> {
    c.probes[0]
        .body
        .iter()
        .filter_map(|s| match &s.kind {
            TStmtKind::AssignVar { value, .. } => Some(value),
            _ => None,
        })
        .collect()
}

#[test]
fn names() {
    assert_eq!(special("1"), Some(Special::Positional(1)));
    assert_eq!(special("12"), Some(Special::Positional(12)));
    assert_eq!(special("#"), Some(Special::Count));
    assert_eq!(special("0"), Some(Special::Invalid));
    assert_eq!(special("99999999999"), Some(Special::Invalid));
    assert_eq!(special("x1"), None);
    assert_eq!(special("_"), None);
}

#[test]
fn positional_is_an_integer_by_default() {
    let c = check("BEGIN { $a = $1 + 1; $b = $#; $c = $1 * 2; }");
    assert_eq!(
        kinds(&c),
        vec![pos(1, ParamType::Int), (ParamKind::Count, ParamType::Int)]
    );
    let v = assigned(&c);
    assert_eq!(v[0].ty, Type::I64);
    assert_eq!(v[1].ty, Type::U64);
    assert!(matches!(v[1].kind, TExprKind::Param(_)));
    assert_eq!(c.params[0].symbol, "tracec_param_1_int");
    assert_eq!(c.params[1].symbol, "tracec_param_count");
}

#[test]
fn positional_is_a_string_where_one_is_needed() {
    let c = check(
        r#"BEGIN { $a = str($2); $b = str($2 + 1); $c = str($3, 4); printf("%s %d\n", $1, $1); if ($4 == "x") { exit(); } if (5 != $5) { exit(); } }"#,
    );
    assert_eq!(
        kinds(&c),
        vec![
            pos(2, STR64),
            pos(3, STR64),
            pos(1, STR64),
            pos(1, ParamType::Int),
            pos(4, STR64),
            pos(5, ParamType::Int),
        ]
    );
    assert_eq!(c.params[2].symbol, "tracec_param_1_str");
    let v = assigned(&c);
    // str($2) reads the parameter's text through its address.
    let TExprKind::StrCall { ptr, user, .. } = &v[0].kind else {
        panic!("{:?}", v[0]);
    };
    assert!(!user);
    assert!(matches!(ptr.kind, TExprKind::Param(_)));
    assert!(matches!(ptr.ty, Type::Ptr { .. }));
    let TExprKind::StrCall { ptr, .. } = &v[1].kind else {
        panic!("{:?}", v[1]);
    };
    assert!(matches!(ptr.kind, TExprKind::Arith { op: Arith::Add, .. }));
    let TStmtKind::If { cond, .. } = &c.probes[0].body[4].kind else {
        panic!("not an if");
    };
    assert!(matches!(cond.kind, TExprKind::StrEq { negate: false, .. }));
}

#[test]
fn getopt_types_follow_the_default() {
    let c = check(
        r#"BEGIN { $a = getopt("n", 10); $b = getopt("neg", -3); $c = getopt("s", "hi", "a name"); $d = getopt("f"); $e = getopt("t", true); $f = getopt("n", 10); }"#,
    );
    let named = |name: &str, default: ParamValue, description: Option<&str>| ParamKind::Named {
        name: name.into(),
        default,
        description: description.map(String::from),
    };
    assert_eq!(
        kinds(&c),
        vec![
            (named("n", ParamValue::Int(10), None), ParamType::Int),
            (named("neg", ParamValue::Int(-3), None), ParamType::Int),
            (
                named("s", ParamValue::Str("hi".into()), Some("a name")),
                STR64
            ),
            (named("f", ParamValue::Bool(false), None), ParamType::Bool),
            (named("t", ParamValue::Bool(true), None), ParamType::Bool),
        ]
    );
    let v = assigned(&c);
    let tys: Vec<Type> = v.iter().map(|e| e.ty).collect();
    assert_eq!(
        tys,
        // As bpftrace: uint64 for a non-negative default, int64 for a negative one,
        // bool for a bool default or none.
        vec![
            Type::U64,
            Type::I64,
            Type::Str { size: 64 },
            Type::Bool,
            Type::Bool,
            Type::U64
        ]
    );
    assert_eq!(c.params[2].symbol, "tracec_opt_2_s");
}

#[test]
fn misuse_is_reported() {
    let one = |src: &str| {
        let e = errors(src);
        assert_eq!(e.len(), 1, "{src}: {e:?}");
        e[0].clone()
    };
    assert!(one("BEGIN { $1 = 2; }").contains("cannot be assigned"));
    assert!(one("BEGIN { $# += 1; }").contains("cannot be assigned"));
    assert!(one("BEGIN { $a = $0; }").contains("numbered from $1"));
    assert!(one("BEGIN { $a = str($1 + 64); }").contains("constant from 0 to 63"));
    assert!(one("BEGIN { $a = str($1 + $2); }").contains("constant from 0 to 63"));
    assert!(one(r#"BEGIN { $a = getopt("x", 1) + getopt("x", 2); }"#).contains("another default"));
    assert!(one(r#"BEGIN { $a = getopt("x", pid); }"#).contains("the default must be"));
    assert!(one(r#"BEGIN { $a = getopt("--x"); }"#).contains("not a valid option name"));
    assert!(one(r#"BEGIN { $a = getopt(); }"#).contains("1 to 3 arguments"));
    assert!(one(r#"BEGIN { $a = getopt("a", 1, 2); }"#).contains("description"));
    let long = "x".repeat(64);
    assert!(one(&format!(r#"BEGIN {{ $a = getopt("a", "{long}"); }}"#)).contains("at most 63"));
    // Rates are left to the runtime (`probes::deferred`); the probe type is not.
    let e = one("BEG$1 { exit(); }");
    assert!(
        e.contains("positional parameter '$1' in attach point 'BEG$1'"),
        "{e}"
    );
}

#[test]
fn globals_hold_the_defaults() {
    let src = r#"BEGIN { printf("%d %s %d %s %d\n", $1, $1, getopt("n", 7), getopt("s", "ab"), getopt("b", true)); }"#;
    let c = check(src);
    let lowered = crate::lower::lower(&c, src);
    assert_eq!(lowered.params, c.params);
    let globals = &lowered.module.globals;
    let find = |spec: &ParamSpec| {
        globals
            .iter()
            .find(|g| g.symbol == spec.symbol)
            .unwrap_or_else(|| panic!("no global {}", spec.symbol))
    };
    let inits: Vec<Vec<u8>> = c.params.iter().map(|p| find(p).init.clone()).collect();
    assert_eq!(inits[0], 0i64.to_le_bytes());
    assert_eq!(inits[1], vec![0; 64]);
    assert_eq!(inits[2], 7i64.to_le_bytes());
    assert_eq!(&inits[3][..3], b"ab\0");
    assert_eq!(inits[3].len(), 64);
    assert_eq!(inits[4], 1u64.to_le_bytes());
    for p in &c.params {
        assert_eq!(find(p).ty.size(), p.ty.size());
    }
}
