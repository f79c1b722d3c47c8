//! `(intN)array` (`sema/array_bits.rs`): one load of the array's bytes, or one per
//! byte where the array sits unaligned (a tuple field), since the verifier refuses
//! misaligned stack accesses.

use super::expr::StrVal;
use super::Lower;
use crate::ir::{BinOp, Operand, Width};
use crate::sema::types::TExpr;

impl Lower<'_, '_> {
    /// The `size` bytes of integer array `array` as one integer.
    pub(crate) fn array_bits(&mut self, array: &TExpr, size: u32, signed: bool) -> Operand {
        let width = Width::from_bytes(size).unwrap_or(Width::B8);
        let m = match self.str_val(array) {
            StrVal::Mem(m) => m,
            // Arrays are never literals; an empty one reads 0.
            StrVal::Lit(_) => return Operand::Imm(0),
        };
        if m.offset.rem_euclid(size as i32) == 0 {
            return Operand::Reg(self.b.load(m.base, m.offset, width, signed));
        }
        // Little-endian: byte i lands in bits 8i..8i+8; the top byte carries the sign.
        let last = size as i32 - 1;
        let mut acc = self.b.load(m.base, m.offset + last, Width::B1, signed);
        for i in (0..last).rev() {
            let shifted = self.b.binary(BinOp::Shl, acc, Operand::Imm(8));
            let byte = self.b.load(m.base, m.offset + i, Width::B1, false);
            acc = self.b.binary(BinOp::Or, shifted, Operand::Reg(byte));
        }
        Operand::Reg(acc)
    }
}
