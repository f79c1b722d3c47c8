//! Unit tests for the providers that need no tracefs.

use super::*;
use crate::front::ast::Span;

fn ap(raw: &str) -> AttachPoint {
    AttachPoint {
        raw: raw.to_string(),
        parts: raw.split(':').map(str::to_string).collect(),
        span: Span::new(3, 3 + raw.len()),
    }
}

fn env() -> Env {
    Env {
        tracefs: PathBuf::from("/nonexistent/tracefs"),
        btf: None,
        pid: None,
    }
}

fn one(raw: &str) -> ExpandedProbe {
    let mut v = expand(&ap(raw), &env()).unwrap_or_else(|d| panic!("{raw}: {d:?}"));
    assert_eq!(v.len(), 1, "{raw}");
    v.remove(0)
}

fn error(raw: &str) -> Diagnostic {
    match expand(&ap(raw), &env()) {
        Ok(v) => panic!("{raw} expanded to {v:?}"),
        Err(d) => {
            assert!(d.is_error());
            assert_eq!(d.span, Span::new(3, 3 + raw.len()), "{raw}");
            d
        }
    }
}

#[test]
fn begin_and_end() {
    for (raw, attach) in [
        ("BEGIN", Attach::Begin),
        ("begin", Attach::Begin),
        ("END", Attach::End),
        ("end", Attach::End),
        ("Begin", Attach::Begin),
        ("eNd", Attach::End),
    ] {
        let p = one(raw);
        assert_eq!(p.name, raw.to_lowercase());
        assert_eq!(p.section, "raw_tp");
        assert_eq!(p.symbol_stem, raw.to_uppercase());
        assert_eq!(p.attach, attach);
        assert_eq!(p.context, Context::None);
    }
    assert!(error("BEGIN:x").message.contains("takes no arguments"));
    assert!(error("Beginning")
        .message
        .contains("unknown probe type 'Beginning'"));
}

fn interval_ns(raw: &str) -> u64 {
    match one(raw).attach {
        Attach::Interval { period_ns } => period_ns,
        other => panic!("{raw}: {other:?}"),
    }
}

#[test]
fn interval_spellings() {
    assert_eq!(interval_ns("interval:s:1"), 1_000_000_000);
    assert_eq!(interval_ns("i:s:1"), 1_000_000_000);
    assert_eq!(interval_ns("interval:ms:100"), 100_000_000);
    assert_eq!(interval_ns("interval:us:100000"), 100_000_000);
    assert_eq!(interval_ns("interval:hz:4"), 250_000_000);
    assert_eq!(interval_ns("interval:hz:3"), 333_333_333);
    assert_eq!(interval_ns("interval:1s"), 1_000_000_000);
    assert_eq!(interval_ns("interval:1000000000"), 1_000_000_000);
    assert_eq!(interval_ns("i:500ms"), 500_000_000);
    assert_eq!(interval_ns("i:5us"), 5_000);
    assert_eq!(interval_ns("i:7ns"), 7);
    assert_eq!(interval_ns("i:2m"), 120_000_000_000);
    assert_eq!(interval_ns("i:1h"), 3_600_000_000_000);
    assert_eq!(interval_ns("i:1d"), 86_400_000_000_000);
    assert_eq!(interval_ns("i:ms:1_000"), 1_000_000_000);
    assert_eq!(interval_ns("i:us:1e3"), 1_000_000);
    assert_eq!(interval_ns("i:ms:0x10"), 16_000_000);

    let p = one("i:ms:1");
    assert_eq!(p.name, "interval:ms:1");
    assert_eq!(p.section, "perf_event");
    assert_eq!(p.symbol_stem, "interval_ms_1");
    assert_eq!(p.context, Context::None);
    assert_eq!(one("interval:s:1").symbol_stem, "interval_s_1");
    assert_eq!(one("interval:1s").name, "interval:us:1000000");
    assert_eq!(one("interval:1s").symbol_stem, "interval_1s");
}

#[test]
fn interval_errors() {
    assert!(error("interval:s:0").message.contains("non-zero"));
    assert!(error("interval:0").message.contains("non-zero"));
    assert!(error("interval").message.contains("needs a rate"));
    assert!(error("interval:s").message.contains("missing count"));
    assert!(error("interval:s:").message.contains("missing count"));
    assert!(error("interval:min:1")
        .message
        .contains("invalid interval unit 'min'"));
    assert!(error("interval:ns:1")
        .message
        .contains("invalid interval unit"));
    assert!(error("interval:s:abc").message.contains("not a number"));
    assert!(error("interval:s:-1").message.contains("not a number"));
    assert!(error("interval:1fortnight")
        .message
        .contains("invalid interval duration"));
    assert!(error("interval:s:1:2")
        .message
        .contains("too many arguments"));
    assert!(error("interval:s:99999999999999999999")
        .message
        .contains("too large"));
    assert!(error("interval:s:18446744074")
        .message
        .contains("overflows"));
    assert!(error("interval:d:1").notes[0].contains("hz, ms, s, us"));
    assert!(error("interval:hz:2000000000").message.contains("too high"));
    assert!(error("interval:s:1e30").message.contains("too large"));
}

#[test]
fn profile_spellings() {
    let p = one("profile:hz:99");
    assert_eq!(p.name, "profile:hz:99");
    assert_eq!(p.section, "perf_event");
    assert_eq!(p.symbol_stem, "profile_hz_99");
    assert_eq!(
        p.attach,
        Attach::Profile {
            hz: 99,
            period_ns: 0
        }
    );
    assert_eq!(one("p:hz:599").name, "profile:hz:599");
    let period = |raw: &str| one(raw).attach;
    assert_eq!(
        period("profile:ms:1000"),
        Attach::Profile {
            hz: 0,
            period_ns: 1_000_000_000
        }
    );
    assert_eq!(
        period("profile:s:2"),
        Attach::Profile {
            hz: 0,
            period_ns: 2_000_000_000
        }
    );
    assert_eq!(
        period("profile:us:10"),
        Attach::Profile {
            hz: 0,
            period_ns: 10_000
        }
    );
    assert_eq!(
        period("profile:10ms"),
        Attach::Profile {
            hz: 0,
            period_ns: 10_000_000
        }
    );
    assert_eq!(
        period("profile:1000"),
        Attach::Profile {
            hz: 0,
            period_ns: 1000
        }
    );
    assert!(error("profile:hz:0")
        .message
        .contains("profile rate must be non-zero"));
    assert!(error("profile:kHz:1")
        .message
        .contains("invalid profile unit"));
}

#[test]
fn perf_counter_and_signal_specs() {
    let p = one("s:faults");
    assert_eq!(p.name, "software:faults");
    assert_eq!(p.section, "perf_event");
    assert_eq!(
        p.attach,
        Attach::PerfCounter {
            hardware: false,
            event: "faults".into(),
            config: 2,
            period: 100
        }
    );
    let p = one("hardware:cycles:1e6");
    assert_eq!(
        p.attach,
        Attach::PerfCounter {
            hardware: true,
            event: "cycles".into(),
            config: 0,
            period: 1_000_000
        }
    );
    let p = one("self:signal:SIGUSR1");
    assert_eq!(p.section, "raw_tp");
    assert_eq!(
        p.attach,
        Attach::Signal {
            signal: "SIGUSR1".into(),
            number: 10
        }
    );
    let p = one("uprobe:/bin/bash:readline");
    assert_eq!(
        p.context,
        Context::Regs {
            ret: false,
            function: "readline".into()
        }
    );
}

#[test]
fn kprobe_specs() {
    let p = one("kprobe:vfs_read");
    assert_eq!(p.name, "kprobe:vfs_read");
    assert_eq!(p.section, "kprobe/vfs_read");
    assert_eq!(p.symbol_stem, "kprobe_vfs_read");
    assert_eq!(
        p.attach,
        Attach::Kprobe {
            function: "vfs_read".into(),
            offset: 0,
            ret: false
        }
    );
    let p = one("k:do_sys_open+0x10");
    assert_eq!(p.name, "kprobe:do_sys_open+16");
    assert_eq!(p.section, "kprobe/do_sys_open+16");
    assert_eq!(p.symbol_stem, "kprobe_do_sys_open_0x10");
    assert_eq!(
        p.attach,
        Attach::Kprobe {
            function: "do_sys_open".into(),
            offset: 16,
            ret: false
        }
    );
    let p = one("kr:vfs_read");
    assert_eq!(p.name, "kretprobe:vfs_read");
    assert_eq!(p.section, "kretprobe/vfs_read");
    assert_eq!(
        p.attach,
        Attach::Kprobe {
            function: "vfs_read".into(),
            offset: 0,
            ret: true
        }
    );
    assert_eq!(one("kprobe:foo.isra.0").section, "kprobe/foo.isra.0");
    assert!(error("kretprobe:vfs_read+4")
        .message
        .contains("does not take an offset"));
    assert!(error("kprobe:tcp_*+4").message.contains("wildcard"));
    // No match (no probe), or (without a readable function list) a reason it cannot
    // expand.
    match expand(&ap("kprobe:no_such_function_anywhere_*"), &env()) {
        Ok(list) => assert!(list.is_empty(), "{list:?}"),
        Err(e) => assert!(
            e.message.starts_with("cannot expand kprobe wildcard"),
            "{e:?}"
        ),
    }
    let m = one("kprobe:kvm:x86_emulate_insn");
    assert_eq!(m.name, "kprobe:kvm:x86_emulate_insn");
    assert_eq!(
        m.attach,
        Attach::Kprobe {
            function: "x86_emulate_insn".into(),
            offset: 0,
            ret: false
        }
    );
    assert!(error("kprobe:").message.contains("needs a kernel function"));
    let a = one("kprobe:0x12345678");
    assert_eq!(a.name, "kprobe:305419896");
    assert_eq!(a.section, "kprobe");
    assert_eq!(
        a.attach,
        Attach::Kprobe {
            function: String::new(),
            offset: 0x1234_5678,
            ret: false
        }
    );
    assert!(crate::probes::is_kprobe_address(&a.attach));
    assert!(!crate::probes::is_kprobe_address(
        &one("kprobe:vfs_read").attach
    ));
    assert_eq!(one("kretprobe:4096").name, "kretprobe:4096");
    assert!(error("kprobe:0x10+4").message.contains("address"));
    assert!(error("kprobe:0xfffffffffffffffff")
        .message
        .contains("invalid address"));
    assert!(error("kprobe:vfs_read+xyz")
        .message
        .contains("invalid offset"));
    assert!(error("kprobe:a-b")
        .message
        .contains("invalid kernel function name"));
}

#[test]
fn uprobe_specs() {
    let p = one("uprobe:/bin/bash:readline");
    assert_eq!(p.name, "uprobe:/bin/bash:readline");
    assert_eq!(p.section, "uprobe//bin/bash:readline");
    assert_eq!(p.symbol_stem, "uprobe__bin_bash_readline");
    assert_eq!(
        p.attach,
        Attach::Uprobe {
            path: "/bin/bash".into(),
            symbol: "readline".into(),
            offset: 0,
            ret: false
        }
    );
    let p = one("u:./testprogs/uprobe_test:uprobeFunction1+8");
    assert_eq!(p.name, "uprobe:./testprogs/uprobe_test:uprobeFunction1+8");
    assert_eq!(
        p.section,
        "uprobe/./testprogs/uprobe_test:uprobeFunction1+0x8"
    );
    assert_eq!(
        p.attach,
        Attach::Uprobe {
            path: "./testprogs/uprobe_test".into(),
            symbol: "uprobeFunction1".into(),
            offset: 8,
            ret: false
        }
    );
    // A quoted name with an offset: the quotes are not part of the symbol.
    let p = one("uprobe:/bin/bash:\"echo_builtin\"+0");
    assert_eq!(
        p.attach,
        Attach::Uprobe {
            path: "/bin/bash".into(),
            symbol: "echo_builtin".into(),
            offset: 0,
            ret: false
        }
    );
    let p = one("uprobe:libc:0x1234");
    assert_eq!(p.section, "uprobe/libc:0x1234");
    assert_eq!(
        p.attach,
        Attach::Uprobe {
            path: "libc".into(),
            symbol: String::new(),
            offset: 0x1234,
            ret: false
        }
    );
    let p = one("ur:/bin/bash:echo_builtin");
    assert_eq!(p.name, "uretprobe:/bin/bash:echo_builtin");
    assert_eq!(p.section, "uretprobe//bin/bash:echo_builtin");
    assert!(matches!(p.attach, Attach::Uprobe { ret: true, .. }));
    assert!(error("uretprobe:/bin/bash:f+4")
        .message
        .contains("does not take an offset"));
    assert!(error("uprobe:/bin/bash")
        .message
        .contains("needs a binary and a function"));
    assert!(error("uprobe:/bin/bash:")
        .message
        .contains("needs a binary and a function"));
    assert!(error("uprobe:/nonexistent/bash:read*")
        .message
        .contains("does not exist"));
    assert!(error("uprobe:/nonexistent/x:cpp:f")
        .message
        .contains("does not exist"));
    assert_eq!(
        error("uprobe:/bin/sh:rust:f").message,
        "unsupported language type: rust"
    );
    assert!(error("uprobe:./t@t.c:22")
        .message
        .contains("could not read ./t"));
    assert!(error("uretprobe:./t@t.c:22")
        .message
        .contains("uretprobe cannot attach to a source location"));
    assert!(error("uprobe:./t@t.c:x")
        .message
        .contains("invalid line number"));
    assert!(error("uprobe:./t*@t.c:1").message.contains("wildcards"));
}

#[test]
fn unknown_and_unsupported_types() {
    let d = error("foo:bar");
    assert_eq!(d.message, "unknown probe type 'foo'");
    assert!(d
        .notes
        .iter()
        .any(|n| n.contains("supported probe types: BEGIN, END, tracepoint (t)")));
    let d = error("tracepiont:syscalls:sys_enter_openat");
    assert!(
        d.notes.iter().any(|n| n == "did you mean 'tracepoint'?"),
        "{d:?}"
    );
    for raw in ["usdt:/bin/x:probe", "U:/bin/x:probe"] {
        assert_eq!(
            error(raw).message,
            "usdt target file '/bin/x' does not exist or is not executable"
        );
    }
    assert_eq!(
        error("usdt:x").message,
        "usdt probe needs a binary and a probe name"
    );
    let w = one("w:0x10000000:4:rw");
    assert_eq!(w.name, "watchpoint:268435456:4:rw");
    assert_eq!(w.section, "perf_event");
    assert_eq!(
        w.attach,
        Attach::Watchpoint {
            address: 0x1000_0000,
            length: 4,
            mode: "rw".into(),
            asynchronous: false,
        }
    );
    let aw = one("asyncwatchpoint:4096:1:x");
    assert!(matches!(
        aw.attach,
        Attach::Watchpoint {
            asynchronous: true,
            ..
        }
    ));
    for (raw, why) in [
        ("w:0x1000:x:w", "length 'x' is not a number"),
        ("w:0x1000:3:w", "length 3 is not 1, 2, 4 or 8"),
        ("w:0x1000:8:wx", "mode 'wx' is not one of r, w, rw, x"),
        ("w:0x1000:8:ww", "mode 'ww' is not one of r, w, rw, x"),
        ("w:0:8:w", "the address must not be 0"),
        ("w:0x1000:8", "it needs an address, a length and a mode"),
    ] {
        assert_eq!(
            error(raw).message,
            format!("invalid watchpoint probe: {why}"),
            "{raw}"
        );
    }
    assert!(error("w:increment+arg1:4:w").message.contains("FUNC+ARG"));
    assert_eq!(
        error("self:signal:SIGHUP").message,
        "signal 'SIGHUP' is not supported"
    );
    assert_eq!(
        error("software:nosuch").message,
        "unknown software event 'nosuch'"
    );
    assert_eq!(error("it:nosuch").message, "unknown iterator 'nosuch'");
    assert_eq!(error("test:").message, "test probe needs a name");
    assert!(error("test:a?").message.contains("wildcards"));
    assert_eq!(error("bench:").message, "bench probe needs a name");
    assert!(error("bench:a*").message.contains("wildcards"));
    assert!(error("").message.contains("unknown probe type ''"));
}

#[test]
fn tracepoint_without_tracefs() {
    let d = error("tracepoint:syscalls:sys_enter_openat");
    assert!(
        d.message
            .contains("tracefs is not mounted at /nonexistent/tracefs"),
        "{d:?}"
    );
    assert!(d
        .notes
        .iter()
        .any(|n| n.contains("mount -t tracefs nodev /nonexistent/tracefs")));
    let d = error("t:syscalls:*");
    assert!(d.message.contains("not mounted"));
    let e = list(Some("tracepoint:*"), &env()).unwrap_err();
    assert!(
        e.contains("not mounted") && e.contains("mount -t tracefs"),
        "{e}"
    );
}

#[test]
fn listing_templates_needs_no_tracefs() {
    assert_eq!(
        list(Some("interval:*"), &env()).unwrap(),
        [
            "interval:hz:",
            "interval:ms:",
            "interval:s:",
            "interval:us:"
        ]
    );
    assert_eq!(
        list(Some("p:*"), &env()).unwrap(),
        ["profile:hz:", "profile:ms:", "profile:s:", "profile:us:"]
    );
    assert_eq!(
        list(Some("i:s:1,p:hz"), &env()).unwrap(),
        ["interval:s:", "profile:hz:"]
    );
}

#[test]
fn sanitizing() {
    assert_eq!(
        sanitize("tracepoint_xhci-hcd_xhci_setup"),
        "tracepoint_xhci_hcd_xhci_setup"
    );
    assert_eq!(sanitize("1abc"), "_1abc");
    assert_eq!(sanitize(""), "_");
}

#[test]
fn tracefs_root_falls_back_to_debugfs_only_for_the_default() {
    let dir = std::env::temp_dir().join(format!("tracec-probes-root-{}", std::process::id()));
    let debug = dir.join("debug/tracing");
    std::fs::create_dir_all(debug.join("events")).unwrap();
    let default = std::path::Path::new(DEFAULT_TRACEFS);
    let custom = dir.join("custom");
    // A custom root is never replaced.
    assert_eq!(tracefs_root(&custom, &debug), custom);
    // The default is replaced only when it has no events and the fallback has.
    let expected = if default.join("events").is_dir() {
        default.to_path_buf()
    } else {
        debug.clone()
    };
    assert_eq!(tracefs_root(default, &debug), expected);
    assert_eq!(tracefs_root(default, &dir.join("nothing")), default);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_probes_run_like_begin() {
    let p = one("test:sums");
    assert_eq!(p.name, "test:sums");
    assert_eq!(p.section, "raw_tp");
    assert_eq!(
        p.attach,
        Attach::Test {
            name: "sums".to_string()
        }
    );
}

#[test]
fn bench_probes_run_like_begin() {
    let p = one("bench:my_loop");
    assert_eq!(p.name, "bench:my_loop");
    assert_eq!(p.section, "raw_tp");
    assert_eq!(
        p.attach,
        Attach::Bench {
            name: "my_loop".to_string()
        }
    );
}
