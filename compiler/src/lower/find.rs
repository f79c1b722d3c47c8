//! `find(@map, key, $var)` (`sema/stdlib_more.rs`): one `map_lookup_elem`; on a hit
//! the value is copied from the map into the variable and the result is 1.

use super::{Lower, VarLoc};
use crate::ir::{Base, Operand, VReg, Width};
use crate::sema::maps::MapValueType;
use crate::sema::types::*;

impl Lower<'_, '_> {
    /// `find(@map, keys, $var)`; `assign` is `$var = @map[keys]`, used where the
    /// value cannot be copied as it lies in the map (aggregations, tuples whose
    /// layout differs from the variable's).
    pub(crate) fn find(&mut self, map: MapIdx, keys: &[TExpr], var: VarId, assign: &TStmt) -> VReg {
        let value = self.m.checked.maps[map.0 as usize].value;
        let key = self.key(map, keys);
        let p = self.lookup(map, key);
        let r = self.b.imm(0);
        let found = self.b.new_block();
        let done = self.b.new_block();
        self.on_found(p, found, done);
        self.b.switch_to(found);
        let loc = self.vars.get(var.0 as usize).copied();
        let var_ty = self.var_tys.get(var.0 as usize).copied();
        match (loc, value) {
            (Some(VarLoc::Reg(reg)), MapValueType::Plain(t)) if t.is_scalar() => {
                let v = self.b.load(Base::Reg(p), 0, Width::B8, false);
                self.b.mov(reg, Operand::Reg(v));
            }
            (Some(VarLoc::Str { slot, size }), MapValueType::Plain(Type::Str { size: vs })) => {
                self.b.zero(slot, 0, align8(size));
                // Leave the variable's last byte NUL when the map's strings are longer.
                let n = vs.min(size.saturating_sub(1).max(1));
                self.b.copy(Base::Slot(slot), 0, Base::Reg(p), 0, n);
            }
            (Some(VarLoc::Str { slot, size }), MapValueType::Plain(t))
                if var_ty == Some(t) && t.storage_size() == size =>
            {
                self.b.copy(Base::Slot(slot), 0, Base::Reg(p), 0, size);
            }
            _ => self.stmts(std::slice::from_ref(assign)),
        }
        self.b.mov(r, Operand::Imm(1));
        self.b.jump(done);
        self.b.switch_to(done);
        r
    }
}
