//! `str()` reads that keep bpftrace's truncation signal (`sema/strlen.rs`).
//!
//! `bpf_probe_read_str` always ends what it copies with a NUL, so a `string[N]` read
//! with it holds at most `N - 1` characters. bpftrace reads `N + 1` bytes into a
//! padded buffer and keeps `N`: a value without NUL was truncated, and the runtime
//! prints `str_trunc_trailer` after it. Here the read goes straight into the value's
//! `N` bytes; when the helper filled them (it returned `N`), the byte the NUL replaced
//! is read back from the source: a NUL when the string had exactly `N - 1`
//! characters, else the `N`th character, which leaves the value unterminated.

use super::expr::Mem;
use super::Lower;
use crate::ir::{BinOp, Cond, Helper, Operand};

impl Lower<'_, '_> {
    /// Read the string at `src` (user memory if `user`) into the first `n` bytes of
    /// `dst`, ending unterminated when the source string has `n` characters or more.
    pub(crate) fn read_str_keeping_trunc(&mut self, src: Operand, user: bool, dst: &Mem, n: u32) {
        let (read_str, read) = if user {
            (Helper::ProbeReadUserStr, Helper::ProbeReadUser)
        } else {
            (Helper::ProbeReadKernelStr, Helper::ProbeReadKernel)
        };
        let src = match src {
            Operand::Reg(r) => r,
            Operand::Imm(v) => self.b.imm(v),
        };
        let p = self.addr(dst.base, dst.offset);
        let got = self.b.call(
            read_str,
            vec![
                Operand::Reg(p),
                Operand::Imm(i64::from(n)),
                Operand::Reg(src),
            ],
        );
        if n < 2 {
            return;
        }
        let fix = self.b.new_block();
        let done = self.b.new_block();
        self.b
            .branch(Cond::Eq, got, Operand::Imm(i64::from(n)), fix, done);
        self.b.switch_to(fix);
        let last = i64::from(n - 1);
        let to = self.addr(dst.base, dst.offset + last as i32);
        let from = self.b.binary(BinOp::Add, src, Operand::Imm(last));
        self.b.call_void(
            read,
            vec![Operand::Reg(to), Operand::Imm(1), Operand::Reg(from)],
        );
        self.b.jump(done);
        self.b.switch_to(done);
    }
}
