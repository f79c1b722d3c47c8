//! Division and modulo by a divisor known only at run time: bpftrace makes the result
//! 1 when the divisor is 0 and sends a located warning (BPF itself would give 0, or
//! the dividend for `%`).

use super::Lower;
use crate::ir::{BinOp, Cond, Operand, VReg};
use crate::sema::types::*;
use tracec_meta::EventKind;

impl Lower<'_, '_> {
    pub(crate) fn div_checked(&mut self, op: Arith, lhs: &TExpr, rhs: &TExpr, warn: u32) -> VReg {
        let l = self.int(lhs);
        let l = self.reg(l);
        let r = self.int(rhs);
        let r = self.reg(r);
        let op = match op {
            Arith::Div { signed: true } => BinOp::SDiv,
            Arith::Div { signed: false } => BinOp::UDiv,
            Arith::Mod { signed: true } => BinOp::SMod,
            _ => BinOp::UMod,
        };
        let out = self.b.new_vreg();
        let zero = self.b.new_block();
        let divide = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Eq, r, Operand::Imm(0), zero, divide);
        self.b.switch_to(zero);
        self.formatted(EventKind::Warn, warn, &[]);
        self.b.mov(out, Operand::Imm(1));
        self.b.jump(done);
        self.b.switch_to(divide);
        let v = self.b.binary(op, l, Operand::Reg(r));
        self.b.mov(out, Operand::Reg(v));
        self.b.jump(done);
        self.b.switch_to(done);
        out
    }
}
