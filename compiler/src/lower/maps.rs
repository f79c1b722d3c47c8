//! Lowering map reads, assignments, aggregations and deletes.

use super::expr::Mem;
use super::{key_layout, Lower};
use crate::front::ast::Span;
use crate::ir::{Base, BinOp, BlockId, Cond, Helper, MapId, Operand, Slot, VReg, Width};
use crate::sema::types::*;
use crate::sema::MapValueType;

/// `BPF_ANY`.
const BPF_ANY: i64 = 0;

impl Lower<'_, '_> {
    /// Build the key of `@map[keys]` in a temporary slot. For a hist/lhist map the slot
    /// has 8 more bytes at [`Lower::bucket_offset`] for the bucket index.
    pub(super) fn key(&mut self, map: MapIdx, keys: &[TExpr]) -> Slot {
        let info = &self.m.checked.maps[map.0 as usize];
        let (parts, size) = key_layout(&info.keys);
        let bucketed = matches!(info.value, MapValueType::Agg { kind, .. } if kind.bucketed());
        let slot = self.b.temp_slot(if bucketed { size + 8 } else { size });
        if parts.is_empty() {
            self.b
                .store(Base::Slot(slot), 0, Width::B8, Operand::Imm(0));
            return slot;
        }
        for ((off, ty), k) in parts.into_iter().zip(keys) {
            match ty {
                Type::Str { size } => {
                    let dst = Mem {
                        base: Base::Slot(slot),
                        offset: off as i32,
                        size: align8(size),
                    };
                    self.str_into(k, dst, true);
                }
                Type::Tuple(t) => {
                    let dst = Mem {
                        base: Base::Slot(slot),
                        offset: off as i32,
                        size: align8(t.size),
                    };
                    self.zero_mem(dst.base, dst.offset, dst.size);
                    self.tuple_into(k, dst, t);
                }
                Type::Stack(_) | Type::Fmt(_) => {
                    let dst = Mem {
                        base: Base::Slot(slot),
                        offset: off as i32,
                        size: ty.storage_size(),
                    };
                    self.str_into(k, dst, true);
                }
                _ => {
                    let v = self.int(k);
                    self.b.store(Base::Slot(slot), off as i32, Width::B8, v);
                }
            }
        }
        slot
    }

    /// Where the bucket index sits in the key of a hist/lhist map.
    pub(super) fn bucket_offset(&self, map: MapIdx) -> u32 {
        key_layout(&self.m.checked.maps[map.0 as usize].keys).1
    }

    /// `map_lookup_elem(&map, &key)`: a possibly-null pointer to the value.
    pub(super) fn lookup(&mut self, map: MapIdx, key: Slot) -> VReg {
        let m = self.b.map_addr(MapId(map.0));
        let k = self.b.slot_addr(key, 0);
        self.b.call(
            Helper::MapLookupElem,
            vec![Operand::Reg(m), Operand::Reg(k)],
        )
    }

    /// Branch on a lookup result: `found` when non-null, `missing` otherwise.
    pub(super) fn on_found(&mut self, p: VReg, found: BlockId, missing: BlockId) {
        self.b.branch(Cond::Eq, p, Operand::Imm(0), missing, found);
    }

    pub(super) fn update(&mut self, map: MapIdx, key: Slot, value: Slot) {
        let m = self.b.map_addr(MapId(map.0));
        let k = self.b.slot_addr(key, 0);
        let v = self.b.slot_addr(value, 0);
        let args = vec![
            Operand::Reg(m),
            Operand::Reg(k),
            Operand::Reg(v),
            Operand::Imm(BPF_ANY),
        ];
        if self.m.map_can_fill(map) {
            let ret = self.b.call(Helper::MapUpdateElem, args);
            self.map_full_check(ret);
        } else {
            self.b.call_void(Helper::MapUpdateElem, args);
        }
    }

    /// `@map[keys]` as an integer; 0 when missing. With `tracec -k` and the read's
    /// `span`, a missing element also sends bpftrace's located warning
    /// (`helper_checks.rs`).
    pub(crate) fn map_read_int_at(
        &mut self,
        map: MapIdx,
        keys: &[TExpr],
        span: Option<Span>,
    ) -> VReg {
        if let MapValueType::Agg { kind, signed } = self.m.checked.maps[map.0 as usize].value {
            return self.agg_read(map, keys, kind, signed);
        }
        let warning = span.and_then(|s| self.lookup_warning(s));
        let key = self.key(map, keys);
        let p = self.lookup(map, key);
        let r = self.b.imm(0);
        let found = self.b.new_block();
        let done = self.b.new_block();
        self.on_found_or_warn(p, found, done, warning);
        self.b.switch_to(found);
        let v = self.b.load(Base::Reg(p), 0, Width::B8, false);
        self.b.mov(r, Operand::Reg(v));
        self.b.jump(done);
        self.b.switch_to(done);
        r
    }

    /// [`Lower::on_found`], sending `warning` (a `-k` lookup warning) on the way to
    /// `missing`.
    fn on_found_or_warn(
        &mut self,
        p: VReg,
        found: BlockId,
        missing: BlockId,
        warning: Option<u32>,
    ) {
        match warning {
            Some(id) => {
                let warn = self.b.new_block();
                self.on_found(p, found, warn);
                self.b.switch_to(warn);
                self.warn_lookup_failed(id);
                self.b.jump(missing);
            }
            None => self.on_found(p, found, missing),
        }
    }

    /// `@map[keys]` as a string in a temporary; "" when missing (with `tracec -k`
    /// and the read's `span`, also a warning).
    pub(crate) fn map_read_str(
        &mut self,
        map: MapIdx,
        keys: &[TExpr],
        size: u32,
        span: Option<Span>,
    ) -> Mem {
        let warning = span.and_then(|s| self.lookup_warning(s));
        let key = self.key(map, keys);
        let p = self.lookup(map, key);
        let slot = self.b.temp_slot(size);
        let padded = align8(size);
        self.b.zero(slot, 0, padded);
        let found = self.b.new_block();
        let done = self.b.new_block();
        self.on_found_or_warn(p, found, done, warning);
        self.b.switch_to(found);
        self.b.copy(Base::Slot(slot), 0, Base::Reg(p), 0, size);
        self.b.jump(done);
        self.b.switch_to(done);
        Mem {
            base: Base::Slot(slot),
            offset: 0,
            size: padded,
        }
    }

    /// `@map[keys] = value`.
    pub(crate) fn map_assign(&mut self, map: MapIdx, keys: &[TExpr], value: &MapValue) {
        let vty = self.m.checked.maps[map.0 as usize].value;
        match value {
            MapValue::Plain(e) => {
                if let Some((x, negate)) = super::map_add::self_add(map, keys, vty, e) {
                    self.note_write(map, true);
                    self.map_add_atomic(map, keys, x, negate);
                    return;
                }
                self.note_write(map, false);
                let size = match vty {
                    MapValueType::Plain(Type::Str { size }) => size,
                    MapValueType::Plain(Type::Tuple(t)) => t.size,
                    MapValueType::Plain(t @ (Type::Stack(_) | Type::Fmt(_))) => t.storage_size(),
                    _ => 8,
                };
                // Evaluate the value before the key: it may itself read maps.
                let vslot = self.b.temp_slot(size);
                if let MapValueType::Plain(Type::Tuple(t)) = vty {
                    let dst = Mem {
                        base: Base::Slot(vslot),
                        offset: 0,
                        size: align8(size),
                    };
                    self.tuple_into(e, dst, t);
                } else if e.ty.is_str() || matches!(e.ty, Type::Stack(_) | Type::Fmt(_)) {
                    let dst = Mem {
                        base: Base::Slot(vslot),
                        offset: 0,
                        size: align8(size),
                    };
                    self.str_into(e, dst, true);
                } else {
                    let v = self.int(e);
                    self.b.store(Base::Slot(vslot), 0, Width::B8, v);
                }
                let key = self.key(map, keys);
                self.update(map, key, vslot);
            }
            MapValue::Count => self.agg_add(map, keys, Operand::Imm(1)),
            MapValue::Sum(e) => {
                let x = self.int(e);
                self.agg_add(map, keys, x);
            }
            MapValue::Min(e) | MapValue::Max(e) => {
                let better = if matches!(value, MapValue::Min(_)) {
                    Cond::Slt
                } else {
                    Cond::Sgt
                };
                let x = self.int(e);
                let x = self.reg(x);
                let key = self.key(map, keys);
                let p = self.lookup(map, key);
                let found = self.b.new_block();
                let missing = self.b.new_block();
                let check = self.b.new_block();
                let set = self.b.new_block();
                let done = self.b.new_block();
                self.on_found(p, found, missing);
                // Found: this CPU's slot; take x if the slot is unset or x is better.
                self.b.switch_to(found);
                let is_set = self.b.load(Base::Reg(p), 8, Width::B8, false);
                self.b.branch(Cond::Eq, is_set, Operand::Imm(0), set, check);
                self.b.switch_to(check);
                let cur = self.b.load(Base::Reg(p), 0, Width::B8, false);
                self.b.branch(better, x, Operand::Reg(cur), set, done);
                self.b.switch_to(set);
                self.b.store(Base::Reg(p), 0, Width::B8, Operand::Reg(x));
                self.b.store(Base::Reg(p), 8, Width::B8, Operand::Imm(1));
                self.b.jump(done);
                // Missing: insert {x, 1}.
                self.b.switch_to(missing);
                self.insert_pair(map, key, Operand::Reg(x));
                self.b.jump(done);
                self.b.switch_to(done);
            }
            MapValue::Hist { x, bits } => self.hist_add(map, keys, x, *bits),
            MapValue::Lhist { x, min, max, step } => {
                self.lhist_add(map, keys, x, *min, *max, *step)
            }
            MapValue::LhistParam { x, bounds } => {
                let [min, max, step] = &**bounds;
                self.lhist_param_add(map, keys, x, [min, max, step])
            }
            MapValue::Tseries {
                x,
                interval_ns,
                num_intervals,
                agg,
            } => self.tseries_set(map, keys, x, *interval_ns, *num_intervals, *agg),
            MapValue::Avg(e) | MapValue::Stats(e) => {
                let x = self.int(e);
                let x = self.reg(x);
                let key = self.key(map, keys);
                let p = self.lookup(map, key);
                let found = self.b.new_block();
                let missing = self.b.new_block();
                let done = self.b.new_block();
                self.on_found(p, found, missing);
                self.b.switch_to(found);
                self.add_at(p, 0, Operand::Reg(x));
                self.add_at(p, 8, Operand::Imm(1));
                self.b.jump(done);
                self.b.switch_to(missing);
                self.insert_pair(map, key, Operand::Reg(x));
                self.b.jump(done);
                self.b.switch_to(done);
            }
        }
    }

    /// `*(u64 *)(p + off) += v` with a plain load/add/store (per-CPU value).
    fn add_at(&mut self, p: VReg, off: i32, v: Operand) {
        let cur = self.b.load(Base::Reg(p), off, Width::B8, false);
        let new = self.b.binary(BinOp::Add, cur, v);
        self.b
            .store(Base::Reg(p), off, Width::B8, Operand::Reg(new));
    }

    /// Insert `{x, 1}` (min/max/avg's initial value).
    fn insert_pair(&mut self, map: MapIdx, key: Slot, x: Operand) {
        let v = self.b.temp_slot(16);
        self.b.store(Base::Slot(v), 0, Width::B8, x);
        self.b.store(Base::Slot(v), 8, Width::B8, Operand::Imm(1));
        self.update(map, key, v);
    }

    /// count()/sum(): add `x` to this CPU's slot, or insert `x`.
    fn agg_add(&mut self, map: MapIdx, keys: &[TExpr], x: Operand) {
        let key = self.key(map, keys);
        self.agg_add_at(map, key, x);
    }

    /// Add `x` to this CPU's slot of the entry at `key`, or insert `x`.
    pub(super) fn agg_add_at(&mut self, map: MapIdx, key: Slot, x: Operand) {
        let p = self.lookup(map, key);
        let found = self.b.new_block();
        let missing = self.b.new_block();
        let done = self.b.new_block();
        self.on_found(p, found, missing);
        self.b.switch_to(found);
        self.add_at(p, 0, x);
        self.b.jump(done);
        self.b.switch_to(missing);
        let v = self.b.temp_slot(8);
        self.b.store(Base::Slot(v), 0, Width::B8, x);
        self.update(map, key, v);
        self.b.jump(done);
        self.b.switch_to(done);
    }

    /// `has_key(@map, keys)`: 1 when the lookup finds the key.
    pub(crate) fn has_key(&mut self, map: MapIdx, keys: &[TExpr]) -> VReg {
        let key = self.key(map, keys);
        let p = self.lookup(map, key);
        self.b.cmp(Cond::Ne, p, Operand::Imm(0))
    }

    /// `delete(@map[keys])`.
    /// `delete(...)` as a value: 1 when the element was there (the helper returned 0).
    pub(crate) fn map_delete_value(&mut self, map: MapIdx, keys: &[TExpr]) -> VReg {
        let key = self.key(map, keys);
        let m = self.b.map_addr(MapId(map.0));
        let k = self.b.slot_addr(key, 0);
        let r = self.b.call(
            Helper::MapDeleteElem,
            vec![Operand::Reg(m), Operand::Reg(k)],
        );
        let found = self.b.new_vreg();
        let yes = self.b.new_block();
        let no = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Eq, r, Operand::Imm(0), yes, no);
        self.b.switch_to(yes);
        self.b.mov(found, Operand::Imm(1));
        self.b.jump(done);
        self.b.switch_to(no);
        self.b.mov(found, Operand::Imm(0));
        self.b.jump(done);
        self.b.switch_to(done);
        found
    }

    pub(crate) fn map_delete(&mut self, map: MapIdx, keys: &[TExpr]) {
        let key = self.key(map, keys);
        let m = self.b.map_addr(MapId(map.0));
        let k = self.b.slot_addr(key, 0);
        self.b.call_void(
            Helper::MapDeleteElem,
            vec![Operand::Reg(m), Operand::Reg(k)],
        );
    }
}
