//! `&$var` and `*ptr` (see `sema::deref`).

use super::expr::Mem;
use super::{Lower, VarLoc};
use crate::ir::{Base, Helper, Operand, VReg, Width};
use crate::sema::types::{TExpr, VarId};

impl Lower<'_, '_> {
    /// The address of a variable's storage. A string or tuple variable lives in a
    /// stack slot already; an integer (in a register) is stored into a slot of its
    /// own, which lives for the whole function, so the address points at the value
    /// the variable had when its address was taken.
    pub(crate) fn addr_of(&mut self, v: VarId) -> VReg {
        match self.vars.get(v.0 as usize).cloned() {
            Some(VarLoc::Str { slot, .. }) => self.b.slot_addr(slot, 0),
            Some(VarLoc::Reg(r)) => {
                let slot = self.b.new_slot(8, 8);
                self.b
                    .store(Base::Slot(slot), 0, Width::B8, Operand::Reg(r));
                self.b.slot_addr(slot, 0)
            }
            None => self.b.imm(0),
        }
    }

    /// `*ptr` of a tuple or formatted value: its `size` bytes copied into a zeroed
    /// temporary (a failed read leaves zeros).
    pub(crate) fn deref_mem(&mut self, ptr: &TExpr, size: u32, user: bool) -> Mem {
        let p = self.int(ptr);
        let p = self.reg(p);
        let padded = size.div_ceil(8) * 8;
        let slot = self.b.temp_slot(padded);
        self.b.zero(slot, 0, padded);
        let dst = self.b.slot_addr(slot, 0);
        let helper = if user {
            Helper::ProbeReadUser
        } else {
            Helper::ProbeReadKernel
        };
        self.b.call_void(
            helper,
            vec![
                Operand::Reg(dst),
                Operand::Imm(i64::from(size)),
                Operand::Reg(p),
            ],
        );
        Mem {
            base: Base::Slot(slot),
            offset: 0,
            size: padded,
        }
    }

    /// `*ptr`: `size` bytes at the pointer, read with the helper of its address space
    /// into a zeroed slot (a failed read gives 0), then sign-extended if `signed`.
    pub(crate) fn deref(&mut self, ptr: &TExpr, size: u32, signed: bool, user: bool) -> VReg {
        let p = self.int(ptr);
        let p = self.reg(p);
        let slot = self.b.temp_slot(8);
        self.b.zero(slot, 0, 8);
        let dst = self.b.slot_addr(slot, 0);
        let helper = if user {
            Helper::ProbeReadUser
        } else {
            Helper::ProbeReadKernel
        };
        self.b.call_void(
            helper,
            vec![
                Operand::Reg(dst),
                Operand::Imm(i64::from(size)),
                Operand::Reg(p),
            ],
        );
        let w = Width::from_bytes(size).unwrap_or(Width::B8);
        self.b.load(Base::Slot(slot), 0, w, signed)
    }
}
