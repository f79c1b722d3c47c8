//! Block terminators as jumps, and branch relaxation.
//!
//! BPF conditional jumps keep their offset in 16 bits (±32767 instructions). A
//! conditional jump whose target is farther away is relaxed into the inverted
//! condition jumping over a `gotol` (`BPF_JMP32 | BPF_JA`, 32-bit offset in `imm`,
//! cpu v4); `jset`, which has no inverse, jumps over a short `goto` that skips the
//! `gotol`; a plain `goto` becomes a `gotol` of the same size. Reach is measured
//! with room for the kernel's own growth of the program (see [`CALL_GROWTH`]).
//! Relaxation only ever lengthens jumps, so iterating until none changes
//! terminates.

use super::mir::{MTerm, Reg, Src};
use crate::ir::Cond;

/// One jump of a block's terminator, with its target as a block index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Jump {
    Exit,
    Goto {
        to: usize,
        /// Emit as `gotol` (32-bit offset).
        long: bool,
    },
    Cond {
        cond: Cond,
        lhs: Reg,
        rhs: Src,
        to: usize,
        /// The target is out of reach of a 16-bit offset: emit as a long jump.
        long: bool,
    },
    /// A conditional jump over the next instruction.
    Skip {
        cond: Cond,
        lhs: Reg,
        rhs: Src,
    },
}

impl Jump {
    /// Instruction slots this jump takes.
    pub(super) fn size(&self) -> usize {
        match self {
            Jump::Cond {
                long: true, cond, ..
            } => {
                if cond.negate().is_some() {
                    2
                } else {
                    3
                }
            }
            _ => 1,
        }
    }
}

fn goto(to: usize) -> Jump {
    Jump::Goto { to, long: false }
}

/// The jumps a terminator needs when block `next` follows it.
pub(super) fn term_code(t: &MTerm, next: Option<usize>, target: &[usize]) -> Vec<Jump> {
    match t {
        MTerm::Exit => vec![Jump::Exit],
        MTerm::Jump(b) if Some(target[*b]) == next => vec![],
        MTerm::Jump(b) => vec![goto(target[*b])],
        MTerm::Branch {
            cond,
            lhs,
            rhs,
            then,
            els,
        } => {
            let (then, els) = (target[*then], target[*els]);
            let (cond, lhs, rhs) = (*cond, *lhs, *rhs);
            if then == els {
                return term_code(&MTerm::Jump(then), next, target);
            }
            let jump = |cond, to| Jump::Cond {
                cond,
                lhs,
                rhs,
                to,
                long: false,
            };
            if Some(els) == next {
                return vec![jump(cond, then)];
            }
            if Some(then) == next {
                return match cond.negate() {
                    Some(neg) => vec![jump(neg, els)],
                    // `jset` has no negation: skip over the jump to `else`.
                    None => vec![Jump::Skip { cond, lhs, rhs }, goto(els)],
                };
            }
            vec![jump(cond, then), goto(els)]
        }
    }
}

/// Instruction slots the kernel may add in place of one helper call when it inlines
/// it after verification (map lookups, `bpf_loop`, ...). Its patching moves jump
/// offsets and fails ("cannot be patched due to 16-bit range") when a 16-bit offset
/// overflows, so reach is measured on positions that count every call this large.
pub(super) const CALL_GROWTH: usize = 32;

/// The size of a block's body: real instruction slots, and slots counting the
/// kernel's possible growth at calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Body {
    pub slots: usize,
    pub grown: usize,
}

/// Whether a jump at (grown) position `at` reaches position `to` with a 16-bit offset.
fn short_reach(at: usize, to: usize) -> bool {
    i16::try_from(to as i64 - (at as i64 + 1)).is_ok()
}

/// Choose which jumps must be long, and return the final position of every block
/// (`usize::MAX` for blocks not in `order`).
///
/// `order` is the layout, `body[k]` the body of block `order[k]` before its
/// terminator, and `codes[k]` that terminator's jumps.
pub(super) fn relax(
    nblocks: usize,
    order: &[usize],
    body: &[Body],
    codes: &mut [Vec<Jump>],
) -> Vec<usize> {
    loop {
        // Block positions, real and grown.
        let mut pos_of = vec![usize::MAX; nblocks];
        let mut grown_of = vec![usize::MAX; nblocks];
        let (mut pos, mut grown) = (0, 0);
        for (k, &b) in order.iter().enumerate() {
            pos_of[b] = pos;
            grown_of[b] = grown;
            let jumps = codes[k].iter().map(Jump::size).sum::<usize>();
            pos += body[k].slots + jumps;
            grown += body[k].grown + jumps;
        }
        let mut far = Vec::new();
        let mut at = 0;
        for (k, jumps) in codes.iter().enumerate() {
            at += body[k].grown;
            for (i, j) in jumps.iter().enumerate() {
                let to = match j {
                    Jump::Cond {
                        to, long: false, ..
                    }
                    | Jump::Goto { to, long: false } => Some(*to),
                    _ => None,
                };
                if to.is_some_and(|to| !short_reach(at, grown_of[to])) {
                    far.push((k, i));
                }
                at += j.size();
            }
        }
        if far.is_empty() {
            return pos_of;
        }
        for (k, i) in far {
            if let Jump::Cond { long, .. } | Jump::Goto { long, .. } = &mut codes[k][i] {
                *long = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(to: usize, c: Cond) -> Jump {
        Jump::Cond {
            cond: c,
            lhs: Reg::phys(1),
            rhs: Src::Imm(0),
            to,
            long: false,
        }
    }

    /// Bodies without calls.
    fn plain(sizes: &[usize]) -> Vec<Body> {
        sizes.iter().map(|&n| Body { slots: n, grown: n }).collect()
    }

    #[test]
    fn near_jumps_stay_short() {
        let order = [0, 1, 2];
        let body = plain(&[10, 10, 10]);
        let mut codes = vec![vec![cond(2, Cond::Eq)], vec![goto(0)], vec![Jump::Exit]];
        let pos = relax(3, &order, &body, &mut codes);
        assert_eq!(pos, vec![0, 11, 22]);
        assert!(matches!(codes[0][0], Jump::Cond { long: false, .. }));
    }

    #[test]
    fn far_conditional_jumps_become_long() {
        let order = [0, 1, 2];
        let body = plain(&[1, 40_000, 1]);
        let mut codes = vec![
            vec![cond(2, Cond::Eq)],
            vec![Jump::Skip {
                cond: Cond::Set,
                lhs: Reg::phys(1),
                rhs: Src::Imm(1),
            }],
            vec![cond(0, Cond::Set), Jump::Exit],
        ];
        let pos = relax(3, &order, &body, &mut codes);
        // Block 0: 1 + 2 (inverted jump over gotol); block 1: 40000 + 1.
        assert_eq!(pos, vec![0, 3, 40_004]);
        assert!(matches!(codes[0][0], Jump::Cond { long: true, .. }));
        // `jset` has no inverse: three slots.
        assert!(matches!(codes[2][0], Jump::Cond { long: true, .. }));
        assert_eq!(codes[2][0].size(), 3);
    }

    #[test]
    fn lengthening_can_push_another_jump_out_of_range() {
        // Jump A (block 0) reaches block 2 exactly at the limit until jump B, in
        // block 1 between them, is lengthened.
        let order = [0, 1, 2, 3];
        let limit = i16::MAX as usize;
        let mut codes = vec![
            vec![cond(2, Cond::Ne)],
            vec![cond(3, Cond::Eq)],
            vec![Jump::Exit],
            vec![Jump::Exit],
        ];
        // A sits at slot 0; block 2 starts at 1 + body1 + 1 = limit + 1.
        let body = plain(&[0, limit - 1, 40_000, 1]);
        let pos = relax(4, &order, &body, &mut codes);
        assert!(matches!(codes[1][0], Jump::Cond { long: true, .. }));
        assert!(matches!(codes[0][0], Jump::Cond { long: true, .. }));
        assert_eq!(pos[2], 2 + (limit - 1) + 2);
    }

    #[test]
    fn far_gotos_become_long() {
        let order = [0, 1, 2];
        let body = plain(&[1, 40_000, 1]);
        let mut codes = vec![vec![goto(2)], vec![Jump::Exit], vec![goto(0)]];
        let pos = relax(3, &order, &body, &mut codes);
        // A `gotol` has the size of a `goto`.
        assert_eq!(pos, vec![0, 2, 40_003]);
        assert_eq!(codes[0][0], Jump::Goto { to: 2, long: true });
        assert_eq!(codes[2][0], Jump::Goto { to: 0, long: true });
    }

    #[test]
    fn calls_leave_room_for_the_kernel_to_grow_the_program() {
        // 2000 slots really, but 2000 calls the kernel may inline: too far for a
        // 16-bit offset once grown.
        let order = [0, 1, 2];
        let body = vec![
            Body::default(),
            Body {
                slots: 2000,
                grown: 2000 * (1 + CALL_GROWTH),
            },
            Body::default(),
        ];
        let mut codes = vec![vec![cond(2, Cond::Eq)], vec![Jump::Exit], vec![Jump::Exit]];
        relax(3, &order, &body, &mut codes);
        assert!(matches!(codes[0][0], Jump::Cond { long: true, .. }));
    }
}
