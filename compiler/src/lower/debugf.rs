//! `debugf(fmt, args...)`: `bpf_trace_printk(fmt, len, a1, a2, a3)`. The format is a
//! NUL-terminated `.rodata` global (one per distinct format); a string argument is
//! copied into a NUL-terminated stack slot whose address the kernel reads for `%s`.

use super::expr::Mem;
use super::{Lower, ModuleCx};
use crate::ir::{Base, DataType, Global, GlobalId, Helper, Operand, Width};
use crate::sema::types::TExpr;

/// Symbol prefix of the format globals.
const FORMAT_SYMBOL: &str = "debugf_fmt_";

impl ModuleCx<'_> {
    /// The `.rodata` global holding `format` and its NUL (shared by equal formats).
    fn debugf_format(&mut self, format: &str) -> GlobalId {
        let mut init = format.as_bytes().to_vec();
        init.push(0);
        let found = self
            .globals
            .iter()
            .position(|g| g.symbol.starts_with(FORMAT_SYMBOL) && !g.writable && g.init == init);
        if let Some(i) = found {
            return GlobalId(i as u32);
        }
        let n = self
            .globals
            .iter()
            .filter(|g| g.symbol.starts_with(FORMAT_SYMBOL))
            .count();
        let id = GlobalId(self.globals.len() as u32);
        self.globals.push(Global {
            symbol: format!("{FORMAT_SYMBOL}{n}"),
            ty: DataType::Str {
                size: init.len() as u32,
            },
            init,
            writable: false,
        });
        id
    }
}

impl Lower<'_, '_> {
    pub(crate) fn debugf(&mut self, format: &str, args: &[TExpr]) {
        let mut ops = Vec::with_capacity(args.len());
        for a in args {
            if a.ty.is_str() {
                let size = a.ty.storage_size();
                // One more zeroed word: a string filling its buffer still ends.
                let tail = size.div_ceil(8) * 8;
                let slot = self.b.temp_slot(tail + 8);
                self.b
                    .store(Base::Slot(slot), tail as i32, Width::B8, Operand::Imm(0));
                let dst = Mem {
                    base: Base::Slot(slot),
                    offset: 0,
                    size,
                };
                self.str_into(a, dst, true);
                ops.push(Operand::Reg(self.b.slot_addr(slot, 0)));
            } else {
                let v = self.int(a);
                ops.push(v);
            }
        }
        let g = self.m.debugf_format(format);
        let len = format.len() as i64 + 1;
        let fmt = self.b.global_addr(g, 0);
        let mut call = vec![Operand::Reg(fmt), Operand::Imm(len)];
        call.extend(ops);
        self.b.call_void(Helper::TracePrintk, call);
    }
}
