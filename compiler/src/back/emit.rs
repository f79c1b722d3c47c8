//! Final emission: block layout, jump offsets, encoding and line info.
//!
//! Blocks are laid out greedily from the entry, each followed by its preferred
//! successor (the target of a jump, the `else` of a branch, else its `then`) when
//! that is not placed yet, so that most edges fall through. Jumps to blocks that only
//! jump elsewhere are threaded, and unreachable blocks are dropped (the verifier
//! rejects unreachable instructions).
//! Conditional jumps out of 16-bit reach are relaxed (`jumps.rs`).

use super::insn::Insn;
use super::jumps::{self, term_code, Body, Jump};
use super::mir::{AluOp, MFunction, MInst, MTerm, Reg, Src};
use super::opcode as op;
use super::{CompiledFunction, CoreReloc, KsymUse, LineEntry, Reloc, RelocTarget};
use crate::ir::{Cond, Loc};

/// Encode an allocated function (every register physical).
pub fn emit(f: &MFunction) -> Result<CompiledFunction, String> {
    let target = thread_jumps(f);
    let order = layout(f, &target);
    let body: Vec<Body> = order
        .iter()
        .map(|&b| {
            f.blocks[b]
                .insts
                .iter()
                .fold(Body::default(), |s, (i, _)| Body {
                    slots: s.slots + i.slots(),
                    grown: s.grown + i.slots() + i.call_growth(),
                })
        })
        .collect();
    let mut codes: Vec<Vec<Jump>> = order
        .iter()
        .enumerate()
        .map(|(k, &b)| term_code(&f.blocks[b].term, order.get(k + 1).copied(), &target))
        .collect();
    let pos_of = jumps::relax(f.blocks.len(), &order, &body, &mut codes);
    let total = order
        .last()
        .map_or(0, |&b| pos_of[b] + body[order.len() - 1].slots)
        + codes.last().map_or(0, |c| c.iter().map(Jump::size).sum());
    let mut e = Emitter {
        name: &f.name,
        insns: Vec::with_capacity(total),
        relocs: Vec::new(),
        core_relocs: Vec::new(),
        ksyms: Vec::new(),
        lines: Vec::new(),
        loc: None,
    };
    for (&b, jumps) in order.iter().zip(codes) {
        let block = &f.blocks[b];
        for (inst, loc) in &block.insts {
            e.line(*loc, f.loc);
            e.inst(inst)?;
        }
        e.line(block.term_loc, f.loc);
        for j in jumps {
            match j {
                Jump::Exit => e.push(op::JMP | op::EXIT, 0, 0, 0, 0),
                Jump::Goto { to, long } => e.goto(pos_of[to], long)?,
                Jump::Cond {
                    cond,
                    lhs,
                    rhs,
                    to,
                    long: false,
                } => {
                    let off = e.offset(pos_of[to])?;
                    e.cond_jump(cond, lhs, rhs, off);
                }
                Jump::Cond {
                    cond,
                    lhs,
                    rhs,
                    to,
                    long: true,
                } => {
                    match cond.negate() {
                        Some(neg) => e.cond_jump(neg, lhs, rhs, 1),
                        None => {
                            e.cond_jump(cond, lhs, rhs, 1);
                            e.push(op::JMP | op::JA, 0, 0, 1, 0);
                        }
                    }
                    e.goto(pos_of[to], true)?;
                }
                Jump::Skip { cond, lhs, rhs } => e.cond_jump(cond, lhs, rhs, 1),
            }
        }
    }
    debug_assert_eq!(e.insns.len(), total);
    Ok(CompiledFunction {
        name: f.name.clone(),
        section: f.section.clone(),
        insns: e.insns,
        relocs: e.relocs,
        core_relocs: e.core_relocs,
        ksyms: e.ksyms,
        lines: e.lines,
        loc: f.loc,
    })
}

/// Where each block's jumps really go: through blocks that only jump on.
fn thread_jumps(f: &MFunction) -> Vec<usize> {
    (0..f.blocks.len())
        .map(|mut b| {
            for _ in 0..f.blocks.len() {
                match &f.blocks[b].term {
                    MTerm::Jump(t) if f.blocks[b].insts.is_empty() && *t != b => b = *t,
                    _ => break,
                }
            }
            b
        })
        .collect()
}

fn layout(f: &MFunction, target: &[usize]) -> Vec<usize> {
    let n = f.blocks.len();
    let succ = |b: usize| -> Vec<usize> {
        f.blocks[b]
            .term
            .successors()
            .into_iter()
            .map(|s| target[s])
            .collect()
    };
    // Reachable blocks (after threading).
    let mut reach = vec![false; n];
    let mut work = vec![0];
    reach[0] = true;
    while let Some(b) = work.pop() {
        for s in succ(b) {
            if !reach[s] {
                reach[s] = true;
                work.push(s);
            }
        }
    }
    let mut placed = vec![false; n];
    let mut order = Vec::new();
    let mut cur = Some(0);
    while let Some(b) = cur {
        placed[b] = true;
        order.push(b);
        let prefer = match &f.blocks[b].term {
            MTerm::Jump(t) => vec![target[*t]],
            MTerm::Branch { then, els, .. } => vec![target[*els], target[*then]],
            MTerm::Exit => vec![],
        };
        cur = prefer
            .into_iter()
            .find(|&s| !placed[s])
            .or_else(|| (0..n).find(|&s| reach[s] && !placed[s]));
    }
    order
}

struct Emitter<'a> {
    name: &'a str,
    insns: Vec<Insn>,
    relocs: Vec<Reloc>,
    core_relocs: Vec<CoreReloc>,
    ksyms: Vec<KsymUse>,
    lines: Vec<LineEntry>,
    loc: Option<Loc>,
}

fn reg(r: Reg) -> u8 {
    debug_assert!(r.is_phys(), "unallocated register {r}");
    r.num()
}

impl Emitter<'_> {
    fn push(&mut self, code: u8, dst: u8, src: u8, off: i16, imm: i32) {
        self.insns.push(Insn {
            code,
            dst,
            src,
            off,
            imm,
        });
    }

    /// Record a line entry when the source location changes; unknown locations
    /// (line 0) continue the previous one.
    fn line(&mut self, loc: Loc, func: Loc) {
        let loc = if loc.line == 0 {
            self.loc.unwrap_or(func)
        } else {
            loc
        };
        if self.loc != Some(loc) {
            self.loc = Some(loc);
            let insn = self.insns.len();
            // Instructions that emitted nothing leave no entry behind.
            if self.lines.last().is_some_and(|l| l.insn == insn) {
                self.lines.pop();
            }
            if self.lines.last().is_none_or(|l| l.loc != loc) {
                self.lines.push(LineEntry { insn, loc });
            }
        }
    }

    /// Offset of a jump at the current position to instruction `to`.
    fn offset(&self, to: usize) -> Result<i16, String> {
        let rel = to as i64 - (self.insns.len() as i64 + 1);
        i16::try_from(rel).map_err(|_| {
            format!(
                "function {}: jump offset {rel} out of range (program too large)",
                self.name
            )
        })
    }

    /// An unconditional jump to instruction `to`: `goto`, or when `long` `gotol`
    /// (`JMP32 | JA`, offset in `imm`).
    fn goto(&mut self, to: usize, long: bool) -> Result<(), String> {
        if !long {
            let off = self.offset(to)?;
            self.push(op::JMP | op::JA, 0, 0, off, 0);
            return Ok(());
        }
        let rel = to as i64 - (self.insns.len() as i64 + 1);
        let imm = i32::try_from(rel).map_err(|_| {
            format!(
                "function {}: jump offset {rel} out of range (program too large)",
                self.name
            )
        })?;
        self.push(op::JMP32 | op::JA, 0, 0, 0, imm);
        Ok(())
    }

    fn cond_jump(&mut self, cond: Cond, lhs: Reg, rhs: Src, off: i16) {
        let code = op::JMP | op::jump_op(cond);
        match rhs {
            Src::Reg(r) => self.push(code | op::SRC_X, reg(lhs), reg(r), off, 0),
            Src::Imm(i) => self.push(code | op::SRC_K, reg(lhs), 0, off, i),
        }
    }

    fn ld_imm64(&mut self, dst: Reg, imm: i64) {
        self.push(op::LD_IMM64, reg(dst), 0, 0, imm as i32);
        self.push(0, 0, 0, 0, (imm >> 32) as i32);
    }

    fn inst(&mut self, i: &MInst) -> Result<(), String> {
        match *i {
            MInst::Alu { op: aop, dst, src } => {
                let code = op::ALU64 | aop.opcode();
                match src {
                    Src::Reg(s) => self.push(code | op::SRC_X, reg(dst), reg(s), 0, 0),
                    Src::Imm(imm) => self.push(code | op::SRC_K, reg(dst), 0, 0, imm),
                }
            }
            MInst::Neg { dst } => self.push(op::ALU64 | op::NEG, reg(dst), 0, 0, 0),
            MInst::Zext32 { dst, src } => {
                self.push(op::ALU | op::MOV | op::SRC_X, reg(dst), reg(src), 0, 0)
            }
            MInst::LdImm64 { dst, imm } => self.ld_imm64(dst, imm),
            MInst::LdMap { dst, map } => {
                self.relocs.push(Reloc {
                    insn: self.insns.len(),
                    target: RelocTarget::Map(map),
                });
                self.ld_imm64(dst, 0);
            }
            MInst::LdFunc { dst, func } => {
                self.relocs.push(Reloc {
                    insn: self.insns.len(),
                    target: RelocTarget::Func(func),
                });
                self.push(op::LD_IMM64, reg(dst), op::PSEUDO_FUNC, 0, 0);
                self.push(0, 0, 0, 0, 0);
            }
            MInst::LdKsym { dst, ref name } => {
                self.ksyms.push(KsymUse {
                    insn: self.insns.len(),
                    name: name.clone(),
                    kind: tracec_meta::KsymKind::Var,
                });
                self.push(op::LD_IMM64, reg(dst), op::PSEUDO_BTF_ID, 0, 0);
                self.push(0, 0, 0, 0, 0);
            }
            MInst::LdGlobal {
                dst,
                global,
                offset,
            } => {
                self.relocs.push(Reloc {
                    insn: self.insns.len(),
                    target: RelocTarget::Global(global),
                });
                self.ld_imm64(dst, i64::from(offset) & 0xffff_ffff);
            }
            MInst::CoreConst {
                dst,
                imm,
                ref access,
            } => {
                self.core_relocs.push(CoreReloc {
                    insn: self.insns.len(),
                    access: (**access).clone(),
                });
                let mov = op::ALU64 | AluOp::Mov.opcode() | op::SRC_K;
                self.push(mov, reg(dst), 0, 0, imm);
            }
            MInst::CoreLoad {
                dst,
                base,
                off,
                width,
                ref access,
            } => {
                self.core_relocs.push(CoreReloc {
                    insn: self.insns.len(),
                    access: (**access).clone(),
                });
                self.push(
                    op::LDX | op::MODE_MEM | op::size_of_width(width),
                    reg(dst),
                    reg(base),
                    off,
                    0,
                );
            }
            MInst::Load {
                dst,
                base,
                off,
                width,
            } => self.push(
                op::LDX | op::MODE_MEM | op::size_of_width(width),
                reg(dst),
                reg(base),
                off,
                0,
            ),
            MInst::Store {
                base,
                off,
                width,
                src,
            } => self.push(
                op::STX | op::MODE_MEM | op::size_of_width(width),
                reg(base),
                reg(src),
                off,
                0,
            ),
            MInst::StoreImm {
                base,
                off,
                width,
                imm,
            } => self.push(
                op::ST | op::MODE_MEM | op::size_of_width(width),
                reg(base),
                0,
                off,
                imm,
            ),
            MInst::AtomicAdd {
                base,
                off,
                width,
                src,
            } => self.push(
                op::STX | op::MODE_ATOMIC | op::size_of_width(width),
                reg(base),
                reg(src),
                off,
                op::ATOMIC_ADD,
            ),
            MInst::Call { helper, .. } => self.push(op::JMP | op::CALL, 0, 0, 0, helper.id()),
            MInst::CallKfunc { func, .. } => {
                self.ksyms.push(KsymUse {
                    insn: self.insns.len(),
                    name: func.name().to_string(),
                    kind: tracec_meta::KsymKind::Func,
                });
                self.push(op::JMP | op::CALL, 0, op::PSEUDO_KFUNC_CALL, 0, 0);
            }
            MInst::CondSet {
                dst,
                cond,
                lhs,
                rhs,
            } => {
                let mov = op::ALU64 | AluOp::Mov.opcode() | op::SRC_K;
                self.push(mov, reg(dst), 0, 0, 1);
                self.cond_jump(cond, lhs, rhs, 1);
                self.push(mov, reg(dst), 0, 0, 0);
            }
        }
        Ok(())
    }
}
