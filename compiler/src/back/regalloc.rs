//! Register allocation by graph colouring (Chaitin–Briggs with conservative
//! coalescing).
//!
//! Each round:
//! 1. [`liveness`](super::liveness) over the CFG;
//! 2. an interference graph over virtual and physical registers. Physical registers
//!    are pre-coloured nodes, so the constraints of BPF fall out of the graph: a helper
//!    call defines `r0`..`r5`, so every value live across it interferes with them and
//!    can only get `r6`..`r9`; call arguments, results, the entry `r1` and the `r0` of
//!    `exit` are moves from/to physical registers;
//! 3. conservative coalescing of moves (Briggs' test between virtual registers,
//!    George's test against a physical one), repeated until nothing changes;
//! 4. simplify/select with optimistic colouring onto `r0`..`r9`, preferring the colour
//!    of a move partner; the spill candidate is the node with the lowest
//!    uses-and-defs count per degree;
//! 5. if some node got no colour, its registers are spilled to 8-byte stack slots
//!    after the IR's slots ([`spill`](super::spill)) and the next round starts; spill
//!    temporaries are never spilled again.
//!
//! Finally every register is rewritten to its colour and `mov rX, rX` is deleted.

use super::isel::STACK_LIMIT;
use super::liveness::{liveness, reg_capacity, step_back, term_uses, tracked};
use super::mir::{MFunction, MInst, Reg, Src};
use super::spill::insert_spill_code;
use std::collections::{HashMap, HashSet};

/// Allocatable registers `r0`..`r9`.
const K: usize = 10;
const MAX_ROUNDS: usize = 16;

/// Allocate registers of `f` in place: afterwards every register is physical and
/// `f.frame_size` includes the spill slots.
pub fn allocate(f: &mut MFunction) -> Result<(), String> {
    let mut no_spill: HashSet<Reg> = HashSet::new();
    zero_init_live_ins(f);
    for _ in 0..MAX_ROUNDS {
        let live = liveness(f);
        let mut g = Graph::build(f, &live);
        g.coalesce();
        match g.colour(&no_spill) {
            Colouring::Done(colours) => {
                rewrite(f, &g, &colours);
                return Ok(());
            }
            Colouring::Spill(roots) => {
                let spilled = g.members(&roots);
                let slots = g.spill_slots(&roots);
                insert_spill_code(f, &spilled, &slots, &mut no_spill);
                // `back::compile` reports a frame the spills took over the limit.
                if f.frame_size > STACK_LIMIT {
                    return Ok(());
                }
            }
            Colouring::Failed => break,
        }
    }
    Err(format!(
        "function {}: register allocation failed (too many values live at once)",
        f.name
    ))
}

/// The verifier rejects reads of never-written registers; give registers that may be
/// read before being written (live into the entry) a zero at the start.
fn zero_init_live_ins(f: &mut MFunction) {
    let live = liveness(f);
    let regs: Vec<Reg> = live.live_in[0].iter().filter(|r| !r.is_phys()).collect();
    let loc = f.loc;
    for (i, r) in regs.into_iter().enumerate() {
        f.blocks[0].insts.insert(
            i,
            (
                MInst::Alu {
                    op: super::mir::AluOp::Mov,
                    dst: r,
                    src: Src::Imm(0),
                },
                loc,
            ),
        );
    }
}

/// Map every register to its colour and drop moves that became no-ops.
fn rewrite(f: &mut MFunction, g: &Graph, colours: &HashMap<u32, u8>) {
    let mut map = |r: Reg| {
        if r.is_phys() {
            r
        } else {
            let root = g.find(r.0);
            if root < Reg::FIRST_VIRT {
                Reg(root)
            } else {
                // Registers that appear nowhere in the graph have no interference;
                // any register will do.
                Reg::phys(colours.get(&root).copied().unwrap_or(0))
            }
        }
    };
    for b in &mut f.blocks {
        for (inst, _) in &mut b.insts {
            inst.map_regs(&mut map);
        }
        b.term.map_regs(&mut map);
        b.insts
            .retain(|(i, _)| !matches!(i.as_move(), Some((d, s)) if d == s));
    }
}

pub(crate) enum Colouring {
    /// Colour of every virtual root.
    Done(HashMap<u32, u8>),
    /// These roots must be spilled.
    Spill(Vec<u32>),
    /// A register that cannot be spilled found no colour.
    Failed,
}

/// The interference graph, with coalescing as union-find.
pub(crate) struct Graph {
    adj: Vec<Vec<u32>>,
    edges: HashSet<(u32, u32)>,
    moves: Vec<(u32, u32)>,
    alias: Vec<u32>,
    /// Occurrences (uses + defs) per register: the spill cost.
    weight: Vec<u32>,
    /// Registers mentioned by the function.
    present: Vec<bool>,
}

impl Graph {
    pub(crate) fn build(f: &MFunction, live: &super::liveness::Liveness) -> Graph {
        let cap = reg_capacity(f);
        let mut g = Graph {
            adj: vec![Vec::new(); cap],
            edges: HashSet::new(),
            moves: Vec::new(),
            alias: (0..cap as u32).collect(),
            weight: vec![0; cap],
            present: vec![false; cap],
        };
        let (mut defs, mut uses, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
        for (bi, b) in f.blocks.iter().enumerate() {
            let mut live = live.live_out[bi].clone();
            let mut tu = Vec::new();
            b.term.uses(&mut tu);
            for r in tu.into_iter().filter(|r| tracked(*r)) {
                g.touch(r);
            }
            term_uses(&b.term, &mut live);
            for (inst, _) in b.insts.iter().rev() {
                defs.clear();
                uses.clear();
                inst.defs(&mut defs);
                inst.uses(&mut uses);
                defs.retain(|r| tracked(*r));
                uses.retain(|r| tracked(*r));
                for &r in defs.iter().chain(&uses) {
                    g.touch(r);
                }
                if let Some((d, s)) = inst.as_move() {
                    if tracked(d) && tracked(s) {
                        // A move's source and destination may share a register.
                        live.remove(s);
                        g.moves.push((d.0, s.0));
                    }
                }
                for &d in &defs {
                    for l in live.iter() {
                        g.add_edge(d.0, l.0);
                    }
                    if inst.early_clobber() {
                        for &u in &uses {
                            g.add_edge(d.0, u.0);
                        }
                    }
                }
                for (i, &a) in defs.iter().enumerate() {
                    for &b in &defs[i + 1..] {
                        g.add_edge(a.0, b.0);
                    }
                }
                step_back(inst, &mut live, &mut scratch);
            }
        }
        g
    }

    fn touch(&mut self, r: Reg) {
        self.present[r.0 as usize] = true;
        self.weight[r.0 as usize] += 1;
    }

    fn add_edge(&mut self, a: u32, b: u32) {
        if a == b || (a < Reg::FIRST_VIRT && b < Reg::FIRST_VIRT) {
            return;
        }
        let key = (a.min(b), a.max(b));
        if self.edges.insert(key) {
            // Only virtual registers' neighbours are ever read (physical ones have
            // no degree to track and are never merged away); physical registers
            // interfere with most of the function and would make `merge` slow.
            for (x, y) in [(a, b), (b, a)] {
                if x >= Reg::FIRST_VIRT {
                    self.adj[x as usize].push(y);
                }
            }
        }
    }

    pub(crate) fn interferes(&self, a: u32, b: u32) -> bool {
        self.edges.contains(&(a.min(b), a.max(b)))
    }

    pub(crate) fn find(&self, mut r: u32) -> u32 {
        while self.alias[r as usize] != r {
            r = self.alias[r as usize];
        }
        r
    }

    fn degree(&self, r: u32) -> usize {
        if r < Reg::FIRST_VIRT {
            usize::MAX / 2
        } else {
            self.adj[r as usize].len()
        }
    }

    /// Briggs: merging is safe if the merged node has fewer than K neighbours of
    /// significant degree.
    fn briggs(&self, a: u32, b: u32) -> bool {
        // Each neighbour once: `b`'s that are not also `a`'s. Stops at K.
        let only_b = self.adj[b as usize]
            .iter()
            .filter(|&&t| !self.interferes(t, a));
        self.adj[a as usize]
            .iter()
            .chain(only_b)
            .filter(|&&t| self.degree(t) >= K)
            .nth(K - 1)
            .is_none()
    }

    /// George: merging virtual `v` into physical `p` is safe if every neighbour of `v`
    /// is insignificant, pre-coloured, or already interferes with `p`.
    fn george(&self, p: u32, v: u32) -> bool {
        self.adj[v as usize]
            .iter()
            .all(|&t| t < Reg::FIRST_VIRT || self.degree(t) < K || self.interferes(t, p))
    }

    fn merge(&mut self, keep: u32, gone: u32) {
        self.alias[gone as usize] = keep;
        let neighbours = std::mem::take(&mut self.adj[gone as usize]);
        for t in neighbours {
            self.edges.remove(&(t.min(gone), t.max(gone)));
            let list = &mut self.adj[t as usize];
            if let Some(i) = list.iter().position(|&x| x == gone) {
                list.swap_remove(i);
            }
            self.add_edge(keep, t);
        }
        self.weight[keep as usize] += self.weight[gone as usize];
        self.present[keep as usize] = true;
    }

    /// Conservative coalescing until no move can be merged.
    pub(crate) fn coalesce(&mut self) {
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..self.moves.len() {
                let (a, b) = self.moves[i];
                let (a, b) = (self.find(a), self.find(b));
                if a == b || self.interferes(a, b) {
                    continue;
                }
                let ok = match (a < Reg::FIRST_VIRT, b < Reg::FIRST_VIRT) {
                    (true, true) => false,
                    (true, false) => self.george(a, b),
                    (false, true) => self.george(b, a),
                    (false, false) => self.briggs(a, b),
                };
                if ok {
                    let (keep, gone) = if b < Reg::FIRST_VIRT { (b, a) } else { (a, b) };
                    self.merge(keep, gone);
                    changed = true;
                }
            }
        }
    }

    /// A stack slot index for each spilled root: roots that never live at once share
    /// one (the lowest a root's interfering roots leave free), so a function with many
    /// short-lived spilled values keeps its frame small.
    pub(crate) fn spill_slots(&self, roots: &[u32]) -> Vec<usize> {
        let mut slots: Vec<usize> = Vec::with_capacity(roots.len());
        for (i, &r) in roots.iter().enumerate() {
            let taken: HashSet<usize> = roots[..i]
                .iter()
                .zip(&slots)
                .filter(|(&q, _)| self.interferes(r, q))
                .map(|(_, &s)| s)
                .collect();
            slots.push((0..).find(|s| !taken.contains(s)).unwrap_or(0));
        }
        slots
    }

    /// All registers whose root is one of `roots`.
    pub(crate) fn members(&self, roots: &[u32]) -> Vec<Vec<Reg>> {
        let mut out = vec![Vec::new(); roots.len()];
        let index: HashMap<u32, usize> = roots.iter().enumerate().map(|(i, &r)| (r, i)).collect();
        for r in Reg::FIRST_VIRT..self.alias.len() as u32 {
            if !self.present[r as usize] {
                continue;
            }
            if let Some(&i) = index.get(&self.find(r)) {
                out[i].push(Reg(r));
            }
        }
        out
    }

    /// For every root, the roots it is related to by a move.
    fn partners(&self) -> HashMap<u32, Vec<u32>> {
        let mut m: HashMap<u32, Vec<u32>> = HashMap::new();
        for &(a, b) in &self.moves {
            let (a, b) = (self.find(a), self.find(b));
            if a != b {
                m.entry(a).or_default().push(b);
                m.entry(b).or_default().push(a);
            }
        }
        m
    }

    /// Simplify and select.
    pub(crate) fn colour(&self, no_spill: &HashSet<Reg>) -> Colouring {
        let nodes: Vec<u32> = (Reg::FIRST_VIRT..self.alias.len() as u32)
            .filter(|&r| self.present[r as usize] && self.find(r) == r)
            .collect();
        let unspillable: HashSet<u32> = no_spill.iter().map(|r| self.find(r.0)).collect();
        let mut degree: HashMap<u32, usize> = nodes
            .iter()
            .map(|&n| (n, self.adj[n as usize].len()))
            .collect();
        let mut removed: HashSet<u32> = HashSet::new();
        let mut stack = Vec::with_capacity(nodes.len());
        let mut low: Vec<u32> = nodes.iter().copied().filter(|n| degree[n] < K).collect();
        low.reverse();
        while stack.len() < nodes.len() {
            let n = match low.pop() {
                Some(n) if !removed.contains(&n) => n,
                Some(_) => continue,
                None => {
                    // Everything left is significant: pick a spill candidate, the
                    // cheapest per degree, and remove it optimistically.
                    let cost = |n: u32| {
                        if unspillable.contains(&n) {
                            f64::INFINITY
                        } else {
                            f64::from(self.weight[n as usize]) / (degree[&n] as f64 + 1.0)
                        }
                    };
                    let mut best = None;
                    for &n in nodes.iter().filter(|n| !removed.contains(n)) {
                        if best.is_none_or(|b| cost(n) < cost(b)) {
                            best = Some(n);
                        }
                    }
                    match best {
                        Some(n) => n,
                        None => break,
                    }
                }
            };
            removed.insert(n);
            stack.push(n);
            for &t in &self.adj[n as usize] {
                if let Some(d) = degree.get_mut(&t) {
                    *d -= 1;
                    if *d == K - 1 && !removed.contains(&t) {
                        low.push(t);
                    }
                }
            }
        }
        let partners = self.partners();
        let mut colours: HashMap<u32, u8> = HashMap::new();
        let mut spills = Vec::new();
        while let Some(n) = stack.pop() {
            let mut forbidden = [false; K];
            for &t in &self.adj[n as usize] {
                let c = if t < Reg::FIRST_VIRT {
                    Some(t as u8)
                } else {
                    colours.get(&t).copied()
                };
                if let Some(c) = c.filter(|&c| (c as usize) < K) {
                    forbidden[c as usize] = true;
                }
            }
            let preferred = partners.get(&n).into_iter().flatten().filter_map(|&p| {
                if p < Reg::FIRST_VIRT {
                    Some(p as u8)
                } else {
                    colours.get(&p).copied()
                }
            });
            let choice = preferred
                .chain(0..K as u8)
                .find(|&c| (c as usize) < K && !forbidden[c as usize]);
            match choice {
                Some(c) => {
                    colours.insert(n, c);
                }
                None if unspillable.contains(&n) => return Colouring::Failed,
                None => spills.push(n),
            }
        }
        if spills.is_empty() {
            Colouring::Done(colours)
        } else {
            spills.sort_unstable();
            Colouring::Spill(spills)
        }
    }
}
