//! Increments and `if` as expressions.

use super::super::ast::*;
use super::super::parse;

fn body(src: &str) -> Vec<Stmt> {
    let p = parse(&format!("BEGIN {{ {src} }}")).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    p.probes
        .into_iter()
        .next()
        .map_or_else(Vec::new, |p| p.body.stmts)
}

fn assigned(s: &Stmt) -> &Expr {
    match &s.kind {
        StmtKind::Assign { value, .. } => value,
        other => panic!("not an assignment: {other:?}"),
    }
}

#[test]
fn increments_as_statements_stay_statements() {
    let stmts = body("$a++; --$b; @m[1]--; ++@n");
    let deltas: Vec<i64> = stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Incr { delta, .. } => *delta,
            other => panic!("not an increment: {other:?}"),
        })
        .collect();
    assert_eq!(deltas, vec![1, -1, -1, 1]);
}

#[test]
fn post_increment_expression_keeps_the_old_value() {
    let stmts = body("$x = $a++");
    let ExprKind::Block { stmts, value } = &assigned(&stmts[0]).kind else {
        panic!("not a block: {stmts:?}");
    };
    assert!(matches!(&stmts[0].kind, StmtKind::Let { name, .. } if name.starts_with("incr.")));
    assert!(matches!(&stmts[1].kind, StmtKind::Incr { delta: 1, .. }));
    assert!(matches!(&value.kind, ExprKind::Var(n) if n.starts_with("incr.")));
}

#[test]
fn pre_decrement_expression_is_the_new_value() {
    let stmts = body("$x = *--$p");
    let ExprKind::Unary {
        op: UnOp::Deref,
        expr,
    } = &assigned(&stmts[0]).kind
    else {
        panic!("not a dereference: {stmts:?}");
    };
    let ExprKind::Block { stmts, value } = &expr.kind else {
        panic!("not a block: {expr:?}");
    };
    assert!(matches!(&stmts[0].kind, StmtKind::Incr { delta: -1, .. }));
    assert!(matches!(&value.kind, ExprKind::Var(n) if n == "p"));
}

#[test]
fn if_expression_is_a_ternary_of_branch_values() {
    let stmts =
        body("$x = if ($c) { $a++; 1 } else if ($d) { 2 } else { if ($e) { 3 } else { 4 } }");
    let ExprKind::Ternary { then, els, .. } = &assigned(&stmts[0]).kind else {
        panic!("not a ternary: {stmts:?}");
    };
    assert!(matches!(&then.kind, ExprKind::Block { stmts, value }
        if stmts.len() == 1 && matches!(value.kind, ExprKind::Int(1))));
    let ExprKind::Ternary { then, els, .. } = &els.kind else {
        panic!("else if is not a ternary: {els:?}");
    };
    assert!(matches!(then.kind, ExprKind::Int(2)));
    assert!(matches!(els.kind, ExprKind::Ternary { .. }));
}

#[test]
fn if_expression_in_a_call_argument() {
    let stmts = body("print(if ($x) { 1 } else { 0 })");
    let StmtKind::Expr(Expr {
        kind: ExprKind::Call { args, .. },
        ..
    }) = &stmts[0].kind
    else {
        panic!("not a call: {stmts:?}");
    };
    assert!(matches!(args[0].kind, ExprKind::Ternary { .. }));
}

#[test]
fn if_expression_branch_without_value_is_an_error() {
    let errs = parse("BEGIN { $x = if ($c) { $y = 1; } else { 2 }; }").expect_err("no value");
    assert!(
        errs.iter()
            .any(|d| d.message.contains("must end with a value")),
        "{errs:?}"
    );
}

#[test]
fn nested_prefix_increments_do_not_grow_exponentially() {
    // Found by fuzzing: each `++` copied its operand, 2^64 nodes here.
    let src = format!("$a = {}$x", "++ ".repeat(64));
    let stmts = body(&src);
    let size = format!("{:?}", assigned(&stmts[0])).len();
    assert!(size < 100_000, "{size}");
    // The innermost increment still is one of `$x`.
    let src = "$a = ++ ++$x";
    assert!(format!("{:?}", body(src)).contains("Var(\"x\")"));
}
