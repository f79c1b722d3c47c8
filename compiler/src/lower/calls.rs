//! Lowering the functions of `sema::calls`: `bswap`, `exit(code)`, and the string
//! functions `strncmp`, `strcontains`, `strlen` (unrolled byte loops over buffers of
//! known size, so the verifier sees no loop).

use super::expr::StrVal;
use super::Lower;
use crate::ir::{Base, BinOp, BlockId, Cond, Operand, VReg, Width};
use crate::sema::types::*;
use tracec_meta::{EventKind, EVENT_HEADER_SIZE};

/// Strings longer than this are compared on their first `MAX_SCAN` bytes only
/// (`strcontains` is quadratic in it).
const MAX_SCAN: u32 = 64;

fn str_size(e: &TExpr) -> u32 {
    match e.ty {
        Type::Str { size } => size.min(MAX_SCAN),
        _ => 0,
    }
}

impl Lower<'_, '_> {
    /// Reverse the low `bytes` bytes of `e`.
    pub(crate) fn bswap(&mut self, e: &TExpr, bytes: u32) -> VReg {
        let v = self.int(e);
        let x = self.reg(v);
        let acc = self.b.imm(0);
        for i in 0..bytes {
            let shifted = self
                .b
                .binary(BinOp::LShr, x, Operand::Imm(i64::from(8 * i)));
            let byte = self.b.binary(BinOp::And, shifted, Operand::Imm(0xff));
            let moved = self.b.binary(
                BinOp::Shl,
                byte,
                Operand::Imm(i64::from(8 * (bytes - 1 - i))),
            );
            let next = self.b.binary(BinOp::Or, acc, Operand::Reg(moved));
            self.b.mov(acc, Operand::Reg(next));
        }
        acc
    }

    /// `exit(code)`: an exit event carrying `code`, then leave the program.
    pub(crate) fn exit_code(&mut self, code: &TExpr) {
        let v = self.int(code);
        let v = self.reg(v);
        self.event(EventKind::Exit, 0, 8, |l, rec| {
            l.b.store(
                Base::Reg(rec),
                EVENT_HEADER_SIZE as i32,
                Width::B8,
                Operand::Reg(v),
            );
        });
        self.leave_probe(Operand::Imm(0));
    }

    /// A register set to 0 in `zero` and to 1 in `one`, read after both join.
    pub(crate) fn bool_join(&mut self, one: BlockId, zero: BlockId) -> VReg {
        let r = self.b.new_vreg();
        let done = self.b.new_block();
        self.b.switch_to(one);
        self.b.mov(r, Operand::Imm(1));
        self.b.jump(done);
        self.b.switch_to(zero);
        self.b.mov(r, Operand::Imm(0));
        self.b.jump(done);
        self.b.switch_to(done);
        r
    }

    /// Byte `i` of a string value as a register.
    pub(crate) fn byte(&mut self, s: &StrVal, i: u32) -> VReg {
        let o = self.str_piece(s, i, 1);
        self.reg(o)
    }

    /// `strncmp(a, b, n)` with a constant `n`.
    pub(crate) fn strncmp(&mut self, a: &TExpr, b: &TExpr, n: u32) -> VReg {
        let limit = n.min(str_size(a).max(str_size(b)));
        self.compare_bytes(a, b, limit, None)
    }

    /// `strncmp(a, b, n)` with `n` read at run time: the bytes of the longer buffer are
    /// compared while their index is below `n`.
    pub(crate) fn strncmp_param(&mut self, a: &TExpr, b: &TExpr, n: &TExpr) -> VReg {
        let limit = str_size(a).max(str_size(b));
        let n = self.int(n);
        let n = self.reg(n);
        self.compare_bytes(a, b, limit, Some(n))
    }

    /// 1 when the first `limit` bytes of `a` and `b` differ before a common NUL, else
    /// 0 (bpftrace's `strncmp`); with `n`, only the bytes whose index is below the
    /// run-time `n` (signed: a negative length compares nothing, like 0).
    fn compare_bytes(&mut self, a: &TExpr, b: &TExpr, limit: u32, n: Option<VReg>) -> VReg {
        let sa = self.str_val(a);
        let sb = self.str_val(b);
        let ne = self.b.new_block();
        let eq = self.b.new_block();
        for i in 0..limit {
            if let Some(n) = n {
                let go = self.b.new_block();
                self.b
                    .branch(Cond::Sle, n, Operand::Imm(i64::from(i)), eq, go);
                self.b.switch_to(go);
            }
            let ca = self.byte(&sa, i);
            let cb = self.byte(&sb, i);
            let same = self.b.new_block();
            self.b.branch(Cond::Ne, ca, Operand::Reg(cb), ne, same);
            self.b.switch_to(same);
            let next = self.b.new_block();
            self.b.branch(Cond::Eq, ca, Operand::Imm(0), eq, next);
            self.b.switch_to(next);
        }
        self.b.jump(eq);
        self.bool_join(ne, eq)
    }

    pub(crate) fn strcontains(&mut self, hay: &TExpr, needle: &TExpr) -> VReg {
        let found = self.b.new_block();
        let missing = self.b.new_block();
        self.find_str(
            hay,
            str_size(hay),
            needle,
            str_size(needle),
            missing,
            |_, _| found,
        );
        self.bool_join(found, missing)
    }

    /// Look for `needle` (its first `nsize` bytes) in `hay` (its first `hsize`),
    /// unrolled over every position: on a match at position `i` branch to the block
    /// `found(i)` returns, else to `missing`. Leaves no block open.
    pub(crate) fn find_str(
        &mut self,
        hay: &TExpr,
        hsize: u32,
        needle: &TExpr,
        nsize: u32,
        missing: BlockId,
        mut found: impl FnMut(&mut Self, u32) -> BlockId,
    ) {
        let h = self.str_val(hay);
        let nd = self.str_val(needle);
        for i in 0..hsize.max(1) {
            let found_i = found(self, i);
            let next_i = self.b.new_block();
            let mut cut = false;
            for j in 0..nsize {
                let cn = self.byte(&nd, j);
                let more = self.b.new_block();
                self.b.branch(Cond::Eq, cn, Operand::Imm(0), found_i, more);
                self.b.switch_to(more);
                if i + j >= hsize {
                    // The haystack ended before the needle did.
                    self.b.jump(missing);
                    cut = true;
                    break;
                }
                let ch = self.byte(&h, i + j);
                let same = self.b.new_block();
                self.b.branch(Cond::Ne, ch, Operand::Reg(cn), next_i, same);
                self.b.switch_to(same);
            }
            if !cut {
                // The needle fills its whole buffer and matched.
                self.b.jump(found_i);
            }
            self.b.switch_to(next_i);
            if i < hsize {
                let c = self.byte(&h, i);
                let go = self.b.new_block();
                self.b.branch(Cond::Eq, c, Operand::Imm(0), missing, go);
                self.b.switch_to(go);
            }
        }
        self.b.jump(missing);
    }

    pub(crate) fn strlen(&mut self, s: &TExpr) -> VReg {
        let size = str_size(s);
        let v = self.str_val(s);
        let r = self.b.new_vreg();
        let done = self.b.new_block();
        for i in 0..size {
            let c = self.byte(&v, i);
            self.b.mov(r, Operand::Imm(i64::from(i)));
            let next = self.b.new_block();
            self.b.branch(Cond::Eq, c, Operand::Imm(0), done, next);
            self.b.switch_to(next);
        }
        self.b.mov(r, Operand::Imm(i64::from(size)));
        self.b.jump(done);
        self.b.switch_to(done);
        r
    }
}
