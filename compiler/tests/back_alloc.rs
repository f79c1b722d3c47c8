//! Back-end unit tests: liveness, register allocation (call clobbers, spilling),
//! signed division, jumps, frame limits. Programs run in the test interpreter
//! (`back_util::interp`), which poisons r1..r5 after every helper call.

mod back_util;

use back_util::interp::{Machine, POISON};
use back_util::{gen, sdiv, smod, Fb};
use tracec::back::liveness::{liveness, RegSet};
use tracec::back::mir::{AluOp, MBlock, MFunction, MInst, MTerm, Reg, Src};
use tracec::back::{self, isel, regalloc, CompiledFunction};
use tracec::ir::*;

fn compile(f: &Function) -> CompiledFunction {
    back::compile(f).unwrap_or_else(|e| panic!("compile failed: {e}\n{f}"))
}

fn run(f: &Function, args: &[u64]) -> (u64, Machine) {
    let c = compile(f);
    let mut m = Machine::new(args, 1);
    match m.run(&c) {
        Ok(r) => (r, m),
        Err(e) => panic!("{e}\n{}", back::asm::disassemble(&c.insns)),
    }
}

/// Select and allocate, checking that no value sits in r1..r5 across a call.
fn allocated(f: &Function) -> MFunction {
    let mut m = isel::select(f).unwrap();
    regalloc::allocate(&mut m).unwrap();
    let live = liveness(&m);
    let mut scratch = Vec::new();
    for (bi, b) in m.blocks.iter().enumerate() {
        let mut l = live.live_out[bi].clone();
        tracec::back::liveness::term_uses(&b.term, &mut l);
        for (inst, _) in b.insts.iter().rev() {
            if let MInst::Call { .. } = inst {
                for r in 1..=5 {
                    assert!(!l.contains(Reg::phys(r)), "r{r} live across a call");
                }
            }
            tracec::back::liveness::step_back(inst, &mut l, &mut scratch);
        }
        for (inst, _) in &b.insts {
            let mut regs = vec![];
            inst.defs(&mut regs);
            inst.uses(&mut regs);
            assert!(regs.iter().all(|r| r.is_phys()), "virtual register left");
        }
    }
    m
}

fn mov(dst: Reg, src: Src) -> (MInst, Loc) {
    (
        MInst::Alu {
            op: AluOp::Mov,
            dst,
            src,
        },
        Loc::default(),
    )
}

fn block(insts: Vec<(MInst, Loc)>, term: MTerm) -> MBlock {
    MBlock {
        insts,
        term,
        term_loc: Loc::default(),
    }
}

fn set(s: &RegSet) -> Vec<Reg> {
    s.iter().collect()
}

fn mfunc(blocks: Vec<MBlock>, vregs: u32) -> MFunction {
    MFunction {
        name: "t".into(),
        section: "raw_tp".into(),
        blocks,
        next_vreg: vregs,
        frame_size: 0,
        loc: Loc::default(),
    }
}

#[test]
fn liveness_diamond_and_loop() {
    let v = Reg::virt;
    // b0: v0 = 1; v1 = 2; if v0 == 0 goto b1 else b2
    // b1: v2 = v1   b2: v2 = v0   b3: r0 = v2; exit
    let f = mfunc(
        vec![
            block(
                vec![mov(v(0), Src::Imm(1)), mov(v(1), Src::Imm(2))],
                MTerm::Branch {
                    cond: Cond::Eq,
                    lhs: v(0),
                    rhs: Src::Imm(0),
                    then: 1,
                    els: 2,
                },
            ),
            block(vec![mov(v(2), Src::Reg(v(1)))], MTerm::Jump(3)),
            block(vec![mov(v(2), Src::Reg(v(0)))], MTerm::Jump(3)),
            block(vec![mov(Reg::R0, Src::Reg(v(2)))], MTerm::Exit),
        ],
        3,
    );
    let l = liveness(&f);
    assert_eq!(set(&l.live_in[0]), vec![]);
    assert_eq!(set(&l.live_out[0]), vec![v(0), v(1)]);
    assert_eq!(set(&l.live_in[1]), vec![v(1)]);
    assert_eq!(set(&l.live_in[2]), vec![v(0)]);
    assert_eq!(set(&l.live_in[3]), vec![v(2)]);
    assert_eq!(set(&l.live_out[3]), vec![]);

    // b0: v0 = 0; v1 = 10   b1: v0 += v1; v1 -= 1; if v1 != 0 goto b1 else b2
    // b2: r0 = v0; exit
    let f = mfunc(
        vec![
            block(
                vec![mov(v(0), Src::Imm(0)), mov(v(1), Src::Imm(10))],
                MTerm::Jump(1),
            ),
            block(
                vec![
                    (
                        MInst::Alu {
                            op: AluOp::Add,
                            dst: v(0),
                            src: Src::Reg(v(1)),
                        },
                        Loc::default(),
                    ),
                    (
                        MInst::Alu {
                            op: AluOp::Sub,
                            dst: v(1),
                            src: Src::Imm(1),
                        },
                        Loc::default(),
                    ),
                ],
                MTerm::Branch {
                    cond: Cond::Ne,
                    lhs: v(1),
                    rhs: Src::Imm(0),
                    then: 1,
                    els: 2,
                },
            ),
            block(vec![mov(Reg::R0, Src::Reg(v(0)))], MTerm::Exit),
        ],
        2,
    );
    let l = liveness(&f);
    assert_eq!(set(&l.live_in[1]), vec![v(0), v(1)]);
    assert_eq!(set(&l.live_out[1]), vec![v(0), v(1)]);
    assert_eq!(set(&l.live_in[2]), vec![v(0)]);
    assert_eq!(set(&l.live_in[0]), vec![]);
}

#[test]
fn loop_sums_and_partial_definitions_run() {
    // sum = 0; i = arg0; do { sum += i; i -= 1 } while i != 0; return sum
    let mut b = Fb::new("loop");
    let c = b.ctx();
    let i = b.arg(c, 0);
    let sum = b.imm(0);
    let body = b.block();
    let exit = b.block();
    b.term(Terminator::Jump(body));
    b.switch(body);
    b.i(Inst::Binary {
        dst: sum,
        op: BinOp::Add,
        lhs: sum,
        rhs: Operand::Reg(i),
    });
    b.i(Inst::Binary {
        dst: i,
        op: BinOp::Sub,
        lhs: i,
        rhs: Operand::Imm(1),
    });
    b.term(Terminator::Branch {
        cond: Cond::Ne,
        lhs: i,
        rhs: Operand::Imm(0),
        then: body,
        els: exit,
    });
    b.switch(exit);
    b.ret(Operand::Reg(sum));
    let f = b.finish();
    assert_eq!(run(&f, &[10]).0, 55);

    // A register assigned on one path only reads as 0 on the other.
    let mut b = Fb::new("partial");
    let c = b.ctx();
    let a = b.arg(c, 0);
    let x = b.v();
    let set_it = b.block();
    let join = b.block();
    b.term(Terminator::Branch {
        cond: Cond::Ne,
        lhs: a,
        rhs: Operand::Imm(0),
        then: set_it,
        els: join,
    });
    b.switch(set_it);
    b.i(Inst::Mov {
        dst: x,
        src: Operand::Imm(7),
    });
    b.term(Terminator::Jump(join));
    b.switch(join);
    b.ret(Operand::Reg(x));
    let f = b.finish();
    assert_eq!(run(&f, &[1]).0, 7);
    assert_eq!(run(&f, &[0]).0, 0);
}

#[test]
fn values_live_across_a_call_use_callee_saved_registers() {
    let mut b = Fb::new("across");
    let c = b.ctx();
    let a = b.arg(c, 0);
    let t = b.call(Helper::KtimeGetNs, vec![]);
    let s = b.bin(BinOp::Add, a, Operand::Reg(t));
    b.ret(Operand::Reg(s));
    let f = b.finish();
    let m = allocated(&f);
    assert_eq!(m.frame_size, 0, "no spill needed");
    // The loaded argument is kept in r6..r9.
    let load_dst = m
        .blocks
        .iter()
        .flat_map(|b| &b.insts)
        .find_map(|(i, _)| match i {
            MInst::Load { dst, .. } => Some(*dst),
            _ => None,
        })
        .unwrap();
    assert!((6..=9).contains(&load_dst.num()), "loaded into {load_dst}");
    assert_eq!(run(&f, &[5]).0, 1_000_005);
}

#[test]
fn register_pressure_across_calls_spills() {
    // 8 values live across two calls: at most 4 fit in r6..r9.
    let mut b = Fb::new("spills");
    let c = b.ctx();
    let vals: Vec<VReg> = (0..8).map(|i| b.arg(c, i)).collect();
    let t1 = b.call(Helper::KtimeGetNs, vec![]);
    let t2 = b.call(Helper::GetCurrentPidTgid, vec![]);
    let mut acc = b.bin(BinOp::Add, t1, Operand::Reg(t2));
    for (k, v) in vals.iter().enumerate() {
        let w = b.bin(BinOp::Mul, *v, Operand::Imm(k as i64 + 1));
        acc = b.bin(BinOp::Add, acc, Operand::Reg(w));
    }
    b.store_results(MapId(0), &vals, Operand::Reg(acc));
    let f = b.finish();
    let m = allocated(&f);
    let ir_frame = isel::slot_layout(&f).1;
    assert!(m.frame_size > ir_frame, "expected spill slots");
    for (i, _) in m.blocks.iter().flat_map(|b| &b.insts) {
        if let MInst::Load {
            base, off, width, ..
        }
        | MInst::Store {
            base, off, width, ..
        } = i
        {
            if *base == Reg::R10 && i32::from(*off) < -(ir_frame as i32) {
                assert_eq!(*width, Width::B8, "spills are 64-bit");
                assert_eq!(off % 8, 0, "spills are 8-aligned");
            }
        }
    }
    let args: Vec<u64> = (0..8).map(|i| 100 + i).collect();
    let (r, mach) = run(&f, &args);
    let expect = 1_000_000
        + 0x1234_0000_5678
        + args
            .iter()
            .enumerate()
            .map(|(k, a)| a * (k as u64 + 1))
            .sum::<u64>();
    assert_eq!(r, expect);
    for (i, a) in args.iter().enumerate() {
        assert_eq!(mach.result(0, i), *a);
    }
}

#[test]
fn signed_division_truncates_toward_zero() {
    let pairs: [(i64, i64); 14] = [
        (7, 2),
        (-7, 2),
        (7, -2),
        (-7, -2),
        (0, 5),
        (5, 0),
        (-5, 0),
        (i64::MIN, -1),
        (i64::MIN, 1),
        (i64::MIN, 3),
        (i64::MAX, -7),
        (-1, i64::MIN),
        (100, 7),
        (-100, 7),
    ];
    for (a, bv) in pairs {
        let mut b = Fb::new("sdiv");
        let c = b.ctx();
        let x = b.arg(c, 0);
        let y = b.arg(c, 1);
        let q = b.bin(BinOp::SDiv, x, Operand::Reg(y));
        let r = b.bin(BinOp::SMod, x, Operand::Reg(y));
        // Constant divisors take other paths (positive immediates, others in a register).
        let q7 = b.bin(BinOp::SDiv, x, Operand::Imm(7));
        let r7 = b.bin(BinOp::SMod, x, Operand::Imm(7));
        let qm3 = b.bin(BinOp::SDiv, x, Operand::Imm(-3));
        let rm3 = b.bin(BinOp::SMod, x, Operand::Imm(-3));
        let q0 = b.bin(BinOp::SDiv, x, Operand::Imm(0));
        let u0 = b.bin(BinOp::UMod, x, Operand::Imm(0));
        let ud = b.bin(BinOp::UDiv, x, Operand::Reg(y));
        b.store_results(
            MapId(0),
            &[q, r, q7, r7, qm3, rm3, q0, u0, ud],
            Operand::Imm(0),
        );
        let (_, m) = run(&b.finish(), &[a as u64, bv as u64]);
        let got: Vec<i64> = (0..9).map(|i| m.result(0, i) as i64).collect();
        let want = vec![
            sdiv(a, bv),
            smod(a, bv),
            sdiv(a, 7),
            smod(a, 7),
            sdiv(a, -3),
            smod(a, -3),
            0,
            a,
            (a as u64).checked_div(bv as u64).unwrap_or(0) as i64,
        ];
        assert_eq!(got, want, "a={a} b={bv}");
    }
}

#[test]
fn jumps_land_on_instructions_and_fall_through() {
    // if arg0 s> 5 { r = 1 } else { r = 2 }; with a 64-bit constant on one side.
    let mut b = Fb::new("br");
    let c = b.ctx();
    let a = b.arg(c, 0);
    let t = b.block();
    let e = b.block();
    let j = b.block();
    let r = b.v();
    b.term(Terminator::Branch {
        cond: Cond::Sgt,
        lhs: a,
        rhs: Operand::Imm(5),
        then: t,
        els: e,
    });
    b.switch(t);
    b.i(Inst::Mov {
        dst: r,
        src: Operand::Imm(0x1_0000_0001),
    });
    b.term(Terminator::Jump(j));
    b.switch(e);
    b.i(Inst::Mov {
        dst: r,
        src: Operand::Imm(2),
    });
    b.term(Terminator::Jump(j));
    b.switch(j);
    b.ret(Operand::Reg(r));
    let f = b.finish();
    let cf = compile(&f);
    // Every jump lands on the start of an instruction inside the program.
    let mut starts = vec![];
    let mut i = 0;
    while i < cf.insns.len() {
        starts.push(i);
        i += if cf.insns[i].code == 0x18 { 2 } else { 1 };
    }
    let mut jumps = 0;
    for &i in &starts {
        let ins = cf.insns[i];
        if ins.code & 7 == 5 && !matches!(ins.code & 0xf0, 0x80 | 0x90) {
            let to = i as i64 + 1 + i64::from(ins.off);
            assert!(starts.contains(&(to as usize)), "jump at {i} to {to}");
            jumps += 1;
        }
    }
    // One conditional jump and one `goto` over the other arm; no jump to the next
    // instruction.
    assert_eq!(jumps, 2, "{}", back::asm::disassemble(&cf.insns));
    assert!(cf.insns.iter().all(|i| !(i.code == 0x05 && i.off == 0)));
    assert_eq!(run(&f, &[6]).0, 0x1_0000_0001);
    assert_eq!(run(&f, &[5]).0, 2);
    assert_eq!(run(&f, &[(-9i64) as u64]).0, 2);
}

#[test]
fn a_branch_past_the_16_bit_range_is_relaxed_to_gotol() {
    let mut b = Fb::new("huge");
    let c = b.ctx();
    let a = b.arg(c, 0);
    let big = b.block();
    let out = b.block();
    b.term(Terminator::Branch {
        cond: Cond::Eq,
        lhs: a,
        rhs: Operand::Imm(0),
        then: out,
        els: big,
    });
    b.switch(big);
    let x = b.v();
    for k in 0..33_000 {
        b.i(Inst::Mov {
            dst: x,
            src: Operand::Imm(k),
        });
        b.store(Base::Reg(c), 0, Width::B8, Operand::Reg(x));
    }
    b.term(Terminator::Jump(out));
    b.switch(out);
    b.ret(Operand::Imm(0));
    let cf = back::compile(&b.finish()).expect("long branches are relaxed");
    // BPF_JMP32 | BPF_JA: `gotol`, with its 32-bit offset in imm, reaching past the arm.
    let long: Vec<_> = cf.insns.iter().filter(|i| i.code == 0x06).collect();
    assert_eq!(long.len(), 1, "one gotol for the far arm");
    assert!(long[0].imm > i16::MAX as i32, "{}", long[0].imm);
    // The conditional jump itself stays short.
    assert!(cf
        .insns
        .iter()
        .all(|i| i.code & 0x07 != 0x05 || i.code == 0x05 || i.off.abs() < 8));
}

#[test]
fn oversized_frame_is_an_error() {
    let mut b = Fb::new("big_frame");
    let s = b.slot(400);
    let s2 = b.slot(120);
    b.i(Inst::Zero {
        slot: s,
        offset: 0,
        len: 400,
    });
    b.i(Inst::Zero {
        slot: s2,
        offset: 0,
        len: 120,
    });
    let err = back::compile(&b.finish()).unwrap_err();
    assert!(
        err.contains("big_frame") && err.contains("520 bytes"),
        "{err}"
    );
}

/// Random straight-line arithmetic with calls in between, against a reference
/// evaluation: exercises isel of every operation and allocation under pressure.
#[test]
fn generated_arithmetic_matches_reference() {
    for seed in 0..150u64 {
        let g = gen::arith(seed, 0x1234_0000_5678);
        allocated(&g.f);
        let (r, m) = run(&g.f, &g.args);
        assert_eq!(r, 1);
        for (i, want) in g.expected.iter().enumerate() {
            assert_eq!(m.result(0, i), *want, "seed {seed} result {i}\n{}", g.f);
        }
    }
}

#[test]
fn sign_extending_loads_and_stores() {
    let mut b = Fb::new("sext");
    let s = b.slot(16);
    let c = b.ctx();
    let a = b.arg(c, 0);
    b.store(Base::Slot(s), 0, Width::B8, Operand::Reg(a));
    let l1 = b.load(Base::Slot(s), 0, Width::B1, true);
    let l2 = b.load(Base::Slot(s), 0, Width::B2, true);
    let l4 = b.load(Base::Slot(s), 0, Width::B4, true);
    let u4 = b.load(Base::Slot(s), 4, Width::B4, false);
    b.store(Base::Slot(s), 8, Width::B4, Operand::Imm(0xffff_fffe));
    b.store(Base::Slot(s), 12, Width::B2, Operand::Imm(-3));
    let back8 = b.load(Base::Slot(s), 8, Width::B8, false);
    b.store_results(MapId(0), &[l1, l2, l4, u4, back8], Operand::Imm(0));
    let (_, m) = run(&b.finish(), &[0x1234_5678_8765_c3f1]);
    let got: Vec<u64> = (0..5).map(|i| m.result(0, i)).collect();
    assert_eq!(
        got,
        vec![
            0xffff_ffff_ffff_fff1,
            0xffff_ffff_ffff_c3f1,
            0xffff_ffff_8765_c3f1,
            0x1234_5678,
            0x0000_fffd_ffff_fffe,
        ]
    );
    assert_ne!(m.result(0, 0), POISON);
}

#[test]
fn large_function_with_many_live_values() {
    // 1500 operations; every value stays live until a final sum, with calls
    // sprinkled in: forces heavy spilling (bounded by the 512-byte frame, so the
    // values are folded into 40 running sums).
    let mut b = Fb::new("large");
    let c = b.ctx();
    let a = b.arg(c, 0);
    let mut sums: Vec<(VReg, u64)> = (0..40).map(|k| (b.imm(k), k as u64)).collect();
    let mut x = (a, 3u64);
    for k in 0..1500u64 {
        let i = (k % 40) as usize;
        let y = b.bin(BinOp::Mul, x.0, Operand::Imm(3));
        x = (y, x.1.wrapping_mul(3));
        b.i(Inst::Binary {
            dst: sums[i].0,
            op: BinOp::Add,
            lhs: sums[i].0,
            rhs: Operand::Reg(y),
        });
        sums[i].1 = sums[i].1.wrapping_add(x.1);
        if k % 100 == 0 {
            b.call(Helper::KtimeGetNs, vec![]);
        }
    }
    let mut total = sums[0];
    for s in &sums[1..] {
        let t = b.bin(BinOp::Add, total.0, Operand::Reg(s.0));
        total = (t, total.1.wrapping_add(s.1));
    }
    b.ret(Operand::Reg(total.0));
    let f = b.finish();
    let m = allocated(&f);
    assert!(m.frame_size > 0 && m.frame_size <= 512);
    assert_eq!(run(&f, &[3]).0, total.1);
}

/// Spilled values that are never live at once share a stack slot: two phases, each
/// keeping 12 values live across a call, need the slots of one phase, not of both.
#[test]
fn spills_of_separate_phases_share_slots() {
    let mut b = Fb::new("phases");
    let c = b.ctx();
    let mut expect = 0u64;
    let mut total = b.imm(0);
    for phase in 0..2u64 {
        let vals: Vec<VReg> = (0..12).map(|i| b.arg(c, i)).collect();
        b.call(Helper::KtimeGetNs, vec![]);
        for (k, v) in vals.iter().enumerate() {
            let w = b.bin(BinOp::Mul, *v, Operand::Imm(k as i64 + 1 + phase as i64));
            total = b.bin(BinOp::Add, total, Operand::Reg(w));
            expect += (100 + k as u64) * (k as u64 + 1 + phase);
        }
    }
    b.ret(Operand::Reg(total));
    let f = b.finish();
    let m = allocated(&f);
    let spill_bytes = m.frame_size - isel::slot_layout(&f).1;
    // One phase alone spills at least 12 - 4 callee-saved registers.
    assert!(spill_bytes > 0, "expected spills");
    assert!(
        spill_bytes <= 12 * 8,
        "the phases' spills did not share slots: {spill_bytes} bytes"
    );
    let args: Vec<u64> = (0..12).map(|i| 100 + i).collect();
    assert_eq!(run(&f, &args).0, expect);
}
