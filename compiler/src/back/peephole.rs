//! Clean-up after register allocation, on physical registers, before encoding:
//!
//! * no-op ALU instructions go: `r += 0`, `r -= 0`, `r |= 0`, `r ^= 0`, shifts by 0,
//!   `r *= 1`, `r /= 1` and `r = r` (what isel emits for offsets and copies that came
//!   out as zero or as the same register);
//! * `r <<= 32; r >>= 32` (the IR's "low 32 bits", e.g. `tid` from
//!   `get_current_pid_tgid`) becomes one 32-bit move `w = w`, which zero-extends;
//!   `d = s; d <<= 32; d >>= 32` becomes `wd = ws`;
//! * a stack address `rX = r10; rX += off` computed at three or more places is
//!   computed once at entry into a callee-saved register (r6–r9) the function does not
//!   use otherwise, and each place becomes `rX = rK` (calls keep r6–r9, so the value
//!   survives them; entry dominates every block);
//! * definitions nothing reads are removed when the instruction has no other effect
//!   (no store, call or atomic, and no CO-RE relocation to keep), repeated until
//!   nothing changes, since removing one may leave its operands unread.
//!
//! Every rewrite keeps the verifier's view: the removed instructions only wrote
//! registers no later instruction reads, and a 32-bit move accepts exactly the scalar
//! registers the two shifts accepted.

use super::liveness::{self, RegSet};
use super::mir::{AluOp, MFunction, MInst, Reg, Src};

/// Run every rewrite on `f` (registers must be physical: after allocation).
pub fn run(f: &mut MFunction) {
    for b in &mut f.blocks {
        b.insts.retain(|(i, _)| !is_noop(i));
        merge_zext(&mut b.insts);
    }
    share_stack_addresses(f);
    // Each round removes at least one instruction, so this ends; the bound is a guard.
    for _ in 0..f.blocks.iter().map(|b| b.insts.len()).sum::<usize>() + 1 {
        if !remove_dead_defs(f) {
            break;
        }
    }
}

/// Whether `i` changes nothing.
fn is_noop(i: &MInst) -> bool {
    match *i {
        MInst::Alu {
            op: AluOp::Mov,
            dst,
            src: Src::Reg(s),
        } => dst == s,
        MInst::Alu {
            op,
            src: Src::Imm(0),
            ..
        } => matches!(
            op,
            AluOp::Add
                | AluOp::Sub
                | AluOp::Or
                | AluOp::Xor
                | AluOp::Lsh
                | AluOp::Rsh
                | AluOp::Arsh
        ),
        MInst::Alu {
            op: AluOp::Mul | AluOp::Div,
            src: Src::Imm(1),
            ..
        } => true,
        _ => false,
    }
}

fn shift32(i: &MInst, want: AluOp) -> Option<Reg> {
    match *i {
        MInst::Alu {
            op,
            dst,
            src: Src::Imm(32),
        } if op == want => Some(dst),
        _ => None,
    }
}

/// `[d = s;] d <<= 32; d >>= 32` to `wd = ws` (`s` is `d` without the move).
fn merge_zext<L: Copy>(insts: &mut Vec<(MInst, L)>) {
    let mut out: Vec<(MInst, L)> = Vec::with_capacity(insts.len());
    let mut k = 0;
    while k < insts.len() {
        let pair = insts.get(k + 1).and_then(|(next, _)| {
            let d = shift32(&insts[k].0, AluOp::Lsh)?;
            (shift32(next, AluOp::Rsh)? == d).then_some(d)
        });
        let Some(dst) = pair else {
            out.push(insts[k].clone());
            k += 1;
            continue;
        };
        let mut loc = insts[k].1;
        let mut src = dst;
        if let Some((
            MInst::Alu {
                op: AluOp::Mov,
                dst: d,
                src: Src::Reg(s),
            },
            l,
        )) = out.last()
        {
            if *d == dst {
                src = *s;
                loc = *l;
                out.pop();
            }
        }
        out.push((MInst::Zext32 { dst, src }, loc));
        k += 2;
    }
    *insts = out;
}

/// Where `insts[k]`, `insts[k + 1]` compute `dst = r10 + off`: `(dst, off)`.
fn stack_addr(insts: &[(MInst, impl Copy)], k: usize) -> Option<(Reg, i32)> {
    let (
        MInst::Alu {
            op: AluOp::Mov,
            dst,
            src: Src::Reg(Reg::R10),
        },
        _,
    ) = insts.get(k)?
    else {
        return None;
    };
    match insts.get(k + 1)? {
        (
            MInst::Alu {
                op: AluOp::Add,
                dst: d,
                src: Src::Imm(off),
            },
            _,
        ) if d == dst => Some((*dst, *off)),
        _ => None,
    }
}

/// Compute frequently used stack addresses once, in otherwise unused callee-saved
/// registers (see the module documentation).
fn share_stack_addresses(f: &mut MFunction) {
    let mut mentioned = [false; 11];
    let mut regs = Vec::new();
    for b in &f.blocks {
        for (i, _) in &b.insts {
            regs.clear();
            i.defs(&mut regs);
            i.uses(&mut regs);
            // Calls list only r0-r5, which are not candidates anyway.
            for r in &regs {
                if let Some(m) = mentioned.get_mut(r.0 as usize) {
                    *m = true;
                }
            }
        }
        regs.clear();
        b.term.uses(&mut regs);
        for r in &regs {
            if let Some(m) = mentioned.get_mut(r.0 as usize) {
                *m = true;
            }
        }
    }
    let mut free: Vec<Reg> = (6..=9)
        .map(Reg::phys)
        .filter(|r| !mentioned[r.0 as usize])
        .collect();
    if free.is_empty() {
        return;
    }
    // Offsets by how often they are computed, most first (then by offset, for a
    // deterministic choice).
    let mut counts: Vec<(i32, usize)> = Vec::new();
    for b in &f.blocks {
        for k in 0..b.insts.len() {
            if let Some((_, off)) = stack_addr(&b.insts, k) {
                match counts.iter_mut().find(|(o, _)| *o == off) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((off, 1)),
                }
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut prologue = Vec::new();
    for (off, n) in counts {
        // Two instructions at entry; each use saves one.
        if n < 3 {
            break;
        }
        let Some(home) = free.pop() else { break };
        for b in &mut f.blocks {
            let mut k = 0;
            while k < b.insts.len() {
                match stack_addr(&b.insts, k) {
                    Some((dst, o)) if o == off => {
                        b.insts[k].0 = MInst::Alu {
                            op: AluOp::Mov,
                            dst,
                            src: Src::Reg(home),
                        };
                        b.insts.remove(k + 1);
                    }
                    _ => {}
                }
                k += 1;
            }
        }
        prologue.push(MInst::Alu {
            op: AluOp::Mov,
            dst: home,
            src: Src::Reg(Reg::R10),
        });
        prologue.push(MInst::Alu {
            op: AluOp::Add,
            dst: home,
            src: Src::Imm(off),
        });
    }
    if let Some(entry) = f.blocks.first_mut() {
        let loc = entry.insts.first().map_or(entry.term_loc, |(_, l)| *l);
        entry
            .insts
            .splice(0..0, prologue.into_iter().map(|i| (i, loc)));
    }
}

/// Whether removing `i` changes nothing but the registers it writes.
fn pure(i: &MInst) -> bool {
    matches!(
        i,
        MInst::Alu { .. }
            | MInst::Neg { .. }
            | MInst::Zext32 { .. }
            | MInst::LdImm64 { .. }
            | MInst::LdMap { .. }
            | MInst::LdGlobal { .. }
            | MInst::Load { .. }
            | MInst::CondSet { .. }
    )
}

/// One round of dead-definition removal; whether anything was removed.
fn remove_dead_defs(f: &mut MFunction) -> bool {
    let live = liveness::liveness(f);
    let mut changed = false;
    let mut scratch = Vec::new();
    for (bi, b) in f.blocks.iter_mut().enumerate() {
        let mut l: RegSet = live.live_out[bi].clone();
        liveness::term_uses(&b.term, &mut l);
        let mut keep = vec![true; b.insts.len()];
        for (k, (inst, _)) in b.insts.iter().enumerate().rev() {
            scratch.clear();
            inst.defs(&mut scratch);
            if pure(inst) && scratch.iter().all(|d| !l.contains(*d)) {
                keep[k] = false;
                changed = true;
                continue;
            }
            liveness::step_back(inst, &mut l, &mut scratch);
        }
        let mut flags = keep.into_iter();
        b.insts.retain(|_| flags.next().unwrap_or(true));
    }
    changed
}

#[cfg(test)]
#[path = "peephole_tests.rs"]
mod tests;
