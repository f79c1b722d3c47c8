//! `a == b` / `a != b` of two `buf()` values (layout in [`tracec_meta::FmtKind::Buf`]:
//! a `u64` length, then the bytes).

use super::expr::Mem;
use super::Lower;
use crate::ir::{Base, Cond, Operand, Slot, VReg, Width};
use crate::sema::types::*;
use tracec_meta::FmtKind;

/// Bytes a buffer value can hold.
fn capacity(e: &TExpr) -> u32 {
    match e.ty {
        Type::Fmt(FmtKind::Buf { size }) => size,
        _ => 0,
    }
}

impl Lower<'_, '_> {
    /// Write a buffer value into a fresh slot.
    fn buf_slot(&mut self, e: &TExpr) -> Slot {
        let size = e.ty.storage_size();
        let slot = self.b.temp_slot(size);
        self.str_into(
            e,
            Mem {
                base: Base::Slot(slot),
                offset: 0,
                size,
            },
            true,
        );
        slot
    }

    /// 1 when the buffers are equal (unequal with `negate`), else 0.
    pub(crate) fn buf_eq(&mut self, a: &TExpr, b: &TExpr, negate: bool) -> VReg {
        let sa = self.buf_slot(a);
        let sb = self.buf_slot(b);
        let eq = self.b.new_block();
        let ne = self.b.new_block();
        let la = self.b.load(Base::Slot(sa), 0, Width::B8, false);
        let lb = self.b.load(Base::Slot(sb), 0, Width::B8, false);
        let same_len = self.b.new_block();
        self.b.branch(Cond::Ne, la, Operand::Reg(lb), ne, same_len);
        self.b.switch_to(same_len);
        for i in 0..capacity(a).min(capacity(b)) {
            let more = self.b.new_block();
            self.b
                .branch(Cond::Ule, la, Operand::Imm(i64::from(i)), eq, more);
            self.b.switch_to(more);
            let off = 8 + i as i32;
            let ca = self.b.load(Base::Slot(sa), off, Width::B1, false);
            let cb = self.b.load(Base::Slot(sb), off, Width::B1, false);
            let next = self.b.new_block();
            self.b.branch(Cond::Ne, ca, Operand::Reg(cb), ne, next);
            self.b.switch_to(next);
        }
        self.b.jump(eq);
        if negate {
            self.bool_join(ne, eq)
        } else {
            self.bool_join(eq, ne)
        }
    }
}
