//! The metadata reader: JSON (as [`crate::json::Value`], our own parser) to [`Metadata`], by hand.
//!
//! It reads exactly what the derived `Serialize` impls write (field names, enum tags,
//! `rename_all = "snake_case"`, `flatten`) and accepts what the derived `Deserialize`
//! would: unknown fields are ignored (later minor formats add them), fields marked
//! `#[serde(default)]` and `Option` fields may be missing. The derived `Deserialize`
//! stays as the test oracle (`decode_tests.rs` compares both), but `tracerun` links
//! only this reader: the derived one, with serde's buffering of internally tagged and
//! flattened enums, cost about 100 KB of its binary.
//!
//! Every struct below is built with a literal naming all its fields, so that adding a
//! field to the contract fails to compile here until the reader reads it; the tests
//! match every enum exhaustively for the same reason.

use crate::json::{Map, Value};
use crate::*;

type Obj = Map;
type R<T> = Result<T, String>;

/// Read a whole [`Metadata`] from its JSON payload.
pub(crate) fn metadata(payload: &[u8]) -> R<Metadata> {
    let v: Value = crate::json::parse(payload).map_err(|e| e.to_string())?;
    Metadata::read(&v)
}

/// A value the reader can build from JSON.
trait Read: Sized {
    fn read(v: &Value) -> R<Self>;
    /// The value of a field the JSON leaves out, when that is allowed.
    fn missing() -> Option<Self> {
        None
    }
}

fn object(v: &Value) -> R<&Obj> {
    v.as_object().ok_or_else(|| expected("an object", v))
}

/// A field that must be present (`Option` fields may be missing).
fn field<T: Read>(o: &Obj, name: &str) -> R<T> {
    match o.get(name) {
        Some(v) => T::read(v).map_err(|e| in_field(name, e)),
        None => T::missing().ok_or_else(|| missing_field(name)),
    }
}

// The error paths, out of line: one copy rather than one per field type.
#[inline(never)]
fn in_field(name: &str, e: String) -> String {
    format!("{name}: {e}")
}

#[inline(never)]
fn missing_field(name: &str) -> String {
    format!("missing field `{name}`")
}

/// A `#[serde(default)]` field.
fn field_or_default<T: Read + Default>(o: &Obj, name: &str) -> R<T> {
    if o.contains_key(name) {
        field(o, name)
    } else {
        Ok(T::default())
    }
}

/// The variant name of an internally tagged enum (`#[serde(tag = "...")]`).
fn tag<'a>(o: &'a Obj, name: &str) -> R<&'a str> {
    match o.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(format!("{name}: expected a string, found {v}")),
        None => Err(missing_field(name)),
    }
}

/// An externally tagged enum: a unit variant is its name, any other variant an object
/// with its name as the one key.
fn external(v: &Value) -> R<(&str, Option<&Value>)> {
    match v {
        Value::String(s) => Ok((s, None)),
        Value::Object(o) if o.len() == 1 => {
            let (k, inner) = o.iter().next().expect("one entry");
            Ok((k, Some(inner)))
        }
        _ => Err(expected("an enum", v)),
    }
}

/// The payload of a non-unit variant of an externally tagged enum.
fn payload<'a>(name: &str, inner: Option<&'a Value>) -> R<&'a Value> {
    inner.ok_or_else(|| format!("variant `{name}` needs a value"))
}

#[inline(never)]
fn at_index(i: usize, e: String) -> String {
    format!("[{i}]: {e}")
}

fn unknown<T>(what: &str, name: &str) -> R<T> {
    Err(unknown_name(what, name))
}

#[inline(never)]
fn unknown_name(what: &str, name: &str) -> String {
    format!("unknown {what} `{name}`")
}

/// "expected `what`, found `v`", out of line.
#[inline(never)]
fn expected(what: &str, v: &Value) -> String {
    format!("expected {what}, found {v}")
}

fn unsigned(v: &Value) -> R<u64> {
    v.as_u64().ok_or_else(|| expected("an unsigned integer", v))
}

fn signed(v: &Value) -> R<i64> {
    v.as_i64().ok_or_else(|| expected("an integer", v))
}

fn out_of_range<E>(_: E) -> String {
    "integer out of range".to_string()
}

impl Read for u8 {
    fn read(v: &Value) -> R<Self> {
        unsigned(v)?.try_into().map_err(out_of_range)
    }
}
impl Read for u32 {
    fn read(v: &Value) -> R<Self> {
        unsigned(v)?.try_into().map_err(out_of_range)
    }
}
impl Read for u64 {
    fn read(v: &Value) -> R<Self> {
        unsigned(v)
    }
}
impl Read for i32 {
    fn read(v: &Value) -> R<Self> {
        signed(v)?.try_into().map_err(out_of_range)
    }
}
impl Read for i64 {
    fn read(v: &Value) -> R<Self> {
        signed(v)
    }
}
impl Read for bool {
    fn read(v: &Value) -> R<Self> {
        v.as_bool().ok_or_else(|| expected("a boolean", v))
    }
}
impl Read for String {
    fn read(v: &Value) -> R<Self> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| expected("a string", v))
    }
}
impl<T: Read> Read for Vec<T> {
    fn read(v: &Value) -> R<Self> {
        let items = v.as_array().ok_or_else(|| expected("an array", v))?;
        // A loop, not `collect` into a `Result`: smaller for each element type.
        let mut out = Vec::with_capacity(items.len());
        for (i, x) in items.iter().enumerate() {
            out.push(T::read(x).map_err(|e| at_index(i, e))?);
        }
        Ok(out)
    }
}
impl<T: Read> Read for Option<T> {
    fn read(v: &Value) -> R<Self> {
        if v.is_null() {
            Ok(None)
        } else {
            T::read(v).map(Some)
        }
    }
    fn missing() -> Option<Self> {
        Some(None)
    }
}
impl<T: Read> Read for Box<T> {
    fn read(v: &Value) -> R<Self> {
        T::read(v).map(Box::new)
    }
}

impl Read for Metadata {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(Metadata {
            compiler_version: field(o, "compiler_version")?,
            source_name: field(o, "source_name")?,
            source_hash: field(o, "source_hash")?,
            probes: field(o, "probes")?,
            maps: field(o, "maps")?,
            printfs: field(o, "printfs")?,
            joins: field(o, "joins")?,
            unsafe_builtins: field_or_default(o, "unsafe_builtins")?,
            source: field_or_default(o, "source")?,
            core_relocs: field_or_default(o, "core_relocs")?,
            params: field_or_default(o, "params")?,
            print_values: field_or_default(o, "print_values")?,
            skip_maps_on_exit: field_or_default(o, "skip_maps_on_exit")?,
            strftime_formats: field_or_default(o, "strftime_formats")?,
            symbol_globals: field_or_default(o, "symbol_globals")?,
            attach_names: field_or_default(o, "attach_names")?,
            syscall_names: field_or_default(o, "syscall_names")?,
            ksyms: field_or_default(o, "ksyms")?,
            missing_probes: field_or_default(o, "missing_probes")?,
            skb_outputs: field_or_default(o, "skb_outputs")?,
            runtime_config: field_or_default(o, "runtime_config")?,
            bound_args: field_or_default(o, "bound_args")?,
            attach_templates: field_or_default(o, "attach_templates")?,
        })
    }
}

impl Read for ConfigSetting {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(ConfigSetting {
            name: field(o, "name")?,
            value: field(o, "value")?,
        })
    }
}

impl Read for BoundArg {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(BoundArg {
            index: field(o, "index")?,
            value: field(o, "value")?,
        })
    }
}

impl Read for attach_template::AttachTemplate {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(attach_template::AttachTemplate {
            text: field(o, "text")?,
            location: field_or_default(o, "location")?,
            context: field_or_default(o, "context")?,
        })
    }
}

impl Read for ProbeSpec {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(ProbeSpec {
            program: field(o, "program")?,
            section: field(o, "section")?,
            name: field(o, "name")?,
            attach: field(o, "attach")?,
            cookie: field_or_default(o, "cookie")?,
        })
    }
}

impl Read for Attach {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(match tag(o, "kind")? {
            "begin" => Attach::Begin,
            "end" => Attach::End,
            "tracepoint" => Attach::Tracepoint {
                category: field(o, "category")?,
                name: field(o, "name")?,
            },
            "interval" => Attach::Interval {
                period_ns: field(o, "period_ns")?,
            },
            "profile" => Attach::Profile {
                hz: field_or_default(o, "hz")?,
                period_ns: field_or_default(o, "period_ns")?,
            },
            "kprobe" => Attach::Kprobe {
                function: field(o, "function")?,
                offset: field(o, "offset")?,
                ret: field(o, "return")?,
            },
            "uprobe" => Attach::Uprobe {
                path: field(o, "path")?,
                symbol: field(o, "symbol")?,
                offset: field(o, "offset")?,
                ret: field(o, "return")?,
            },
            "raw_tracepoint" => Attach::RawTracepoint {
                name: field(o, "name")?,
                module: field_or_default(o, "module")?,
            },
            "perf_counter" => Attach::PerfCounter {
                hardware: field(o, "hardware")?,
                event: field(o, "event")?,
                config: field(o, "config")?,
                period: field(o, "period")?,
            },
            "fentry" => Attach::Fentry {
                function: field(o, "function")?,
                ret: field(o, "return")?,
                module: field_or_default(o, "module")?,
            },
            "fentry_bpf" => Attach::FentryBpf {
                id: field(o, "id")?,
                pattern: field(o, "pattern")?,
                ret: field(o, "return")?,
            },
            "iter" => Attach::Iter {
                target: field(o, "target")?,
                pin: field_or_default(o, "pin")?,
            },
            "signal" => Attach::Signal {
                signal: field(o, "signal")?,
                number: field(o, "number")?,
            },
            "bench" => Attach::Bench {
                name: field(o, "name")?,
            },
            "test" => Attach::Test {
                name: field(o, "name")?,
            },
            "usdt" => Attach::Usdt {
                path: field(o, "path")?,
                provider: field(o, "provider")?,
                name: field(o, "name")?,
            },
            "watchpoint" => Attach::Watchpoint {
                address: field(o, "address")?,
                length: field(o, "length")?,
                mode: field(o, "mode")?,
                asynchronous: field_or_default(o, "asynchronous")?,
            },
            other => return unknown("attach kind", other),
        })
    }
}

impl Read for MapSpec {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        let role = match tag(o, "role")? {
            "user" => MapRole::User {
                name: field(o, "name")?,
                key: field(o, "key")?,
                value: field(o, "value")?,
                agg: field(o, "agg")?,
                additive: field_or_default(o, "additive")?,
            },
            "events" => MapRole::Events,
            "lost" => MapRole::Lost,
            "lost_counter" => MapRole::LostCounter,
            "stack" => MapRole::Stack {
                user: field(o, "user")?,
                limit: field(o, "limit")?,
            },
            "stack_frames" => MapRole::StackFrames {
                user: field(o, "user")?,
                limit: field(o, "limit")?,
            },
            "build_id_stack" => MapRole::BuildIdStack {
                limit: field(o, "limit")?,
            },
            "usdt_specs" => MapRole::UsdtSpecs,
            "skb_output" => MapRole::SkbOutput,
            "scratch" => MapRole::Scratch,
            other => return unknown("map role", other),
        };
        Ok(MapSpec {
            symbol: field(o, "symbol")?,
            role,
        })
    }
}

impl Read for Ty {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(match tag(o, "t")? {
            "int" => Ty::Int {
                size: field(o, "size")?,
                signed: field(o, "signed")?,
            },
            "str" => Ty::Str {
                size: field(o, "size")?,
            },
            "ptr" => Ty::Ptr,
            "tuple" => Ty::Tuple {
                fields: field(o, "fields")?,
            },
            "bool" => Ty::Bool {
                size: field(o, "size")?,
            },
            "record" => Ty::Record {
                fields: field(o, "fields")?,
            },
            "stack" => Ty::Stack {
                user: field(o, "user")?,
                mode: field(o, "mode")?,
                limit: field(o, "limit")?,
            },
            "dw_stack" => Ty::DwStack {
                mode: field(o, "mode")?,
                limit: field(o, "limit")?,
            },
            "sym" => Ty::Sym {
                user: field(o, "user")?,
            },
            "enum" => Ty::Enum {
                size: field(o, "size")?,
                signed: field(o, "signed")?,
                id: field(o, "id")?,
                variants: field(o, "variants")?,
            },
            "array" => Ty::Array {
                elem: field(o, "elem")?,
                len: field(o, "len")?,
            },
            "fmt" => Ty::Fmt {
                fmt: field(o, "fmt")?,
            },
            other => return unknown("type", other),
        })
    }
}

impl Read for Field {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(Field {
            offset: field(o, "offset")?,
            ty: field(o, "ty")?,
        })
    }
}

impl Read for RecordField {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(RecordField {
            name: field(o, "name")?,
            offset: field(o, "offset")?,
            ty: field(o, "ty")?,
        })
    }
}

impl Read for EnumVariant {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(EnumVariant {
            name: field(o, "name")?,
            value: field(o, "value")?,
        })
    }
}

impl Read for FmtKind {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(match tag(o, "kind")? {
            "inet" => FmtKind::Inet,
            "mac_addr" => FmtKind::MacAddr,
            "timestamp" => FmtKind::Timestamp,
            "buf" => FmtKind::Buf {
                size: field(o, "size")?,
            },
            "cgroup_path" => FmtKind::CgroupPath,
            "username" => FmtKind::Username,
            "strerror" => FmtKind::Strerror,
            "signal_name" => FmtKind::SignalName,
            "probe_name" => FmtKind::ProbeName,
            "func_name" => FmtKind::FuncName,
            "syscall_name" => FmtKind::SyscallName,
            "none" => FmtKind::None {
                size: field(o, "size")?,
            },
            other => return unknown("formatted value", other),
        })
    }
}

impl Read for StackMode {
    fn read(v: &Value) -> R<Self> {
        Ok(match external(v)?.0 {
            "bpftrace" => StackMode::Bpftrace,
            "perf" => StackMode::Perf,
            "raw" => StackMode::Raw,
            "build_id" => StackMode::BuildId,
            other => return unknown("stack mode", other),
        })
    }
}

impl Read for AggKind {
    fn read(v: &Value) -> R<Self> {
        let (name, inner) = external(v)?;
        let fields = || payload(name, inner).and_then(object);
        Ok(match name {
            "assign" => AggKind::Assign,
            "count" => AggKind::Count,
            "sum" => AggKind::Sum,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "avg" => AggKind::Avg,
            "stats" => AggKind::Stats,
            "hist" => AggKind::Hist {
                bits: field(fields()?, "bits")?,
            },
            "lhist" => {
                let o = fields()?;
                AggKind::Lhist {
                    min: field(o, "min")?,
                    max: field(o, "max")?,
                    step: field(o, "step")?,
                }
            }
            "tseries" => {
                let o = fields()?;
                AggKind::Tseries {
                    interval_ns: field(o, "interval_ns")?,
                    num_intervals: field(o, "num_intervals")?,
                    agg: field(o, "agg")?,
                }
            }
            "lhist_param" => {
                let o = fields()?;
                AggKind::LhistParam {
                    min: field(o, "min")?,
                    max: field(o, "max")?,
                    step: field(o, "step")?,
                }
            }
            other => return unknown("aggregation", other),
        })
    }
}

impl Read for Bound {
    fn read(v: &Value) -> R<Self> {
        let (name, inner) = external(v)?;
        Ok(match name {
            "const" => Bound::Const(i64::read(payload(name, inner)?)?),
            "param" => Bound::Param(u32::read(payload(name, inner)?)?),
            other => return unknown("bound", other),
        })
    }
}

impl Read for TseriesAgg {
    fn read(v: &Value) -> R<Self> {
        Ok(match external(v)?.0 {
            "last" => TseriesAgg::Last,
            "avg" => TseriesAgg::Avg,
            "max" => TseriesAgg::Max,
            "min" => TseriesAgg::Min,
            "sum" => TseriesAgg::Sum,
            other => return unknown("tseries aggregation", other),
        })
    }
}

impl Read for PrintfSpec {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(PrintfSpec {
            format: field(o, "format")?,
            args: field(o, "args")?,
        })
    }
}

impl Read for JoinSpec {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(JoinSpec {
            delimiter: field(o, "delimiter")?,
            max_args: field(o, "max_args")?,
            arg_size: field(o, "arg_size")?,
        })
    }
}

impl Read for CoreRelocSpec {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(CoreRelocSpec {
            program: field(o, "program")?,
            insn: field(o, "insn")?,
            type_name: field(o, "type_name")?,
            field: field(o, "field")?,
        })
    }
}

impl Read for ParamSpec {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        let kind = match tag(o, "param")? {
            "positional" => ParamKind::Positional {
                index: field(o, "index")?,
            },
            "count" => ParamKind::Count,
            "positional_text" => ParamKind::PositionalText {
                index: field(o, "index")?,
            },
            "named" => ParamKind::Named {
                name: field(o, "name")?,
                default: field(o, "default")?,
                description: field_or_default(o, "description")?,
            },
            other => return unknown("parameter kind", other),
        };
        Ok(ParamSpec {
            symbol: field(o, "symbol")?,
            kind,
            ty: field(o, "ty")?,
        })
    }
}

impl Read for ParamType {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(match tag(o, "t")? {
            "int" => ParamType::Int,
            "bool" => ParamType::Bool,
            "str" => ParamType::Str {
                size: field(o, "size")?,
            },
            other => return unknown("parameter type", other),
        })
    }
}

impl Read for ParamValue {
    fn read(v: &Value) -> R<Self> {
        let (name, inner) = external(v)?;
        let inner = payload(name, inner)?;
        Ok(match name {
            "int" => ParamValue::Int(i64::read(inner)?),
            "bool" => ParamValue::Bool(bool::read(inner)?),
            "str" => ParamValue::Str(String::read(inner)?),
            other => return unknown("parameter value", other),
        })
    }
}

impl Read for SymbolGlobal {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(SymbolGlobal {
            symbol: field(o, "symbol")?,
            name: field(o, "name")?,
            path: field_or_default(o, "path")?,
            location: field_or_default(o, "location")?,
            context: field_or_default(o, "context")?,
            name_param: field_or_default(o, "name_param")?,
            kind: field_or_default(o, "kind")?,
            allowed_in: field_or_default(o, "allowed_in")?,
        })
    }
}

impl Read for SkbOutputSpec {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(SkbOutputSpec {
            path: field(o, "path")?,
            offset: field(o, "offset")?,
            perf_rb_pages: field_or_default(o, "perf_rb_pages")?,
        })
    }
}

impl Read for AttachName {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(AttachName {
            probe: field(o, "probe")?,
            func: field_or_default(o, "func")?,
        })
    }
}

impl Read for KsymSpec {
    fn read(v: &Value) -> R<Self> {
        let o = object(v)?;
        Ok(KsymSpec {
            program: field(o, "program")?,
            insn: field(o, "insn")?,
            name: field(o, "name")?,
            kind: field_or_default(o, "kind")?,
        })
    }
}

impl Read for KsymKind {
    fn read(v: &Value) -> R<Self> {
        Ok(match external(v)?.0 {
            "Var" => KsymKind::Var,
            "Func" => KsymKind::Func,
            other => return unknown("kernel symbol kind", other),
        })
    }
}

impl Read for SymbolKind {
    fn read(v: &Value) -> R<Self> {
        Ok(match external(v)?.0 {
            "address" => SymbolKind::Address,
            "cgroup_id" => SymbolKind::CgroupId,
            "kfunc_exists" => SymbolKind::KfuncExists,
            other => return unknown("symbol global kind", other),
        })
    }
}

impl Read for MissingProbes {
    fn read(v: &Value) -> R<Self> {
        Ok(match external(v)?.0 {
            "error" => MissingProbes::Error,
            "warn" => MissingProbes::Warn,
            "ignore" => MissingProbes::Ignore,
            other => return unknown("missing_probes", other),
        })
    }
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
