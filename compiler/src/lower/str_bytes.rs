//! Strings built from their bytes (`sema/array_build.rs`: a C `char[N]` member of
//! a struct map key or value, from the bytes of a local): each byte stored at its
//! offset, the rest of the destination zeroed.

use super::expr::Mem;
use super::Lower;
use crate::ir::{Operand, Width};
use crate::sema::types::*;

impl Lower<'_, '_> {
    /// The bytes `bytes` (integers, low byte kept) into `dst`; past them, zeros.
    pub(crate) fn bytes_into(&mut self, bytes: &[TExpr], dst: Mem) {
        self.zero_mem(dst.base, dst.offset, dst.size);
        for (i, b) in bytes.iter().enumerate().take(dst.size as usize) {
            match self.int(b) {
                Operand::Imm(0) => {}
                v => self.b.store(dst.base, dst.offset + i as i32, Width::B1, v),
            }
        }
    }
}
