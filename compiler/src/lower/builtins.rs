//! Lowering builtins (the integer ones; `comm` is a string, see `expr::str_into`).

use super::Lower;
use crate::ir::{Base, BinOp, Helper, Operand, VReg, Width};
use crate::sema::types::Builtin;

impl Lower<'_, '_> {
    pub(crate) fn builtin(&mut self, b: Builtin) -> VReg {
        match b {
            Builtin::Pid => self.pid_plain(false),
            Builtin::Tid => self.pid_plain(true),
            Builtin::PidInit => self.pid_init(false),
            Builtin::TidInit => self.pid_init(true),
            Builtin::PidCurrNs => self.pid_curr_ns(false),
            Builtin::TidCurrNs => self.pid_curr_ns(true),
            Builtin::Uid => {
                let v = self.b.call(Helper::GetCurrentUidGid, vec![]);
                self.low32(v)
            }
            Builtin::Gid => {
                let v = self.b.call(Helper::GetCurrentUidGid, vec![]);
                self.b.binary(BinOp::LShr, v, Operand::Imm(32))
            }
            Builtin::Nsecs => self.now_ns(Helper::KtimeGetNs),
            Builtin::Elapsed => {
                let now = self.now_ns(Helper::KtimeGetNs);
                let g = self.m.start_ns();
                let p = self.b.global_addr(g, 0);
                let start = self.b.load(Base::Reg(p), 0, Width::B8, false);
                self.b.binary(BinOp::Sub, now, Operand::Reg(start))
            }
            Builtin::Cpu => self.b.call(Helper::GetSmpProcessorId, vec![]),
            Builtin::CurTask => self.b.call(Helper::GetCurrentTask, vec![]),
            Builtin::Ctx => self.b.ctx(),
            Builtin::NsecsBoot => self.now_ns(Helper::KtimeGetBootNs),
            Builtin::NsecsTai => self.now_ns(Helper::KtimeGetTaiNs),
            Builtin::Jiffies => self.b.call(Helper::Jiffies64, vec![]),
            Builtin::Rand => {
                let v = self.b.call(Helper::GetPrandomU32, vec![]);
                self.low32(v)
            }
            Builtin::Cgroup => self.b.call(Helper::GetCurrentCgroupId, vec![]),
            Builtin::NumaId => {
                let v = self.b.call(Helper::GetNumaNodeId, vec![]);
                self.low32(v)
            }
            Builtin::UserMode => {
                // x86_64 `pt_regs.cs` (the 18th word): its low two bits are the
                // privilege level, 3 in user mode.
                let ctx = self.ctx();
                let cs = self.b.load(ctx, 17 * 8, Width::B8, false);
                let ring = self.b.binary(BinOp::And, cs, Operand::Imm(3));
                self.b.cmp(crate::ir::Cond::Eq, ring, Operand::Imm(3))
            }
            Builtin::Ncpus => self.host_global(tracec_meta::GLOBAL_NCPUS),
            Builtin::Cpid => self.host_global(tracec_meta::GLOBAL_CPID),
            Builtin::HasCpid => {
                let cpid = self.host_global(tracec_meta::GLOBAL_CPID);
                self.b.cmp(crate::ir::Cond::Ne, cpid, Operand::Imm(0))
            }
            Builtin::FuncIp => {
                let ctx = self.b.ctx();
                self.b.call(Helper::GetFuncIp, vec![Operand::Reg(ctx)])
            }
            Builtin::AttachCookie => {
                let ctx = self.b.ctx();
                self.b
                    .call(Helper::GetAttachCookie, vec![Operand::Reg(ctx)])
            }
            // A string; only reachable through an (impossible) integer use.
            Builtin::Comm => self.b.imm(0),
        }
    }

    /// The low 32 bits, by shifts (no 64-bit immediate mask needed).
    /// A `u64` `.rodata` global the runtime sets from the host before loading.
    pub(super) fn host_global(&mut self, symbol: &str) -> VReg {
        let g = self.m.u64_global(symbol);
        let p = self.b.global_addr(g, 0);
        self.b.load(Base::Reg(p), 0, Width::B8, false)
    }

    pub(super) fn low32(&mut self, v: VReg) -> VReg {
        let hi = self.b.binary(BinOp::Shl, v, Operand::Imm(32));
        self.b.binary(BinOp::LShr, hi, Operand::Imm(32))
    }
}

impl Lower<'_, '_> {
    /// `pid(curr_ns)` / `tid(curr_ns)` (`tid`): `bpf_get_ns_current_pid_tgid` with the
    /// runtime's pid namespace (the `.rodata` globals it sets); 0 when the current task
    /// is not visible from there.
    pub(super) fn pid_curr_ns(&mut self, tid: bool) -> VReg {
        let slot = self.b.temp_slot(8);
        self.b.zero(slot, 0, 8);
        self.ns_pid_tgid_into(slot);
        let offset = if tid { 0 } else { 4 };
        self.b.load(Base::Slot(slot), offset, Width::B4, false)
    }

    /// `bpf_get_ns_current_pid_tgid` for the runtime's pid namespace into the 8 bytes
    /// of `slot`: `struct bpf_pidns_info { u32 pid; u32 tgid; }`, laid out like a
    /// `pid_tgid` value (left as it was when the task is in no such namespace).
    pub(super) fn ns_pid_tgid_into(&mut self, slot: crate::ir::Slot) {
        let dev_g = self.m.u64_global(tracec_meta::GLOBAL_PIDNS_DEV);
        let ino_g = self.m.u64_global(tracec_meta::GLOBAL_PIDNS_INO);
        let p = self.b.global_addr(dev_g, 0);
        let dev = self.b.load(Base::Reg(p), 0, Width::B8, false);
        let p = self.b.global_addr(ino_g, 0);
        let ino = self.b.load(Base::Reg(p), 0, Width::B8, false);
        let info = self.b.slot_addr(slot, 0);
        self.b.call_void(
            Helper::GetNsCurrentPidTgid,
            vec![
                Operand::Reg(dev),
                Operand::Reg(ino),
                Operand::Reg(info),
                Operand::Imm(8),
            ],
        );
    }
}
