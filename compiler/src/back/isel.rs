//! Instruction selection: IR to [`MFunction`] on virtual registers.
//!
//! IR register `v<n>` becomes virtual register `Reg::virt(n)`; temporaries are
//! numbered after them. Physical registers appear only where BPF fixes them: `r1`
//! (the context) at entry, `r1`..`r5` and `r0` around helper calls, `r0` before `exit`,
//! and `r10` as the base of stack accesses.
//!
//! Stack slots are placed below `r10` in declaration order, each 8-byte aligned (the
//! verifier requires naturally aligned stack accesses, and this lets any 8-byte access
//! at an 8-aligned slot offset through).
//!
//! Signed division and modulo (`SDiv`/`SMod`) are expanded from the unsigned BPF
//! instructions (cpu v4's `sdiv`/`smod` are avoided so that objects load on older
//! kernels): both operands are made absolute, divided unsigned, and the sign fixed up
//! afterwards. The result truncates toward zero like C: `-7 / 2 == -3`, `-7 % 2 == -1`,
//! the remainder takes the sign of the dividend, `i64::MIN / -1 == i64::MIN`. As with
//! BPF's own division, dividing by zero yields 0 and the remainder of a division by
//! zero is the dividend.
//!
//! Shift amounts are taken modulo 64.

use super::mir::{AluOp, MBlock, MFunction, MInst, MTerm, Reg, Src};
use crate::ir::{
    Base, BinOp, Block, Function, Inst, Loc, Operand, Slot, Terminator, UnOp, VReg, Width,
};

/// The BPF stack limit in bytes.
pub const STACK_LIMIT: u32 = 512;

/// Place each slot 8-aligned below the frame pointer; returns each slot's distance
/// below `r10` and the total size.
pub fn slot_layout(f: &Function) -> (Vec<u32>, u32) {
    let mut offsets = Vec::with_capacity(f.slots.len());
    let mut cur: u64 = 0;
    for s in &f.slots {
        cur = (cur + u64::from(s.size)).div_ceil(8) * 8;
        offsets.push(cur.min(u64::from(u32::MAX)) as u32);
    }
    (offsets, cur.min(u64::from(u32::MAX)) as u32)
}

/// Select instructions for `f`.
pub fn select(f: &Function) -> Result<MFunction, String> {
    let (slot_offsets, frame_size) = slot_layout(f);
    if frame_size > STACK_LIMIT {
        return Err(format!(
            "function {}: stack frame of {frame_size} bytes exceeds the BPF limit of {STACK_LIMIT} bytes",
            f.name
        ));
    }
    if f.blocks.is_empty() {
        return Err(format!("function {}: no blocks", f.name));
    }
    let mut s = Selector {
        f,
        slot_offsets,
        out: MFunction {
            name: f.name.clone(),
            section: f.section.clone(),
            blocks: Vec::with_capacity(f.blocks.len()),
            next_vreg: f.vreg_count,
            frame_size,
            loc: f.loc,
        },
        cur: Vec::new(),
        loc: f.loc,
        ctx: None,
        args: [None; 4],
    };
    // Machine block 0 is a prologue that is never a jump target; IR block `i` is
    // machine block `i + 1`. The context arrives in r1: keep it in a register of its
    // own so that `Ctx` is valid anywhere. When unused, the copy coalesces into r1
    // and disappears.
    let ctx = s.out.new_vreg();
    s.ctx = Some(ctx);
    s.push(MInst::Alu {
        op: AluOp::Mov,
        dst: ctx,
        src: Src::Reg(Reg::R1),
    });
    // A subprogram's other arguments (r2..r5), copied only when used: in a program
    // they are not initialised, and the verifier refuses to read them.
    for n in used_args(f) {
        let a = s.out.new_vreg();
        s.args[usize::from(n - 1)] = Some(a);
        s.push(MInst::Alu {
            op: AluOp::Mov,
            dst: a,
            src: Src::Reg(Reg::phys(n + 1)),
        });
    }
    s.out.blocks.push(MBlock {
        insts: std::mem::take(&mut s.cur),
        term: MTerm::Jump(1),
        term_loc: f.loc,
    });
    for b in &f.blocks {
        s.block(b)?;
    }
    Ok(s.out)
}

struct Selector<'a> {
    f: &'a Function,
    slot_offsets: Vec<u32>,
    out: MFunction,
    cur: Vec<(MInst, Loc)>,
    loc: Loc,
    ctx: Option<Reg>,
    /// Where the prologue copied arguments 1..=4 (r2..r5), when used.
    args: [Option<Reg>; 4],
}

/// The argument numbers (1..=4) that [`Inst::Arg`]s of `f` read, in order.
fn used_args(f: &Function) -> Vec<u8> {
    let mut used = [false; 4];
    for b in &f.blocks {
        for i in &b.insts {
            if let Inst::Arg { n: n @ 1..=4, .. } = i {
                used[usize::from(*n - 1)] = true;
            }
        }
    }
    (1..=4).filter(|n| used[usize::from(n - 1)]).collect()
}

fn vr(v: VReg) -> Reg {
    Reg::virt(v.0)
}

fn fits_i32(v: i64) -> bool {
    i32::try_from(v).is_ok()
}

impl Selector<'_> {
    fn err(&self, msg: impl std::fmt::Display) -> String {
        format!("function {}: {msg}", self.f.name)
    }

    fn push(&mut self, i: MInst) {
        self.cur.push((i, self.loc));
    }

    fn temp(&mut self) -> Reg {
        self.out.new_vreg()
    }

    fn check_vreg(&self, v: VReg) -> Result<Reg, String> {
        if v.0 >= self.f.vreg_count {
            return Err(self.err(format_args!(
                "register v{} out of range (vreg_count {})",
                v.0, self.f.vreg_count
            )));
        }
        Ok(vr(v))
    }

    fn mov(&mut self, dst: Reg, src: Src) {
        if src != Src::Reg(dst) {
            self.push(MInst::Alu {
                op: AluOp::Mov,
                dst,
                src,
            });
        }
    }

    fn alu(&mut self, op: AluOp, dst: Reg, src: Src) {
        self.push(MInst::Alu { op, dst, src });
    }

    /// `dst = imm`, as a `mov` when it fits in 32 bits.
    fn load_imm(&mut self, dst: Reg, imm: i64) {
        match i32::try_from(imm) {
            Ok(i) => self.mov(dst, Src::Imm(i)),
            Err(_) => self.push(MInst::LdImm64 { dst, imm }),
        }
    }

    /// An operand usable as the source of an ALU or jump instruction.
    fn src(&mut self, o: Operand) -> Result<Src, String> {
        Ok(match o {
            Operand::Reg(v) => Src::Reg(self.check_vreg(v)?),
            Operand::Imm(i) if fits_i32(i) => Src::Imm(i as i32),
            Operand::Imm(i) => {
                let t = self.temp();
                self.push(MInst::LdImm64 { dst: t, imm: i });
                Src::Reg(t)
            }
        })
    }

    /// An operand in a register.
    fn reg(&mut self, o: Operand) -> Result<Reg, String> {
        match o {
            Operand::Reg(v) => self.check_vreg(v),
            Operand::Imm(i) => {
                let t = self.temp();
                self.load_imm(t, i);
                Ok(t)
            }
        }
    }

    fn slot_off(&self, slot: Slot, offset: i32, len: u32) -> Result<i16, String> {
        let def = self
            .f
            .slots
            .get(slot.0 as usize)
            .ok_or_else(|| self.err(format_args!("no slot s{}", slot.0)))?;
        if offset < 0 || i64::from(offset) + i64::from(len) > i64::from(def.size) {
            return Err(self.err(format_args!(
                "access of {len} bytes at offset {offset} is outside slot s{} of {} bytes",
                slot.0, def.size
            )));
        }
        let off = i64::from(offset) - i64::from(self.slot_offsets[slot.0 as usize]);
        i16::try_from(off).map_err(|_| self.err("stack offset out of range"))
    }

    /// Base register and 16-bit offset of a memory access.
    fn addr(&self, base: Base, offset: i32, len: u32) -> Result<(Reg, i16), String> {
        match base {
            Base::Slot(s) => Ok((Reg::R10, self.slot_off(s, offset, len)?)),
            Base::Reg(v) => {
                let off = i16::try_from(offset).map_err(|_| {
                    self.err(format_args!(
                        "memory offset {offset} does not fit in 16 bits"
                    ))
                })?;
                Ok((self.check_vreg(v)?, off))
            }
        }
    }

    fn check_block(&self, b: crate::ir::BlockId) -> Result<usize, String> {
        if (b.0 as usize) < self.f.blocks.len() {
            Ok(b.0 as usize + 1)
        } else {
            Err(self.err(format_args!("no block bb{}", b.0)))
        }
    }

    fn block(&mut self, b: &Block) -> Result<(), String> {
        for (i, inst) in b.insts.iter().enumerate() {
            self.loc = b.locs.get(i).copied().unwrap_or(self.loc);
            self.inst(inst)?;
        }
        self.loc = b.term_loc;
        let term = match &b.term {
            Terminator::Jump(t) => MTerm::Jump(self.check_block(*t)?),
            Terminator::Branch {
                cond,
                lhs,
                rhs,
                then,
                els,
            } => MTerm::Branch {
                cond: *cond,
                lhs: self.check_vreg(*lhs)?,
                rhs: self.src(*rhs)?,
                then: self.check_block(*then)?,
                els: self.check_block(*els)?,
            },
            Terminator::Return(v) => {
                match *v {
                    Operand::Reg(v) => {
                        let r = self.check_vreg(v)?;
                        self.mov(Reg::R0, Src::Reg(r));
                    }
                    Operand::Imm(i) => self.load_imm(Reg::R0, i),
                }
                MTerm::Exit
            }
        };
        let insts = std::mem::take(&mut self.cur);
        self.out.blocks.push(MBlock {
            insts,
            term,
            term_loc: b.term_loc,
        });
        Ok(())
    }

    fn inst(&mut self, inst: &Inst) -> Result<(), String> {
        match inst {
            Inst::Ctx { dst } => {
                let d = self.check_vreg(*dst)?;
                let ctx = self.ctx.unwrap_or(Reg::R1);
                self.mov(d, Src::Reg(ctx));
            }
            Inst::Arg { dst, n } => {
                let d = self.check_vreg(*dst)?;
                let a = match n {
                    0 => self.ctx,
                    1..=4 => self.args[usize::from(n - 1)],
                    _ => None,
                }
                .ok_or_else(|| self.err(format_args!("argument {n} out of range (0 to 4)")))?;
                self.mov(d, Src::Reg(a));
            }
            Inst::FuncAddr { dst, func } => {
                let d = self.check_vreg(*dst)?;
                self.push(MInst::LdFunc {
                    dst: d,
                    func: *func,
                });
            }
            Inst::KsymAddr { dst, name } => {
                let d = self.check_vreg(*dst)?;
                self.push(MInst::LdKsym {
                    dst: d,
                    name: name.clone(),
                });
            }
            Inst::Mov { dst, src } => {
                let d = self.check_vreg(*dst)?;
                match *src {
                    Operand::Imm(i) => self.load_imm(d, i),
                    Operand::Reg(v) => {
                        let s = self.check_vreg(v)?;
                        self.mov(d, Src::Reg(s));
                    }
                }
            }
            Inst::Unary { dst, op, src } => {
                let d = self.check_vreg(*dst)?;
                let s = self.check_vreg(*src)?;
                self.mov(d, Src::Reg(s));
                match op {
                    UnOp::Neg => self.push(MInst::Neg { dst: d }),
                    UnOp::Not => self.alu(AluOp::Xor, d, Src::Imm(-1)),
                }
            }
            Inst::Binary { dst, op, lhs, rhs } => self.binary(*dst, *op, *lhs, *rhs)?,
            Inst::Cmp {
                dst,
                cond,
                lhs,
                rhs,
            } => {
                let d = self.check_vreg(*dst)?;
                let l = self.check_vreg(*lhs)?;
                let r = self.src(*rhs)?;
                // dst is written before the comparison reads its operands.
                let clash = d == l || r == Src::Reg(d);
                let t = if clash { self.temp() } else { d };
                self.push(MInst::CondSet {
                    dst: t,
                    cond: *cond,
                    lhs: l,
                    rhs: r,
                });
                if clash {
                    self.mov(d, Src::Reg(t));
                }
            }
            Inst::Load {
                dst,
                base,
                offset,
                width,
                signed,
            } => {
                let d = self.check_vreg(*dst)?;
                let (b, off) = self.addr(*base, *offset, width.bytes())?;
                self.push(MInst::Load {
                    dst: d,
                    base: b,
                    off,
                    width: *width,
                });
                if *signed && *width != Width::B8 {
                    let sh = 64 - 8 * width.bytes() as i32;
                    self.alu(AluOp::Lsh, d, Src::Imm(sh));
                    self.alu(AluOp::Arsh, d, Src::Imm(sh));
                }
            }
            Inst::Store {
                base,
                offset,
                width,
                value,
            } => {
                let (b, off) = self.addr(*base, *offset, width.bytes())?;
                let imm = match (*value, width) {
                    (Operand::Imm(i), Width::B8) => i32::try_from(i).ok(),
                    // Only the low bytes are stored.
                    (Operand::Imm(i), _) => Some(i as i32),
                    (Operand::Reg(_), _) => None,
                };
                match imm {
                    Some(imm) => self.push(MInst::StoreImm {
                        base: b,
                        off,
                        width: *width,
                        imm,
                    }),
                    None => {
                        let src = self.reg(*value)?;
                        self.push(MInst::Store {
                            base: b,
                            off,
                            width: *width,
                            src,
                        });
                    }
                }
            }
            Inst::Zero { slot, offset, len } => {
                let start = self.slot_off(*slot, *offset, *len)?;
                let mut i = 0u32;
                while i < *len {
                    let at = i32::from(start) + i as i32;
                    let w = chunk_width(&[at], *len - i);
                    self.push(MInst::StoreImm {
                        base: Reg::R10,
                        off: at as i16,
                        width: w,
                        imm: 0,
                    });
                    i += w.bytes();
                }
            }
            Inst::Copy {
                dst,
                dst_offset,
                src,
                src_offset,
                len,
            } => {
                let (db, doff) = self.addr(*dst, *dst_offset, *len)?;
                let (sb, soff) = self.addr(*src, *src_offset, *len)?;
                // Memory behind register bases (map values, ringbuf records) is
                // 8-aligned, like the stack slots.
                let (dend, send) = (i32::from(doff) + *len as i32, i32::from(soff) + *len as i32);
                if i16::try_from(dend).is_err() || i16::try_from(send).is_err() {
                    return Err(self.err("copy offset out of range"));
                }
                let t = self.temp();
                let mut i = 0u32;
                while i < *len {
                    let d = i32::from(doff) + i as i32;
                    let s = i32::from(soff) + i as i32;
                    let w = chunk_width(&[d, s], *len - i);
                    self.push(MInst::Load {
                        dst: t,
                        base: sb,
                        off: s as i16,
                        width: w,
                    });
                    self.push(MInst::Store {
                        base: db,
                        off: d as i16,
                        width: w,
                        src: t,
                    });
                    i += w.bytes();
                }
            }
            Inst::SlotAddr { dst, slot, offset } => {
                let d = self.check_vreg(*dst)?;
                let off = self.slot_off(*slot, *offset, 0)?;
                self.mov(d, Src::Reg(Reg::R10));
                self.alu(AluOp::Add, d, Src::Imm(i32::from(off)));
            }
            Inst::MapAddr { dst, map } => {
                let d = self.check_vreg(*dst)?;
                self.push(MInst::LdMap { dst: d, map: *map });
            }
            Inst::GlobalAddr {
                dst,
                global,
                offset,
            } => {
                let d = self.check_vreg(*dst)?;
                self.push(MInst::LdGlobal {
                    dst: d,
                    global: *global,
                    offset: *offset,
                });
            }
            Inst::CoreLoad {
                dst,
                base,
                width,
                signed,
                access,
            } => {
                let d = self.check_vreg(*dst)?;
                let b = self.check_vreg(*base)?;
                let off = i16::try_from(access.local_value()).map_err(|_| {
                    self.err(format_args!("relocated load offset of {access} too large"))
                })?;
                self.push(MInst::CoreLoad {
                    dst: d,
                    base: b,
                    off,
                    width: *width,
                    access: access.clone(),
                });
                if *signed && *width != Width::B8 {
                    let sh = 64 - 8 * width.bytes() as i32;
                    self.alu(AluOp::Lsh, d, Src::Imm(sh));
                    self.alu(AluOp::Arsh, d, Src::Imm(sh));
                }
            }
            Inst::CoreConst { dst, access } => {
                let d = self.check_vreg(*dst)?;
                let imm = i32::try_from(access.local_value()).map_err(|_| {
                    self.err(format_args!("relocated constant of {access} too large"))
                })?;
                self.push(MInst::CoreConst {
                    dst: d,
                    imm,
                    access: access.clone(),
                });
            }
            Inst::AtomicAdd {
                base,
                offset,
                width,
                value,
            } => {
                if !matches!(width, Width::B4 | Width::B8) {
                    return Err(self.err("atomic add must be 4 or 8 bytes wide"));
                }
                let (b, off) = self.addr(*base, *offset, width.bytes())?;
                let src = self.check_vreg(*value)?;
                self.push(MInst::AtomicAdd {
                    base: b,
                    off,
                    width: *width,
                    src,
                });
            }
            Inst::Call { dst, helper, args } => {
                self.call_args(helper.name(), args)?;
                self.push(MInst::Call {
                    helper: *helper,
                    nargs: args.len() as u8,
                });
                self.call_result(*dst)?;
            }
            Inst::CallKfunc { dst, func, args } => {
                self.call_args(func.name(), args)?;
                self.push(MInst::CallKfunc {
                    func: *func,
                    nargs: args.len() as u8,
                });
                self.call_result(*dst)?;
            }
        }
        Ok(())
    }

    /// Move a call's arguments into `r1`..`r5`.
    fn call_args(&mut self, name: &str, args: &[Operand]) -> Result<(), String> {
        if args.len() > 5 {
            return Err(self.err(format_args!(
                "call of {name} with {} arguments (at most 5)",
                args.len()
            )));
        }
        for (i, a) in args.iter().enumerate() {
            let r = Reg::phys(i as u8 + 1);
            match *a {
                Operand::Reg(v) => {
                    let s = self.check_vreg(v)?;
                    self.mov(r, Src::Reg(s));
                }
                Operand::Imm(imm) => self.load_imm(r, imm),
            }
        }
        Ok(())
    }

    /// Copy a call's `r0` into `dst`, when it is used.
    fn call_result(&mut self, dst: Option<VReg>) -> Result<(), String> {
        if let Some(d) = dst {
            let d = self.check_vreg(d)?;
            self.mov(d, Src::Reg(Reg::R0));
        }
        Ok(())
    }

    fn binary(&mut self, dst: VReg, op: BinOp, lhs: VReg, rhs: Operand) -> Result<(), String> {
        let d = self.check_vreg(dst)?;
        let l = self.check_vreg(lhs)?;
        let aop = match op {
            BinOp::Add => AluOp::Add,
            BinOp::Sub => AluOp::Sub,
            BinOp::Mul => AluOp::Mul,
            BinOp::UDiv => AluOp::Div,
            BinOp::UMod => AluOp::Mod,
            BinOp::And => AluOp::And,
            BinOp::Or => AluOp::Or,
            BinOp::Xor => AluOp::Xor,
            BinOp::Shl => AluOp::Lsh,
            BinOp::LShr => AluOp::Rsh,
            BinOp::AShr => AluOp::Arsh,
            BinOp::SDiv | BinOp::SMod => return self.signed_div(d, op == BinOp::SMod, l, rhs),
        };
        let src = match (aop, rhs) {
            // The verifier rejects a constant zero divisor; fold it instead.
            (AluOp::Div, Operand::Imm(0)) => {
                self.mov(d, Src::Imm(0));
                return Ok(());
            }
            (AluOp::Mod, Operand::Imm(0)) => {
                self.mov(d, Src::Reg(l));
                return Ok(());
            }
            (AluOp::Div | AluOp::Mod, Operand::Imm(i))
                if !(1..=i64::from(i32::MAX)).contains(&i) =>
            {
                Src::Reg(self.reg(rhs)?)
            }
            (AluOp::Lsh | AluOp::Rsh | AluOp::Arsh, Operand::Imm(i)) => Src::Imm((i & 63) as i32),
            _ => self.src(rhs)?,
        };
        if src == Src::Reg(d) && l != d {
            // `d = l op d`: compute in a temporary so that d is not overwritten first.
            let t = self.temp();
            self.mov(t, Src::Reg(l));
            self.alu(aop, t, src);
            self.mov(d, Src::Reg(t));
        } else {
            self.mov(d, Src::Reg(l));
            self.alu(aop, d, src);
        }
        Ok(())
    }

    /// Signed division/modulo from unsigned instructions (see the module docs).
    fn signed_div(&mut self, d: Reg, modulo: bool, l: Reg, rhs: Operand) -> Result<(), String> {
        let op = if modulo { AluOp::Mod } else { AluOp::Div };
        // sa = sign mask of l (0 or -1); ua = |l|.
        let sa = self.temp();
        let ua = self.temp();
        self.mov(sa, Src::Reg(l));
        self.alu(AluOp::Arsh, sa, Src::Imm(63));
        self.mov(ua, Src::Reg(l));
        self.alu(AluOp::Xor, ua, Src::Reg(sa));
        self.alu(AluOp::Sub, ua, Src::Reg(sa));
        // The sign mask of the result.
        let sign = match rhs {
            Operand::Imm(i) if (1..=i64::from(i32::MAX)).contains(&i) => {
                self.alu(op, ua, Src::Imm(i as i32));
                sa
            }
            _ => {
                let b = self.reg(rhs)?;
                let sb = self.temp();
                let ub = self.temp();
                self.mov(sb, Src::Reg(b));
                self.alu(AluOp::Arsh, sb, Src::Imm(63));
                self.mov(ub, Src::Reg(b));
                self.alu(AluOp::Xor, ub, Src::Reg(sb));
                self.alu(AluOp::Sub, ub, Src::Reg(sb));
                self.alu(op, ua, Src::Reg(ub));
                if !modulo {
                    // The quotient is negative when exactly one operand is.
                    self.alu(AluOp::Xor, sa, Src::Reg(sb));
                }
                sa
            }
        };
        // ua = sign ? -ua : ua
        self.alu(AluOp::Xor, ua, Src::Reg(sign));
        self.alu(AluOp::Sub, ua, Src::Reg(sign));
        self.mov(d, Src::Reg(ua));
        Ok(())
    }
}

/// The widest access of at most `left` bytes aligned at every offset of `at`.
fn chunk_width(at: &[i32], left: u32) -> Width {
    for w in [Width::B8, Width::B4, Width::B2] {
        let n = w.bytes();
        if left >= n && at.iter().all(|a| a.rem_euclid(n as i32) == 0) {
            return w;
        }
    }
    Width::B1
}
