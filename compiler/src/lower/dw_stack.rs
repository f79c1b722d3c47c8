//! Lowering `dw_ustack`: the program cannot unwind without frame pointers, so it sends
//! the runtime a snapshot of the user registers (`rip`, `rsp`, `rbp` of the context's
//! `struct pt_regs`) and of the stack above `rsp` as an `EventKind::DwStack` event
//! (layout: `tracec_meta::dwstack`), copied straight into the ringbuf record. The value
//! itself is the snapshot's id (the time in ns) and the pid; the runtime unwinds the
//! snapshot with `.eh_frame` CFI when the event arrives and prints the value from it.

use super::expr::Mem;
use super::Lower;
use crate::ir::{Base, BinOp, Cond, Helper, Operand, Slot, Width};
use crate::sema::types::{TExpr, TExprKind};
use tracec_meta::{dwstack, EventKind, EVENT_HEADER_SIZE};

/// x86-64 `struct pt_regs` offsets.
const PT_REGS_BP: i32 = 4 * 8;
const PT_REGS_IP: i32 = 16 * 8;
const PT_REGS_SP: i32 = 19 * 8;

/// The stack sizes tried in turn: the most first, halving down to the least.
pub(crate) fn read_sizes() -> Vec<u32> {
    let mut v = Vec::new();
    let mut n = dwstack::STACK_BYTES;
    while n >= dwstack::MIN_STACK_BYTES {
        v.push(n);
        n /= 2;
    }
    v
}

impl Lower<'_, '_> {
    /// Before an event is reserved: snapshot the stack of each `dw_ustack` among
    /// `args` into a stack slot, so that the snapshot's event precedes the event
    /// holding the value (the ringbuf keeps records in the order they are reserved).
    pub(crate) fn dw_stacks_before(&mut self, args: &[TExpr]) -> Vec<Option<Slot>> {
        args.iter()
            .map(|a| match &a.kind {
                TExprKind::Stack(s) if s.dwarf => {
                    let slot = self.b.temp_slot(tracec_meta::STACK_VALUE_SIZE);
                    self.dw_stack_into(Mem {
                        base: Base::Slot(slot),
                        offset: 0,
                        size: tracec_meta::STACK_VALUE_SIZE,
                    });
                    Some(slot)
                }
                _ => None,
            })
            .collect()
    }

    /// Copy a value [`Self::dw_stacks_before`] wrote into `dst`.
    pub(crate) fn dw_value_into(&mut self, slot: Slot, dst: Mem) {
        for off in [0, 8] {
            let v = self.b.load(Base::Slot(slot), off, Width::B8, false);
            self.b
                .store(dst.base, dst.offset + off, Width::B8, Operand::Reg(v));
        }
    }

    /// Snapshot the user stack and write the `dw_ustack` value (id, pid) into `dst`.
    pub(crate) fn dw_stack_into(&mut self, dst: Mem) {
        let hdr = EVENT_HEADER_SIZE as i32;
        let id = self.b.call(Helper::KtimeGetNs, vec![]);
        let pid = self.pid_plain(false);
        let ctx = self.ctx();
        let ip = self.b.load(ctx, PT_REGS_IP, Width::B8, false);
        let sp = self.b.load(ctx, PT_REGS_SP, Width::B8, false);
        let bp = self.b.load(ctx, PT_REGS_BP, Width::B8, false);
        self.event(EventKind::DwStack, 0, dwstack::SIZE, |l, rec| {
            let at = |off: u32| hdr + off as i32;
            let base = Base::Reg(rec);
            l.b.store(base, at(dwstack::ID), Width::B8, Operand::Reg(id));
            l.b.store(base, at(dwstack::PID), Width::B8, Operand::Reg(pid));
            l.b.store(base, at(dwstack::IP), Width::B8, Operand::Reg(ip));
            l.b.store(base, at(dwstack::SP), Width::B8, Operand::Reg(sp));
            l.b.store(base, at(dwstack::BP), Width::B8, Operand::Reg(bp));
            let len = l.b.imm(0);
            let done = l.b.new_block();
            for size in read_sizes() {
                let data =
                    l.b.binary(BinOp::Add, rec, Operand::Imm(i64::from(at(dwstack::DATA))));
                let r = l.b.call(
                    Helper::ProbeReadUser,
                    vec![
                        Operand::Reg(data),
                        Operand::Imm(i64::from(size)),
                        Operand::Reg(sp),
                    ],
                );
                let ok = l.b.new_block();
                let next = l.b.new_block();
                l.b.branch(Cond::Eq, r, Operand::Imm(0), ok, next);
                l.b.switch_to(ok);
                l.b.mov(len, Operand::Imm(i64::from(size)));
                l.b.jump(done);
                l.b.switch_to(next);
            }
            l.b.jump(done);
            l.b.switch_to(done);
            l.b.store(base, at(dwstack::LEN), Width::B8, Operand::Reg(len));
        });
        self.b
            .store(dst.base, dst.offset, Width::B8, Operand::Reg(id));
        self.b
            .store(dst.base, dst.offset + 8, Width::B8, Operand::Reg(pid));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_halve_down_to_the_least() {
        let s = read_sizes();
        assert_eq!(s.first(), Some(&dwstack::STACK_BYTES));
        assert_eq!(s.last(), Some(&dwstack::MIN_STACK_BYTES));
        assert!(s.windows(2).all(|w| w[0] == 2 * w[1]));
    }
}
