//! `dw_ustack` end to end: a program built without frame pointers, whose chain of calls
//! only `.eh_frame` unwinding recovers (`ustack` stops after the first frames).

use std::path::PathBuf;
use std::process::Command;
use tracec_tests::*;

/// Build `tests/testprogs/uprobe_nofp.c` as the conformance runner does.
fn nofp_program(dir: &std::path::Path) -> PathBuf {
    let src = workspace().join("tests/testprogs/uprobe_nofp.c");
    let flags = [
        "-g",
        "-O1",
        "-fomit-frame-pointer",
        "-fno-optimize-sibling-calls",
        "-no-pie",
    ];
    build_c_file(&src, &dir.join("uprobe_nofp"), &flags).expect("a C compiler")
}

/// The function names of the indented `name+offset` lines of `text`.
fn frames(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("    "))
        .map(str::trim_start)
        .filter_map(|l| l.rsplit_once('+').map(|(n, _)| n.to_string()))
        .collect()
}

#[test]
fn dw_ustack_unwinds_without_frame_pointers() {
    let Some(_k) = kernel_or_skip("dw_ustack") else {
        return;
    };
    let dir = scratch("dw_ustack");
    let prog = nofp_program(&dir);
    let script = format!(
        "uprobe:{}:funcD {{ printf(\"%s\\n\", dw_ustack()); print(dw_ustack(raw, 2)); @[dw_ustack(3)] = count(); exit(); }}",
        prog.display()
    );
    let obj = compile_text(&dir, "dw_ustack", &script);
    let cmd = prog.display().to_string();
    let run = run_object_to_exit(&obj, &["-c", &cmd]);
    let text = run.stdout_text();
    let names = frames(&text);
    let chain = ["funcD", "funcC", "funcB", "funcA", "main"];
    assert!(
        names.windows(5).any(|w| w == chain),
        "no funcD..main chain in:\n{text}"
    );
    // print(dw_ustack(raw, 2)): two hex addresses, unindented.
    let raw: Vec<&str> = text
        .lines()
        .filter(|l| l.len() >= 6 && l.chars().all(|c| c.is_ascii_hexdigit()))
        .collect();
    assert_eq!(raw.len(), 2, "{text}");
    // The map key is a three-frame stack.
    let key = text.find("@[\n").expect(&text);
    assert_eq!(
        frames(&text[key..]).iter().take(3).collect::<Vec<_>>(),
        ["funcD", "funcC", "funcB"],
        "{text}"
    );
}

/// The counts printed after each `]: ` of map `name` in bpftrace's text output.
fn map_values<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let Some(start) = text.find(&format!("{name}[")) else {
        return Vec::new();
    };
    let rest = &text[start..];
    let end = rest[1..].find("\n@").map_or(rest.len(), |i| i + 1);
    rest[..end]
        .lines()
        .filter_map(|l| l.strip_prefix("]: "))
        .collect()
}

#[test]
fn dw_ustack_keys_aggregate_by_stack() {
    let Some(_k) = kernel_or_skip("dw_ustack_agg") else {
        return;
    };
    let dir = scratch("dw_ustack_agg");
    let prog = nofp_program(&dir);
    // Twenty samples of one stack: one entry per map, whatever the aggregation.
    let script = format!(
        "uprobe:{}:funcD /@i < 20/ {{ @c[dw_ustack] = count(); @s[comm, dw_ustack(3)] = sum(2); \
         @h[dw_ustack(2)] = lhist(arg0 & 3, 0, 4, 1); @m[dw_ustack(2)] = max(arg0); \
         @l[dw_ustack(3)] = arg0; @i++; if (@i == 20) {{ exit(); }} }}",
        prog.display()
    );
    let obj = compile_text(&dir, "dw_ustack_agg", &script);
    let cmd = prog.display().to_string();
    let run = run_object_to_exit(&obj, &["-c", &cmd]);
    let text = run.stdout_text();
    assert_eq!(map_values(&text, "@c"), ["20"], "{text}");
    assert_eq!(map_values(&text, "@s"), ["40"], "{text}");
    // funcD's argument is 2 * (i + 3) + 1 for the i-th call: the last is 45.
    assert_eq!(map_values(&text, "@m"), ["45"], "{text}");
    assert_eq!(map_values(&text, "@l"), ["45"], "{text}");
    assert_eq!(text.matches("@h[").count(), 1, "{text}");
    assert!(text.contains("[1]                   10 |"), "{text}");
    assert!(text.contains("[3]                   10 |"), "{text}");
    // The merged key is still the unwound stack.
    let key = text.find("@c[\n").expect(&text);
    assert_eq!(
        frames(&text[key..]).iter().take(5).collect::<Vec<_>>(),
        ["funcD", "funcC", "funcB", "funcA", "main"],
        "{text}"
    );
}

#[test]
fn dw_ustack_keys_of_additive_maps_print_the_total() {
    let Some(_k) = kernel_or_skip("dw_ustack_add") else {
        return;
    };
    let dir = scratch("dw_ustack_add");
    let prog = nofp_program(&dir);
    // Twenty samples of one stack: adds total up, an assigned map keeps the last.
    let script = format!(
        "uprobe:{}:funcD /@i < 20/ {{ @a[dw_ustack]++; @b[dw_ustack(3), comm] += 3; \
         @d[dw_ustack(2)] -= 1; @l[dw_ustack(3)] = arg0; @i++; \
         if (@i == 20) {{ print(@a); exit(); }} }}",
        prog.display()
    );
    let obj = compile_text(&dir, "dw_ustack_add", &script);
    let cmd = prog.display().to_string();
    let run = run_object_to_exit(&obj, &["-c", &cmd]);
    let text = run.stdout_text();
    // print(@a), then @a again at exit, each one entry. The program keeps calling
    // funcD until it is detached: those samples (after exit()) count too.
    assert_eq!(text.matches("@a[").count(), 2, "{text}");
    let total: i64 = text
        .lines()
        .find_map(|l| l.strip_prefix("@i: "))
        .and_then(|n| n.parse().ok())
        .expect(&text);
    assert!(total >= 20, "{text}");
    let values = |name: &str| -> Vec<String> {
        let Some(start) = text.rfind(&format!("\n{name}[")) else {
            return Vec::new();
        };
        let rest = &text[start + 1..];
        let end = rest[1..].find("\n@").map_or(rest.len(), |i| i + 1);
        rest[..end]
            .lines()
            .filter_map(|l| l.rsplit_once("]: ").map(|(_, v)| v.to_string()))
            .collect()
    };
    assert_eq!(map_values(&text, "@a"), ["20"], "{text}");
    assert_eq!(values("@a"), [total.to_string()], "{text}");
    assert_eq!(values("@b"), [(3 * total).to_string()], "{text}");
    assert_eq!(values("@d"), [(-total).to_string()], "{text}");
    // funcD's argument is 2 * (i + 3) + 1 for the i-th call.
    assert_eq!(values("@l"), [(2 * (total + 2) + 1).to_string()], "{text}");
    let key = text.find("@a[\n").expect(&text);
    assert_eq!(
        frames(&text[key..]).iter().take(3).collect::<Vec<_>>(),
        ["funcD", "funcC", "funcB"],
        "{text}"
    );
    // The same totals in JSON.
    let run = run_object_to_exit(&obj, &["-c", &cmd, "-f", "json"]);
    let text = run.stdout_text();
    let a: Vec<&str> = text.lines().filter(|l| l.contains("\"@a\": {")).collect();
    assert_eq!(a.len(), 2, "{text}");
    assert!(a[0].ends_with("\": 20}}}"), "{text}");
    let i = text.lines().find(|l| l.contains("\"@i\": ")).expect(&text);
    let total: i64 = i
        .rsplit_once(": ")
        .and_then(|(_, n)| n.trim_end_matches("}}").parse().ok())
        .expect(i);
    assert!(a[1].ends_with(&format!("\": {total}}}}}}}")), "{text}");
    let d = text.lines().find(|l| l.contains("\"@d\": {")).expect(&text);
    assert!(d.ends_with(&format!("\": -{total}}}}}}}")), "{d}");
}

#[test]
fn dw_ustack_keys_aggregate_in_json() {
    let Some(_k) = kernel_or_skip("dw_ustack_agg_json") else {
        return;
    };
    let dir = scratch("dw_ustack_agg_json");
    let prog = nofp_program(&dir);
    let script = format!(
        "uprobe:{}:funcD /@i < 10/ {{ @[dw_ustack(1)] = count(); @i++; if (@i == 10) {{ print(@); exit(); }} }}",
        prog.display()
    );
    let obj = compile_text(&dir, "dw_ustack_agg_json", &script);
    let cmd = prog.display().to_string();
    let run = run_object_to_exit(&obj, &["-c", &cmd, "-f", "json"]);
    let text = run.stdout_text();
    let maps: Vec<&str> = text.lines().filter(|l| l.contains("\"@\": {")).collect();
    assert_eq!(maps.len(), 2, "{text}");
    for m in maps {
        assert!(m.contains("\\nfuncD+0@"), "{m}");
        assert!(m.ends_with("\": 10}}}"), "{m}");
    }
}

#[test]
fn dw_ustack_needs_a_target_process() {
    let Some(_k) = kernel_or_skip("dw_ustack_target") else {
        return;
    };
    let dir = scratch("dw_ustack_target");
    let obj = compile_text(
        &dir,
        "dw_ustack_target",
        "uprobe:/bin/sh:main { printf(\"%s\\n\", dw_ustack); }",
    );
    let o = Command::new(bin("tracerun"))
        .arg(&obj)
        .output()
        .expect("run tracerun");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("ERROR: dw_ustack requires a target process"),
        "{err}"
    );
}

#[test]
fn dw_ustack_needs_user_registers() {
    let err = compile_error("dw_ustack_begin", "BEGIN { print(dw_ustack); }");
    assert!(
        err.contains("dw_ustack can only be used in probes with user registers"),
        "{err}"
    );
    let err = compile_error(
        "dw_ustack_build_id",
        "uprobe:/bin/sh:main { print(dw_ustack(build_id)); }",
    );
    assert!(err.contains("'build_id' stack mode"), "{err}");
    let err = compile_error(
        "dw_ustack_len",
        "uprobe:/bin/sh:main { print(len(dw_ustack)); }",
    );
    assert!(err.contains("len() of a dw_ustack"), "{err}");
}

#[test]
fn a_full_dw_ustack_map_warns_instead_of_dropping_samples_silently() {
    let Some(_k) = kernel_or_skip("dw_ustack_full") else {
        return;
    };
    let dir = scratch("dw_ustack_full");
    let prog = nofp_program(&dir);
    // Each sample is a kernel entry: five fit, the sixth and seventh warn.
    let script = format!(
        "config = {{ max_map_keys = 5 }}\nuprobe:{}:funcD /@i < 7/ {{ @[dw_ustack(1)] = count(); @i++; if (@i == 7) {{ exit(); }} }}",
        prog.display()
    );
    let obj = compile_text(&dir, "dw_ustack_full", &script);
    let cmd = prog.display().to_string();
    let run = run_object_to_exit(&obj, &["-c", &cmd]);
    let warnings = run
        .err_lines
        .iter()
        .filter(|l| l.contains(":2:") && l.contains("WARNING: Map full; can't update element."))
        .count();
    assert_eq!(warnings, 2, "{:?}", run.err_lines);
    let text = run.stdout_text();
    assert_eq!(map_values(&text, "@"), ["5"], "{text}");
}
