//! Snapshots of the IR text form and the assembly listing of hand-built functions.

mod back_util;

use back_util::Fb;
use tracec::back;
use tracec::ir::*;

fn count_module() -> Module {
    // @x[pid] = count(), elapsed time since tracec_start_ns in @t
    let mut b = Fb::new("tracepoint_syscalls_sys_enter_openat_1");
    b.f.section = "tracepoint/syscalls/sys_enter_openat".into();
    let key = b.slot(8);
    let val = b.slot(8);
    let _ctx = b.ctx();
    let pt = b.call(Helper::GetCurrentPidTgid, vec![]);
    let pid = b.bin(BinOp::LShr, pt, Operand::Imm(32));
    b.store(Base::Slot(key), 0, Width::B8, Operand::Reg(pid));
    let m = b.map_addr(MapId(0));
    let k = b.slot_addr(key, 0);
    let p = b.call(
        Helper::MapLookupElem,
        vec![Operand::Reg(m), Operand::Reg(k)],
    );
    let found = b.block();
    let missing = b.block();
    let done = b.block();
    b.term(Terminator::Branch {
        cond: Cond::Eq,
        lhs: p,
        rhs: Operand::Imm(0),
        then: missing,
        els: found,
    });
    b.switch(found);
    let one = b.imm(1);
    b.i(Inst::AtomicAdd {
        base: Base::Reg(p),
        offset: 0,
        width: Width::B8,
        value: one,
    });
    b.term(Terminator::Jump(done));
    b.switch(missing);
    b.store(Base::Slot(val), 0, Width::B8, Operand::Imm(1));
    let m2 = b.map_addr(MapId(0));
    let k2 = b.slot_addr(key, 0);
    let v2 = b.slot_addr(val, 0);
    b.i(Inst::Call {
        dst: None,
        helper: Helper::MapUpdateElem,
        args: vec![
            Operand::Reg(m2),
            Operand::Reg(k2),
            Operand::Reg(v2),
            Operand::Imm(0),
        ],
    });
    b.term(Terminator::Jump(done));
    b.switch(done);
    let g = b.v();
    b.i(Inst::GlobalAddr {
        dst: g,
        global: GlobalId(0),
        offset: 0,
    });
    let start = b.load(Base::Reg(g), 0, Width::B8, false);
    let now = b.call(Helper::KtimeGetNs, vec![]);
    let el = b.bin(BinOp::Sub, now, Operand::Reg(start));
    b.store(Base::Slot(val), 0, Width::B8, Operand::Reg(el));
    b.i(Inst::Zero {
        slot: key,
        offset: 0,
        len: 8,
    });
    b.ret(Operand::Imm(0));
    Module {
        functions: vec![b.finish()],
        maps: vec![MapDef {
            symbol: "AT_x".into(),
            kind: MapKind::PerCpuHash,
            max_entries: 4096,
            key: Some(DataType::U64),
            value: Some(DataType::U64),
        }],
        globals: vec![Global {
            symbol: "tracec_start_ns".into(),
            ty: DataType::U64,
            init: vec![0; 8],
            writable: false,
        }],
    }
}

fn arith_module() -> Module {
    let mut b = Fb::new("arith");
    let s = b.slot(4);
    let c = b.ctx();
    let a = b.arg(c, 0);
    let x = b.arg(c, 1);
    let q = b.bin(BinOp::SDiv, a, Operand::Reg(x));
    let r = b.bin(BinOp::SMod, a, Operand::Imm(10));
    let lt = b.cmp(Cond::Slt, q, Operand::Reg(r));
    let big = b.bin(BinOp::And, a, Operand::Imm(0xffff_ffff_0000));
    b.store(Base::Slot(s), 0, Width::B4, Operand::Reg(big));
    let sx = b.load(Base::Slot(s), 0, Width::B2, true);
    let n = b.v();
    b.i(Inst::Unary {
        dst: n,
        op: UnOp::Not,
        src: sx,
    });
    let t = b.block();
    let e = b.block();
    b.term(Terminator::Branch {
        cond: Cond::Set,
        lhs: lt,
        rhs: Operand::Reg(n),
        then: t,
        els: e,
    });
    b.switch(t);
    b.ret(Operand::Reg(q));
    b.switch(e);
    b.ret(Operand::Imm(-1));
    back_util::results_module(b.finish(), 1)
}

fn spill_module() -> Module {
    let mut b = Fb::new("spill");
    let c = b.ctx();
    let vals: Vec<VReg> = (0..6).map(|i| b.arg(c, i)).collect();
    let t = b.call(Helper::KtimeGetNs, vec![]);
    let mut acc = t;
    for v in vals {
        acc = b.bin(BinOp::Add, acc, Operand::Reg(v));
    }
    b.ret(Operand::Reg(acc));
    back_util::results_module(b.finish(), 1)
}

fn listing(m: &Module) -> String {
    let mut out = String::new();
    for f in &m.functions {
        let c = back::compile(f).unwrap();
        out += &back::asm::format(&c, m);
    }
    out
}

#[test]
fn count_ir() {
    insta::assert_snapshot!(count_module().to_string());
}

#[test]
fn count_asm() {
    insta::assert_snapshot!(listing(&count_module()));
}

#[test]
fn arith_ir() {
    insta::assert_snapshot!(arith_module().to_string());
}

#[test]
fn arith_asm() {
    insta::assert_snapshot!(listing(&arith_module()));
}

#[test]
fn spill_asm() {
    insta::assert_snapshot!(listing(&spill_module()));
}

#[test]
fn function_text_names_maps_by_index() {
    let mut b = Fb::new("f");
    let s = b.slot(16);
    let c = b.ctx();
    let m = b.map_addr(MapId(3));
    b.i(Inst::Copy {
        dst: Base::Slot(s),
        dst_offset: 8,
        src: Base::Reg(c),
        src_offset: -8,
        len: 8,
    });
    let l = b.load(Base::Reg(m), 4, Width::B4, true);
    b.ret(Operand::Reg(l));
    let text = b.finish().to_string();
    assert_eq!(
        text,
        "fn f section \"raw_tp\" at 1:1\n  slot s0: 16 align 8\nbb0:\n  v0 = ctx\n  \
         v1 = map map#3\n  copy [s0+8], [v0-8], 8\n  v2 = load.s4 [v1+4]\n  ret v2\n"
    );
}

#[test]
fn disassembles_foreign_instructions() {
    use tracec::back::Insn;
    let i = |code, dst, src, off, imm| Insn {
        code,
        dst,
        src,
        off,
        imm,
    };
    let prog = [
        i(0x18, 1, 1, 0, 5), // ld_imm64 map fd
        i(0, 0, 0, 0, 0),
        i(0x18, 2, 2, 0, 6), // map value
        i(0, 0, 0, 0, 16),
        i(0x18, 3, 0, 0, -1), // 64-bit constant
        i(0, 0, 0, 0, 0),
        i(0x04, 1, 0, 0, 7),   // w1 += 7
        i(0xbf, 2, 3, 8, 0),   // r2 = (s8)r3
        i(0x91, 4, 10, -8, 0), // r4 = *(s8 *)(r10 - 8)
        i(0x6a, 10, 0, -2, 9), // *(u16 *)(r10 - 2) = 9
        i(0xc3, 1, 2, 0, 0),   // lock w add
        i(0xdb, 1, 2, 8, 1),   // fetch add
        i(0x16, 1, 0, 1, -3),  // if w1 == -3 goto +1
        i(0x85, 0, 0, 0, 9999),
        i(0x95, 0, 0, 0, 0),
        i(0xff, 0, 0, 0, 0),
    ];
    insta::assert_snapshot!(back::asm::disassemble(&prog));
}
