//! The checked tree's statements ([`TStmt`]) and computed formatted values
//! ([`FmtExpr`]).

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct TStmt {
    pub kind: TStmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TStmtKind {
    /// An expression evaluated and dropped.
    Expr(TExpr),
    AssignVar {
        var: VarId,
        value: TExpr,
    },
    AssignMap {
        map: MapIdx,
        keys: Vec<TExpr>,
        value: MapValue,
    },
    /// `id` indexes [`super::Checked::printfs`].
    Printf {
        id: u32,
        args: Vec<TExpr>,
    },
    /// `debugf(format, args...)`: `bpf_trace_printk` with the format as written.
    Debugf {
        format: String,
        args: Vec<TExpr>,
    },
    /// `id` indexes [`super::Checked::joins`]; `array` is a pointer to pointers.
    Join {
        id: u32,
        array: TExpr,
        user: bool,
    },
    Delete {
        map: MapIdx,
        keys: Vec<TExpr>,
    },
    Clear {
        map: MapIdx,
    },
    /// `zero(@m)`.
    Zero {
        map: MapIdx,
    },
    /// `print(@m[, top[, div]])`: the whole map; `top`/`div` are 0 when not given.
    PrintMap {
        map: MapIdx,
        top: TExpr,
        div: TExpr,
    },
    /// `print(value)`: `id` indexes [`super::Checked::print_values`].
    PrintValue {
        id: u32,
        value: TExpr,
    },
    Exit,
    /// `exit(code)`.
    ExitCode(TExpr),
    /// An event the runtime acts on (`cat`, `system`, `time`, `warnf`, `errorf`),
    /// laid out like printf: `id` indexes [`super::Checked::printfs`].
    Async {
        kind: tracec_meta::EventKind,
        id: u32,
        args: Vec<TExpr>,
    },
    If {
        cond: TExpr,
        then: Vec<TStmt>,
        els: Vec<TStmt>,
    },
    /// Set a variable to zero / the empty string (`let $x;`).
    ZeroVar {
        var: VarId,
    },
    /// `while (cond) { body }`.
    While {
        cond: TExpr,
        body: Vec<TStmt>,
    },
    /// `unroll(count) { body }`: the body repeated `count` times.
    Unroll {
        count: u32,
        body: Vec<TStmt>,
    },
    /// `for ($var : start..end) { body }`: `start` and `end` are evaluated once.
    ForRange {
        var: VarId,
        start: TExpr,
        end: TExpr,
        body: Vec<TStmt>,
    },
    /// `for ($var : start..end) { body }` whose bounds are not small constants: the
    /// body is a `bpf_loop` callback (the verifier need not unroll the loop).
    /// `shared` and `locals` (which include `var`) are as for [`TStmtKind::ForMap`].
    ForRangeCallback {
        var: VarId,
        start: TExpr,
        end: TExpr,
        shared: Vec<VarId>,
        locals: Vec<VarId>,
        body: Vec<TStmt>,
    },
    /// `for ($kv : @map) { body }`: the body runs once per element, as a
    /// `bpf_for_each_map_elem` callback. `keys` hold the key parts (`$kv.0`, or
    /// `$kv.0.0`, `$kv.0.1`... for several keys), `value` the value (`$kv.1`; an
    /// aggregation's value combined over CPUs). `shared` are the enclosing probe's
    /// variables visible at the loop, which the body reads and writes through the
    /// callback's context; `locals` the variables declared in the body.
    ForMap {
        map: MapIdx,
        keys: Vec<VarId>,
        value: VarId,
        shared: Vec<VarId>,
        locals: Vec<VarId>,
        body: Vec<TStmt>,
    },
    Break,
    Continue,
    /// Leave the probe, returning the value (0 without one): what `BPF_PROG_TEST_RUN`
    /// reports for `test:` and `bench:` probes.
    Return(Option<TExpr>),
}

/// How a [`TExprKind::FmtValue`] is computed (layouts: `tracec_meta::FmtKind`).
#[derive(Debug, Clone, PartialEq)]
pub enum FmtExpr {
    /// `ntop([af,] addr)`: `addr` is an integer (its low 4 bytes) or a string buffer of
    /// 4 or 16 bytes (copied as they are).
    Inet { af: Box<TExpr>, addr: Box<TExpr> },
    /// `ntop([af,] pton("text"))`: a constant address.
    InetBytes { af: i64, bytes: [u8; 16] },
    /// `macaddr(addr)`: 6 bytes of a string buffer, or read from a pointer.
    MacAddr { addr: Box<TExpr>, user: bool },
    /// `strftime(fmt, ns)`: format index, nanoseconds.
    Timestamp { format: u32, ns: Box<TExpr> },
    /// `buf(data, len)`: `size` bytes at most; `data` is a string buffer (copied) or
    /// an address (read from user memory if `user`).
    Buf {
        data: Box<TExpr>,
        len: Option<Box<TExpr>>,
        size: u32,
        user: bool,
    },
    /// One `u64` word the runtime names (`cgroup_path`, `username`, `strerror`,
    /// `signal_name`).
    Word(Box<TExpr>),
}
