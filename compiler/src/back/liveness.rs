//! Liveness of registers over the machine CFG.
//!
//! The classic backward data-flow problem, iterated to a fixed point:
//! `live_out(b) = ∪ live_in(s)` over successors `s`, and
//! `live_in(b) = uses(b) ∪ (live_out(b) − defs(b))`. Registers are not in SSA form,
//! so a register may be live on some paths only. The frame pointer `r10` is never
//! tracked.

use super::mir::{MFunction, MInst, MTerm, Reg};

/// A fixed-size set of register ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegSet {
    words: Vec<u64>,
}

impl RegSet {
    pub fn new(capacity: usize) -> RegSet {
        RegSet {
            words: vec![0; capacity.div_ceil(64)],
        }
    }
    pub fn insert(&mut self, r: Reg) -> bool {
        let (w, b) = (r.0 as usize / 64, r.0 % 64);
        let old = self.words[w];
        self.words[w] |= 1 << b;
        old != self.words[w]
    }
    pub fn remove(&mut self, r: Reg) {
        self.words[r.0 as usize / 64] &= !(1 << (r.0 % 64));
    }
    pub fn contains(&self, r: Reg) -> bool {
        self.words
            .get(r.0 as usize / 64)
            .is_some_and(|w| w & (1 << (r.0 % 64)) != 0)
    }
    /// `self |= other`; whether anything changed.
    pub fn union_with(&mut self, other: &RegSet) -> bool {
        let mut changed = false;
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            let n = *a | *b;
            changed |= n != *a;
            *a = n;
        }
        changed
    }
    pub fn iter(&self) -> impl Iterator<Item = Reg> + '_ {
        self.words
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0)
            .flat_map(|(i, &w)| {
                // The set bits of `w`, lowest first.
                let mut rest = w;
                std::iter::from_fn(move || {
                    let bit = (rest != 0).then(|| rest.trailing_zeros())?;
                    rest &= rest - 1;
                    Some(Reg((i * 64) as u32 + bit))
                })
            })
    }
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
}

/// Registers live at block boundaries.
#[derive(Debug, Clone)]
pub struct Liveness {
    pub live_in: Vec<RegSet>,
    pub live_out: Vec<RegSet>,
}

/// Number of register ids `f` may mention.
pub fn reg_capacity(f: &MFunction) -> usize {
    Reg::virt(f.next_vreg).0 as usize
}

/// Whether liveness tracks `r` (everything but the frame pointer).
pub fn tracked(r: Reg) -> bool {
    r != Reg::R10
}

/// Apply an instruction backwards to a live set: remove its defs, add its uses.
pub fn step_back(inst: &MInst, live: &mut RegSet, scratch: &mut Vec<Reg>) {
    scratch.clear();
    inst.defs(scratch);
    for &d in scratch.iter() {
        live.remove(d);
    }
    scratch.clear();
    inst.uses(scratch);
    for &u in scratch.iter().filter(|r| tracked(**r)) {
        live.insert(u);
    }
}

pub fn term_uses(t: &MTerm, live: &mut RegSet) {
    let mut v = Vec::new();
    t.uses(&mut v);
    for u in v.into_iter().filter(|r| tracked(*r)) {
        live.insert(u);
    }
}

pub fn liveness(f: &MFunction) -> Liveness {
    let cap = reg_capacity(f);
    let n = f.blocks.len();
    // Per-block upward-exposed uses and defs.
    let mut gen = Vec::with_capacity(n);
    let mut kill = Vec::with_capacity(n);
    let mut scratch = Vec::new();
    for b in &f.blocks {
        let mut g = RegSet::new(cap);
        term_uses(&b.term, &mut g);
        let mut k = RegSet::new(cap);
        for (inst, _) in b.insts.iter().rev() {
            scratch.clear();
            inst.defs(&mut scratch);
            for &d in &scratch {
                k.insert(d);
            }
            step_back(inst, &mut g, &mut scratch);
        }
        gen.push(g);
        kill.push(k);
    }
    let mut live_in: Vec<RegSet> = gen.clone();
    let mut live_out = vec![RegSet::new(cap); n];
    // Visit blocks in reverse order: converges fast for mostly-forward CFGs.
    let mut changed = true;
    while changed {
        changed = false;
        for i in (0..n).rev() {
            let mut out = RegSet::new(cap);
            for s in f.blocks[i].term.successors() {
                out.union_with(&live_in[s]);
            }
            if out != live_out[i] {
                // live_in = gen ∪ (out − kill)
                let mut inn = out.clone();
                for (w, k) in inn.words.iter_mut().zip(&kill[i].words) {
                    *w &= !k;
                }
                inn.union_with(&gen[i]);
                live_out[i] = out;
                if inn != live_in[i] {
                    live_in[i] = inn;
                    changed = true;
                }
            }
        }
    }
    Liveness { live_in, live_out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reg_set_iterates_its_members_in_order() {
        let mut s = RegSet::new(300);
        for r in [0u32, 5, 63, 64, 130, 299] {
            s.insert(Reg(r));
        }
        s.remove(Reg(5));
        let got: Vec<u32> = s.iter().map(|r| r.0).collect();
        assert_eq!(got, vec![0, 63, 64, 130, 299]);
        assert!(RegSet::new(300).iter().next().is_none());
    }
}
