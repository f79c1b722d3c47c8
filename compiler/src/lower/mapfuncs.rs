//! `len(@map)`: `bpf_for_each_map_elem` with a callback that only goes on; the
//! helper returns how many elements it visited. (Counting in the callback would make
//! the verifier walk the loop once per possible count.)

use super::Lower;
use crate::ir::builder::FunctionBuilder;
use crate::ir::{FuncId, Helper, MapId, Operand, Terminator, VReg, SUBPROGRAM_SECTION};
use crate::sema::types::MapIdx;

impl Lower<'_, '_> {
    /// The number of entries of `map`.
    pub(crate) fn map_len(&mut self, map: MapIdx) -> VReg {
        let idx = self.m.subprograms.len();
        let func = FuncId(self.m.first_subprogram + idx as u32);
        let mut cb = FunctionBuilder::new(
            format!("tracec_len_{idx}"),
            SUBPROGRAM_SECTION,
            self.b.loc(),
        );
        cb.terminate(Terminator::Return(Operand::Imm(0)));
        self.m.subprograms.push(Some(cb.finish()));
        let m = self.b.map_addr(MapId(map.0));
        let f = self.b.func_addr(func);
        self.b.call(
            Helper::ForEachMapElem,
            vec![
                Operand::Reg(m),
                Operand::Reg(f),
                Operand::Imm(0),
                Operand::Imm(0),
            ],
        )
    }
}
