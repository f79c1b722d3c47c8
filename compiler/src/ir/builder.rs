//! A builder for [`Function`]s: blocks, a current insertion block, virtual registers,
//! stack slots (with reuse of temporaries), and the source location every instruction
//! is tagged with.

use super::*;

struct BlockData {
    insts: Vec<Inst>,
    locs: Vec<Loc>,
    term: Option<(Terminator, Loc)>,
}

/// Builds one [`Function`]. The entry block starts with `Ctx` into [`FunctionBuilder::ctx`].
pub struct FunctionBuilder {
    name: String,
    section: String,
    fn_loc: Loc,
    slots: Vec<SlotDef>,
    /// Temporary slots: (slot, in use).
    temps: Vec<(Slot, bool)>,
    /// Temporaries allocated since each open scope.
    temp_stack: Vec<Slot>,
    blocks: Vec<BlockData>,
    current: BlockId,
    vregs: u32,
    loc: Loc,
    ctx: VReg,
}

impl FunctionBuilder {
    pub fn new(name: impl Into<String>, section: impl Into<String>, loc: Loc) -> FunctionBuilder {
        let mut b = FunctionBuilder {
            name: name.into(),
            section: section.into(),
            fn_loc: loc,
            slots: Vec::new(),
            temps: Vec::new(),
            temp_stack: Vec::new(),
            blocks: Vec::new(),
            current: BlockId(0),
            vregs: 0,
            loc,
            ctx: VReg(0),
        };
        let entry = b.new_block();
        b.switch_to(entry);
        let ctx = b.new_vreg();
        b.ctx = ctx;
        b.emit(Inst::Ctx { dst: ctx });
        b
    }

    /// The register holding the program's context pointer.
    pub fn ctx(&self) -> VReg {
        self.ctx
    }

    /// Make `ctx` the register [`FunctionBuilder::ctx`] returns: in a subprogram, the
    /// probe's context pointer handed over by the program.
    pub fn set_ctx(&mut self, ctx: VReg) {
        self.ctx = ctx;
    }

    /// `dst = argument n` of a subprogram (1 to 4).
    pub fn arg(&mut self, n: u8) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::Arg { dst, n });
        dst
    }

    /// `dst = &function` (a callback for a helper).
    pub fn func_addr(&mut self, func: FuncId) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::FuncAddr { dst, func });
        dst
    }

    /// `dst = &kernel variable` (see [`Inst::KsymAddr`]).
    pub fn ksym_addr(&mut self, name: &str) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::KsymAddr {
            dst,
            name: name.to_string(),
        });
        dst
    }

    /// Tag instructions emitted from now on with `loc`.
    pub fn set_loc(&mut self, loc: Loc) {
        self.loc = loc;
    }
    pub fn loc(&self) -> Loc {
        self.loc
    }

    pub fn new_vreg(&mut self) -> VReg {
        let r = VReg(self.vregs);
        self.vregs += 1;
        r
    }

    /// A slot that lives for the whole function.
    pub fn new_slot(&mut self, size: u32, align: u32) -> Slot {
        let s = Slot(self.slots.len() as u32);
        self.slots.push(SlotDef {
            size: size.max(1),
            align,
        });
        s
    }

    /// A temporary 8-aligned slot of at least `size` bytes, free again when the
    /// enclosing [`FunctionBuilder::scope`] ends.
    pub fn temp_slot(&mut self, size: u32) -> Slot {
        self.temp_slot_within(size, u32::MAX)
    }

    /// A temporary like [`FunctionBuilder::temp_slot`] that reuses no free temporary
    /// larger than `max` bytes: memory that must stay on the stack (a callback
    /// context) is then never a big string's slot, which may move to a scratch map.
    pub fn temp_slot_within(&mut self, size: u32, max: u32) -> Slot {
        let size = size.max(1).div_ceil(8) * 8;
        // Best fit among free temporaries.
        let best = self
            .temps
            .iter()
            .enumerate()
            .filter(|(_, (s, used))| {
                let have = self.slots[s.0 as usize].size;
                !used && have >= size && have <= max
            })
            .min_by_key(|(_, (s, _))| self.slots[s.0 as usize].size)
            .map(|(i, _)| i);
        let slot = match best {
            Some(i) => {
                self.temps[i].1 = true;
                self.temps[i].0
            }
            None => {
                let s = self.new_slot(size, 8);
                self.temps.push((s, true));
                s
            }
        };
        self.temp_stack.push(slot);
        slot
    }

    /// Mark the start of a region whose temporaries die at its end.
    pub fn scope(&self) -> usize {
        self.temp_stack.len()
    }
    /// Release the temporaries allocated since `mark`.
    pub fn end_scope(&mut self, mark: usize) {
        while self.temp_stack.len() > mark {
            if let Some(s) = self.temp_stack.pop() {
                if let Some(t) = self.temps.iter_mut().find(|(t, _)| *t == s) {
                    t.1 = false;
                }
            }
        }
    }

    pub fn new_block(&mut self) -> BlockId {
        let id = BlockId(self.blocks.len() as u32);
        self.blocks.push(BlockData {
            insts: Vec::new(),
            locs: Vec::new(),
            term: None,
        });
        id
    }

    pub fn switch_to(&mut self, b: BlockId) {
        self.current = b;
    }
    pub fn current(&self) -> BlockId {
        self.current
    }

    fn cur(&mut self) -> &mut BlockData {
        let i = self.current.0 as usize;
        &mut self.blocks[i]
    }

    /// Whether the current block already has its terminator.
    pub fn is_terminated(&self) -> bool {
        self.blocks[self.current.0 as usize].term.is_some()
    }

    /// Append an instruction. After a terminator, code goes into a fresh (unreachable)
    /// block that `finish` drops.
    pub fn emit(&mut self, inst: Inst) {
        if self.is_terminated() {
            let b = self.new_block();
            self.switch_to(b);
        }
        let loc = self.loc;
        let blk = self.cur();
        blk.insts.push(inst);
        blk.locs.push(loc);
    }

    pub fn terminate(&mut self, term: Terminator) {
        if self.is_terminated() {
            return;
        }
        let loc = self.loc;
        self.cur().term = Some((term, loc));
    }

    pub fn jump(&mut self, to: BlockId) {
        self.terminate(Terminator::Jump(to));
    }

    pub fn branch(&mut self, cond: Cond, lhs: VReg, rhs: Operand, then: BlockId, els: BlockId) {
        self.terminate(Terminator::Branch {
            cond,
            lhs,
            rhs,
            then,
            els,
        });
    }

    pub fn ret(&mut self, value: i64) {
        self.terminate(Terminator::Return(Operand::Imm(value)));
    }

    // ---- instruction helpers ----

    pub fn mov(&mut self, dst: VReg, src: Operand) {
        self.emit(Inst::Mov { dst, src });
    }
    pub fn imm(&mut self, v: i64) -> VReg {
        let dst = self.new_vreg();
        self.mov(dst, Operand::Imm(v));
        dst
    }
    pub fn binary(&mut self, op: BinOp, lhs: VReg, rhs: Operand) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::Binary { dst, op, lhs, rhs });
        dst
    }
    pub fn unary(&mut self, op: UnOp, src: VReg) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::Unary { dst, op, src });
        dst
    }
    pub fn cmp(&mut self, cond: Cond, lhs: VReg, rhs: Operand) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::Cmp {
            dst,
            cond,
            lhs,
            rhs,
        });
        dst
    }
    pub fn load(&mut self, base: Base, offset: i32, width: Width, signed: bool) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::Load {
            dst,
            base,
            offset,
            width,
            signed,
        });
        dst
    }
    pub fn store(&mut self, base: Base, offset: i32, width: Width, value: Operand) {
        self.emit(Inst::Store {
            base,
            offset,
            width,
            value,
        });
    }
    pub fn zero(&mut self, slot: Slot, offset: i32, len: u32) {
        if len > 0 {
            self.emit(Inst::Zero { slot, offset, len });
        }
    }
    pub fn copy(&mut self, dst: Base, dst_offset: i32, src: Base, src_offset: i32, len: u32) {
        if len > 0 {
            self.emit(Inst::Copy {
                dst,
                dst_offset,
                src,
                src_offset,
                len,
            });
        }
    }
    pub fn slot_addr(&mut self, slot: Slot, offset: i32) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::SlotAddr { dst, slot, offset });
        dst
    }
    pub fn map_addr(&mut self, map: MapId) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::MapAddr { dst, map });
        dst
    }
    pub fn global_addr(&mut self, global: GlobalId, offset: i32) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::GlobalAddr {
            dst,
            global,
            offset,
        });
        dst
    }
    /// `lock *(width *)(base + offset) += value`.
    pub fn atomic_add(&mut self, base: Base, offset: i32, width: Width, value: VReg) {
        self.emit(Inst::AtomicAdd {
            base,
            offset,
            width,
            value,
        });
    }
    /// Call a helper and keep its result.
    pub fn call(&mut self, helper: Helper, args: Vec<Operand>) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::Call {
            dst: Some(dst),
            helper,
            args,
        });
        dst
    }
    /// Call a helper for its effect.
    pub fn call_void(&mut self, helper: Helper, args: Vec<Operand>) {
        self.emit(Inst::Call {
            dst: None,
            helper,
            args,
        });
    }
    /// `dst = kfunc(args)` (see [`Inst::CallKfunc`]).
    pub fn call_kfunc(&mut self, func: Kfunc, args: Vec<Operand>) -> VReg {
        let dst = self.new_vreg();
        self.emit(Inst::CallKfunc {
            dst: Some(dst),
            func,
            args,
        });
        dst
    }
    /// Call a kfunc for its effect.
    pub fn call_kfunc_void(&mut self, func: Kfunc, args: Vec<Operand>) {
        self.emit(Inst::CallKfunc {
            dst: None,
            func,
            args,
        });
    }

    /// The function. Unterminated blocks return 0; blocks unreachable from the entry
    /// are dropped and the rest renumbered in order.
    pub fn finish(mut self) -> Function {
        for b in &mut self.blocks {
            if b.term.is_none() {
                let loc = b.locs.last().copied().unwrap_or(self.fn_loc);
                b.term = Some((Terminator::Return(Operand::Imm(0)), loc));
            }
        }
        let n = self.blocks.len();
        let mut reachable = vec![false; n];
        let mut work = vec![0usize];
        reachable[0] = true;
        while let Some(i) = work.pop() {
            if let Some((t, _)) = &self.blocks[i].term {
                for s in t.successors() {
                    let s = s.0 as usize;
                    if s < n && !reachable[s] {
                        reachable[s] = true;
                        work.push(s);
                    }
                }
            }
        }
        let mut new_id = vec![0u32; n];
        let mut next = 0;
        for i in 0..n {
            if reachable[i] {
                new_id[i] = next;
                next += 1;
            }
        }
        let remap = |b: BlockId| BlockId(new_id[b.0 as usize]);
        let mut blocks = Vec::new();
        for (i, b) in self.blocks.into_iter().enumerate() {
            if !reachable[i] {
                continue;
            }
            let (term, term_loc) = b
                .term
                .unwrap_or((Terminator::Return(Operand::Imm(0)), self.fn_loc));
            let term = match term {
                Terminator::Jump(t) => Terminator::Jump(remap(t)),
                Terminator::Branch {
                    cond,
                    lhs,
                    rhs,
                    then,
                    els,
                } => Terminator::Branch {
                    cond,
                    lhs,
                    rhs,
                    then: remap(then),
                    els: remap(els),
                },
                r @ Terminator::Return(_) => r,
            };
            blocks.push(Block {
                insts: b.insts,
                locs: b.locs,
                term,
                term_loc,
            });
        }
        Function {
            name: self.name,
            section: self.section,
            slots: self.slots,
            blocks,
            vreg_count: self.vregs,
            loc: self.fn_loc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_drops_unreachable_blocks() {
        let mut b = FunctionBuilder::new("f", "raw_tp", Loc { line: 1, col: 1 });
        let x = b.imm(5);
        let then = b.new_block();
        let done = b.new_block();
        b.branch(Cond::Eq, x, Operand::Imm(5), then, done);
        b.switch_to(then);
        b.ret(1);
        // Dead code after a return lands in a dropped block.
        b.imm(7);
        b.switch_to(done);
        let f = b.finish();
        assert_eq!(f.blocks.len(), 3);
        assert!(matches!(f.blocks[0].insts[0], Inst::Ctx { .. }));
        assert_eq!(f.blocks[1].term, Terminator::Return(Operand::Imm(1)));
        assert_eq!(f.blocks[2].term, Terminator::Return(Operand::Imm(0)));
        assert_eq!(f.vreg_count, 3);
    }

    #[test]
    fn temporaries_are_reused_after_their_scope() {
        let mut b = FunctionBuilder::new("f", "raw_tp", Loc::default());
        let m = b.scope();
        let a = b.temp_slot(16);
        let c = b.temp_slot(8);
        assert_ne!(a, c);
        b.end_scope(m);
        let d = b.temp_slot(10);
        assert_eq!(d, a, "best fit reuses the freed 16-byte slot");
        let e = b.temp_slot(8);
        assert_eq!(e, c);
        let f = b.finish();
        assert_eq!(f.slots.len(), 2);
    }
}
