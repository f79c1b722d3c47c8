//! Lowering tuples and records: values in memory laid out by their [`TupleTy`], written
//! field by field (literals, or converted from another layout of the same shape) or
//! copied whole, and read a field at a time.

use super::expr::{Mem, StrVal};
use super::Lower;
use crate::ir::{self, DataType, Operand, VReg, Width};
use crate::sema::tuple::{TupleField, TupleRef, TupleTy};
use crate::sema::types::*;

/// The BTF shape of a tuple (for map keys and values).
pub(super) fn data_type(t: &TupleTy) -> DataType {
    let fields = t
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| ir::types::StructField {
            name: f.name.clone().unwrap_or_else(|| format!("f{i}")),
            offset: f.offset,
            ty: match f.ty {
                Type::Int { signed, .. } => DataType::Int {
                    size: f.size as u8,
                    signed,
                },
                Type::Bool => DataType::Int {
                    size: 1,
                    signed: false,
                },
                other => super::data_type(other),
            },
        })
        .collect();
    DataType::Struct {
        name: if t.record { "record" } else { "tuple" }.into(),
        fields,
        size: t.size,
    }
}

fn width(n: u32) -> Width {
    Width::from_bytes(n).unwrap_or(Width::B8)
}

impl Lower<'_, '_> {
    /// Write `e` (a tuple of the same shape as `ty`) into `dst` laid out as `ty`;
    /// padding bytes are zeroed, so that equal tuples are equal map keys.
    pub(crate) fn tuple_into(&mut self, e: &TExpr, dst: Mem, ty: TupleRef) {
        self.at(e.span);
        if let TExprKind::Tuple(items) = &e.kind {
            self.zero_mem(dst.base, dst.offset, ty.size);
            let order = match e.ty {
                Type::Tuple(have) => ty.matching(&have),
                _ => (0..items.len()).collect(),
            };
            for (item, i) in items.iter().zip(order) {
                if let Some(f) = ty.fields.get(i) {
                    self.field_into(item, dst, f);
                }
            }
            return;
        }
        if let TExprKind::Ternary { cond, then, els } = &e.kind {
            let t = self.b.new_block();
            let f = self.b.new_block();
            let done = self.b.new_block();
            self.cond_branch(cond, t, f);
            self.b.switch_to(t);
            self.tuple_into(then, dst, ty);
            self.b.jump(done);
            self.b.switch_to(f);
            self.tuple_into(els, dst, ty);
            self.b.jump(done);
            self.b.switch_to(done);
            return;
        }
        // A whole struct or array read from memory goes straight into place.
        if let TExprKind::DerefMem { ptr, size, user } = &e.kind {
            if e.ty == Type::Tuple(ty) {
                self.zero_mem(dst.base, dst.offset, ty.size);
                let n = Operand::Imm(i64::from((*size).min(ty.size)));
                self.read_into(ptr, *user, n, dst);
                return;
            }
        }
        // Everything else of tuple type is a value in memory already.
        let from_mem = matches!(
            e.kind,
            TExprKind::Var(_)
                | TExprKind::MapRead { .. }
                | TExprKind::TupleGet { .. }
                | TExprKind::Block { .. }
                | TExprKind::DerefMem { .. }
                | TExprKind::StructValue { .. }
        );
        let src = match self.str_val(e) {
            StrVal::Mem(m) if from_mem => m,
            _ => {
                self.zero_mem(dst.base, dst.offset, ty.size);
                return;
            }
        };
        match e.ty {
            Type::Tuple(have) if have == ty => {
                self.b
                    .copy(dst.base, dst.offset, src.base, src.offset, ty.size);
            }
            Type::Tuple(have) => {
                self.zero_mem(dst.base, dst.offset, ty.size);
                self.convert(src, have, dst, ty);
            }
            _ => self.zero_mem(dst.base, dst.offset, ty.size),
        }
    }

    /// One element of a tuple literal into its field of the tuple at `dst`.
    fn field_into(&mut self, item: &TExpr, dst: Mem, f: &TupleField) {
        let at = Mem {
            base: dst.base,
            offset: dst.offset + f.offset as i32,
            size: f.size,
        };
        match f.ty {
            Type::Tuple(t) => self.tuple_into(item, at, t),
            Type::Str { .. } | Type::Stack(_) | Type::Fmt(_) => self.str_into(item, at, true),
            _ => {
                let v = self.int(item);
                self.b.store(at.base, at.offset, width(f.size), v);
            }
        }
    }

    /// Copy the tuple at `src` (layout `from`) into `dst` (layout `to`, same shape).
    fn convert(&mut self, src: Mem, from: TupleRef, dst: Mem, to: TupleRef) {
        for (sf, i) in from.fields.iter().zip(to.matching(&from)) {
            let Some(df) = to.fields.get(i) else {
                continue;
            };
            let s = Mem {
                base: src.base,
                offset: src.offset + sf.offset as i32,
                size: sf.size,
            };
            let d = Mem {
                base: dst.base,
                offset: dst.offset + df.offset as i32,
                size: df.size,
            };
            match (sf.ty, df.ty) {
                (Type::Tuple(a), Type::Tuple(b)) => self.convert(s, a, d, b),
                (Type::Str { .. }, Type::Str { .. }) => self.write_str(&StrVal::Mem(s), d),
                (Type::Stack(_), Type::Stack(_)) | (Type::Fmt(_), Type::Fmt(_)) => {
                    self.b.copy(d.base, d.offset, s.base, s.offset, d.size)
                }
                _ => {
                    let v = self.load_field(s, sf);
                    self.b
                        .store(d.base, d.offset, width(df.size), Operand::Reg(v));
                }
            }
        }
    }

    /// A scalar field of the tuple at `m` (already offset to the field).
    fn load_field(&mut self, m: Mem, f: &TupleField) -> VReg {
        let signed = f.ty.is_signed();
        self.b.load(m.base, m.offset, width(f.size), signed)
    }

    /// Tuple `e` in layout `ty` (the same shape): where it is if it has that layout,
    /// else converted into a zeroed temporary (`sema/tuple_cmp.rs`).
    pub(crate) fn tuple_as(&mut self, e: &TExpr, ty: TupleRef) -> StrVal {
        if e.ty == Type::Tuple(ty) {
            return self.str_val(e).within(ty.size);
        }
        let slot = self.b.temp_slot(ty.size);
        let m = Mem {
            base: ir::Base::Slot(slot),
            offset: 0,
            size: ty.size,
        };
        self.tuple_into(e, m, ty);
        StrVal::Mem(m)
    }

    /// Field `index` of tuple `base` as an integer, bool or pointer.
    pub(crate) fn tuple_get_int(&mut self, base: &TExpr, index: u32) -> Operand {
        let Type::Tuple(t) = base.ty else {
            return Operand::Imm(0);
        };
        let StrVal::Mem(m) = self.str_val(base) else {
            return Operand::Imm(0);
        };
        let f = &t.fields[index as usize];
        let at = Mem {
            base: m.base,
            offset: m.offset + f.offset as i32,
            size: f.size,
        };
        Operand::Reg(self.load_field(at, f))
    }

    /// Field `index` of tuple `base` as memory (a string or nested tuple).
    pub(crate) fn tuple_get_mem(&mut self, base: &TExpr, index: u32) -> StrVal {
        let Type::Tuple(t) = base.ty else {
            return StrVal::Lit(Vec::new());
        };
        match self.str_val(base) {
            StrVal::Mem(m) => {
                let f = &t.fields[index as usize];
                StrVal::Mem(Mem {
                    base: m.base,
                    offset: m.offset + f.offset as i32,
                    size: f.size,
                })
            }
            lit => lit,
        }
    }
}
