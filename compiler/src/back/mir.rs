//! Machine IR: BPF instructions over virtual and physical registers.
//!
//! Instruction selection produces it with virtual registers; register allocation
//! rewrites every register to a physical one (`r0`..`r9`, plus the frame pointer
//! `r10`); emission encodes it. ALU instructions are two-address (`dst op= src`)
//! like BPF itself.

use crate::ir::{Cond, CoreAccess, FuncId, GlobalId, Helper, Kfunc, Loc, MapId, Width};
use std::fmt;

/// A register: physical `r0`..`r10` (ids below [`Reg::FIRST_VIRT`]) or virtual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(pub u32);

impl Reg {
    pub const FIRST_VIRT: u32 = 16;
    pub const R0: Reg = Reg(0);
    pub const R1: Reg = Reg(1);
    /// The read-only frame pointer.
    pub const R10: Reg = Reg(10);

    pub fn phys(n: u8) -> Reg {
        debug_assert!(n <= 10);
        Reg(u32::from(n))
    }
    pub fn virt(n: u32) -> Reg {
        Reg(Reg::FIRST_VIRT + n)
    }
    pub fn is_phys(self) -> bool {
        self.0 < Reg::FIRST_VIRT
    }
    /// The physical register number; only meaningful when [`Reg::is_phys`].
    pub fn num(self) -> u8 {
        self.0 as u8
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_phys() {
            write!(f, "r{}", self.0)
        } else {
            write!(f, "%{}", self.0 - Reg::FIRST_VIRT)
        }
    }
}

/// The second operand of an ALU or jump instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Src {
    Reg(Reg),
    /// Sign-extended to 64 bits by the machine.
    Imm(i32),
}

impl Src {
    pub fn reg(self) -> Option<Reg> {
        match self {
            Src::Reg(r) => Some(r),
            Src::Imm(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AluOp {
    Add,
    Sub,
    Mul,
    /// Unsigned; division by zero yields 0.
    Div,
    /// Unsigned; modulo by zero leaves `dst` unchanged.
    Mod,
    Or,
    And,
    Lsh,
    Rsh,
    Arsh,
    Xor,
    Mov,
}

impl AluOp {
    pub fn opcode(self) -> u8 {
        use super::opcode as op;
        match self {
            AluOp::Add => op::ADD,
            AluOp::Sub => op::SUB,
            AluOp::Mul => op::MUL,
            AluOp::Div => op::DIV,
            AluOp::Mod => op::MOD,
            AluOp::Or => op::OR,
            AluOp::And => op::AND,
            AluOp::Lsh => op::LSH,
            AluOp::Rsh => op::RSH,
            AluOp::Arsh => op::ARSH,
            AluOp::Xor => op::XOR,
            AluOp::Mov => op::MOV,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MInst {
    /// `dst op= src` (ALU64); `Mov` is `dst = src`.
    Alu { op: AluOp, dst: Reg, src: Src },
    /// `dst = -dst`.
    Neg { dst: Reg },
    /// `dst = (u32)src`: a 32-bit `mov` (`wdst = wsrc`), which zero-extends into the
    /// upper half. Made by the peephole pass from `dst <<= 32; dst >>= 32`.
    Zext32 { dst: Reg, src: Reg },
    /// `dst = imm` as a two-slot `ld_imm64`.
    LdImm64 { dst: Reg, imm: i64 },
    /// `dst = &map` (`ld_imm64` with a map relocation).
    LdMap { dst: Reg, map: MapId },
    /// `dst = &function` (`ld_imm64` with `BPF_PSEUDO_FUNC`, relocated against the
    /// subprogram's symbol).
    LdFunc { dst: Reg, func: FuncId },
    /// `dst = &kernel variable` (`ld_imm64` with `BPF_PSEUDO_BTF_ID`, id set by the
    /// runtime).
    LdKsym { dst: Reg, name: String },
    /// `dst = &global + offset` (`ld_imm64` with a `.rodata` relocation).
    LdGlobal {
        dst: Reg,
        global: GlobalId,
        offset: i32,
    },
    /// `dst = imm` (`mov64 dst, imm`) with a CO-RE relocation: the loader replaces
    /// `imm`, the value on the kernel the compiler saw, by the running kernel's.
    CoreConst {
        dst: Reg,
        imm: i32,
        access: Box<CoreAccess>,
    },
    /// `dst = *(width *)(base + off)`, zero-extended, with a CO-RE relocation of `off`.
    CoreLoad {
        dst: Reg,
        base: Reg,
        off: i16,
        width: Width,
        access: Box<CoreAccess>,
    },
    /// `dst = *(width *)(base + off)`, zero-extended.
    Load {
        dst: Reg,
        base: Reg,
        off: i16,
        width: Width,
    },
    /// `*(width *)(base + off) = src`.
    Store {
        base: Reg,
        off: i16,
        width: Width,
        src: Reg,
    },
    /// `*(width *)(base + off) = imm` (`BPF_ST`).
    StoreImm {
        base: Reg,
        off: i16,
        width: Width,
        imm: i32,
    },
    /// `lock *(width *)(base + off) += src`.
    AtomicAdd {
        base: Reg,
        off: i16,
        width: Width,
        src: Reg,
    },
    /// Helper call: reads `r1`..`r<nargs>`, writes `r0`, clobbers `r1`..`r5`.
    Call { helper: Helper, nargs: u8 },
    /// Kfunc call (`src = BPF_PSEUDO_KFUNC_CALL`): the registers of a helper call.
    CallKfunc { func: Kfunc, nargs: u8 },
    /// `dst = (lhs cond rhs) ? 1 : 0`, emitted as `dst = 1; if cond goto +1; dst = 0`.
    /// `dst` is written before the operands are read, so it must not share their
    /// registers.
    CondSet {
        dst: Reg,
        cond: Cond,
        lhs: Reg,
        rhs: Src,
    },
}

/// A block terminator. Block indices refer to [`MFunction::blocks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MTerm {
    Jump(usize),
    Branch {
        cond: Cond,
        lhs: Reg,
        rhs: Src,
        then: usize,
        els: usize,
    },
    /// `exit`, returning `r0`.
    Exit,
}

impl MTerm {
    pub fn successors(&self) -> Vec<usize> {
        match self {
            MTerm::Jump(b) => vec![*b],
            MTerm::Branch { then, els, .. } => vec![*then, *els],
            MTerm::Exit => vec![],
        }
    }

    pub fn uses(&self, out: &mut Vec<Reg>) {
        match self {
            MTerm::Jump(_) => {}
            MTerm::Branch { lhs, rhs, .. } => {
                out.push(*lhs);
                out.extend(rhs.reg());
            }
            MTerm::Exit => out.push(Reg::R0),
        }
    }

    pub fn map_regs(&mut self, f: &mut impl FnMut(Reg) -> Reg) {
        if let MTerm::Branch { lhs, rhs, .. } = self {
            *lhs = f(*lhs);
            if let Src::Reg(r) = rhs {
                *r = f(*r);
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MBlock {
    /// Instructions with the source location each came from.
    pub insts: Vec<(MInst, Loc)>,
    pub term: MTerm,
    pub term_loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MFunction {
    pub name: String,
    pub section: String,
    /// Entry block first.
    pub blocks: Vec<MBlock>,
    /// Virtual registers in use are below `Reg::virt(next_vreg)`.
    pub next_vreg: u32,
    /// Bytes of stack used below `r10`, a multiple of 8.
    pub frame_size: u32,
    pub loc: Loc,
}

impl MFunction {
    pub fn new_vreg(&mut self) -> Reg {
        let r = Reg::virt(self.next_vreg);
        self.next_vreg += 1;
        r
    }
}

impl MInst {
    /// `(dst, src)` if this is a register-to-register move.
    pub fn as_move(&self) -> Option<(Reg, Reg)> {
        match self {
            MInst::Alu {
                op: AluOp::Mov,
                dst,
                src: Src::Reg(src),
            } => Some((*dst, *src)),
            _ => None,
        }
    }

    /// Registers written.
    pub fn defs(&self, out: &mut Vec<Reg>) {
        match self {
            MInst::Alu { dst, .. }
            | MInst::Neg { dst }
            | MInst::LdImm64 { dst, .. }
            | MInst::LdMap { dst, .. }
            | MInst::LdGlobal { dst, .. }
            | MInst::LdFunc { dst, .. }
            | MInst::LdKsym { dst, .. }
            | MInst::CoreConst { dst, .. }
            | MInst::CoreLoad { dst, .. }
            | MInst::Load { dst, .. }
            | MInst::CondSet { dst, .. }
            | MInst::Zext32 { dst, .. } => out.push(*dst),
            MInst::Store { .. } | MInst::StoreImm { .. } | MInst::AtomicAdd { .. } => {}
            MInst::Call { .. } | MInst::CallKfunc { .. } => out.extend((0..=5).map(Reg::phys)),
        }
    }

    /// Registers read.
    pub fn uses(&self, out: &mut Vec<Reg>) {
        match self {
            MInst::Alu { op, dst, src } => {
                if *op != AluOp::Mov {
                    out.push(*dst);
                }
                out.extend(src.reg());
            }
            MInst::Neg { dst } => out.push(*dst),
            MInst::Zext32 { src, .. } => out.push(*src),
            MInst::LdImm64 { .. }
            | MInst::LdMap { .. }
            | MInst::LdGlobal { .. }
            | MInst::LdFunc { .. }
            | MInst::LdKsym { .. }
            | MInst::CoreConst { .. } => {}
            MInst::Load { base, .. }
            | MInst::CoreLoad { base, .. }
            | MInst::StoreImm { base, .. } => out.push(*base),
            MInst::Store { base, src, .. } | MInst::AtomicAdd { base, src, .. } => {
                out.push(*base);
                out.push(*src);
            }
            MInst::Call { nargs, .. } | MInst::CallKfunc { nargs, .. } => {
                out.extend((1..=*nargs).map(Reg::phys))
            }
            MInst::CondSet { lhs, rhs, .. } => {
                out.push(*lhs);
                out.extend(rhs.reg());
            }
        }
    }

    /// Whether the defined register is written before the used ones are read.
    pub fn early_clobber(&self) -> bool {
        matches!(self, MInst::CondSet { .. })
    }

    /// Apply `f` to every register operand.
    pub fn map_regs(&mut self, f: &mut impl FnMut(Reg) -> Reg) {
        let src = |s: &mut Src, f: &mut dyn FnMut(Reg) -> Reg| {
            if let Src::Reg(r) = s {
                *r = f(*r);
            }
        };
        match self {
            MInst::Alu { dst, src: s, .. } => {
                *dst = f(*dst);
                src(s, f);
            }
            MInst::Neg { dst }
            | MInst::LdImm64 { dst, .. }
            | MInst::LdMap { dst, .. }
            | MInst::LdGlobal { dst, .. }
            | MInst::LdFunc { dst, .. }
            | MInst::LdKsym { dst, .. }
            | MInst::CoreConst { dst, .. } => *dst = f(*dst),
            MInst::Load { dst, base, .. } | MInst::CoreLoad { dst, base, .. } => {
                *dst = f(*dst);
                *base = f(*base);
            }
            MInst::Zext32 { dst, src } => {
                *dst = f(*dst);
                *src = f(*src);
            }
            MInst::StoreImm { base, .. } => *base = f(*base),
            MInst::Store { base, src, .. } | MInst::AtomicAdd { base, src, .. } => {
                *base = f(*base);
                *src = f(*src);
            }
            MInst::Call { .. } | MInst::CallKfunc { .. } => {}
            MInst::CondSet { dst, lhs, rhs, .. } => {
                *dst = f(*dst);
                *lhs = f(*lhs);
                src(rhs, f);
            }
        }
    }

    /// Encoded size in 8-byte instruction slots.
    pub fn slots(&self) -> usize {
        match self {
            MInst::LdImm64 { .. }
            | MInst::LdMap { .. }
            | MInst::LdGlobal { .. }
            | MInst::LdFunc { .. }
            | MInst::LdKsym { .. } => 2,
            MInst::CondSet { .. } => 3,
            _ => 1,
        }
    }

    /// Slots the kernel may add here after verification (inlined helpers).
    pub fn call_growth(&self) -> usize {
        match self {
            MInst::Call { .. } | MInst::CallKfunc { .. } => super::jumps::CALL_GROWTH,
            _ => 0,
        }
    }
}
