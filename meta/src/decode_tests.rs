//! The hand-written reader against the derived `Serialize` (what `tracec` writes) and
//! the derived `Deserialize` (what the reader must agree with).

use super::metadata as read;
use crate::*;
use serde_json::{json, Value};

fn int(size: u8, signed: bool) -> Ty {
    Ty::Int { size, signed }
}

/// One value of every [`Ty`] variant.
fn all_types() -> Vec<Ty> {
    vec![
        int(4, true),
        Ty::Str { size: 16 },
        Ty::Ptr,
        Ty::Tuple {
            fields: vec![
                Field {
                    offset: 0,
                    ty: int(8, false),
                },
                Field {
                    offset: 8,
                    ty: Ty::Str { size: 8 },
                },
            ],
        },
        Ty::Bool { size: 1 },
        Ty::Record {
            fields: vec![RecordField {
                name: "a".into(),
                offset: 0,
                ty: int(2, false),
            }],
        },
        Ty::Stack {
            user: true,
            mode: StackMode::Perf,
            limit: 127,
        },
        Ty::Sym { user: false },
        Ty::DwStack {
            mode: StackMode::Raw,
            limit: 5,
        },
        Ty::Enum {
            size: 4,
            signed: true,
            id: 3,
            variants: vec![EnumVariant {
                name: "NEG".into(),
                value: -1,
            }],
        },
        Ty::Array {
            elem: Box::new(int(1, true)),
            len: 4,
        },
        Ty::Fmt {
            fmt: FmtKind::Buf { size: 12 },
        },
    ]
}

fn all_fmt_kinds() -> Vec<FmtKind> {
    vec![
        FmtKind::Inet,
        FmtKind::MacAddr,
        FmtKind::Timestamp,
        FmtKind::Buf { size: 3 },
        FmtKind::CgroupPath,
        FmtKind::Username,
        FmtKind::Strerror,
        FmtKind::SignalName,
        FmtKind::ProbeName,
        FmtKind::FuncName,
        FmtKind::SyscallName,
        FmtKind::None { size: 4 },
    ]
}

fn all_aggs() -> Vec<AggKind> {
    let mut aggs = vec![
        AggKind::Assign,
        AggKind::Count,
        AggKind::Sum,
        AggKind::Min,
        AggKind::Max,
        AggKind::Avg,
        AggKind::Stats,
        AggKind::Hist { bits: 2 },
        AggKind::Lhist {
            min: -10,
            max: 10,
            step: 2,
        },
        AggKind::LhistParam {
            min: Bound::Const(-1),
            max: Bound::Param(2),
            step: Bound::Const(1),
        },
    ];
    for agg in [
        TseriesAgg::Last,
        TseriesAgg::Avg,
        TseriesAgg::Max,
        TseriesAgg::Min,
        TseriesAgg::Sum,
    ] {
        aggs.push(AggKind::Tseries {
            interval_ns: 1_000_000_000,
            num_intervals: 5,
            agg,
        });
    }
    aggs
}

fn all_attach() -> Vec<Attach> {
    vec![
        Attach::Begin,
        Attach::End,
        Attach::Tracepoint {
            category: "sched".into(),
            name: "sched_switch".into(),
        },
        Attach::Interval { period_ns: 1000 },
        Attach::Profile {
            hz: 99,
            period_ns: 0,
        },
        Attach::Kprobe {
            function: "vfs_read".into(),
            offset: 4,
            ret: true,
        },
        Attach::Uprobe {
            path: "/bin/sh".into(),
            symbol: "main".into(),
            offset: 0,
            ret: false,
        },
        Attach::RawTracepoint {
            name: "sched_switch".into(),
            module: String::new(),
        },
        Attach::RawTracepoint {
            name: "xfs_read".into(),
            module: "xfs".into(),
        },
        Attach::PerfCounter {
            hardware: true,
            event: "cache-misses".into(),
            config: 3,
            period: 1000,
        },
        Attach::Fentry {
            function: "vfs_write".into(),
            ret: true,
            module: String::new(),
        },
        Attach::Fentry {
            function: "nf_conntrack_in".into(),
            ret: false,
            module: "nf_conntrack".into(),
        },
        Attach::FentryBpf {
            id: 0,
            pattern: "interval_us_*".into(),
            ret: true,
        },
        Attach::Iter {
            target: "task".into(),
            pin: "/sys/fs/bpf/x".into(),
        },
        Attach::Signal {
            signal: "SIGUSR1".into(),
            number: 10,
        },
        Attach::Bench { name: "b".into() },
        Attach::Test { name: "t".into() },
        Attach::Usdt {
            path: "/x".into(),
            provider: "p".into(),
            name: "n".into(),
        },
        Attach::Watchpoint {
            address: 0x1000,
            length: 8,
            mode: "rw".into(),
            asynchronous: true,
        },
    ]
}

fn all_roles() -> Vec<MapRole> {
    let mut roles: Vec<MapRole> = all_aggs()
        .into_iter()
        .zip(all_types().into_iter().cycle())
        .map(|(agg, value)| MapRole::User {
            name: "@m".into(),
            key: (agg != AggKind::Count).then_some(Ty::Str { size: 8 }),
            additive: agg == AggKind::Assign,
            value,
            agg,
        })
        .collect();
    roles.extend([
        MapRole::Events,
        MapRole::Lost,
        MapRole::LostCounter,
        MapRole::Stack {
            user: true,
            limit: 10,
        },
        MapRole::BuildIdStack { limit: 4 },
        MapRole::StackFrames {
            user: false,
            limit: 127,
        },
        MapRole::UsdtSpecs,
        MapRole::SkbOutput,
        MapRole::Scratch,
    ]);
    roles
}

fn all_params() -> Vec<ParamSpec> {
    let kinds = [
        ParamKind::Positional { index: 1 },
        ParamKind::Count,
        ParamKind::PositionalText { index: 2 },
        ParamKind::Named {
            name: "n".into(),
            default: ParamValue::Int(-3),
            description: Some("d".into()),
        },
        ParamKind::Named {
            name: "b".into(),
            default: ParamValue::Bool(true),
            description: None,
        },
        ParamKind::Named {
            name: "s".into(),
            default: ParamValue::Str("x".into()),
            description: None,
        },
    ];
    let types = [ParamType::Int, ParamType::Bool, ParamType::Str { size: 64 }];
    kinds
        .into_iter()
        .zip(types.into_iter().cycle())
        .enumerate()
        .map(|(i, (kind, ty))| ParamSpec {
            symbol: format!("p{i}"),
            kind,
            ty,
        })
        .collect()
}

/// Metadata using every type, role, attach kind and parameter the contract has.
fn everything() -> Metadata {
    let stack_modes = [
        StackMode::Bpftrace,
        StackMode::Perf,
        StackMode::Raw,
        StackMode::BuildId,
    ];
    let mut print_values = all_types();
    print_values.extend(all_fmt_kinds().into_iter().map(|fmt| Ty::Fmt { fmt }));
    print_values.extend(stack_modes.into_iter().map(|mode| Ty::Stack {
        user: false,
        mode,
        limit: 3,
    }));
    Metadata {
        compiler_version: "0.1.0".into(),
        source_name: "x.bt".into(),
        source_hash: "ab".into(),
        probes: all_attach()
            .into_iter()
            .enumerate()
            .map(|(i, attach)| ProbeSpec {
                program: format!("prog_{i}"),
                section: "s".into(),
                name: "n".into(),
                attach,
                cookie: (i % 2 == 1).then_some(i as u64),
            })
            .collect(),
        maps: all_roles()
            .into_iter()
            .enumerate()
            .map(|(i, role)| MapSpec {
                symbol: format!("m{i}"),
                role,
            })
            .collect(),
        printfs: vec![PrintfSpec {
            format: "%s \"quoted\" \u{e9}\n".into(),
            args: vec![Field {
                offset: 0,
                ty: Ty::Str { size: 64 },
            }],
        }],
        joins: vec![JoinSpec {
            delimiter: ",".into(),
            max_args: 16,
            arg_size: 256,
        }],
        unsafe_builtins: true,
        source: Some("BEGIN { exit(); }".into()),
        core_relocs: vec![CoreRelocSpec {
            program: "p".into(),
            insn: 7,
            type_name: "struct task_struct".into(),
            field: "se.vruntime".into(),
        }],
        params: all_params(),
        print_values,
        skip_maps_on_exit: true,
        runtime_config: vec![ConfigSetting {
            name: "max_cat_bytes".into(),
            value: "1".into(),
        }],
        bound_args: vec![BoundArg {
            index: 1,
            value: "100".into(),
        }],
        attach_templates: vec![attach_template::AttachTemplate {
            text: "interval:ms:$1".into(),
            location: "x.bt:1:1-8".into(),
            context: "i:ms:$1 {}\n~~~~~~~".into(),
        }],
        strftime_formats: vec!["%H:%M".into()],
        symbol_globals: vec![
            SymbolGlobal {
                symbol: "g".into(),
                name: "jiffies".into(),
                path: None,
                location: "x.bt:1:1-5".into(),
                context: "ctx".into(),
                name_param: None,
                kind: SymbolKind::Address,
                allowed_in: None,
            },
            SymbolGlobal {
                symbol: "h".into(),
                name: String::new(),
                path: Some("/bin/sh".into()),
                location: String::new(),
                context: String::new(),
                name_param: Some("p0".into()),
                kind: SymbolKind::CgroupId,
                allowed_in: None,
            },
            SymbolGlobal {
                symbol: "k".into(),
                name: "bpf_task_from_pid".into(),
                path: None,
                location: "x.bt:2:3-9".into(),
                context: String::new(),
                name_param: None,
                kind: SymbolKind::KfuncExists,
                allowed_in: Some("tracepoint/sched/sched_switch".into()),
            },
        ],
        attach_names: vec![AttachName {
            probe: "kprobe:f".into(),
            func: "f".into(),
        }],
        ksyms: vec![
            KsymSpec {
                program: "p".into(),
                insn: 3,
                name: "runqueues".into(),
                kind: KsymKind::Var,
            },
            KsymSpec {
                program: ".text".into(),
                insn: 9,
                name: "bpf_task_from_pid".into(),
                kind: KsymKind::Func,
            },
        ],
        missing_probes: MissingProbes::Ignore,
        syscall_names: vec![String::new(), "write".into()],
        skb_outputs: vec![
            SkbOutputSpec {
                path: "a.pcap".into(),
                offset: 14,
                perf_rb_pages: 1024,
            },
            SkbOutputSpec {
                path: "/tmp/b.pcap".into(),
                offset: 0,
                perf_rb_pages: 0,
            },
        ],
    }
}

/// The serde tag of every [`Ty`] variant. The match has no wildcard: a new variant
/// fails to compile here until it is listed, sampled in [`all_types`] and read.
fn ty_tag(t: &Ty) -> &'static str {
    match t {
        Ty::Int { .. } => "int",
        Ty::Str { .. } => "str",
        Ty::Ptr => "ptr",
        Ty::Tuple { .. } => "tuple",
        Ty::Bool { .. } => "bool",
        Ty::Record { .. } => "record",
        Ty::Stack { .. } => "stack",
        Ty::Sym { .. } => "sym",
        Ty::DwStack { .. } => "dw_stack",
        Ty::Enum { .. } => "enum",
        Ty::Array { .. } => "array",
        Ty::Fmt { .. } => "fmt",
    }
}
const TY_TAGS: usize = 12;

fn attach_tag(a: &Attach) -> usize {
    match a {
        Attach::Begin => 0,
        Attach::End => 1,
        Attach::Tracepoint { .. } => 2,
        Attach::Interval { .. } => 3,
        Attach::Profile { .. } => 4,
        Attach::Kprobe { .. } => 5,
        Attach::Uprobe { .. } => 6,
        Attach::RawTracepoint { .. } => 7,
        Attach::PerfCounter { .. } => 8,
        Attach::Fentry { .. } => 9,
        Attach::Iter { .. } => 10,
        Attach::Signal { .. } => 11,
        Attach::Bench { .. } => 12,
        Attach::Usdt { .. } => 13,
        Attach::Watchpoint { .. } => 14,
        Attach::Test { .. } => 15,
        Attach::FentryBpf { .. } => 16,
    }
}
const ATTACH_TAGS: usize = 17;

fn role_tag(r: &MapRole) -> usize {
    match r {
        MapRole::User { .. } => 0,
        MapRole::Events => 1,
        MapRole::Lost => 2,
        MapRole::LostCounter => 3,
        MapRole::Stack { .. } => 4,
        MapRole::BuildIdStack { .. } => 5,
        MapRole::UsdtSpecs => 6,
        MapRole::SkbOutput => 7,
        MapRole::Scratch => 8,
        MapRole::StackFrames { .. } => 9,
    }
}
const ROLE_TAGS: usize = 10;

fn agg_tag(a: &AggKind) -> usize {
    match a {
        AggKind::Assign => 0,
        AggKind::Count => 1,
        AggKind::Sum => 2,
        AggKind::Min => 3,
        AggKind::Max => 4,
        AggKind::Avg => 5,
        AggKind::Stats => 6,
        AggKind::Hist { .. } => 7,
        AggKind::Lhist { .. } => 8,
        AggKind::Tseries { .. } => 9,
        AggKind::LhistParam { .. } => 10,
    }
}
const AGG_TAGS: usize = 11;

fn fmt_tag(f: &FmtKind) -> usize {
    match f {
        FmtKind::Inet => 0,
        FmtKind::MacAddr => 1,
        FmtKind::Timestamp => 2,
        FmtKind::Buf { .. } => 3,
        FmtKind::CgroupPath => 4,
        FmtKind::Username => 5,
        FmtKind::Strerror => 6,
        FmtKind::SignalName => 7,
        FmtKind::ProbeName => 8,
        FmtKind::FuncName => 9,
        FmtKind::SyscallName => 10,
        FmtKind::None { .. } => 11,
    }
}
const FMT_TAGS: usize = 12;

fn param_tag(p: &ParamKind) -> usize {
    match p {
        ParamKind::Positional { .. } => 0,
        ParamKind::Count => 1,
        ParamKind::PositionalText { .. } => 2,
        ParamKind::Named { .. } => 3,
    }
}
const PARAM_TAGS: usize = 4;

fn distinct<T>(items: &[T], tag: impl Fn(&T) -> usize) -> usize {
    let mut seen: Vec<usize> = items.iter().map(tag).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

#[test]
fn the_samples_cover_every_variant() {
    let mut tags: Vec<&str> = all_types().iter().map(ty_tag).collect();
    tags.sort_unstable();
    tags.dedup();
    assert_eq!(tags.len(), TY_TAGS);
    assert_eq!(distinct(&all_attach(), attach_tag), ATTACH_TAGS);
    assert_eq!(distinct(&all_roles(), role_tag), ROLE_TAGS);
    assert_eq!(distinct(&all_aggs(), agg_tag), AGG_TAGS);
    assert_eq!(distinct(&all_fmt_kinds(), fmt_tag), FMT_TAGS);
    let kinds: Vec<ParamKind> = all_params().into_iter().map(|p| p.kind).collect();
    assert_eq!(distinct(&kinds, param_tag), PARAM_TAGS);
}

/// `v` as our own JSON value, which the hand-written reader walks.
fn ours(v: &Value) -> crate::json::Value {
    crate::json::parse(v.to_string().as_bytes()).expect("serde_json writes JSON")
}

/// Both readers on `v`: the same result, or both an error.
fn agree(v: &Value) -> Result<Metadata, String> {
    let hand = read(v.to_string().as_bytes());
    let derived = serde_json::from_value::<Metadata>(v.clone());
    match (&hand, &derived) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{v}"),
        (Err(_), Err(_)) => {}
        _ => panic!("the readers disagree on {v}: {hand:?} / {derived:?}"),
    }
    hand
}

#[test]
fn reads_what_the_compiler_writes() {
    let m = everything();
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(agree(&v).unwrap(), m);
    assert_eq!(decode(&encode(&m)).unwrap(), m);
}

#[test]
fn defaulted_fields_may_be_missing() {
    let m = everything();
    let full = serde_json::to_value(&m).unwrap();
    // Every field of the top level, then of a probe, parameter and symbol: the readers
    // agree on whether it may be missing and on the value then.
    let mut missing_ok = Vec::new();
    for key in full.as_object().unwrap().keys() {
        let mut v = full.clone();
        v.as_object_mut().unwrap().remove(key);
        if agree(&v).is_ok() {
            missing_ok.push(key.clone());
        }
    }
    assert!(missing_ok.contains(&"attach_names".to_string()));
    assert!(missing_ok.contains(&"skb_outputs".to_string()));
    assert!(missing_ok.contains(&"attach_templates".to_string()));
    assert!(!missing_ok.contains(&"probes".to_string()));
    // JSON pointers of objects whose every field is dropped in turn.
    let nested = [
        "/probes/4",
        "/probes/4/attach",
        "/probes/14/attach",
        "/params/3",
        "/symbol_globals/1",
        "/maps/0",
        "/maps/0/value",
        "/maps/9/agg/lhist_param",
        "/attach_names/0",
        "/ksyms/1",
        "/skb_outputs/0",
        "/attach_templates/0",
    ];
    let mut checked = 0;
    for path in nested {
        let keys: Vec<String> = full
            .pointer(path)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        for key in keys {
            let mut v = full.clone();
            v.pointer_mut(path)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove(&key);
            agree(&v).ok();
            checked += 1;
        }
    }
    assert!(checked > 20);
}

#[test]
fn unknown_fields_are_ignored() {
    let mut v = serde_json::to_value(everything()).unwrap();
    v["from_a_later_minor"] = json!([1, 2]);
    v["probes"][0]["extra"] = json!({"x": 1});
    v["maps"][0]["value"]["new"] = json!(true);
    assert_eq!(agree(&v).unwrap(), everything());
}

#[test]
fn malformed_payloads_are_errors() {
    let full = serde_json::to_value(everything()).unwrap();
    let edits: Vec<(&str, Value)> = vec![
        ("/probes/0/attach/kind", json!("no_such_probe")),
        ("/maps/0/value/t", json!("float")),
        ("/maps/0/value/size", json!(300)),
        ("/maps/0/value/size", json!(-1)),
        ("/maps/0/value/size", json!(1.5)),
        ("/maps/0/agg", json!("median")),
        ("/maps/0/agg", json!({"hist": 3})),
        ("/maps/0/agg", json!({"count": 1, "sum": 2})),
        ("/params/3/default", json!({"float": 1})),
        ("/params/0/param", json!("positional_html")),
        ("/print_values/6/mode", json!("fancy")),
        ("/probes/14/attach/number", json!(1u64 << 40)),
        ("/probes/12/attach/id", json!(-1)),
        ("/probes/11/attach/module", json!(7)),
        ("/probes", json!({})),
        ("/source", json!(5)),
        ("/unsafe_builtins", json!(null)),
        ("/ksyms/0/kind", json!("var")),
        ("/skb_outputs/0/offset", json!(-14)),
        ("/skb_outputs/1", json!("b.pcap")),
    ];
    for (path, value) in edits {
        let mut v = full.clone();
        *v.pointer_mut(path).unwrap_or_else(|| panic!("{path}")) = value;
        assert!(agree(&v).is_err(), "{path} accepted");
    }
    assert!(read(b"{").is_err());
    assert!(read(b"[]").is_err());
    let e = read(br#"{"compiler_version":"x"}"#).unwrap_err();
    assert!(e.contains("source_name"), "{e}");
}

#[test]
fn null_options_read_as_none() {
    let mut v = serde_json::to_value(everything()).unwrap();
    v["source"] = Value::Null;
    v["probes"][1]["cookie"] = Value::Null;
    let m = agree(&v).unwrap();
    assert_eq!(m.source, None);
    assert_eq!(m.probes[1].cookie, None);
}

#[test]
fn errors_name_the_field() {
    let mut v = serde_json::to_value(everything()).unwrap();
    v["maps"][1]["value"]["size"] = json!("big");
    let e = read(v.to_string().as_bytes()).unwrap_err();
    assert!(e.starts_with("maps: [1]: value: size:"), "{e}");
}

#[test]
fn an_additive_map_says_so_and_an_older_one_is_not() {
    let role = |additive| MapRole::User {
        name: "@a".into(),
        key: None,
        value: Ty::Int {
            size: 8,
            signed: true,
        },
        agg: AggKind::Assign,
        additive,
    };
    let spec = |role| MapSpec {
        symbol: "m_a".into(),
        role,
    };
    let mut v = serde_json::to_value(spec(role(true))).unwrap();
    assert_eq!(v["additive"], json!(true));
    assert_eq!(
        <MapSpec as super::Read>::read(&ours(&v)).unwrap(),
        spec(role(true))
    );
    // Written as before format 1.14: not additive.
    v.as_object_mut().unwrap().remove("additive");
    assert_eq!(
        <MapSpec as super::Read>::read(&ours(&v)).unwrap(),
        spec(role(false))
    );
    let plain = serde_json::to_value(spec(role(false))).unwrap();
    assert!(plain.get("additive").is_none(), "{plain}");
}

#[test]
fn kfunc_allowed_names_its_program_section_and_an_older_global_none() {
    let full = serde_json::to_value(everything()).unwrap();
    let g = &full["symbol_globals"][2];
    assert_eq!(g["allowed_in"], json!("tracepoint/sched/sched_switch"));
    let read = <SymbolGlobal as super::Read>::read(&ours(g)).unwrap();
    assert_eq!(
        read.allowed_in.as_deref(),
        Some("tracepoint/sched/sched_switch")
    );
    // Before format 1.14 (and for every other global) there is none.
    let old = &full["symbol_globals"][0];
    assert!(old.get("allowed_in").is_none(), "{old}");
    assert_eq!(
        <SymbolGlobal as super::Read>::read(&ours(old))
            .unwrap()
            .allowed_in,
        None
    );
}

#[test]
fn stack_frames_maps_read_back_beside_older_stack_trace_maps() {
    let read = |text: &str| {
        <MapSpec as super::Read>::read(&crate::json::parse(text.as_bytes()).unwrap()).unwrap()
    };
    // Format 1.15: frames stored by hash.
    let new = read(r#"{"symbol":"stack_u7","role":"stack_frames","user":true,"limit":7}"#);
    assert_eq!(
        new,
        MapSpec {
            symbol: "stack_u7".into(),
            role: MapRole::StackFrames {
                user: true,
                limit: 7
            },
        }
    );
    assert_eq!(
        serde_json::to_value(&new).unwrap(),
        json!({"symbol": "stack_u7", "role": "stack_frames", "user": true, "limit": 7})
    );
    // Objects compiled before it name a stack trace map, which still reads.
    let old = read(r#"{"symbol":"stack_k127","role":"stack","user":false,"limit":127}"#);
    assert_eq!(
        old.role,
        MapRole::Stack {
            user: false,
            limit: 127
        }
    );
    let missing = crate::json::parse(br#"{"symbol":"s","role":"stack_frames","user":true}"#);
    assert!(<MapSpec as super::Read>::read(&missing.unwrap()).is_err());
}
