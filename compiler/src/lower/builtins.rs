//! Lowering builtins (the integer ones; `comm` is a string, see `expr::str_into`).

use super::Lower;
use crate::ir::{Base, BinOp, Helper, Operand, VReg, Width};
use crate::sema::types::Builtin;

impl Lower<'_, '_> {
    pub(crate) fn builtin(&mut self, b: Builtin) -> VReg {
        match b {
            Builtin::Pid => {
                let v = self.b.call(Helper::GetCurrentPidTgid, vec![]);
                self.b.binary(BinOp::LShr, v, Operand::Imm(32))
            }
            Builtin::Tid => {
                let v = self.b.call(Helper::GetCurrentPidTgid, vec![]);
                self.low32(v)
            }
            Builtin::Uid => {
                let v = self.b.call(Helper::GetCurrentUidGid, vec![]);
                self.low32(v)
            }
            Builtin::Gid => {
                let v = self.b.call(Helper::GetCurrentUidGid, vec![]);
                self.b.binary(BinOp::LShr, v, Operand::Imm(32))
            }
            Builtin::Nsecs => self.b.call(Helper::KtimeGetNs, vec![]),
            Builtin::Elapsed => {
                let now = self.b.call(Helper::KtimeGetNs, vec![]);
                let g = self.m.start_ns();
                let p = self.b.global_addr(g, 0);
                let start = self.b.load(Base::Reg(p), 0, Width::B8, false);
                self.b.binary(BinOp::Sub, now, Operand::Reg(start))
            }
            Builtin::Cpu => self.b.call(Helper::GetSmpProcessorId, vec![]),
            Builtin::CurTask => self.b.call(Helper::GetCurrentTask, vec![]),
            Builtin::Ctx => self.b.ctx(),
            Builtin::NsecsBoot => self.b.call(Helper::KtimeGetBootNs, vec![]),
            Builtin::NsecsTai => self.b.call(Helper::KtimeGetTaiNs, vec![]),
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
    fn host_global(&mut self, symbol: &str) -> VReg {
        let g = self.m.u64_global(symbol);
        let p = self.b.global_addr(g, 0);
        self.b.load(Base::Reg(p), 0, Width::B8, false)
    }

    fn low32(&mut self, v: VReg) -> VReg {
        let hi = self.b.binary(BinOp::Shl, v, Operand::Imm(32));
        self.b.binary(BinOp::LShr, hi, Operand::Imm(32))
    }
}
