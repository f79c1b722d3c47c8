//! Reading an aggregation (count, sum, min, max, avg) as a value: the per-CPU slots of
//! the entry are combined with `bpf_map_lookup_percpu_elem` over CPUs `0..ncpus`, the
//! way the runtime combines them when it prints the map. The CPU count is the
//! `.rodata` global [`tracec_meta::GLOBAL_NCPUS`], which the verifier sees as a
//! constant, so the loop is bounded.

use super::Lower;
use crate::ir::{Base, BinOp, Cond, Helper, MapId, Operand, Slot, VReg, Width};
use crate::sema::types::*;
use tracec_meta::AggKind;

/// Upper bound on CPUs visited, whatever `ncpus` says (keeps the loop provably finite).
const MAX_CPUS: i64 = 4096;

impl Lower<'_, '_> {
    /// `@map[keys]` of a `kind` aggregation, combined over all CPUs; 0 when missing.
    pub(super) fn agg_read(
        &mut self,
        map: MapIdx,
        keys: &[TExpr],
        kind: AggKind,
        signed: bool,
    ) -> VReg {
        let key = self.key(map, keys);
        self.agg_read_at(map, key, kind, signed)
    }

    /// The aggregation at `key` (a slot holding the whole map key), combined over CPUs.
    pub(super) fn agg_read_at(
        &mut self,
        map: MapIdx,
        key: Slot,
        kind: AggKind,
        signed: bool,
    ) -> VReg {
        let g = self.m.u64_global(tracec_meta::GLOBAL_NCPUS);
        let gp = self.b.global_addr(g, 0);
        let ncpus = self.b.load(Base::Reg(gp), 0, Width::B8, false);
        // acc: sum/total or the best value; aux: avg's count, min/max's "seen one".
        let acc = self.b.imm(0);
        let aux = self.b.imm(0);
        let cpu = self.b.imm(0);
        let head = self.b.new_block();
        let bounded = self.b.new_block();
        let body = self.b.new_block();
        let found = self.b.new_block();
        let next = self.b.new_block();
        let done = self.b.new_block();
        self.b.jump(head);
        self.b.switch_to(head);
        self.b
            .branch(Cond::Uge, cpu, Operand::Reg(ncpus), done, bounded);
        self.b.switch_to(bounded);
        self.b
            .branch(Cond::Uge, cpu, Operand::Imm(MAX_CPUS), done, body);
        self.b.switch_to(body);
        let m = self.b.map_addr(MapId(map.0));
        let k = self.b.slot_addr(key, 0);
        let p = self.b.call(
            Helper::MapLookupPercpuElem,
            vec![Operand::Reg(m), Operand::Reg(k), Operand::Reg(cpu)],
        );
        self.b.branch(Cond::Eq, p, Operand::Imm(0), next, found);
        self.b.switch_to(found);
        let v = self.b.load(Base::Reg(p), 0, Width::B8, false);
        match kind {
            AggKind::Min | AggKind::Max => {
                let better = match (kind, signed) {
                    (AggKind::Min, true) => Cond::Slt,
                    (AggKind::Min, false) => Cond::Ult,
                    (_, true) => Cond::Sgt,
                    (_, false) => Cond::Ugt,
                };
                let set = self.b.load(Base::Reg(p), 8, Width::B8, false);
                let is_set = self.b.new_block();
                let check = self.b.new_block();
                let take = self.b.new_block();
                self.b.branch(Cond::Eq, set, Operand::Imm(0), next, is_set);
                self.b.switch_to(is_set);
                self.b.branch(Cond::Eq, aux, Operand::Imm(0), take, check);
                self.b.switch_to(check);
                self.b.branch(better, v, Operand::Reg(acc), take, next);
                self.b.switch_to(take);
                self.b.mov(acc, Operand::Reg(v));
                self.b.mov(aux, Operand::Imm(1));
                self.b.jump(next);
            }
            _ => {
                let sum = self.b.binary(BinOp::Add, acc, Operand::Reg(v));
                self.b.mov(acc, Operand::Reg(sum));
                if kind == AggKind::Avg {
                    let n = self.b.load(Base::Reg(p), 8, Width::B8, false);
                    let count = self.b.binary(BinOp::Add, aux, Operand::Reg(n));
                    self.b.mov(aux, Operand::Reg(count));
                }
                self.b.jump(next);
            }
        }
        self.b.switch_to(next);
        let c = self.b.binary(BinOp::Add, cpu, Operand::Imm(1));
        self.b.mov(cpu, Operand::Reg(c));
        self.b.jump(head);
        self.b.switch_to(done);
        if kind == AggKind::Avg {
            let divide = self.b.new_block();
            let out = self.b.new_block();
            self.b.branch(Cond::Eq, aux, Operand::Imm(0), out, divide);
            self.b.switch_to(divide);
            let op = if signed { BinOp::SDiv } else { BinOp::UDiv };
            let q = self.b.binary(op, acc, Operand::Reg(aux));
            self.b.mov(acc, Operand::Reg(q));
            self.b.jump(out);
            self.b.switch_to(out);
        }
        acc
    }
}
