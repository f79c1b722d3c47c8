//! Tests of the checker on hand-built ASTs.

use super::types::*;
use super::*;
use crate::front::ast::{BinOp, Expr, ExprKind, Program, Span, Stmt, StmtKind};
use test_ast::*;

/// Small constructors for ASTs and a fake probe provider (shared with `lower`'s tests).
pub(crate) mod test_ast {
    use crate::diag::Diagnostic;
    use crate::front::ast::*;
    use crate::probes::{Context, ExpandedProbe, TpField, TpType};
    use std::cell::Cell;
    use tracec_meta::Attach;

    thread_local!(static NEXT: Cell<u32> = const { Cell::new(0) });

    /// A fresh, distinct span.
    pub fn sp() -> Span {
        NEXT.with(|n| {
            let s = n.get();
            n.set(s + 2);
            Span::new(s as usize, s as usize + 1)
        })
    }
    fn e(kind: ExprKind) -> Expr {
        Expr { kind, span: sp() }
    }
    pub fn int(v: u64) -> Expr {
        e(ExprKind::Int(v))
    }
    pub fn s(v: &str) -> Expr {
        e(ExprKind::Str(v.into()))
    }
    pub fn id(n: &str) -> Expr {
        e(ExprKind::Ident(n.into()))
    }
    pub fn var(n: &str) -> Expr {
        e(ExprKind::Var(n.into()))
    }
    pub fn map(n: &str, keys: Vec<Expr>) -> Expr {
        e(ExprKind::Map {
            name: n.into(),
            keys,
        })
    }
    pub fn call(n: &str, args: Vec<Expr>) -> Expr {
        e(ExprKind::Call {
            name: n.into(),
            args,
        })
    }
    pub fn arg(f: &str) -> Expr {
        e(ExprKind::Field {
            base: Box::new(id("args")),
            field: f.into(),
            arrow: true,
        })
    }
    pub fn bin(op: BinOp, l: Expr, r: Expr) -> Expr {
        e(ExprKind::Binary {
            op,
            lhs: Box::new(l),
            rhs: Box::new(r),
        })
    }
    pub fn un(op: UnOp, x: Expr) -> Expr {
        e(ExprKind::Unary {
            op,
            expr: Box::new(x),
        })
    }
    pub fn tern(c: Expr, t: Expr, f: Expr) -> Expr {
        e(ExprKind::Ternary {
            cond: Box::new(c),
            then: Box::new(t),
            els: Box::new(f),
        })
    }
    fn st(kind: StmtKind) -> Stmt {
        Stmt { kind, span: sp() }
    }
    pub fn ex(x: Expr) -> Stmt {
        st(StmtKind::Expr(x))
    }
    pub fn set(target: Expr, value: Expr) -> Stmt {
        st(StmtKind::Assign {
            target,
            op: None,
            value,
        })
    }
    pub fn set_op(target: Expr, op: BinOp, value: Expr) -> Stmt {
        st(StmtKind::Assign {
            target,
            op: Some(op),
            value,
        })
    }
    pub fn incr(target: Expr, delta: i64) -> Stmt {
        st(StmtKind::Incr { target, delta })
    }
    pub fn block(stmts: Vec<Stmt>) -> Block {
        Block { stmts, span: sp() }
    }
    pub fn if_(c: Expr, then: Vec<Stmt>, els: Option<Vec<Stmt>>) -> Stmt {
        st(StmtKind::If {
            cond: c,
            then: block(then),
            els: els.map(block),
        })
    }
    pub fn probe(ap: &str, pred: Option<Expr>, stmts: Vec<Stmt>) -> Probe {
        Probe {
            attach_points: vec![AttachPoint {
                raw: ap.into(),
                parts: ap.split(':').map(String::from).collect(),
                span: sp(),
            }],
            predicate: pred,
            body: block(stmts),
            span: sp(),
        }
    }
    pub fn program(probes: Vec<Probe>) -> Program {
        Program {
            probes,
            ..Program::default()
        }
    }

    fn field(name: &str, offset: u32, size: u32, ty: TpType) -> TpField {
        TpField {
            name: name.into(),
            offset,
            size,
            ty,
        }
    }

    /// BEGIN, END, a few syscall tracepoints and sched_switch.
    pub fn fake_expand(ap: &AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic> {
        let user_char = TpType::Ptr {
            user: true,
            char_ptr: true,
            pointee_ptr: false,
        };
        let (attach, section, stem, context) = match ap.raw.as_str() {
            "BEGIN" => (
                Attach::Begin,
                "raw_tp".into(),
                "BEGIN".into(),
                Context::None,
            ),
            "END" => (Attach::End, "raw_tp".into(), "END".into(), Context::None),
            raw if raw.starts_with("tracepoint:") => {
                let name = ap.parts.get(2).cloned().unwrap_or_default();
                let fields = match name.as_str() {
                    "sys_enter_openat" => vec![
                        field("dfd", 16, 8, TpType::Int { signed: true }),
                        field("filename", 24, 8, user_char.clone()),
                        field("flags", 32, 8, TpType::Int { signed: true }),
                    ],
                    "sys_exit_openat" => vec![field("ret", 16, 8, TpType::Int { signed: true })],
                    "sys_enter_execve" => vec![
                        field("filename", 16, 8, user_char.clone()),
                        field(
                            "argv",
                            24,
                            8,
                            TpType::Ptr {
                                user: true,
                                char_ptr: false,
                                pointee_ptr: true,
                            },
                        ),
                    ],
                    "sched_switch" => vec![
                        field("prev_comm", 8, 16, TpType::CharArray { len: 16 }),
                        field("prev_pid", 24, 4, TpType::Int { signed: true }),
                        field("next_comm", 36, 16, TpType::CharArray { len: 16 }),
                    ],
                    "sched_process_exec" => vec![field("filename", 8, 4, TpType::DataLocString)],
                    _ => return Err(Diagnostic::error(ap.span, format!("no tracepoint '{raw}'"))),
                };
                let cat = ap.parts[1].clone();
                (
                    Attach::Tracepoint {
                        category: cat.clone(),
                        name: name.clone(),
                    },
                    format!("tracepoint/{cat}/{name}"),
                    format!("tracepoint_{cat}_{name}"),
                    Context::Tracepoint { fields },
                )
            }
            other => {
                return Err(Diagnostic::error(
                    ap.span,
                    format!("unknown probe '{other}'"),
                ))
            }
        };
        Ok(vec![ExpandedProbe {
            name: ap.raw.clone(),
            section,
            symbol_stem: stem,
            attach,
            context,
        }])
    }

    pub fn chk(p: &Program) -> Result<crate::sema::Checked, Vec<Diagnostic>> {
        crate::sema::check_with(p, &mut fake_expand)
    }

    pub fn errors(p: &Program) -> Vec<String> {
        match chk(p) {
            Ok(_) => vec![],
            Err(d) => d.into_iter().map(|d| d.message).collect(),
        }
    }

    /// The messages of checking the script text `src` (which must parse).
    pub fn src_errors(src: &str) -> Vec<String> {
        errors(&crate::front::parse(src).expect("parses"))
    }
}

fn begin(stmts: Vec<Stmt>) -> Program {
    program(vec![probe("BEGIN", None, stmts)])
}

fn first_expr(c: &Checked, stmt: usize) -> &TExpr {
    match &c.probes[0].body[stmt].kind {
        TStmtKind::Expr(e) | TStmtKind::AssignVar { value: e, .. } => e,
        other => panic!("not an expression statement: {other:?}"),
    }
}

#[test]
fn builtin_types() {
    let c = chk(&begin(vec![
        ex(id("pid")),
        ex(id("comm")),
        ex(id("elapsed")),
        ex(id("probe")),
    ]))
    .unwrap();
    assert_eq!(first_expr(&c, 0).ty, Type::U64);
    assert_eq!(first_expr(&c, 1).ty, Type::Str { size: 16 });
    assert_eq!(first_expr(&c, 2).kind, TExprKind::Builtin(Builtin::Elapsed));
    // `probe` is an index into the attach names, named by the runtime.
    assert_eq!(
        first_expr(&c, 3).ty,
        Type::Fmt(tracec_meta::FmtKind::ProbeName)
    );
    assert_eq!(c.attach_names[0].probe, "BEGIN");
}

#[test]
fn unknown_names_are_all_reported() {
    let errs = errors(&begin(vec![
        ex(call("nosuchfn", vec![])),
        ex(id("foo")),
        ex(var("x")),
    ]));
    assert_eq!(
        errs,
        vec![
            "unknown function 'nosuchfn'",
            "unknown builtin 'foo'",
            "variable '$x' is used before it is assigned"
        ]
    );
}

#[test]
fn constant_folding_and_signedness() {
    let c = chk(&begin(vec![
        ex(bin(BinOp::Mul, bin(BinOp::Add, int(1), int(2)), int(4))),
        ex(bin(BinOp::Lt, id("pid"), int(100))),
        ex(bin(BinOp::Lt, un(ast::UnOp::Neg, int(1)), var_stub())),
    ]));
    // `var_stub` is unassigned: one error, the rest checks.
    let errs = c.unwrap_err();
    assert_eq!(errs.len(), 1);
    let c = chk(&begin(vec![
        ex(bin(BinOp::Mul, bin(BinOp::Add, int(1), int(2)), int(4))),
        ex(bin(BinOp::Lt, id("pid"), int(100))),
        set(var("a"), un(ast::UnOp::Neg, int(5))),
        ex(bin(BinOp::Lt, var("a"), int(3))),
        ex(bin(BinOp::Div, var("a"), id("pid"))),
    ]))
    .unwrap();
    assert_eq!(first_expr(&c, 0).kind, TExprKind::Int(12));
    assert!(matches!(
        first_expr(&c, 1).kind,
        TExprKind::Cmp {
            cond: crate::ir::Cond::Ult,
            ..
        }
    ));
    assert_eq!(first_expr(&c, 2).kind, TExprKind::Int(-5));
    assert!(matches!(
        first_expr(&c, 3).kind,
        TExprKind::Cmp {
            cond: crate::ir::Cond::Slt,
            ..
        }
    ));
    // A divisor known only at run time is checked for zero.
    assert!(matches!(
        first_expr(&c, 4).kind,
        TExprKind::DivChecked {
            op: Arith::Div { signed: false },
            ..
        }
    ));
}

fn var_stub() -> Expr {
    var("never")
}

#[test]
fn variable_type_changes_are_errors() {
    let errs = errors(&begin(vec![
        set(var("x"), int(1)),
        set(var("x"), s("hello")),
    ]));
    assert_eq!(
        errs,
        vec!["cannot assign a string to $x, which holds an integer"]
    );
    // Strings of different sizes merge to the largest.
    let c = chk(&begin(vec![
        set(var("s"), s("ab")),
        set(var("s"), id("comm")),
    ]))
    .unwrap();
    assert_eq!(c.probes[0].vars[0].ty, Type::Str { size: 16 });
}

#[test]
fn map_inference_and_conflicts() {
    let p = program(vec![
        probe("BEGIN", None, vec![set(map("x", vec![id("comm")]), int(1))]),
        probe(
            "END",
            None,
            vec![
                set(map("x", vec![int(3)]), int(2)),
                set(map("y", vec![]), s("a")),
                set(map("y", vec![]), int(1)),
                set(map("z", vec![int(1)]), call("count", vec![])),
                set(map("z", vec![int(1)]), int(1)),
            ],
        ),
    ]);
    assert_eq!(
        errors(&p),
        vec![
            "Argument mismatch for @x: trying to access with arguments: 'int8' when map expects arguments: 'string[16]'",
            "cannot assign an integer to @y, which holds a string[2]",
            "cannot assign an integer to @z, which holds the count() aggregation",
        ]
    );
    // A read before the (textually later) assignment still knows the type.
    let p = program(vec![
        probe(
            "BEGIN",
            None,
            vec![ex(bin(
                BinOp::Add,
                map("n", vec![id("pid"), s("k")]),
                int(1),
            ))],
        ),
        probe(
            "END",
            None,
            vec![set(map("n", vec![int(1), id("comm")]), int(5))],
        ),
    ]);
    let c = chk(&p).unwrap();
    assert_eq!(c.maps[0].name, "@n");
    assert_eq!(c.maps[0].symbol, "AT_n");
    assert_eq!(c.maps[0].keys, vec![Type::U64, Type::Str { size: 16 }]);
    assert_eq!(c.maps[0].value, MapValueType::Plain(Type::I64));
}

#[test]
fn maps_misuse() {
    let p = begin(vec![
        set(map("c", vec![]), call("hist", vec![int(1)])),
        ex(bin(BinOp::Add, map("c", vec![]), int(1))),
        ex(map("never", vec![])),
        set(map("k", vec![int(1)]), int(1)),
        ex(map("k", vec![])),
        ex(call("count", vec![])),
        ex(call("delete", vec![map("k", vec![])])),
    ]);
    assert_eq!(
        errors(&p),
        vec![
            "@c holds an aggregation (count(), sum()...) and cannot be read as a value",
            "@k is used without keys here, but with 1 key elsewhere",
            "count() must be assigned to a map, e.g. @x = count(...)",
            "delete(): @k has keys; say which element to delete, or use clear(@k)",
            "@never is used but never assigned a value",
        ]
    );
}

#[test]
fn aggregations() {
    let c = chk(&begin(vec![
        set(map("c", vec![id("comm")]), call("count", vec![])),
        set(map("s", vec![]), call("sum", vec![id("pid")])),
        set(map("m", vec![]), call("max", vec![int(3)])),
        set(map("a", vec![]), call("avg", vec![id("pid")])),
    ]))
    .unwrap();
    use tracec_meta::AggKind::*;
    let kinds: Vec<_> = c
        .maps
        .iter()
        .map(|m| match m.value {
            MapValueType::Agg { kind, signed } => (kind, signed),
            MapValueType::Plain(_) => panic!("not an aggregation"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![(Count, false), (Sum, false), (Max, true), (Avg, true)]
    );
    let errs = errors(&begin(vec![
        set(map("s", vec![]), call("sum", vec![])),
        set(map("t", vec![]), call("sum", vec![s("x")])),
    ]));
    assert_eq!(
        errs,
        vec![
            "sum() takes 1 argument, got 0 arguments",
            "sum() needs an integer, not a string[2]",
            "@s is used but never assigned a value",
            "@t is used but never assigned a value",
        ]
    );
}

#[test]
fn printf_validation_and_layout() {
    let c = chk(&begin(vec![ex(call(
        "printf",
        vec![
            s("%s %d %-10s %llu\n"),
            id("comm"),
            int(5),
            s("lit"),
            id("pid"),
        ],
    ))]))
    .unwrap();
    use tracec_meta::{Field, Ty};
    assert_eq!(c.printfs.len(), 1);
    assert_eq!(
        c.printfs[0].args,
        vec![
            Field {
                offset: 0,
                ty: Ty::Str { size: 16 }
            },
            Field {
                offset: 16,
                ty: Ty::Int {
                    size: 8,
                    signed: true
                }
            },
            Field {
                offset: 24,
                ty: Ty::Str { size: 4 }
            },
            Field {
                offset: 32,
                ty: Ty::Int {
                    size: 8,
                    signed: false
                }
            },
        ]
    );
    let errs = errors(&begin(vec![
        ex(call("printf", vec![s("%d %d\n"), int(1)])),
        ex(call("printf", vec![s("%d\n"), id("comm")])),
        ex(call("printf", vec![s("%s\n"), int(1)])),
        ex(call("printf", vec![var_stub()])),
        ex(call("printf", vec![s("%f")])),
    ]));
    assert_eq!(
        errs,
        vec![
            "printf: expected 2 arguments for the format, got 1",
            "printf: %d expects an integer, but argument 1 is a string[16]",
            "printf: %s expects a string, but argument 1 is an integer",
            "printf: the format must be a string literal",
            "printf: unsupported conversion '%f' in '%f'",
        ]
    );
}

#[test]
fn identical_printfs_share_an_id() {
    let c = chk(&begin(vec![
        ex(call("printf", vec![s("hi\n")])),
        ex(call("printf", vec![s("%d\n"), int(1)])),
        ex(call("printf", vec![s("hi\n")])),
    ]))
    .unwrap();
    assert_eq!(c.printfs.len(), 2);
    let ids: Vec<u32> = c.probes[0]
        .body
        .iter()
        .map(|s| match s.kind {
            TStmtKind::Printf { id, .. } => id,
            _ => u32::MAX,
        })
        .collect();
    assert_eq!(ids, vec![0, 1, 0]);
}

#[test]
fn tracepoint_args() {
    let p = program(vec![
        probe(
            "tracepoint:syscalls:sys_enter_openat",
            None,
            vec![
                set(map("filename", vec![id("tid")]), arg("filename")),
                ex(call("str", vec![arg("filename")])),
                ex(arg("flags")),
            ],
        ),
        probe(
            "tracepoint:sched:sched_switch",
            None,
            vec![ex(arg("prev_comm")), ex(call("str", vec![int(0)]))],
        ),
    ]);
    let c = chk(&p).unwrap();
    let open = &c.probes[0];
    assert_eq!(open.program, "tracepoint_syscalls_sys_enter_openat_0");
    match &open.body[1].kind {
        TStmtKind::Expr(TExpr {
            kind: TExprKind::StrCall { user, .. },
            ty,
            ..
        }) => {
            assert!(*user);
            assert_eq!(*ty, Type::Str { size: 64 });
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.maps[0].value,
        MapValueType::Plain(Type::Ptr {
            user: true,
            to: Pointee::Char
        })
    );
    let sched = &c.probes[1];
    assert_eq!(
        first_expr(&c, 2).kind,
        TExprKind::TpField {
            offset: 32,
            size: 8,
            signed: true
        }
    );
    match &sched.body[0].kind {
        TStmtKind::Expr(e) => assert_eq!(e.ty, Type::Str { size: 16 }),
        other => panic!("{other:?}"),
    }
    // A plain integer is a kernel address outside syscall tracepoints.
    match &sched.body[1].kind {
        TStmtKind::Expr(TExpr {
            kind: TExprKind::StrCall { user, .. },
            ..
        }) => assert!(!*user),
        other => panic!("{other:?}"),
    }
}

#[test]
fn args_errors() {
    let p = program(vec![
        probe("BEGIN", None, vec![ex(arg("x"))]),
        probe(
            "tracepoint:syscalls:sys_exit_openat",
            None,
            vec![ex(arg("nope"))],
        ),
        probe("kprobe:foo", None, vec![]),
    ]);
    let errs = errors(&p);
    assert_eq!(
        errs,
        vec![
            "unknown probe 'kprobe:foo'",
            "'args' is not available in probe 'BEGIN'",
            "'tracepoint:syscalls:sys_exit_openat' has no field 'nope'",
        ]
    );
}

#[test]
fn attach_order_begin_first_end_last() {
    let p = program(vec![
        probe("END", None, vec![]),
        probe("tracepoint:syscalls:sys_exit_openat", None, vec![]),
        probe("BEGIN", None, vec![]),
    ]);
    let c = chk(&p).unwrap();
    let names: Vec<&str> = c.probes.iter().map(|p| p.program.as_str()).collect();
    assert_eq!(
        names,
        vec!["BEGIN_2", "tracepoint_syscalls_sys_exit_openat_1", "END_0"]
    );
}

#[test]
fn string_comparisons() {
    let c = chk(&begin(vec![
        ex(bin(BinOp::Eq, id("comm"), s("bash"))),
        ex(bin(BinOp::Eq, s("a"), s("a"))),
    ]))
    .unwrap();
    assert!(matches!(
        first_expr(&c, 0).kind,
        TExprKind::StrEq { negate: false, .. }
    ));
    assert_eq!(first_expr(&c, 1).kind, TExprKind::Int(1));
    let errs = errors(&begin(vec![
        ex(bin(BinOp::Lt, id("comm"), s("bash"))),
        ex(bin(BinOp::Eq, id("comm"), int(1))),
        ex(bin(BinOp::Add, id("comm"), int(1))),
        if_(id("comm"), vec![], None),
    ]));
    assert_eq!(
        errs,
        vec![
            "strings can only be compared with == and !=, not '<'",
            "cannot compare a string[16] with an integer",
            "cannot use a string[16] in arithmetic ('+')",
            "cannot use a string[16] as a condition",
        ]
    );
}

#[test]
fn functions_misuse() {
    let errs = errors(&begin(vec![
        set(var("x"), call("printf", vec![s("x")])),
        ex(call("exit", vec![int(1), int(2)])),
        ex(call("exit", vec![s("x")])),
        ex(call("clear", vec![int(1)])),
        ex(call("join", vec![id("comm")])),
        ex(un(ast::UnOp::Deref, s("x"))),
        ex(bin(BinOp::Div, int(1), int(0))),
    ]));
    assert_eq!(
        errs,
        vec![
            "printf() returns no value and cannot be used in an expression",
            "exit() takes at most 1 argument, got 2 arguments",
            "exit() needs an integer, not a string[2]",
            "clear() takes one map, e.g. clear(@m)",
            "join() needs an array of string pointers (like args->argv), not a string[16]",
            "cannot dereference a string: '*' needs a pointer",
            "division by zero",
        ]
    );
}

#[test]
fn compound_assignment_and_increment() {
    let c = chk(&begin(vec![
        set(var("x"), int(1)),
        set_op(var("x"), BinOp::Add, id("pid")),
        incr(var("x"), -1),
        incr(map("m", vec![]), 1),
    ]))
    .unwrap();
    match &c.probes[0].body[1].kind {
        TStmtKind::AssignVar { value, .. } => {
            assert!(matches!(
                value.kind,
                TExprKind::Arith { op: Arith::Add, .. }
            ))
        }
        other => panic!("{other:?}"),
    }
    match &c.probes[0].body[2].kind {
        TStmtKind::AssignVar { value, .. } => {
            assert!(matches!(
                value.kind,
                TExprKind::Arith { op: Arith::Sub, .. }
            ))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.maps[0].value, MapValueType::Plain(Type::I64));
}

#[test]
fn ternary_and_logic() {
    let c = chk(&begin(vec![
        ex(tern(id("pid"), s("a"), id("comm"))),
        ex(bin(BinOp::LogAnd, id("pid"), int(1))),
    ]))
    .unwrap();
    assert_eq!(first_expr(&c, 0).ty, Type::Str { size: 16 });
    assert!(matches!(
        first_expr(&c, 1).kind,
        TExprKind::Logic { and: true, .. }
    ));
    let errs = errors(&begin(vec![ex(tern(id("pid"), s("a"), int(1)))]));
    assert_eq!(
        errs,
        vec![
            "the branches of '?:' must have the same kind of type, not a string[2] and an integer"
        ]
    );
}

#[test]
fn nothing_panics_on_odd_trees() {
    // Deeply odd but parseable shapes.
    let p = begin(vec![
        set(int(1), int(2)),
        ex(call("str", vec![])),
        ex(call("delete", vec![])),
        ex(call("delete", vec![map("q", vec![int(1)]), int(2)])),
        ex(Expr {
            kind: ExprKind::Index {
                base: Box::new(id("pid")),
                index: Box::new(int(0)),
            },
            span: Span::default(),
        }),
        Stmt {
            kind: StmtKind::Block(block(vec![ex(call("exit", vec![]))])),
            span: Span::default(),
        },
        ex(bin(BinOp::Shl, int(1), int(99))),
    ]);
    let errs = errors(&p);
    assert!(errs.contains(&"only variables ($x) and maps (@m[k]) can be assigned to".to_string()));
    assert!(errs.contains(&"str() takes 1 or 2 arguments, got 0 arguments".to_string()));
}
