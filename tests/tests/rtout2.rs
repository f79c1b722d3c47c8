//! Run-time features: `debugf` into the kernel's trace buffer, `printf("%gr")`,
//! map-full warnings and string positional parameters.

use tracec_tests::*;

/// The kernel's trace buffer (tracefs, or tracefs under debugfs).
fn trace_buffer() -> Option<String> {
    [
        "/sys/kernel/tracing/trace",
        "/sys/kernel/debug/tracing/trace",
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
}

#[test]
fn debugf_writes_to_the_trace_buffer() {
    let Some(_k) = kernel_or_skip("rtout2_debugf") else {
        return;
    };
    // A marker unique to this run: the buffer is shared and not cleared here.
    let marker = format!("tracec{}", std::process::id());
    let script = format!(
        "BEGIN {{ $s = \"str\"; debugf(\"{marker} %s %d %x\", $s, -3, 255); debugf(\"{marker} %s|%llu\", comm, 7); exit(); }}"
    );
    let dir = scratch("rtout2-debugf");
    let src = dir.join("d.bt");
    std::fs::write(&src, &script).unwrap();
    let obj = dir.join("d.o");
    let o = tracec(&[src.to_str().unwrap(), "-o", obj.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let warn = String::from_utf8_lossy(&o.stderr);
    assert!(
        warn.contains("The debugf() builtin is not recommended for production use."),
        "{warn}"
    );
    let mut run = Run::start(&obj, &["-q"]);
    assert_eq!(run.finish(std::time::Duration::from_secs(20)), Some(0));
    let Some(trace) = trace_buffer() else {
        eprintln!("skipped: no readable trace buffer");
        return;
    };
    assert!(
        trace.contains(&format!("bpf_trace_printk: {marker} str -3 ff")),
        "{trace}"
    );
    assert!(
        trace.contains(&format!("bpf_trace_printk: {marker} tracerun|7")),
        "{trace}"
    );
}

#[test]
fn debugf_takes_what_the_kernel_printk_takes() {
    let dir = scratch("rtout2-debugf-errors");
    let cases = [
        (
            r#"BEGIN { debugf("%d %d %d %d", 1, 2, 3, 4); }"#,
            "debugf: cannot use more than 3 conversion specifiers",
        ),
        (
            r#"BEGIN { debugf("%c", 65); }"#,
            "Invalid format specifier for `debugf`: %c",
        ),
        (
            r#"BEGIN { debugf("%s", 1); }"#,
            "debugf: %s expects a string, but argument 1 is",
        ),
        (
            r#"BEGIN { debugf("%d %d", 1); }"#,
            "debugf: expected 2 arguments for the format, got 1",
        ),
        (
            r#"BEGIN { $x = debugf("a"); }"#,
            "debugf() returns no value",
        ),
    ];
    for (i, (script, want)) in cases.iter().enumerate() {
        let src = dir.join(format!("e{i}.bt"));
        std::fs::write(&src, script).unwrap();
        let o = tracec(&[
            src.to_str().unwrap(),
            "-o",
            dir.join("e.o").to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{script} compiled");
        assert!(err.contains(want), "{script}: {err}");
    }
}

#[test]
fn printf_gr_names_gfp_flags() {
    let Some(_k) = kernel_or_skip("rtout2_gfp") else {
        return;
    };
    let script =
        r#"BEGIN { printf("%gr|%-12gr|%gr\n", 0x1, 0x20 | 0x10000 | 0x100000, 0); exit(); }"#;
    let run = run_to_exit("rtout2-gfp", script, &["-q"]);
    assert_eq!(run.stdout_text(), "GFP_DMA|GFP_ATOMIC  |0\n\n\n");
}

#[test]
fn a_full_declared_map_warns_at_each_failed_update() {
    let Some(_k) = kernel_or_skip("rtout2_map_full") else {
        return;
    };
    let script = "let @a = hash(1); let @l = lruhash(1); let @c = percpuhash(1);\nBEGIN { @a[1] = 1; @a[2] = 2; @c[1] = count(); @c[2] = count(); @l[1] = 1; @l[2] = 2; exit(); }";
    let run = run_to_exit("rtout2-map-full", script, &[]);
    let warnings: Vec<&String> = run
        .err_lines
        .iter()
        .filter(|l| l.contains("WARNING: Map full; can't update element."))
        .collect();
    assert_eq!(warnings.len(), 2, "{:?}", run.err_lines);
    assert!(
        warnings[1].contains(".bt:2:48-63: WARNING"),
        "{:?}",
        run.err_lines
    );
    assert!(
        warnings[0].contains("rtout2-map-full.bt:2:20-29: WARNING: Map full"),
        "{:?}",
        run.err_lines
    );
    let at = run.err_lines.iter().position(|l| l == warnings[0]).unwrap();
    assert_eq!(
        run.err_lines[at + 1],
        "Additional Info - helper: map_update_elem, retcode: -7"
    );
    assert_eq!(
        run.err_lines[at + 3],
        format!("{}~~~~~~~~~", " ".repeat(19))
    );
    assert!(
        run.stdout_text().contains("@a[1]: 1\n"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn printed_positionals_take_their_type_from_the_argument() {
    let Some(_k) = kernel_or_skip("rtout2_text_params") else {
        return;
    };
    let dir = scratch("rtout2-text-params");
    let obj = compile_text(
        &dir,
        "p",
        "BEGIN { print(($1, ($2, 3), $1 + 1)); print($3); exit(); }",
    );
    let mut run = Run::start_with_params(&obj, &["-q"], &["0x10", "abc"]);
    assert_eq!(run.finish(std::time::Duration::from_secs(20)), Some(0));
    assert_eq!(run.stdout_text(), "(16, (abc, 3), 17)\n0\n\n\n");
    // `$1 + 1` still needs a number.
    let mut run = Run::start_with_params(&obj, &["-q"], &["abc"]);
    assert_eq!(run.finish(std::time::Duration::from_secs(20)), Some(1));
    assert!(
        run.err_lines
            .iter()
            .any(|l| l.contains("$1 is used as a number")),
        "{:?}",
        run.err_lines
    );
}
