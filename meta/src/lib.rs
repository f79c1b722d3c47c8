//! The contract between `tracec` (which writes objects) and `tracerun` (which runs them).
//!
//! Everything both binaries must agree on lives here and nowhere else:
//!
//! * the name and framing of the metadata section ([`SECTION`], [`encode`], [`decode`]),
//!   including its format version;
//! * the [`Metadata`] it carries: probes to attach, the role of every map, printf formats;
//! * the layout of ringbuf events ([`EventKind`], [`EVENT_HEADER_SIZE`]);
//! * the in-map layout of aggregation values ([`AggKind`]);
//! * the names of the well-known globals in `.rodata` ([`GLOBAL_START_NS`]);
//! * the script's run-time parameters (`$1`, `$#`, `getopt`) and the layout of the
//!   `.rodata` globals that carry them ([`ParamSpec`], [`ParamType::encode`]).
//!
//! The payload is JSON behind a small binary header. JSON keeps the section
//! self-describing (`tracerun --info`, `readelf -x`), and the header lets a runtime
//! refuse a newer major format before it tries to parse anything.

use serde::{Deserialize, Serialize};

mod decode;
pub mod glob;
pub mod sign;
pub mod usdt;

/// ELF section that holds the metadata. Not a libbpf-known name, so libbpf and aya skip it.
pub const SECTION: &str = ".tracec.meta";
/// First four bytes of the section.
pub const MAGIC: [u8; 4] = *b"TRCM";
/// Bumped when an old runtime could not run a new object correctly.
pub const FORMAT_MAJOR: u16 = 1;
/// Bumped for additions an old runtime may safely ignore.
pub const FORMAT_MINOR: u16 = 10;
/// ELF section holding an object's signature (see `tracec --sign`), when it is signed.
pub const SIGNATURE_SECTION: &str = ".tracec.sig";
/// Size of the header in front of the JSON payload: magic, major, minor, payload length.
pub const HEADER_SIZE: usize = 12;

/// Every ringbuf record starts with `u32 kind` then `u32 id` (little endian).
pub const EVENT_HEADER_SIZE: usize = 8;

/// `.rodata` global holding `CLOCK_MONOTONIC` nanoseconds at runtime start; `elapsed`
/// subtracts it. The runtime sets it before loading.
pub const GLOBAL_START_NS: &str = "tracec_start_ns";
/// `.rodata` global (`u64`) holding the number of possible CPUs of the host the
/// object runs on (`ncpus`); the runtime sets it before loading.
pub const GLOBAL_NCPUS: &str = "tracec_ncpus";
/// `.rodata` global (`u64`) holding the pid of the child started with `tracerun -c
/// CMD` (`cpid`), 0 without one; the runtime sets it before loading.
pub const GLOBAL_CPID: &str = "tracec_cpid";
/// `.rodata` global (`u64`) holding the device of the runtime's pid namespace
/// (`/proc/self/ns/pid`), in the kernel's `dev_t` encoding, for `pid(curr_ns)` and
/// `tid(curr_ns)`; the runtime sets it before loading.
pub const GLOBAL_PIDNS_DEV: &str = "tracec_pidns_dev";
/// `.rodata` global (`u64`) holding the inode of the runtime's pid namespace; see
/// [`GLOBAL_PIDNS_DEV`].
pub const GLOBAL_PIDNS_INO: &str = "tracec_pidns_ino";
/// `.rodata` global (`u64`): 1 when the runtime runs in a pid namespace other than
/// the initial one, else 0. Plain `pid`/`tid` then read the ids seen from there
/// (`bpf_get_ns_current_pid_tgid`); the runtime sets it before loading, and since
/// `.rodata` is frozen the verifier follows only the branch it selects.
pub const GLOBAL_PIDNS_CHILD: &str = "tracec_pidns_child";

/// The kind word of a ringbuf event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum EventKind {
    /// `id` indexes [`Metadata::printfs`]; payload is laid out by [`PrintfSpec::args`].
    Printf = 1,
    /// `id` indexes [`Metadata::joins`]; payload: `u64 count`, then `max_args` strings
    /// of `arg_size` bytes each; only the first `count` are meaningful.
    Join = 2,
    /// `exit()`: stop tracing, run END, print maps. An optional payload `i64 code`
    /// (`exit(code)`) is the runtime's exit status.
    Exit = 3,
    /// `clear(@m)`: `id` indexes [`Metadata::maps`].
    Clear = 4,
    /// `print(@m[, top[, div]])`: `id` indexes [`Metadata::maps`]; payload: `u64 top`
    /// (0: all entries), `u64 div` (0 or 1: values as they are). Format 1.3.
    PrintMap = 5,
    /// `print(value)`: `id` indexes [`Metadata::print_values`], the value's type; the
    /// value is the payload. Format 1.3.
    PrintValue = 6,
    /// `zero(@m)`: set every value of map `id` to zero, keeping the keys. Format 1.3.
    Zero = 7,
    /// `cat(fmt, ...)`: print the contents of the file whose name is the printf
    /// [`Metadata::printfs`] `id` formatted with the payload.
    Cat = 8,
    /// `system(fmt, ...)`: run the formatted command (needs `--unsafe`).
    System = 9,
    /// `time(fmt)`: print the local time formatted by strftime with printf `id`'s format.
    Time = 10,
    /// `warnf(fmt, ...)`: the formatted printf `id` on stderr (prefixed at compile time
    /// with `LOCATION: WARNING: `).
    Warn = 11,
    /// `errorf(fmt, ...)`: like [`EventKind::Warn`], with `ERROR: `.
    Error = 12,
}

impl EventKind {
    pub fn from_u32(v: u32) -> Option<EventKind> {
        Some(match v {
            1 => EventKind::Printf,
            2 => EventKind::Join,
            3 => EventKind::Exit,
            4 => EventKind::Clear,
            5 => EventKind::PrintMap,
            6 => EventKind::PrintValue,
            7 => EventKind::Zero,
            8 => EventKind::Cat,
            9 => EventKind::System,
            10 => EventKind::Time,
            11 => EventKind::Warn,
            12 => EventKind::Error,
            _ => return None,
        })
    }
}

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
    /// A kernel (`kstack`) or user (`ustack`) stack: `i64 stack id` in the
    /// [`MapRole::Stack`] map of the same `user` and `limit` (negative: no stack),
    /// then `u64 pid` (the process whose addresses a user stack holds). Printed as
    /// one symbolized frame per line in `mode`. Format 1.5.
    Stack {
        user: bool,
        mode: StackMode,
        limit: u32,
    },
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
            Ty::Stack { .. } | Ty::Sym { .. } => STACK_VALUE_SIZE,
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

/// What a BPF map is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum MapRole {
    /// A script map such as `@name`; printed at exit.
    User {
        /// As written, with the `@`: `@`, `@filename`.
        name: String,
        /// Key type; `None` for a scalar map (stored under the `u64` key 0).
        key: Option<Ty>,
        /// Value type as the script sees it (for count/sum/min/max/avg: the result type).
        value: Ty,
        agg: AggKind,
    },
    /// The one ringbuf all events go through.
    Events,
    /// Per-CPU array of one `u64`: events dropped because the ringbuf was full.
    /// Written by objects of format 1.4 and older; see [`MapRole::LostCounter`].
    Lost,
    /// Not a map of its own: the symbol is a `u64` global variable in a writable data
    /// section (`.bss`), which programs increment atomically for every event dropped
    /// because the ringbuf was full. The loader makes that section a one-element
    /// array map named after it; the runtime reads the counter at the symbol's offset.
    LostCounter,
    /// A `BPF_MAP_TYPE_STACK_TRACE` map: `u32` stack id to `limit` `u64` addresses
    /// (zero after the last frame), of kernel or `user` stacks. Format 1.5.
    Stack { user: bool, limit: u32 },
    /// The `BPF_F_STACK_BUILD_ID` stack trace map of user stacks `limit` frames deep:
    /// `struct bpf_stack_build_id` (32 bytes) per frame.
    BuildIdStack { limit: u32 },
    /// Array map of [`usdt::MAX_SPECS`] USDT argument specs of [`usdt::SPEC_SIZE`]
    /// bytes, indexed by the attach cookie; filled by the runtime before attaching.
    UsdtSpecs,
    /// The `BPF_MAP_TYPE_PERF_EVENT_ARRAY` that `skboutput` sends packets through
    /// (`bpf_skb_output`): one perf buffer per CPU, opened by the runtime. Each
    /// sample is a [`SkbOutputHeader`]-laid-out record followed by the packet bytes.
    /// Format 1.10.
    SkbOutput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSpec {
    /// The map's ELF symbol (its name for libbpf, aya and bpftool).
    pub symbol: String,
    #[serde(flatten)]
    pub role: MapRole,
}

/// Where and how a program attaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Attach {
    /// Run once through `BPF_PROG_TEST_RUN` before attaching anything.
    Begin,
    /// Run once through `BPF_PROG_TEST_RUN` at exit.
    End,
    Tracepoint {
        category: String,
        name: String,
    },
    /// A software cpu-clock perf event on CPU 0 every `period_ns`.
    Interval {
        period_ns: u64,
    },
    /// A software cpu-clock perf event on every CPU, either `hz` samples per second
    /// or one every `period_ns` (exactly one of them is non-zero).
    Profile {
        #[serde(default)]
        hz: u64,
        #[serde(default)]
        period_ns: u64,
    },
    Kprobe {
        function: String,
        offset: u64,
        #[serde(rename = "return")]
        ret: bool,
    },
    Uprobe {
        path: String,
        symbol: String,
        offset: u64,
        #[serde(rename = "return")]
        ret: bool,
    },
    /// A raw tracepoint (`BPF_PROG_TYPE_RAW_TRACEPOINT`) by kernel tracepoint name.
    RawTracepoint {
        name: String,
    },
    /// A perf event counter on every online CPU: a sample every `period` events.
    /// `hardware`: `PERF_TYPE_HARDWARE`, else `PERF_TYPE_SOFTWARE`; `config` is the
    /// event id of that type (`PERF_COUNT_SW_*` / `PERF_COUNT_HW_*`); `event` its
    /// name as written, for messages.
    PerfCounter {
        hardware: bool,
        event: String,
        config: u64,
        period: u64,
    },
    /// `fentry`/`fexit` on kernel function `function` (a BPF trampoline; the program
    /// is loaded against that function's BTF).
    Fentry {
        function: String,
        #[serde(rename = "return")]
        ret: bool,
    },
    /// A BPF iterator over `target` (`task`, `task_file`, `task_vma`...): run once
    /// after BEGIN, its output read to the end; or pinned at `pin` when not empty.
    Iter {
        target: String,
        #[serde(default)]
        pin: String,
    },
    /// `self:signal:SIG`: run through `BPF_PROG_TEST_RUN` each time the runtime
    /// receives signal `number` (`signal` is its name).
    Signal {
        signal: String,
        number: i32,
    },
    /// `bench:NAME`: a micro benchmark. In bench mode (`tracerun --bench`) the runtime
    /// runs it repeatedly through `BPF_PROG_TEST_RUN` after BEGIN, in metadata order,
    /// and reports the average time per run; otherwise it never runs.
    Bench {
        name: String,
    },
    /// A USDT probe: `provider:name` in the `.note.stapsdt` notes of `path`, attached
    /// as a uprobe at every location of it, each with a BPF cookie indexing the
    /// [`MapRole::UsdtSpecs`] map (see [`usdt`]). `provider` and `name` may hold `*`
    /// wildcards when the compiler could not read the binary; an empty `provider`
    /// matches any. An empty `path` means the binary and libraries of the traced
    /// process (`-p`/`-c`).
    Usdt {
        path: String,
        provider: String,
        name: String,
    },
    /// A hardware breakpoint (`PERF_TYPE_BREAKPOINT`) on `length` bytes at `address`;
    /// `mode` is `r`, `w`, `rw` or `x`. In the `-p`/`-c` process, or on every CPU for
    /// a kernel address. `asynchronous`: written as `asyncwatchpoint`.
    Watchpoint {
        address: u64,
        length: u64,
        mode: String,
        #[serde(default)]
        asynchronous: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeSpec {
    /// The program's ELF symbol.
    pub program: String,
    /// Its ELF section (libbpf SEC name).
    pub section: String,
    /// The attach point as bpftrace spells it, e.g. `tracepoint:syscalls:sys_enter_openat`.
    pub name: String,
    pub attach: Attach,
    /// The BPF cookie to attach with (an index into [`Metadata::attach_names`]), when
    /// the program reads it: one program shared by several attach points of a probe
    /// (each its own [`ProbeSpec`] naming the same `program`) tells them apart by it.
    /// Only for kprobes, uprobes and tracepoints. Format 1.7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<u64>,
}

/// What `probe` and `func` print for one attach point (see [`FmtKind::ProbeName`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachName {
    /// The attach point as bpftrace spells it (`kprobe:vfs_read`).
    pub probe: String,
    /// The traced function (kprobes, uprobes, fentry), or empty.
    #[serde(default)]
    pub func: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintfSpec {
    /// The format string with escapes already resolved.
    pub format: String,
    /// One per conversion that consumes an argument, in order, at offsets from the
    /// start of the event (after the header).
    pub args: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinSpec {
    pub delimiter: String,
    pub max_args: u32,
    pub arg_size: u32,
}

/// A CO-RE relocation of a program: the loader recomputes a kernel struct field's
/// offset for the running kernel at this instruction. Recorded so that the runtime
/// can name the field when the running kernel lacks it. Format 1.2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreRelocSpec {
    /// The program's ELF symbol.
    pub program: String,
    /// Instruction index within the program (8-byte slots).
    pub insn: u32,
    /// The root type, e.g. `struct task_struct`.
    pub type_name: String,
    /// The member path, e.g. `real_parent` or `se.vruntime`.
    pub field: String,
}

/// An instruction naming a kernel BTF object by id, which only the host knows: the
/// object holds it with the id 0 and lists it here; before loading, the runtime sets
/// the id to that of the object of the same name and kind in the host's vmlinux BTF.
/// No ELF relocation names the instruction (aya 0.14 does not resolve `__ksym`
/// externs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KsymSpec {
    /// The ELF symbol of the function holding the instruction (a program or a
    /// subprogram of `.text`).
    pub program: String,
    /// Instruction index within the function (8-byte slots).
    pub insn: u32,
    /// The kernel variable or function, e.g. `runqueues`.
    pub name: String,
    #[serde(default)]
    pub kind: KsymKind,
}

/// What a [`KsymSpec`] names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KsymKind {
    /// A `BTF_KIND_VAR` (a percpu variable, as `percpu_kaddr` uses for
    /// `bpf_this_cpu_ptr`/`bpf_per_cpu_ptr`): the instruction is an `ld_imm64` with
    /// `src_reg = BPF_PSEUDO_BTF_ID`; its first `imm` is the id, the second (the BTF
    /// object fd) stays 0, vmlinux.
    #[default]
    Var,
    /// A `BTF_KIND_FUNC` called as a kfunc: the instruction is a `call` with
    /// `src_reg = BPF_PSEUDO_KFUNC_CALL`, `imm` the id, `off` 0 (vmlinux).
    Func,
}

/// The whole metadata section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// `tracec` version that wrote the object.
    pub compiler_version: String,
    /// Name of the script as given to the compiler (`-` for stdin, `<-e>` for `-e`).
    pub source_name: String,
    /// Hex SHA-256 of the script text.
    pub source_hash: String,
    /// Programs in attach order: BEGIN probes first, END probes last.
    pub probes: Vec<ProbeSpec>,
    pub maps: Vec<MapSpec>,
    pub printfs: Vec<PrintfSpec>,
    pub joins: Vec<JoinSpec>,
    /// Whether the script used a builtin that needs `--unsafe`.
    #[serde(default)]
    pub unsafe_builtins: bool,
    /// The script text, so that tools can show source lines (verifier errors, line info)
    /// without the script at hand. Format 1.1.
    #[serde(default)]
    pub source: Option<String>,
    /// CO-RE relocations of all programs. Format 1.2.
    #[serde(default)]
    pub core_relocs: Vec<CoreRelocSpec>,
    /// The script's parameters, one `.rodata` global each, set by the runtime from its
    /// command line before loading. An old runtime ignores them and runs the script with
    /// the globals' initial values (the defaults). Format 1.2.
    #[serde(default)]
    pub params: Vec<ParamSpec>,
    /// The types of the values given to `print(value)`, indexed by the id of
    /// [`EventKind::PrintValue`] events. Format 1.3.
    #[serde(default)]
    pub print_values: Vec<Ty>,
    /// The runtime does not print the maps at exit (the script's config set
    /// `print_maps_on_exit` to false). Format 1.3; false when absent.
    #[serde(default)]
    pub skip_maps_on_exit: bool,
    /// The formats of `strftime()`, indexed by the first word of a
    /// [`FmtKind::Timestamp`] value. Format 1.6.
    #[serde(default)]
    pub strftime_formats: Vec<String>,
    /// Addresses the runtime resolves on the host before loading (`kaddr`, `uaddr`):
    /// each a `u64` `.rodata` global. Format 1.6.
    #[serde(default)]
    pub symbol_globals: Vec<SymbolGlobal>,
    /// The names `probe` and `func` print, indexed by the values of
    /// [`FmtKind::ProbeName`] / [`FmtKind::FuncName`] and by [`ProbeSpec::cookie`].
    /// Format 1.7.
    #[serde(default)]
    pub attach_names: Vec<AttachName>,
    /// The system call names of the target architecture, indexed by number (empty:
    /// no call of that number), when the script uses [`FmtKind::SyscallName`];
    /// empty otherwise. Format 1.9.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub syscall_names: Vec<String>,
    /// Kernel variables whose BTF ids the runtime patches into the code. Format 1.8;
    /// an older runtime loads the code unpatched and the verifier refuses it.
    #[serde(default)]
    pub ksyms: Vec<KsymSpec>,
    /// The script's `missing_probes` config: what tracerun does with an attach point
    /// that does not attach on the host. Format 1.9; `error` when absent.
    #[serde(default)]
    pub missing_probes: MissingProbes,
    /// The `skboutput` calls, indexed by the id in their samples' header
    /// ([`SKB_OUTPUT_HEADER_SIZE`]). Format 1.10; empty without `skboutput`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skb_outputs: Vec<SkbOutputSpec>,
}

/// One `skboutput(path, skb, length, offset)` call: the PCAP file its packets go to
/// and the bytes of each captured packet the runtime skips before writing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkbOutputSpec {
    pub path: String,
    pub offset: u64,
}

/// Size of the header `skboutput` puts in front of each packet of a
/// [`MapRole::SkbOutput`] sample: `u32` call id (index into
/// [`Metadata::skb_outputs`]) at [`SKB_OUTPUT_ID`], `u32` captured length (the
/// `length` argument, as `bpf_skb_output` copied it) at [`SKB_OUTPUT_LEN`], `u64`
/// `bpf_ktime_get_boot_ns` at [`SKB_OUTPUT_NS`]. The kernel appends the packet's
/// first `length` bytes, then padding up to 8 bytes.
pub const SKB_OUTPUT_HEADER_SIZE: u32 = 16;
pub const SKB_OUTPUT_ID: u32 = 0;
pub const SKB_OUTPUT_LEN: u32 = 4;
pub const SKB_OUTPUT_NS: u32 = 8;
/// The symbol of the [`MapRole::SkbOutput`] map.
pub const SKB_OUTPUT_SYMBOL: &str = "skb_output";

/// `missing_probes = error | warn | ignore`: what an attach point that matches
/// nothing (at compile time) or does not attach (on the host) is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingProbes {
    /// The default: an error (the script does not compile, or tracerun stops).
    #[default]
    Error,
    /// A warning, `... Skipping.`; the other attach points stay.
    Warn,
    /// Silently skipped.
    Ignore,
}

/// A `.rodata` `u64` global holding a symbol's address on the running host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolGlobal {
    /// The global's ELF symbol.
    pub symbol: String,
    /// The symbol to resolve.
    pub name: String,
    /// `None`: a kernel symbol (`/proc/kallsyms`); otherwise the ELF file whose
    /// symbol table holds it (`uaddr`).
    #[serde(default)]
    pub path: Option<String>,
    /// Where in the script it is used (`NAME:LINE:COL-COL`), for the error when the
    /// host lacks the symbol.
    #[serde(default)]
    pub location: String,
    /// The source line of that use, a newline, and `~` under the call.
    #[serde(default)]
    pub context: String,
    /// When set, the name is the value of this string parameter's global (see
    /// [`ParamSpec::symbol`]), e.g. `kaddr(str($1))`; `name` is then empty.
    #[serde(default)]
    pub name_param: Option<String>,
}

/// A run-time parameter of the script, carried by the `.rodata` global `symbol`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamSpec {
    /// The global's ELF symbol; its size is [`ParamType::size`] of `ty`.
    pub symbol: String,
    #[serde(flatten)]
    pub kind: ParamKind,
    /// How the value is stored in the global.
    pub ty: ParamType,
}

/// Which command-line value a parameter is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "param", rename_all = "snake_case")]
pub enum ParamKind {
    /// `$index` (1-based): the index-th positional argument; 0 / "" when missing.
    Positional { index: u32 },
    /// `$#`: the number of positional arguments.
    Count,
    /// `$index` where only its printed text matters (`print($1)`, `print(($1, x))`),
    /// stored as text: bpftrace types `$N` by its argument, so a numeric argument is
    /// its value in decimal (`0x10` is `16`), any other the argument as written;
    /// `0` when missing.
    PositionalText { index: u32 },
    /// `getopt("name", default)`: `--name=VALUE` (or `--name` for a bool).
    Named {
        name: String,
        default: ParamValue,
        #[serde(default)]
        description: Option<String>,
    },
}

/// The layout of a parameter's global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ParamType {
    /// `i64`, little endian (values above `i64::MAX` are stored as their `u64` bits).
    Int,
    /// `u64` holding 0 or 1.
    Bool,
    /// `char[size]`: at most `size - 1` bytes of text, NUL-padded (longer text is cut).
    Str { size: u32 },
}

/// A parameter's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamValue {
    Int(i64),
    Bool(bool),
    Str(String),
}

impl ParamType {
    /// Bytes of the global.
    pub fn size(self) -> u32 {
        match self {
            ParamType::Int | ParamType::Bool => 8,
            ParamType::Str { size } => size,
        }
    }

    /// The bytes of the global holding `v`; `None` if `v` is not of this type.
    pub fn encode(self, v: &ParamValue) -> Option<Vec<u8>> {
        match (self, v) {
            (ParamType::Int, ParamValue::Int(i)) => Some(i.to_le_bytes().to_vec()),
            (ParamType::Bool, ParamValue::Bool(b)) => Some(u64::from(*b).to_le_bytes().to_vec()),
            (ParamType::Str { size }, ParamValue::Str(s)) => {
                let mut out = vec![0u8; size as usize];
                let n = s.len().min((size as usize).saturating_sub(1));
                out[..n].copy_from_slice(&s.as_bytes()[..n]);
                Some(out)
            }
            _ => None,
        }
    }
}

impl Metadata {
    pub fn events_map(&self) -> Option<&MapSpec> {
        self.maps.iter().find(|m| m.role == MapRole::Events)
    }
    pub fn lost_map(&self) -> Option<&MapSpec> {
        self.maps.iter().find(|m| m.role == MapRole::Lost)
    }
    pub fn lost_counter(&self) -> Option<&MapSpec> {
        self.maps.iter().find(|m| m.role == MapRole::LostCounter)
    }
    pub fn skb_output_map(&self) -> Option<&MapSpec> {
        self.maps.iter().find(|m| m.role == MapRole::SkbOutput)
    }
}

/// Why a metadata section could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a tracec metadata section at all.
    BadMagic,
    /// Section shorter than its header says.
    Truncated,
    /// Written by a newer tracec whose objects this runtime cannot run.
    NewerFormat { major: u16, minor: u16 },
    /// The payload is not valid metadata.
    Payload(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::BadMagic => write!(f, "metadata section does not start with TRCM"),
            DecodeError::Truncated => write!(f, "metadata section is truncated"),
            DecodeError::NewerFormat { major, minor } => write!(
                f,
                "object uses metadata format {major}.{minor}, this runtime reads up to {FORMAT_MAJOR}.x; \
                 upgrade tracerun or recompile the script with a matching tracec"
            ),
            DecodeError::Payload(e) => write!(f, "metadata is malformed: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Frame `meta` as the bytes of the metadata section.
pub fn encode(meta: &Metadata) -> Vec<u8> {
    let payload = serde_json::to_vec(meta).expect("metadata serializes");
    let mut out = Vec::with_capacity(HEADER_SIZE + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_MAJOR.to_le_bytes());
    out.extend_from_slice(&FORMAT_MINOR.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Read the version fields only.
pub fn version(section: &[u8]) -> Result<(u16, u16), DecodeError> {
    if section.len() < HEADER_SIZE {
        return Err(if section.starts_with(&MAGIC[..section.len().min(4)]) {
            DecodeError::Truncated
        } else {
            DecodeError::BadMagic
        });
    }
    if section[..4] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let major = u16::from_le_bytes([section[4], section[5]]);
    let minor = u16::from_le_bytes([section[6], section[7]]);
    Ok((major, minor))
}

/// Parse the bytes of the metadata section, refusing newer major formats.
pub fn decode(section: &[u8]) -> Result<Metadata, DecodeError> {
    let (major, minor) = version(section)?;
    if major > FORMAT_MAJOR {
        return Err(DecodeError::NewerFormat { major, minor });
    }
    let len = u32::from_le_bytes([section[8], section[9], section[10], section[11]]) as usize;
    let payload = section
        .get(HEADER_SIZE..HEADER_SIZE.saturating_add(len))
        .ok_or(DecodeError::Truncated)?;
    decode::metadata(payload).map_err(DecodeError::Payload)
}

#[cfg(test)]
mod tests;
