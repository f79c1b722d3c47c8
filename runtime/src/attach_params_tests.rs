use super::*;
use serde_json::json;

/// An object's metadata with one probe of attach `attach` named `text`, a template for
/// it, and its attach name with `func`.
fn meta(text: &str, attach: serde_json::Value, func: &str) -> Metadata {
    let v = json!({
        "compiler_version": "t", "source_name": "<-e>", "source_hash": "0",
        "probes": [
            {"program": "p", "section": "perf_event", "name": text, "attach": attach},
            {"program": "b", "section": "raw_tp", "name": "BEGIN", "attach": {"kind": "begin"}}
        ],
        "maps": [], "printfs": [], "joins": [],
        "attach_names": [{"probe": text, "func": func}, {"probe": "BEGIN", "func": ""}],
        "attach_templates": [{
            "text": text,
            "location": "stdin:1:1-8",
            "context": "i:ms:$1 { }\n~~~~~~~"
        }]
    });
    serde_json::from_value(v).unwrap()
}

fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn arguments_complete_names_and_values() {
    let m = meta(
        "interval:ms:$1",
        json!({"kind": "interval", "period_ns": 1_000_000}),
        "",
    );
    let out = applied(&m, &args(&["20"])).unwrap().unwrap();
    assert_eq!(out.probes[0].name, "interval:ms:20");
    assert_eq!(
        out.probes[0].attach,
        Attach::Interval {
            period_ns: 20_000_000
        }
    );
    assert_eq!(out.attach_names[0].probe, "interval:ms:20");
    assert_eq!(out.probes[1].name, "BEGIN");
    assert!(out.attach_templates.is_empty());
    // Without templates nothing changes.
    let mut plain = m.clone();
    plain.attach_templates.clear();
    assert_eq!(applied(&plain, &args(&["20"])).unwrap(), None);
}

#[test]
fn missing_and_invalid_arguments_are_bpftraces_located_errors() {
    let m = meta(
        "interval:ms:$1",
        json!({"kind": "interval", "period_ns": 1}),
        "",
    );
    let e = applied(&m, &[]).unwrap_err();
    assert!(e.is_bpftrace());
    assert_eq!(
        e.to_string(),
        "stdin:1:1-8: ERROR: Invalid rate of interval probe: invalid integer: \ni:ms:$1 { }\n~~~~~~~"
    );
    // Only a location in front of `ERROR:` makes a message bpftrace's.
    assert!(!Error::new("cannot attach x: ERROR: y").is_bpftrace());
    assert!(Error::new("/a b/s.bt:3:1: ERROR: y").is_bpftrace());
    let e = applied(&m, &args(&["abc"])).unwrap_err().to_string();
    assert!(e.contains("invalid integer: abc"), "{e}");
}

#[test]
fn uprobe_binaries_and_functions_come_from_arguments() {
    let m = meta(
        "uprobe:$1:$2",
        json!({"kind": "uprobe", "path": "$1", "symbol": "$2", "offset": 0, "return": false}),
        "$2",
    );
    let out = applied(&m, &args(&["/bin/sh", "main"])).unwrap().unwrap();
    assert_eq!(out.probes[0].name, "uprobe:/bin/sh:main");
    assert_eq!(
        out.probes[0].attach,
        Attach::Uprobe {
            path: "/bin/sh".into(),
            symbol: "main".into(),
            offset: 0,
            ret: false
        }
    );
    assert_eq!(out.attach_names[0].func, "main");
    assert_eq!(out.attach_names[0].probe, "uprobe:/bin/sh:main");
}

#[test]
fn bare_names_are_searched_in_path() {
    let dir = std::env::temp_dir().join(format!("tracerun-ap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("tracerun-ap-prog");
    std::fs::write(&exe, b"x").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let var = format!("/nonexistent:{}", dir.display());
    assert_eq!(search_path("tracerun-ap-prog", &var), Some(exe.clone()));
    assert_eq!(search_path("tracerun-ap-none", &var), None);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(find_binary("/bin/sh"), None);
}

#[test]
fn substituted_names_are_printed_as_bpftrace_prints_them() {
    let m = meta(
        "interval:ms:$1",
        json!({"kind": "interval", "period_ns": 1_000_000}),
        "",
    );
    let out = applied(&m, &args(&["0x10"])).unwrap().unwrap();
    assert_eq!(out.probes[0].name, "interval:ms:16");
    assert_eq!(out.attach_names[0].probe, "interval:ms:16");
    assert_eq!(
        out.probes[0].attach,
        Attach::Interval {
            period_ns: 16_000_000
        }
    );
    let m = meta(
        "interval:$1",
        json!({"kind": "interval", "period_ns": 1_000_000}),
        "",
    );
    let out = applied(&m, &args(&["100ms"])).unwrap().unwrap();
    assert_eq!(out.probes[0].name, "interval:us:100000");
    assert_eq!(out.attach_names[0].probe, "interval:us:100000");
}
