use super::run;
use crate::back::mir::{AluOp, MBlock, MFunction, MInst, MTerm, Reg, Src};
use crate::ir::{Cond, Helper, Loc, Width};

fn r(n: u8) -> Reg {
    Reg::phys(n)
}

fn alu(op: AluOp, dst: u8, src: Src) -> MInst {
    MInst::Alu {
        op,
        dst: r(dst),
        src,
    }
}

fn imm(i: i32) -> Src {
    Src::Imm(i)
}

fn store(src: u8, off: i16) -> MInst {
    MInst::Store {
        base: Reg::R10,
        off,
        width: Width::B8,
        src: r(src),
    }
}

fn call() -> MInst {
    MInst::Call {
        helper: Helper::GetCurrentPidTgid,
        nargs: 0,
    }
}

fn block(insts: Vec<MInst>, term: MTerm) -> MBlock {
    MBlock {
        insts: insts
            .into_iter()
            .enumerate()
            .map(|(k, i)| {
                (
                    i,
                    Loc {
                        line: 1,
                        col: k as u32 + 1,
                    },
                )
            })
            .collect(),
        term,
        term_loc: Loc::default(),
    }
}

fn func(blocks: Vec<MBlock>) -> MFunction {
    MFunction {
        name: "f".into(),
        section: "raw_tp".into(),
        blocks,
        next_vreg: 0,
        frame_size: 16,
        loc: Loc::default(),
    }
}

fn insts(f: &MFunction, b: usize) -> Vec<MInst> {
    f.blocks[b].insts.iter().map(|(i, _)| i.clone()).collect()
}

#[test]
fn removes_alu_no_ops() {
    let mut f = func(vec![block(
        vec![
            alu(AluOp::Mov, 3, Src::Reg(r(8))),
            alu(AluOp::Add, 3, imm(0)),
            alu(AluOp::Mul, 3, imm(1)),
            alu(AluOp::Rsh, 3, imm(0)),
            alu(AluOp::Mov, 3, Src::Reg(r(3))),
            alu(AluOp::Add, 3, imm(4)),
            store(3, -8),
        ],
        MTerm::Exit,
    )]);
    run(&mut f);
    assert_eq!(
        insts(&f, 0),
        vec![
            alu(AluOp::Mov, 3, Src::Reg(r(8))),
            alu(AluOp::Add, 3, imm(4)),
            store(3, -8),
        ]
    );
}

#[test]
fn shift_pair_becomes_a_32_bit_move() {
    let mut f = func(vec![block(
        vec![
            call(),
            alu(AluOp::Lsh, 0, imm(32)),
            alu(AluOp::Rsh, 0, imm(32)),
            store(0, -8),
        ],
        MTerm::Exit,
    )]);
    run(&mut f);
    assert_eq!(
        insts(&f, 0),
        vec![
            call(),
            MInst::Zext32 {
                dst: r(0),
                src: r(0)
            },
            store(0, -8)
        ]
    );
    // The location is the first shift's.
    assert_eq!(f.blocks[0].insts[1].1, Loc { line: 1, col: 2 });
}

#[test]
fn copy_and_shift_pair_become_one_move() {
    let mut f = func(vec![block(
        vec![
            call(),
            alu(AluOp::Mov, 6, Src::Reg(r(0))),
            alu(AluOp::Lsh, 6, imm(32)),
            alu(AluOp::Rsh, 6, imm(32)),
            store(6, -8),
        ],
        MTerm::Exit,
    )]);
    run(&mut f);
    assert_eq!(
        insts(&f, 0),
        vec![
            call(),
            MInst::Zext32 {
                dst: r(6),
                src: r(0)
            },
            store(6, -8)
        ]
    );
}

#[test]
fn other_shifts_stay() {
    let body = vec![
        call(),
        // Arithmetic shift: sign extension, not a zero extension.
        alu(AluOp::Lsh, 0, imm(32)),
        alu(AluOp::Arsh, 0, imm(32)),
        // Different registers.
        alu(AluOp::Lsh, 1, imm(32)),
        alu(AluOp::Rsh, 2, imm(32)),
        // Other amounts.
        alu(AluOp::Lsh, 3, imm(16)),
        alu(AluOp::Rsh, 3, imm(16)),
        store(0, -8),
        store(1, -8),
        store(2, -8),
        store(3, -8),
    ];
    let mut f = func(vec![block(body.clone(), MTerm::Exit)]);
    run(&mut f);
    assert_eq!(insts(&f, 0), body);
}

#[test]
fn removes_dead_definitions_only() {
    let mut f = func(vec![
        block(
            vec![
                alu(AluOp::Mov, 7, imm(0)), // overwritten below before any read
                alu(AluOp::Mov, 8, imm(0)),
                alu(AluOp::Mov, 7, imm(0)),
                alu(AluOp::Mov, 9, imm(5)), // read in block 1 only
                alu(AluOp::Mov, 4, imm(1)), // never read
                alu(AluOp::Add, 4, imm(2)), // never read, so neither is the line above
                call(),                     // r0 unread, but a call stays
            ],
            MTerm::Branch {
                cond: Cond::Eq,
                lhs: r(8),
                rhs: imm(0),
                then: 1,
                els: 2,
            },
        ),
        block(vec![store(9, -8)], MTerm::Jump(2)),
        block(
            vec![
                store(7, -16),
                alu(AluOp::Mov, 0, imm(0)), // read by exit
            ],
            MTerm::Exit,
        ),
    ]);
    run(&mut f);
    assert_eq!(
        insts(&f, 0),
        vec![
            alu(AluOp::Mov, 8, imm(0)),
            alu(AluOp::Mov, 7, imm(0)),
            alu(AluOp::Mov, 9, imm(5)),
            call(),
        ]
    );
    assert_eq!(insts(&f, 1), vec![store(9, -8)]);
    assert_eq!(
        insts(&f, 2),
        vec![store(7, -16), alu(AluOp::Mov, 0, imm(0))]
    );
}

#[test]
fn keeps_core_relocated_constants() {
    let core = MInst::CoreConst {
        dst: r(3),
        imm: 8,
        access: Box::new(sample_access()),
    };
    let mut f = func(vec![block(vec![core.clone()], MTerm::Exit)]);
    run(&mut f);
    assert_eq!(insts(&f, 0), vec![core]);
}

fn sample_access() -> crate::ir::CoreAccess {
    use crate::ir::core::{CoreKind, CoreStruct};
    crate::ir::CoreAccess {
        kind: CoreKind::FieldByteOffset,
        root: CoreStruct {
            name: "task_struct".into(),
            union: false,
            size: 4096,
        },
        steps: Vec::new(),
    }
}

fn stack_addr(dst: u8, off: i32) -> [MInst; 2] {
    [
        alu(AluOp::Mov, dst, Src::Reg(Reg::R10)),
        alu(AluOp::Add, dst, imm(off)),
    ]
}

fn read_call() -> MInst {
    MInst::Call {
        helper: Helper::ProbeReadUser,
        nargs: 3,
    }
}

#[test]
fn stack_address_used_three_times_lives_in_a_free_callee_saved_register() {
    let mut body = Vec::new();
    for _ in 0..3 {
        body.extend(stack_addr(1, -8));
        body.push(alu(AluOp::Mov, 2, imm(8)));
        body.push(alu(AluOp::Mov, 3, Src::Reg(r(6))));
        body.push(read_call());
    }
    // Used twice only: stays as it is.
    for _ in 0..2 {
        body.extend(stack_addr(2, -16));
        body.push(store(2, -24));
    }
    let mut f = func(vec![block(body, MTerm::Exit)]);
    run(&mut f);
    let got = insts(&f, 0);
    // r6 is used, so the home is the highest free one, r9.
    assert_eq!(got[..2], stack_addr(9, -8));
    let per_use = [
        alu(AluOp::Mov, 1, Src::Reg(r(9))),
        alu(AluOp::Mov, 2, imm(8)),
        alu(AluOp::Mov, 3, Src::Reg(r(6))),
        read_call(),
    ];
    for k in 0..3 {
        assert_eq!(got[2 + 4 * k..6 + 4 * k], per_use, "use {k}");
    }
    assert_eq!(got[14..16], stack_addr(2, -16));
    assert_eq!(got.len(), 2 + 12 + 6);
}

#[test]
fn stack_addresses_stay_without_a_free_callee_saved_register() {
    let mut body = Vec::new();
    for n in 6..=9 {
        body.push(alu(AluOp::Mov, n, imm(1)));
        body.push(store(n, -8));
    }
    for _ in 0..4 {
        body.extend(stack_addr(1, -8));
        body.push(store(1, -16));
    }
    let mut f = func(vec![block(body.clone(), MTerm::Exit)]);
    run(&mut f);
    assert_eq!(insts(&f, 0), body);
}
