use super::*;
use crate::front::ast::{ExprKind, StmtKind};

fn funcs(src: &str) -> Vec<CFunc> {
    parse(src, 0, &[]).unwrap_or_else(|d| panic!("{d:?}")).funcs
}

fn error(src: &str) -> (String, u32) {
    let d = parse(src, 0, &[]).expect_err("an error");
    (d[0].message.clone(), d[0].span.start)
}

#[test]
fn functions_types_and_statements() {
    let f = funcs(
        "#include <linux/types.h>\n#define N 4\n\
         static __always_inline unsigned long long f(int a, __u32 b) {\n\
           long t = a, u;\n\
           for (int i = 0; i < N; i++) { if (i == 2) continue; else t += (u8)b; }\n\
           while (t > 100) t >>= 1;\n\
           return t ? t : -1;\n\
         }\n\
         int g(void);\n\
         _Bool g(void) { return f(1, 'a') != 0 && !0; }\n",
    );
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].name, "f");
    assert_eq!(
        f[0].ret,
        CType::Int {
            bits: 64,
            signed: false
        }
    );
    assert_eq!(
        f[0].params[1].ty,
        CType::Int {
            bits: 32,
            signed: false
        }
    );
    // `long t = a, u;` declares two variables.
    assert!(matches!(f[0].body[1].kind, CStmtKind::Decl { ref name, .. } if name == "u"));
    let CStmtKind::For { cond: Some(c), .. } = &f[0].body[2].kind else {
        panic!("{:?}", f[0].body[2])
    };
    // The #define was replaced by its value.
    assert!(matches!(&c.kind, CExprKind::Binary { rhs, .. } if rhs.kind == CExprKind::Int(4)));
    assert_eq!(f[1].ret, CType::Bool);
}

#[test]
fn precedence_follows_c() {
    let f = funcs("int f() { return 1 + 2 * 3 << 1 == 14 || 0; }");
    let CStmtKind::Return(Some(e)) = &f[0].body[0].kind else {
        panic!()
    };
    let CExprKind::Binary { op, lhs, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(*op, BinOp::LogOr);
    let CExprKind::Binary { op, .. } = &lhs.kind else {
        panic!()
    };
    assert_eq!(*op, BinOp::Eq);
}

#[test]
fn constructs_outside_the_subset_are_located() {
    let cases = [
        (
            "int f(int (*p)(void)) { return 0; }",
            "function pointers",
            10,
        ),
        (
            "int x[2], y;",
            "global variables declared together (one per declaration)",
            0,
        ),
        (
            "void v;",
            "global variables that are no integers, bools, pointers, structs or arrays",
            0,
        ),
        (
            "int f() { int a[n]; return 0; }",
            "an array length that is not a constant",
            16,
        ),
        (
            "int f() { asm volatile(\"\"); return 0; }",
            "`asm` statements",
            10,
        ),
        (
            "int f() { struct { int a; } s; return 0; }",
            "anonymous `struct`/`union`/`enum` types",
            10,
        ),
        ("#define AT(a) a @ 1\n", "this #define", 0),
        ("#line 3\n", "the preprocessor directive `#line`", 0),
        ("int f() { float x = 1; return 0; }", "`float` types", 10),
    ];
    for (src, what, at) in cases {
        let (msg, start) = error(src);
        assert_eq!(
            msg,
            format!("tracec does not compile this C construct: {what}"),
            "{src}"
        );
        assert_eq!(start, at, "{src}");
    }
    assert_eq!(
        error("int f() { return \"s; }"),
        ("unterminated string literal".to_string(), 17)
    );
}

#[test]
fn syntax_errors_do_not_panic() {
    for src in [
        "int f(",
        "int f() { return 1 }",
        "int",
        "int f() { if (",
        "))",
        "int f() {",
    ] {
        assert!(parse(src, 0, &[]).is_err(), "{src}");
    }
}

#[test]
fn spans_are_offsets_in_the_combined_text() {
    let f = parse("int f() { return 1; }", 100, &[]).unwrap().funcs;
    assert_eq!(f[0].span.start, 100);
}

fn program_calling(call: &str) -> crate::front::ast::Program {
    crate::front::parse(&format!("BEGIN {{ print({call}); }}")).unwrap()
}

#[test]
fn calls_become_block_expressions() {
    let funcs = funcs(
        "int twice(int x) { return x * 2; }\n\
         int loop(int n) { int s = 0; for (int i = 0; i < n; i++) { if (i > 5) return -1; s += twice(i); } return s; }",
    );
    let mut p = program_calling("loop(3)");
    assert!(inline(&mut p, &funcs, &[], &[]).is_empty());
    let StmtKind::Expr(e) = &p.probes[0].body.stmts[0].kind else {
        panic!()
    };
    let ExprKind::Call { args, .. } = &e.kind else {
        panic!()
    };
    let ExprKind::Block { stmts, .. } = &args[0].kind else {
        panic!("{:?}", args[0])
    };
    let text = format!("{stmts:?}");
    // Returns set the result and the flag; the nested call is inlined too.
    assert!(text.contains("__c0_done"), "{text}");
    assert!(text.contains("__c1_0_x"), "{text}");
}

#[test]
fn bad_calls_are_diagnostics() {
    let f = funcs("int r(int n) { return r(n); }\nint one(int a) { return a; }");
    let mut p = program_calling("r(1)");
    let d = inline(&mut p, &f, &[], &[]);
    assert!(d[0].message.contains("recursive calls"), "{d:?}");
    let mut p = program_calling("one(1, 2)");
    let d = inline(&mut p, &f, &[], &[]);
    assert_eq!(d[0].message, "one() takes 1 argument, not 2");
    let f = funcs("int u() { return y; }");
    let mut p = program_calling("u()");
    let d = inline(&mut p, &f, &[], &[]);
    assert_eq!(d[0].message, "use of undeclared identifier 'y'");
}

#[test]
fn macros_and_conditionals() {
    let f = funcs(
        "#ifndef NULL\n#define NULL 0\n#endif\n\
         #define MIN(a, b) ((a) < (b) ? (a) : (b))\n\
         #define TWICE(x) MIN(x, 100) * 2\n\
         #if defined(__x86_64__) && LIMIT_UNSET + 1 > 0\n\
         int f(int v) { return TWICE(v + 1); }\n\
         #elif 1\n\
         int g(void) { return 0; }\n\
         #else\n\
         syntax error here\n\
         #endif\n\
         #undef MIN\n\
         int MIN(int a) { return a; }\n",
    );
    let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["f", "MIN"]);
    let CStmtKind::Return(Some(e)) = &f[0].body[0].kind else {
        panic!()
    };
    // (MIN(v + 1, 100)) * 2 with MIN expanded: a ternary times 2.
    let CExprKind::Binary { op, lhs, .. } = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(*op, BinOp::Mul);
    assert!(matches!(lhs.kind, CExprKind::Ternary { .. }), "{lhs:?}");
    for (src, want) in [
        (
            "#if 1\nint f(void) { return 0; }\n",
            "unterminated conditional directive",
        ),
        ("#endif\n", "#endif without #if"),
        (
            "#define M(a) a\nint f(void) { return M(1, 2); }",
            "macro 'M' takes 1 argument, not 2",
        ),
        (
            "#define M(a) a\nint f(void) { return M(1",
            "unterminated function-like macro invocation",
        ),
        ("#error stop\n", "#error stop"),
    ] {
        assert_eq!(error(src).0, want, "{src}");
    }
}

/// Found by the `csub` fuzz target: a macro whose body uses itself twice doubled at
/// every level of nesting (2^32 tokens, out of memory) before the depth limit.
#[test]
fn doubling_macros_are_bounded() {
    let d = parse(
        "#define i = 0; i < 100; i++) {\nint f(void) { for (int i; ; ) return 0; }\n",
        0,
        &[],
    )
    .expect_err("an error");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].message.contains("a recursive #define"), "{d:?}");
    // Without recursion: each level doubles, 2^20 tokens in all.
    let mut src = String::from("#define M0 1 +\n");
    for k in 1..=20 {
        src.push_str(&format!("#define M{k} M{} M{}\n", k - 1, k - 1));
    }
    src.push_str("int f(void) { return M20 1; }\n");
    let d = parse(&src, 0, &[]).expect_err("an error");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message.contains("macro expansion produces more than"),
        "{d:?}"
    );
    // A function-like macro doubling its argument.
    let mut src = String::from("#define D(x) x x\nint f(void) { return ");
    src.push_str(&"D(".repeat(24));
    src.push('1');
    src.push_str(&")".repeat(24));
    src.push_str("; }\n");
    let d = parse(&src, 0, &[]).expect_err("an error");
    assert!(d.len() <= 2, "{d:?}");
}

#[test]
fn numbers_keep_their_spelling_until_lexed() {
    use super::lex::{lex, lex_raw, number_value, Tok};
    assert_eq!(number_value("0x1f"), Some(31));
    assert_eq!(number_value("017"), Some(15));
    assert_eq!(number_value("0b101"), Some(5));
    assert_eq!(number_value("10UL"), Some(10));
    assert_eq!(number_value("0x"), None);
    assert_eq!(number_value("1f"), None);
    // Pastes see numbers as written; the file's tokens are integers.
    let raw = lex_raw("0x10 0x", 0).unwrap();
    assert_eq!(raw[0].tok, Tok::PpNum("0x10".into()));
    let toks = lex("#define H(x) 0x ## x\nH(10) H(ff)", 0).unwrap();
    let vals: Vec<_> = toks.iter().map(|t| t.tok.clone()).collect();
    assert_eq!(vals, [Tok::Int(16), Tok::Int(255)]);
    let d = lex("int x = 0x;", 0).unwrap_err();
    assert!(d[0].message.contains("the number `0x`"), "{}", d[0].message);
    assert_eq!((d[0].span.start, d[0].span.end), (8, 10));
}

#[test]
fn global_aggregates_become_locals_of_the_functions_using_them() {
    let f = funcs(
        "struct s { int a; };\nint before(void) { return 1; }\n\
         static struct s g = { .a = 2 };\nstatic long t[2];\n\
         int uses(void) { return g.a + t[1]; }\nint not(int g) { return g; }\n",
    );
    assert_eq!(f[0].body.len(), 1, "defined before the globals");
    // `t` then `g`: each global used is declared first, with its initializer.
    let names: Vec<_> = f[1].body[..2]
        .iter()
        .map(|s| match &s.kind {
            CStmtKind::Decl { name, ty, init } => (name.as_str(), ty.clone(), init.is_some()),
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            ("t", CType::Array(Box::new(CType::S64), 2), false),
            (
                "g",
                CType::Record {
                    name: "s".into(),
                    union: false
                },
                true
            )
        ]
    );
    assert_eq!(f[2].body.len(), 1, "a parameter named as a global");
    // Only `t` is all zeros (`g` has an initializer).
    assert_eq!(f[1].zero_globals, ["t"]);
    assert!(f[2].zero_globals.is_empty());
    let z = funcs(
        "struct s { int a; };
static struct s e = {};
int u(void) { return e.a; }
",
    );
    assert_eq!(z[0].zero_globals, ["e"]);
}

#[test]
fn only_plain_char_array_members_are_strings() {
    let f = parse(
        "struct k { char c[4]; signed char s[4]; unsigned char u[4]; __u8 b[2]; char one; };\n",
        0,
        &[],
    )
    .unwrap_or_else(|d| panic!("{d:?}"));
    let t = types::RecordTable::new(&f.defs);
    let k = CType::Record {
        name: "k".into(),
        union: false,
    };
    assert!(t.is_string(&k, "c"));
    for m in ["s", "u", "b", "one", "missing"] {
        assert!(!t.is_string(&k, m), "{m}");
    }
    assert!(!t.is_string(&CType::U64, "c"));
}
