//! Parser tests. `sexp` prints expressions fully parenthesized to check precedence.

use super::ast::*;
use super::*;

fn sexp(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Ident(s) => s.clone(),
        ExprKind::Var(s) => format!("${s}"),
        ExprKind::Map { name, keys } if keys.is_empty() => format!("@{name}"),
        ExprKind::Map { name, keys } => {
            let keys: Vec<_> = keys.iter().map(sexp).collect();
            format!("@{name}[{}]", keys.join(", "))
        }
        ExprKind::Call { name, args } => {
            let args: Vec<_> = args.iter().map(sexp).collect();
            format!("{name}({})", args.join(", "))
        }
        ExprKind::Field { base, field, arrow } => {
            format!("{}{}{field}", sexp(base), if *arrow { "->" } else { "." })
        }
        ExprKind::Index { base, index } => format!("{}[{}]", sexp(base), sexp(index)),
        ExprKind::Unary { op, expr } => {
            let op = match op {
                UnOp::Neg => "-",
                UnOp::Not => "!",
                UnOp::BitNot => "~",
                UnOp::Deref => "*",
                UnOp::AddrOf => "&",
            };
            format!("({op}{})", sexp(expr))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", sexp(lhs), op.symbol(), sexp(rhs))
        }
        ExprKind::Ternary { cond, then, els } => {
            format!("({} ? {} : {})", sexp(cond), sexp(then), sexp(els))
        }
        ExprKind::Cast { ty, expr } => format!("(({}){})", ty.spelling(), sexp(expr)),
        ExprKind::Block { stmts, value } => format!("{{{} stmts; {}}}", stmts.len(), sexp(value)),
        ExprKind::Tuple(items) => {
            let items: Vec<String> = items.iter().map(sexp).collect();
            format!("(tuple {})", items.join(" "))
        }
        ExprKind::Record { names, values } => {
            let items: Vec<String> = names
                .iter()
                .zip(values)
                .map(|(n, v)| format!("{n}={}", sexp(v)))
                .collect();
            format!("(record {})", items.join(" "))
        }
    }
}

#[test]
fn casts() {
    assert_eq!(
        expr("(struct task_struct *)arg0"),
        "((struct task_struct *)arg0)"
    );
    assert_eq!(expr("(union u **)$p"), "((union u **)$p)");
    assert_eq!(expr("(uint32)$x + 1"), "(((uint32)$x) + 1)");
    assert_eq!(expr("(int8)-1"), "((int8)(-1))");
    assert_eq!(
        expr("((struct task_struct *)curtask)->real_parent->pid"),
        "((struct task_struct *)curtask)->real_parent->pid"
    );
    // A parenthesized identifier is an expression, never a type.
    assert_eq!(expr("(pid) * tid"), "(pid * tid)");
    assert_eq!(expr("(uint64)(pid)"), "((uint64)pid)");
    let e = parse_expr("(struct task_struct *) curtask").unwrap();
    let ExprKind::Cast { ty, .. } = &e.kind else {
        panic!("not a cast: {e:?}");
    };
    assert_eq!(ty.span.range(), 1..21);
    assert_eq!(ty.pointers, 1);
    assert_eq!(e.span.range(), 0..30);
}

#[test]
fn malformed_casts_are_syntax_errors() {
    let errs = errors("BEGIN { $x = (struct)1; }");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].1.contains("unexpected `)`"), "{errs:?}");
    let errs = errors("BEGIN { $x = (uint32 1); }");
    assert_eq!(errs.len(), 1, "{errs:?}");
}

fn expr(src: &str) -> String {
    match parse_expr(src) {
        Ok(e) => sexp(&e),
        Err(d) => panic!("{src}: {d:?}"),
    }
}

fn body(src: &str) -> Vec<Stmt> {
    let p = parse(&format!("BEGIN {{ {src} }}")).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    p.probes.into_iter().next().unwrap().body.stmts
}

/// All diagnostics as `(range, message)`.
fn errors(src: &str) -> Vec<(std::ops::Range<usize>, String)> {
    parse(src)
        .expect_err(src)
        .into_iter()
        .map(|d| (d.span.range(), d.message))
        .collect()
}

const EXECSNOOP: &str = r#"#!/usr/bin/bpftrace

BEGIN
{
  printf("New processes with arguments\n");
}

tracepoint:syscalls:sys_enter_execve
{
  join(args->argv);
}
"#;

const OPENSNOOP: &str = r#"#!/usr/bin/bpftrace

tracepoint:syscalls:sys_enter_openat
{
  @filename[tid] = args->filename
}

tracepoint:syscalls:sys_exit_openat
  / @filename[tid] /
{
  if ( args->ret < 0 ) {
    printf("%s %s\n", comm, str(@filename[tid]));
  };
  delete(@filename[tid]);
}
"#;

#[test]
fn execsnoop_script() {
    let p = parse(EXECSNOOP).unwrap();
    assert_eq!(p.probes.len(), 2);
    let begin = &p.probes[0];
    assert_eq!(begin.attach_points[0].raw, "BEGIN");
    assert_eq!(begin.attach_points[0].parts, vec!["BEGIN"]);
    assert_eq!(begin.attach_points[0].span.range(), 21..26);
    assert!(begin.predicate.is_none());
    assert_eq!(begin.body.stmts.len(), 1);
    let StmtKind::Expr(call) = &begin.body.stmts[0].kind else {
        panic!()
    };
    assert_eq!(sexp(call), r#"printf("New processes with arguments\n")"#);
    assert_eq!(
        &EXECSNOOP[begin.span.range()],
        "BEGIN\n{\n  printf(\"New processes with arguments\\n\");\n}"
    );

    let tp = &p.probes[1];
    assert_eq!(
        tp.attach_points[0].parts,
        vec!["tracepoint", "syscalls", "sys_enter_execve"]
    );
    let StmtKind::Expr(call) = &tp.body.stmts[0].kind else {
        panic!()
    };
    assert_eq!(sexp(call), "join(args->argv)");
    assert_eq!(&EXECSNOOP[call.span.range()], "join(args->argv)");
}

#[test]
fn opensnoop_script() {
    let p = parse(OPENSNOOP).unwrap();
    assert_eq!(p.probes.len(), 2);
    let enter = &p.probes[0];
    assert_eq!(
        enter.attach_points[0].raw,
        "tracepoint:syscalls:sys_enter_openat"
    );
    let StmtKind::Assign { target, op, value } = &enter.body.stmts[0].kind else {
        panic!("{:?}", enter.body.stmts[0])
    };
    assert_eq!(sexp(target), "@filename[tid]");
    assert_eq!(*op, None);
    assert_eq!(sexp(value), "args->filename");

    let exit = &p.probes[1];
    assert_eq!(sexp(exit.predicate.as_ref().unwrap()), "@filename[tid]");
    assert_eq!(exit.body.stmts.len(), 2);
    let StmtKind::If { cond, then, els } = &exit.body.stmts[0].kind else {
        panic!()
    };
    // the parentheses are part of the condition's span
    assert_eq!(&OPENSNOOP[cond.span.range()], "( args->ret < 0 )");
    assert_eq!(sexp(cond), "(args->ret < 0)");
    assert!(els.is_none());
    let StmtKind::Expr(printf) = &then.stmts[0].kind else {
        panic!()
    };
    assert_eq!(
        sexp(printf),
        r#"printf("%s %s\n", comm, str(@filename[tid]))"#
    );
    let StmtKind::Expr(delete) = &exit.body.stmts[1].kind else {
        panic!()
    };
    assert_eq!(sexp(delete), "delete(@filename[tid])");
}

#[test]
fn precedence() {
    assert_eq!(
        expr("1 + 2 * 3 == 7 && !x"),
        "(((1 + (2 * 3)) == 7) && (!x))"
    );
    assert_eq!(
        expr("a || b && c | d ^ e & f"),
        "(a || (b && (c | (d ^ (e & f)))))"
    );
    assert_eq!(
        expr("a == b < c << d + e * f"),
        "(a == (b < (c << (d + (e * f)))))"
    );
    assert_eq!(
        expr("a != b >= c >> d - e % f"),
        "(a != (b >= (c >> (d - (e % f)))))"
    );
    assert_eq!(expr("1 - 2 - 3"), "((1 - 2) - 3)");
    assert_eq!(expr("8 / 4 / 2"), "((8 / 4) / 2)");
    assert_eq!(expr("a ? b : c ? d : e"), "(a ? b : (c ? d : e))");
    assert_eq!(expr("a || b ? c + 1 : d"), "((a || b) ? (c + 1) : d)");
    assert_eq!(expr("-x * *p"), "((-x) * (*p))");
    assert_eq!(expr("~!-1"), "(~(!(-1)))");
    assert_eq!(expr("!a->b[1].c"), "(!a->b[1].c)");
    assert_eq!(expr("-f(1)->x"), "(-f(1)->x)");
    assert_eq!(expr("(1 + 2) * 3"), "((1 + 2) * 3)");
    assert_eq!(expr("x<y"), "(x < y)");
    assert_eq!(expr("a & b == c"), "(a & (b == c))");
}

#[test]
fn postfix_and_maps() {
    assert_eq!(expr("@m[1, \"a\"][2]"), "@m[1, \"a\"][2]");
    assert_eq!(expr("@[pid]"), "@[pid]");
    assert_eq!(expr("@"), "@");
    assert_eq!(expr("@m.x"), "@m.x");
    assert_eq!(expr("$t.0"), "$t.0");
    assert_eq!(expr("args.filename"), "args.filename");
    assert_eq!(expr("f()"), "f()");
    assert_eq!(expr("$1 + $#"), "($1 + $#)");
    let e = parse_expr("@m[1][2]").unwrap();
    let ExprKind::Index { base, .. } = &e.kind else {
        panic!("{e:?}")
    };
    let ExprKind::Map { keys, .. } = &base.kind else {
        panic!()
    };
    assert_eq!(keys.len(), 1);
    assert_eq!(base.span.range(), 0..5);
    assert_eq!(e.span.range(), 0..8);
}

#[test]
fn spans_of_expressions() {
    let e = parse_expr("a + b * 2").unwrap();
    assert_eq!(e.span.range(), 0..9);
    let ExprKind::Binary { rhs, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(rhs.span.range(), 4..9);
    let e = parse_expr("-x").unwrap();
    assert_eq!(e.span.range(), 0..2);
}

#[test]
fn statements() {
    let stmts = body("$x = 1; $x += 2; @c[comm]++; --$y; @m <<= 3; *p = 4; f()");
    let kinds: Vec<String> = stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Assign { target, op, value } => format!(
                "{} {}= {}",
                sexp(target),
                op.map_or("", |o| o.symbol()),
                sexp(value)
            ),
            StmtKind::Incr { target, delta } => format!("{} {delta:+}", sexp(target)),
            StmtKind::Expr(e) => sexp(e),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "$x = 1",
            "$x += 2",
            "@c[comm] +1",
            "$y -1",
            "@m <<= 3",
            "(*p) = 4",
            "f()"
        ]
    );
    for (op, bin) in [
        ("-=", BinOp::Sub),
        ("*=", BinOp::Mul),
        ("/=", BinOp::Div),
        ("%=", BinOp::Mod),
        ("&=", BinOp::BitAnd),
        ("|=", BinOp::BitOr),
        ("^=", BinOp::BitXor),
        (">>=", BinOp::Shr),
    ] {
        let s = body(&format!("$a {op} 1"));
        assert!(
            matches!(&s[0].kind, StmtKind::Assign { op: Some(o), .. } if *o == bin),
            "{op}"
        );
    }
    assert_eq!(stmts[1].span.range(), 16..23);
}

#[test]
fn separators() {
    assert_eq!(body("").len(), 0);
    assert_eq!(body(";;").len(), 0);
    assert_eq!(body("a; ;; b;").len(), 2);
    assert_eq!(body("if (x) { a } b").len(), 2);
    assert_eq!(body("if (x) { a }; b").len(), 2);
    assert_eq!(body("{ a; b } { c } d").len(), 3);
    assert!(parse("BEGIN { a b }").is_err());
    assert!(parse("BEGIN { a if (x) {} }").is_err());
}

#[test]
fn if_else_chains() {
    let stmts = body("if (a) { x } else if (b) { y } else { z }");
    let StmtKind::If { cond, els, .. } = &stmts[0].kind else {
        panic!()
    };
    assert_eq!(sexp(cond), "a");
    let els = els.as_ref().unwrap();
    assert_eq!(els.stmts.len(), 1);
    let StmtKind::If { cond, els, then } = &els.stmts[0].kind else {
        panic!()
    };
    assert_eq!(sexp(cond), "b");
    assert_eq!(then.stmts.len(), 1);
    assert_eq!(els.as_ref().unwrap().stmts.len(), 1);
    // condition without parentheses is accepted too
    assert_eq!(body("if a > 1 { x }").len(), 1);
}

#[test]
fn attach_point_lists_and_predicates() {
    let p = parse("a:b:c, d:e:f,\n  uprobe:/bin/bash:readline /pid == 1/ { }").unwrap();
    let aps = &p.probes[0].attach_points;
    let raws: Vec<_> = aps.iter().map(|a| a.raw.as_str()).collect();
    assert_eq!(raws, vec!["a:b:c", "d:e:f", "uprobe:/bin/bash:readline"]);
    assert_eq!(aps[2].parts, vec!["uprobe", "/bin/bash", "readline"]);
    assert_eq!(aps[1].span.range(), 7..12);
    assert_eq!(sexp(p.probes[0].predicate.as_ref().unwrap()), "(pid == 1)");
    let p = parse("i:s:1 / $x / 2 / { } END { }").unwrap();
    assert_eq!(sexp(p.probes[0].predicate.as_ref().unwrap()), "($x / 2)");
    assert_eq!(p.probes[1].attach_points[0].raw, "END");
    let p = parse("kprobe:f+0x10 {}").unwrap();
    assert_eq!(p.probes[0].attach_points[0].parts, vec!["kprobe", "f+0x10"]);
    assert_eq!(parse("").unwrap().probes.len(), 0);
}

#[test]
fn syntax_error_messages() {
    let cases: &[(&str, std::ops::Range<usize>, &str)] = &[
        (
            "BEGIN { x = }",
            12..13,
            "syntax error: unexpected `}`, expected an expression",
        ),
        (
            "BEGIN { 1 + }",
            12..13,
            "syntax error: unexpected `}`, expected an expression",
        ),
        (
            "BEGIN { }}",
            9..10,
            "syntax error: unexpected `}`, expected a probe",
        ),
        (
            "BEGIN { ) }",
            8..9,
            "syntax error: unexpected `)`, expected a statement or `}`",
        ),
        (
            "BEGIN { printf(\"x\" }",
            19..20,
            "syntax error: unexpected `}`, expected `)` or `,`",
        ),
        (
            "BEGIN { x = 1 y = 2 }",
            14..15,
            "syntax error: unexpected identifier `y`, expected `}`, `;` or an operator",
        ),
        (
            "BEGIN",
            5..5,
            "syntax error: unexpected end of input, expected `{`, `,` or a predicate",
        ),
        (
            "BEGIN / x { }",
            10..11,
            "syntax error: unexpected `{`, expected `/` to end the predicate",
        ),
        (
            "BEGIN { x.; }",
            10..11,
            "syntax error: unexpected `;`, expected a field name",
        ),
        (
            "BEGIN { if (x) { } else }",
            24..25,
            "syntax error: unexpected `}`, expected `if` or `{`",
        ),
    ];
    for (src, range, msg) in cases {
        assert_eq!(errors(src), vec![(range.clone(), msg.to_string())], "{src}");
    }
}

#[test]
fn notes_for_unsupported_syntax() {
    let notes = |src: &str| -> Vec<String> {
        parse(src)
            .unwrap_err()
            .into_iter()
            .flat_map(|d| d.notes)
            .collect()
    };
    assert_eq!(
        notes("BEGIN { import x; }"),
        vec!["`import` is not supported by tracec yet"]
    );
    assert!(parse("BEGIN { $x = (1, 2) }").is_ok());
    assert_eq!(
        notes("BEGIN { $x = (pid_t)1 }"),
        vec!["casts name `int8`..`uint64`, `struct NAME *` or `union NAME *`; other type names are not supported"]
    );
    assert_eq!(
        notes("BEGIN END { }"),
        vec!["separate the attach points of one probe with `,`"]
    );
}

#[test]
fn tuples_records_and_type_arguments_parse() {
    let one = |src: &str| sexp(&parse_expr(src).expect(src));
    assert_eq!(one("(1, \"a\", $x)"), "(tuple 1 \"a\" $x)");
    assert_eq!(one("(1,)"), "(tuple 1)");
    assert_eq!(one("()"), "(tuple )");
    assert_eq!(one("(a = 1, b = (2, 3))"), "(record a=1 b=(tuple 2 3))");
    assert_eq!(one("(1)"), "1");
    assert_eq!(one("sizeof(uint16)"), "sizeof(((uint16)0))");
    assert_eq!(one("(bool)$x"), "((bool)$x)");
}

#[test]
fn several_errors_are_reported() {
    let errs = errors("BEGIN { x = ; y = 2 ; z = 1 +; }");
    assert_eq!(
        errs.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
        vec![12..13, 29..30]
    );
    let errs = errors("BEGIN END { x = } END { y = }");
    assert_eq!(
        errs.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
        vec![6..9, 16..17, 28..29]
    );
    let errs = errors("BEGIN { while (1) { x = } y = 1; z = }");
    assert_eq!(
        errs.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
        vec![24..25, 37..38]
    );
    // lexical and syntax errors together, in source order
    let errs = errors("BEGIN { $x = \"a\\q\"; y = }");
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[0].1, "unknown escape sequence `\\q`");
    assert!(errs[1].1.starts_with("syntax error"));
}

#[test]
fn nesting_limits() {
    let deep = format!("BEGIN {{ $x = {}1; }}", "!".repeat(MAX_NESTING + 5));
    let errs = errors(&deep);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].1.contains("nested too deeply"), "{errs:?}");
    let ok = format!("BEGIN {{ $x = {}1; }}", "!".repeat(100));
    assert!(parse(&ok).is_ok());
    // very long chains fail cleanly whether or not parsing succeeds
    let long = format!("BEGIN {{ $x = 1{} }}", " + 1".repeat(20_000));
    assert!(parse(&long).is_err());
    let long = format!("BEGIN {{ $x = 1{} ) }}", " + 1".repeat(9_000));
    assert!(parse(&long).is_err());
}

#[test]
fn garbage_does_not_panic() {
    for src in [
        "\0",
        "{",
        "}",
        "/",
        "//",
        "/*",
        "#",
        "#!",
        "@",
        "$",
        ",",
        "BEGIN {",
        "BEGIN { @",
        "BEGIN { \"",
        "BEGIN { \"\\",
        "BEGIN { \"\\x",
        "BEGIN { 0x }",
        "BEGIN { 1e }",
        "BEGIN /",
        "BEGIN / 1 /",
        "a,,b {}",
        "a {} }",
        "é",
        "BEGIN { é }",
        "\u{feff}BEGIN {}",
        "BEGIN { a ? b }",
        "BEGIN { ++ }",
        "BEGIN { x++ ++ }",
        "BEGIN { if }",
        "BEGIN { else }",
    ] {
        let _ = parse(src);
    }
}

#[test]
fn control_flow_and_top_level_items_parse() {
    let p = parse(
        "config = { a = 1; B = x }\nlet @m = lruhash(10);\nmacro f($v, x, @n) { $v + x }\n\
         BEGIN { let $a: uint32 = 1; while ($a < 3) { $a++; } unroll(2) { } \
         for ($i : 0..5) { break; } for $kv : @m { continue; } return; $b = { 1; 2 }; }",
    )
    .unwrap();
    assert_eq!(p.config.len(), 2);
    assert_eq!(p.config[1].value, ConfigValue::Ident("x".into()));
    assert_eq!(p.map_decls[0].kind, "lruhash");
    assert_eq!(
        p.macros[0].params,
        vec![
            MacroParam::Var("v".into()),
            MacroParam::Expr("x".into()),
            MacroParam::Map("n".into())
        ]
    );
    let kinds: Vec<_> = p.probes[0].body.stmts.iter().map(|s| &s.kind).collect();
    assert!(matches!(
        kinds[0],
        StmtKind::Let {
            ty: Some(_),
            value: Some(_),
            ..
        }
    ));
    assert!(matches!(kinds[1], StmtKind::While { .. }));
    assert!(matches!(kinds[2], StmtKind::Unroll { .. }));
    assert!(matches!(
        kinds[3],
        StmtKind::For {
            iter: ForIter::Range { .. },
            ..
        }
    ));
    assert!(matches!(
        kinds[4],
        StmtKind::For {
            iter: ForIter::Map(_),
            ..
        }
    ));
    assert!(matches!(kinds[5], StmtKind::Return(None)));
    let StmtKind::Assign { value, .. } = kinds[6] else {
        panic!("{:?}", kinds[6]);
    };
    assert_eq!(sexp(value), "{1 stmts; 2}");
}

#[test]
fn macros_are_hygienic() {
    let p = parse(
        "macro inc($x, @m, e) { $y = e; $x += $y; @m = 1; }\n\
         BEGIN { $y = 5; inc($y, @a, 2 + 3); }",
    )
    .unwrap();
    let StmtKind::Block(b) = &p.probes[0].body.stmts[1].kind else {
        panic!("not expanded: {:?}", p.probes[0].body.stmts[1]);
    };
    let StmtKind::Assign { target, value, .. } = &b.stmts[0].kind else {
        panic!();
    };
    // The macro's own $y is renamed; the argument expression is substituted.
    assert_eq!(sexp(target), "$y#0");
    assert_eq!(sexp(value), "(2 + 3)");
    let StmtKind::Assign { target, .. } = &b.stmts[1].kind else {
        panic!();
    };
    assert_eq!(sexp(target), "$y");
    let StmtKind::Assign { target, .. } = &b.stmts[2].kind else {
        panic!();
    };
    assert_eq!(sexp(target), "@a");
    // Wrong argument kinds and recursion are errors.
    assert!(parse("macro f(@m) { 1 } BEGIN { $x = f(1); }").is_err());
    assert!(parse("macro f(x) { f(x) } BEGIN { $x = f(1); }").is_err());
}
