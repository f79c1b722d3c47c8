//! The typed middle of the compiler.
//!
//! `sema` checks the AST and `lower` turns it into a [`Module`]: one [`Function`] per BPF
//! program, plus the maps and `.rodata` globals they use. The back end (`back::bpf`)
//! selects BPF instructions for it and allocates registers.
//!
//! The IR is deliberately close to BPF, so that instruction selection stays simple and
//! everything the verifier cares about is explicit here:
//!
//! * every value is a 64-bit virtual register ([`VReg`]); registers are *not* SSA, a
//!   register may be assigned on several paths (a ternary's result, a `$var`);
//! * memory is addressed as `base + constant offset`, where the base is a register (ctx,
//!   a map value, a ringbuf record) or a fixed-size [`Slot`] on the stack. The verifier
//!   only allows constant offsets from ctx, and this keeps them constant;
//! * pointers that may be null (map lookups, ringbuf reservations) are checked by an
//!   explicit [`Terminator::Branch`] before they are dereferenced;
//! * helper calls name the [`Helper`] and take at most five operands.
//!
//! [`Module`]'s `Display` is the text form used by `tracec --emit ir` and snapshot tests.

pub mod builder;
pub mod core;
mod display;
pub mod types;

pub use self::core::{CoreAccess, CoreKind, CoreStep, CoreStruct, CoreType};
pub use types::DataType;

/// A virtual register. Every register holds 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VReg(pub u32);

/// A stack slot of [`Function::slots`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(pub u32);

/// A block of [`Function::blocks`]; block 0 is the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId(pub u32);

/// A map of [`Module::maps`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MapId(pub u32);

/// A global of [`Module::globals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GlobalId(pub u32);

/// A function of [`Module::functions`], by index (for [`Inst::FuncAddr`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncId(pub u32);

/// The section of a BPF-to-BPF subprogram (e.g. a `bpf_for_each_map_elem` callback):
/// a [`Function`] in this section is no program of its own but a static function the
/// loader links into the programs that reference it. Subprograms come after all
/// programs in [`Module::functions`].
pub const SUBPROGRAM_SECTION: &str = ".text";

/// A source position for line info: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Loc {
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub functions: Vec<Function>,
    pub maps: Vec<MapDef>,
    pub globals: Vec<Global>,
}

/// A BPF map the programs use. Its index is its [`MapId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapDef {
    /// ELF symbol (what libbpf, aya and bpftool call it). A C identifier.
    pub symbol: String,
    pub kind: MapKind,
    pub max_entries: u32,
    /// Key and value types; `None` for maps without them (the ringbuf).
    pub key: Option<DataType>,
    pub value: Option<DataType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKind {
    Hash,
    PerCpuHash,
    Array,
    PerCpuArray,
    RingBuf,
    /// `BPF_MAP_TYPE_LRU_HASH` (`let @m = lruhash(n)`).
    LruHash,
    /// `BPF_MAP_TYPE_LRU_PERCPU_HASH` (`let @m = percpulruhash(n)`).
    LruPerCpuHash,
    /// `BPF_MAP_TYPE_STACK_TRACE` (`kstack`, `ustack`): `u32` ids to address arrays.
    StackTrace,
    /// `BPF_MAP_TYPE_STACK_TRACE` with `BPF_F_STACK_BUILD_ID` (`ustack(build_id)`):
    /// `u32` ids to arrays of `struct bpf_stack_build_id`.
    StackTraceBuildId,
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY` (`skboutput`): `u32` CPU index to a perf event
    /// fd. `max_entries` 0: the loader makes it the number of possible CPUs.
    PerfEventArray,
    /// `BPF_MAP_TYPE_HASH` with `BPF_F_NO_PREALLOC`: elements are allocated as they
    /// are inserted, so memory follows the entries actually stored (stack frames by
    /// hash, `lower/stacks.rs`), not `max_entries`.
    HashNoPrealloc,
}

impl MapKind {
    /// `BPF_MAP_TYPE_*` number.
    pub fn bpf_type(self) -> u32 {
        match self {
            MapKind::Hash | MapKind::HashNoPrealloc => 1,
            MapKind::Array => 2,
            MapKind::PerCpuHash => 5,
            MapKind::PerCpuArray => 6,
            MapKind::RingBuf => 27,
            MapKind::LruHash => 9,
            MapKind::LruPerCpuHash => 10,
            MapKind::StackTrace | MapKind::StackTraceBuildId => 7,
            MapKind::PerfEventArray => 4,
        }
    }
    /// `map_flags` of the map definition (`BPF_F_STACK_BUILD_ID` for build-id stacks,
    /// `BPF_F_NO_PREALLOC` for hash maps that grow as they fill).
    pub fn map_flags(self) -> u32 {
        match self {
            MapKind::StackTraceBuildId => 1 << 5,
            // BPF_F_NO_PREALLOC
            MapKind::HashNoPrealloc => 1,
            _ => 0,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            MapKind::Hash => "hash",
            MapKind::PerCpuHash => "percpu_hash",
            MapKind::Array => "array",
            MapKind::PerCpuArray => "percpu_array",
            MapKind::RingBuf => "ringbuf",
            MapKind::LruHash => "lru_hash",
            MapKind::LruPerCpuHash => "lru_percpu_hash",
            MapKind::StackTrace => "stack_trace",
            MapKind::StackTraceBuildId => "stack_trace (build id)",
            MapKind::PerfEventArray => "perf_event_array",
            MapKind::HashNoPrealloc => "hash (no prealloc)",
        }
    }
}

/// A global variable. A constant one lives in `.rodata`, and the runtime may
/// overwrite it before loading (e.g. [`tracec_meta::GLOBAL_START_NS`]); a writable one
/// lives in `.bss` (zero-initialised), which programs update with atomics and the
/// runtime reads (the lost-events counter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Global {
    pub symbol: String,
    pub ty: DataType,
    /// Initial bytes; `ty.size()` long (all zero for a writable global).
    pub init: Vec<u8>,
    /// `.bss` rather than `.rodata`.
    pub writable: bool,
}

/// One BPF program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// ELF symbol of the program (a C identifier, unique in the object).
    pub name: String,
    /// libbpf SEC name: `raw_tp`, `tracepoint/syscalls/sys_enter_openat`, `perf_event`...
    pub section: String,
    /// Fixed-size stack slots. The back end places them in the 512-byte frame.
    pub slots: Vec<SlotDef>,
    /// Entry block first.
    pub blocks: Vec<Block>,
    /// Number of virtual registers used (`VReg(0)..VReg(vreg_count)`).
    pub vreg_count: u32,
    /// Where the probe was written, for func/line info.
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotDef {
    pub size: u32,
    /// 1, 2, 4 or 8.
    pub align: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub insts: Vec<Inst>,
    /// `locs[i]` is where `insts[i]` came from.
    pub locs: Vec<Loc>,
    pub term: Terminator,
    /// Where the terminator came from.
    pub term_loc: Loc,
}

/// A register or a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operand {
    Reg(VReg),
    Imm(i64),
}

/// The base of a memory access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Base {
    /// A register holding a pointer (ctx, map value, ringbuf record).
    Reg(VReg),
    /// A stack slot.
    Slot(Slot),
}

/// Memory access width in bytes: 1, 2, 4 or 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Width {
    B1,
    B2,
    B4,
    B8,
}

impl Width {
    pub fn bytes(self) -> u32 {
        match self {
            Width::B1 => 1,
            Width::B2 => 2,
            Width::B4 => 4,
            Width::B8 => 8,
        }
    }
    pub fn from_bytes(n: u32) -> Option<Width> {
        Some(match n {
            1 => Width::B1,
            2 => Width::B2,
            4 => Width::B4,
            8 => Width::B8,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    UDiv,
    SDiv,
    UMod,
    SMod,
    And,
    Or,
    Xor,
    Shl,
    /// Logical (zero-filling) shift right.
    LShr,
    /// Arithmetic (sign-filling) shift right.
    AShr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    /// Bitwise not.
    Not,
}

/// A comparison; `Set` is `(a & b) != 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cond {
    Eq,
    Ne,
    Ugt,
    Uge,
    Ult,
    Ule,
    Sgt,
    Sge,
    Slt,
    Sle,
    Set,
}

impl Cond {
    /// The condition that holds exactly when `self` does not (`Set` has none).
    pub fn negate(self) -> Option<Cond> {
        Some(match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::Ugt => Cond::Ule,
            Cond::Uge => Cond::Ult,
            Cond::Ult => Cond::Uge,
            Cond::Ule => Cond::Ugt,
            Cond::Sgt => Cond::Sle,
            Cond::Sge => Cond::Slt,
            Cond::Slt => Cond::Sge,
            Cond::Sle => Cond::Sgt,
            Cond::Set => return None,
        })
    }
}

/// BPF helper functions the IR may call (`bpf_<name>`; the number is the helper id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Helper {
    MapLookupElem = 1,
    MapUpdateElem = 2,
    MapDeleteElem = 3,
    KtimeGetNs = 5,
    TracePrintk = 6,
    GetPrandomU32 = 7,
    GetSmpProcessorId = 8,
    GetCurrentPidTgid = 14,
    GetCurrentUidGid = 15,
    GetCurrentComm = 16,
    GetStackid = 27,
    GetStack = 67,
    GetCurrentTask = 35,
    GetNumaNodeId = 42,
    GetCurrentCgroupId = 80,
    ProbeReadUser = 112,
    ProbeReadKernel = 113,
    ProbeReadUserStr = 114,
    ProbeReadKernelStr = 115,
    Jiffies64 = 118,
    KtimeGetBootNs = 125,
    RingbufOutput = 130,
    RingbufReserve = 131,
    RingbufSubmit = 132,
    RingbufDiscard = 133,
    KtimeGetTaiNs = 208,
    MapLookupPercpuElem = 195,
    ForEachMapElem = 164,
    GetAttachCookie = 174,
    GetFuncIp = 173,
    GetNsCurrentPidTgid = 120,
    Loop = 181,
    ProbeWriteUser = 36,
    OverrideReturn = 58,
    SendSignal = 109,
    SendSignalThread = 117,
    DPath = 147,
    GetSocketCookie = 46,
    PerCpuPtr = 153,
    ThisCpuPtr = 154,
    SkbOutput = 111,
}

impl Helper {
    pub fn id(self) -> i32 {
        self as i32
    }
    pub fn name(self) -> &'static str {
        match self {
            Helper::MapLookupElem => "map_lookup_elem",
            Helper::MapUpdateElem => "map_update_elem",
            Helper::MapDeleteElem => "map_delete_elem",
            Helper::KtimeGetNs => "ktime_get_ns",
            Helper::TracePrintk => "trace_printk",
            Helper::GetPrandomU32 => "get_prandom_u32",
            Helper::GetNumaNodeId => "get_numa_node_id",
            Helper::GetCurrentCgroupId => "get_current_cgroup_id",
            Helper::Jiffies64 => "jiffies64",
            Helper::KtimeGetBootNs => "ktime_get_boot_ns",
            Helper::KtimeGetTaiNs => "ktime_get_tai_ns",
            Helper::MapLookupPercpuElem => "map_lookup_percpu_elem",
            Helper::ForEachMapElem => "for_each_map_elem",
            Helper::Loop => "loop",
            Helper::GetAttachCookie => "get_attach_cookie",
            Helper::GetFuncIp => "get_func_ip",
            Helper::GetNsCurrentPidTgid => "get_ns_current_pid_tgid",
            Helper::GetSmpProcessorId => "get_smp_processor_id",
            Helper::GetCurrentPidTgid => "get_current_pid_tgid",
            Helper::GetCurrentUidGid => "get_current_uid_gid",
            Helper::GetCurrentComm => "get_current_comm",
            Helper::GetCurrentTask => "get_current_task",
            Helper::GetStackid => "get_stackid",
            Helper::GetStack => "get_stack",
            Helper::ProbeReadUser => "probe_read_user",
            Helper::ProbeReadKernel => "probe_read_kernel",
            Helper::ProbeReadUserStr => "probe_read_user_str",
            Helper::ProbeReadKernelStr => "probe_read_kernel_str",
            Helper::RingbufOutput => "ringbuf_output",
            Helper::RingbufReserve => "ringbuf_reserve",
            Helper::RingbufSubmit => "ringbuf_submit",
            Helper::RingbufDiscard => "ringbuf_discard",
            Helper::ProbeWriteUser => "probe_write_user",
            Helper::OverrideReturn => "override_return",
            Helper::SendSignal => "send_signal",
            Helper::SendSignalThread => "send_signal_thread",
            Helper::DPath => "d_path",
            Helper::GetSocketCookie => "get_socket_cookie",
            Helper::PerCpuPtr => "per_cpu_ptr",
            Helper::ThisCpuPtr => "this_cpu_ptr",
            Helper::SkbOutput => "skb_output",
        }
    }
    /// Whether the helper returns a value in r0 worth keeping.
    pub fn returns_value(self) -> bool {
        !matches!(self, Helper::RingbufSubmit | Helper::RingbufDiscard)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inst {
    /// `dst = ctx`: the program's context pointer (r1 on entry). Only valid in the
    /// entry block, before any call.
    Ctx { dst: VReg },
    /// `dst = argument n` (r`n+1` on entry; `n` from 1 to 4, 0 is [`Inst::Ctx`]): the
    /// arguments of a subprogram such as a map iteration callback.
    Arg { dst: VReg, n: u8 },
    /// `dst = &function` (`ld_imm64` with `BPF_PSEUDO_FUNC`, relocated against the
    /// subprogram's symbol): a callback argument for a helper.
    FuncAddr { dst: VReg, func: FuncId },
    /// `dst = &kernel variable name` (`ld_imm64` with `BPF_PSEUDO_BTF_ID`): the
    /// address of a kernel (percpu) variable for `bpf_this_cpu_ptr`/`bpf_per_cpu_ptr`.
    /// The instruction's BTF id is left 0; the runtime sets it to the variable's id
    /// in the host's vmlinux BTF (`tracec_meta::KsymSpec`).
    KsymAddr { dst: VReg, name: String },
    /// `dst = src`.
    Mov { dst: VReg, src: Operand },
    /// `dst = op src`.
    Unary { dst: VReg, op: UnOp, src: VReg },
    /// `dst = lhs op rhs`.
    Binary {
        dst: VReg,
        op: BinOp,
        lhs: VReg,
        rhs: Operand,
    },
    /// `dst = (lhs cond rhs) ? 1 : 0`.
    Cmp {
        dst: VReg,
        cond: Cond,
        lhs: VReg,
        rhs: Operand,
    },
    /// `dst = *(width *)(base + offset)`, zero-extended, or sign-extended if `signed`.
    Load {
        dst: VReg,
        base: Base,
        offset: i32,
        width: Width,
        signed: bool,
    },
    /// `*(width *)(base + offset) = value`.
    Store {
        base: Base,
        offset: i32,
        width: Width,
        value: Operand,
    },
    /// Zero `len` bytes at `slot + offset` (offset and len multiples of 8 are fastest).
    Zero { slot: Slot, offset: i32, len: u32 },
    /// Copy `len` bytes between memory locations (both constant-offset addressable).
    Copy {
        dst: Base,
        dst_offset: i32,
        src: Base,
        src_offset: i32,
        len: u32,
    },
    /// `dst = &slot + offset` (a stack pointer, for helper arguments).
    SlotAddr { dst: VReg, slot: Slot, offset: i32 },
    /// `dst = &map` (ld_imm64 with a map relocation), for helper arguments.
    MapAddr { dst: VReg, map: MapId },
    /// `dst = &global + offset` (ld_imm64 with a `.rodata`/`.bss` relocation).
    GlobalAddr {
        dst: VReg,
        global: GlobalId,
        offset: i32,
    },
    /// `lock *(width *)(base + offset) += value` (BPF_ATOMIC add; width 4 or 8).
    AtomicAdd {
        base: Base,
        offset: i32,
        width: Width,
        value: VReg,
    },
    /// `dst = constant`, where the constant is relocated by the loader for the running
    /// kernel (a CO-RE field offset, size or existence; see [`core`]).
    CoreConst { dst: VReg, access: Box<CoreAccess> },
    /// `dst = *(width *)(base + offset)` where the offset is the field offset of
    /// `access` (a CO-RE relocated load, e.g. of a tracepoint field from ctx);
    /// zero-extended, or sign-extended if `signed`.
    CoreLoad {
        dst: VReg,
        base: VReg,
        width: Width,
        signed: bool,
        access: Box<CoreAccess>,
    },
    /// `dst = helper(args...)`; at most five arguments. `dst` is `None` when the result
    /// is unused.
    Call {
        dst: Option<VReg>,
        helper: Helper,
        args: Vec<Operand>,
    },
    /// `dst = kfunc(args...)`: a kernel function called as a kfunc (`call` with
    /// `src = BPF_PSEUDO_KFUNC_CALL`); its BTF id is left 0 and set by the runtime
    /// from the host's vmlinux BTF (`tracec_meta::KsymKind::Func`). Same registers as
    /// a helper call.
    CallKfunc {
        dst: Option<VReg>,
        func: Kfunc,
        args: Vec<Operand>,
    },
}

/// The kernel functions programs call as kfuncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kfunc {
    /// `struct task_struct *bpf_task_from_pid(s32 pid)`: the task with a reference
    /// (released with [`Kfunc::TaskRelease`]), or NULL.
    TaskFromPid,
    /// `void bpf_task_release(struct task_struct *p)`.
    TaskRelease,
}

impl Kfunc {
    /// The kernel's name of the function (a `BTF_KIND_FUNC` of vmlinux).
    pub fn name(self) -> &'static str {
        match self {
            Kfunc::TaskFromPid => "bpf_task_from_pid",
            Kfunc::TaskRelease => "bpf_task_release",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminator {
    Jump(BlockId),
    /// `if lhs cond rhs goto then else goto els`.
    Branch {
        cond: Cond,
        lhs: VReg,
        rhs: Operand,
        then: BlockId,
        els: BlockId,
    },
    /// Return from the program with this value in r0.
    Return(Operand),
}

impl Terminator {
    pub fn successors(&self) -> Vec<BlockId> {
        match self {
            Terminator::Jump(b) => vec![*b],
            Terminator::Branch { then, els, .. } => vec![*then, *els],
            Terminator::Return(_) => vec![],
        }
    }
}

impl Inst {
    /// The register this instruction writes, if any.
    pub fn def(&self) -> Option<VReg> {
        match self {
            Inst::Ctx { dst }
            | Inst::Arg { dst, .. }
            | Inst::FuncAddr { dst, .. }
            | Inst::KsymAddr { dst, .. }
            | Inst::Mov { dst, .. }
            | Inst::Unary { dst, .. }
            | Inst::Binary { dst, .. }
            | Inst::Cmp { dst, .. }
            | Inst::Load { dst, .. }
            | Inst::SlotAddr { dst, .. }
            | Inst::MapAddr { dst, .. }
            | Inst::GlobalAddr { dst, .. }
            | Inst::CoreConst { dst, .. }
            | Inst::CoreLoad { dst, .. } => Some(*dst),
            Inst::Call { dst, .. } | Inst::CallKfunc { dst, .. } => *dst,
            Inst::Store { .. } | Inst::Zero { .. } | Inst::Copy { .. } | Inst::AtomicAdd { .. } => {
                None
            }
        }
    }

    /// The registers this instruction reads.
    pub fn uses(&self) -> Vec<VReg> {
        fn op(o: &Operand, out: &mut Vec<VReg>) {
            if let Operand::Reg(r) = o {
                out.push(*r);
            }
        }
        fn base(b: &Base, out: &mut Vec<VReg>) {
            if let Base::Reg(r) = b {
                out.push(*r);
            }
        }
        let mut out = Vec::new();
        match self {
            Inst::Ctx { .. }
            | Inst::Arg { .. }
            | Inst::FuncAddr { .. }
            | Inst::KsymAddr { .. }
            | Inst::SlotAddr { .. }
            | Inst::MapAddr { .. }
            | Inst::GlobalAddr { .. }
            | Inst::CoreConst { .. }
            | Inst::Zero { .. } => {}
            Inst::Mov { src, .. } => op(src, &mut out),
            Inst::Unary { src, .. } => out.push(*src),
            Inst::Binary { lhs, rhs, .. } | Inst::Cmp { lhs, rhs, .. } => {
                out.push(*lhs);
                op(rhs, &mut out);
            }
            Inst::Load { base: b, .. } => base(b, &mut out),
            Inst::CoreLoad { base, .. } => out.push(*base),
            Inst::Store { base: b, value, .. } => {
                base(b, &mut out);
                op(value, &mut out);
            }
            Inst::Copy { dst, src, .. } => {
                base(dst, &mut out);
                base(src, &mut out);
            }
            Inst::AtomicAdd { base: b, value, .. } => {
                base(b, &mut out);
                out.push(*value);
            }
            Inst::Call { args, .. } | Inst::CallKfunc { args, .. } => {
                args.iter().for_each(|a| op(a, &mut out))
            }
        }
        out
    }
}

impl Terminator {
    /// The registers this terminator reads.
    pub fn uses(&self) -> Vec<VReg> {
        match self {
            Terminator::Jump(_) => vec![],
            Terminator::Branch { lhs, rhs, .. } => {
                let mut v = vec![*lhs];
                if let Operand::Reg(r) = rhs {
                    v.push(*r);
                }
                v
            }
            Terminator::Return(Operand::Reg(r)) => vec![*r],
            Terminator::Return(Operand::Imm(_)) => vec![],
        }
    }
}
