//! Lowering `@m[keys] = tseries(x, interval_ns, num_intervals[, agg])`: the bucket of the
//! current interval is `epoch % num_intervals` with `epoch = tai_ns / interval_ns`; each
//! bucket holds this CPU's `{ value, meta, epoch }` (layout in [`tracec_meta::AggKind`]).

use super::Lower;
use crate::ir::{self, Base, BinOp, Cond, DataType, Helper, Operand, VReg, Width};
use crate::sema::types::*;
use crate::sema::MapValueType;
use tracec_meta::TseriesAgg;

/// Byte offsets in a bucket's value.
const VALUE: i32 = 0;
const META: i32 = 8;
const EPOCH: i32 = 16;

/// The value type of a tseries map in BTF: `{ i64 value; u64 meta; u64 epoch; }`.
pub(super) fn value_type(symbol: &str) -> DataType {
    let field = |name: &str, offset: u32, ty: DataType| ir::types::StructField {
        name: name.into(),
        offset,
        ty,
    };
    DataType::Struct {
        name: format!("{symbol}_tseries"),
        fields: vec![
            field("value", VALUE as u32, DataType::I64),
            field("meta", META as u32, DataType::U64),
            field("epoch", EPOCH as u32, DataType::U64),
        ],
        size: 24,
    }
}

/// What one write does to a bucket.
#[derive(Clone, Copy)]
struct Write {
    x: VReg,
    now: VReg,
    epoch: VReg,
    agg: TseriesAgg,
    signed: bool,
}

impl Lower<'_, '_> {
    /// `@m[keys] = tseries(x, interval_ns, num_intervals[, agg])`.
    pub(crate) fn tseries_set(
        &mut self,
        map: MapIdx,
        keys: &[TExpr],
        x: &TExpr,
        interval_ns: u64,
        num_intervals: u64,
        agg: TseriesAgg,
    ) {
        let signed = matches!(
            self.m.checked.maps[map.0 as usize].value,
            MapValueType::Agg { signed: true, .. }
        );
        let v = self.int(x);
        let x = self.reg(v);
        let now = self.now_ns(Helper::KtimeGetTaiNs);
        // Both bounds come from non-negative i64 constants (sema), so they fit.
        let interval = self.b.imm(interval_ns as i64);
        let epoch = self.b.binary(BinOp::UDiv, now, Operand::Reg(interval));
        let count = self.b.imm(num_intervals as i64);
        let bucket = self.b.binary(BinOp::UMod, epoch, Operand::Reg(count));
        let key = self.key(map, keys);
        let off = self.bucket_offset(map) as i32;
        self.b
            .store(Base::Slot(key), off, Width::B8, Operand::Reg(bucket));
        let w = Write {
            x,
            now,
            epoch,
            agg,
            signed,
        };
        let p = self.lookup(map, key);
        let found = self.b.new_block();
        let missing = self.b.new_block();
        let done = self.b.new_block();
        self.on_found(p, found, missing);
        self.b.switch_to(found);
        self.tseries_write(Base::Reg(p), w);
        self.b.jump(done);
        // Missing: a zeroed bucket of this epoch, written, then inserted.
        self.b.switch_to(missing);
        let slot = self.b.temp_slot(24);
        self.b.zero(slot, 0, 24);
        self.b
            .store(Base::Slot(slot), EPOCH, Width::B8, Operand::Reg(epoch));
        self.tseries_write(Base::Slot(slot), w);
        self.update(map, key, slot);
        self.b.jump(done);
        self.b.switch_to(done);
    }

    /// Update the bucket at `base` with one value (bpftrace's semantics per `agg`).
    fn tseries_write(&mut self, base: Base, w: Write) {
        if w.agg != TseriesAgg::Last {
            // An aggregating bucket starts over in a new interval.
            let old = self.b.load(base, EPOCH, Width::B8, false);
            let clear = self.b.new_block();
            let merge = self.b.new_block();
            self.b
                .branch(Cond::Ne, old, Operand::Reg(w.epoch), clear, merge);
            self.b.switch_to(clear);
            self.b.store(base, VALUE, Width::B8, Operand::Imm(0));
            self.b.store(base, META, Width::B8, Operand::Imm(0));
            self.b.jump(merge);
            self.b.switch_to(merge);
        }
        match w.agg {
            TseriesAgg::Last => {
                self.b.store(base, VALUE, Width::B8, Operand::Reg(w.x));
                self.b.store(base, META, Width::B8, Operand::Reg(w.now));
            }
            TseriesAgg::Sum | TseriesAgg::Avg => {
                let cur = self.b.load(base, VALUE, Width::B8, false);
                let sum = self.b.binary(BinOp::Add, cur, Operand::Reg(w.x));
                self.b.store(base, VALUE, Width::B8, Operand::Reg(sum));
                if w.agg == TseriesAgg::Avg {
                    let n = self.b.load(base, META, Width::B8, false);
                    let n1 = self.b.binary(BinOp::Add, n, Operand::Imm(1));
                    self.b.store(base, META, Width::B8, Operand::Reg(n1));
                }
            }
            TseriesAgg::Min | TseriesAgg::Max => {
                let better = match (w.agg == TseriesAgg::Min, w.signed) {
                    (true, true) => Cond::Slt,
                    (true, false) => Cond::Ult,
                    (false, true) => Cond::Sgt,
                    (false, false) => Cond::Ugt,
                };
                let set = self.b.new_block();
                let check = self.b.new_block();
                let next = self.b.new_block();
                let is_set = self.b.load(base, META, Width::B8, false);
                self.b.branch(Cond::Eq, is_set, Operand::Imm(0), set, check);
                self.b.switch_to(check);
                let cur = self.b.load(base, VALUE, Width::B8, false);
                self.b.branch(better, w.x, Operand::Reg(cur), set, next);
                self.b.switch_to(set);
                self.b.store(base, VALUE, Width::B8, Operand::Reg(w.x));
                self.b.jump(next);
                self.b.switch_to(next);
                self.b.store(base, META, Width::B8, Operand::Imm(1));
            }
        }
        self.b.store(base, EPOCH, Width::B8, Operand::Reg(w.epoch));
    }
}
