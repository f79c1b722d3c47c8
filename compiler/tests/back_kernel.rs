//! Back-end output run by the kernel: each test loads a compiled function with
//! bpf(2) as a raw tracepoint program (verifier included), runs it with
//! BPF_PROG_TEST_RUN and checks the results it wrote into an array map.
//!
//! Skipped when not root or BPF is unavailable; `TRACEC_REQUIRE_KERNEL=1` makes
//! that a failure.

mod back_util;

use back_util::kernel::{available, load, Loaded};
use back_util::{gen, results_module, sdiv, smod, Fb};
use tracec::back;
use tracec::ir::*;

fn load_module(m: &Module) -> Loaded {
    let c = back::compile(&m.functions[0]).unwrap_or_else(|e| panic!("compile: {e}"));
    load(&c, m).unwrap_or_else(|e| panic!("{e}"))
}

fn pid_tgid() -> u64 {
    // SAFETY: getpid/gettid have no preconditions.
    let (pid, tid) = unsafe { (libc::getpid(), libc::gettid()) };
    ((pid as u64) << 32) | tid as u64
}

#[test]
fn generated_arithmetic_and_calls() {
    if !available() {
        return;
    }
    for seed in 0..40 {
        let g = gen::arith(seed, pid_tgid());
        let m = results_module(g.f, 30);
        let l = load_module(&m);
        assert_eq!(l.run(&g.args).unwrap(), 1);
        assert_eq!(l.maps[0].u64s(0), g.expected, "seed {seed}\n{m}");
    }
}

#[test]
fn signed_division_shifts_and_sign_extension() {
    if !available() {
        return;
    }
    let mut b = Fb::new("divs");
    let s = b.slot(8);
    let c = b.ctx();
    let x = b.arg(c, 0);
    let y = b.arg(c, 1);
    let mut out = vec![
        b.bin(BinOp::SDiv, x, Operand::Reg(y)),
        b.bin(BinOp::SMod, x, Operand::Reg(y)),
        b.bin(BinOp::SDiv, x, Operand::Imm(10)),
        b.bin(BinOp::SMod, x, Operand::Imm(10)),
        b.bin(BinOp::SDiv, x, Operand::Imm(-4)),
        b.bin(BinOp::Shl, x, Operand::Imm(3)),
        b.bin(BinOp::AShr, x, Operand::Imm(60)),
        b.bin(BinOp::LShr, x, Operand::Reg(y)),
        b.bin(BinOp::AShr, x, Operand::Reg(y)),
    ];
    // The low half: the back end turns the shift pair into one 32-bit move.
    let high_gone = b.bin(BinOp::Shl, x, Operand::Imm(32));
    out.push(b.bin(BinOp::LShr, high_gone, Operand::Imm(32)));
    b.store(Base::Slot(s), 0, Width::B8, Operand::Reg(x));
    out.push(b.load(Base::Slot(s), 0, Width::B1, true));
    out.push(b.load(Base::Slot(s), 0, Width::B4, true));
    out.push(b.load(Base::Slot(s), 2, Width::B2, false));
    let n = out.len() as u32;
    b.store_results(MapId(0), &out, Operand::Imm(0));
    let m = results_module(b.finish(), n);
    let l = load_module(&m);
    let cases: [(i64, i64); 7] = [
        (-7, 2),
        (7, -2),
        (i64::MIN, -1),
        (-100, 0),
        (123_456_789, 7),
        (-0x7f_ffff_ff81, 3),
        (0x1234_5678_9abc_def0, 70),
    ];
    for (a, bv) in cases {
        l.run(&[a as u64, bv as u64]).unwrap();
        let (au, bu) = (a as u64, bv as u64);
        let want = vec![
            sdiv(a, bv) as u64,
            smod(a, bv) as u64,
            sdiv(a, 10) as u64,
            smod(a, 10) as u64,
            sdiv(a, -4) as u64,
            au << 3,
            (a >> 60) as u64,
            au >> (bu & 63),
            (a >> (bu & 63)) as u64,
            au & 0xffff_ffff,
            au as u8 as i8 as i64 as u64,
            au as u32 as i32 as i64 as u64,
            (au >> 16) & 0xffff,
        ];
        assert_eq!(l.maps[0].u64s(0), want, "a={a} b={bv}");
    }
}

#[test]
fn comparisons_and_branches_both_signednesses() {
    if !available() {
        return;
    }
    // For every condition: results[2i] = (a cond b) via Cmp, results[2i+1] via a
    // branch; the immediate form compares against 5.
    for imm in [false, true] {
        let mut b = Fb::new("conds");
        let c = b.ctx();
        let a = b.arg(c, 0);
        let y = b.arg(c, 1);
        let rhs = if imm {
            Operand::Imm(5)
        } else {
            Operand::Reg(y)
        };
        let key = b.slot(4);
        b.store(Base::Slot(key), 0, Width::B4, Operand::Imm(0));
        let mp = b.map_addr(MapId(0));
        let k = b.slot_addr(key, 0);
        let p = b.call(
            Helper::MapLookupElem,
            vec![Operand::Reg(mp), Operand::Reg(k)],
        );
        let body = b.block();
        let fail = b.block();
        b.term(Terminator::Branch {
            cond: Cond::Ne,
            lhs: p,
            rhs: Operand::Imm(0),
            then: body,
            els: fail,
        });
        b.switch(fail);
        b.ret(Operand::Imm(2));
        b.switch(body);
        for (i, cd) in gen::CONDS.iter().enumerate() {
            let v = b.cmp(*cd, a, rhs);
            b.store(Base::Reg(p), 16 * i as i32, Width::B8, Operand::Reg(v));
            let t = b.block();
            let e = b.block();
            let j = b.block();
            b.term(Terminator::Branch {
                cond: *cd,
                lhs: a,
                rhs,
                then: t,
                els: e,
            });
            for (blk, val) in [(t, 1), (e, 0)] {
                b.switch(blk);
                b.store(
                    Base::Reg(p),
                    16 * i as i32 + 8,
                    Width::B8,
                    Operand::Imm(val),
                );
                b.term(Terminator::Jump(j));
            }
            b.switch(j);
        }
        b.ret(Operand::Imm(1));
        let m = results_module(b.finish(), 2 * gen::CONDS.len() as u32);
        let l = load_module(&m);
        let vals = [0u64, 1, 5, 6, u64::MAX, (-5i64) as u64, i64::MIN as u64, 4];
        for &x in &vals {
            for &yv in if imm { &vals[..1] } else { &vals[..] } {
                let r = if imm { 5 } else { yv };
                assert_eq!(l.run(&[x, yv]).unwrap(), 1);
                let want: Vec<u64> = gen::CONDS
                    .iter()
                    .flat_map(|cd| {
                        let v = u64::from(gen::cond(*cd, x, r));
                        [v, v]
                    })
                    .collect();
                assert_eq!(l.maps[0].u64s(0), want, "x={x:#x} y={r:#x}");
            }
        }
    }
}

#[test]
fn map_lookup_null_check() {
    if !available() {
        return;
    }
    // Looks up key arg0 in a 1-entry array: found -> store arg1, return 1; else 0.
    let mut b = Fb::new("lookup");
    let c = b.ctx();
    let key = b.arg(c, 0);
    let ks = b.slot(4);
    b.store(Base::Slot(ks), 0, Width::B4, Operand::Reg(key));
    let mp = b.map_addr(MapId(0));
    let k = b.slot_addr(ks, 0);
    let p = b.call(
        Helper::MapLookupElem,
        vec![Operand::Reg(mp), Operand::Reg(k)],
    );
    let found = b.block();
    let missing = b.block();
    b.term(Terminator::Branch {
        cond: Cond::Eq,
        lhs: p,
        rhs: Operand::Imm(0),
        then: missing,
        els: found,
    });
    b.switch(found);
    // The context pointer survives the call (in r6..r9 or a spill slot).
    let val = b.arg(c, 1);
    b.store(Base::Reg(p), 0, Width::B8, Operand::Reg(val));
    b.i(Inst::AtomicAdd {
        base: Base::Reg(p),
        offset: 8,
        width: Width::B8,
        value: val,
    });
    b.ret(Operand::Imm(1));
    b.switch(missing);
    b.ret(Operand::Imm(0));
    let m = results_module(b.finish(), 2);
    let l = load_module(&m);
    assert_eq!(l.run(&[1, 42]).unwrap(), 0);
    assert_eq!(l.maps[0].u64s(0), vec![0, 0]);
    assert_eq!(l.run(&[0, 42]).unwrap(), 1);
    assert_eq!(l.run(&[0, 8]).unwrap(), 1);
    assert_eq!(l.maps[0].u64s(0), vec![8, 50]);
}

#[test]
fn many_values_live_across_calls_spill() {
    if !available() {
        return;
    }
    let mut b = Fb::new("spills");
    let c = b.ctx();
    let mut vals: Vec<VReg> = (0..8).map(|i| b.arg(c, i)).collect();
    let t1 = b.call(Helper::GetCurrentPidTgid, vec![]);
    // A pointer spilled and reloaded across calls too.
    let key = b.slot(4);
    b.store(Base::Slot(key), 0, Width::B4, Operand::Imm(0));
    let mp = b.map_addr(MapId(0));
    let k = b.slot_addr(key, 0);
    let p = b.call(
        Helper::MapLookupElem,
        vec![Operand::Reg(mp), Operand::Reg(k)],
    );
    let ok = b.block();
    let fail = b.block();
    b.term(Terminator::Branch {
        cond: Cond::Eq,
        lhs: p,
        rhs: Operand::Imm(0),
        then: fail,
        els: ok,
    });
    b.switch(fail);
    b.ret(Operand::Imm(0));
    b.switch(ok);
    let t2 = b.call(Helper::GetCurrentPidTgid, vec![]);
    let mut squares = vec![];
    for v in &vals {
        squares.push(b.bin(BinOp::Mul, *v, Operand::Reg(*v)));
    }
    let _t3 = b.call(Helper::KtimeGetNs, vec![]);
    vals.extend(squares);
    vals.push(t1);
    vals.push(t2);
    for (i, v) in vals.iter().enumerate() {
        b.store(Base::Reg(p), 8 * i as i32, Width::B8, Operand::Reg(*v));
    }
    b.ret(Operand::Imm(1));
    let m = results_module(b.finish(), 18);
    let l = load_module(&m);
    let args: Vec<u64> = (0..8).map(|i| 0x1111 * (i + 1)).collect();
    assert_eq!(l.run(&args).unwrap(), 1);
    let mut want = args.clone();
    want.extend(args.iter().map(|a| a * a));
    want.push(pid_tgid());
    want.push(pid_tgid());
    assert_eq!(l.maps[0].u64s(0), want);
}

#[test]
fn helper_with_stack_arguments_copy_zero_and_globals() {
    if !available() {
        return;
    }
    // hash[arg0] = {arg1, arg1 >> 32, global + arg1}: map_update_elem(&map, &key, &val, 0),
    // with the value built by Zero, Copy (via probe_read_kernel) and a .rodata read.
    let mut b = Fb::new("update");
    let c = b.ctx();
    let key = b.arg(c, 0);
    let x = b.arg(c, 1);
    let ks = b.slot(8);
    let tmp = b.slot(8);
    let vs = b.slot(24);
    b.i(Inst::Zero {
        slot: vs,
        offset: 0,
        len: 24,
    });
    b.store(Base::Slot(ks), 0, Width::B8, Operand::Reg(key));
    b.store(Base::Slot(tmp), 0, Width::B8, Operand::Reg(x));
    let dst = b.slot_addr(vs, 0);
    let src = b.slot_addr(tmp, 0);
    b.call(
        Helper::ProbeReadKernel,
        vec![Operand::Reg(dst), Operand::Imm(8), Operand::Reg(src)],
    );
    let g = b.v();
    b.i(Inst::GlobalAddr {
        dst: g,
        global: GlobalId(0),
        offset: 8,
    });
    let gv = b.load(Base::Reg(g), 0, Width::B8, false);
    let sum = b.bin(BinOp::Add, gv, Operand::Reg(x));
    b.store(Base::Slot(vs), 16, Width::B8, Operand::Reg(sum));
    b.i(Inst::Copy {
        dst: Base::Slot(vs),
        dst_offset: 8,
        src: Base::Slot(tmp),
        src_offset: 4,
        len: 4,
    });
    let mp = b.map_addr(MapId(0));
    let k = b.slot_addr(ks, 0);
    let v = b.slot_addr(vs, 0);
    let r = b.call(
        Helper::MapUpdateElem,
        vec![
            Operand::Reg(mp),
            Operand::Reg(k),
            Operand::Reg(v),
            Operand::Imm(0),
        ],
    );
    b.ret(Operand::Reg(r));
    let mut init = vec![0u8; 16];
    init[8..].copy_from_slice(&1000u64.to_ne_bytes());
    let m = Module {
        functions: vec![b.finish()],
        maps: vec![MapDef {
            symbol: "hash".into(),
            kind: MapKind::Hash,
            max_entries: 16,
            key: Some(DataType::U64),
            value: Some(DataType::Array {
                elem: Box::new(DataType::U64),
                len: 3,
            }),
        }],
        globals: vec![Global {
            symbol: "consts".into(),
            ty: DataType::Array {
                elem: Box::new(DataType::U64),
                len: 2,
            },
            init,
            writable: false,
        }],
    };
    let l = load_module(&m);
    assert_eq!(l.run(&[7, 33]).unwrap(), 0);
    let got = l.maps[0].lookup(&7u64.to_ne_bytes()).unwrap();
    let got: Vec<u64> = got
        .chunks(8)
        .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(got, vec![33, 0, 1033]);
    assert_eq!(l.run(&[8, 0x5_0000_0021]).unwrap(), 0);
    let got = l.maps[0].lookup(&8u64.to_ne_bytes()).unwrap();
    assert_eq!(&got[8..16], &5u64.to_ne_bytes());
}
