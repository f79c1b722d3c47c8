//! bpftrace's integer operations through the checker: what folds, which shifts and
//! divisions are signed, and the warnings about signed division and implicit casts.

use super::int_ops::{adopt_signs, fits, is_literal};
use super::int_promo::IntTy;
use super::tests::test_ast::chk;
use super::types::*;

fn checked(src: &str) -> super::Checked {
    let p = crate::front::parse(src).expect("parses");
    chk(&p).unwrap_or_else(|d| panic!("{src}: {d:?}"))
}

/// The warnings of `BEGIN { body }`.
fn warnings(body: &str) -> Vec<String> {
    checked(&format!("BEGIN {{ {body} }}"))
        .warnings
        .into_iter()
        .map(|d| d.message)
        .collect()
}

fn cast_warned(body: &str) -> bool {
    warnings(body)
        .iter()
        .any(|w| w.contains("being cast to type"))
}

fn division_warned(body: &str) -> bool {
    warnings(body)
        .iter()
        .any(|w| w.starts_with("signed operands for"))
}

/// The value of `@x = expr` once folded, or the operation left for the program.
fn assigned(src: &str) -> TExprKind {
    let c = checked(&format!("BEGIN {{ {src} }}"));
    c.probes[0]
        .body
        .iter()
        .rev()
        .find_map(|s| match &s.kind {
            TStmtKind::AssignMap {
                value: MapValue::Plain(v),
                ..
            } => Some(v.kind.clone()),
            _ => None,
        })
        .expect("a map assignment")
}

fn expr(src: &str) -> crate::front::ast::Expr {
    let p = crate::front::parse(&format!("BEGIN {{ @x = {src}; }}")).expect("parses");
    match &p.probes[0].body.stmts[0].kind {
        crate::front::ast::StmtKind::Assign { value, .. } => value.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn literal_trees() {
    assert!(is_literal(&expr("1")));
    assert!(is_literal(&expr("-8 >> 1")));
    assert!(is_literal(&expr("~(2 * -3) / 4")));
    assert!(!is_literal(&expr("(int32)-8")));
    assert!(!is_literal(&expr("$a >> 1")));
    assert!(!is_literal(&expr("1 < 2")));
    assert!(!is_literal(&expr("pid / 2")));
}

#[test]
fn literals_fold_signed() {
    assert_eq!(assigned("@x = -8 >> 1;"), TExprKind::Int(-4));
    assert_eq!(assigned("@x = -8 / 3;"), TExprKind::Int(-2));
    assert_eq!(assigned("@x = -8 % 3;"), TExprKind::Int(-2));
    assert_eq!(assigned("@x = 8 / -3;"), TExprKind::Int(-2));
}

#[test]
fn other_constants_fold_as_the_program_computes() {
    assert_eq!(
        assigned("@x = (int32)-8 >> 1;"),
        TExprKind::Int(0x7fff_ffff_ffff_fffc)
    );
    assert_eq!(
        assigned("@x = (int64)-8 / 3;"),
        TExprKind::Int(6_148_914_691_236_517_202)
    );
    assert_eq!(assigned("@x = (int64)-8 % 3;"), TExprKind::Int(2));
}

#[test]
fn runtime_shifts_and_divisions_are_unsigned() {
    for (src, want) in [
        ("$a = -8; @x = $a >> 1;", Arith::Shr { signed: false }),
        ("$a = -8; @x = $a / 3;", Arith::Div { signed: false }),
        ("$a = -8; @x = $a % 3;", Arith::Mod { signed: false }),
        (
            "$a = -8; $b = -2; @x = $a / $b;",
            Arith::Div { signed: false },
        ),
    ] {
        let found = match assigned(src) {
            TExprKind::Arith { op, .. } | TExprKind::DivChecked { op, .. } => op,
            other => panic!("{src}: {other:?}"),
        };
        assert_eq!(found, want, "{src}");
    }
}

#[test]
fn signed_division_warnings() {
    assert!(division_warned("@x = (uint64)1; @y = -1 / @x;"));
    assert!(division_warned("@x = (uint64)1; @y = @x % -1;"));
    assert!(division_warned("$b = (int32)-8; @y = $b / 3;"));
    assert!(!division_warned("@x = (uint64)1; @y = @x / (uint64)1;"));
    assert!(!division_warned("@x = (uint64)1; @y = -(@x % (uint64)1);"));
    assert!(!division_warned("$a = (uint64)10 / 2;"));
    // The same types once literals took the other's sign: no warning.
    assert!(!division_warned("$a = -8; @y = $a / 3;"));
    // Folded before typing.
    assert!(!division_warned("@y = -8 / 3;"));
}

#[test]
fn implicit_cast_warnings_in_operations() {
    assert!(cast_warned("$a = (uint64)1 + (int64)2;"));
    assert!(cast_warned("$a = (uint64)1 - 1;"));
    assert!(cast_warned("$a = (uint64)1 == (int64)-1;"));
    assert!(cast_warned("@a = sum(-1); $a = (uint64)1 == @a;"));
    assert!(!cast_warned("$a = (uint32)1 + (int32)2;"));
    assert!(!cast_warned("$a = (int64)(uint64)1 - 1;"));
    assert!(!cast_warned("$a = 1 == -1;"));
    assert!(!cast_warned("$a = 1 == (int64)-1;"));
    assert!(!cast_warned("$a = (uint32)1 == (int32)-1;"));
    assert!(!cast_warned("@a = sum(-1); $a = 1 == @a;"));
    assert!(!cast_warned("@a = sum(-1); $a = @a == (uint16)1;"));
    assert!(!cast_warned(
        "@a = sum((uint64)1); @b = count(); $a = @a == @b;"
    ));
}

#[test]
fn the_warning_texts() {
    let w = warnings("$a = (uint64)1 + (int64)2; @x = (uint64)1; @y = -1 / @x;");
    assert!(w.contains(
        &"Expression of type: uint64 being cast to type: int64. This may cause unexpected \
          results. Use an explicit cast to suppress this warning."
            .to_string()
    ));
    assert!(w.contains(
        &"signed operands for '/' can lead to undefined behavior (cast to unsigned to \
          silence warning)"
            .to_string()
    ));
}

#[test]
fn fitting() {
    let (u8_, i8_, u32_, i64_, u64_) = (
        IntTy::new(false, 1),
        IntTy::new(true, 1),
        IntTy::new(false, 4),
        IntTy::new(true, 8),
        IntTy::new(false, 8),
    );
    assert!(fits(u32_, i64_));
    assert!(!fits(u64_, i64_));
    assert!(!fits(i8_, u64_));
    assert!(fits(u8_, u64_));
    assert!(fits(IntTy::literal(5), u64_));
    assert!(!fits(IntTy::new(false, 4), IntTy::new(true, 4)));
}

#[test]
fn adopting_signs() {
    let one = IntTy::literal(1);
    assert_eq!(
        adopt_signs(IntTy::new(false, 8), one),
        (IntTy::new(false, 8), IntTy::new(false, 1))
    );
    assert_eq!(adopt_signs(one, one), (one, one));
}

/// The size of the tuple assigned to `$t` by `BEGIN { body }`.
fn tuple_size(body: &str) -> u32 {
    let c = checked(&format!("BEGIN {{ {body} }}"));
    let v = c.probes[0]
        .vars
        .iter()
        .find(|v| v.name == "t")
        .expect("a $t");
    match v.ty {
        Type::Tuple(t) => t.size,
        other => panic!("{body}: {other:?}"),
    }
}

#[test]
fn tuple_fields_take_their_elements_integer_types() {
    // uint32 then int8, aligned to 4.
    assert_eq!(tuple_size("$t = (pid, 1);"), 8);
    assert_eq!(tuple_size("$t = (tid, (uint8)1, nsecs);"), 16);
    assert_eq!(tuple_size("$t = (1, 2);"), 2);
    assert_eq!(tuple_size("$t = (pid, 1); $t = (3, 4);"), 8);
}
