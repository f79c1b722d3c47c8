//! Lowering `probe`/`func` as strings read from a table (`sema/name_str.rs`): one
//! `.rodata` global per distinct table, the entry chosen by the run-time index.

use super::expr::{Mem, StrVal};
use super::{Lower, ModuleCx};
use crate::ir::{Base, BinOp, Cond, DataType, Global, GlobalId, Operand, Width};
use crate::sema::name_str::NameStr;
use crate::sema::types::Type;

impl ModuleCx<'_> {
    /// The `.rodata` global holding `table` (one per distinct table).
    fn name_table_global(&mut self, table: Vec<u8>) -> GlobalId {
        if let Some(i) = self
            .globals
            .iter()
            .position(|g| g.symbol.starts_with("__tracec_names_") && g.init == table)
        {
            return GlobalId(i as u32);
        }
        let id = GlobalId(self.globals.len() as u32);
        let symbol = format!("__tracec_names_{}", self.globals.len());
        self.globals.push(Global {
            symbol,
            ty: DataType::Str {
                size: table.len() as u32,
            },
            init: table,
            writable: false,
        });
        id
    }
}

impl Lower<'_, '_> {
    /// The entry of `ns` that its index selects, in place in the table; an index
    /// outside the table selects the first entry (which keeps the verifier's bounds).
    pub(crate) fn name_str(&mut self, ns: &NameStr) -> StrVal {
        let size = ns.entry_size();
        let count = ns.entries.len() as i64;
        let g = self.m.name_table_global(ns.table());
        let index = if let Type::Fmt(_) = ns.index.ty {
            match self.str_val(&ns.index) {
                StrVal::Mem(m) => self.b.load(m.base, m.offset, Width::B8, false),
                StrVal::Lit(_) => self.b.imm(0),
            }
        } else {
            match self.int(&ns.index) {
                Operand::Reg(r) => r,
                Operand::Imm(v) => self.b.imm(v),
            }
        };
        let rel = self
            .b
            .binary(BinOp::Sub, index, Operand::Imm(ns.first as i64));
        let slot = self.b.imm(0);
        let inside = self.b.new_block();
        let done = self.b.new_block();
        self.b
            .branch(Cond::Ult, rel, Operand::Imm(count), inside, done);
        self.b.switch_to(inside);
        self.b.mov(slot, Operand::Reg(rel));
        self.b.jump(done);
        self.b.switch_to(done);
        let offset = self
            .b
            .binary(BinOp::Mul, slot, Operand::Imm(i64::from(size)));
        let base = self.b.global_addr(g, 0);
        let addr = self.b.binary(BinOp::Add, base, Operand::Reg(offset));
        StrVal::Mem(Mem {
            base: Base::Reg(addr),
            offset: 0,
            size,
        })
    }
}
