//! `percpu_kaddr(name[, cpu])` (checked in `sema/percpu.rs`): `bpf_this_cpu_ptr` or
//! `bpf_per_cpu_ptr` of the variable's `ld_imm64 BPF_PSEUDO_BTF_ID`, whose BTF id the
//! runtime patches in.
//!
//! `bpf_per_cpu_ptr` may return NULL (a CPU out of range), and the verifier refuses
//! arithmetic on a maybe-NULL pointer. The result is compared with 0 at once: on
//! each side of the test the verifier knows what the register holds (a pointer, or
//! the scalar 0), so field offsets can be added to it without a check in the script.

use super::Lower;
use crate::ir::{Cond, Helper, Operand, VReg};
use crate::sema::types::TExpr;

impl Lower<'_, '_> {
    pub(crate) fn percpu_kaddr(&mut self, name: &str, cpu: Option<&TExpr>) -> VReg {
        let var = self.b.ksym_addr(name);
        let Some(cpu) = cpu else {
            return self.b.call(Helper::ThisCpuPtr, vec![Operand::Reg(var)]);
        };
        let cpu = self.int(cpu);
        let p = self.b.call(Helper::PerCpuPtr, vec![Operand::Reg(var), cpu]);
        let r = self.b.new_vreg();
        let null = self.b.new_block();
        let ok = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Eq, p, Operand::Imm(0), null, ok);
        self.b.switch_to(null);
        self.b.mov(r, Operand::Imm(0));
        self.b.jump(done);
        self.b.switch_to(ok);
        self.b.mov(r, Operand::Reg(p));
        self.b.jump(done);
        self.b.switch_to(done);
        r
    }
}
