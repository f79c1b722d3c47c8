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

    /// `bpf_probe_read_{user,kernel}(dst, n, ptr)`.
    pub(crate) fn read_into(&mut self, ptr: &TExpr, user: bool, n: Operand, dst: Mem) {
        let src = self.int(ptr);
        let p = self.addr(dst.base, dst.offset);
        let h = if user {
            Helper::ProbeReadUser
        } else {
            Helper::ProbeReadKernel
        };
        self.checked_read(h, vec![Operand::Reg(p), n, src], ptr.span);
    }

    /// `size` bytes at `ptr`, read with the helper of its address space into a zeroed
    /// temporary of whole words (a failed read leaves zeros).
    pub(crate) fn read_zeroed(&mut self, ptr: &TExpr, size: u32, user: bool) -> Mem {
        let padded = (size.div_ceil(8) * 8).max(8);
        let slot = self.b.temp_slot(padded);
        self.b.zero(slot, 0, padded);
        let mem = Mem {
            base: Base::Slot(slot),
            offset: 0,
            size: padded,
        };
        self.read_into(ptr, user, Operand::Imm(i64::from(size)), mem);
        mem
    }

    /// `*ptr` of a tuple or formatted value: its `size` bytes copied into a zeroed
    /// temporary (a failed read leaves zeros).
    pub(crate) fn deref_mem(&mut self, ptr: &TExpr, size: u32, user: bool) -> Mem {
        self.read_zeroed(ptr, size, user)
    }

    /// `*ptr`: `size` bytes at the pointer, read with the helper of its address space
    /// into a zeroed slot (a failed read gives 0), then sign-extended if `signed`.
    pub(crate) fn deref(&mut self, ptr: &TExpr, size: u32, signed: bool, user: bool) -> VReg {
        let mem = self.read_zeroed(ptr, size, user);
        let w = Width::from_bytes(size).unwrap_or(Width::B8);
        self.b.load(mem.base, 0, w, signed)
    }
}
