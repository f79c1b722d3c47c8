//! `skboutput` (`sema/skb.rs`): `bpf_skb_output(skb, map, flags, header, 16)` with
//! `flags = BPF_F_CURRENT_CPU | length << 32`. The kernel writes a perf sample to
//! this CPU's buffer of the perf event array: the header (call id, length, boot
//! time in ns; layout in `tracec_meta::SKB_OUTPUT_HEADER_SIZE`), then the first
//! `length` bytes of the packet. The value is the helper's: 0, or a negative errno.

use super::Lower;
use crate::ir::{Base, BinOp, DataType, Helper, MapDef, MapId, MapKind, Operand, VReg, Width};
use crate::sema::types::TExpr;
use tracec_meta::{
    MapRole, SKB_OUTPUT_HEADER_SIZE, SKB_OUTPUT_ID, SKB_OUTPUT_LEN, SKB_OUTPUT_NS,
    SKB_OUTPUT_SYMBOL,
};

/// `BPF_F_CURRENT_CPU`: the index of the running CPU in the perf event array.
const BPF_F_CURRENT_CPU: i64 = 0xffff_ffff;

impl Lower<'_, '_> {
    /// The perf event array, created on first use.
    fn skb_output_map(&mut self) -> MapId {
        if let Some(i) = self
            .m
            .maps
            .iter()
            .position(|d| d.symbol == SKB_OUTPUT_SYMBOL)
        {
            return MapId(i as u32);
        }
        self.m.add_map(
            MapDef {
                symbol: SKB_OUTPUT_SYMBOL.into(),
                kind: MapKind::PerfEventArray,
                max_entries: 0,
                key: Some(DataType::U32),
                value: Some(DataType::U32),
            },
            MapRole::SkbOutput,
        )
    }

    /// `skboutput(...)` of call `id`: the helper's result.
    pub(crate) fn skb_output(&mut self, skb: &TExpr, len: &TExpr, id: u32) -> VReg {
        let map = self.skb_output_map();
        let skb = self.int(skb);
        let len = self.int(len);
        let len = match len {
            Operand::Reg(r) => r,
            Operand::Imm(v) => self.b.imm(v),
        };
        let header = self.b.temp_slot(SKB_OUTPUT_HEADER_SIZE);
        let at = |off: u32| off as i32;
        self.b.store(
            Base::Slot(header),
            at(SKB_OUTPUT_ID),
            Width::B4,
            Operand::Imm(i64::from(id)),
        );
        self.b.store(
            Base::Slot(header),
            at(SKB_OUTPUT_LEN),
            Width::B4,
            Operand::Reg(len),
        );
        let ns = self.now_ns(Helper::KtimeGetBootNs);
        self.b.store(
            Base::Slot(header),
            at(SKB_OUTPUT_NS),
            Width::B8,
            Operand::Reg(ns),
        );
        let high = self.b.binary(BinOp::Shl, len, Operand::Imm(32));
        let flags = self
            .b
            .binary(BinOp::Or, high, Operand::Imm(BPF_F_CURRENT_CPU));
        let m = self.b.map_addr(map);
        let data = self.b.slot_addr(header, 0);
        self.b.call(
            Helper::SkbOutput,
            vec![
                skb,
                Operand::Reg(m),
                Operand::Reg(flags),
                Operand::Reg(data),
                Operand::Imm(i64::from(SKB_OUTPUT_HEADER_SIZE)),
            ],
        )
    }
}
