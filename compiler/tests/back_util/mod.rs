//! Test-local helpers for the back-end tests: a tiny IR function builder and a BPF
//! interpreter for the instructions the back end emits.
#![allow(dead_code)]

pub mod gen;
pub mod interp;
pub mod kernel;

use tracec::ir::*;

/// Builds an IR [`Function`] block by block.
pub struct Fb {
    pub f: Function,
    cur: usize,
}

impl Fb {
    pub fn new(name: &str) -> Fb {
        Fb {
            f: Function {
                name: name.into(),
                section: "raw_tp".into(),
                slots: vec![],
                blocks: vec![Block {
                    insts: vec![],
                    locs: vec![],
                    term: Terminator::Return(Operand::Imm(0)),
                    term_loc: Loc { line: 1, col: 1 },
                }],
                vreg_count: 0,
                loc: Loc { line: 1, col: 1 },
            },
            cur: 0,
        }
    }

    pub fn v(&mut self) -> VReg {
        self.f.vreg_count += 1;
        VReg(self.f.vreg_count - 1)
    }

    pub fn slot(&mut self, size: u32) -> Slot {
        self.f.slots.push(SlotDef { size, align: 8 });
        Slot(self.f.slots.len() as u32 - 1)
    }

    pub fn block(&mut self) -> BlockId {
        self.f.blocks.push(Block {
            insts: vec![],
            locs: vec![],
            term: Terminator::Return(Operand::Imm(0)),
            term_loc: Loc::default(),
        });
        BlockId(self.f.blocks.len() as u32 - 1)
    }

    pub fn switch(&mut self, b: BlockId) {
        self.cur = b.0 as usize;
    }

    /// Append an instruction; its line is the block's instruction count + 10*block.
    pub fn i(&mut self, inst: Inst) {
        let b = &mut self.f.blocks[self.cur];
        b.insts.push(inst);
        let line = 2 + self.cur as u32 * 10 + b.locs.len() as u32;
        b.locs.push(Loc { line, col: 1 });
    }

    pub fn term(&mut self, t: Terminator) {
        self.f.blocks[self.cur].term = t;
    }

    pub fn ret(&mut self, v: Operand) {
        self.term(Terminator::Return(v));
    }

    pub fn finish(self) -> Function {
        self.f
    }

    pub fn ctx(&mut self) -> VReg {
        let dst = self.v();
        self.i(Inst::Ctx { dst });
        dst
    }

    pub fn imm(&mut self, v: i64) -> VReg {
        let dst = self.v();
        self.i(Inst::Mov {
            dst,
            src: Operand::Imm(v),
        });
        dst
    }

    pub fn bin(&mut self, op: BinOp, lhs: VReg, rhs: Operand) -> VReg {
        let dst = self.v();
        self.i(Inst::Binary { dst, op, lhs, rhs });
        dst
    }

    pub fn cmp(&mut self, cond: Cond, lhs: VReg, rhs: Operand) -> VReg {
        let dst = self.v();
        self.i(Inst::Cmp {
            dst,
            cond,
            lhs,
            rhs,
        });
        dst
    }

    pub fn load(&mut self, base: Base, offset: i32, width: Width, signed: bool) -> VReg {
        let dst = self.v();
        self.i(Inst::Load {
            dst,
            base,
            offset,
            width,
            signed,
        });
        dst
    }

    /// The `n`th 64-bit argument of a raw tracepoint context.
    pub fn arg(&mut self, ctx: VReg, n: i32) -> VReg {
        self.load(Base::Reg(ctx), 8 * n, Width::B8, false)
    }

    pub fn store(&mut self, base: Base, offset: i32, width: Width, value: Operand) {
        self.i(Inst::Store {
            base,
            offset,
            width,
            value,
        });
    }

    pub fn call(&mut self, helper: Helper, args: Vec<Operand>) -> VReg {
        let dst = self.v();
        self.i(Inst::Call {
            dst: Some(dst),
            helper,
            args,
        });
        dst
    }

    pub fn slot_addr(&mut self, slot: Slot, offset: i32) -> VReg {
        let dst = self.v();
        self.i(Inst::SlotAddr { dst, slot, offset });
        dst
    }

    pub fn map_addr(&mut self, map: MapId) -> VReg {
        let dst = self.v();
        self.i(Inst::MapAddr { dst, map });
        dst
    }

    /// Look up key 0 of `map` (an array map with u64 slots) and, when found, store
    /// `results[i]` at offset `8*i` of the value; returns `ret` either way.
    /// Leaves the builder in the final block.
    pub fn store_results(&mut self, map: MapId, results: &[VReg], ret: Operand) {
        let key = self.slot(4);
        self.store(Base::Slot(key), 0, Width::B4, Operand::Imm(0));
        let m = self.map_addr(map);
        let k = self.slot_addr(key, 0);
        let p = self.call(
            Helper::MapLookupElem,
            vec![Operand::Reg(m), Operand::Reg(k)],
        );
        let found = self.block();
        let done = self.block();
        self.term(Terminator::Branch {
            cond: Cond::Eq,
            lhs: p,
            rhs: Operand::Imm(0),
            then: done,
            els: found,
        });
        self.switch(found);
        for (i, r) in results.iter().enumerate() {
            self.store(Base::Reg(p), 8 * i as i32, Width::B8, Operand::Reg(*r));
        }
        self.term(Terminator::Jump(done));
        self.switch(done);
        self.ret(ret);
    }
}

/// A module around one function with one array map `results` (u32 -> `n` u64s).
pub fn results_module(f: Function, n: u32) -> Module {
    Module {
        functions: vec![f],
        maps: vec![MapDef {
            symbol: "results".into(),
            kind: MapKind::Array,
            max_entries: 1,
            key: Some(DataType::U32),
            value: Some(DataType::Array {
                elem: Box::new(DataType::U64),
                len: n,
            }),
        }],
        globals: vec![],
    }
}

/// The reference semantics of `SDiv`/`SMod` (truncating; x/0 = 0, x%0 = x).
pub fn sdiv(a: i64, b: i64) -> i64 {
    if b == 0 {
        0
    } else {
        a.wrapping_div(b)
    }
}

pub fn smod(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        a.wrapping_rem(b)
    }
}

/// A deterministic pseudo-random generator for generated tests.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 ^ (self.0 >> 29)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
