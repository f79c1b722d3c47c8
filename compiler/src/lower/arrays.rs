//! Array indexing and field addresses (see `sema::kernel_walk`, `sema::array_index`):
//! the address of a field (`ptr` plus its relocated offset), a run-time index checked
//! against the array's length (bpftrace's warning when it is not below it), and an
//! element of an integer array value in memory picked by a run-time index.

use super::expr::{Mem, StrVal};
use super::Lower;
use crate::ir::{Base, BinOp, Cond, CoreAccess, Operand, VReg, Width};
use crate::sema::types::*;
use tracec_meta::EventKind;

impl Lower<'_, '_> {
    /// `ptr` plus the offset of the field `access` names.
    pub(crate) fn field_addr(&mut self, ptr: &TExpr, access: &CoreAccess) -> VReg {
        let p = self.int(ptr);
        let p = self.reg(p);
        self.core_field_addr(p, access)
    }

    /// The index, after the located warning `warn` when it is `len` or more.
    pub(crate) fn index_warn(&mut self, index: &TExpr, len: u32, warn: u32) -> VReg {
        let i = self.int(index);
        let i = self.reg(i);
        let out_of_bounds = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(
            Cond::Uge,
            i,
            Operand::Imm(i64::from(len)),
            out_of_bounds,
            done,
        );
        self.b.switch_to(out_of_bounds);
        self.formatted(EventKind::Warn, warn, &[]);
        self.b.jump(done);
        self.b.switch_to(done);
        i
    }

    /// Element `index` of the integer array value `base`: 0 and the located warning
    /// `warn` when the index is out of bounds.
    pub(crate) fn array_elem(&mut self, base: &TExpr, index: &TExpr, warn: u32) -> VReg {
        let Type::Tuple(t) = base.ty else {
            return self.b.imm(0);
        };
        let Some(first) = t.fields.first() else {
            return self.b.imm(0);
        };
        let (esize, signed) = (first.size, first.ty.is_signed());
        let len = t.fields.len() as i64;
        let mem = match self.str_val(base) {
            StrVal::Mem(m) => m,
            lit @ StrVal::Lit(_) => {
                let slot = self.b.temp_slot(t.size.max(8));
                let m = Mem {
                    base: Base::Slot(slot),
                    offset: 0,
                    size: t.size.div_ceil(8) * 8,
                };
                self.zero_mem(m.base, 0, m.size);
                self.write_str(&lit, m);
                m
            }
        };
        let i = self.int(index);
        let i = self.reg(i);
        let out = self.b.new_vreg();
        let bad = self.b.new_block();
        let good = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Uge, i, Operand::Imm(len), bad, good);
        self.b.switch_to(bad);
        self.formatted(EventKind::Warn, warn, &[]);
        self.b.mov(out, Operand::Imm(0));
        self.b.jump(done);
        self.b.switch_to(good);
        let start = self.addr(mem.base, mem.offset);
        let off = self.b.binary(BinOp::Mul, i, Operand::Imm(i64::from(esize)));
        let at = self.b.binary(BinOp::Add, start, Operand::Reg(off));
        let w = Width::from_bytes(esize).unwrap_or(Width::B8);
        let v = self.b.load(Base::Reg(at), 0, w, signed);
        self.b.mov(out, Operand::Reg(v));
        self.b.jump(done);
        self.b.switch_to(done);
        out
    }

    /// The first `dst.size` bytes of the array value `e` (`size` bytes) copied into
    /// `dst` (`buf($s.d)`), which the caller zeroed.
    pub(crate) fn array_bytes_into(&mut self, e: &TExpr, size: u32, dst: Mem) {
        match self.str_val(e) {
            StrVal::Mem(m) => {
                let n = size.min(m.size).min(dst.size);
                if n > 0 {
                    self.b.copy(dst.base, dst.offset, m.base, m.offset, n);
                }
            }
            lit @ StrVal::Lit(_) => self.write_str(&lit, dst),
        }
    }
}
