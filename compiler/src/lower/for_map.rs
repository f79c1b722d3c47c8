//! `for ($kv : @map) { body }`: the body becomes a BPF-to-BPF subprogram, the callback
//! of `bpf_for_each_map_elem`:
//!
//! ```text
//! long cb(struct bpf_map *map, const void *key, void *value, void *ctx)
//! ```
//!
//! Range loops whose bounds are not small constants work the same way with `bpf_loop`
//! (`long cb(u64 index, void *ctx)`; `$i` is `start + index`, the start in the context).
//!
//! `ctx` points at a struct on the program's stack: the probe's context pointer (so the
//! body can use builtins that need it), a flag the body sets when it leaves the probe
//! (`return`, `exit()`), then the probe's variables visible at the loop. The callback
//! copies those variables in when it starts and back out when it ends, and the
//! program copies them back after the loop, so the body's writes are seen by later
//! iterations and by the code after the loop (bpftrace's semantics). `continue` ends
//! an iteration (the callback returns 0), `break` the loop (it returns 1).

use super::control::LoopTargets;
use super::{key_layout, Lower, VarLoc};
use crate::ir::builder::FunctionBuilder;
use crate::ir::{
    Base, BinOp, BlockId, Cond, FuncId, Helper, MapId, Operand, Slot, Terminator, VReg, Width,
    SUBPROGRAM_SECTION,
};
use crate::sema::types::*;
use crate::sema::MapValueType;

/// Offset of the probe's context pointer in the callback context.
const CTX_PROBE: i32 = 0;
/// Offset of the "leave the probe" flag (4 bytes).
const CTX_LEAVE: i32 = 8;
/// Offset of the probe's return value when it leaves (4 bytes: a program returns
/// a 32-bit value).
const CTX_RETVAL: i32 = 12;
/// Offset of a range loop's start value.
const CTX_START: i32 = 16;
/// Offset of the first shared variable.
const CTX_VARS: u32 = 24;
/// `bpf_loop` runs nothing when asked for more iterations than this.
const BPF_LOOP_MAX: i64 = 1 << 23;

/// What each iteration gets.
#[derive(Clone, Copy)]
enum Element<'t> {
    /// A map element: the key parts and the value.
    Map {
        map: MapIdx,
        keys: &'t [VarId],
        value: VarId,
    },
    /// A range loop's variable.
    Range { var: VarId },
}

/// The state of the callback being lowered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Callback {
    /// The callback context (argument 4).
    cptr: VReg,
    /// Where leaving the probe goes once the flag is set: the callback's `break` exit.
    stop: BlockId,
}

/// A shared variable's place in the callback context: offset, and size for strings.
#[derive(Debug, Clone, Copy)]
struct SharedVar {
    var: VarId,
    offset: u32,
    loc: VarLoc,
}

impl Lower<'_, '_> {
    /// `return` or `exit()`: leave the probe; from a callback, set the flag and stop
    /// the iteration (the program returns once the loop ends).
    pub(crate) fn leave_probe(&mut self, value: Operand) {
        match self.callback {
            Some(cb) => {
                self.b
                    .store(Base::Reg(cb.cptr), CTX_LEAVE, Width::B4, Operand::Imm(1));
                self.b
                    .store(Base::Reg(cb.cptr), CTX_RETVAL, Width::B4, value);
                self.b.jump(cb.stop);
            }
            None => self.b.terminate(Terminator::Return(value)),
        }
    }

    pub(super) fn for_map(
        &mut self,
        map: MapIdx,
        keys: &[VarId],
        value: VarId,
        shared: &[VarId],
        locals: &[VarId],
        body: &[TStmt],
    ) {
        let el = Element::Map { map, keys, value };
        self.callback_loop(el, None, shared, locals, body, |l, f, c| {
            let m = l.b.map_addr(MapId(map.0));
            vec![
                Operand::Reg(m),
                Operand::Reg(f),
                Operand::Reg(c),
                Operand::Imm(0),
            ]
        });
    }

    /// `for ($var : start..end) { body }` with `bpf_loop`: `end - start` iterations
    /// (none when `end <= start`, signed), the bounds evaluated once.
    pub(super) fn for_range_callback(
        &mut self,
        var: VarId,
        start: &TExpr,
        end: &TExpr,
        shared: &[VarId],
        locals: &[VarId],
        body: &[TStmt],
    ) {
        let first = self.int(start);
        let first = self.reg(first);
        let s = self.b.new_vreg();
        self.b.mov(s, Operand::Reg(first));
        let last = self.int(end);
        let last = self.reg(last);
        let n = self.b.binary(BinOp::Sub, last, Operand::Reg(s));
        let count = self.b.imm(0);
        let some = self.b.new_block();
        let capped = self.b.new_block();
        let cap = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Sgt, last, Operand::Reg(s), some, done);
        self.b.switch_to(some);
        self.b.mov(count, Operand::Reg(n));
        self.b
            .branch(Cond::Ugt, count, Operand::Imm(BPF_LOOP_MAX), cap, capped);
        self.b.switch_to(cap);
        self.b.mov(count, Operand::Imm(BPF_LOOP_MAX));
        self.b.jump(done);
        self.b.switch_to(capped);
        self.b.jump(done);
        self.b.switch_to(done);
        let el = Element::Range { var };
        self.callback_loop(el, Some(s), shared, locals, body, |_, f, c| {
            vec![
                Operand::Reg(count),
                Operand::Reg(f),
                Operand::Reg(c),
                Operand::Imm(0),
            ]
        });
    }

    /// Lower a loop whose body is a callback: fill the context (with a range loop's
    /// `start`), build the callback,
    /// call the helper with the arguments `args(self, &callback, &context)` returns,
    /// copy the variables back and leave the probe if the body did.
    fn callback_loop(
        &mut self,
        el: Element,
        start: Option<VReg>,
        shared: &[VarId],
        locals: &[VarId],
        body: &[TStmt],
        args: impl FnOnce(&mut Self, VReg, VReg) -> Vec<Operand>,
    ) {
        let idx = self.m.subprograms.len();
        self.m.subprograms.push(None);
        let func = FuncId(self.m.first_subprogram + idx as u32);

        // The context struct, filled from this function's variables.
        let mut layout = Vec::new();
        let mut size = CTX_VARS;
        for &var in shared {
            let Some(loc) = self.vars.get(var.0 as usize).copied() else {
                continue;
            };
            layout.push(SharedVar {
                var,
                offset: size,
                loc,
            });
            size += match loc {
                VarLoc::Reg(_) => 8,
                VarLoc::Str { size, .. } => align8(size),
            };
        }
        // Must stay on the stack (`lower/scratch.rs`).
        let cslot = self.b.temp_slot_within(size, 512);
        let probe_ctx = self.b.ctx();
        self.b.store(
            Base::Slot(cslot),
            CTX_PROBE,
            Width::B8,
            Operand::Reg(probe_ctx),
        );
        self.b
            .store(Base::Slot(cslot), CTX_LEAVE, Width::B4, Operand::Imm(0));
        let start = start.map_or(Operand::Imm(0), Operand::Reg);
        self.b.store(Base::Slot(cslot), CTX_START, Width::B8, start);
        for s in &layout {
            copy_var(self, s.loc, Base::Slot(cslot), s.offset, true);
        }

        let name = format!("tracec_loop_{idx}");
        let sub = self.callback_function(name, el, &layout, locals, body);
        self.m.subprograms[idx] = Some(sub);

        let f = self.b.func_addr(func);
        let c = self.b.slot_addr(cslot, 0);
        let helper = match el {
            Element::Map { .. } => Helper::ForEachMapElem,
            Element::Range { .. } => Helper::Loop,
        };
        let call_args = args(self, f, c);
        self.b.call_void(helper, call_args);
        for s in &layout {
            copy_var(self, s.loc, Base::Slot(cslot), s.offset, false);
        }
        let leave = self.b.load(Base::Slot(cslot), CTX_LEAVE, Width::B4, false);
        let stop = self.b.new_block();
        let go_on = self.b.new_block();
        self.b.branch(Cond::Ne, leave, Operand::Imm(0), stop, go_on);
        self.b.switch_to(stop);
        let retval = self.b.load(Base::Slot(cslot), CTX_RETVAL, Width::B4, false);
        self.leave_probe(Operand::Reg(retval));
        self.b.switch_to(go_on);
    }

    /// Build the callback with this lowering state swapped out for its own.
    fn callback_function(
        &mut self,
        name: String,
        el: Element,
        layout: &[SharedVar],
        locals: &[VarId],
        body: &[TStmt],
    ) -> crate::ir::Function {
        let loc = self.b.loc();
        let saved_b = std::mem::replace(
            &mut self.b,
            FunctionBuilder::new(name, SUBPROGRAM_SECTION, loc),
        );
        let saved_vars = std::mem::take(&mut self.vars);
        let saved_loops = std::mem::take(&mut self.loops);
        let saved_cb = self.callback.take();

        // Map: (map, key, value, ctx); range: (index, ctx).
        let (a, b, cptr) = match el {
            Element::Map { .. } => {
                let key = self.b.arg(1);
                let value = self.b.arg(2);
                (key, value, self.b.arg(3))
            }
            Element::Range { .. } => {
                let index = self.b.arg(0);
                (index, index, self.b.arg(1))
            }
        };
        let probe_ctx = self.b.load(Base::Reg(cptr), CTX_PROBE, Width::B8, false);
        self.b.set_ctx(probe_ctx);

        // Variables: the shared ones, the loop variable('s parts) and the body's own;
        // no other variable can be named in the body.
        let unused = self.b.imm(0);
        self.vars = vec![VarLoc::Reg(unused); self.probe_vars.len()];
        let mut own: Vec<VarId> = locals.to_vec();
        if let Element::Map { keys, value, .. } = el {
            own.extend(keys.iter().copied().chain([value]));
        }
        for &v in layout.iter().map(|s| &s.var).chain(&own) {
            let loc = match self.probe_vars.get(v.0 as usize).map(|i| i.ty) {
                Some(t) if t.is_mem() => {
                    let size = align8(t.storage_size());
                    let slot = self.b.new_slot(size, 8);
                    self.b.zero(slot, 0, size);
                    VarLoc::Str { slot, size }
                }
                Some(_) => VarLoc::Reg(self.b.imm(0)),
                None => continue,
            };
            self.vars[v.0 as usize] = loc;
        }
        for s in layout {
            let loc = self.vars[s.var.0 as usize];
            copy_var(self, loc, Base::Reg(cptr), s.offset, false);
        }
        match el {
            Element::Map { map, keys, value } => self.load_element(map, keys, value, a, b),
            Element::Range { var } => {
                let start = self.b.load(Base::Reg(cptr), CTX_START, Width::B8, false);
                let i = self.b.binary(BinOp::Add, start, Operand::Reg(a));
                if let Some(VarLoc::Reg(r)) = self.vars.get(var.0 as usize).copied() {
                    self.b.mov(r, Operand::Reg(i));
                }
            }
        }

        let next = self.b.new_block();
        let stop = self.b.new_block();
        let out = self.b.new_block();
        let ret = self.b.new_vreg();
        self.callback = Some(Callback { cptr, stop });
        self.loops.push(LoopTargets { next, exit: stop });
        self.stmts(body);
        self.loops.pop();
        self.b.jump(next);
        self.b.switch_to(next);
        self.b.mov(ret, Operand::Imm(0));
        self.b.jump(out);
        self.b.switch_to(stop);
        self.b.mov(ret, Operand::Imm(1));
        self.b.jump(out);
        self.b.switch_to(out);
        for s in layout {
            let loc = self.vars[s.var.0 as usize];
            copy_var(self, loc, Base::Reg(cptr), s.offset, true);
        }
        self.b.terminate(Terminator::Return(Operand::Reg(ret)));

        let sub = std::mem::replace(&mut self.b, saved_b).finish();
        self.vars = saved_vars;
        self.loops = saved_loops;
        self.callback = saved_cb;
        sub
    }

    /// Set the loop variable's parts from the element at `key_ptr` / `value_ptr`.
    fn load_element(
        &mut self,
        map: MapIdx,
        keys: &[VarId],
        value: VarId,
        key_ptr: VReg,
        value_ptr: VReg,
    ) {
        let info = &self.m.checked.maps[map.0 as usize];
        let (parts, key_size) = key_layout(&info.keys);
        let value_type = info.value;
        let parts: Vec<(u32, Type)> = if parts.is_empty() {
            vec![(0, Type::U64)]
        } else {
            parts
        };
        for (&var, (off, ty)) in keys.iter().zip(parts) {
            let part_size = match ty {
                Type::Str { size } => align8(size),
                t if t.is_mem() => align8(t.storage_size()),
                _ => 8,
            };
            self.set_var_from(var, Base::Reg(key_ptr), off, part_size);
        }
        match value_type {
            MapValueType::Plain(t) => {
                let size = match t {
                    Type::Str { size } => size,
                    t if t.is_mem() => t.storage_size(),
                    _ => 8,
                };
                self.set_var_from(value, Base::Reg(value_ptr), 0, size);
            }
            MapValueType::Agg { kind, signed } => {
                // The callback sees this CPU's slot; combine all CPUs' instead.
                let key: Slot = self.b.temp_slot(key_size);
                self.b
                    .copy(Base::Slot(key), 0, Base::Reg(key_ptr), 0, key_size);
                let v = self.agg_read_at(map, key, kind, signed);
                if let Some(VarLoc::Reg(r)) = self.vars.get(value.0 as usize).copied() {
                    self.b.mov(r, Operand::Reg(v));
                }
            }
        }
    }

    /// `var = *(base + off)`: an integer, or up to `size` bytes of a string.
    fn set_var_from(&mut self, var: VarId, base: Base, off: u32, size: u32) {
        match self.vars.get(var.0 as usize).copied() {
            Some(VarLoc::Reg(r)) => {
                let v = self.b.load(base, off as i32, Width::B8, false);
                self.b.mov(r, Operand::Reg(v));
            }
            Some(VarLoc::Str { slot, size: vsize }) => {
                self.b
                    .copy(Base::Slot(slot), 0, base, off as i32, size.min(vsize));
            }
            None => {}
        }
    }
}

/// Copy a variable to (`to_mem`) or from memory at `base + offset`.
fn copy_var(l: &mut Lower, loc: VarLoc, base: Base, offset: u32, to_mem: bool) {
    let off = offset as i32;
    match (loc, to_mem) {
        (VarLoc::Reg(r), true) => l.b.store(base, off, Width::B8, Operand::Reg(r)),
        (VarLoc::Reg(r), false) => {
            let v = l.b.load(base, off, Width::B8, false);
            l.b.mov(r, Operand::Reg(v));
        }
        (VarLoc::Str { slot, size }, true) => l.b.copy(base, off, Base::Slot(slot), 0, size),
        (VarLoc::Str { slot, size }, false) => l.b.copy(Base::Slot(slot), 0, base, off, size),
    }
}

/// Variables that live only in loop callbacks (declared in their bodies or the loop
/// variable's parts): the program itself need not give them a register or stack.
pub(super) fn callback_only_vars(stmts: &[TStmt], out: &mut Vec<bool>) {
    let mark = |vars: &[VarId], out: &mut Vec<bool>| {
        for v in vars {
            if let Some(b) = out.get_mut(v.0 as usize) {
                *b = true;
            }
        }
    };
    for s in stmts {
        match &s.kind {
            TStmtKind::ForMap {
                keys,
                value,
                locals,
                ..
            } => {
                mark(keys, out);
                mark(&[*value], out);
                mark(locals, out);
            }
            TStmtKind::ForRangeCallback { locals, .. } => mark(locals, out),
            TStmtKind::If { then, els, .. } => {
                callback_only_vars(then, out);
                callback_only_vars(els, out);
            }
            TStmtKind::While { body, .. }
            | TStmtKind::Unroll { body, .. }
            | TStmtKind::ForRange { body, .. } => callback_only_vars(body, out),
            _ => {}
        }
    }
}
