//! Lowering `hist`/`lhist` updates (bucket index into the key, then a per-CPU add) and
//! the `print`/`zero` events.

use super::expr::Mem;
use super::Lower;
use crate::ir::{Base, BinOp, Cond, Operand, VReg, Width};
use crate::sema::types::*;
use tracec_meta::{EventKind, EVENT_HEADER_SIZE};

const HDR: i32 = EVENT_HEADER_SIZE as i32;

impl Lower<'_, '_> {
    /// `@m[keys] = hist(x, bits)`.
    pub(crate) fn hist_add(&mut self, map: MapIdx, keys: &[TExpr], x: &TExpr, bits: u32) {
        let v = self.int(x);
        let n = self.reg(v);
        let bucket = self.log2_bucket(n, bits);
        self.bucket_add(map, keys, bucket);
    }

    /// `@m[keys] = lhist(x, min, max, step)`.
    pub(crate) fn lhist_add(
        &mut self,
        map: MapIdx,
        keys: &[TExpr],
        x: &TExpr,
        min: i64,
        max: i64,
        step: i64,
    ) {
        let v = self.int(x);
        let n = self.reg(v);
        let bucket = self.linear_bucket(n, min, max, step);
        self.bucket_add(map, keys, bucket);
    }

    /// `@m[keys] = lhist(x, min, max, step)` with bounds read at run time: the bucket
    /// as [`Lower::linear_bucket`] computes it. A step of 0 (refused by `tracerun`
    /// before loading) would divide by zero, which BPF defines as 0.
    pub(crate) fn lhist_param_add(
        &mut self,
        map: MapIdx,
        keys: &[TExpr],
        x: &TExpr,
        bounds: [&TExpr; 3],
    ) {
        let v = self.int(x);
        let n = self.reg(v);
        let [min, max, step] = bounds.map(|b| {
            let o = self.int(b);
            self.reg(o)
        });
        let r = self.b.imm(0);
        let ge_min = self.b.new_block();
        let above = self.b.new_block();
        let within = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Slt, n, Operand::Reg(min), done, ge_min);
        self.b.switch_to(ge_min);
        self.b
            .branch(Cond::Sgt, n, Operand::Reg(max), above, within);
        self.b.switch_to(above);
        let span = self.b.binary(BinOp::Sub, max, Operand::Reg(min));
        let q = self.b.binary(BinOp::UDiv, span, Operand::Reg(step));
        let q1 = self.b.binary(BinOp::Add, q, Operand::Imm(1));
        self.b.mov(r, Operand::Reg(q1));
        self.b.jump(done);
        self.b.switch_to(within);
        let d = self.b.binary(BinOp::Sub, n, Operand::Reg(min));
        let q = self.b.binary(BinOp::UDiv, d, Operand::Reg(step));
        let q1 = self.b.binary(BinOp::Add, q, Operand::Imm(1));
        self.b.mov(r, Operand::Reg(q1));
        self.b.jump(done);
        self.b.switch_to(done);
        self.bucket_add(map, keys, r);
    }

    /// Count one in bucket `bucket` of `@m[keys]`.
    fn bucket_add(&mut self, map: MapIdx, keys: &[TExpr], bucket: VReg) {
        let key = self.key(map, keys);
        let off = self.bucket_offset(map) as i32;
        self.b
            .store(Base::Slot(key), off, Width::B8, Operand::Reg(bucket));
        self.agg_add_at(map, key, Operand::Imm(1));
    }

    /// bpftrace's `log2(n, k)`: 0 for negative `n`; `n + 1` for `n < 2^k`; otherwise,
    /// with `l` the position of the leftmost 1 of `n` minus `k` and `x` the `k` bits
    /// after it, `((l + 1) << k) + x + 1`.
    pub(crate) fn log2_bucket(&mut self, n: VReg, k: u32) -> VReg {
        let mask = (1i64 << k) - 1;
        let r = self.b.imm(0);
        let nonneg = self.b.new_block();
        let small = self.b.new_block();
        let large = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Slt, n, Operand::Imm(0), done, nonneg);
        self.b.switch_to(nonneg);
        self.b
            .branch(Cond::Ule, n, Operand::Imm(mask), small, large);
        self.b.switch_to(small);
        let n1 = self.b.binary(BinOp::Add, n, Operand::Imm(1));
        self.b.mov(r, Operand::Reg(n1));
        self.b.jump(done);
        self.b.switch_to(large);
        // Leftmost 1 by binary search: m >>= s and l += s while m >= 2^s.
        let m = self.b.imm(0);
        self.b.mov(m, Operand::Reg(n));
        let l = self.b.imm(0);
        for i in (0..6).rev() {
            let s = 1i64 << i;
            let threshold = self.b.imm(1i64 << s);
            let shift = self.b.new_block();
            let next = self.b.new_block();
            // m >= threshold; both are non-negative, so unsigned compares the same.
            self.b
                .branch(Cond::Uge, m, Operand::Reg(threshold), shift, next);
            self.b.switch_to(shift);
            let m2 = self.b.binary(BinOp::LShr, m, Operand::Imm(s));
            self.b.mov(m, Operand::Reg(m2));
            let l2 = self.b.binary(BinOp::Add, l, Operand::Imm(s));
            self.b.mov(l, Operand::Reg(l2));
            self.b.jump(next);
            self.b.switch_to(next);
        }
        let lk = self.b.binary(BinOp::Sub, l, Operand::Imm(i64::from(k)));
        let shifted = self.b.binary(BinOp::LShr, n, Operand::Reg(lk));
        let x = self.b.binary(BinOp::And, shifted, Operand::Imm(mask));
        let hi = self.b.binary(BinOp::Add, lk, Operand::Imm(1));
        let hi = self.b.binary(BinOp::Shl, hi, Operand::Imm(i64::from(k)));
        let sum = self.b.binary(BinOp::Add, hi, Operand::Reg(x));
        let sum = self.b.binary(BinOp::Add, sum, Operand::Imm(1));
        self.b.mov(r, Operand::Reg(sum));
        self.b.jump(done);
        self.b.switch_to(done);
        r
    }

    /// bpftrace's `linear(n, min, max, step)`: 0 below `min`, `1 + (max - min) / step`
    /// above `max`, else `1 + (n - min) / step`.
    pub(crate) fn linear_bucket(&mut self, n: VReg, min: i64, max: i64, step: i64) -> VReg {
        let r = self.b.imm(0);
        let ge_min = self.b.new_block();
        let above = self.b.new_block();
        let within = self.b.new_block();
        let done = self.b.new_block();
        let min_r = self.b.imm(min);
        self.b
            .branch(Cond::Slt, n, Operand::Reg(min_r), done, ge_min);
        self.b.switch_to(ge_min);
        let max_r = self.b.imm(max);
        self.b
            .branch(Cond::Sgt, n, Operand::Reg(max_r), above, within);
        self.b.switch_to(above);
        self.b.mov(r, Operand::Imm(1 + (max - min) / step.max(1)));
        self.b.jump(done);
        self.b.switch_to(within);
        let d = self.b.binary(BinOp::Sub, n, Operand::Reg(min_r));
        let q = self.b.binary(BinOp::UDiv, d, Operand::Imm(step.max(1)));
        let q1 = self.b.binary(BinOp::Add, q, Operand::Imm(1));
        self.b.mov(r, Operand::Reg(q1));
        self.b.jump(done);
        self.b.switch_to(done);
        r
    }

    /// `print(@m, top, div)`: the runtime reads and prints the map when the event
    /// arrives, in order with the other output.
    pub(crate) fn print_map(&mut self, map: MapIdx, top: &TExpr, div: &TExpr) {
        let top = self.int(top);
        let div = self.int(div);
        self.event(EventKind::PrintMap, map.0, 16, |l, rec| {
            l.b.store(Base::Reg(rec), HDR, Width::B8, top);
            l.b.store(Base::Reg(rec), HDR + 8, Width::B8, div);
        });
    }

    /// `print(value)`: the value is the payload.
    pub(crate) fn print_value(&mut self, id: u32, value: &TExpr) {
        if value.ty.is_mem() {
            let size = align8(value.ty.storage_size());
            let dw = self.dw_stacks_before(std::slice::from_ref(value));
            self.event(EventKind::PrintValue, id, size, |l, rec| {
                let dst = Mem {
                    base: Base::Reg(rec),
                    offset: HDR,
                    size,
                };
                match dw.first().copied().flatten() {
                    Some(slot) => l.dw_value_into(slot, dst),
                    None => l.str_into(value, dst, true),
                }
            });
        } else {
            let v = self.int(value);
            self.event(EventKind::PrintValue, id, 8, |l, rec| {
                l.b.store(Base::Reg(rec), HDR, Width::B8, v);
            });
        }
    }

    /// `zero(@m)`.
    pub(crate) fn zero(&mut self, map: MapIdx) {
        self.event(EventKind::Zero, map.0, 0, |_, _| {});
    }
}
