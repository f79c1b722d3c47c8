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

pub mod archive;
pub mod attach_name;
pub mod attach_template;
pub mod bpf_objects;
pub mod btf_names;
pub mod debugfile;
pub mod debugsec;
mod decode;
pub mod demangle;
pub mod dwstack;
pub mod glob;
pub mod inflate;
pub mod json;
pub mod ldcache;
mod params;
pub mod sign;
pub mod usdt;
mod values;
pub mod zstd;

pub use params::*;
pub use values::*;

/// ELF section that holds the metadata. Not a libbpf-known name, so libbpf and aya skip it.
pub const SECTION: &str = ".tracec.meta";
/// First four bytes of the section.
pub const MAGIC: [u8; 4] = *b"TRCM";
/// Bumped when an old runtime could not run a new object correctly.
pub const FORMAT_MAJOR: u16 = 1;
/// Bumped for additions an old runtime may safely ignore.
pub const FORMAT_MINOR: u16 = 15;
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
    /// `unwatch(addr)`: detach every watchpoint on the address, which printf `id`
    /// (`%llu`) formats from the payload; an address nothing watches is ignored.
    Unwatch = 13,
    /// `tracec -k`: a helper failed. `id` indexes [`Metadata::printfs`]: a located
    /// warning (`NAME:LINE:COL-COL: WARNING: %s` then `Additional Info - helper: NAME,
    /// retcode: %d`, the source line and `~` marks) whose arguments are the payload's
    /// errno (a [`FmtKind::Strerror`] word) and the helper's `i64` return code; with
    /// `-f json` the runtime prints bpftrace's `helper_error` object instead.
    HelperError = 14,
    /// `dw_ustack`: a user stack snapshot (registers and stack bytes) laid out as
    /// [`dwstack`] says; the `dw_ustack` values of the same probe run (sent after it)
    /// name it by its id. Format 1.13.
    DwStack = 15,
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
            13 => EventKind::Unwatch,
            14 => EventKind::HelperError,
            15 => EventKind::DwStack,
            _ => return None,
        })
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
        /// A plain integer map whose every write adds to the element (`++`, `--`,
        /// `+=`, `-=`): entries the runtime merges (`dw_ustack` keys) add their
        /// values instead of keeping the latest. Format 1.14; `false` when absent.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        additive: bool,
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
    /// A `BPF_MAP_TYPE_HASH` created with `BPF_F_NO_PREALLOC`: the `u64` hash of a
    /// stack's frames to `limit` `u64` addresses (zero after the last frame), of
    /// kernel or `user` stacks. Stack values name their frames by that hash. Replaces
    /// [`MapRole::Stack`] in objects of format 1.15 and newer.
    StackFrames { user: bool, limit: u32 },
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
    /// A per-CPU array of one element whose value holds a program's values too big
    /// for the BPF stack (strings of a large `max_strlen`); nothing for the runtime.
    Scratch,
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
        /// The kernel module defining the tracepoint, whose BTF the program is
        /// loaded against; empty: the kernel itself. Format 1.14.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        module: String,
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
        /// The kernel module defining `function` (its BTF object is the attach
        /// target); empty: the kernel itself. Format 1.14.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        module: String,
    },
    /// `fentry:bpf[:ID]:PATTERN` / `fexit:...`: a BPF trampoline on running BPF
    /// programs and subprograms, resolved when the runtime starts: every function
    /// (in the BTF func info of the program with id `id`, or of every program when
    /// `id` is 0) whose name matches the glob `pattern`. Format 1.14.
    FentryBpf {
        id: u32,
        pattern: String,
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
    /// `test:NAME`: a self test. In test mode (`tracerun --test`) the runtime runs it
    /// once through `BPF_PROG_TEST_RUN` after BEGIN, in metadata order; it passes when
    /// it returns 0, calls no `exit` with a non-zero code and reports no error.
    /// Otherwise it never runs. Format 1.11.
    Test {
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
    /// Only for kprobes, uprobes and tracepoints, and `fentry:bpf`/`fexit:bpf`, whose
    /// program reads the cookie but whose targets tracerun names at run time (each
    /// linked with the index of its own `fentry:bpf:ID:FUNC`, after the object's names).
    /// Format 1.7.
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
    /// The script's config-block settings that only matter at run time
    /// (`max_cat_bytes`, `log_size`, ...), canonical names; the runtime applies them
    /// unless its environment sets `BPFTRACE_<NAME>`, which takes precedence as in
    /// bpftrace. Format 1.12; empty when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_config: Vec<ConfigSetting>,
    /// Positional parameters the compiler was given and bound into attach points
    /// (`tracec script.bt -- ARGS`): the runtime refuses to run the object with
    /// different values. Format 1.12; empty when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bound_args: Vec<BoundArg>,
    /// Attach points whose positional parameters the runtime substitutes from its own
    /// arguments (`interval:ms:$1` compiled without `-- ARGS`). Format 1.14; empty when
    /// absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attach_templates: Vec<attach_template::AttachTemplate>,
}

/// One `name = value` of the script's config block, for the runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSetting {
    /// Canonical (lower-case, no `BPFTRACE_`) name: `max_cat_bytes`.
    pub name: String,
    /// The value as written (a number in decimal).
    pub value: String,
}

/// A positional parameter (`$index`) bound at compile time, with the argument the
/// compiler saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundArg {
    pub index: u32,
    pub value: String,
}

/// One `skboutput(path, skb, length, offset)` call: the PCAP file its packets go to
/// and the bytes of each captured packet the runtime skips before writing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkbOutputSpec {
    pub path: String,
    pub offset: u64,
    /// The script's `perf_rb_pages` config (the same in every call; 0: not set):
    /// the runtime sizes each CPU's perf buffer from it as bpftrace does, unless
    /// `BPFTRACE_PERF_RB_PAGES` is set where it runs.
    #[serde(default)]
    pub perf_rb_pages: u64,
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
    /// What the runtime stores in the global (a symbol's address by default).
    #[serde(default)]
    pub kind: SymbolKind,
    /// `kfunc_allowed(name)` (kind [`SymbolKind::KfuncExists`]): the libbpf section
    /// name of a program using it (`tracepoint/sched/sched_switch`, `fentry/vfs_read`,
    /// `raw_tp`...). The value is then 1 only when the kernel lets programs of that
    /// section's type (and, for tracing programs, attach type and target) call the
    /// kfunc, which the runtime learns by loading a trial program. Format 1.14; an
    /// older runtime answers as for `kfunc_exist`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_in: Option<String>,
}

/// What a [`SymbolGlobal`] holds on the host. Format 1.11 (an older runtime would
/// read every kind as an address).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    /// The address of symbol `name` (`kaddr`, `uaddr`).
    #[default]
    Address,
    /// The cgroup v2 id of the directory `name` (`cgroupid(path)`), as
    /// `name_to_handle_at` gives it; a missing path is an error.
    CgroupId,
    /// 1 when the kernel's BTF has a function `name` (`kfunc_exist`,
    /// `kfunc_allowed`), else 0.
    KfuncExists,
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
