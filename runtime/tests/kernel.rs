//! End-to-end runs against the kernel with hand-assembled objects. Skipped (with a
//! message) when not root, unless TRACEC_REQUIRE_KERNEL=1.

mod common;

use common::{MapDef, Prog};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use tracec_meta::{AggKind, Attach, Field, MapRole, MapSpec, Metadata, PrintfSpec, ProbeSpec, Ty};

const EVENTS: &str = "tr_events";
const LOST: &str = "tr_lost";

fn probe(program: &str, section: &str, name: &str, attach: Attach) -> ProbeSpec {
    ProbeSpec {
        program: program.into(),
        section: section.into(),
        name: name.into(),
        attach,
        cookie: None,
    }
}

fn base_maps() -> (Vec<MapDef>, Vec<MapSpec>) {
    let defs = vec![
        MapDef {
            name: EVENTS.into(),
            ty: 27,
            key: 0,
            value: 0,
            max: 1 << 16,
        },
        MapDef {
            name: LOST.into(),
            ty: 6,
            key: 4,
            value: 8,
            max: 1,
        },
        MapDef {
            name: "tr_m_a".into(),
            ty: 1,
            key: 8,
            value: 8,
            max: 16,
        },
        MapDef {
            name: "tr_m_c".into(),
            ty: 5,
            key: 8,
            value: 8,
            max: 16,
        },
    ];
    let specs = vec![
        MapSpec {
            symbol: EVENTS.into(),
            role: MapRole::Events,
        },
        MapSpec {
            symbol: LOST.into(),
            role: MapRole::Lost,
        },
        MapSpec {
            symbol: "tr_m_a".into(),
            role: MapRole::User {
                name: "@a".into(),
                key: None,
                value: Ty::Int {
                    size: 8,
                    signed: true,
                },
                agg: AggKind::Assign,
                additive: false,
            },
        },
        MapSpec {
            symbol: "tr_m_c".into(),
            role: MapRole::User {
                name: "@c".into(),
                key: Some(Ty::Int {
                    size: 8,
                    signed: true,
                }),
                value: Ty::Int {
                    size: 8,
                    signed: false,
                },
                agg: AggKind::Count,
                additive: false,
            },
        },
    ];
    (defs, specs)
}

fn printfs() -> Vec<PrintfSpec> {
    vec![
        PrintfSpec {
            format: "hello %d\n".into(),
            args: vec![Field {
                offset: 0,
                ty: Ty::Int {
                    size: 8,
                    signed: true,
                },
            }],
        },
        PrintfSpec {
            format: "bye\n".into(),
            args: vec![],
        },
        PrintfSpec {
            format: "tick\n".into(),
            args: vec![],
        },
    ]
}

/// printf(id) with no arguments.
fn emit_printf(p: &mut Prog, id: i32) {
    p.st_w(-8, 1).st_w(-4, id).ringbuf_output(EVENTS, -8, 8);
}

/// BEGIN: printf("hello %d\n", 42); @a = 7; @c[3] = (per-CPU slot) 5; optionally exit().
fn begin(exit: bool) -> Prog {
    let mut p = Prog::default();
    p.st_w(-24, 1)
        .st_w(-20, 0)
        .st_dw(-16, 42)
        .ringbuf_output(EVENTS, -24, 16);
    for (map, key, value) in [("tr_m_a", 0, 7), ("tr_m_c", 3, 5)] {
        p.st_dw(-40, key).st_dw(-48, value);
        p.ld_map(1, map)
            .fp_addr(2, -40)
            .fp_addr(3, -48)
            .mov_imm(4, 0)
            .call(2);
    }
    if exit {
        p.st_w(-32, 3).st_w(-28, 0).ringbuf_output(EVENTS, -32, 8);
    }
    p.exit();
    p
}

fn end() -> Prog {
    let mut p = Prog::default();
    emit_printf(&mut p, 1);
    p.exit();
    p
}

fn object(
    meta: &Metadata,
    progs: &[(&str, &str, &Prog)],
    defs: &[MapDef],
    name: &str,
) -> std::path::PathBuf {
    let bytes = common::build(progs, defs, Some(meta));
    let dir = std::env::temp_dir().join(format!("tracerun-kernel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Whether a program called `name` is still loaded; the kernel frees programs after an
/// RCU grace period, so give it a moment.
fn still_loaded(name: &str) -> bool {
    for _ in 0..50 {
        let out = Command::new("bpftool").args(["prog", "show"]).output();
        let text = out
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        if !text.split_whitespace().any(|w| w == name) {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    true
}

#[test]
fn begin_exit_end_and_maps() {
    if !common::kernel_available("begin_exit_end_and_maps") {
        return;
    }
    let (defs, maps) = base_maps();
    let mut meta = common::metadata();
    meta.maps = maps;
    meta.printfs = printfs();
    meta.probes = vec![
        probe("trk_bgn_a", "raw_tp/BEGIN", "BEGIN", Attach::Begin),
        probe("trk_end_a", "raw_tp/END", "END", Attach::End),
    ];
    let (b, e) = (begin(true), end());
    let path = object(
        &meta,
        &[
            ("trk_bgn_a", "raw_tp/BEGIN", &b),
            ("trk_end_a", "raw_tp/END", &e),
        ],
        &defs,
        "begin.o",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tracerun"))
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr, "Attached 2 probes\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello 42\nbye\n\n\n@a: 7\n@c[3]: 5\n"
    );
    assert!(!still_loaded("trk_bgn_a"), "program left loaded");

    // -q and -o
    let file = path.with_extension("out");
    let out = Command::new(env!("CARGO_BIN_EXE_tracerun"))
        .args(["-q", "-o", file.to_str().unwrap()])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stderr, b"");
    assert_eq!(out.stdout, b"");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "hello 42\nbye\n\n\n@a: 7\n@c[3]: 5\n"
    );
}

#[test]
fn interval_until_sigterm() {
    if !common::kernel_available("interval_until_sigterm") {
        return;
    }
    let (defs, maps) = base_maps();
    let mut meta = common::metadata();
    meta.maps = maps;
    meta.printfs = printfs();
    meta.probes = vec![
        probe("trk_bgn_b", "raw_tp/BEGIN", "BEGIN", Attach::Begin),
        probe(
            "trk_tick",
            "perf_event",
            "interval:ms:10",
            Attach::Interval {
                period_ns: 10_000_000,
            },
        ),
        probe("trk_end_b", "raw_tp/END", "END", Attach::End),
    ];
    let (b, e) = (begin(false), end());
    let mut t = Prog::default();
    emit_printf(&mut t, 2);
    t.exit();
    let path = object(
        &meta,
        &[
            ("trk_bgn_b", "raw_tp/BEGIN", &b),
            ("trk_tick", "perf_event", &t),
            ("trk_end_b", "raw_tp/END", &e),
        ],
        &defs,
        "interval.o",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracerun"))
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "hello 42");
    // Lines arrive through the pipe while tracerun is still running.
    assert_eq!(lines.next().unwrap().unwrap(), "tick");
    assert_eq!(lines.next().unwrap().unwrap(), "tick");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    assert_eq!(stderr, "Attached 3 probes\n");
    let tail: Vec<&str> = rest
        .iter()
        .map(String::as_str)
        .skip_while(|l| *l == "tick")
        .collect();
    assert_eq!(tail, ["bye", "", "", "@a: 7", "@c[3]: 5"]);
    assert!(!still_loaded("trk_tick"), "program left loaded");
}

#[test]
fn kprobe_attach_failure_is_reported() {
    if !common::kernel_available("kprobe_attach_failure_is_reported") {
        return;
    }
    let (defs, maps) = base_maps();
    let mut meta = common::metadata();
    meta.maps = maps;
    meta.printfs = printfs();
    meta.probes = vec![probe(
        "trk_kp",
        "kprobe/tracerun_no_such_function",
        "kprobe:tracerun_no_such_function",
        Attach::Kprobe {
            function: "tracerun_no_such_function".into(),
            offset: 0,
            ret: false,
        },
    )];
    let mut k = Prog::default();
    k.exit();
    let path = object(
        &meta,
        &[("trk_kp", "kprobe/tracerun_no_such_function", &k)],
        &defs,
        "kprobe.o",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tracerun"))
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("tracerun: error: cannot attach kprobe:tracerun_no_such_function: "),
        "{stderr}"
    );
    // The reason, then bpftrace's `ERROR:` line and hint about `missing_probes`.
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.lines().nth(1).is_some_and(|l| l.starts_with(
            "ERROR: Unable to attach probe: kprobe:tracerun_no_such_function. If this is expected"
        )),
        "{stderr}"
    );
}
