//! `do`/`while`, `switch`, user reads and structs by value in the C subset: the parser's sections and the
//! script code the inliner writes for them.

use super::tests_ptr::{errors, text};
use super::*;

fn file(src: &str) -> CFile {
    parse(src, 0, &[]).unwrap_or_else(|d| panic!("{d:?}"))
}

#[test]
fn switch_sections_keep_labels_in_order() {
    let f = file(
        "int f(int v) { switch (v) { case 1: case 2 + 1: v++; break; default: v = 0; case -4: ; } return v; }",
    );
    let CStmtKind::Switch { sections, .. } = &f.funcs[0].body[0].kind else {
        panic!("{:?}", f.funcs[0].body[0])
    };
    let labels: Vec<Option<u64>> = sections
        .iter()
        .map(|s| {
            s.label
                .as_ref()
                .map(|l| parse_type::const_value(l).unwrap())
        })
        .collect();
    assert_eq!(labels, [Some(1), Some(3), None, Some(4u64.wrapping_neg())]);
    // `case 1:` is empty (it falls into `case 3:`), which holds two statements.
    assert!(sections[0].body.is_empty());
    assert_eq!(sections[1].body.len(), 2);
    assert!(matches!(sections[1].body[1].kind, CStmtKind::Break));
}

#[test]
fn do_while_runs_its_body_before_the_test() {
    let t = text(
        "int f(int n) { int i = 0; do i++; while (i < n); return i; }",
        "f(3)",
    );
    // A first-pass flag makes the first test pass; the body clears it.
    assert!(t.contains("let $__c0_2_ = 1;"), "{t}");
    assert!(
        t.contains(
            "while (($__c0_2_ != 0) || ((int64)$__c0_1_i < (int64)$__c0_0_n)) { $__c0_2_ = 0;"
        ),
        "{t}"
    );
}

#[test]
fn switch_enters_at_the_matching_section_and_breaks_with_a_flag() {
    let t = text(
        "int f(int v) { int r = 0; switch (v) { case 1: r = 10; break; case 2: r = 20; default: r++; } return r; }",
        "f(2)",
    );
    // The entry index: case 1 is section 0, case 2 section 1, default section 2.
    assert!(
        t.contains("let $__c0_3_ = (($__c0_2_ == (int64)(int32)1) ? 0 : (($__c0_2_ == (int64)(int32)2) ? 1 : 2));"),
        "{t}"
    );
    assert!(t.contains("let $__c0_4_ = 0;"), "{t}");
    assert!(
        t.contains("if ($__c0_3_ <= 0) { $__c0_1_r = (int64)(int32)10; $__c0_4_ = 1; }"),
        "{t}"
    );
    // Later sections run unless a break ended the switch; section 1 falls through.
    assert!(t.contains("if (($__c0_4_ == 0) && ($__c0_3_ <= 1))"), "{t}");
    assert!(t.contains("if (($__c0_4_ == 0) && ($__c0_3_ <= 2))"), "{t}");
}

#[test]
fn a_break_in_a_loop_inside_a_switch_ends_the_loop() {
    let t = text(
        "int f(int v) { switch (v) { case 0: while (v < 5) { if (v == 3) break; v++; } v += 100; } return v; }",
        "f(0)",
    );
    assert!(t.contains("break;"), "{t}");
    // No flag: the only break ends the loop.
    assert!(!t.contains("= 1; }"), "{t}");
}

#[test]
fn statements_after_a_conditional_break_are_guarded() {
    let t = text(
        "int f(int v) { int r = 0; switch (v) { case 0: if (v == 0) break; r = 5; } return r; }",
        "f(0)",
    );
    assert!(
        t.contains("if ($__c0_4_ == 0) { $__c0_1_r = (int64)(int32)5; }"),
        "{t}"
    );
}

#[test]
fn misplaced_labels_and_jumps_are_errors() {
    let e = errors("int f(int v) { break; return v; }", "f(1)");
    assert_eq!(e, ["'break' statement not in loop or switch statement"]);
    let e = errors(
        "int f(int v) { switch (v) { case 1: continue; } return v; }",
        "f(1)",
    );
    assert_eq!(e, ["'continue' statement not in loop statement"]);
    let e = errors(
        "int f(int v) { int k = 2; switch (v) { case k: return 1; } return v; }",
        "f(1)",
    );
    assert_eq!(
        e,
        ["expression is not an integer constant expression: 'k' is a variable"]
    );
    for (src, msg) in [
        (
            "int f(int v) { default: return v; }",
            "'default' statement not in switch statement",
        ),
        (
            "int f(int v) { switch (v) { default: v = 1; default: v = 2; } return v; }",
            "multiple default labels in one switch",
        ),
        (
            "int f(int v) { switch (v) { case 1: case 1: v = 2; } return v; }",
            "duplicate case value",
        ),
        (
            "int f(int v) { switch (v) { case v > 1 ? 1 : 2: v = 2; } return v; }",
            "a `case` label that is not a constant",
        ),
    ] {
        let d = parse(src, 0, &[]).expect_err(src);
        assert!(d[0].message.contains(msg), "{src}: {:?}", d[0].message);
    }
}

#[test]
fn user_reads_go_through_uptr() {
    let t = text(
        "long f(const char *s) { char c = 0; bpf_probe_read_user(&c, 1, s + 2); return c; }",
        "f(0)",
    );
    assert!(t.contains("*uptr((int8 *)"), "{t}");
    let t = text(
        "struct p { int a; struct p *next; };\n\
         int f(struct p *q) { return BPF_CORE_READ_USER(q, next, a); }",
        "f(0)",
    );
    // Every step of the walk reads user memory.
    assert!(t.contains("uptr(uptr($__c0_0_q)->next)->a"), "{t}");
    let t = text(
        "long f(const char *s) { char b[3]; return bpf_probe_read_user_str(b, 8, s); }",
        "f(0)",
    );
    assert!(t.contains("uptr((int8 *)$__c0_0_s)[0]"), "{t}");
    // The kernel variant reads kernel memory.
    let t = text(
        "long f(const char *s) { char b[3]; return bpf_probe_read_kernel_str(b, 8, s); }",
        "f(0)",
    );
    assert!(!t.contains("uptr"), "{t}");
}

#[test]
fn structs_by_value_fill_the_callers_leaves() {
    let src = "struct pair { int a; int b; };\n\
               struct pair mk(int a) { struct pair r = { a, 2 }; return r; }\n\
               int sum(struct pair p) { return p.a + p.b; }\n\
               int f(int x) { struct pair v = mk(x); return sum(v); }";
    let t = text(src, "f(1)");
    // `v`'s leaves exist before the call, whose return copies `r` into them.
    let v = t.find("let $__c0_2_v__a = (int64)(int32)0;").expect(&t);
    let fill = t
        .find("$__c0_2_v__a = (int64)(int32)$__c1_2_r__a;")
        .expect(&t);
    assert!(v < fill, "{t}");
    // The parameter `p` is a local of `sum` copied from `v`.
    assert!(t.contains("_p__b = (int64)(int32)$__c0_2_v__b;"), "{t}");
    // Returned to the script: a record of the leaves.
    let t = text(src, "mk(3)");
    assert!(t.contains("Record"), "{t}");
    assert!(t.contains("__c0_r__a"), "{t}");
}

#[test]
fn string_literals_as_printk_formats_and_memcmp_operands() {
    let t = text(
        "int f(int x) { bpf_printk(\"x=%d\" \"\\n\", x); return 0; }",
        "f(1)",
    );
    assert!(t.contains("debugf(\"x=%d\\n\", $__c0_0_x)"), "{t}");
    let t = text(
        "int f(void) { char a[2] = {'o', 'k'}; return __builtin_memcmp(a, \"ok\", 2); }",
        "f()",
    );
    // Each byte once, then the first difference.
    assert!(t.contains("= (int64)111;"), "{t}");
    assert!(t.contains("? (int32)("), "{t}");
    let e = errors(
        "int f(void) { const char *s = \"abc\"; return s[0]; }",
        "f()",
    );
    assert_eq!(
        e,
        ["tracec does not compile this C construct: a string literal here (only as bpf_printk's format or a memcmp operand)"]
    );
    let e = errors(
        "int f(char *p, int n) { return memcmp(p, \"abc\", n); }",
        "f(0, 1)",
    );
    assert_eq!(
        e,
        ["tracec does not compile this C construct: a memcmp length that is not a constant"]
    );
}

#[test]
fn variadic_macros() {
    let src = "#define LOG(fmt, ...) bpf_printk(fmt, ##__VA_ARGS__)\n\
               #define SUM(...) sum3(__VA_ARGS__)\n\
               int sum3(int a, int b, int c) { return a + b + c; }\n\
               int f(int x) { LOG(\"a\"); LOG(\"b %d %d\", x, sum3(1, 2, 3)); return SUM(x, 1, 2); }";
    let f = file(src);
    let body = &f.funcs[1].body;
    let CStmtKind::Expr(e) = &body[0].kind else {
        panic!("{body:?}")
    };
    // No variable arguments: the comma before them went.
    assert!(
        matches!(&e.kind, CExprKind::Call { name, args } if name == "bpf_printk" && args.len() == 1)
    );
    let CStmtKind::Expr(e) = &body[1].kind else {
        panic!("{body:?}")
    };
    // Two variable arguments (the commas of a nested call stay inside it).
    assert!(
        matches!(&e.kind, CExprKind::Call { args, .. } if args.len() == 3),
        "{e:?}"
    );
    let CStmtKind::Return(Some(e)) = &body[2].kind else {
        panic!("{body:?}")
    };
    assert!(matches!(&e.kind, CExprKind::Call { name, args } if name == "sum3" && args.len() == 3));
    let d =
        parse("#define F(a, b, ...) a\nint g() { return F(1); }", 0, &[]).expect_err("an error");
    assert_eq!(d[0].message, "macro 'F' takes 3 arguments, not 1");
}

#[test]
fn map_definitions_are_script_maps_or_a_clear_diagnostic() {
    let src = "struct {\n  __uint(type, BPF_MAP_TYPE_HASH);\n  __uint(max_entries, 16);\n  __type(key, u32);\n  __type(value, u64);\n} counts SEC(\".maps\");\n";
    let f = parse(src, 0, &[]).unwrap();
    assert_eq!(f.maps[0].name, "counts");
    // A function body after a map-free declaration is not mistaken for one.
    assert!(parse("int x = 1;\nint f(void) { return x; }", 0, &[]).is_ok());
    // A map after a function.
    let f = parse(&format!("int f(void) {{ return 0; }}\n{src}"), 0, &[]).unwrap();
    assert_eq!((f.funcs.len(), f.maps.len()), (1, 1));
    // LRU and per-CPU kinds are script maps too.
    for (kind, array, lru) in [
        ("BPF_MAP_TYPE_LRU_HASH", false, true),
        ("BPF_MAP_TYPE_LRU_PERCPU_HASH", false, true),
        ("BPF_MAP_TYPE_PERCPU_HASH", false, false),
        ("BPF_MAP_TYPE_PERCPU_ARRAY", true, false),
    ] {
        let f = parse(&src.replace("BPF_MAP_TYPE_HASH", kind), 0, &[]).unwrap();
        assert_eq!((f.maps[0].array, f.maps[0].lru), (array, lru), "{kind}");
    }
    // A map no script map can be is located at what it cannot be.
    let d = parse(
        &src.replace("BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_STACK_TRACE"),
        0,
        &[],
    )
    .expect_err("an error");
    assert!(
        d[0].message
            .contains("a map of type `BPF_MAP_TYPE_STACK_TRACE`"),
        "{}",
        d[0].message
    );
    assert_eq!(d[0].span.start, 24);
}
