//! Lowering reads of kernel struct fields: `bpf_probe_read_kernel` from the struct
//! pointer plus a CO-RE relocated offset ([`Inst::CoreConst`]).
//!
//! Which relocations each read carries (kinds of `bpf_core_relo`):
//!
//! | read | offset | size |
//! | --- | --- | --- |
//! | integer/enum field of a kernel struct | `FIELD_BYTE_OFFSET` | `FIELD_BYTE_SIZE`: read into a zeroed 8-byte slot, sign-extended by the relocated size |
//! | pointer field of a kernel struct | `FIELD_BYTE_OFFSET` | always 8 bytes |
//! | `char[N]` field of a kernel struct | `FIELD_BYTE_OFFSET` | `FIELD_BYTE_SIZE`, clamped to the string buffer |
//! | integer/pointer field of a tracepoint record | `FIELD_BYTE_OFFSET` on the `ldx` | the loader resizes the load (unsigned fields and pointers) |
//! | `char[N]` field of a tracepoint record | `FIELD_BYTE_OFFSET` | `FIELD_BYTE_SIZE`, clamped to the string buffer |
//!
//! Sizes are clamped with a compare against the compile-time size: after relocation
//! the size register holds a known constant, so the verifier follows one branch and
//! the read never overflows the buffer the rest of the program was compiled for.

use super::expr::Mem;
use super::Lower;
use crate::ir::{Base, BinOp, Cond, CoreAccess, CoreKind, Helper, Inst, Operand, VReg, Width};
use crate::sema::types::{TExpr, Type};

impl Lower<'_, '_> {
    /// Whether `access` starts at a struct the script defined (not a kernel type: its
    /// layout is fixed, and the loader would find no such type to relocate against).
    fn is_local_access(&self, access: &CoreAccess) -> bool {
        self.m
            .checked
            .local_records
            .iter()
            .any(|(n, u)| *n == access.root.name && *u == access.root.union)
    }

    /// `base + offset of the field`, the offset relocated by the loader.
    pub(crate) fn core_field_addr(&mut self, base: VReg, access: &CoreAccess) -> VReg {
        if self.is_local_access(access) {
            let off = access.local_value() as i64;
            return self.b.binary(BinOp::Add, base, Operand::Imm(off));
        }
        let off = self.b.new_vreg();
        self.b.emit(Inst::CoreConst {
            dst: off,
            access: Box::new(access.clone()),
        });
        self.b.binary(BinOp::Add, base, Operand::Reg(off))
    }

    /// The constant `access` asks the loader for (a field's existence, size or
    /// offset, a type's existence or size); the compile-time value for the script's
    /// own types.
    pub(crate) fn core_value(&mut self, access: &CoreAccess) -> VReg {
        if self.is_local_access(access) {
            return self.b.imm(access.local_value() as i64);
        }
        let v = self.b.new_vreg();
        self.b.emit(Inst::CoreConst {
            dst: v,
            access: Box::new(access.clone()),
        });
        v
    }

    /// The field's size on the running kernel (`FIELD_BYTE_SIZE`), at most `max`.
    fn core_field_size(&mut self, access: &CoreAccess, max: u32) -> VReg {
        if self.is_local_access(access) {
            return self.b.imm(i64::from(access.local_size().min(max)));
        }
        let n = self.b.new_vreg();
        self.b.emit(Inst::CoreConst {
            dst: n,
            access: Box::new(CoreAccess {
                kind: CoreKind::FieldByteSize,
                ..access.clone()
            }),
        });
        let clamp = self.b.new_block();
        let done = self.b.new_block();
        self.b
            .branch(Cond::Ugt, n, Operand::Imm(i64::from(max)), clamp, done);
        self.b.switch_to(clamp);
        self.b.mov(n, Operand::Imm(i64::from(max)));
        self.b.jump(done);
        self.b.switch_to(done);
        n
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

    /// An integer or pointer field of `size` bytes (1, 2, 4 or 8). Integers are read
    /// for their size on the running kernel: the bytes land in the low end of a zeroed
    /// 8-byte slot (BPF is little-endian here), and a signed value is sign-extended by
    /// shifting left and arithmetically right by `64 - 8 * size`.
    pub(crate) fn kernel_field_int(
        &mut self,
        ptr: &TExpr,
        access: &CoreAccess,
        size: u32,
        signed: bool,
        relocate_size: bool,
    ) -> VReg {
        let helper = read_helper(ptr);
        let p = self.int(ptr);
        let p = self.reg(p);
        let addr = self.core_field_addr(p, access);
        let slot = self.b.temp_slot(8);
        if !relocate_size {
            let dst = self.b.slot_addr(slot, 0);
            self.checked_read(
                helper,
                vec![
                    Operand::Reg(dst),
                    Operand::Imm(i64::from(size)),
                    Operand::Reg(addr),
                ],
                ptr.span,
            );
            let w = Width::from_bytes(size).unwrap_or(Width::B8);
            return self.b.load(Base::Slot(slot), 0, w, signed);
        }
        self.b.zero(slot, 0, 8);
        let n = self.core_field_size(access, 8);
        let dst = self.b.slot_addr(slot, 0);
        self.checked_read(
            helper,
            vec![Operand::Reg(dst), Operand::Reg(n), Operand::Reg(addr)],
            ptr.span,
        );
        let v = self.b.load(Base::Slot(slot), 0, Width::B8, false);
        if !signed {
            return v;
        }
        let bits = self.b.binary(BinOp::Shl, n, Operand::Imm(3));
        let sh = self.b.imm(64);
        let sh = self.b.binary(BinOp::Sub, sh, Operand::Reg(bits));
        let v = self.b.binary(BinOp::Shl, v, Operand::Reg(sh));
        self.b.binary(BinOp::AShr, v, Operand::Reg(sh))
    }

    /// A `char[len]` field of a kernel struct copied into `dst`.
    pub(crate) fn kernel_field_chars(
        &mut self,
        ptr: &TExpr,
        access: &CoreAccess,
        len: u32,
        dst: Mem,
        pad: bool,
    ) {
        let helper = read_helper(ptr);
        let p = self.int(ptr);
        let p = self.reg(p);
        self.core_chars(p, access, len, dst, pad, helper);
    }

    /// A `char[len]` field of the tracepoint record copied into `dst`.
    pub(crate) fn tp_chars_core(&mut self, access: &CoreAccess, len: u32, dst: Mem, pad: bool) {
        let ctx = self.b.ctx();
        self.core_chars(ctx, access, len, dst, pad, Helper::ProbeReadKernel);
    }

    /// Copies the `char[len]` field `access` of the struct at `base` into `dst`, for
    /// the field's relocated size (at most `min(len, dst.size)` bytes). The bytes the
    /// read may leave alone are zeroed first: all of `dst` if `pad`, else the
    /// string's own part, so a field that is shorter on the running kernel still
    /// ends in NULs.
    pub(super) fn core_chars(
        &mut self,
        base: VReg,
        access: &CoreAccess,
        len: u32,
        dst: Mem,
        pad: bool,
        helper: Helper,
    ) {
        let n = len.min(dst.size);
        self.zero_mem(dst.base, dst.offset, if pad { dst.size } else { n });
        if n == 0 {
            return;
        }
        let addr = self.core_field_addr(base, access);
        let size = self.core_field_size(access, n);
        let p = self.addr(dst.base, dst.offset);
        self.b.call_void(
            helper,
            vec![Operand::Reg(p), Operand::Reg(size), Operand::Reg(addr)],
        );
    }
}

/// The helper that reads through `ptr`: user memory for pointers into user space
/// (syscall arguments, casts in uprobes), kernel memory otherwise.
fn read_helper(ptr: &TExpr) -> Helper {
    match ptr.ty {
        Type::Ptr { user: true, .. } => Helper::ProbeReadUser,
        _ => Helper::ProbeReadKernel,
    }
}
