//! Lowering `sema::stdlib` expressions: helper calls (`signal`, `override`,
//! `write_user`), `strstr`, `memcmp`, `str_concat` (unrolled byte loops over the
//! strings' fixed sizes) and `path` (`bpf_d_path`).

use super::expr::{Mem, StrVal};
use super::Lower;
use crate::ir::{Base, BinOp, Cond, Helper, Operand, VReg, Width};
use crate::sema::stdlib::StdlibExpr;
use crate::sema::types::*;

/// Bytes of a string that `strstr` scans (it is quadratic in them), and that
/// `str_concat` takes from each side.
const MAX_SCAN: u32 = 64;
const MAX_CONCAT_PART: u32 = 512;

fn scan_size(e: &TExpr, max: u32) -> u32 {
    match e.ty {
        Type::Str { size } => size.min(max),
        _ => e.ty.storage_size().min(max),
    }
}

impl Lower<'_, '_> {
    pub(crate) fn stdlib_int(&mut self, x: &StdlibExpr) -> Operand {
        match x {
            StdlibExpr::Helper { helper, args } => {
                let ops = args.iter().map(|a| self.helper_arg(a)).collect();
                Operand::Reg(self.b.call(*helper, ops))
            }
            StdlibExpr::StrStr { hay, needle } => Operand::Reg(self.strstr(hay, needle)),
            StdlibExpr::MemCmp { lhs, rhs, count } => Operand::Reg(self.memcmp(lhs, rhs, *count)),
            StdlibExpr::SkbOutput { skb, len, id } => Operand::Reg(self.skb_output(skb, len, *id)),
            StdlibExpr::Find {
                map,
                keys,
                var,
                assign,
            } => Operand::Reg(self.find(*map, keys, *var, assign)),
            // Strings; only reachable through an (impossible) integer use.
            StdlibExpr::StrConcat { .. }
            | StdlibExpr::DPath { .. }
            | StdlibExpr::CommOfPid { .. } => Operand::Imm(0),
        }
    }

    pub(crate) fn stdlib_str_into(&mut self, x: &StdlibExpr, dst: Mem, _pad: bool) {
        match x {
            StdlibExpr::DPath { ptr } => {
                self.zero_mem(dst.base, dst.offset, dst.size);
                let p = self.int(ptr);
                let buf = self.addr(dst.base, dst.offset);
                self.b.call_void(
                    Helper::DPath,
                    vec![p, Operand::Reg(buf), Operand::Imm(i64::from(dst.size))],
                );
            }
            StdlibExpr::StrConcat { a, b } => self.str_concat(a, b, dst),
            StdlibExpr::CommOfPid {
                pid,
                access,
                len,
                warn,
            } => self.comm_of_pid(pid, access, *len, *warn, dst),
            StdlibExpr::Helper { .. }
            | StdlibExpr::StrStr { .. }
            | StdlibExpr::MemCmp { .. }
            | StdlibExpr::SkbOutput { .. }
            | StdlibExpr::Find { .. } => {
                let v = self.stdlib_int(x);
                self.zero_mem(dst.base, dst.offset, dst.size);
                if dst.size >= 8 {
                    self.b.store(dst.base, dst.offset, Width::B8, v);
                }
            }
        }
    }

    /// A helper argument: integers by value, in-memory values by address.
    fn helper_arg(&mut self, a: &TExpr) -> Operand {
        if !a.ty.is_mem() {
            return self.int(a);
        }
        let v = self.str_val(a);
        let m = match v {
            StrVal::Mem(m) => m,
            StrVal::Lit(_) => {
                let size = a.ty.storage_size().div_ceil(8) * 8;
                let slot = self.b.temp_slot(size);
                let m = Mem {
                    base: Base::Slot(slot),
                    offset: 0,
                    size,
                };
                self.write_str(&v, m);
                m
            }
        };
        Operand::Reg(self.addr(m.base, m.offset))
    }

    /// The index of the first occurrence of `needle` in `hay`, or -1 (0 for an
    /// empty needle).
    fn strstr(&mut self, hay: &TExpr, needle: &TExpr) -> VReg {
        let hsize = scan_size(hay, MAX_SCAN);
        let nsize = scan_size(needle, MAX_SCAN);
        let r = self.b.new_vreg();
        let done = self.b.new_block();
        let missing = self.b.new_block();
        let mut at = Vec::new();
        self.find_str(hay, hsize, needle, nsize, missing, |l, i| {
            let b = l.b.new_block();
            at.push((i, b));
            b
        });
        for (i, b) in at {
            self.b.switch_to(b);
            self.b.mov(r, Operand::Imm(i64::from(i)));
            self.b.jump(done);
        }
        self.b.switch_to(missing);
        self.b.mov(r, Operand::Imm(-1));
        self.b.jump(done);
        self.b.switch_to(done);
        r
    }

    /// `lhs[i] - rhs[i]` for the first `i < count` where they differ, else 0.
    fn memcmp(&mut self, lhs: &TExpr, rhs: &TExpr, count: u32) -> VReg {
        let a = self.str_val(lhs);
        let b = self.str_val(rhs);
        let count = count.min(lhs.ty.storage_size().max(rhs.ty.storage_size()));
        let r = self.b.new_vreg();
        let done = self.b.new_block();
        for i in 0..count {
            let x = self.byte(&a, i);
            let y = self.byte(&b, i);
            let differ = self.b.new_block();
            let next = self.b.new_block();
            self.b.branch(Cond::Ne, x, Operand::Reg(y), differ, next);
            self.b.switch_to(differ);
            let d = self.b.binary(BinOp::Sub, x, Operand::Reg(y));
            self.b.mov(r, Operand::Reg(d));
            self.b.jump(done);
            self.b.switch_to(next);
        }
        self.b.mov(r, Operand::Imm(0));
        self.b.jump(done);
        self.b.switch_to(done);
        r
    }

    /// `a` up to its NUL, then `b` up to its NUL, into the zeroed `dst`.
    fn str_concat(&mut self, a: &TExpr, b: &TExpr, dst: Mem) {
        self.zero_mem(dst.base, dst.offset, dst.size);
        let asz = scan_size(a, MAX_CONCAT_PART).min(dst.size);
        let bsz = scan_size(b, MAX_CONCAT_PART).min(dst.size - asz);
        let av = self.str_val(a);
        let bv = self.str_val(b);
        let len = self.b.new_vreg();
        let second = self.b.new_block();
        for i in 0..asz {
            self.b.mov(len, Operand::Imm(i64::from(i)));
            let c = self.byte(&av, i);
            let go = self.b.new_block();
            self.b.branch(Cond::Eq, c, Operand::Imm(0), second, go);
            self.b.switch_to(go);
            self.b
                .store(dst.base, dst.offset + i as i32, Width::B1, Operand::Reg(c));
        }
        self.b.mov(len, Operand::Imm(i64::from(asz)));
        self.b.jump(second);
        self.b.switch_to(second);
        if bsz == 0 {
            return;
        }
        let start = self.addr(dst.base, dst.offset);
        let p = self.b.binary(BinOp::Add, start, Operand::Reg(len));
        let done = self.b.new_block();
        for j in 0..bsz {
            let c = self.byte(&bv, j);
            let go = self.b.new_block();
            self.b.branch(Cond::Eq, c, Operand::Imm(0), done, go);
            self.b.switch_to(go);
            self.b
                .store(Base::Reg(p), j as i32, Width::B1, Operand::Reg(c));
        }
        self.b.jump(done);
        self.b.switch_to(done);
    }
}
