//! End to end: `probe` prints each attach point as bpftrace prints it (providers in
//! full, numbers in decimal, one-number rates in microseconds, kernel functions with
//! their module), wherever the runtime names it: printf, print, map keys, JSON, and
//! after positional parameters are substituted at run time.

use tracec_tests::*;

/// Compile `script`, run it (with `args` to tracerun) to its exit, and return stdout.
fn stdout_of(name: &str, script: &str, args: &[&str]) -> String {
    run_to_exit(name, script, args).stdout_text()
}

/// Run `obj` quietly with one positional parameter to its exit; its stdout.
fn with_params(obj: &std::path::Path, param: &str) -> String {
    let mut run = Run::start_with_params(obj, &["-q"], &[param]);
    let code = run.finish(std::time::Duration::from_secs(20));
    assert_eq!(code, Some(0), "{}", run.err_lines.join("\n"));
    run.stdout_text()
}

#[test]
fn timers_and_counters_are_named_in_bpftraces_spelling() {
    let Some(_k) = kernel_or_skip("probe_names_timers") else {
        return;
    };
    let cases = [
        ("i:ms:0x10", "interval:ms:16"),
        ("interval:100ms", "interval:us:100000"),
        ("interval:s:1e0", "interval:s:1"),
        ("interval:us:10_000", "interval:us:10000"),
        ("p:hz:0x63", "profile:hz:99"),
        ("profile:10ms", "profile:us:10000"),
        ("s:cpu-clock:1e5", "software:cpu-clock:100000"),
        ("software:cpu:100000", "software:cpu:100000"),
    ];
    for (written, printed) in cases {
        let script = format!("{written} {{ printf(\"%s\\n\", probe); exit(); }}");
        let out = stdout_of("probe_names_timer", &script, &["-q"]);
        assert_eq!(out.lines().next(), Some(printed), "{written}:\n{out}");
    }
}

#[test]
fn begin_and_end_are_lower_case_in_keys_and_json() {
    let Some(_k) = kernel_or_skip("probe_names_begin") else {
        return;
    };
    let script = "BEGIN { @[probe] = 1; print(probe); exit(); } END { @[probe] = 2; }";
    let out = stdout_of("probe_names_begin", script, &["-q"]);
    assert_eq!(out, "begin\n\n\n@[begin]: 1\n@[end]: 2\n", "{out}");
    let json = stdout_of("probe_names_begin_json", script, &["-q", "-f", "json"]);
    assert!(
        json.contains(r#"{"type": "map", "data": {"@": {"begin": 1, "end": 2}}}"#),
        "{json}"
    );
}

#[test]
fn kernel_functions_are_named_with_their_module() {
    let Some(_k) = kernel_or_skip("probe_names_kernel") else {
        return;
    };
    if !has_kernel_btf() {
        return;
    }
    let out = stdout_of(
        "probe_names_rt",
        "rt:sys_enter { print(probe); exit(); }",
        &["-q"],
    );
    assert_eq!(out.lines().next(), Some("rawtracepoint:vmlinux:sys_enter"));
    let out = stdout_of(
        "probe_names_iter",
        "it:task { if (ctx.task != 0) { print(probe); exit(); } }",
        &["-q"],
    );
    assert_eq!(out.lines().next(), Some("iter:task"), "{out}");
}

#[test]
fn positional_parameters_are_normalised_after_substitution() {
    let Some(_k) = kernel_or_skip("probe_names_params") else {
        return;
    };
    let dir = scratch("probe_names_params");
    let obj = compile_text(
        &dir,
        "p",
        "interval:ms:$1 { printf(\"a %s\\n\", probe); exit(); }",
    );
    assert_eq!(
        with_params(&obj, "0x10").lines().next(),
        Some("a interval:ms:16")
    );
    let obj = compile_text(
        &dir,
        "q",
        "interval:$1 { printf(\"b %s\\n\", probe); exit(); }",
    );
    assert_eq!(
        with_params(&obj, "20ms").lines().next(),
        Some("b interval:us:20000")
    );
}

/// The attach names tracec writes for `script`.
fn names_of(name: &str, script: &str) -> Vec<String> {
    let dir = scratch(name);
    let obj = compile_text(&dir, name, script);
    let bytes = std::fs::read(&obj).expect("read the object");
    object_metadata(&bytes)
        .attach_names
        .into_iter()
        .map(|n| n.probe)
        .collect()
}

#[test]
fn compiled_names_follow_bpftraces_rules() {
    let names = names_of(
        "probe_names_compiled",
        "BEGIN { print(probe); } k:vfs_read+0x10 { print(probe); } \
         kr:vfs_read { print(probe); } w:0x10:8:w { print(probe); } \
         END { print(probe); }",
    );
    assert_eq!(
        names,
        [
            "begin",
            "kprobe:vfs_read+16",
            "kretprobe:vfs_read",
            "watchpoint:16:8:w",
            "end"
        ]
    );
}

#[test]
fn kprobe_wildcards_keep_the_module_only_when_written() {
    if !std::path::Path::new("/sys/kernel/tracing/available_filter_functions").exists() {
        return;
    }
    let plain = names_of("probe_names_kwild", "kprobe:vfs_rea* { print(probe); }");
    assert!(plain.contains(&"kprobe:vfs_read".to_string()), "{plain:?}");
    let with = names_of(
        "probe_names_kwild_mod",
        "kprobe:vmlinux:vfs_rea* { print(probe); }",
    );
    assert!(
        with.contains(&"kprobe:vmlinux:vfs_read".to_string()),
        "{with:?}"
    );
    assert!(
        with.iter().all(|n| n.starts_with("kprobe:vmlinux:")),
        "{with:?}"
    );
}

#[test]
fn bare_uprobe_binaries_are_named_with_their_file() {
    if !std::path::Path::new("/etc/ld.so.cache").exists() {
        return;
    }
    let names = names_of("probe_names_libc", "u:libc:malloc { print(probe); }");
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("uprobe:/") && names[0].ends_with("/libc.so.6:malloc"),
        "{names:?}"
    );
}

#[test]
fn source_line_uprobes_are_named_by_their_address() {
    let dir = scratch("probe_names_srcline");
    let src = "int f(int x)\n{\n  return x * 3;\n}\nint main(void) { return f(1); }\n";
    let Some(bin) = build_c(&dir, "srcline", src, &["-g", "-O0"]) else {
        return;
    };
    let script = format!("uprobe:{}@srcline.c:3 {{ print(probe); }}", bin.display());
    let obj = compile_text(&dir, "s", &script);
    let meta = object_metadata(&std::fs::read(&obj).expect("read the object"));
    let tracec_meta::Attach::Uprobe { offset, .. } = meta.probes[0].attach else {
        panic!("{:?}", meta.probes[0].attach);
    };
    assert_eq!(
        meta.attach_names[0].probe,
        format!("uprobe:{}:{offset}", bin.display())
    );
}
