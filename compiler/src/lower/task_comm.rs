//! `comm(pid)` (checked in `sema/task_comm.rs`):
//!
//! ```text
//! task = bpf_task_from_pid(pid)            ; kfunc, a referenced task or NULL
//! if task == 0 { warn(pid); dst = "N/A" (zero-padded) }
//! else { dst = 0; probe_read_kernel(dst, comm size, task + comm offset); bpf_task_release(task) }
//! ```
//!
//! The reference is released on the one path that holds it, right after the copy, as
//! the verifier requires.

use super::expr::{Mem, StrVal};
use super::Lower;
use crate::ir::{Base, Cond, CoreAccess, Helper, Kfunc, Operand, Width};
use crate::sema::task_comm::NO_TASK;
use crate::sema::types::TExpr;
use tracec_meta::{EventKind, EVENT_HEADER_SIZE};

impl Lower<'_, '_> {
    pub(crate) fn comm_of_pid(
        &mut self,
        pid: &TExpr,
        access: &CoreAccess,
        len: u32,
        warn: u32,
        dst: Mem,
    ) {
        let pid = self.int(pid);
        let pid = self.reg(pid);
        let task = self
            .b
            .call_kfunc(Kfunc::TaskFromPid, vec![Operand::Reg(pid)]);
        let none = self.b.new_block();
        let found = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Eq, task, Operand::Imm(0), none, found);

        self.b.switch_to(found);
        self.core_chars(task, access, len, dst, true, Helper::ProbeReadKernel);
        self.b
            .call_kfunc_void(Kfunc::TaskRelease, vec![Operand::Reg(task)]);
        self.b.jump(done);

        self.b.switch_to(none);
        self.event(EventKind::Warn, warn, 8, |l, rec| {
            l.b.store(
                Base::Reg(rec),
                EVENT_HEADER_SIZE as i32,
                Width::B8,
                Operand::Reg(pid),
            );
        });
        self.zero_mem(dst.base, dst.offset, dst.size);
        let text = StrVal::Lit(NO_TASK.as_bytes().to_vec());
        self.write_str(&text, dst);
        self.b.jump(done);

        self.b.switch_to(done);
    }
}
