//! `goto` and labels in the C subset: the structured statements `goto.rs` makes
//! of them (before inlining) and the script code the inliner then writes.

use super::tests_ptr::{errors, text};
use super::*;

fn body(src: &str) -> Vec<CStmt> {
    let f = parse(src, 0, &[]).unwrap_or_else(|d| panic!("{d:?}"));
    f.funcs[0].body.clone()
}

fn error(src: &str) -> String {
    match parse(src, 0, &[]) {
        Ok(f) => panic!("{f:?}"),
        Err(d) => d[0].message.clone(),
    }
}

/// Whether a `goto` or a label is left anywhere in `stmts`.
fn jumps_left(stmts: &[CStmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        CStmtKind::Goto(_) | CStmtKind::Label(_) => true,
        CStmtKind::If { then, els, .. } => {
            jumps_left(then) || els.as_deref().is_some_and(jumps_left)
        }
        CStmtKind::Block(b)
        | CStmtKind::While { body: b, .. }
        | CStmtKind::DoWhile { body: b, .. }
        | CStmtKind::For { body: b, .. } => jumps_left(b),
        CStmtKind::Switch { sections, .. } => sections.iter().any(|s| jumps_left(&s.body)),
        _ => false,
    })
}

#[test]
fn forward_goto_sets_a_flag_that_guards_the_skipped_statements() {
    let b = body("int f(int v) { if (v) goto out; v = 2; out: return v; }");
    assert!(!jumps_left(&b), "{b:?}");
    // The flag is declared first, cleared at the label.
    let CStmtKind::Decl { name, .. } = &b[0].kind else {
        panic!("{b:?}")
    };
    assert_eq!(name, "__goto_out");
    assert!(matches!(&b[1].kind, CStmtKind::If { .. }), "{b:?}");
    let CStmtKind::If { cond, then, .. } = &b[2].kind else {
        panic!("{b:?}")
    };
    assert!(
        matches!(&cond.kind, CExprKind::Unary { op: UnOp::Not, expr } if expr.kind == CExprKind::Var("__goto_out".into()))
    );
    assert_eq!(then.len(), 1);
    assert!(
        matches!(&b[3].kind, CStmtKind::Assign { value, .. } if value.kind == CExprKind::Int(0))
    );
    assert!(matches!(&b[4].kind, CStmtKind::Return(_)));
}

#[test]
fn forward_goto_out_of_a_loop_breaks_it() {
    let t = text(
        "int f(int n) { int i; for (i = 0; i < 10; i++) { if (i == n) goto out; } i = 99; out: return i; }",
        "f(3)",
    );
    // The goto sets the flag and leaves the loop; `i = 99` runs only without it.
    assert!(
        t.contains("let $__c0_1___goto_out = (int64)(int32)0;"),
        "{t}"
    );
    assert!(
        t.contains("{ $__c0_1___goto_out = (int64)(int32)1; break; }"),
        "{t}"
    );
    assert!(
        t.contains("if !$__c0_1___goto_out { $__c0_2_i = (int64)(int32)99; } $__c0_1___goto_out = (int64)(int32)0;"),
        "{t}"
    );
}

#[test]
fn backward_goto_becomes_a_loop() {
    let b = body("int f(int v) { again: v++; if (v < 5) goto again; return v; }");
    assert!(!jumps_left(&b), "{b:?}");
    let flags: Vec<&str> = b
        .iter()
        .filter_map(|s| match &s.kind {
            CStmtKind::Decl { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(flags, ["__again_again", "__goto_again__again_end"]);
    let Some(CStmtKind::DoWhile { cond, .. }) = b
        .iter()
        .map(|s| &s.kind)
        .find(|k| matches!(k, CStmtKind::DoWhile { .. }))
    else {
        panic!("{b:?}")
    };
    assert!(matches!(
        &cond.kind,
        CExprKind::Binary { op: BinOp::Ne, .. }
    ));
    assert!(matches!(
        b.last().map(|s| &s.kind),
        Some(CStmtKind::Return(_))
    ));
}

#[test]
fn declarations_skipped_by_a_goto_stay_visible_after_the_label() {
    // `y` is declared before the guard, its initializer assigned under it.
    assert!(errors(
        "int f(int v) { if (v) goto out; int y = v + 1; out: return y; }",
        "f(1)"
    )
    .is_empty());
}

#[test]
fn goto_errors() {
    assert_eq!(
        error("int f(void) { goto x; return 0; }"),
        "use of undeclared label 'x'"
    );
    assert_eq!(
        error("int f(void) { x: ; x: return 0; }"),
        "redefinition of label 'x'"
    );
    assert!(
        error("int f(int v) { if (v) { in: v++; } goto in; return v; }")
            .contains("into a block it is not in")
    );
    assert!(
        error("int f(int v) { if (v) { goto in; } else { in: v++; } return v; }")
            .contains("into a block it is not in")
    );
    assert!(
        error("int f(int v) { goto in; while (v) { in: v++; } return v; }")
            .contains("into a block it is not in")
    );
    assert!(error(
        "int f(int v) { for (;;) { l: v--; if (v == 2) continue; if (v) goto l; break; } return v; }"
    )
    .contains("a `break` or `continue` between the label `l`"));
}

#[test]
fn forward_goto_into_a_block_enters_it() {
    let b = body("int f(int v) { goto in; v = 5; { v--; in: v++; } return v; }");
    assert!(!jumps_left(&b), "{b:?}");
    // Flag declared, set; `v = 5` guarded; the block's statements before the
    // label guarded, the flag cleared at the label.
    assert!(
        matches!(&b[1].kind, CStmtKind::Assign { value, .. } if value.kind == CExprKind::Int(1))
    );
    assert!(matches!(&b[2].kind, CStmtKind::If { .. }), "{b:?}");
    let CStmtKind::Block(inner) = &b[3].kind else {
        panic!("{b:?}")
    };
    assert!(matches!(&inner[0].kind, CStmtKind::If { .. }), "{inner:?}");
    assert!(
        matches!(&inner[1].kind, CStmtKind::Assign { value, .. } if value.kind == CExprKind::Int(0)),
        "{inner:?}"
    );
}

#[test]
fn forward_goto_into_a_branch_skips_its_condition() {
    let t = text(
        "int f(int v) { if (v) goto in; if (v > 3) { v = 1; in: v += 2; } else { v = 7; } return v; }",
        "f(1)",
    );
    // The branch is taken when the flag is set, without testing `v > 3`.
    assert!(t.contains("if ($__c0_1___goto_in || "), "{t}");
}
