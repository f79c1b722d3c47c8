//! Plain `pid` and `tid`: the ids as seen from the runtime's pid namespace, as
//! bpftrace prints them (`pid(init)`/`tid(init)` are always the initial namespace's).
//!
//! The runtime sets the `.rodata` flag [`tracec_meta::GLOBAL_PIDNS_CHILD`] before
//! loading: 0 in the initial namespace, 1 in another. The program branches on it;
//! `.rodata` is frozen, so the verifier knows the value, explores only the selected
//! branch and removes the other: on the host a plain `pid` costs the flag's load and
//! test, never the namespace helper.

use super::Lower;
use crate::ir::{Base, BinOp, Cond, Helper, Operand, VReg, Width};

impl Lower<'_, '_> {
    /// `pid` / `tid` (`tid`).
    pub(super) fn pid_plain(&mut self, tid: bool) -> VReg {
        let child = self.m.u64_global(tracec_meta::GLOBAL_PIDNS_CHILD);
        let p = self.b.global_addr(child, 0);
        let flag = self.b.load(Base::Reg(p), 0, Width::B8, false);
        let out = self.b.new_vreg();
        let init = self.b.new_block();
        let ns = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Eq, flag, Operand::Imm(0), init, ns);
        self.b.switch_to(init);
        let v = self.pid_init(tid);
        self.b.mov(out, Operand::Reg(v));
        self.b.jump(done);
        self.b.switch_to(ns);
        let v = self.pid_curr_ns(tid);
        self.b.mov(out, Operand::Reg(v));
        self.b.jump(done);
        self.b.switch_to(done);
        out
    }

    /// `pid(init)` / `tid(init)` (`tid`): `bpf_get_current_pid_tgid`.
    pub(super) fn pid_init(&mut self, tid: bool) -> VReg {
        let v = self.b.call(Helper::GetCurrentPidTgid, vec![]);
        if tid {
            self.low32(v)
        } else {
            self.b.binary(BinOp::LShr, v, Operand::Imm(32))
        }
    }
}
