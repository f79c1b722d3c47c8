//! Lowering `kstack` / `ustack`: `bpf_get_stackid` into a stack trace map (one per
//! kind and depth), the id stored with the current pid as plain `pid` reads it (see
//! `tracec_meta::Ty::Stack`).
//! The runtime reads the addresses back and symbolizes them.

use super::expr::Mem;
use super::Lower;
use crate::ir::{Helper, Operand, Width};
use crate::sema::types::{StackTy, TExpr};

/// `max_entries` of every stack trace map: bpftrace 0.17's size. The kernel hashes a
/// stack to one bucket and `bpf_get_stackid` fails (`-EEXIST`) when another stack holds
/// it, so a small map loses a sizable share of the stacks of a busy script (a tenth of
/// 1500 distinct stacks at 4096 buckets).
pub(crate) const STACK_MAP_ENTRIES: u32 = 131_072;
/// `max_entries` of a build-id stack map, whose frames take 32 bytes each.
pub(crate) const BUILD_ID_STACK_MAP_ENTRIES: u32 = 4096;
/// `BPF_F_USER_STACK`: walk the user stack instead of the kernel's.
const BPF_F_USER_STACK: i64 = 1 << 8;

/// The ELF symbol of the stack map of `user` or kernel stacks `limit` frames deep.
pub(crate) fn map_symbol(user: bool, limit: u32) -> String {
    format!("stack_{}{limit}", if user { "u" } else { "k" })
}

/// The ELF symbol of the build-id stack map of user stacks `limit` frames deep.
pub(crate) fn build_id_map_symbol(limit: u32) -> String {
    format!("stack_b{limit}")
}

impl Lower<'_, '_> {
    /// Write the current stack of kind `s` into `dst` (16 bytes: id, pid).
    pub(crate) fn stack_into(&mut self, s: StackTy, dst: Mem) {
        if s.dwarf {
            return self.dw_stack_into(dst);
        }
        let map = if s.mode == tracec_meta::StackMode::BuildId && s.user {
            self.m.build_id_stack_map(s.limit)
        } else {
            self.m.stack_map(s.user, s.limit)
        };
        let ctx = self.b.ctx();
        let m = self.b.map_addr(map);
        let flags = if s.user { BPF_F_USER_STACK } else { 0 };
        let id = self.b.call(
            Helper::GetStackid,
            vec![Operand::Reg(ctx), Operand::Reg(m), Operand::Imm(flags)],
        );
        self.b
            .store(dst.base, dst.offset, Width::B8, Operand::Reg(id));
        // Kernel stacks do not depend on the process: equal stacks are equal keys.
        // The pid as the runtime's namespace sees it, so that it finds the process's
        // mappings in its own /proc.
        let pid = if s.user {
            Operand::Reg(self.pid_plain(false))
        } else {
            Operand::Imm(0)
        };
        self.b.store(dst.base, dst.offset + 8, Width::B8, pid);
    }

    /// `ksym(addr)` / `usym(addr)` into `dst` (16 bytes: address, pid).
    pub(crate) fn sym_into(&mut self, user: bool, addr: &TExpr, dst: Mem) {
        let a = self.int(addr);
        self.b.store(dst.base, dst.offset, Width::B8, a);
        let pid = if user {
            Operand::Reg(self.pid_plain(false))
        } else {
            Operand::Imm(0)
        };
        self.b.store(dst.base, dst.offset + 8, Width::B8, pid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_name_kind_and_depth() {
        assert_eq!(map_symbol(false, 127), "stack_k127");
        assert_eq!(map_symbol(true, 3), "stack_u3");
    }
}
