//! Lowering reads of kernel struct fields: `bpf_probe_read_kernel` from the struct
//! pointer plus a CO-RE relocated offset ([`Inst::CoreConst`]).

use super::expr::Mem;
use super::Lower;
use crate::ir::{Base, BinOp, CoreAccess, Helper, Inst, Operand, VReg, Width};
use crate::sema::types::TExpr;

impl Lower<'_, '_> {
    /// `ptr + offset of the field`, the offset relocated by the loader.
    fn kernel_field_addr(&mut self, ptr: &TExpr, access: &CoreAccess) -> VReg {
        let p = self.int(ptr);
        let p = self.reg(p);
        let off = self.b.new_vreg();
        self.b.emit(Inst::CoreConst {
            dst: off,
            access: Box::new(access.clone()),
        });
        self.b.binary(BinOp::Add, p, Operand::Reg(off))
    }

    /// A tracepoint field of `size` bytes loaded from ctx at its relocated offset.
    pub(crate) fn tp_field_core(&mut self, size: u32, signed: bool, access: &CoreAccess) -> VReg {
        let ctx = self.b.ctx();
        let dst = self.b.new_vreg();
        self.b.emit(Inst::CoreLoad {
            dst,
            base: ctx,
            width: Width::from_bytes(size).unwrap_or(Width::B8),
            signed,
            access: Box::new(access.clone()),
        });
        dst
    }

    /// An integer or pointer field of `size` bytes (1, 2, 4 or 8).
    pub(crate) fn kernel_field_int(
        &mut self,
        ptr: &TExpr,
        access: &CoreAccess,
        size: u32,
        signed: bool,
    ) -> VReg {
        let addr = self.kernel_field_addr(ptr, access);
        let slot = self.b.temp_slot(8);
        let dst = self.b.slot_addr(slot, 0);
        self.b.call_void(
            Helper::ProbeReadKernel,
            vec![
                Operand::Reg(dst),
                Operand::Imm(i64::from(size)),
                Operand::Reg(addr),
            ],
        );
        let w = Width::from_bytes(size).unwrap_or(Width::B8);
        self.b.load(Base::Slot(slot), 0, w, signed)
    }

    /// A `char[len]` field copied into `dst` (zero-padded to `dst.size` if `pad`).
    pub(crate) fn kernel_field_chars(
        &mut self,
        ptr: &TExpr,
        access: &CoreAccess,
        len: u32,
        dst: Mem,
        pad: bool,
    ) {
        let n = len.min(dst.size);
        if pad {
            self.zero_mem(dst.base, dst.offset + n as i32, dst.size - n);
        }
        if n == 0 {
            return;
        }
        let addr = self.kernel_field_addr(ptr, access);
        let p = self.addr(dst.base, dst.offset);
        self.b.call_void(
            Helper::ProbeReadKernel,
            vec![
                Operand::Reg(p),
                Operand::Imm(i64::from(n)),
                Operand::Reg(addr),
            ],
        );
    }
}
