//! `len(STACK)` (`sema/stack_len.rs`): `bpf_get_stack` of the current stack of the
//! value's kind into a writable global as deep as the stack, returning the number of
//! bytes written; the frame count is that over the size of a frame (0 when the helper
//! fails). Only the count is used, so programs running at once on several CPUs may
//! share the buffer.

use super::stacks::BPF_F_USER_STACK;
use super::Lower;
use crate::ir::{BinOp, Cond, Helper, Operand, VReg};
use crate::sema::types::StackTy;
use tracec_meta::StackMode;

/// `BPF_F_USER_BUILD_ID`: frames as `struct bpf_stack_build_id` (32 bytes).
const BPF_F_USER_BUILD_ID: i64 = 1 << 11;

/// The ELF symbol of the `.bss` buffer `len()` collects `bytes` of a stack into.
pub(crate) fn buffer_symbol(bytes: u32) -> String {
    format!("stack_len_buf{bytes}")
}

impl Lower<'_, '_> {
    /// The number of frames of the current stack of kind `s`.
    pub(crate) fn stack_len(&mut self, s: StackTy) -> VReg {
        let build_id = s.user && s.mode == StackMode::BuildId;
        let frame: u32 = if build_id { 32 } else { 8 };
        let bytes = s.limit * frame;
        let buf = self.m.stack_len_buffer(bytes);
        let ctx = self.b.ctx();
        let at = self.b.global_addr(buf, 0);
        let mut flags = if s.user { BPF_F_USER_STACK } else { 0 };
        if build_id {
            flags |= BPF_F_USER_BUILD_ID;
        }
        let n = self.b.call(
            Helper::GetStack,
            vec![
                Operand::Reg(ctx),
                Operand::Reg(at),
                Operand::Imm(i64::from(bytes)),
                Operand::Imm(flags),
            ],
        );
        let out = self.b.new_vreg();
        self.b.mov(out, Operand::Imm(0));
        let ok = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Sgt, n, Operand::Imm(0), ok, done);
        self.b.switch_to(ok);
        let shift = i64::from(frame.trailing_zeros());
        let frames = self.b.binary(BinOp::LShr, n, Operand::Imm(shift));
        self.b.mov(out, Operand::Reg(frames));
        self.b.jump(done);
        self.b.switch_to(done);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_named_by_size() {
        assert_eq!(buffer_symbol(24), "stack_len_buf24");
    }

    /// The helpers called by the compiled `script`'s first program.
    fn helpers(script: &str) -> (Vec<Helper>, Vec<String>) {
        let c = crate::compile(script, &crate::Options::default()).expect("compiles");
        let f = &c.ir.functions[0];
        let calls = f
            .blocks
            .iter()
            .flat_map(|b| &b.insts)
            .filter_map(|i| match i {
                crate::ir::Inst::Call { helper, .. } => Some(*helper),
                _ => None,
            })
            .collect();
        let globals = c.ir.globals.iter().map(|g| g.symbol.clone()).collect();
        (calls, globals)
    }

    #[test]
    fn length_reads_the_stack_into_a_buffer() {
        let (calls, globals) = helpers("interval:s:1 { @a = len(ustack(3)); @b = len(kstack); }");
        assert_eq!(
            calls.iter().filter(|h| **h == Helper::GetStack).count(),
            2,
            "{calls:?}"
        );
        assert!(globals.contains(&buffer_symbol(24)), "{globals:?}");
        assert!(globals.contains(&buffer_symbol(127 * 8)), "{globals:?}");
    }

    #[test]
    fn user_stacks_keep_the_pid_of_the_runtime_namespace() {
        // The pid stored beside a user stack is plain `pid`: the namespace helper
        // under the runtime's pid-namespace flag.
        let (calls, _) = helpers("interval:s:1 { @[ustack] = 1; }");
        assert!(calls.contains(&Helper::GetNsCurrentPidTgid), "{calls:?}");
        let (calls, _) = helpers("interval:s:1 { @[kstack] = 1; }");
        assert!(!calls.contains(&Helper::GetNsCurrentPidTgid), "{calls:?}");
    }
}
