//! Lowering `kstack` / `ustack`: the frames are stored by content. The program
//! collects the current stack with `bpf_get_stack` into a per-CPU scratch buffer,
//! hashes the frames it wrote into a `u64`, and inserts the buffer into a hash map
//! of that kind and depth keyed by the hash (`BPF_F_NO_PREALLOC`: kernel memory
//! follows the distinct stacks seen). The stack value is the hash with the current
//! pid as plain `pid` reads it (see `tracec_meta::Ty::Stack`); the runtime reads the
//! frames back by hash and symbolizes them.
//!
//! Compared with bpftrace 0.17's `bpf_get_stackid` into a `BPF_MAP_TYPE_STACK_TRACE`
//! map, nothing is preallocated (a stack trace map of 131072 entries of 127 frames
//! locks about 136 MB), and two distinct stacks never share an entry (a stack trace
//! map keys stacks by a bucket of a 32-bit hash, and `bpf_get_stackid` fails when
//! another stack holds the bucket: those stacks printed empty).
//!
//! Build-id user stacks keep their `BPF_F_STACK_BUILD_ID` stack trace map.

use super::expr::Mem;
use super::{Lower, ModuleCx};
use crate::ir::{
    Base, BinOp, Cond, DataType, Helper, MapDef, MapId, MapKind, Operand, VReg, Width,
};
use crate::sema::types::{StackTy, TExpr};
use tracec_meta::MapRole;

/// `max_entries` of every stack frames map: the number of distinct stacks of one
/// kind and depth a script keeps, as many as bpftrace 0.17's stack trace maps held.
/// Without preallocation only the hash table's buckets (16 bytes each) are allocated
/// up front; an element (its frames plus about 50 bytes) when a new stack is first
/// seen.
pub(crate) const STACK_MAP_ENTRIES: u32 = 131_072;
/// `max_entries` of a build-id stack map, whose frames take 32 bytes each.
pub(crate) const BUILD_ID_STACK_MAP_ENTRIES: u32 = 4096;
/// `BPF_F_USER_STACK`: walk the user stack instead of the kernel's.
pub(crate) const BPF_F_USER_STACK: i64 = 1 << 8;
/// `BPF_NOEXIST`: a stack already stored is left as it is (its frames are equal);
/// replacing it would allocate a new element every time.
const BPF_NOEXIST: i64 = 1;
/// The hash of a stack without frames (the first value of the accumulator). Such a
/// stack, or one `bpf_get_stack` failed to collect, is never stored: the runtime
/// finds no frames under it and prints an empty stack, as bpftrace does.
pub(crate) const EMPTY_STACK_HASH: u64 = 0xcbf2_9ce4_8422_2325;
/// Multiplier of the hash step, odd (so a step is a bijection of the accumulator).
const HASH_MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

/// The ELF symbol of the frames map of `user` or kernel stacks `limit` frames deep.
pub(crate) fn map_symbol(user: bool, limit: u32) -> String {
    format!("stack_{}{limit}", if user { "u" } else { "k" })
}

/// The ELF symbol of the per-CPU buffer stacks `limit` frames deep are collected in.
pub(crate) fn scratch_symbol(limit: u32) -> String {
    format!("stack_buf{limit}")
}

/// The ELF symbol of the build-id stack map of user stacks `limit` frames deep.
pub(crate) fn build_id_map_symbol(limit: u32) -> String {
    format!("stack_b{limit}")
}

impl ModuleCx<'_> {
    /// The frames map of `user` or kernel stacks `limit` frames deep (one per kind
    /// and depth, created on first use): `u64` hash to `limit` addresses.
    pub(crate) fn stack_frames_map(&mut self, user: bool, limit: u32) -> MapId {
        let symbol = map_symbol(user, limit);
        if let Some(i) = self.maps.iter().position(|m| m.symbol == symbol) {
            return MapId(i as u32);
        }
        self.add_map(
            MapDef {
                symbol,
                kind: MapKind::HashNoPrealloc,
                max_entries: STACK_MAP_ENTRIES,
                key: Some(DataType::U64),
                value: Some(DataType::Array {
                    elem: Box::new(DataType::U64),
                    len: limit,
                }),
            },
            MapRole::StackFrames { user, limit },
        )
    }

    /// The per-CPU array of one element of `limit` addresses that stacks are
    /// collected in (shared by kernel and user stacks of that depth). The BPF stack
    /// (512 bytes) holds fewer than 64 frames.
    fn stack_scratch_map(&mut self, limit: u32) -> MapId {
        let symbol = scratch_symbol(limit);
        if let Some(i) = self.maps.iter().position(|m| m.symbol == symbol) {
            return MapId(i as u32);
        }
        self.add_map(
            MapDef {
                symbol,
                kind: MapKind::PerCpuArray,
                max_entries: 1,
                key: Some(DataType::Int {
                    size: 4,
                    signed: false,
                }),
                value: Some(DataType::Array {
                    elem: Box::new(DataType::U64),
                    len: limit,
                }),
            },
            MapRole::Scratch,
        )
    }
}

impl Lower<'_, '_> {
    /// Write the current stack of kind `s` into `dst` (16 bytes: key, pid).
    pub(crate) fn stack_into(&mut self, s: StackTy, dst: Mem) {
        if s.dwarf {
            return self.dw_stack_into(dst);
        }
        let key = if s.mode == tracec_meta::StackMode::BuildId && s.user {
            self.build_id_stack_id(s.limit)
        } else {
            self.stack_hash(s.user, s.limit)
        };
        self.b
            .store(dst.base, dst.offset, Width::B8, Operand::Reg(key));
        // Kernel stacks do not depend on the process: equal stacks are equal keys.
        // The pid as the runtime's namespace sees it, so that it finds the process's
        // mappings in its own /proc.
        let pid = if s.user {
            Operand::Reg(self.pid_plain(false))
        } else {
            Operand::Imm(0)
        };
        self.b.store(dst.base, dst.offset + 8, Width::B8, pid);
    }

    /// The id of the current user stack in the build-id stack trace map.
    fn build_id_stack_id(&mut self, limit: u32) -> VReg {
        let map = self.m.build_id_stack_map(limit);
        let ctx = self.b.ctx();
        let m = self.b.map_addr(map);
        self.b.call(
            Helper::GetStackid,
            vec![
                Operand::Reg(ctx),
                Operand::Reg(m),
                Operand::Imm(BPF_F_USER_STACK),
            ],
        )
    }

    /// Collect the current stack into the scratch buffer, store its frames in the
    /// frames map under their hash, and return the hash.
    ///
    /// The hash is a loop over at most `limit` words that stops at the first zero
    /// (the kernel zero-fills the buffer after the frames it wrote). The verifier
    /// walks the loop once per possible iteration (about ten instructions each) and
    /// prunes every early exit after the first, since the loop's registers are dead
    /// there; an unrolled sequence would be the same work for the verifier but up to
    /// `limit` times the code.
    fn stack_hash(&mut self, user: bool, limit: u32) -> VReg {
        let frames = self.m.stack_frames_map(user, limit);
        let scratch = self.m.stack_scratch_map(limit);
        let hash = self.b.imm(EMPTY_STACK_HASH as i64);
        let key = self.b.temp_slot(8);
        self.b.store(Base::Slot(key), 0, Width::B8, Operand::Imm(0));
        let m = self.b.map_addr(scratch);
        let k = self.b.slot_addr(key, 0);
        let buf = self.b.call(
            Helper::MapLookupElem,
            vec![Operand::Reg(m), Operand::Reg(k)],
        );
        let done = self.b.new_block();
        let collect = self.b.new_block();
        self.b.branch(Cond::Eq, buf, Operand::Imm(0), done, collect);

        self.b.switch_to(collect);
        let ctx = self.b.ctx();
        let flags = if user { BPF_F_USER_STACK } else { 0 };
        let written = self.b.call(
            Helper::GetStack,
            vec![
                Operand::Reg(ctx),
                Operand::Reg(buf),
                Operand::Imm(i64::from(limit) * 8),
                Operand::Imm(flags),
            ],
        );
        let hashing = self.b.new_block();
        self.b
            .branch(Cond::Sle, written, Operand::Imm(0), done, hashing);

        self.b.switch_to(hashing);
        let multiplier = self.b.imm(HASH_MULTIPLIER as i64);
        let at = self.b.new_vreg();
        self.b.mov(at, Operand::Reg(buf));
        let i = self.b.imm(0);
        let word_block = self.b.new_block();
        let step = self.b.new_block();
        let store = self.b.new_block();
        self.b.jump(word_block);

        self.b.switch_to(word_block);
        let word = self.b.load(Base::Reg(at), 0, Width::B8, false);
        self.b.branch(Cond::Eq, word, Operand::Imm(0), store, step);

        self.b.switch_to(step);
        let mixed = self.b.binary(BinOp::Xor, hash, Operand::Reg(word));
        let product = self.b.binary(BinOp::Mul, mixed, Operand::Reg(multiplier));
        let high = self.b.binary(BinOp::LShr, product, Operand::Imm(32));
        let folded = self.b.binary(BinOp::Xor, product, Operand::Reg(high));
        self.b.mov(hash, Operand::Reg(folded));
        let next_at = self.b.binary(BinOp::Add, at, Operand::Imm(8));
        self.b.mov(at, Operand::Reg(next_at));
        let next_i = self.b.binary(BinOp::Add, i, Operand::Imm(1));
        self.b.mov(i, Operand::Reg(next_i));
        self.b.branch(
            Cond::Ult,
            i,
            Operand::Imm(i64::from(limit)),
            word_block,
            store,
        );

        self.b.switch_to(store);
        self.b
            .store(Base::Slot(key), 0, Width::B8, Operand::Reg(hash));
        let fm = self.b.map_addr(frames);
        let k = self.b.slot_addr(key, 0);
        self.b.call_void(
            Helper::MapUpdateElem,
            vec![
                Operand::Reg(fm),
                Operand::Reg(k),
                Operand::Reg(buf),
                Operand::Imm(BPF_NOEXIST),
            ],
        );
        self.b.jump(done);

        self.b.switch_to(done);
        hash
    }

    /// `ksym(addr)` / `usym(addr)` into `dst` (16 bytes: address, pid).
    pub(crate) fn sym_into(&mut self, user: bool, addr: &TExpr, dst: Mem) {
        let a = self.int(addr);
        self.b.store(dst.base, dst.offset, Width::B8, a);
        let pid = if user {
            Operand::Reg(self.pid_plain(false))
        } else {
            Operand::Imm(0)
        };
        self.b.store(dst.base, dst.offset + 8, Width::B8, pid);
    }
}

#[cfg(test)]
#[path = "stacks_tests.rs"]
mod tests;
