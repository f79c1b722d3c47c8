//! `tracerun --info OBJECT`: what an object is and what it needs, read from the ELF
//! alone (no root, no kernel): probes and their attach targets, maps (kind, key and
//! value types), the compiler and metadata format, the script's hash, the kernel
//! features it requires (program types, map types, helpers) and whether it is signed.

use crate::btf::MapDef;
use crate::elfview::{self, ElfView, INSN_SIZE};
use crate::names;
use crate::object::{self, Object};
use crate::Error;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use tracec_meta::json::{self, Map, Value};
use tracec_meta::{AggKind, Attach, MapRole, Ty};

/// Everything `--info` reports, in a form that prints as text or JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    pub path: String,
    pub format: (u16, u16),
    pub compiler_version: String,
    pub source_name: String,
    pub source_hash: String,
    /// Lines of script text carried in the object (format 1.1), if any.
    pub source_lines: Option<usize>,
    pub signed: bool,
    pub unsafe_builtins: bool,
    pub probes: Vec<ProbeInfo>,
    pub maps: Vec<MapInfo>,
    pub requires: Requirements,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeInfo {
    pub name: String,
    pub program: String,
    pub section: String,
    pub program_type: Option<&'static str>,
    /// Where it attaches, in words.
    pub target: String,
    pub instructions: usize,
    pub helpers: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapInfo {
    pub symbol: String,
    /// `BPF_MAP_TYPE_*` from the map's BTF definition.
    pub map_type: Option<u32>,
    pub max_entries: Option<u32>,
    /// `@name` for script maps; `events` / `lost events` otherwise.
    pub role: String,
    pub key: Option<String>,
    pub value: Option<String>,
}

/// What the kernel must offer. Each list holds `(name, first release)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    pub program_types: Vec<(String, Option<&'static str>)>,
    pub map_types: Vec<(String, Option<&'static str>)>,
    pub helpers: Vec<(i32, Option<&'static str>)>,
    /// Other features: `(what, first release)`.
    pub features: Vec<(String, &'static str)>,
}

impl Requirements {
    /// The newest release among everything required.
    pub fn minimum_kernel(&self) -> Option<&'static str> {
        let releases = self
            .program_types
            .iter()
            .map(|p| p.1)
            .chain(self.map_types.iter().map(|m| m.1))
            .chain(self.helpers.iter().map(|h| h.1))
            .chain(self.features.iter().map(|f| Some(f.1)))
            .flatten();
        releases.max_by_key(|r| release_key(r))
    }
}

fn release_key(r: &str) -> (u32, u32) {
    let mut parts = r.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Print the report for `path` to `out`, as text or as JSON.
pub fn run(path: &Path, json: bool, out: &mut dyn std::io::Write) -> Result<(), Error> {
    run_with_args(path, json, &[], out)
}

/// [`run`], the attach points that take positional parameters completed from `args`
/// (the script's arguments) when there are any, as a run with them would name them.
pub fn run_with_args(
    path: &Path,
    json: bool,
    args: &[String],
    out: &mut dyn std::io::Write,
) -> Result<(), Error> {
    let mut obj = object::read(path).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    let positional = crate::params::split(args).positional;
    if !positional.is_empty() {
        if let Some(meta) = crate::attach_params::applied(&obj.meta, &positional)? {
            obj.meta = meta;
        }
    }
    let info = collect(&obj).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    let text = if json {
        let mut s = json::to_string_pretty(&to_json(&info));
        s.push('\n');
        s
    } else {
        render(&info)
    };
    out.write_all(text.as_bytes())
        .map_err(|e| Error::new(format!("cannot write the report: {e}")))
}

/// Gather the report from a validated object.
pub fn collect(obj: &Object) -> Result<Info, String> {
    let view = ElfView::parse(&obj.bytes)?;
    let meta = &obj.meta;
    let format = view
        .section(tracec_meta::SECTION)
        .ok_or("no metadata section")
        .and_then(|s| tracec_meta::version(s).map_err(|_| "unreadable metadata header"))?;
    let defs: HashMap<String, MapDef> = match view.btf() {
        Some(btf) => btf?.map_defs(),
        None => HashMap::new(),
    };

    let mut probes = Vec::new();
    for p in &meta.probes {
        let code = view.program(&p.program)?;
        probes.push(ProbeInfo {
            name: p.name.clone(),
            program: p.program.clone(),
            section: p.section.clone(),
            program_type: names::program_type(&p.section),
            target: if meta.attach_templates.iter().any(|t| t.text == p.name) {
                // Placeholder values until the arguments complete them.
                format!("set by the script's arguments ({})", p.name)
            } else {
                target(&p.attach)
            },
            instructions: code.code.len() / INSN_SIZE,
            helpers: elfview::helper_calls(code.code),
        });
    }

    let maps: Vec<MapInfo> = meta
        .maps
        .iter()
        .map(|m| {
            let def = match m.role {
                // The loader makes `.bss` a one-element array map.
                MapRole::LostCounter => MapDef {
                    map_type: Some(2),
                    max_entries: Some(1),
                    ..MapDef::default()
                },
                _ => defs.get(&m.symbol).cloned().unwrap_or_default(),
            };
            let (role, key, value) = match &m.role {
                MapRole::User {
                    name,
                    key,
                    value,
                    agg,
                    ..
                } => (
                    name.clone(),
                    Some(key.as_ref().map_or("none (scalar map)".into(), ty_name)),
                    Some(match agg {
                        AggKind::Assign => ty_name(value),
                        other => format!("{} from {}()", ty_name(value), agg_name(*other)),
                    }),
                ),
                MapRole::Events => ("events (printf, exit and other records)".into(), None, None),
                MapRole::Lost => ("lost events counter".into(), None, None),
                MapRole::LostCounter => ("lost events counter (a u64 in .bss)".into(), None, None),
                MapRole::Stack { user, limit } | MapRole::StackFrames { user, limit } => (
                    format!(
                        "{} {} ({limit} frames)",
                        if *user { "user" } else { "kernel" },
                        if matches!(m.role, MapRole::Stack { .. }) {
                            "stacks"
                        } else {
                            "stack frames by hash"
                        }
                    ),
                    None,
                    None,
                ),
                MapRole::BuildIdStack { limit } => (
                    format!("user stacks with build ids ({limit} frames)"),
                    None,
                    None,
                ),
                MapRole::UsdtSpecs => ("usdt argument specs (filled at attach)".into(), None, None),
                MapRole::SkbOutput => ("skboutput packets (perf buffers)".into(), None, None),
                MapRole::Scratch => (
                    "per-CPU scratch for values too big for the BPF stack".into(),
                    None,
                    None,
                ),
            };
            MapInfo {
                symbol: m.symbol.clone(),
                map_type: def.map_type,
                max_entries: def.max_entries,
                role,
                key,
                value,
            }
        })
        .collect();

    let requires = requirements(meta, &probes, &maps);
    Ok(Info {
        path: obj.path.display().to_string(),
        format,
        compiler_version: meta.compiler_version.clone(),
        source_name: meta.source_name.clone(),
        source_hash: meta.source_hash.clone(),
        source_lines: meta.source.as_ref().map(|s| s.lines().count()),
        signed: view.has_section(tracec_meta::SIGNATURE_SECTION),
        unsafe_builtins: meta.unsafe_builtins,
        probes,
        maps,
        requires,
    })
}

fn requirements(
    meta: &tracec_meta::Metadata,
    probes: &[ProbeInfo],
    maps: &[MapInfo],
) -> Requirements {
    let mut r = Requirements::default();
    for p in probes {
        let name = p.program_type.unwrap_or("unknown").to_string();
        if !r.program_types.iter().any(|(n, _)| *n == name) {
            let since = p.program_type.and_then(names::program_type_since);
            r.program_types.push((name, since));
        }
        for &h in &p.helpers {
            if !r.helpers.iter().any(|(id, _)| *id == h) {
                r.helpers.push((h, names::helper_since(h)));
            }
        }
    }
    crate::sorting::sort_by_key(&mut r.helpers, |h| h.0);
    for m in maps {
        let name = map_type_name(m.map_type);
        if !r.map_types.iter().any(|(n, _)| *n == name) {
            r.map_types
                .push((name, m.map_type.and_then(names::map_type_since)));
        }
    }
    let attach = |f: fn(&Attach) -> bool| meta.probes.iter().any(|p| f(&p.attach));
    if attach(|a| {
        matches!(
            a,
            Attach::Begin | Attach::End | Attach::Bench { .. } | Attach::Test { .. }
        )
    }) {
        r.features.push((
            "BPF_PROG_TEST_RUN of raw_tracepoint programs (BEGIN/END)".into(),
            "5.10",
        ));
    }
    if attach(|a| matches!(a, Attach::Tracepoint { .. })) {
        r.features
            .push(("tracefs mounted (tracepoint ids)".into(), "4.7"));
    }
    if attach(|a| matches!(a, Attach::Kprobe { .. })) {
        r.features
            .push(("kprobes (CONFIG_KPROBE_EVENTS)".into(), "4.1"));
    }
    if attach(|a| matches!(a, Attach::Watchpoint { .. })) {
        r.features.push((
            "hardware breakpoints (perf_event, BPF links)".into(),
            "5.15",
        ));
    }
    if attach(|a| matches!(a, Attach::Usdt { .. })) {
        r.features.push((
            "uprobes with reference counters and BPF cookies (usdt)".into(),
            "5.15",
        ));
    }
    if attach(|a| matches!(a, Attach::Uprobe { .. })) {
        r.features
            .push(("uprobes (CONFIG_UPROBE_EVENTS)".into(), "4.1"));
    }
    if attach(|a| matches!(a, Attach::RawTracepoint { .. })) {
        r.features.push(("raw tracepoints".into(), "4.17"));
    }
    if attach(|a| matches!(a, Attach::Fentry { .. } | Attach::FentryBpf { .. })) {
        r.features
            .push(("fentry/fexit (BPF trampolines)".into(), "5.5"));
    }
    if attach(|a| matches!(a, Attach::Iter { .. })) {
        r.features.push(("BPF iterators".into(), "5.8"));
    }
    r.features
        .push(("BTF for maps and line info".into(), "5.2"));
    r
}

fn map_type_name(t: Option<u32>) -> String {
    match t {
        Some(t) => names::map_type(t).map_or_else(|| format!("type {t}"), str::to_owned),
        None => "unknown".into(),
    }
}

fn helper_name(id: i32) -> String {
    names::helper(id).map_or_else(|| format!("helper #{id}"), |n| format!("bpf_{n}"))
}

fn agg_name(a: AggKind) -> &'static str {
    match a {
        AggKind::Assign => "assign",
        AggKind::Count => "count",
        AggKind::Sum => "sum",
        AggKind::Min => "min",
        AggKind::Max => "max",
        AggKind::Avg => "avg",
        AggKind::Stats => "stats",
        AggKind::Hist { .. } => "hist",
        AggKind::Lhist { .. } | AggKind::LhistParam { .. } => "lhist",
        AggKind::Tseries { .. } => "tseries",
    }
}

/// A value type the way bpftrace names it.
pub fn ty_name(t: &Ty) -> String {
    match t {
        Ty::Int { size, signed } => format!("{}int{}", if *signed { "" } else { "u" }, size * 8),
        Ty::Str { size } => format!("string[{size}]"),
        Ty::Ptr => "pointer".into(),
        Ty::Tuple { fields } => format!(
            "({})",
            fields
                .iter()
                .map(|f| ty_name(&f.ty))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Ty::Bool { .. } => "bool".into(),
        Ty::Array { elem, len } => format!("{}[{len}]", ty_name(elem)),
        Ty::Stack { user: true, .. } => "ustack".into(),
        Ty::Stack { user: false, .. } => "kstack".into(),
        Ty::DwStack { .. } => "dw_ustack".into(),
        Ty::Sym { user: true } => "usym".into(),
        Ty::Sym { user: false } => "ksym".into(),
        Ty::Enum { size, .. } => format!("enum ({} bytes)", size),
        Ty::Fmt { fmt } => match fmt {
            tracec_meta::FmtKind::Inet => "inet".into(),
            tracec_meta::FmtKind::MacAddr => "macaddr_t".into(),
            tracec_meta::FmtKind::Timestamp => "timestamp".into(),
            tracec_meta::FmtKind::Buf { size } => format!("buffer[{size}]"),
            tracec_meta::FmtKind::CgroupPath => "cgroup_path_t".into(),
            tracec_meta::FmtKind::Username => "username".into(),
            tracec_meta::FmtKind::Strerror => "strerror_t".into(),
            tracec_meta::FmtKind::SignalName => "signal_name_t".into(),
            tracec_meta::FmtKind::SyscallName => "syscall_name_t".into(),
            tracec_meta::FmtKind::ProbeName => "probe".into(),
            tracec_meta::FmtKind::FuncName => "func".into(),
            tracec_meta::FmtKind::None { .. } => "none".into(),
        },
        Ty::Record { fields } => format!(
            "{{ {} }}",
            fields
                .iter()
                .map(|f| format!(".{} = {}", f.name, ty_name(&f.ty)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Where a probe attaches, in words.
pub fn target(a: &Attach) -> String {
    let plus = |off: u64| {
        if off == 0 {
            String::new()
        } else {
            format!("+{off:#x}")
        }
    };
    match a {
        Attach::Begin => "runs once at start (BPF_PROG_TEST_RUN)".into(),
        Attach::End => "runs once at exit (BPF_PROG_TEST_RUN)".into(),
        Attach::Bench { .. } => {
            "micro benchmark, run repeatedly in bench mode (BPF_PROG_TEST_RUN)".into()
        }
        Attach::Test { .. } => "self test, run once in test mode (BPF_PROG_TEST_RUN)".into(),
        Attach::Tracepoint { category, name } => format!("tracepoint {category}:{name}"),
        Attach::Interval { period_ns } => {
            format!("cpu-clock perf event on CPU 0 every {period_ns} ns")
        }
        Attach::Profile { hz, period_ns } if *hz != 0 => {
            format!("cpu-clock perf event on every CPU at {hz} Hz")
        }
        Attach::Profile { period_ns, .. } => {
            format!("cpu-clock perf event on every CPU every {period_ns} ns")
        }
        Attach::Kprobe {
            function,
            offset,
            ret,
        } => format!(
            "{} {function}{}",
            if *ret { "kretprobe" } else { "kprobe" },
            plus(*offset)
        ),
        Attach::Uprobe {
            path,
            symbol,
            offset,
            ret,
        } => format!(
            "{} {path}:{}{}",
            if *ret { "uretprobe" } else { "uprobe" },
            if symbol.is_empty() { "" } else { symbol },
            plus(*offset)
        ),
        Attach::RawTracepoint { name, module } if module.is_empty() => {
            format!("raw tracepoint {name}")
        }
        Attach::RawTracepoint { name, module } => {
            format!("raw tracepoint {name} of kernel module {module}")
        }
        Attach::Watchpoint {
            address,
            length,
            mode,
            ..
        } => format!("hardware breakpoint ({mode}) on {length} bytes at {address:#x}"),
        Attach::Usdt {
            path,
            provider,
            name,
        } => {
            let file = if path.is_empty() {
                "the traced process"
            } else {
                path
            };
            let probe = if provider.is_empty() {
                name.clone()
            } else {
                format!("{provider}:{name}")
            };
            format!("usdt {probe} in {file} (uprobes at its locations)")
        }
        Attach::PerfCounter {
            hardware,
            event,
            period,
            ..
        } => format!(
            "{} perf event {event} on every CPU every {period} events",
            if *hardware { "hardware" } else { "software" }
        ),
        Attach::Fentry {
            function,
            ret,
            module,
        } => format!(
            "{} {function}{} (BPF trampoline)",
            if *ret { "fexit" } else { "fentry" },
            if module.is_empty() {
                String::new()
            } else {
                format!(" of kernel module {module}")
            }
        ),
        Attach::FentryBpf { id, pattern, ret } => format!(
            "{} {pattern} in {} (BPF trampolines)",
            if *ret { "fexit" } else { "fentry" },
            if *id == 0 {
                "every running BPF program".to_string()
            } else {
                format!("BPF program {id}")
            }
        ),
        Attach::Iter { target, pin } if pin.is_empty() => {
            format!("iterator over {target}, run once at start")
        }
        Attach::Iter { target, pin } => format!("iterator over {target}, pinned at {pin}"),
        Attach::Signal { signal, .. } => {
            format!("runs on each {signal} to tracerun (BPF_PROG_TEST_RUN)")
        }
    }
}

/// The text report.
pub fn render(info: &Info) -> String {
    let mut s = String::new();
    let mut line = |k: &str, v: String| {
        let _ = writeln!(s, "{k:<10}{v}");
    };
    line("object", info.path.clone());
    line("compiler", format!("tracec {}", info.compiler_version));
    line(
        "format",
        format!(
            "{}.{} (this tracerun reads {}.x)",
            info.format.0,
            info.format.1,
            tracec_meta::FORMAT_MAJOR
        ),
    );
    line("source", info.source_name.clone());
    line("sha256", info.source_hash.clone());
    line(
        "script",
        match info.source_lines {
            Some(n) => format!("embedded ({n} lines)"),
            None => "not embedded (format 1.0)".into(),
        },
    );
    line(
        "signed",
        if info.signed {
            format!("yes ({} section)", tracec_meta::SIGNATURE_SECTION)
        } else {
            "no (unsigned)".into()
        },
    );
    line(
        "unsafe",
        if info.unsafe_builtins {
            "yes: uses builtins that need --unsafe".into()
        } else {
            "no".into()
        },
    );

    let _ = writeln!(s, "\nprobes ({}):", info.probes.len());
    for p in &info.probes {
        let _ = writeln!(s, "  {}", p.name);
        let _ = writeln!(s, "    attach   {}", p.target);
        let _ = writeln!(
            s,
            "    program  {} in section {} ({}, {} instructions)",
            p.program,
            p.section,
            p.program_type.unwrap_or("unknown type"),
            p.instructions
        );
        if !p.helpers.is_empty() {
            let hs: Vec<String> = p.helpers.iter().map(|&h| helper_name(h)).collect();
            let _ = writeln!(s, "    helpers  {}", hs.join(", "));
        }
    }

    let _ = writeln!(s, "\nmaps ({}):", info.maps.len());
    for m in &info.maps {
        let entries = m
            .max_entries
            .map_or(String::new(), |n| format!(", max_entries {n}"));
        let _ = writeln!(
            s,
            "  {}  {}{entries}  {}",
            m.symbol,
            map_type_name(m.map_type),
            m.role
        );
        if let (Some(k), Some(v)) = (&m.key, &m.value) {
            let _ = writeln!(s, "    key {k}, value {v}");
        }
    }

    let r = &info.requires;
    let since = |v: &Option<&str>| v.map_or(String::new(), |v| format!(" ({v}+)"));
    s.push_str("\nrequires:\n");
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    let _ = writeln!(
        s,
        "  program types  {}",
        list(
            r.program_types
                .iter()
                .map(|(n, v)| format!("{n}{}", since(v)))
                .collect()
        )
    );
    let _ = writeln!(
        s,
        "  map types      {}",
        list(
            r.map_types
                .iter()
                .map(|(n, v)| format!("{n}{}", since(v)))
                .collect()
        )
    );
    let _ = writeln!(
        s,
        "  helpers        {}",
        list(
            r.helpers
                .iter()
                .map(|(h, v)| format!("{} #{h}{}", helper_name(*h), since(v)))
                .collect()
        )
    );
    for (what, v) in &r.features {
        let _ = writeln!(s, "  feature        {what} ({v}+)");
    }
    if let Some(k) = r.minimum_kernel() {
        let _ = writeln!(s, "  kernel         {k} or newer");
    }
    s
}

/// The JSON report (`--info --format json`). Keys are sorted, as `serde_json`'s map
/// wrote them when it built this report.
pub fn to_json(info: &Info) -> Value {
    let r = &info.requires;
    let strings = |items: Vec<&String>| Value::from(items);
    obj([
        ("object", (&info.path).into()),
        ("compiler_version", (&info.compiler_version).into()),
        (
            "format",
            obj([
                ("major", info.format.0.into()),
                ("minor", info.format.1.into()),
            ]),
        ),
        ("source_name", (&info.source_name).into()),
        ("source_hash", (&info.source_hash).into()),
        ("source_embedded", info.source_lines.is_some().into()),
        ("signed", info.signed.into()),
        ("unsafe_builtins", info.unsafe_builtins.into()),
        (
            "probes",
            Value::Array(
                info.probes
                    .iter()
                    .map(|p| {
                        obj([
                            ("name", (&p.name).into()),
                            ("program", (&p.program).into()),
                            ("section", (&p.section).into()),
                            ("program_type", p.program_type.into()),
                            ("attach", (&p.target).into()),
                            ("instructions", p.instructions.into()),
                            (
                                "helpers",
                                p.helpers
                                    .iter()
                                    .map(|&h| helper_name(h))
                                    .collect::<Vec<_>>()
                                    .into(),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "maps",
            Value::Array(
                info.maps
                    .iter()
                    .map(|m| {
                        obj([
                            ("symbol", (&m.symbol).into()),
                            ("type", map_type_name(m.map_type).into()),
                            ("max_entries", m.max_entries.into()),
                            ("role", (&m.role).into()),
                            ("key", m.key.clone().into()),
                            ("value", m.value.clone().into()),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "requires",
            obj([
                (
                    "program_types",
                    strings(r.program_types.iter().map(|p| &p.0).collect()),
                ),
                (
                    "map_types",
                    strings(r.map_types.iter().map(|m| &m.0).collect()),
                ),
                (
                    "helpers",
                    Value::Array(
                        r.helpers
                            .iter()
                            .map(|&(h, _)| {
                                obj([("id", h.into()), ("name", names::helper(h).into())])
                            })
                            .collect(),
                    ),
                ),
                (
                    "features",
                    strings(r.features.iter().map(|f| &f.0).collect()),
                ),
                ("minimum_kernel", r.minimum_kernel().into()),
            ]),
        ),
    ])
}

/// A JSON object of `entries`, its keys sorted.
fn obj<const N: usize>(entries: [(&str, Value); N]) -> Value {
    object(Vec::from(entries))
}

/// [`obj`]'s work, once for every size.
fn object(entries: Vec<(&str, Value)>) -> Value {
    let mut m: Map = entries.into_iter().collect();
    m.sort_keys();
    Value::Object(m)
}
