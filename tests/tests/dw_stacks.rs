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
    // The map key is a three-frame stack (each snapshot is its own key: later hits
    // before the exit add more entries).
    let key = text.find("@[\n").expect(&text);
    assert_eq!(
        frames(&text[key..]).iter().take(3).collect::<Vec<_>>(),
        ["funcD", "funcC", "funcB"],
        "{text}"
    );
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
