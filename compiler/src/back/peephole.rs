//! Clean-up after register allocation, on physical registers, before encoding:
//!
//! * no-op ALU instructions go: `r += 0`, `r -= 0`, `r |= 0`, `r ^= 0`, shifts by 0,
//!   `r *= 1`, `r /= 1` and `r = r` (what isel emits for offsets and copies that came
//!   out as zero or as the same register);
//! * `r <<= 32; r >>= 32` (the IR's "low 32 bits", e.g. `tid` from
//!   `get_current_pid_tgid`) becomes one 32-bit move `w = w`, which zero-extends;
//!   `d = s; d <<= 32; d >>= 32` becomes `wd = ws`;
//! * definitions nothing reads are removed when the instruction has no other effect
//!   (no store, call or atomic, and no CO-RE relocation to keep), repeated until
//!   nothing changes, since removing one may leave its operands unread.
//!
//! Every rewrite keeps the verifier's view: the removed instructions only wrote
//! registers no later instruction reads, and a 32-bit move accepts exactly the scalar
//! registers the two shifts accepted.

use super::liveness::{self, RegSet};
use super::mir::{AluOp, MFunction, MInst, Src};

/// Run every rewrite on `f` (registers must be physical: after allocation).
pub fn run(f: &mut MFunction) {
    for b in &mut f.blocks {
        b.insts.retain(|(i, _)| !is_noop(i));
        merge_zext(&mut b.insts);
    }
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

fn shift32(i: &MInst, want: AluOp) -> Option<super::mir::Reg> {
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
