//! Ringbuf events: printf, join, exit, clear. Each reserves a record, writes the
//! 8-byte header (`kind | id << 32`) and its payload, and submits it; when the ringbuf
//! is full the lost-events counter is incremented instead.

use super::expr::Mem;
use super::Lower;
use crate::ir::{Base, BinOp, BlockId, Cond, Helper, Operand, VReg, Width};
use crate::sema::maps::MapValueType;
use crate::sema::types::*;
use tracec_meta::{EventKind, EVENT_HEADER_SIZE};

const HDR: u32 = EVENT_HEADER_SIZE as u32;

impl Lower<'_, '_> {
    /// Reserve `HDR + payload` bytes, write the header, run `body` with the record
    /// pointer, submit. Returns with the current block after the event (both paths).
    pub(crate) fn event(
        &mut self,
        kind: EventKind,
        id: u32,
        payload: u32,
        body: impl FnOnce(&mut Self, VReg),
    ) {
        let events = self.m.events_map();
        let m = self.b.map_addr(events);
        let rec = self.b.call(
            Helper::RingbufReserve,
            vec![
                Operand::Reg(m),
                Operand::Imm(i64::from(HDR + payload)),
                Operand::Imm(0),
            ],
        );
        let ok = self.b.new_block();
        let lost = self.b.new_block();
        let done = self.b.new_block();
        self.b.branch(Cond::Eq, rec, Operand::Imm(0), lost, ok);
        self.b.switch_to(lost);
        self.count_lost(done);
        self.b.switch_to(ok);
        let header = (kind as u32 as i64) | (i64::from(id) << 32);
        self.b
            .store(Base::Reg(rec), 0, Width::B8, Operand::Imm(header));
        body(self, rec);
        self.b.call_void(
            Helper::RingbufSubmit,
            vec![Operand::Reg(rec), Operand::Imm(0)],
        );
        self.b.jump(done);
        self.b.switch_to(done);
    }

    /// `lock lost_events += 1` (an atomic add on the `.bss` counter), then jump to
    /// `done`. Five instructions, where a per-CPU map would need a lookup and its
    /// NULL check (eleven).
    fn count_lost(&mut self, done: BlockId) {
        let lost = self.m.lost_counter();
        let p = self.b.global_addr(lost, 0);
        let one = self.b.imm(1);
        self.b.atomic_add(Base::Reg(p), 0, Width::B8, one);
        self.b.jump(done);
    }

    pub(crate) fn printf(&mut self, id: u32, args: &[TExpr]) {
        self.formatted(EventKind::Printf, id, args);
    }

    /// An event whose payload is printf `id`'s arguments (`printf`, `cat`, `system`...).
    pub(crate) fn formatted(&mut self, kind: EventKind, id: u32, args: &[TExpr]) {
        let Some(spec) = self.m.checked.printfs.get(id as usize) else {
            return;
        };
        let fields: Vec<(u32, u32)> = spec
            .args
            .iter()
            .map(|f| (f.offset, align8(f.ty.size())))
            .collect();
        let payload = fields.iter().map(|(o, s)| o + s).max().unwrap_or(0);
        let dw = self.dw_stacks_before(args);
        self.event(kind, id, payload, |l, rec| {
            for ((arg, (off, size)), dw) in args.iter().zip(fields).zip(dw) {
                let off = (HDR + off) as i32;
                if let Some(slot) = dw {
                    let dst = Mem {
                        base: Base::Reg(rec),
                        offset: off,
                        size,
                    };
                    l.dw_value_into(slot, dst);
                } else if arg.ty.is_str() || matches!(arg.ty, Type::Stack(_) | Type::Fmt(_)) {
                    let dst = Mem {
                        base: Base::Reg(rec),
                        offset: off,
                        size,
                    };
                    l.str_into(arg, dst, false);
                } else {
                    let v = l.int(arg);
                    l.b.store(Base::Reg(rec), off, Width::B8, v);
                }
            }
        });
    }

    /// `join(array)`: up to JOIN_MAX_ARGS strings from a NULL-terminated pointer array.
    pub(crate) fn join(&mut self, id: u32, array: &TExpr, user: bool) {
        let arr = self.int(array);
        let arr = self.reg(arr);
        let payload = 8 + JOIN_MAX_ARGS * JOIN_ARG_SIZE;
        let (read, read_str) = if user {
            (Helper::ProbeReadUser, Helper::ProbeReadUserStr)
        } else {
            (Helper::ProbeReadKernel, Helper::ProbeReadKernelStr)
        };
        let tmp = self.b.temp_slot(8);
        self.event(EventKind::Join, id, payload, |l, rec| {
            let count = l.b.imm(0);
            let stop = l.b.new_block();
            for i in 0..JOIN_MAX_ARGS {
                // Read arr[i] onto the stack. A failed read zeroes the slot (as
                // every bpf_probe_read_* does), so it stops the loop like a NULL.
                let t = l.b.slot_addr(tmp, 0);
                let src = l.b.binary(BinOp::Add, arr, Operand::Imm(i64::from(i * 8)));
                l.b.call_void(
                    read,
                    vec![Operand::Reg(t), Operand::Imm(8), Operand::Reg(src)],
                );
                let p = l.b.load(Base::Slot(tmp), 0, Width::B8, false);
                let nonnull = l.b.new_block();
                l.b.branch(Cond::Eq, p, Operand::Imm(0), stop, nonnull);
                l.b.switch_to(nonnull);
                let off = i64::from(HDR + 8 + i * JOIN_ARG_SIZE);
                let dst = l.b.binary(BinOp::Add, rec, Operand::Imm(off));
                l.b.call_void(
                    read_str,
                    vec![
                        Operand::Reg(dst),
                        Operand::Imm(i64::from(JOIN_ARG_SIZE)),
                        Operand::Reg(p),
                    ],
                );
                l.b.mov(count, Operand::Imm(i64::from(i + 1)));
            }
            l.b.jump(stop);
            l.b.switch_to(stop);
            l.b.store(Base::Reg(rec), HDR as i32, Width::B8, Operand::Reg(count));
        });
    }

    pub(crate) fn exit(&mut self) {
        self.event(EventKind::Exit, 0, 0, |_, _| {});
        self.leave_probe(Operand::Imm(0));
    }

    /// `clear(@m)`. A map without keys holds one element under key 0 (unless an
    /// aggregation keys it by bucket): unless a `print(@m)` reads it from the runtime
    /// (whose event must see the value before the clear), it is deleted here, at once, so
    /// the probe's next run sees it gone (scripts reset a scalar with `clear` and read it
    /// again). Other maps are cleared by the runtime, which walks every key, as bpftrace
    /// does.
    pub(crate) fn clear(&mut self, map: MapIdx) {
        let info = &self.m.checked.maps[map.0 as usize];
        let bucketed = matches!(info.value, MapValueType::Agg { kind, .. } if kind.bucketed());
        let printed = self.m.checked.printed_maps.contains(&map.0);
        if info.keys.is_empty() && !bucketed && !printed {
            self.map_delete(map, &[]);
            return;
        }
        self.event(EventKind::Clear, map.0, 0, |_, _| {});
    }
}
