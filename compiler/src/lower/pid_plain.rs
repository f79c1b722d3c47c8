//! Plain `pid` and `tid`: the ids as seen from the runtime's pid namespace, as
//! bpftrace prints them (`pid(init)`/`tid(init)` are always the initial namespace's).
//!
//! The runtime sets the `.rodata` flag [`tracec_meta::GLOBAL_PIDNS_CHILD`] before
//! loading: 0 in the initial namespace, 1 in another. A program that uses plain
//! `pid`/`tid` reads the ids once, at its start, into a stack slot
//! ([`Lower::pid_tgid`]): `bpf_get_current_pid_tgid` or, under the flag,
//! `bpf_get_ns_current_pid_tgid` (whose `{ pid, tgid }` is laid out like `pid_tgid`);
//! every use is then a load. `.rodata` is frozen, so the verifier knows the flag,
//! explores only the selected branch and removes the other: on the host the
//! namespace helper is never called. Map loop bodies (callbacks, another stack
//! frame) branch at each use instead.

use super::Lower;
use crate::ir::{Base, BinOp, Cond, Helper, Operand, VReg, Width};

impl Lower<'_, '_> {
    /// `pid` / `tid` (`tid`).
    pub(super) fn pid_plain(&mut self, tid: bool) -> VReg {
        if self.callback.is_some() {
            return self.pid_plain_here(tid);
        }
        let slot = match self.pid_tgid {
            Some(s) => s,
            None => {
                let s = self.b.new_slot(8, 8);
                self.pid_tgid = Some(s);
                s
            }
        };
        let v = self.b.load(Base::Slot(slot), 0, Width::B8, false);
        self.split_pid_tgid(v, tid)
    }

    /// At the program's start (the current block): fill [`Lower::pid_tgid`] when the
    /// body used it.
    pub(super) fn pid_tgid_prelude(&mut self) {
        let Some(slot) = self.pid_tgid else {
            return;
        };
        let flag = self.pidns_child_flag();
        let init = self.b.new_block();
        let ns = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Eq, flag, Operand::Imm(0), init, ns);
        self.b.switch_to(init);
        let v = self.b.call(Helper::GetCurrentPidTgid, vec![]);
        self.b
            .store(Base::Slot(slot), 0, Width::B8, Operand::Reg(v));
        self.b.jump(done);
        self.b.switch_to(ns);
        self.b.zero(slot, 0, 8);
        self.ns_pid_tgid_into(slot);
        self.b.jump(done);
        self.b.switch_to(done);
    }

    /// The `.rodata` flag: 1 when the runtime runs in a pid namespace of its own.
    fn pidns_child_flag(&mut self) -> VReg {
        let child = self.m.u64_global(tracec_meta::GLOBAL_PIDNS_CHILD);
        let p = self.b.global_addr(child, 0);
        self.b.load(Base::Reg(p), 0, Width::B8, false)
    }

    /// `pid`/`tid` of a `pid_tgid`-shaped value: the high or the low half.
    fn split_pid_tgid(&mut self, v: VReg, tid: bool) -> VReg {
        if tid {
            self.low32(v)
        } else {
            self.b.binary(BinOp::LShr, v, Operand::Imm(32))
        }
    }

    /// Plain `pid`/`tid` branching on the flag where it is used (in map loop bodies).
    fn pid_plain_here(&mut self, tid: bool) -> VReg {
        let flag = self.pidns_child_flag();
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
        self.split_pid_tgid(v, tid)
    }
}
