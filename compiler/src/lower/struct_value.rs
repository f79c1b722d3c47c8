//! `*(struct X *)p` as a record (see `sema::struct_value`): the struct's bytes are read
//! into a temporary, then every member is moved into its record field; a bitfield is
//! shifted down from its storage unit, masked and sign-extended if signed.

use super::expr::Mem;
use super::Lower;
use crate::ir::{Base, BinOp, Operand, Width};
use crate::sema::struct_value::MemberRead;
use crate::sema::tuple::TupleRef;
use crate::sema::types::TExpr;

fn width(size: u32) -> Width {
    match size {
        1 => Width::B1,
        2 => Width::B2,
        4 => Width::B4,
        _ => Width::B8,
    }
}

impl Lower<'_, '_> {
    /// The record value of the struct at `ptr` (`size` bytes).
    pub(crate) fn struct_value(
        &mut self,
        ptr: &TExpr,
        user: bool,
        size: u32,
        members: &[MemberRead],
        record: TupleRef,
    ) -> Mem {
        let raw = self.read_zeroed(ptr, size, user);
        let out_size = record.size.div_ceil(8) * 8;
        let out = self.b.temp_slot(out_size.max(8));
        self.b.zero(out, 0, out_size.max(8));
        for (m, f) in members.iter().zip(record.fields.iter()) {
            let unit_bits = m.size * 8;
            // The storage unit holding the member: its own bytes, or for a bitfield the
            // aligned unit of its declared type.
            let (unit_off, shift) = if m.bits == 0 {
                (m.bit_offset / 8, 0)
            } else {
                (m.bit_offset / unit_bits * m.size, m.bit_offset % unit_bits)
            };
            if unit_off + m.size > raw.size {
                continue;
            }
            let signed = m.signed && m.bits == 0;
            let mut v = self
                .b
                .load(raw.base, unit_off as i32, width(m.size), signed);
            if m.bits != 0 {
                // Move the field to the top of 64 bits, then back down: that drops the
                // bits above it and extends its sign (arithmetic shift) if signed.
                let up = 64 - i64::from(shift) - i64::from(m.bits);
                if up > 0 {
                    v = self.b.binary(BinOp::Shl, v, Operand::Imm(up));
                }
                let down = 64 - i64::from(m.bits);
                let op = if m.signed { BinOp::AShr } else { BinOp::LShr };
                if down > 0 {
                    v = self.b.binary(op, v, Operand::Imm(down));
                }
            }
            self.b.store(
                Base::Slot(out),
                f.offset as i32,
                width(f.size),
                Operand::Reg(v),
            );
        }
        Mem {
            base: Base::Slot(out),
            offset: 0,
            size: out_size.max(8),
        }
    }
}
