//! Parser tests for constructs found missing by comparing with bpftrace's own parser
//! and type-checker snippets.

use super::ast::*;
use super::*;

/// The cast at the top of `src` (an expression): its type and operand.
fn cast_of(src: &str) -> (TypeName, Expr) {
    let e = parse_expr(src).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    match e.kind {
        ExprKind::Cast { ty, expr } => (ty, *expr),
        other => panic!("{src}: not a cast: {other:?}"),
    }
}

/// The argument of the `typeof(...)` a type name stands for.
fn typeof_arg(ty: &TypeName) -> &Expr {
    let TypeBase::Typeof(call) = &ty.base else {
        panic!("not typeof: {ty:?}");
    };
    let ExprKind::Call { name, args } = &call.kind else {
        panic!("typeof is no call: {call:?}");
    };
    assert_eq!(name, "typeof");
    assert_eq!(args.len(), 1);
    &args[0]
}

#[test]
fn typeof_of_an_expression_is_a_cast_type() {
    let (ty, operand) = cast_of("(typeof($x))-1");
    assert!(matches!(typeof_arg(&ty).kind, ExprKind::Var(ref v) if v == "x"));
    assert!(matches!(
        operand.kind,
        ExprKind::Unary { op: UnOp::Neg, .. }
    ));
    let (ty, operand) = cast_of("(typeof(@m[1])) $v");
    assert!(matches!(typeof_arg(&ty).kind, ExprKind::Map { .. }));
    assert!(matches!(operand.kind, ExprKind::Var(_)));
}

#[test]
fn typeof_of_a_type_is_a_cast_type() {
    let (ty, operand) = cast_of("(typeof(uint16))70000");
    let ExprKind::Cast { ty: inner, expr } = &typeof_arg(&ty).kind else {
        panic!("{ty:?}");
    };
    assert_eq!(
        inner.base,
        TypeBase::Int {
            bits: 16,
            signed: false
        }
    );
    assert!(matches!(expr.kind, ExprKind::Int(0)));
    assert!(matches!(operand.kind, ExprKind::Int(70000)));
    let (ty, _) = cast_of("(typeof(struct task_struct *))arg0");
    assert!(matches!(typeof_arg(&ty).kind, ExprKind::Cast { .. }));
}

#[test]
fn typeof_as_an_argument_stays_a_call() {
    let e = parse_expr("sizeof(typeof($x))").unwrap();
    let ExprKind::Call { name, args } = e.kind else {
        panic!("not a call");
    };
    assert_eq!(name, "sizeof");
    assert!(matches!(&args[0].kind, ExprKind::Call { name, .. } if name == "typeof"));
    // A cast binds tighter than a binary operator.
    let e = parse_expr("(typeof($x))1 + 2").unwrap();
    assert!(matches!(e.kind, ExprKind::Binary { .. }));
}

/// The declared type of the first statement of `BEGIN { src }`.
fn let_type(src: &str) -> TypeName {
    let p = parse(&format!("BEGIN {{ {src} }}")).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    let stmt = p.probes.into_iter().next().unwrap().body.stmts.remove(0);
    match stmt.kind {
        StmtKind::Let { ty: Some(ty), .. } => ty,
        other => panic!("{src}: {other:?}"),
    }
}

#[test]
fn bare_names_are_declared_types() {
    let t = let_type("let $s: string;");
    assert_eq!(t.base, TypeBase::Named("string".into()));
    let t = let_type("let $s: string[16] = \"a\";");
    let TypeBase::Array { elem, len } = &t.base else {
        panic!("{t:?}");
    };
    assert_eq!(elem.base, TypeBase::Named("string".into()));
    assert_eq!(*len, Some(16));
    let t = let_type("let $p: my_type **;");
    assert_eq!(
        (t.base.clone(), t.pointers),
        (TypeBase::Named("my_type".into()), 2)
    );
    // `typeof` keeps its meaning.
    let t = let_type("let $p: typeof($x);");
    assert!(matches!(t.base, TypeBase::Typeof(_)));
}

#[test]
fn a_macro_ending_in_a_macro_call_has_its_value() {
    let p = parse("macro one() { 1 } macro two() { one() } BEGIN { $x = two(); }")
        .unwrap_or_else(|d| panic!("{d:?}"));
    let stmt = &p.probes[0].body.stmts[0];
    let StmtKind::Assign { value, .. } = &stmt.kind else {
        panic!("{stmt:?}");
    };
    // two() is a block whose value is one()'s block, whose value is 1.
    let ExprKind::Block { value: inner, .. } = &value.kind else {
        panic!("{value:?}");
    };
    let ExprKind::Block { value: one, .. } = &inner.kind else {
        panic!("{inner:?}");
    };
    assert!(matches!(one.kind, ExprKind::Int(1)), "{one:?}");
    // A macro ending in a statement still has no value, through another macro too.
    let errs =
        parse("macro a($x) { $x += 1; } macro b($x) { a($x) } BEGIN { $y = 1; $z = b($y); }")
            .expect_err("no value");
    assert!(
        errs[0].message.contains("does not end with an expression"),
        "{errs:?}"
    );
}

#[test]
fn string_types_in_casts() {
    let (ty, operand) = cast_of("(string[64])arg0");
    let TypeBase::Array { elem, len } = &ty.base else {
        panic!("{ty:?}");
    };
    assert_eq!(elem.base, TypeBase::Named("string".into()));
    assert_eq!(*len, Some(64));
    assert!(matches!(operand.kind, ExprKind::Ident(_)));
    let (ty, _) = cast_of("(string)\"a\"");
    assert_eq!(ty.base, TypeBase::Named("string".into()));
    // `$string` and a parenthesized variable stay expressions.
    let e = parse_expr("($string) + 1").unwrap();
    assert!(matches!(e.kind, ExprKind::Binary { .. }));
}

#[test]
fn a_macro_parameter_named_twice_is_an_error() {
    for src in [
        "macro set(x, x) { x } BEGIN { set(1, 1); }",
        "macro set(@x, @x) { @x } BEGIN { @a = 1; set(@a, @a); }",
        "macro set($x, $x) { $x } BEGIN { $a = 1; set($a, $a); }",
    ] {
        let errs = parse(src).expect_err(src);
        assert!(
            errs[0].message.contains("names parameter"),
            "{src}: {errs:?}"
        );
    }
    // Different kinds of parameter may share a name.
    parse("macro f($x, x) { $x + x } BEGIN { $a = 1; $b = f($a, 2); }").expect("parses");
}
