//! Lowering expressions: integers into registers, strings into memory.

use super::Lower;
use crate::ir::{Base, BinOp, Cond, Helper, Operand, UnOp, VReg, Width};
use crate::sema::types::*;

/// A string in memory, zero-padded to `size` bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mem {
    pub base: Base,
    pub offset: i32,
    pub size: u32,
}

/// A string value.
#[derive(Debug, Clone)]
pub(crate) enum StrVal {
    Mem(Mem),
    /// A literal, never materialized unless needed.
    Lit(Vec<u8>),
}

impl StrVal {
    /// The value as `size` bytes at most: a temporary may be rounded up past the
    /// bytes its value fills (and zeroes), as a tuple's is.
    pub(crate) fn within(self, size: u32) -> StrVal {
        match self {
            StrVal::Mem(m) => StrVal::Mem(Mem {
                size: m.size.min(size),
                ..m
            }),
            lit => lit,
        }
    }

    fn size(&self) -> u32 {
        match self {
            StrVal::Mem(m) => m.size,
            StrVal::Lit(b) => b.len() as u32 + 1,
        }
    }
}

/// The widest access (8, 4, 2, 1) at `off` that stays below `limit` and is aligned.
fn piece(off: u32, limit: u32) -> u32 {
    [8, 4, 2, 1]
        .into_iter()
        .find(|w| off.is_multiple_of(*w) && off + w <= limit)
        .unwrap_or(1)
}

fn width(n: u32) -> Width {
    Width::from_bytes(n).unwrap_or(Width::B1)
}

/// Little-endian value of `bytes[off..off+w]`, zero beyond the end.
fn chunk(bytes: &[u8], off: u32, w: u32) -> i64 {
    let mut v: u64 = 0;
    for i in 0..w {
        let b = bytes.get((off + i) as usize).copied().unwrap_or(0);
        v |= u64::from(b) << (8 * i);
    }
    v as i64
}

impl Lower<'_, '_> {
    /// An integer or pointer expression.
    pub(crate) fn int(&mut self, e: &TExpr) -> Operand {
        self.at(e.span);
        match &e.kind {
            TExprKind::Int(v) => Operand::Imm(*v),
            TExprKind::Block { stmts, value } => {
                self.stmts(stmts);
                self.int(value)
            }
            TExprKind::Builtin(b) => Operand::Reg(self.builtin(*b)),
            TExprKind::Param(p) if !e.ty.is_str() => self.param_int(*p, e.ty),
            TExprKind::Var(v) => match self.vars.get(v.0 as usize) {
                Some(super::VarLoc::Reg(r)) => Operand::Reg(*r),
                _ => Operand::Imm(0),
            },
            TExprKind::TpField {
                offset,
                size,
                signed,
            } => {
                let ctx = self.ctx();
                Operand::Reg(self.b.load(ctx, *offset as i32, width(*size), *signed))
            }
            TExprKind::MapRead { map, keys } => {
                Operand::Reg(self.map_read_int_at(*map, keys, Some(e.span)))
            }
            TExprKind::UsdtArg { index } => Operand::Reg(self.usdt_arg(*index)),
            TExprKind::AddrOf(v) => Operand::Reg(self.addr_of(*v)),
            TExprKind::Deref {
                ptr,
                size,
                signed,
                user,
            } => Operand::Reg(self.deref(ptr, *size, *signed, *user)),
            TExprKind::TpFieldCore {
                size,
                signed,
                access,
            } => Operand::Reg(self.tp_field_core(*size, *signed, access)),
            TExprKind::CoreValue { access } => Operand::Reg(self.core_value(access)),
            TExprKind::KernelField { ptr, access, read } => match read {
                KernelRead::Int { size, signed } => {
                    Operand::Reg(self.kernel_field_int(ptr, access, *size, *signed, true))
                }
                KernelRead::Ptr => {
                    Operand::Reg(self.kernel_field_int(ptr, access, 8, false, false))
                }
                // A string; only reachable through an (impossible) integer use.
                KernelRead::Chars { .. } => Operand::Imm(0),
            },
            TExprKind::Unary { op, expr } => {
                let v = self.int(expr);
                let r = self.reg(v);
                Operand::Reg(match op {
                    UnaryOp::Neg => self.b.unary(UnOp::Neg, r),
                    UnaryOp::BitNot => self.b.unary(UnOp::Not, r),
                    UnaryOp::LogNot => self.b.cmp(Cond::Eq, r, Operand::Imm(0)),
                })
            }
            TExprKind::Arith { op, lhs, rhs } => {
                let l = self.int(lhs);
                let r = self.int(rhs);
                let l = self.reg(l);
                let op = match op {
                    Arith::Add => BinOp::Add,
                    Arith::Sub => BinOp::Sub,
                    Arith::Mul => BinOp::Mul,
                    Arith::Div { signed: true } => BinOp::SDiv,
                    Arith::Div { signed: false } => BinOp::UDiv,
                    Arith::Mod { signed: true } => BinOp::SMod,
                    Arith::Mod { signed: false } => BinOp::UMod,
                    Arith::And => BinOp::And,
                    Arith::Or => BinOp::Or,
                    Arith::Xor => BinOp::Xor,
                    Arith::Shl => BinOp::Shl,
                    Arith::Shr { signed: true } => BinOp::AShr,
                    Arith::Shr { signed: false } => BinOp::LShr,
                };
                Operand::Reg(self.b.binary(op, l, r))
            }
            TExprKind::Cmp { .. }
            | TExprKind::StrEq { .. }
            | TExprKind::ArrayEq { .. }
            | TExprKind::TupleEq { .. }
            | TExprKind::Logic { .. } => {
                // Materialize 0/1 through the branch form.
                let r = self.b.new_vreg();
                let t = self.b.new_block();
                let f = self.b.new_block();
                let done = self.b.new_block();
                self.cond_branch(e, t, f);
                self.b.switch_to(t);
                self.b.mov(r, Operand::Imm(1));
                self.b.jump(done);
                self.b.switch_to(f);
                self.b.mov(r, Operand::Imm(0));
                self.b.jump(done);
                self.b.switch_to(done);
                Operand::Reg(r)
            }
            TExprKind::Ternary { cond, then, els } => {
                let r = self.b.new_vreg();
                let t = self.b.new_block();
                let f = self.b.new_block();
                let done = self.b.new_block();
                self.cond_branch(cond, t, f);
                self.b.switch_to(t);
                let v = self.int(then);
                self.b.mov(r, v);
                self.b.jump(done);
                self.b.switch_to(f);
                let v = self.int(els);
                self.b.mov(r, v);
                self.b.jump(done);
                self.b.switch_to(done);
                Operand::Reg(r)
            }
            TExprKind::Bswap { expr, bytes } => Operand::Reg(self.bswap(expr, *bytes)),
            TExprKind::StrNcmp { lhs, rhs, n } => Operand::Reg(self.strncmp(lhs, rhs, *n)),
            TExprKind::ArrayBits {
                array,
                size,
                signed,
            } => self.array_bits(array, *size, *signed),
            TExprKind::BufEq { negate, lhs, rhs } => Operand::Reg(self.buf_eq(lhs, rhs, *negate)),
            TExprKind::StrNcmpParam { lhs, rhs, n } => {
                Operand::Reg(self.strncmp_param(lhs, rhs, n))
            }
            TExprKind::StrContains { hay, needle } => Operand::Reg(self.strcontains(hay, needle)),
            TExprKind::StrLen(s) => Operand::Reg(self.strlen(s)),
            TExprKind::Stdlib(x) => self.stdlib_int(x),
            TExprKind::StrIndex { base, index } => self.str_index(base, index),
            TExprKind::DivChecked { op, lhs, rhs, warn } => {
                Operand::Reg(self.div_checked(*op, lhs, rhs, *warn))
            }
            TExprKind::DeleteElem { map, keys } => Operand::Reg(self.map_delete_value(*map, keys)),
            TExprKind::TupleGet { base, index } => self.tuple_get_int(base, *index),
            TExprKind::FieldAddr { ptr, access } => Operand::Reg(self.field_addr(ptr, access)),
            TExprKind::IndexWarn { index, len, warn } => {
                Operand::Reg(self.index_warn(index, *len, *warn))
            }
            TExprKind::ArrayElem { base, index, warn } => {
                Operand::Reg(self.array_elem(base, index, *warn))
            }
            // A tuple is never an integer; sema does not let one through.
            TExprKind::Tuple(_)
            | TExprKind::Stack(_)
            | TExprKind::Sym { .. }
            | TExprKind::FmtValue(_)
            | TExprKind::DerefMem { .. }
            | TExprKind::StructValue { .. } => Operand::Imm(0),
            TExprKind::SymbolAddr(i) => Operand::Reg(self.symbol_addr(*i)),
            TExprKind::PercpuKaddr { name, cpu } => {
                Operand::Reg(self.percpu_kaddr(name, cpu.as_deref()))
            }
            TExprKind::HasKey { map, keys } => Operand::Reg(self.has_key(*map, keys)),
            TExprKind::MapLen(map) => Operand::Reg(self.map_len(*map)),
            TExprKind::StackLen(s) => Operand::Reg(self.stack_len(*s)),
            // Strings never reach here after checking; keep lowering total anyway.
            TExprKind::Str(_)
            | TExprKind::Param(_)
            | TExprKind::NameStr(_)
            | TExprKind::TpCharArray { .. }
            | TExprKind::TpCharArrayCore { .. }
            | TExprKind::TpDataLoc { .. }
            | TExprKind::StrCall { .. } => Operand::Imm(0),
        }
    }

    /// An operand in a register.
    pub(crate) fn reg(&mut self, o: Operand) -> VReg {
        match o {
            Operand::Reg(r) => r,
            Operand::Imm(v) => self.b.imm(v),
        }
    }

    /// Branch to `then` if `e` is true (non-zero), else to `els`.
    pub(crate) fn cond_branch(
        &mut self,
        e: &TExpr,
        then: crate::ir::BlockId,
        els: crate::ir::BlockId,
    ) {
        self.at(e.span);
        match &e.kind {
            TExprKind::Int(v) => self.b.jump(if *v != 0 { then } else { els }),
            TExprKind::Cmp { cond, lhs, rhs } => {
                let l = self.int(lhs);
                let r = self.int(rhs);
                let l = self.reg(l);
                self.b.branch(*cond, l, r, then, els);
            }
            TExprKind::Unary {
                op: UnaryOp::LogNot,
                expr,
            } => self.cond_branch(expr, els, then),
            TExprKind::Logic { and, lhs, rhs } => {
                let mid = self.b.new_block();
                if *and {
                    self.cond_branch(lhs, mid, els);
                } else {
                    self.cond_branch(lhs, then, mid);
                }
                self.b.switch_to(mid);
                self.cond_branch(rhs, then, els);
            }
            TExprKind::StrEq { negate, lhs, rhs } => {
                let (t, f) = if *negate { (els, then) } else { (then, els) };
                let a = self.str_val(lhs);
                let b = self.str_val(rhs);
                self.str_eq(&a, &b, t, f);
            }
            TExprKind::ArrayEq { negate, lhs, rhs } => {
                let (t, f) = if *negate { (els, then) } else { (then, els) };
                let a = self.str_val(lhs).within(lhs.ty.storage_size());
                let b = self.str_val(rhs).within(rhs.ty.storage_size());
                self.str_eq(&a, &b, t, f);
            }
            TExprKind::TupleEq {
                negate,
                lhs,
                rhs,
                ty,
            } => {
                let (t, f) = if *negate { (els, then) } else { (then, els) };
                let a = self.tuple_as(lhs, *ty);
                let b = self.tuple_as(rhs, *ty);
                self.str_eq(&a, &b, t, f);
            }
            _ => {
                let v = self.int(e);
                let r = self.reg(v);
                self.b.branch(Cond::Ne, r, Operand::Imm(0), then, els);
            }
        }
    }

    /// Compare two strings piece by piece; bytes past a string's size count as 0.
    fn str_eq(&mut self, a: &StrVal, b: &StrVal, eq: crate::ir::BlockId, ne: crate::ir::BlockId) {
        let n = a.size().max(b.size());
        let mut off = 0;
        while off < n {
            // A piece must stay inside each buffer it reads and be aligned there.
            let mut w = piece(off, n);
            for s in [a, b] {
                if let StrVal::Mem(m) = s {
                    if off < m.size {
                        let start = m.offset as u32 + off;
                        w = w.min(piece(start, m.offset as u32 + m.size));
                    }
                }
            }
            let va = self.str_piece(a, off, w);
            let vb = self.str_piece(b, off, w);
            let next = self.b.new_block();
            let la = self.reg(va);
            self.b.branch(Cond::Ne, la, vb, ne, next);
            self.b.switch_to(next);
            off += w;
        }
        self.b.jump(eq);
    }

    pub(crate) fn str_piece(&mut self, s: &StrVal, off: u32, w: u32) -> Operand {
        match s {
            StrVal::Lit(bytes) => Operand::Imm(chunk(bytes, off, w)),
            StrVal::Mem(m) if off < m.size => {
                Operand::Reg(self.b.load(m.base, m.offset + off as i32, width(w), false))
            }
            StrVal::Mem(_) => Operand::Imm(0),
        }
    }

    /// A string expression as a value in memory (or a literal).
    pub(crate) fn str_val(&mut self, e: &TExpr) -> StrVal {
        self.at(e.span);
        let size = e.ty.storage_size();
        match &e.kind {
            TExprKind::Str(s) => StrVal::Lit(s.as_bytes().to_vec()),
            TExprKind::TupleGet { base, index } => self.tuple_get_mem(base, *index),
            TExprKind::Var(v) => match self.vars.get(v.0 as usize) {
                Some(super::VarLoc::Str { slot, size }) => StrVal::Mem(Mem {
                    base: Base::Slot(*slot),
                    offset: 0,
                    size: *size,
                }),
                _ => StrVal::Lit(Vec::new()),
            },
            TExprKind::TpCharArray { offset, len } => StrVal::Mem(Mem {
                base: self.ctx(),
                offset: *offset as i32,
                size: *len,
            }),
            TExprKind::MapRead { map, keys } => {
                StrVal::Mem(self.map_read_str(*map, keys, size, Some(e.span)))
            }
            TExprKind::StructValue {
                ptr,
                user,
                size,
                members,
            } => match e.ty {
                Type::Tuple(t) => StrVal::Mem(self.struct_value(ptr, *user, *size, members, t)),
                _ => StrVal::Lit(Vec::new()),
            },
            TExprKind::DerefMem { ptr, size, user } => {
                StrVal::Mem(self.deref_mem(ptr, *size, *user))
            }
            TExprKind::Param(p) if e.ty.is_str() => self.param_str(*p),
            TExprKind::NameStr(ns) => self.name_str(ns),
            TExprKind::Block { stmts, value } => {
                self.stmts(stmts);
                self.str_val(value)
            }
            _ => {
                // Everything else is produced into a fresh zeroed temporary.
                let slot = self.b.temp_slot(size);
                let m = Mem {
                    base: Base::Slot(slot),
                    offset: 0,
                    size: align8(size),
                };
                self.str_into(e, m, true);
                StrVal::Mem(m)
            }
        }
    }

    /// Write string `e` into `dst`, zero-padded to `dst.size` if `pad` (otherwise only
    /// up to its terminating NUL is guaranteed, enough for ringbuf records).
    pub(crate) fn str_into(&mut self, e: &TExpr, dst: Mem, pad: bool) {
        self.at(e.span);
        if let Type::Tuple(t) = e.ty {
            return self.tuple_into(e, dst, t);
        }
        if let TExprKind::Stack(s) = &e.kind {
            return self.stack_into(*s, dst);
        }
        if let TExprKind::Sym { user, addr } = &e.kind {
            return self.sym_into(*user, addr, dst);
        }
        if let TExprKind::FmtValue(f) = &e.kind {
            return self.fmt_into(f, dst);
        }
        match &e.kind {
            TExprKind::Builtin(Builtin::Comm) => {
                let n = COMM_SIZE.min(dst.size);
                let p = self.addr(dst.base, dst.offset);
                self.b.call_void(
                    Helper::GetCurrentComm,
                    vec![Operand::Reg(p), Operand::Imm(n as i64)],
                );
                if pad {
                    self.zero_mem(dst.base, dst.offset + n as i32, dst.size - n);
                }
            }
            TExprKind::StrCall { ptr, len, user } => {
                if pad {
                    self.zero_mem(dst.base, dst.offset, dst.size);
                }
                let src = self.int(ptr);
                let max = self.m.checked.config.max_strlen;
                if len.is_none() {
                    let n = dst.size.min(max);
                    self.read_str_keeping_trunc(src, *user, &dst, n);
                    return;
                }
                let n = self.str_len(len.as_deref(), dst.size.min(max));
                let p = self.addr(dst.base, dst.offset);
                let h = if *user {
                    Helper::ProbeReadUserStr
                } else {
                    Helper::ProbeReadKernelStr
                };
                self.b.call_void(h, vec![Operand::Reg(p), n, src]);
            }
            TExprKind::KernelField {
                ptr,
                access,
                read: KernelRead::Chars { len },
            } => self.kernel_field_chars(ptr, access, *len, dst, pad),
            TExprKind::TpCharArrayCore { len, access } => {
                self.tp_chars_core(access, *len, dst, pad)
            }
            TExprKind::TpDataLoc { offset } => {
                if pad {
                    self.zero_mem(dst.base, dst.offset, dst.size);
                }
                let ctx = self.ctx();
                let loc = self.b.load(ctx, *offset as i32, Width::B4, false);
                let off = self.b.binary(BinOp::And, loc, Operand::Imm(0xffff));
                let src = self.b.binary(BinOp::Add, off, Operand::Reg(self.b.ctx()));
                let n = dst.size.min(self.m.checked.config.max_strlen);
                self.read_str_keeping_trunc(Operand::Reg(src), false, &dst, n);
            }
            TExprKind::Ternary { cond, then, els } => {
                let t = self.b.new_block();
                let f = self.b.new_block();
                let done = self.b.new_block();
                self.cond_branch(cond, t, f);
                self.b.switch_to(t);
                self.str_into(then, dst, pad);
                self.b.jump(done);
                self.b.switch_to(f);
                self.str_into(els, dst, pad);
                self.b.jump(done);
                self.b.switch_to(done);
            }
            TExprKind::Stdlib(x) => self.stdlib_str_into(x, dst, pad),
            TExprKind::Tuple(bytes) => self.bytes_into(bytes, dst),
            _ => {
                let v = self.str_val(e);
                self.write_str(&v, dst);
            }
        }
    }

    /// The size operand of `str(p, len)`: `min(len, max)`.
    pub(crate) fn str_len(&mut self, len: Option<&TExpr>, max: u32) -> Operand {
        let Some(len) = len else {
            return Operand::Imm(max as i64);
        };
        match self.int(len) {
            Operand::Imm(v) => Operand::Imm(v.clamp(0, max as i64)),
            Operand::Reg(r) => {
                let n = self.b.new_vreg();
                self.b.mov(n, Operand::Reg(r));
                let clamp = self.b.new_block();
                let done = self.b.new_block();
                self.b
                    .branch(Cond::Ugt, n, Operand::Imm(max as i64), clamp, done);
                self.b.switch_to(clamp);
                self.b.mov(n, Operand::Imm(max as i64));
                self.b.jump(done);
                self.b.switch_to(done);
                Operand::Reg(n)
            }
        }
    }

    /// Copy a string value into `dst`, zero-padded to `dst.size` (truncated if longer).
    pub(crate) fn write_str(&mut self, v: &StrVal, dst: Mem) {
        match v {
            StrVal::Lit(bytes) => {
                let mut off = 0;
                // Widths follow the absolute offset: tuple fields sit at any byte.
                let start = dst.offset.max(0) as u32;
                while off < dst.size {
                    let w = piece(start + off, start + dst.size);
                    let c = chunk(bytes, off, w);
                    self.b
                        .store(dst.base, dst.offset + off as i32, width(w), Operand::Imm(c));
                    off += w;
                }
            }
            StrVal::Mem(src) => {
                let n = src.size.min(dst.size);
                self.copy_mem(dst.base, dst.offset, *src, n);
                self.zero_mem(dst.base, dst.offset + n as i32, dst.size - n);
            }
        }
    }

    /// Copy `n` bytes; ctx is read with naturally aligned loads (the verifier insists).
    fn copy_mem(&mut self, dst: Base, doff: i32, src: Mem, n: u32) {
        if src.base == self.ctx() {
            let mut off = 0;
            while off < n {
                let w = piece(src.offset as u32 + off, src.offset as u32 + n);
                let v = self
                    .b
                    .load(src.base, src.offset + off as i32, width(w), false);
                self.b
                    .store(dst, doff + off as i32, width(w), Operand::Reg(v));
                off += w;
            }
        } else {
            self.b.copy(dst, doff, src.base, src.offset, n);
        }
    }

    /// Zero `len` bytes at `base + off`.
    pub(crate) fn zero_mem(&mut self, base: Base, off: i32, len: u32) {
        if len == 0 {
            return;
        }
        match base {
            Base::Slot(s) => self.b.zero(s, off, len),
            Base::Reg(_) => {
                let mut done = 0;
                while done < len {
                    let w = piece(off as u32 + done, off as u32 + len);
                    self.b
                        .store(base, off + done as i32, width(w), Operand::Imm(0));
                    done += w;
                }
            }
        }
    }

    /// A register pointing at `base + off`.
    pub(crate) fn addr(&mut self, base: Base, off: i32) -> VReg {
        match base {
            Base::Slot(s) => self.b.slot_addr(s, off),
            Base::Reg(r) if off == 0 => r,
            Base::Reg(r) => self.b.binary(BinOp::Add, r, Operand::Imm(off as i64)),
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn pieces_and_chunks() {
        assert_eq!(piece(0, 16), 8);
        assert_eq!(piece(8, 13), 4);
        assert_eq!(piece(12, 13), 1);
        assert_eq!(piece(2, 16), 2);
        assert_eq!(chunk(b"abc", 0, 8), 0x636261);
        assert_eq!(chunk(b"abcdefghij", 8, 8), 0x6a69);
    }
}
