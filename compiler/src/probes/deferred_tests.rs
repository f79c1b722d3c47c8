use super::*;
use crate::probes::{expand as expand_env, Env};

fn env() -> Env {
    Env {
        tracefs: "/nonexistent-tracefs".into(),
        btf: None,
        pid: None,
    }
}

fn deferred(src: &str) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let p = crate::front::parse(&format!("{src} {{ }}")).expect("parses");
    let ap = &p.probes[0].attach_points[0];
    assert!(has_params(ap), "{src}");
    let env = env();
    expand_deferred(ap, &mut |a| expand_env(a, &env))
}

fn one(src: &str) -> ExpandedProbe {
    let mut list = deferred(src).unwrap_or_else(|d| panic!("{src}: {}", d.message));
    assert_eq!(list.len(), 1);
    list.remove(0)
}

#[test]
fn timers_and_counters_are_named_by_their_template() {
    let p = one("i:ms:$1");
    assert_eq!(p.name, "interval:ms:$1");
    // Zero until the runtime sets it (an older runtime fails rather than guess).
    assert_eq!(p.attach, Attach::Interval { period_ns: 0 });
    assert_eq!(p.section, "perf_event");
    assert_eq!(one("interval:$1").name, "interval:$1");
    assert_eq!(one("interval:$1:$2").name, "interval:$1:$2");
    assert!(matches!(one("p:hz:$1").attach, Attach::Profile { .. }));
    let s = one("software:page-faults:$1");
    assert_eq!(s.name, "software:page-faults:$1");
    assert!(matches!(
        s.attach,
        Attach::PerfCounter {
            config: 2,
            period: 0,
            ..
        }
    ));
    assert_eq!(one("w:$1:$2:w").name, "watchpoint:$1:$2:w");
    assert_eq!(one("i:s:$#").name, "interval:s:$#");
}

#[test]
fn probes_by_name_keep_their_parameters_for_the_runtime() {
    let u = one("uretprobe:$1:$2");
    assert_eq!(u.name, "uretprobe:$1:$2");
    assert_eq!(
        u.attach,
        Attach::Uprobe {
            path: "$1".into(),
            symbol: "$2".into(),
            offset: 0,
            ret: true
        }
    );
    assert_eq!(
        u.context,
        Context::Regs {
            ret: true,
            function: "$2".into()
        }
    );
    let u = one("U:$1:tracetest:$2");
    assert_eq!(u.name, "usdt:$1:tracetest:$2");
    assert_eq!(u.context, Context::Usdt { nargs: None });
    let k = one("k:$1");
    assert_eq!(k.name, "kprobe:$1");
    assert!(
        matches!(k.attach, Attach::Kprobe { ref function, ret: false, .. } if function == "$1")
    );
}

#[test]
fn what_decides_the_program_is_refused_with_the_reason() {
    for (src, why) in [
        ("BEG$1", "probe type"),
        ("tracepoint:syscalls:$1", "program and context"),
        ("software:$1:10", "event of a software probe"),
        ("uprobe:$1:ma*", "wildcards"),
        ("kprobe:vfs_$1*", "wildcards"),
        ("uprobe:$1:cpp:f", "only uprobe:PATH:FUNCTION"),
    ] {
        let e = deferred(src).expect_err(src);
        assert!(e.message.contains(why), "{src}: {}", e.message);
        assert!(
            e.message.contains("positional parameter '$1'"),
            "{}",
            e.message
        );
    }
    // The rest of the attach point is still checked.
    let e = deferred("interval:xs:$1").unwrap_err();
    assert!(
        e.message.contains("invalid interval unit 'xs'"),
        "{}",
        e.message
    );
}
