//! The value types of the contract: how a value sits in a map key, a map value or an
//! event payload ([`Ty`], [`FmtKind`] for values the runtime formats), and how an
//! aggregation lays out its map value ([`AggKind`]).

use serde::{Deserialize, Serialize};

/// The type of a value as it sits in a map key, map value or event payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Ty {
    /// Little-endian integer of `size` bytes (1, 2, 4 or 8).
    Int { size: u8, signed: bool },
    /// NUL-padded string buffer of `size` bytes.
    Str { size: u32 },
    /// A pointer, printed as hex.
    Ptr,
    /// Fields laid out one after another, each at its own offset.
    Tuple { fields: Vec<Field> },
    /// A boolean in the low byte of `size` bytes, printed as `true`/`false`. Format 1.4.
    Bool { size: u8 },
    /// Named fields (a record, `(a = 1, b = "x")`), printed as `{ .a = 1, .b = x }`.
    /// Format 1.4.
    Record { fields: Vec<RecordField> },
    /// A kernel (`kstack`) or user (`ustack`) stack: `u64 key` of its frames, then
    /// `u64 pid` (the process whose addresses a user stack holds). The key is the
    /// frames' hash in the [`MapRole::StackFrames`] map of the same `user` and `limit`
    /// (format 1.15), or in older objects an `i64 stack id` in the
    /// [`MapRole::Stack`] map (negative: no stack). Printed as one symbolized frame
    /// per line in `mode`. Format 1.5.
    Stack {
        user: bool,
        mode: StackMode,
        limit: u32,
    },
    /// `dw_ustack`: `u64 snapshot id` (a [`crate::dwstack`] snapshot the program sent
    /// as an [`crate::EventKind::DwStack`] event before the value), then `u64 pid`.
    /// The runtime unwinds the snapshot with the process's `.eh_frame` and prints it
    /// as a user stack in `mode`, at most `limit` frames. Format 1.13.
    DwStack { mode: StackMode, limit: u32 },
    /// `ksym(addr)` / `usym(addr)`: `u64 address`, then `u64 pid` (for user
    /// addresses), printed as the name of the function holding the address, or the
    /// address in hex when none does. Format 1.5.
    Sym { user: bool },
    /// An integer of enum type (`enum Foo`): printed as the name of its enumerator
    /// (or the number when none has the value) by `print`, in maps and by printf
    /// `%s`; `%d` and JSON output print the number. `id` identifies the enum within
    /// the object. Format 1.4.
    Enum {
        size: u8,
        signed: bool,
        id: u32,
        variants: Vec<EnumVariant>,
    },
    /// `len` values of type `elem` one after another (an integer or bool array,
    /// `int8[4]`), printed `[1,2,3]`.
    Array { elem: Box<Ty>, len: u32 },
    /// A value `tracerun` turns into text when it prints it (`ntop`, `strftime`,
    /// `buf`...); its layout is [`FmtKind`]'s. Format 1.6.
    Fmt { fmt: FmtKind },
}

/// One enumerator of a [`Ty::Enum`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EnumVariant {
    pub name: String,
    pub value: i64,
}

impl Ty {
    /// The enumerator of an enum type with value `v` (two's complement bits).
    pub fn enum_name(&self, v: u64) -> Option<&str> {
        match self {
            Ty::Enum { variants, .. } => variants
                .iter()
                .find(|e| e.value as u64 == v)
                .map(|e| e.name.as_str()),
            _ => None,
        }
    }
}

/// The run-time formatted values of [`Ty::Fmt`], with their layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FmtKind {
    /// `ntop()`: `u64 af` (2: `AF_INET`, 10: `AF_INET6`), then 16 address bytes (the
    /// first 4 for IPv4), printed with `inet_ntop`.
    Inet,
    /// `macaddr()`: 6 bytes (padded to 8), printed as `XX:XX:XX:XX:XX:XX`.
    MacAddr,
    /// `strftime(fmt, ns)`: `u64` index into [`Metadata::strftime_formats`], then `u64`
    /// nanoseconds since boot, printed as local time with `strftime(3)` (plus `%f`,
    /// microseconds).
    Timestamp,
    /// `buf(ptr, len)`: `u64 length`, then `size` bytes (padded to 8); printed with
    /// printable ASCII as is and other bytes as `\xNN`.
    Buf { size: u32 },
    /// `cgroup_path(id)`: `u64` cgroup id, printed as `HIERARCHY:/PATH`.
    CgroupPath,
    /// `username`: `u64` uid, printed as the user's name from `/etc/passwd`.
    Username,
    /// `strerror(n)`: `u64` errno, printed as its description.
    Strerror,
    /// `signal_name(n)`: `u64` signal number, printed as `SIGNAME`.
    SignalName,
    /// `probe`: `u64` index into [`Metadata::attach_names`], printed as that attach
    /// point's [`AttachName::probe`]. Format 1.7.
    ProbeName,
    /// `func`: `u64` index into [`Metadata::attach_names`], printed as that attach
    /// point's [`AttachName::func`]. Format 1.7.
    FuncName,
    /// `syscall_name(n)`: `u64` system call number, printed as its name from
    /// [`Metadata::syscall_names`] (`Unknown syscall` for a number without one).
    /// Format 1.7.
    SyscallName,
    /// A value of a type the language has no value for (a `float` member of a struct
    /// read whole): its `size` bytes are carried and it prints as `null`, as
    /// bpftrace's "none" type does.
    None { size: u32 },
}

impl FmtKind {
    /// Bytes the value occupies.
    pub fn size(self) -> u32 {
        match self {
            FmtKind::Inet => 24,
            FmtKind::MacAddr => 8,
            FmtKind::Timestamp => 16,
            FmtKind::Buf { size } => 8 + size.div_ceil(8) * 8,
            FmtKind::CgroupPath
            | FmtKind::Username
            | FmtKind::Strerror
            | FmtKind::SignalName
            | FmtKind::ProbeName
            | FmtKind::FuncName
            | FmtKind::SyscallName => 8,
            FmtKind::None { size } => size,
        }
    }
}

/// How a stack is printed (bpftrace's `stack_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackMode {
    /// `func+offset`, indented.
    Bpftrace,
    /// `\taddress func+offset`, user frames followed by ` (path)`.
    Perf,
    /// The address alone, in hex.
    Raw,
    /// `ustack(build_id)`: each frame as the build id of its file (hex) and the offset
    /// in it, or the address when the kernel found no build id. The stack lives in the
    /// [`MapRole::BuildIdStack`] map of the same `limit`.
    BuildId,
}

/// Bytes of a [`Ty::Stack`] value.
pub const STACK_VALUE_SIZE: u32 = 16;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecordField {
    pub name: String,
    pub offset: u32,
    pub ty: Ty,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Field {
    pub offset: u32,
    pub ty: Ty,
}

impl Ty {
    /// Bytes the value occupies.
    pub fn size(&self) -> u32 {
        match self {
            Ty::Int { size, .. } | Ty::Enum { size, .. } => u32::from(*size),
            Ty::Str { size } => *size,
            Ty::Ptr => 8,
            Ty::Tuple { fields } => fields
                .iter()
                .map(|f| f.offset + f.ty.size())
                .max()
                .unwrap_or(0),
            Ty::Bool { size } => u32::from(*size),
            Ty::Stack { .. } | Ty::Sym { .. } | Ty::DwStack { .. } => STACK_VALUE_SIZE,
            Ty::Fmt { fmt } => fmt.size(),
            Ty::Record { fields } => fields
                .iter()
                .map(|f| f.offset + f.ty.size())
                .max()
                .unwrap_or(0),
            Ty::Array { elem, len } => elem.size().saturating_mul(*len),
        }
    }
}

/// How a user map's value is stored and combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggKind {
    /// `@m = expr`: a plain value of [`MapSpec::value`]'s type, in a shared hash.
    Assign,
    /// `count()`: per-CPU `u64`, summed.
    Count,
    /// `sum(x)`: per-CPU 8-byte integer (signedness from `value`), summed.
    Sum,
    /// `min(x)`: per-CPU `{ i64 value; u64 set; }`; the minimum over CPUs with `set != 0`.
    Min,
    /// `max(x)`: per-CPU `{ i64 value; u64 set; }`; the maximum over CPUs with `set != 0`.
    Max,
    /// `avg(x)`: per-CPU `{ i64 total; u64 count; }`; printed as `total / count`.
    Avg,
    /// `stats(x)`: like [`AggKind::Avg`], printed as count, average and total. Format 1.3.
    Stats,
    /// `hist(x[, bits])`: per-CPU `u64` counts, one map entry per bucket: the key is the
    /// script's key (the `u64` 0 for a scalar map) padded to 8 bytes, then a `u64`
    /// bucket index. Bucket 0 counts negative values; with `bits` = k, buckets 1..=2^k count
    /// the values 0..2^k-1, and every power of two above is split into 2^k buckets
    /// (bpftrace's `log2(n, k)`). Format 1.3.
    Hist { bits: u32 },
    /// `lhist(x, min, max, step)`: keys as for [`AggKind::Hist`]; bucket 0 counts values
    /// below `min`, bucket `1 + (x - min) / step` the values in range, and bucket
    /// `1 + (max - min) / step` also everything above `max`. Format 1.3.
    Lhist { min: i64, max: i64, step: i64 },
    /// `tseries(x, interval_ns, num_intervals[, agg])`: per-CPU
    /// `{ i64 value; u64 meta; u64 epoch; }`, one map entry per bucket: the key is as
    /// for [`AggKind::Hist`], the bucket index is `epoch % num_intervals` where `epoch`
    /// is `bpf_ktime_get_tai_ns() / interval_ns`. `meta` is the write time (no `agg`),
    /// the count (`avg`) or 1 once set (`min`, `max`).
    Tseries {
        interval_ns: u64,
        num_intervals: u64,
        agg: TseriesAgg,
    },
    /// `lhist(x, min, max, step)` with bounds read from parameters (`lhist(x, $1, $2,
    /// $3)`): stored as [`AggKind::Lhist`]; the runtime turns it into one once it knows
    /// the parameters ([`AggKind::resolve`]).
    LhistParam { min: Bound, max: Bound, step: Bound },
}

/// A bound of an aggregation: a constant, or the integer parameter
/// `Metadata::params[i]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    Const(i64),
    Param(u32),
}

/// How `tseries` combines the values written in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TseriesAgg {
    /// The last value written.
    Last,
    Avg,
    Max,
    Min,
    Sum,
}

impl TseriesAgg {
    /// The aggregation named by `tseries`' fourth argument.
    pub fn from_name(name: &str) -> Option<TseriesAgg> {
        Some(match name {
            "avg" => TseriesAgg::Avg,
            "max" => TseriesAgg::Max,
            "min" => TseriesAgg::Min,
            "sum" => TseriesAgg::Sum,
            _ => return None,
        })
    }
}

impl AggKind {
    /// Whether the map is `BPF_MAP_TYPE_PERCPU_HASH`.
    pub fn per_cpu(self) -> bool {
        !matches!(self, AggKind::Assign)
    }
    /// Bytes of one (per-CPU) value slot.
    pub fn slot_size(self, value: &Ty) -> u32 {
        match self {
            AggKind::Assign => value.size(),
            AggKind::Count | AggKind::Sum | AggKind::Hist { .. } | AggKind::Lhist { .. } => 8,
            AggKind::Min | AggKind::Max | AggKind::Avg | AggKind::Stats => 16,
            AggKind::Tseries { .. } => 24,
            AggKind::LhistParam { .. } => 8,
        }
    }
    /// [`AggKind::LhistParam`] as the [`AggKind::Lhist`] it is for the parameter values
    /// `param` returns (`None`: not an integer parameter); other kinds unchanged.
    pub fn resolve(self, param: impl Fn(u32) -> Option<i64>) -> Option<AggKind> {
        let AggKind::LhistParam { min, max, step } = self else {
            return Some(self);
        };
        let value = |b: Bound| match b {
            Bound::Const(v) => Some(v),
            Bound::Param(i) => param(i),
        };
        Some(AggKind::Lhist {
            min: value(min)?,
            max: value(max)?,
            step: value(step)?,
        })
    }
    /// Whether the map key ends with a `u64` bucket index (hist, lhist, tseries).
    pub fn bucketed(self) -> bool {
        matches!(
            self,
            AggKind::Hist { .. }
                | AggKind::Lhist { .. }
                | AggKind::Tseries { .. }
                | AggKind::LhistParam { .. }
        )
    }
}
