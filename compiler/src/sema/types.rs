//! The semantic types of script values and the checked (typed) tree that `lower` consumes.

use crate::front::ast::Span;
use tracec_meta::{AggKind, FmtKind, StackMode, Ty};

#[path = "types_stmt.rs"]
mod stmt;
pub use stmt::*;

/// Maximum length of a string read with `str()` (bpftrace 0.17's default
/// `BPFTRACE_STRLEN`), including the terminating NUL.
pub const MAX_STRING_SIZE: u32 = 64;
/// `comm` is a `char[16]`.
pub const COMM_SIZE: u32 = 16;
/// `join()` reads at most this many pointers from the array...
pub const JOIN_MAX_ARGS: u32 = 16;
/// ...and at most this many bytes of each string.
pub const JOIN_ARG_SIZE: u32 = 64;
/// `max_entries` of script maps.
pub const DEFAULT_MAX_ENTRIES: u32 = 4096;

/// What a pointer points to, as far as the language cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pointee {
    /// `char *`: `str()` reads it.
    Char,
    /// A pointer to pointers (`char **argv`): `join()` reads it.
    Ptr,
    /// A kernel struct or union (its type id in the kernel BTF the compiler reads):
    /// `->`/`.` read its fields with CO-RE relocations.
    Kernel {
        id: u32,
    },
    Other,
    /// Some other value of `size` bytes (`int32 *`): pointer arithmetic scales by it.
    Sized {
        size: u32,
    },
    /// A script variable's tuple (`&$t`): `*` reads the whole tuple.
    Tuple(super::tuple::TupleRef),
    /// A script variable's formatted value (`&$u` of a `username`): `*` reads it.
    Fmt(tracec_meta::FmtKind),
    /// A pointer to a pointer to the interned pointee (`struct Foo **`, `int32 **`):
    /// `*` reads the inner pointer with its type (see `sema::ptr_to`).
    PtrTo(super::ptr_to::PtrRef),
    /// An integer given an address space by `uptr()`/`kptr()` (bpftrace keeps its
    /// integer type): arithmetic is on bytes, and `*` reads a `uint64` there.
    Addr,
}

/// The type of a script value. Integers are 64 bits wide in registers; only their
/// signedness matters to the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Int {
        signed: bool,
        /// The BTF id of its enum type (script or kernel): `%s`, `print` and map
        /// output show the enumerator's name. Arithmetic drops it.
        enum_id: Option<u32>,
    },
    /// A NUL-padded string buffer of `size` bytes.
    Str { size: u32 },
    /// A pointer that remembers its address space.
    Ptr { user: bool, to: Pointee },
    /// `true` / `false`: 0 or 1 in a register.
    Bool,
    /// A tuple or record: fields at fixed offsets in memory (see `sema::tuple`).
    Tuple(super::tuple::TupleRef),
    /// `kstack` / `ustack`: a stack id and a pid in memory (see `tracec_meta::Ty::Stack`).
    Stack(StackTy),
    /// A value the runtime formats (`ntop`, `strftime`, `buf`...): bytes in memory
    /// laid out as `tracec_meta::FmtKind` says (see `sema::fmtvals`).
    Fmt(FmtKind),
    /// The result of a function that returns nothing (`printf`).
    Void,
    /// Not known (yet): an earlier error, or a map whose type comes from a later probe.
    /// Never reported on, so that one mistake gives one diagnostic.
    Unknown,
}

impl Type {
    pub const U64: Type = Type::Int {
        signed: false,
        enum_id: None,
    };
    pub const I64: Type = Type::Int {
        signed: true,
        enum_id: None,
    };

    /// A plain integer of the given signedness.
    pub const fn int(signed: bool) -> Type {
        Type::Int {
            signed,
            enum_id: None,
        }
    }

    /// The type without its enum (an enum-typed integer becomes a plain one).
    pub fn plain(self) -> Type {
        match self {
            Type::Int { signed, .. } => Type::int(signed),
            other => other,
        }
    }

    /// Integers and pointers: values that live in a register.
    pub fn is_scalar(self) -> bool {
        matches!(self, Type::Int { .. } | Type::Ptr { .. } | Type::Bool)
    }
    /// Values that live in memory (strings, tuples, stacks) rather than in a register.
    pub fn is_mem(self) -> bool {
        matches!(
            self,
            Type::Str { .. } | Type::Tuple(_) | Type::Stack(_) | Type::Fmt(_)
        )
    }
    pub fn is_str(self) -> bool {
        matches!(self, Type::Str { .. })
    }
    pub fn is_signed(self) -> bool {
        matches!(self, Type::Int { signed: true, .. })
    }
    /// How users see the type in messages.
    pub fn describe(self) -> String {
        match self {
            Type::Int { signed: true, .. } => "an integer".into(),
            Type::Int { signed: false, .. } => "an unsigned integer".into(),
            Type::Str { size } => format!("a string[{size}]"),
            Type::Ptr { .. } => "a pointer".into(),
            Type::Bool => "a bool".into(),
            Type::Tuple(t) => t.describe(),
            Type::Stack(s) => s.name().into(),
            Type::Fmt(f) => format!("a {}", super::fmtvals::name(f)),
            Type::Void => "no value".into(),
            Type::Unknown => "an unknown value".into(),
        }
    }
    /// A short kind word for messages: `integer`, `string`, `pointer`.
    pub fn kind_word(self) -> &'static str {
        match self {
            Type::Int { .. } => "integer",
            Type::Str { .. } => "string",
            Type::Ptr { .. } => "pointer",
            Type::Bool => "bool",
            Type::Tuple(t) if t.record => "record",
            Type::Tuple(_) => "tuple",
            Type::Stack(s) => s.name(),
            Type::Fmt(f) => super::fmtvals::name(f),
            Type::Void => "no value",
            Type::Unknown => "unknown",
        }
    }
    /// The type as it sits in maps and events: integers and pointers take 8 bytes.
    pub fn meta(self) -> Ty {
        match self {
            Type::Int {
                signed,
                enum_id: Some(id),
            } => Ty::Enum {
                size: 8,
                signed,
                id,
                variants: Vec::new(),
            },
            Type::Int { signed, .. } => Ty::Int { size: 8, signed },
            Type::Str { size } => Ty::Str { size },
            // `uptr(n)` of an integer stays an integer in bpftrace's output.
            Type::Ptr {
                to: Pointee::Addr, ..
            } => Ty::Int {
                size: 8,
                signed: false,
            },
            Type::Ptr { .. } => Ty::Ptr,
            Type::Bool => Ty::Bool { size: 8 },
            Type::Tuple(t) => t.meta(),
            Type::Stack(s) if s.sym => Ty::Sym { user: s.user },
            Type::Stack(s) if s.dwarf => Ty::DwStack {
                mode: s.mode,
                limit: s.limit,
            },
            Type::Stack(s) => Ty::Stack {
                user: s.user,
                mode: s.mode,
                limit: s.limit,
            },
            Type::Fmt(fmt) => Ty::Fmt { fmt },
            Type::Void | Type::Unknown => Ty::Int {
                size: 8,
                signed: false,
            },
        }
    }
    /// Bytes the value takes in a map value or event (strings unpadded).
    pub fn storage_size(self) -> u32 {
        match self {
            Type::Str { size } => size,
            Type::Tuple(t) => t.size,
            Type::Stack(_) => tracec_meta::STACK_VALUE_SIZE,
            Type::Fmt(f) => f.size(),
            _ => 8,
        }
    }
}

/// bpftrace's default and largest stack depth (`perf_max_stack`).
pub const MAX_STACK_FRAMES: u32 = 127;

/// The type of a `kstack` / `ustack` value: which stack, printed how, how deep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StackTy {
    pub user: bool,
    pub mode: StackMode,
    /// Frames kept, 1 to [`MAX_STACK_FRAMES`].
    pub limit: u32,
    /// `ksym(addr)` / `usym(addr)`: one address (in place of the stack id), printed
    /// as the name of its function.
    pub sym: bool,
    /// `dw_ustack`: a user stack unwound by the runtime from a snapshot of the
    /// registers and stack (`lower/dw_stack.rs`), not by frame pointers.
    pub dwarf: bool,
}

impl StackTy {
    pub fn name(self) -> &'static str {
        if self.dwarf {
            return "dw_ustack";
        }
        match (self.sym, self.user) {
            (false, true) => "ustack",
            (false, false) => "kstack",
            (true, true) => "usym",
            (true, false) => "ksym",
        }
    }
}

/// Round up to a multiple of 8.
pub fn align8(n: u32) -> u32 {
    n.div_ceil(8) * 8
}

/// A scratch variable of one concrete probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub u32);

/// A script map (index into [`super::Checked::maps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MapIdx(pub u32);

/// Builtins that read something about the current task or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `pid`: the process id as seen from the runtime's pid namespace (the initial
    /// namespace's id when the runtime runs there, see `lower/pid_plain.rs`).
    Pid,
    /// `tid`: as [`Builtin::Pid`], the thread id.
    Tid,
    /// `pid(init)`: the process id in the initial pid namespace.
    PidInit,
    /// `tid(init)`: the thread id in the initial pid namespace.
    TidInit,
    /// `pid(curr_ns)`: the process id in the runtime's pid namespace.
    PidCurrNs,
    /// `tid(curr_ns)`: the thread id in the runtime's pid namespace.
    TidCurrNs,
    Uid,
    Gid,
    /// `nsecs(monotonic)`: `CLOCK_MONOTONIC` nanoseconds.
    Nsecs,
    Elapsed,
    Cpu,
    Comm,
    /// `curtask`: the current `struct task_struct *`.
    CurTask,
    /// The program's context pointer (`ctx` in iterators).
    Ctx,
    /// `nsecs(boot)` (also plain `nsecs`): `CLOCK_BOOTTIME` nanoseconds.
    NsecsBoot,
    /// `nsecs(tai)`, `nsecs(sw_tai)`: `CLOCK_TAI` nanoseconds.
    NsecsTai,
    /// `jiffies`: `bpf_jiffies64`.
    Jiffies,
    /// `rand`: a pseudo-random `u32`.
    Rand,
    /// `cgroup`: the current task's cgroup v2 id.
    Cgroup,
    /// `numaid`: the NUMA node running the program.
    NumaId,
    /// `ncpus`: the number of possible CPUs, set by the runtime in `.rodata`.
    Ncpus,
    /// `cpid`: the pid of the child of `tracerun -c CMD` (0 without one), in `.rodata`.
    Cpid,
    /// `has_cpid`: whether there is such a child.
    HasCpid,
    /// `usermode` where ctx starts with the interrupted `struct pt_regs` (kprobe,
    /// uprobe, profile, interval): 1 if the CPU was in user mode.
    UserMode,
    /// `bpf_get_attach_cookie(ctx)`: which attach point of a shared program fired
    /// (see `attach_names`).
    AttachCookie,
    /// `bpf_get_func_ip(ctx)`: the traced function's address (kretprobe, fentry,
    /// fexit), for `func` stored where a `ksym` is (`sema/func_sym.rs`).
    FuncIp,
}

/// Integer arithmetic with signedness resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div { signed: bool },
    Mod { signed: bool },
    And,
    Or,
    Xor,
    Shl,
    Shr { signed: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    BitNot,
    LogNot,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TExpr {
    pub kind: TExprKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TExprKind {
    /// A constant (literals and folded arithmetic).
    Int(i64),
    /// `a / b` or `a % b` with a divisor known only at run time: when it is 0 the
    /// result is 1 and printf `warn` (a located warning) is sent, as bpftrace does.
    DivChecked {
        op: Arith,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
        warn: u32,
    },
    /// `$s[i]`: the byte (a signed `char`) at index `i` of a string; 0 past its end.
    StrIndex {
        base: Box<TExpr>,
        index: Box<TExpr>,
    },
    /// `delete(@m, key)` used for its value: true when the element was there.
    DeleteElem {
        map: MapIdx,
        keys: Vec<TExpr>,
    },
    /// A string literal; its type is `Str { size: len + 1 }`.
    Str(String),
    Builtin(Builtin),
    Var(VarId),
    /// A run-time parameter's `.rodata` global: its value (integer or string type), or
    /// with a pointer type the address of its text (`str($1)`).
    Param(super::params::ParamId),
    /// A tracepoint integer or pointer field: `size` bytes at `offset` from ctx.
    TpField {
        offset: u32,
        size: u32,
        signed: bool,
    },
    /// A tracepoint integer or pointer field of `size` bytes from ctx, at the offset
    /// of `access` (a member of `struct trace_event_raw_<class>`), CO-RE relocated.
    TpFieldCore {
        size: u32,
        signed: bool,
        access: crate::ir::CoreAccess,
    },
    /// A `char name[len]` field of a BTF-described tracepoint record, copied with
    /// `bpf_probe_read_kernel` from ctx at the CO-RE relocated offset `access`, for the
    /// relocated size of the field (at most `len` bytes).
    TpCharArrayCore {
        len: u32,
        access: crate::ir::CoreAccess,
    },
    /// A `char name[len]` tracepoint field.
    TpCharArray {
        offset: u32,
        len: u32,
    },
    /// Argument `index` of a USDT probe, computed from the spec the runtime stored
    /// for the location that fired (`tracec_meta::usdt`).
    UsdtArg {
        index: u32,
    },
    /// A `__data_loc char[]` tracepoint field, read with `probe_read_kernel_str`.
    TpDataLoc {
        offset: u32,
    },
    /// A field of a kernel struct read through a pointer with `bpf_probe_read_kernel`
    /// at the CO-RE relocated offset `access` from `ptr`.
    KernelField {
        ptr: Box<TExpr>,
        access: crate::ir::CoreAccess,
        read: KernelRead,
    },
    /// `&$var`: the address of the variable's storage on the stack.
    AddrOf(VarId),
    /// `*ptr` of a pointer to a tuple or formatted value (`*&$t`): its `size` bytes,
    /// read with `bpf_probe_read_user` (`user`) or `bpf_probe_read_kernel`; the
    /// expression's type says what they are.
    DerefMem {
        ptr: Box<TExpr>,
        size: u32,
        user: bool,
    },
    /// `*ptr` of a struct pointer: the struct's `size` bytes read, then each member
    /// (bitfields extracted) written into the record the expression's type lays out.
    StructValue {
        ptr: Box<TExpr>,
        user: bool,
        size: u32,
        members: Vec<super::struct_value::MemberRead>,
    },
    /// `*ptr` of an integer (or pointer) of `size` bytes, read with
    /// `bpf_probe_read_user` (`user`) or `bpf_probe_read_kernel`.
    Deref {
        ptr: Box<TExpr>,
        size: u32,
        signed: bool,
        user: bool,
    },
    /// A constant the loader computes for the running kernel (`access.kind`: a
    /// field's existence, size or offset, a type's existence or size), from C's
    /// `bpf_core_field_exists()`... (`sema/core_query.rs`).
    CoreValue {
        access: crate::ir::CoreAccess,
    },
    /// The address of a field: `ptr` plus the CO-RE relocated offset `access` (an
    /// array decaying to a pointer, `&p->a[1]`, the base of an element read).
    FieldAddr {
        ptr: Box<TExpr>,
        access: crate::ir::CoreAccess,
    },
    /// An array index known only at run time: its value, after sending the located
    /// printf `warn` when it is not below `len` (bpftrace's out-of-bounds warning).
    IndexWarn {
        index: Box<TExpr>,
        len: u32,
        warn: u32,
    },
    /// `a[i]` of an integer array value in memory with a run-time index: the element,
    /// or 0 (after the located printf `warn`) when `i` is out of bounds.
    ArrayElem {
        base: Box<TExpr>,
        index: Box<TExpr>,
        warn: u32,
    },
    /// `@m[keys]` read as a value; missing keys read as 0 / "".
    MapRead {
        map: MapIdx,
        keys: Vec<TExpr>,
    },
    /// `str(ptr[, len])` into a [`MAX_STRING_SIZE`] buffer.
    StrCall {
        ptr: Box<TExpr>,
        len: Option<Box<TExpr>>,
        user: bool,
    },
    Unary {
        op: UnaryOp,
        expr: Box<TExpr>,
    },
    Arith {
        op: Arith,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    /// Integer comparison yielding 0 or 1.
    Cmp {
        cond: crate::ir::Cond,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    /// String (in)equality yielding 0 or 1.
    StrEq {
        negate: bool,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    /// Short-circuit `&&` (`and`) / `||`, yielding 0 or 1.
    Logic {
        and: bool,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    Ternary {
        cond: Box<TExpr>,
        then: Box<TExpr>,
        els: Box<TExpr>,
    },
    /// `bswap(expr)` of its low `bytes` bytes (1, 2, 4 or 8).
    Bswap {
        expr: Box<TExpr>,
        bytes: u32,
    },
    /// `strncmp(lhs, rhs, n)`: 0 when equal up to `n` bytes or a shared NUL, else 1.
    StrNcmp {
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
        n: u32,
    },
    /// `strncmp(lhs, rhs, $N)`: as [`TExprKind::StrNcmp`] with the length a run-time
    /// parameter (bpftrace substitutes it when it compiles; tracec reads it at run time).
    StrNcmpParam {
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
        n: Box<TExpr>,
    },
    /// `a == b` / `a != b` (`negate`) of two `buf()` values: equal when their lengths
    /// and their bytes up to that length are.
    BufEq {
        negate: bool,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    /// `(intN)a` of an integer array of `size` bytes (`sema/array_bits.rs`): its
    /// bytes as one integer, sign-extended if `signed`.
    ArrayBits {
        array: Box<TExpr>,
        size: u32,
        signed: bool,
    },
    /// `a == b` / `a != b` (`negate`) of two integer arrays of one layout: equal
    /// when their bytes are (`sema/array_cmp.rs`).
    ArrayEq {
        negate: bool,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    /// `a == b` / `a != b` (`negate`) of two tuples or records: both converted to the
    /// common layout `ty`, equal when their bytes are (`sema/tuple_cmp.rs`).
    TupleEq {
        negate: bool,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
        ty: super::tuple::TupleRef,
    },
    /// `strcontains(hay, needle)`: 1 when `needle` occurs in `hay`.
    StrContains {
        hay: Box<TExpr>,
        needle: Box<TExpr>,
    },
    /// `strlen(s)`.
    StrLen(Box<TExpr>),
    /// A tuple or record literal: the elements in field order of the expression's
    /// [`Type::Tuple`] (records in the order written, which is their layout order).
    Tuple(Vec<TExpr>),
    /// Field `index` of a tuple or record value.
    TupleGet {
        base: Box<TExpr>,
        index: u32,
    },
    /// `kstack` / `ustack` of the current probe (the expression's type is
    /// [`Type::Stack`]).
    Stack(StackTy),
    /// `ksym(addr)` / `usym(addr)` (the expression's type is a [`Type::Stack`] with
    /// `sym` set).
    Sym {
        user: bool,
        addr: Box<TExpr>,
    },
    /// `has_key(@map, keys)`: 1 when the map holds the key.
    HasKey {
        map: MapIdx,
        keys: Vec<TExpr>,
    },
    /// `len(@map)`: the number of entries.
    MapLen(MapIdx),
    /// `len(ustack(...))`: the number of frames of the current stack of this kind and
    /// depth (`sema/stack_len.rs`, `lower/stack_len.rs`).
    StackLen(StackTy),
    /// A value the runtime formats (the expression's type is a [`Type::Fmt`]).
    FmtValue(FmtExpr),
    /// `kaddr("name")` / `uaddr("name")`: the `u64` `.rodata` global the runtime sets
    /// to the symbol's address on the host (index into `Checked::symbol_globals`).
    SymbolAddr(u32),
    /// `percpu_kaddr(name[, cpu])`: the address of this CPU's (or `cpu`'s) copy of
    /// the kernel percpu variable `name` (`sema/percpu.rs`).
    PercpuKaddr {
        name: String,
        cpu: Option<Box<TExpr>>,
    },
    /// A block expression: the statements, then the value.
    Block {
        stmts: Vec<TStmt>,
        value: Box<TExpr>,
    },
    /// `probe`/`func` as a string, read from a table by a run-time index
    /// (`sema/name_str.rs`).
    NameStr(Box<super::name_str::NameStr>),
    /// A standard-library helper (`sema/stdlib.rs`).
    Stdlib(Box<super::stdlib::StdlibExpr>),
}

/// How a kernel struct field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KernelRead {
    /// An integer (or enum) of 1, 2, 4 or 8 bytes.
    Int { size: u32, signed: bool },
    /// A pointer.
    Ptr,
    /// A `char name[len]` array, read as a string.
    Chars { len: u32 },
}

/// The right-hand side of a map assignment.
#[derive(Debug, Clone, PartialEq)]
pub enum MapValue {
    Plain(TExpr),
    Count,
    Sum(TExpr),
    Min(TExpr),
    Max(TExpr),
    Avg(TExpr),
    Stats(TExpr),
    /// `hist(x[, bits])`.
    Hist {
        x: TExpr,
        bits: u32,
    },
    /// `lhist(x, min, max, step)`.
    Lhist {
        x: TExpr,
        min: i64,
        max: i64,
        step: i64,
    },
    /// `lhist(x, min, max, step)` with some bounds run-time parameters: each bound is
    /// an integer constant or a [`TExprKind::Param`] (min, max, step).
    LhistParam {
        x: TExpr,
        bounds: Box<[TExpr; 3]>,
    },
    /// `tseries(x, interval_ns, num_intervals[, agg])`.
    Tseries {
        x: TExpr,
        interval_ns: u64,
        num_intervals: u64,
        agg: tracec_meta::TseriesAgg,
    },
}

impl MapValue {
    pub fn agg(&self) -> AggKind {
        match self {
            MapValue::Plain(_) => AggKind::Assign,
            MapValue::Count => AggKind::Count,
            MapValue::Sum(_) => AggKind::Sum,
            MapValue::Min(_) => AggKind::Min,
            MapValue::Max(_) => AggKind::Max,
            MapValue::Avg(_) => AggKind::Avg,
            MapValue::Stats(_) => AggKind::Stats,
            MapValue::Hist { bits, .. } => AggKind::Hist { bits: *bits },
            MapValue::Lhist { min, max, step, .. } => AggKind::Lhist {
                min: *min,
                max: *max,
                step: *step,
            },
            MapValue::LhistParam { bounds, .. } => {
                let [min, max, step] = &**bounds;
                let bound = |e: &TExpr| match e.kind {
                    TExprKind::Param(p) => tracec_meta::Bound::Param(p.0),
                    TExprKind::Int(v) => tracec_meta::Bound::Const(v),
                    _ => tracec_meta::Bound::Const(0),
                };
                AggKind::LhistParam {
                    min: bound(min),
                    max: bound(max),
                    step: bound(step),
                }
            }
            MapValue::Tseries {
                interval_ns,
                num_intervals,
                agg,
                ..
            } => AggKind::Tseries {
                interval_ns: *interval_ns,
                num_intervals: *num_intervals,
                agg: *agg,
            },
        }
    }
}
