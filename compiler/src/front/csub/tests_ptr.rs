//! Pointers, records, arrays and BPF helpers in the C subset: what the parser makes
//! of them and the script code the inliner writes for them.

use super::*;
use crate::front::ast::{Expr, ExprKind, Program, Stmt, StmtKind};

fn file(src: &str) -> CFile {
    parse(src, 0, &[]).unwrap_or_else(|d| panic!("{d:?}"))
}

/// The script `BEGIN { print(CALL); }` with the functions of `src` inlined, its
/// definitions among the script's.
fn inlined(src: &str, call: &str) -> (Program, Vec<String>) {
    let f = file(src);
    let mut p = crate::front::parse(&format!("BEGIN {{ print({call}); }}")).unwrap();
    p.c_definitions = f.defs;
    let d = inline(&mut p, &f.funcs, &f.consts, &f.maps);
    (p, d.into_iter().map(|d| d.message).collect())
}

/// The inlined call as text (a compact rendering of the script AST).
pub(super) fn text(src: &str, call: &str) -> String {
    let (p, d) = inlined(src, call);
    assert!(d.is_empty(), "{d:?}");
    // (The last statement: the C maps' declarations come first.)
    let StmtKind::Expr(e) = &p.probes[0].body.stmts.last().expect("a statement").kind else {
        panic!()
    };
    let ExprKind::Call { args, .. } = &e.kind else {
        panic!()
    };
    show(&args[0])
}

pub(super) fn errors(src: &str, call: &str) -> Vec<String> {
    inlined(src, call).1
}

fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Var(v) => format!("${v}"),
        ExprKind::Ident(i) => i.clone(),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Call { name, args } => {
            let a: Vec<String> = args.iter().map(show).collect();
            format!("{name}({})", a.join(", "))
        }
        ExprKind::Field { base, field, arrow } => {
            format!("{}{}{field}", show(base), if *arrow { "->" } else { "." })
        }
        ExprKind::Index { base, index } => format!("{}[{}]", show(base), show(index)),
        ExprKind::Unary { op, expr } => {
            let o = match op {
                UnOp::Neg => "-",
                UnOp::Not => "!",
                UnOp::BitNot => "~",
                UnOp::Deref => "*",
                UnOp::AddrOf => "&",
            };
            format!("{o}{}", show(expr))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
        }
        ExprKind::Ternary { cond, then, els } => {
            format!("({} ? {} : {})", show(cond), show(then), show(els))
        }
        ExprKind::Cast { ty, expr } => format!("({}){}", ty.spelling(), show(expr)),
        ExprKind::Block { stmts, value } => {
            let s: Vec<String> = stmts.iter().map(show_stmt).collect();
            format!("{{ {} {} }}", s.join(" "), show(value))
        }
        other => format!("{other:?}"),
    }
}

fn show_stmt(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Let {
            name,
            value: Some(v),
            ..
        } => format!("let ${name} = {};", show(v)),
        StmtKind::Assign { target, value, .. } => format!("{} = {};", show(target), show(value)),
        StmtKind::Expr(e) => format!("{};", show(e)),
        StmtKind::If { cond, then, els } => {
            let t: Vec<String> = then.stmts.iter().map(show_stmt).collect();
            let e = els.as_ref().map_or(String::new(), |b| {
                let v: Vec<String> = b.stmts.iter().map(show_stmt).collect();
                format!(" else {{ {} }}", v.join(" "))
            });
            format!("if {} {{ {} }}{e}", show(cond), t.join(" "))
        }
        StmtKind::Block(b) => {
            let v: Vec<String> = b.stmts.iter().map(show_stmt).collect();
            format!("{{ {} }}", v.join(" "))
        }
        StmtKind::While { cond, body } => {
            let v: Vec<String> = body.stmts.iter().map(show_stmt).collect();
            format!("while {} {{ {} }}", show(cond), v.join(" "))
        }
        StmtKind::Break => "break;".into(),
        StmtKind::Continue => "continue;".into(),
        other => format!("{other:?}"),
    }
}

#[test]
fn pointer_types_declarators_and_definitions() {
    let f = file(
        "struct pair { int a; unsigned long b[2]; struct task_struct *t; };\n\
         typedef struct pair pair_t;\n\
         typedef unsigned int my_u32;\n\
         static const struct task_struct *const parent(struct task_struct *t, int arr[], pair_t *p) {\n\
           my_u32 x = sizeof(pair_t), *q, m[2][3];\n\
           return t->real_parent;\n\
         }\n",
    );
    assert_eq!(f.defs.len(), 3);
    let task = CType::Record {
        name: "task_struct".into(),
        union: false,
    };
    let pair = CType::Record {
        name: "pair".into(),
        union: false,
    };
    let g = &f.funcs[0];
    assert_eq!(g.ret, CType::Ptr(Box::new(task.clone())));
    assert_eq!(g.params[1].ty, CType::Ptr(Box::new(CType::S32)));
    assert_eq!(g.params[2].ty, CType::Ptr(Box::new(pair.clone())));
    let u32_ = CType::Int {
        bits: 32,
        signed: false,
    };
    let tys: Vec<CType> = g.body[..3]
        .iter()
        .map(|s| match &s.kind {
            CStmtKind::Decl { ty, .. } => ty.clone(),
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(tys[0], u32_);
    assert_eq!(tys[1], CType::Ptr(Box::new(u32_.clone())));
    assert_eq!(
        tys[2],
        CType::Array(Box::new(CType::Array(Box::new(u32_), 3)), 2)
    );
    let CStmtKind::Decl {
        init: Some(CInit::Expr(e)),
        ..
    } = &g.body[0].kind
    else {
        panic!()
    };
    assert_eq!(e.kind, CExprKind::SizeofType(pair));
}

#[test]
fn member_walks_become_script_field_reads() {
    let src = "static int ptgid(struct task_struct *t) {\n\
                 struct task_struct *p = t->real_parent;\n\
                 if (p == NULL) return -1;\n\
                 return p->tgid;\n\
               }";
    let t = text(src, "ptgid(curtask)");
    assert!(
        t.contains("let $__c0_1_p = (struct task_struct *)$__c0_0_t->real_parent;"),
        "{t}"
    );
    // NULL compares as 0; the read is the script's field read of the pointer.
    assert!(t.contains("($__c0_1_p == 0)"), "{t}");
    assert!(t.contains("$__c0_1_p->tgid"), "{t}");
}

#[test]
fn core_read_and_helpers() {
    let src = "static u64 f(struct task_struct *t) {\n\
                 int v = 0;\n\
                 BPF_CORE_READ_INTO(&v, t, real_parent, tgid);\n\
                 return BPF_CORE_READ(t, real_parent, se.vruntime) + v\n\
                   + bpf_get_current_pid_tgid() + bpf_ktime_get_ns() + bpf_get_smp_processor_id();\n\
               }";
    let t = text(src, "f(curtask)");
    assert!(
        t.contains("$__c0_1_v = (int64)(int32)$__c0_0_t->real_parent->tgid;"),
        "{t}"
    );
    assert!(t.contains("$__c0_0_t->real_parent->se.vruntime"), "{t}");
    assert!(
        t.contains("(((uint64)pid(init) << 32) | (uint64)tid(init))"),
        "{t}"
    );
    assert!(t.contains("nsecs(monotonic)"), "{t}");
    assert!(t.contains("(uint32)cpu"), "{t}");
}

#[test]
fn struct_and_array_locals_are_one_variable_per_leaf() {
    let src = "struct in { int x; int y; };\n\
               struct out { struct in in; long v[2]; };\n\
               static long f(int k) {\n\
                 struct out o = { .in = { 1 }, .v = { [1] = 5 } };\n\
                 struct out c = o;\n\
                 c.v[k] += 2;\n\
                 return c.in.x + c.v[1];\n\
               }";
    let t = text(src, "f(1)");
    // Every leaf declared, then initialised.
    for leaf in ["in__x", "in__y", "v__0", "v__1"] {
        assert!(t.contains(&format!("let $__c0_2_o__{leaf} =")), "{t}");
        assert!(t.contains(&format!("$__c0_4_c__{leaf} = ")), "{t}");
    }
    assert!(t.contains("$__c0_2_o__in__x = (int64)(int32)1;"), "{t}");
    assert!(t.contains("$__c0_2_o__v__1 = (int64)5;"), "{t}");
    assert!(
        t.contains("$__c0_4_c__in__y = (int64)(int32)$__c0_2_o__in__y;"),
        "{t}"
    );
    // A run-time index selects the element with comparisons.
    assert!(
        t.contains("if ($__c0_5_ == 1) { $__c0_4_c__v__1 = $__c0_6_; }"),
        "{t}"
    );
}

#[test]
fn probe_read_into_locals() {
    let src = "struct pt { int x; int y; };\n\
               static int f(struct pt *p, struct task_struct *t) {\n\
                 struct pt a; char comm[4]; int n;\n\
                 bpf_probe_read_kernel(&a, sizeof(a), p);\n\
                 bpf_probe_read_kernel(&comm, sizeof(comm), t->comm);\n\
                 bpf_probe_read(&n, sizeof(n), &t->pid);\n\
                 return a.y + comm[3] + n;\n\
               }";
    let t = text(src, "f(0, curtask)");
    assert!(
        t.contains("$__c0_3_a__y = (int64)(int32)(struct pt *)$__c0_0_p->y;"),
        "{t}"
    );
    assert!(
        t.contains("$__c0_5_comm__3 = (int64)(int8)(int8 *)$__c0_1_t->comm[3];"),
        "{t}"
    );
    assert!(
        t.contains("$__c0_6_n = (int64)(int32)$__c0_1_t->pid;"),
        "{t}"
    );
}

#[test]
fn pointer_arithmetic_follows_c() {
    let src = "static long f(struct task_struct *a) {\n\
                 struct task_struct *b = 2 + a;\n\
                 return b - a;\n\
               }";
    let t = text(src, "f(curtask)");
    // `n + p` is written `p + n`; a difference counts elements.
    assert!(t.contains("($__c0_0_a + 2)"), "{t}");
    assert!(
        t.contains("((int64)($__c0_1_b - $__c0_0_a) / (int64)sizeof((struct task_struct)0))"),
        "{t}"
    );
}

#[test]
fn errors_of_pointers_and_records() {
    let cases = [
        (
            "static int f(struct task_struct *t) { t->pid = 1; return 0; }",
            "tracec does not compile this C construct: writing to memory through a pointer (BPF tracing programs only read it)",
        ),
        (
            "struct p { int x; };\nstatic int f(struct task_struct *t) { struct p v; return v.z; }",
            "no member named 'z' in 'struct p'",
        ),
        (
            "static int f(struct task_struct *t) { int a[2]; return a[2]; }",
            "array index 2 is past the end of the array (of 2 elements)",
        ),
        (
            "static int f(struct task_struct *t) { int x = 0; return x->y; }",
            "member reference type 'int' is not a pointer",
        ),
        (
            "struct p { int x; };\nstatic struct p h(void) { struct p v = {}; return v; }\n\
             static int f(struct task_struct *t) { h(); return 0; }",
            "tracec does not compile this C construct: using a `struct p` returned by value other than to initialize or assign a local, or in the script",
        ),
        (
            "static int f(struct task_struct *t) { int x; return bpf_probe_read_user_str(&x, 4, t); }",
            "tracec does not compile this C construct: this destination of a string read (only a local char array)",
        ),
    ];
    for (src, want) in cases {
        let d = errors(src, "f(curtask)");
        assert_eq!(d.first().map(String::as_str), Some(want), "{src}");
    }
}

#[test]
fn memset_memcpy_and_comm() {
    let src = "struct pt { int x; int y; };\n\
               static int f(void) {\n\
                 struct pt a = {1, 2}, b; char c[2];\n\
                 __builtin_memset(&b, 0, sizeof(b));\n\
                 __builtin_memcpy(&b, &a, sizeof(a));\n\
                 bpf_get_current_comm(&c, sizeof(c));\n\
                 return b.y + c[1] + READ_ONCE(a.x);\n\
               }";
    let t = text(src, "f()");
    assert!(
        t.contains("{ $__c0_3_b__x = (int64)(int32)0; $__c0_3_b__y = (int64)(int32)0; }"),
        "{t}"
    );
    assert!(
        t.contains("$__c0_3_b__y = (int64)(int32)$__c0_1_a__y;"),
        "{t}"
    );
    assert!(t.contains("$__c0_5_c__1 = (int64)(int8)comm[1];"), "{t}");
    let d = errors(
        "static int f(void) { int a; memset(&a, 1, 4); return bpf_ktime_get_ns(1); }",
        "f()",
    );
    assert_eq!(
        d,
        [
            "tracec does not compile this C construct: memset to a value other than 0",
            "too many arguments to function call, expected 0, have 1"
        ]
    );
}

#[test]
fn pointers_to_locals_passed_to_functions() {
    let src = "struct info { int pid; int n; };\n\
               static void fill(struct info *out, struct task_struct *t) {\n\
                 if (!out) return;\n\
                 out->pid = t->tgid;\n\
                 (*out).n += 1;\n\
               }\n\
               static int get(struct task_struct *t) {\n\
                 struct info i = {};\n\
                 fill(&i, t);\n\
                 return i.pid + i.n;\n\
               }";
    let t = text(src, "get(curtask)");
    // The parameter names the caller's local: no variable of its own.
    assert!(!t.contains("_out"), "{t}");
    assert!(t.contains("if !1 {"), "{t}");
    assert!(
        t.contains("$__c0_2_i__pid = (int64)(int32)$__c1_0_t->tgid;"),
        "{t}"
    );
    assert!(
        t.contains("$__c0_2_i__n = (int64)(int32)((int64)$__c0_2_i__n + (int64)1);"),
        "{t}"
    );
    let d = errors(
        "static long addr(int *p) { return (long)p; }\n\
         static long f(void) { int x = 0; return addr(&x); }",
        "f()",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].contains("a pointer to a local used as a value"),
        "{d:?}"
    );
}

#[test]
fn unknown_type_names_are_clangs_error() {
    for (src, at) in [
        ("int f(pte_t *p) { return 0; }", 6),
        ("int f() { atomic_t *v = 0; return 0; }", 10),
        ("int f() { my_t v; return 0; }", 10),
    ] {
        let d = parse(src, 0, &[]).expect_err(src);
        assert_eq!(d[0].span.start, at, "{src}");
        assert!(
            d[0].message.starts_with("unknown type name '"),
            "{src}: {d:?}"
        );
    }
    // An expression statement is no declaration.
    assert!(parse(
        "int f(int a, int b) { a * b + 1; a = b; return a; }",
        0,
        &[]
    )
    .is_ok());
}

#[test]
fn odd_inputs_are_diagnostics() {
    for (src, call) in [
        (
            "struct a { struct a x; };\nint f() { struct a v; return 0; }",
            "f()",
        ),
        (
            "struct b { int v; struct b x; };\nint f() { struct b v; return 0; }",
            "f()",
        ),
        ("int f() { int a[100000]; return 0; }", "f()"),
        (
            "int f() { return sizeof(int[4294967295][4294967295][4294967295]); }",
            "f()",
        ),
        ("int f() { int a[2][2]; return a[1][5]; }", "f()"),
        ("int f(int *p) { return p->x; }", "f(0)"),
        (
            "int f(struct task_struct *t) { return BPF_CORE_READ(t, 1); }",
            "f(0)",
        ),
        ("int f(int x) { int a[2]; a = x; return 0; }", "f(0)"),
    ] {
        let Ok(file) = parse(src, 0, &[]) else {
            continue;
        };
        let mut p = crate::front::parse(&format!("BEGIN {{ print({call}); }}")).unwrap();
        p.c_definitions = file.defs;
        // Errors or not, never a panic.
        let _ = inline(&mut p, &file.funcs, &file.consts, &file.maps);
    }
    let d = errors(
        "struct a { struct a x; };\nint f() { struct a v; return 0; }",
        "f()",
    );
    assert!(
        d[0].contains("a struct or array local of more than 48 scalars"),
        "{d:?}"
    );
    let d = errors("int f() { char buf[64]; return 0; }", "f()");
    assert!(
        d[0].contains("a struct or array local of more than 48 scalars"),
        "{d:?}"
    );
}

#[test]
fn conversions_are_explicit() {
    let src = "static int f(struct task_struct *t, __u32 pid, __u64 big) {\n\
                 return (t->tgid != pid) + (t->flags & 4) + (big - pid > 0);\n\
               }";
    let t = text(src, "f(curtask, 1, 2)");
    // Beside a kernel field a variable is read at its C type; a literal stays one.
    assert!(
        t.contains("($__c0_0_t->tgid != (uint32)$__c0_1_pid)"),
        "{t}"
    );
    assert!(t.contains("($__c0_0_t->flags & 4)"), "{t}");
    // Unsigned 64-bit subtraction: the script's int64 difference, as uint64.
    assert!(
        t.contains("(uint64)((int64)$__c0_2_big - (int64)$__c0_1_pid)"),
        "{t}"
    );
}

#[test]
fn globals_are_constants() {
    let src = "const volatile __u32 target_tgid = 7;\n\
               static bool verbose;\n\
               static int f(void) { return verbose ? -1 : target_tgid + 1; }\n\
               static int g(void) { target_tgid = 1; return 0; }";
    let t = text(src, "f()");
    assert!(t.contains("((uint64)(uint32)7 + (uint64)1)"), "{t}");
    assert!(t.contains("(0 ? "), "{t}");
    assert_eq!(
        errors(src, "g()"),
        ["tracec does not compile this C construct: writing to a global variable (globals keep their initial values)"]
    );
}

#[test]
fn string_reads_stop_at_the_nul() {
    let src = "static int f(struct task_struct *t) {\n\
                 char buf[3];\n\
                 long n = bpf_probe_read_kernel_str(buf, sizeof(buf), t->comm);\n\
                 return n + buf[0];\n\
               }";
    let t = text(src, "f(curtask)");
    // Each byte is read while no NUL came; the last one is the NUL.
    assert!(
        t.contains("if ($__c0_3_ == 0) { $__c0_2_buf__1 = (int64)(int8)(int8 *)$__c0_0_t->comm[1]; if ($__c0_2_buf__1 == 0) { $__c0_3_ = 2; } }"),
        "{t}"
    );
    assert!(
        t.contains("if ($__c0_3_ == 0) { $__c0_2_buf__2 = (int64)(int8)0; if ($__c0_2_buf__2 == 0) { $__c0_3_ = 3; } }"),
        "{t}"
    );
}
