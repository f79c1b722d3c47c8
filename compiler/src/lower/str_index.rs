//! `$s[i]`: the byte at `i` of a string in memory, sign-extended; 0 at or past the
//! end of the buffer. A constant index is one load; a variable one is bounds-checked
//! and read with `bpf_probe_read_kernel` (the verifier need not follow a variable
//! stack offset).

use super::expr::{Mem, StrVal};
use super::Lower;
use crate::ir::{Base, BinOp, Cond, Helper, Operand, VReg, Width};
use crate::sema::types::*;

impl Lower<'_, '_> {
    pub(crate) fn str_index(&mut self, base: &TExpr, index: &TExpr) -> Operand {
        let mem = match self.str_val(base) {
            StrVal::Mem(m) => m,
            lit @ StrVal::Lit(_) => {
                let size = align8(base.ty.storage_size().max(1));
                let slot = self.b.temp_slot(size);
                let m = Mem {
                    base: Base::Slot(slot),
                    offset: 0,
                    size,
                };
                self.write_str(&lit, m);
                m
            }
        };
        match self.int(index) {
            Operand::Imm(i) if (0..i64::from(mem.size)).contains(&i) => {
                let v = self
                    .b
                    .load(mem.base, mem.offset + i as i32, Width::B1, true);
                Operand::Reg(v)
            }
            Operand::Imm(_) => Operand::Imm(0),
            Operand::Reg(i) => Operand::Reg(self.str_byte_at(mem, i)),
        }
    }

    fn str_byte_at(&mut self, mem: Mem, i: VReg) -> VReg {
        let out = self.b.new_vreg();
        self.b.mov(out, Operand::Imm(0));
        let read = self.b.new_block();
        let done = self.b.new_block();
        self.b
            .branch(Cond::Ult, i, Operand::Imm(i64::from(mem.size)), read, done);
        self.b.switch_to(read);
        let slot = self.b.temp_slot(8);
        self.b.zero(slot, 0, 8);
        let start = self.addr(mem.base, mem.offset);
        let at = self.b.binary(BinOp::Add, start, Operand::Reg(i));
        let dst = self.b.slot_addr(slot, 0);
        self.b.call_void(
            Helper::ProbeReadKernel,
            vec![Operand::Reg(dst), Operand::Imm(1), Operand::Reg(at)],
        );
        let v = self.b.load(Base::Slot(slot), 0, Width::B1, true);
        self.b.mov(out, Operand::Reg(v));
        self.b.jump(done);
        self.b.switch_to(done);
        out
    }
}
