//! `@m[k] += x`, `@m[k] -= x`, `@m[k]++` on a map holding plain integers: the element is
//! updated in place with an atomic add, so probes firing at once on several CPUs lose no
//! updates (a load, add and store of the element would). The key is built once.

use super::Lower;
use crate::ir::{Base, BinOp, Cond, Helper, MapId, Operand, Width};
use crate::sema::types::*;
use crate::sema::MapValueType;

/// `BPF_NOEXIST`: insert only if the key is not there yet.
const BPF_NOEXIST: i64 = 1;
/// `EEXIST`: another CPU inserted the key first.
const EEXIST: i64 = 17;

/// `x` when `value` is `@map[keys] + x` or `@map[keys] - x` (negated: `true`) on a map of
/// plain integers: the form sema gives `@map[keys] += x` and `@map[keys]++`.
pub(super) fn self_add<'e>(
    map: MapIdx,
    keys: &[TExpr],
    vty: MapValueType,
    value: &'e TExpr,
) -> Option<(&'e TExpr, bool)> {
    if !matches!(vty, MapValueType::Plain(Type::Int { .. }))
        || !matches!(value.ty, Type::Int { .. })
    {
        return None;
    }
    let TExprKind::Arith { op, lhs, rhs } = &value.kind else {
        return None;
    };
    let negate = match op {
        Arith::Add => false,
        Arith::Sub => true,
        _ => return None,
    };
    match &lhs.kind {
        TExprKind::MapRead { map: m, keys: k } if *m == map && k.as_slice() == keys => {
            Some((rhs, negate))
        }
        _ => None,
    }
}

impl Lower<'_, '_> {
    /// Add `x` (or `-x`) to `@map[keys]` atomically: found, `lock add`; missing, insert
    /// `x` with `BPF_NOEXIST`, and when another CPU inserted the key in between, add to
    /// the element it made.
    pub(super) fn map_add_atomic(&mut self, map: MapIdx, keys: &[TExpr], x: &TExpr, negate: bool) {
        let x = match (self.int(x), negate) {
            (Operand::Imm(c), true) => self.reg(Operand::Imm(c.wrapping_neg())),
            (x, true) => {
                let x = self.reg(x);
                self.b.binary(BinOp::Mul, x, Operand::Imm(-1))
            }
            (x, false) => self.reg(x),
        };
        let key = self.key(map, keys);
        let p = self.lookup(map, key);
        let found = self.b.new_block();
        let missing = self.b.new_block();
        let raced = self.b.new_block();
        let found_again = self.b.new_block();
        let done = self.b.new_block();
        self.on_found(p, found, missing);

        self.b.switch_to(found);
        self.b.atomic_add(Base::Reg(p), 0, Width::B8, x);
        self.b.jump(done);

        self.b.switch_to(missing);
        let v = self.b.temp_slot(8);
        self.b.store(Base::Slot(v), 0, Width::B8, Operand::Reg(x));
        let m = self.b.map_addr(MapId(map.0));
        let k = self.b.slot_addr(key, 0);
        let va = self.b.slot_addr(v, 0);
        let ret = self.b.call(
            Helper::MapUpdateElem,
            vec![
                Operand::Reg(m),
                Operand::Reg(k),
                Operand::Reg(va),
                Operand::Imm(BPF_NOEXIST),
            ],
        );
        let other = self.b.new_block();
        self.b
            .branch(Cond::Eq, ret, Operand::Imm(-EEXIST), raced, other);
        self.b.switch_to(other);
        if self.m.map_can_fill(map) {
            self.map_full_check(ret);
        }
        self.b.jump(done);

        self.b.switch_to(raced);
        let p2 = self.lookup(map, key);
        self.on_found(p2, found_again, done);
        self.b.switch_to(found_again);
        self.b.atomic_add(Base::Reg(p2), 0, Width::B8, x);
        self.b.jump(done);

        self.b.switch_to(done);
    }
}
