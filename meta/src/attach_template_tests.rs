use super::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn finds_and_substitutes_parameters() {
    let uses = params_in("interval:$2:$1x$#$0$");
    let idx: Vec<u32> = uses.iter().map(|u| u.index).collect();
    assert_eq!(idx, [2, 1, 0]);
    assert_eq!(substitute("i:ms:$1", &s(&["20"])), "i:ms:20");
    assert_eq!(substitute("i:ms:$2", &s(&["20"])), "i:ms:");
    assert_eq!(substitute("i:s:$#", &s(&["a", "b"])), "i:s:2");
    assert_eq!(
        substitute("u:$1:$2", &s(&["/bin/sh", "main"])),
        "u:/bin/sh:main"
    );
}

#[test]
fn counts_and_rates() {
    assert_eq!(parse_count("1_000"), Ok(1000));
    assert_eq!(parse_count("0x10"), Ok(16));
    assert_eq!(parse_count("2e3"), Ok(2000));
    assert_eq!(parse_count(""), Err(CountError::Invalid(String::new())));
    assert!(matches!(
        parse_count("99999999999999999999"),
        Err(CountError::Overflow(_))
    ));
    assert_eq!(parse_rate(&["ms", "20"]), Ok(Rate::Period(20_000_000)));
    assert_eq!(parse_rate(&["hz", "99"]), Ok(Rate::Hz(99)));
    assert_eq!(parse_rate(&["1s"]), Ok(Rate::Period(NS_PER_SEC)));
    assert_eq!(parse_rate(&["500"]), Ok(Rate::Period(500)));
    assert_eq!(parse_rate(&["ms", "0"]), Err(RateError::Zero));
    assert_eq!(parse_rate(&["xs", "1"]), Err(RateError::Unit("xs".into())));
    assert_eq!(parse_rate(&["ms"]), Err(RateError::NoCount("ms".into())));
    assert_eq!(parse_rate::<&str>(&[]), Err(RateError::Missing));
}

#[test]
fn resolves_interval_and_profile_with_bpftrace_messages() {
    let iv = Attach::Interval { period_ns: 1 };
    assert_eq!(
        resolve(&iv, "interval:ms:20"),
        Ok(Attach::Interval {
            period_ns: 20_000_000
        })
    );
    assert_eq!(
        resolve(&iv, "interval:hz:4"),
        Ok(Attach::Interval {
            period_ns: 250_000_000
        })
    );
    assert_eq!(
        resolve(&iv, "interval:ms:").unwrap_err(),
        "Invalid rate of interval probe: invalid integer: "
    );
    assert_eq!(
        resolve(&iv, "interval:s:abc").unwrap_err(),
        "Invalid rate of interval probe: invalid integer: abc"
    );
    let pr = Attach::Profile {
        hz: 1,
        period_ns: 0,
    };
    assert_eq!(
        resolve(&pr, "profile:hz:99"),
        Ok(Attach::Profile {
            hz: 99,
            period_ns: 0
        })
    );
    assert_eq!(
        resolve(&pr, "profile:us:7"),
        Ok(Attach::Profile {
            hz: 0,
            period_ns: 7000
        })
    );
    assert!(resolve(&pr, "profile:hz:-1")
        .unwrap_err()
        .starts_with("Invalid rate of profile probe"));
}

#[test]
fn resolves_perf_counters_probes_and_watchpoints() {
    let sw = Attach::PerfCounter {
        hardware: false,
        event: "page-faults".into(),
        config: 2,
        period: 1,
    };
    match resolve(&sw, "software:page-faults:50") {
        Ok(Attach::PerfCounter { period, config, .. }) => assert_eq!((period, config), (50, 2)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        resolve(&sw, "software:page-faults:x").unwrap_err(),
        "Invalid count for software probe: invalid integer: x"
    );
    let up = Attach::Uprobe {
        path: "$1".into(),
        symbol: "$2".into(),
        offset: 0,
        ret: false,
    };
    assert_eq!(
        resolve(&up, "uprobe:/bin/sh:main+0x4"),
        Ok(Attach::Uprobe {
            path: "/bin/sh".into(),
            symbol: "main".into(),
            offset: 4,
            ret: false
        })
    );
    assert!(resolve(&up, "uprobe::main").is_err());
    let at = resolve(&up, "uprobe:/bin/sh:0x1130").unwrap();
    assert_eq!(
        at,
        Attach::Uprobe {
            path: "/bin/sh".into(),
            symbol: String::new(),
            offset: 0x1130,
            ret: false
        }
    );
    assert_eq!(func_of(&at), None);
    assert!(resolve(&up, "uprobe:/bin/sh:0xzz").is_err());
    let kp = Attach::Kprobe {
        function: "$1".into(),
        offset: 0,
        ret: true,
    };
    assert_eq!(
        resolve(&kp, "kretprobe:vfs_read"),
        Ok(Attach::Kprobe {
            function: "vfs_read".into(),
            offset: 0,
            ret: true
        })
    );
    assert_eq!(
        resolve(&kp, "kretprobe:f+8").unwrap_err(),
        "Offset not allowed"
    );
    let wp = Attach::Watchpoint {
        address: 1,
        length: 8,
        mode: "w".into(),
        asynchronous: false,
    };
    match resolve(&wp, "watchpoint:0x1000:4:w") {
        Ok(Attach::Watchpoint {
            address, length, ..
        }) => assert_eq!((address, length), (0x1000, 4)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        resolve(&wp, "watchpoint:zz:4:w").unwrap_err(),
        "Invalid function/address argument: invalid integer: zz"
    );
    let usdt = Attach::Usdt {
        path: "$1".into(),
        provider: "p".into(),
        name: "$2".into(),
    };
    assert_eq!(
        resolve(&usdt, "usdt:/bin/x:p:n"),
        Ok(Attach::Usdt {
            path: "/bin/x".into(),
            provider: "p".into(),
            name: "n".into()
        })
    );
    assert!(resolve(&usdt, "usdt:/bin/x:p:").is_err());
    assert!(resolve(&Attach::Begin, "BEGIN").is_err());
}
