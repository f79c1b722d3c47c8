//! Lowering loops and jumps: `while`, `for` over a range, `break`, `continue`, `let`.

use super::{Lower, VarLoc};
use crate::ir::{BlockId, Cond, Operand};
use crate::sema::types::*;

/// Where the jumps of one loop go.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoopTargets {
    /// `continue`: the condition (while) or the increment (for).
    pub next: BlockId,
    /// `break`: the code after the loop.
    pub exit: BlockId,
}

impl Lower<'_, '_> {
    /// `let $x;`: zero or the empty string.
    pub(super) fn zero_var(&mut self, var: VarId) {
        match self.vars.get(var.0 as usize).copied() {
            Some(VarLoc::Reg(r)) => self.b.mov(r, Operand::Imm(0)),
            Some(VarLoc::Str { slot, size }) => self.b.zero(slot, 0, size),
            None => {}
        }
    }

    /// The body of a loop, with `next`/`exit` as its `continue`/`break` targets.
    fn loop_body(&mut self, body: &[TStmt], next: BlockId, exit: BlockId) {
        self.loops.push(LoopTargets { next, exit });
        self.stmts(body);
        self.loops.pop();
    }

    /// `while (cond) { body }`: `head: if !cond goto exit; body; goto head`.
    pub(super) fn while_loop(&mut self, cond: &TExpr, body: &[TStmt]) {
        let head = self.b.new_block();
        let inner = self.b.new_block();
        let exit = self.b.new_block();
        self.b.jump(head);
        self.b.switch_to(head);
        let mark = self.b.scope();
        self.cond_branch(cond, inner, exit);
        self.b.end_scope(mark);
        self.b.switch_to(inner);
        self.loop_body(body, head, exit);
        self.b.jump(head);
        self.b.switch_to(exit);
    }

    /// `for ($var : start..end) { body }`: the bounds are evaluated once; `$var` takes
    /// each value from `start` up to, not including, `end` (signed comparison).
    pub(super) fn for_range(&mut self, var: VarId, start: &TExpr, end: &TExpr, body: &[TStmt]) {
        let mark = self.b.scope();
        let first = self.int(start);
        let counter = self.b.new_vreg();
        self.b.mov(counter, first);
        let last = self.int(end);
        let limit = self.b.new_vreg();
        self.b.mov(limit, last);
        self.b.end_scope(mark);
        let head = self.b.new_block();
        let inner = self.b.new_block();
        let step = self.b.new_block();
        let exit = self.b.new_block();
        self.b.jump(head);
        self.b.switch_to(head);
        self.b
            .branch(Cond::Slt, counter, Operand::Reg(limit), inner, exit);
        self.b.switch_to(inner);
        if let Some(VarLoc::Reg(r)) = self.vars.get(var.0 as usize).copied() {
            self.b.mov(r, Operand::Reg(counter));
        }
        self.loop_body(body, step, exit);
        self.b.jump(step);
        self.b.switch_to(step);
        let next = self
            .b
            .binary(crate::ir::BinOp::Add, counter, Operand::Imm(1));
        self.b.mov(counter, Operand::Reg(next));
        self.b.jump(head);
        self.b.switch_to(exit);
    }

    pub(super) fn break_loop(&mut self) {
        if let Some(t) = self.loops.last().copied() {
            self.b.jump(t.exit);
        }
    }

    pub(super) fn continue_loop(&mut self) {
        if let Some(t) = self.loops.last().copied() {
            self.b.jump(t.next);
        }
    }
}
