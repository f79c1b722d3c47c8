//! Spill code: registers that found no colour live in 8-byte stack slots.
//!
//! Spill slots sit below the IR's slots, 8-aligned, and are written and read with
//! full 64-bit (`BPF_DW`) accesses, so the verifier keeps tracking pointer types
//! through them. Every instruction that mentions a spilled register gets a fresh
//! temporary, filled before it and/or stored after it; temporaries live for a
//! single instruction and are never spilled again. Moves to or from a spilled
//! register become a plain store or load.

use super::mir::{MFunction, MInst, Reg};
use crate::ir::{Loc, Width};
use std::collections::{HashMap, HashSet};

/// Give each class of `spilled` registers (registers that were coalesced together,
/// so never live at once) the new stack slot `slots` gives it (classes that never
/// live at once may share one), and rewrite `f` to use it.
pub fn insert_spill_code(
    f: &mut MFunction,
    spilled: &[Vec<Reg>],
    slots: &[usize],
    no_spill: &mut HashSet<Reg>,
) {
    let mut slot_of: HashMap<Reg, i16> = HashMap::new();
    let base = f.frame_size;
    for (class, &slot) in spilled.iter().zip(slots) {
        let end = base + 8 * (slot as u32 + 1);
        f.frame_size = f.frame_size.max(end);
        // Saturate: an oversized frame is reported by the caller.
        let off = i16::try_from(-i64::from(end)).unwrap_or(i16::MIN);
        for &r in class {
            slot_of.insert(r, off);
        }
    }
    let fill = |dst: Reg, off: i16| MInst::Load {
        dst,
        base: Reg::R10,
        off,
        width: Width::B8,
    };
    let store = |src: Reg, off: i16| MInst::Store {
        base: Reg::R10,
        off,
        width: Width::B8,
        src,
    };
    let mut next_vreg = f.next_vreg;
    let mut temp = |no_spill: &mut HashSet<Reg>| {
        let r = Reg::virt(next_vreg);
        next_vreg += 1;
        no_spill.insert(r);
        r
    };
    let (mut defs, mut uses) = (Vec::new(), Vec::new());
    for b in &mut f.blocks {
        let old = std::mem::take(&mut b.insts);
        let mut out: Vec<(MInst, Loc)> = Vec::with_capacity(old.len());
        for (mut inst, loc) in old {
            if let Some((d, s)) = inst.as_move() {
                match (slot_of.get(&d), slot_of.get(&s)) {
                    (Some(&off), None) => {
                        out.push((store(s, off), loc));
                        continue;
                    }
                    (None, Some(&off)) => {
                        out.push((fill(d, off), loc));
                        continue;
                    }
                    (Some(&a), Some(&b)) if a == b => continue,
                    _ => {}
                }
            }
            defs.clear();
            uses.clear();
            inst.defs(&mut defs);
            inst.uses(&mut uses);
            let mut temps: Vec<(Reg, Reg, i16)> = Vec::new();
            for &r in defs.iter().chain(&uses) {
                if let Some(&off) = slot_of.get(&r) {
                    if !temps.iter().any(|(o, _, _)| *o == r) {
                        temps.push((r, temp(no_spill), off));
                    }
                }
            }
            if temps.is_empty() {
                out.push((inst, loc));
                continue;
            }
            for &(r, t, off) in &temps {
                if uses.contains(&r) {
                    out.push((fill(t, off), loc));
                }
            }
            inst.map_regs(&mut |r| {
                temps
                    .iter()
                    .find(|(o, _, _)| *o == r)
                    .map_or(r, |(_, t, _)| *t)
            });
            out.push((inst, loc));
            for &(r, t, off) in &temps {
                if defs.contains(&r) {
                    out.push((store(t, off), loc));
                }
            }
        }
        // The terminator reads its registers after every instruction of the block.
        uses.clear();
        b.term.uses(&mut uses);
        let mut temps: Vec<(Reg, Reg)> = Vec::new();
        for &r in &uses {
            if let Some(&off) = slot_of.get(&r) {
                if !temps.iter().any(|(o, _)| *o == r) {
                    let t = temp(no_spill);
                    out.push((fill(t, off), b.term_loc));
                    temps.push((r, t));
                }
            }
        }
        b.term
            .map_regs(&mut |r| temps.iter().find(|(o, _)| *o == r).map_or(r, |(_, t)| *t));
        b.insts = out;
    }
    f.next_vreg = next_vreg;
}
