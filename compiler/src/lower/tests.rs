//! Tests of the lowering: the shape of the IR for each construct.

use super::*;
use crate::front::ast::{BinOp, Program};
use crate::ir::{Base, Cond, Function, Helper, Inst, Operand, Terminator, Width};
use crate::sema::tests::test_ast::*;
use tracec_meta::{EventKind, MapRole};

fn lower_prog(p: &Program) -> Lowered {
    let checked = chk(p).unwrap_or_else(|e| panic!("check failed: {e:?}"));
    let l = lower(&checked, "");
    for f in &l.module.functions {
        validate(f);
    }
    l
}

/// Structural rules of the IR every function must follow.
fn validate(f: &Function) {
    let nblocks = f.blocks.len() as u32;
    let mut defined = std::collections::HashSet::new();
    for (bi, b) in f.blocks.iter().enumerate() {
        assert_eq!(b.insts.len(), b.locs.len());
        for i in &b.insts {
            if let Inst::Ctx { .. } = i {
                assert_eq!(bi, 0, "Ctx outside the entry block");
            }
            if let Inst::Call { args, .. } = i {
                assert!(args.len() <= 5);
            }
            for r in i.uses().into_iter().chain(i.def()) {
                assert!(r.0 < f.vreg_count, "{r:?} out of range in {}", f.name);
            }
            if let Some(d) = i.def() {
                defined.insert(d);
            }
        }
        for s in b.term.successors() {
            assert!(s.0 < nblocks, "bad branch target");
        }
    }
    for b in &f.blocks {
        for i in &b.insts {
            for u in i.uses() {
                assert!(
                    defined.contains(&u),
                    "{u:?} used but never defined in {}",
                    f.name
                );
            }
        }
    }
    let stack: u32 = f.slots.iter().map(|s| s.size.div_ceil(8) * 8).sum();
    assert!(stack <= 512, "{} uses {stack} bytes of stack", f.name);
}

fn insts(f: &Function) -> Vec<&Inst> {
    f.blocks.iter().flat_map(|b| &b.insts).collect()
}

fn calls(f: &Function) -> Vec<Helper> {
    insts(f)
        .into_iter()
        .filter_map(|i| match i {
            Inst::Call { helper, .. } => Some(*helper),
            _ => None,
        })
        .collect()
}

fn reserve_sizes(f: &Function) -> Vec<i64> {
    insts(f)
        .into_iter()
        .filter_map(|i| match i {
            Inst::Call {
                helper: Helper::RingbufReserve,
                args,
                ..
            } => match args[1] {
                Operand::Imm(n) => Some(n),
                Operand::Reg(_) => None,
            },
            _ => None,
        })
        .collect()
}

fn header_stores(f: &Function) -> Vec<i64> {
    insts(f)
        .into_iter()
        .filter_map(|i| match i {
            Inst::Store {
                base: Base::Reg(_),
                offset: 0,
                width: Width::B8,
                value: Operand::Imm(v),
            } => Some(*v),
            _ => None,
        })
        .collect()
}

#[test]
fn count_is_lookup_add_in_place_or_insert() {
    let l = lower_prog(&program(vec![probe(
        "BEGIN",
        None,
        vec![set(map("c", vec![id("comm")]), call("count", vec![]))],
    )]));
    let f = &l.module.functions[0];
    assert_eq!(
        calls(f),
        vec![
            Helper::GetCurrentComm,
            Helper::MapLookupElem,
            Helper::MapUpdateElem
        ]
    );
    // The found path adds 1 to the value in place.
    let i = insts(f);
    assert!(i.iter().any(|x| matches!(
        x,
        Inst::Binary {
            op: crate::ir::BinOp::Add,
            rhs: Operand::Imm(1),
            ..
        }
    )));
    assert!(i.iter().any(|x| matches!(
        x,
        Inst::Store {
            base: Base::Reg(_),
            offset: 0,
            width: Width::B8,
            value: Operand::Reg(_)
        }
    )));
    assert_eq!(l.module.maps.len(), 1, "no events, so no ringbuf");
    let m = &l.module.maps[0];
    assert_eq!(m.symbol, "AT_c");
    assert_eq!(m.kind, MapKind::PerCpuHash);
    assert_eq!(m.key, Some(DataType::Str { size: 16 }));
    assert_eq!(m.value, Some(DataType::U64));
    assert_eq!(
        l.maps[0].role,
        MapRole::User {
            name: "@c".into(),
            key: Some(Ty::Str { size: 16 }),
            value: Ty::Int {
                size: 8,
                signed: false
            },
            agg: AggKind::Count,
            additive: false,
        }
    );
}

#[test]
fn printf_reserves_header_and_args() {
    let l = lower_prog(&program(vec![probe(
        "BEGIN",
        None,
        vec![
            ex(call("printf", vec![s("New processes with arguments\n")])),
            ex(call("printf", vec![s("%d %s\n"), id("pid"), id("comm")])),
        ],
    )]));
    let f = &l.module.functions[0];
    assert_eq!(reserve_sizes(f), vec![8, 8 + 8 + 16]);
    assert_eq!(
        header_stores(f),
        vec![
            EventKind::Printf as i64,
            EventKind::Printf as i64 | (1 << 32)
        ]
    );
    let c = calls(f);
    assert_eq!(c.iter().filter(|h| **h == Helper::RingbufSubmit).count(), 2);
    // comm goes straight into the record.
    assert!(c.contains(&Helper::GetCurrentComm));
    assert!(
        f.slots.iter().all(|s| s.size <= 8),
        "no string on the stack"
    );
    let roles: Vec<&MapRole> = l.maps.iter().map(|m| &m.role).collect();
    assert_eq!(roles, vec![&MapRole::Events, &MapRole::LostCounter]);
    assert_eq!(l.module.maps[0].kind, MapKind::RingBuf);
    assert_eq!(l.module.maps[0].max_entries, 1 << 20);
    assert_eq!(
        l.module.maps.len(),
        1,
        "the lost counter is no map of its own"
    );
    let lost = &l.module.globals[0];
    assert_eq!((lost.symbol.as_str(), lost.writable), ("lost_events", true));
    // The lost path adds 1 atomically to the counter.
    assert!(f
        .blocks
        .iter()
        .flat_map(|b| &b.insts)
        .any(|i| matches!(i, crate::ir::Inst::AtomicAdd { .. })));
    assert_eq!(l.probes[0].program, "BEGIN_0");
}

#[test]
fn join_reads_up_to_16_user_strings_into_the_record() {
    let l = lower_prog(&program(vec![probe(
        "tracepoint:syscalls:sys_enter_execve",
        None,
        vec![ex(call("join", vec![arg("argv")]))],
    )]));
    let f = &l.module.functions[0];
    assert_eq!(reserve_sizes(f), vec![8 + 8 + 16 * 64]);
    assert_eq!(header_stores(f), vec![EventKind::Join as i64]);
    let c = calls(f);
    assert_eq!(
        c.iter().filter(|h| **h == Helper::ProbeReadUser).count(),
        16
    );
    assert_eq!(
        c.iter().filter(|h| **h == Helper::ProbeReadUserStr).count(),
        16
    );
    assert_eq!(l.joins.len(), 1);
    assert_eq!(l.joins[0].delimiter, " ");
    assert_eq!(f.section, "tracepoint/syscalls/sys_enter_execve");
}

/// The opensnoop-like script of the brief.
fn openat_script() -> Program {
    program(vec![
        probe(
            "tracepoint:syscalls:sys_enter_openat",
            None,
            vec![set(map("filename", vec![id("tid")]), arg("filename"))],
        ),
        probe(
            "tracepoint:syscalls:sys_exit_openat",
            Some(map("filename", vec![id("tid")])),
            vec![
                if_(
                    bin(BinOp::Lt, arg("ret"), int(0)),
                    vec![ex(call(
                        "printf",
                        vec![
                            s("%s %s\n"),
                            id("comm"),
                            call("str", vec![map("filename", vec![id("tid")])]),
                        ],
                    ))],
                    None,
                ),
                ex(call("delete", vec![map("filename", vec![id("tid")])])),
            ],
        ),
    ])
}

#[test]
fn openat_script_lowers() {
    let l = lower_prog(&openat_script());
    assert_eq!(l.module.functions.len(), 2);
    let m = &l.module.maps[0];
    assert_eq!(
        (m.kind, m.key.clone(), m.value.clone()),
        (MapKind::Hash, Some(DataType::U64), Some(DataType::Ptr))
    );
    let enter = &l.module.functions[0];
    // `tid`: read once at the start, with the initial namespace's helper or the
    // runtime namespace's one (lower/pid_plain.rs).
    let mut c = calls(enter);
    c.sort_by_key(|h| h.id());
    assert_eq!(
        c,
        vec![
            Helper::MapUpdateElem,
            Helper::GetCurrentPidTgid,
            Helper::GetNsCurrentPidTgid,
        ]
    );
    // args->filename is an 8-byte load from ctx at its offset.
    assert!(insts(enter).iter().any(|i| matches!(
        i,
        Inst::Load {
            offset: 24,
            width: Width::B8,
            ..
        }
    )));
    let exit = &l.module.functions[1];
    let c = calls(exit);
    assert_eq!(c[0], Helper::MapLookupElem);
    assert!(c.contains(&Helper::GetCurrentPidTgid));
    assert!(c.contains(&Helper::GetNsCurrentPidTgid));
    assert!(c.contains(&Helper::ProbeReadUserStr));
    assert!(c.contains(&Helper::MapDeleteElem));
    // ret < 0 is a signed comparison.
    assert!(exit.blocks.iter().any(|b| matches!(
        b.term,
        Terminator::Branch {
            cond: Cond::Slt | Cond::Sge,
            rhs: Operand::Imm(0),
            ..
        }
    )));
    assert_eq!(reserve_sizes(exit), vec![8 + 16 + 64]);
    assert_eq!(l.printfs[0].format, "%s %s\n");
}

#[test]
fn predicate_false_returns_zero() {
    let l = lower_prog(&program(vec![probe(
        "BEGIN",
        Some(bin(BinOp::Eq, id("uid"), int(1))),
        vec![set(map("x", vec![]), int(1))],
    )]));
    let f = &l.module.functions[0];
    // The entry block goes on to the body (after what the body needs at the start).
    let Terminator::Jump(body) = f.blocks[0].term else {
        panic!("{:?}", f.blocks[0].term)
    };
    match &f.blocks[body.0 as usize].term {
        Terminator::Branch {
            cond: Cond::Eq,
            rhs: Operand::Imm(1),
            then,
            els,
            ..
        } => {
            assert_eq!(
                f.blocks[els.0 as usize].term,
                Terminator::Return(Operand::Imm(0))
            );
            // The body follows (through the block that would read the task's ids).
            let mut b = then.0 as usize;
            while f.blocks[b].insts.is_empty() {
                let Terminator::Jump(next) = f.blocks[b].term else {
                    break;
                };
                b = next.0 as usize;
            }
            assert!(!f.blocks[b].insts.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn exit_submits_then_returns_and_drops_dead_code() {
    let l = lower_prog(&program(vec![probe(
        "BEGIN",
        None,
        vec![ex(call("exit", vec![])), set(map("dead", vec![]), int(1))],
    )]));
    let f = &l.module.functions[0];
    assert_eq!(header_stores(f), vec![EventKind::Exit as i64]);
    assert!(
        !calls(f).contains(&Helper::MapUpdateElem),
        "code after exit() is dropped"
    );
}

#[test]
fn clear_sends_the_map_index() {
    let l = lower_prog(&program(vec![probe(
        "BEGIN",
        None,
        vec![
            set(map("a", vec![]), int(1)),
            set(map("b", vec![int(1)]), int(1)),
            ex(call("clear", vec![map("b", vec![])])),
        ],
    )]));
    let f = &l.module.functions[0];
    assert_eq!(header_stores(f), vec![EventKind::Clear as i64 | (1 << 32)]);
    assert_eq!(l.maps[1].symbol, "AT_b");
}

#[test]
fn clear_of_a_map_without_keys_deletes_its_element_in_the_program() {
    let l = lower_prog(&program(vec![probe(
        "BEGIN",
        None,
        vec![
            set(map("a", vec![]), int(1)),
            ex(call("clear", vec![map("a", vec![])])),
        ],
    )]));
    let f = &l.module.functions[0];
    assert!(header_stores(f).is_empty(), "no Clear event");
    assert!(calls(f).contains(&Helper::MapDeleteElem));
}

#[test]
fn clear_after_a_print_of_the_same_map_stays_in_order_as_an_event() {
    let l = lower_prog(&program(vec![probe(
        "BEGIN",
        None,
        vec![
            set(map("a", vec![]), int(1)),
            ex(call("print", vec![map("a", vec![])])),
            ex(call("clear", vec![map("a", vec![])])),
        ],
    )]));
    let f = &l.module.functions[0];
    assert!(header_stores(f).contains(&(EventKind::Clear as i64)));
    assert!(!calls(f).contains(&Helper::MapDeleteElem));
}

#[test]
fn elapsed_reads_the_start_global() {
    let l = lower_prog(&program(vec![probe(
        "BEGIN",
        None,
        vec![set(map("t", vec![]), id("elapsed"))],
    )]));
    assert_eq!(l.module.globals.len(), 1);
    assert_eq!(l.module.globals[0].symbol, tracec_meta::GLOBAL_START_NS);
    assert_eq!(l.module.globals[0].init.len(), 8);
    let f = &l.module.functions[0];
    assert!(insts(f)
        .iter()
        .any(|i| matches!(i, Inst::GlobalAddr { .. })));
}

#[test]
fn string_compare_with_literal_uses_immediates() {
    let l = lower_prog(&program(vec![probe(
        "tracepoint:sched:sched_switch",
        Some(bin(BinOp::Eq, arg("prev_comm"), s("bash"))),
        vec![set(map("n", vec![]), call("count", vec![]))],
    )]));
    let f = &l.module.functions[0];
    let imms: Vec<i64> = f
        .blocks
        .iter()
        .filter_map(|b| match b.term {
            Terminator::Branch {
                cond: Cond::Ne,
                rhs: Operand::Imm(v),
                ..
            } => Some(v),
            _ => None,
        })
        .collect();
    // prev_comm is char[16] at offset 8: two 8-byte pieces.
    assert_eq!(imms, vec![i64::from_le_bytes(*b"bash\0\0\0\0"), 0]);
}

#[test]
fn aggregations_min_max_avg_sum() {
    let l = lower_prog(&program(vec![probe(
        "BEGIN",
        None,
        vec![
            set(map("mn", vec![]), call("min", vec![id("pid")])),
            set(map("mx", vec![]), call("max", vec![id("pid")])),
            set(map("av", vec![]), call("avg", vec![id("pid")])),
            set(map("sm", vec![]), call("sum", vec![id("pid")])),
        ],
    )]));
    let f = &l.module.functions[0];
    let conds: Vec<Cond> = f
        .blocks
        .iter()
        .filter_map(|b| match b.term {
            Terminator::Branch {
                cond,
                rhs: Operand::Reg(_),
                ..
            } => Some(cond),
            _ => None,
        })
        .collect();
    assert_eq!(conds, vec![Cond::Slt, Cond::Sgt]);
    assert!(l.module.maps[..3]
        .iter()
        .all(|m| m.value.as_ref().map(|v| v.size()) == Some(16)));
    assert_eq!(l.module.maps[3].value, Some(DataType::U64));
    assert!(l.module.maps.iter().all(|m| m.kind == MapKind::PerCpuHash));
}

#[test]
fn string_variables_and_ternaries() {
    let l = lower_prog(&program(vec![probe(
        "BEGIN",
        None,
        vec![
            set(var("s"), tern(id("pid"), s("a"), id("comm"))),
            set(var("t"), var("s")),
            set(map("m", vec![var("t")]), int(1)),
            set(var("i"), bin(BinOp::Add, id("pid"), int(1))),
            incr(var("i"), 1),
            if_(
                var("i"),
                vec![set(var("i"), int(0))],
                Some(vec![set(var("i"), int(2))]),
            ),
        ],
    )]));
    let f = &l.module.functions[0];
    // $s and $t take 16 bytes each; the key reuses a temporary.
    assert!(f.slots.iter().filter(|s| s.size == 16).count() >= 2);
    assert_eq!(l.module.maps[0].key, Some(DataType::Str { size: 16 }));
}

#[test]
fn line_index() {
    let li = LineIndex::new("ab\ncd\n\nxé z");
    assert_eq!(
        li.loc(crate::front::ast::Span::new(0, 1)),
        Loc { line: 1, col: 1 }
    );
    assert_eq!(
        li.loc(crate::front::ast::Span::new(4, 5)),
        Loc { line: 2, col: 2 }
    );
    assert_eq!(
        li.loc(crate::front::ast::Span::new(6, 6)),
        Loc { line: 3, col: 1 }
    );
    assert_eq!(
        li.loc(crate::front::ast::Span::new(11, 12)),
        Loc { line: 4, col: 4 }
    );
    assert_eq!(li.loc(crate::front::ast::Span::new(999, 999)).line, 4);
}

#[test]
fn stack_maps_have_bpftrace_size() {
    // As many distinct stacks as bpftrace 0.17's stack trace maps held, allocated as
    // they come (BPF_F_NO_PREALLOC).
    let p = crate::front::parse(
        "BEGIN { @a[kstack] = count(); @b[ustack(5), ustack(perf, 5)] = count(); }",
    )
    .expect("parses");
    let l = lower_prog(&p);
    let stacks: Vec<_> = l
        .module
        .maps
        .iter()
        .filter(|m| m.kind == MapKind::HashNoPrealloc)
        .map(|m| (m.symbol.as_str(), m.max_entries, m.kind.map_flags()))
        .collect();
    assert_eq!(
        stacks,
        vec![("stack_k127", 131_072, 1), ("stack_u5", 131_072, 1)]
    );
}

/// A tuple compared with `==` is read only as far as its bytes go: a small tuple's
/// temporary is rounded up to 8 bytes, and only the tuple's own bytes are zeroed.
#[test]
fn tuple_comparisons_read_only_the_tuples_bytes() {
    let p = crate::front::parse("BEGIN { @a[1] = (3, 4); if (@a[1] != (3, 4)) { exit(); } }")
        .expect("parses");
    let l = lower_prog(&p);
    let f = &l.module.functions[0];
    let widths: Vec<Width> = insts(f)
        .into_iter()
        .filter_map(|i| match i {
            Inst::Load { width, .. } => Some(*width),
            _ => None,
        })
        .collect();
    assert_eq!(widths, vec![Width::B2, Width::B2], "{widths:?}");
}
