//! Values too big for the 512-byte BPF stack (bpftrace's `on_stack_limit`): strings
//! of a large `max_strlen` and the tuples, keys and records holding them.
//!
//! Lowering puts every value in a stack slot. When a function's slots do not fit in
//! the frame, [`move_big_slots`] moves its largest slots into the value of a per-CPU
//! array map of one element (`BPF_MAP_TYPE_PERCPU_ARRAY`, whose values are at most
//! 32 KiB each, so several maps when needed). The function's new entry looks each
//! map's value up once and keeps the pointer in a virtual register; every access to a
//! moved slot becomes an access through that pointer, `Zero` and `SlotAddr` included.
//! Functions whose slots fit are left untouched, so small scripts pay nothing.
//!
//! Each function has maps of its own: a loop callback runs while its caller's values
//! are alive. Large copies and zeroing (a 10 KB string is 1,250 stores) are one
//! `bpf_probe_read_kernel` each: the helper copies kernel memory, and on a failed read
//! (from address 0) it zeroes its destination.

use super::ModuleCx;
use crate::ir::{
    Base, Block, BlockId, Cond, DataType, Function, Helper, Inst, MapDef, MapId, MapKind, Operand,
    Slot, SlotDef, Terminator, VReg, Width,
};
use tracec_meta::MapRole;

/// A function whose slots take more than this many bytes has its big slots moved.
/// Below the 512-byte limit, to leave room for the register allocator's spills.
const FRAME_TRIGGER: u32 = 480;
/// How much of the frame may stay on the stack once slots are moved.
const FRAME_KEEP: u32 = 256;
/// How much may stay once small slots move too.
const FRAME_KEEP_SMALL: u32 = 128;
/// Slots smaller than this stay on the stack unless moving the bigger ones left the
/// frame over [`FRAME_TRIGGER`].
const MIN_MOVED: u32 = 64;
/// The largest value of a per-CPU array (the kernel's `PCPU_MIN_UNIT_SIZE`).
const MAX_VALUE: u32 = 32 * 1024;
/// Copies and zeroing of at least this many bytes are helper calls.
const HELPER_COPY: u32 = 256;

/// Where a moved slot lives: its map group and offset in the group's value.
#[derive(Clone, Copy)]
struct Moved {
    group: usize,
    offset: i32,
}

/// Move the big slots of every function that needs it; maps are added to `m`.
pub(crate) fn move_big_slots(functions: &mut [Function], m: &mut ModuleCx<'_>) {
    for (i, f) in functions.iter_mut().enumerate() {
        let Some((moved, sizes)) = plan(f) else {
            continue;
        };
        let maps: Vec<MapId> = sizes
            .iter()
            .enumerate()
            .map(|(g, size)| {
                m.add_map(
                    MapDef {
                        symbol: format!("scratch_{i}_{g}"),
                        kind: MapKind::PerCpuArray,
                        max_entries: 1,
                        key: Some(DataType::Int {
                            size: 4,
                            signed: false,
                        }),
                        value: Some(DataType::Str { size: *size }),
                    },
                    MapRole::Scratch,
                )
            })
            .collect();
        rewrite(f, &moved, &maps);
    }
}

/// Slot layout as the back end makes it: the frame size.
fn frame_size(slots: &[SlotDef]) -> u32 {
    slots.iter().map(|s| s.size.div_ceil(8) * 8).sum()
}

/// Which slots move where, and each group's value size; `None` when all fit.
fn plan(f: &Function) -> Option<(Vec<Option<Moved>>, Vec<u32>)> {
    let mut frame = frame_size(&f.slots);
    if frame <= FRAME_TRIGGER {
        return None;
    }
    let pinned = stack_only(f);
    let mut order: Vec<usize> = (0..f.slots.len())
        .filter(|&i| !pinned.contains(&i))
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(f.slots[i].size));
    let mut moved = vec![None; f.slots.len()];
    let mut sizes: Vec<u32> = Vec::new();
    // Small slots move only when the big ones were not enough (many small values, as
    // the inlined calls of an imported C function make); decided once, when the big
    // ones are done.
    let mut small_too: Option<bool> = None;
    for i in order {
        // Many small values come with many registers to spill: then keep less.
        let keep = if small_too == Some(true) {
            FRAME_KEEP_SMALL
        } else {
            FRAME_KEEP
        };
        if frame <= keep {
            break;
        }
        if f.slots[i].size < MIN_MOVED && !*small_too.get_or_insert(frame > FRAME_TRIGGER) {
            break;
        }
        let size = f.slots[i].size.div_ceil(8) * 8;
        // First group with room (a slot larger than a group gets one of its own).
        let group = match sizes.iter().position(|s| s + size <= MAX_VALUE) {
            Some(g) => g,
            None => {
                sizes.push(0);
                sizes.len() - 1
            }
        };
        moved[i] = Some(Moved {
            group,
            offset: sizes[group] as i32,
        });
        sizes[group] += size;
        frame -= size;
    }
    if sizes.is_empty() {
        return None;
    }
    Some((moved, sizes))
}

/// Slots whose address is a callback context (`bpf_for_each_map_elem`, `bpf_loop`):
/// the kernel takes only stack memory there.
fn stack_only(f: &Function) -> Vec<usize> {
    let mut addr_of: std::collections::HashMap<VReg, usize> = Default::default();
    let mut pinned = Vec::new();
    for b in &f.blocks {
        for i in &b.insts {
            match i {
                Inst::SlotAddr { dst, slot, .. } => {
                    addr_of.insert(*dst, slot.0 as usize);
                }
                Inst::Call {
                    helper: Helper::ForEachMapElem | Helper::Loop,
                    args,
                    ..
                } => {
                    if let Some(Operand::Reg(r)) = args.get(2) {
                        pinned.extend(addr_of.get(r).copied());
                    }
                }
                _ => {}
            }
        }
    }
    pinned
}

/// Rewrite `f`: a new entry looks the scratch values up, accesses to moved slots go
/// through their pointers.
fn rewrite(f: &mut Function, moved: &[Option<Moved>], maps: &[MapId]) {
    let mut next_vreg = f.vreg_count;
    let mut fresh = || {
        let r = VReg(next_vreg);
        next_vreg += 1;
        r
    };
    let ptrs: Vec<VReg> = maps.iter().map(|_| fresh()).collect();
    let cx = Cx { moved, ptrs: &ptrs };
    for b in &mut f.blocks {
        let insts = std::mem::take(&mut b.insts);
        let locs = std::mem::take(&mut b.locs);
        for (i, inst) in insts.into_iter().enumerate() {
            let loc = locs.get(i).copied().unwrap_or(b.term_loc);
            for new in cx.inst(inst, &mut fresh) {
                b.insts.push(new);
                b.locs.push(loc);
            }
        }
    }

    // Moved slots take no room in the frame any more.
    for (def, m) in f.slots.iter_mut().zip(moved) {
        if m.is_some() {
            def.size = 0;
        }
    }

    // The old entry moves to the end, and the new one (block 0) looks up each map.
    let key = Slot(f.slots.len() as u32);
    f.slots.push(SlotDef { size: 8, align: 8 });
    let n = f.blocks.len() as u32;
    let old_entry = BlockId(n);
    for b in &mut f.blocks {
        retarget(&mut b.term, BlockId(0), old_entry);
    }
    let loc = f.loc;
    let fail = BlockId(n + 1);
    let mut entry = Vec::new();
    entry.push(Inst::Store {
        base: Base::Slot(key),
        offset: 0,
        width: Width::B8,
        value: Operand::Imm(0),
    });
    let mut lookups: Vec<Vec<Inst>> = Vec::new();
    for (g, map) in maps.iter().enumerate() {
        let (m, k) = (fresh(), fresh());
        lookups.push(vec![
            Inst::MapAddr { dst: m, map: *map },
            Inst::SlotAddr {
                dst: k,
                slot: key,
                offset: 0,
            },
            Inst::Call {
                dst: Some(ptrs[g]),
                helper: Helper::MapLookupElem,
                args: vec![Operand::Reg(m), Operand::Reg(k)],
            },
        ]);
    }
    // Blocks: 0 is the key and the first lookup, n the old entry, n + 1 the return
    // when a lookup fails (never, for an array's index 0), n + 1 + g lookup g >= 1.
    let ret0 = Block {
        insts: Vec::new(),
        locs: Vec::new(),
        term: Terminator::Return(Operand::Imm(0)),
        term_loc: loc,
    };
    let old = std::mem::replace(&mut f.blocks[0], ret0.clone());
    f.blocks.push(old);
    f.blocks.push(ret0);
    let count = lookups.len();
    for (g, insts) in lookups.into_iter().enumerate() {
        let mut body = if g == 0 {
            std::mem::take(&mut entry)
        } else {
            Vec::new()
        };
        body.extend(insts);
        let next = if g + 1 == count {
            old_entry
        } else {
            BlockId(n + 2 + g as u32)
        };
        let block = Block {
            locs: vec![loc; body.len()],
            insts: body,
            term: Terminator::Branch {
                cond: Cond::Eq,
                lhs: ptrs[g],
                rhs: Operand::Imm(0),
                then: fail,
                els: next,
            },
            term_loc: loc,
        };
        if g == 0 {
            f.blocks[0] = block;
        } else {
            f.blocks.push(block);
        }
    }
    f.vreg_count = next_vreg;
}

fn retarget(t: &mut Terminator, from: BlockId, to: BlockId) {
    let fix = |b: &mut BlockId| {
        if *b == from {
            *b = to;
        }
    };
    match t {
        Terminator::Jump(b) => fix(b),
        Terminator::Branch { then, els, .. } => {
            fix(then);
            fix(els);
        }
        Terminator::Return(_) => {}
    }
}

struct Cx<'a> {
    moved: &'a [Option<Moved>],
    ptrs: &'a [VReg],
}

impl Cx<'_> {
    /// The new base and offset of an access.
    fn base(&self, base: Base, offset: i32) -> (Base, i32) {
        match base {
            Base::Slot(s) => match self.moved.get(s.0 as usize).copied().flatten() {
                Some(m) => (Base::Reg(self.ptrs[m.group]), m.offset + offset),
                None => (base, offset),
            },
            Base::Reg(_) => (base, offset),
        }
    }

    /// `dst = address of (base + offset)`.
    fn addr(&self, base: Base, offset: i32, dst: VReg) -> Inst {
        match base {
            Base::Slot(slot) => Inst::SlotAddr { dst, slot, offset },
            Base::Reg(r) => Inst::Binary {
                dst,
                op: crate::ir::BinOp::Add,
                lhs: r,
                rhs: Operand::Imm(i64::from(offset)),
            },
        }
    }

    fn inst(&self, mut inst: Inst, fresh: &mut impl FnMut() -> VReg) -> Vec<Inst> {
        // A single memory access: only its base and offset move.
        if let Inst::Load { base, offset, .. }
        | Inst::Store { base, offset, .. }
        | Inst::AtomicAdd { base, offset, .. } = &mut inst
        {
            (*base, *offset) = self.base(*base, *offset);
            return vec![inst];
        }
        match inst {
            Inst::SlotAddr { dst, slot, offset } => {
                let (base, offset) = self.base(Base::Slot(slot), offset);
                vec![self.addr(base, offset, dst)]
            }
            Inst::Zero { slot, offset, len } => {
                let (base, off) = self.base(Base::Slot(slot), offset);
                match base {
                    Base::Slot(_) => vec![Inst::Zero { slot, offset, len }],
                    Base::Reg(_) if len >= HELPER_COPY => {
                        let d = fresh();
                        vec![
                            self.addr(base, off, d),
                            read_kernel(d, len, Operand::Imm(0)),
                        ]
                    }
                    Base::Reg(_) => zero_stores(base, off, len),
                }
            }
            Inst::Copy {
                dst,
                dst_offset,
                src,
                src_offset,
                len,
            } => {
                let (dst, dst_offset) = self.base(dst, dst_offset);
                let (src, src_offset) = self.base(src, src_offset);
                if len >= HELPER_COPY {
                    let (d, s) = (fresh(), fresh());
                    return vec![
                        self.addr(dst, dst_offset, d),
                        self.addr(src, src_offset, s),
                        read_kernel(d, len, Operand::Reg(s)),
                    ];
                }
                vec![Inst::Copy {
                    dst,
                    dst_offset,
                    src,
                    src_offset,
                    len,
                }]
            }
            other => vec![other],
        }
    }
}

/// `probe_read_kernel(dst, len, src)`: a copy of `len` bytes from `src`; from address 0
/// it fails and zeroes `dst`, which is how large areas are cleared.
fn read_kernel(dst: VReg, len: u32, src: Operand) -> Inst {
    Inst::Call {
        dst: None,
        helper: Helper::ProbeReadKernel,
        args: vec![Operand::Reg(dst), Operand::Imm(i64::from(len)), src],
    }
}

/// Stores of zero over `len` bytes at `base + off` (8-aligned map values).
fn zero_stores(base: Base, off: i32, len: u32) -> Vec<Inst> {
    let mut out = Vec::new();
    let mut done = 0u32;
    while done < len {
        let at = off + done as i32;
        let w = [8u32, 4, 2, 1]
            .into_iter()
            .find(|w| at.rem_euclid(*w as i32) == 0 && done + w <= len)
            .unwrap_or(1);
        out.push(Inst::Store {
            base,
            offset: at,
            width: Width::from_bytes(w).unwrap_or(Width::B1),
            value: Operand::Imm(0),
        });
        done += w;
    }
    out
}

#[cfg(test)]
#[path = "scratch_tests.rs"]
mod tests;
