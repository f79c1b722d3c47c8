//! More stdlib functions: `is_err`, `assert_str`, `container_of`, `cgroupid`,
//! `kfunc_exist`, `kfunc_allowed`.

use tracec_tests::*;

/// The non-empty lines a run printed.
fn lines(run: &Run) -> Vec<&str> {
    run.out_lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn is_err_is_the_kernel_error_pointer_range() {
    let Some(_k) = kernel_or_skip("stdlib2_is_err") else {
        return;
    };
    let run = run_to_exit(
        "stdlib2_is_err",
        r#"BEGIN { $a = (int64)-2; printf("%d %d %d %d %d\n", is_err($a), is_err(5),
            is_err((uint64)-4095), is_err((uint64)-4096), is_err((uint64)-1)); exit(); }"#,
        &[],
    );
    assert_eq!(lines(&run), ["1 0 1 0 1"], "{:?}", run.err_lines);
}

#[test]
fn assert_str_accepts_strings_and_refuses_the_rest() {
    let Some(_k) = kernel_or_skip("stdlib2_assert_str") else {
        return;
    };
    let run = run_to_exit(
        "stdlib2_assert_str",
        r#"BEGIN { assert_str("hi"); assert_str(comm); print(1); exit(); }"#,
        &[],
    );
    assert_eq!(lines(&run), ["1"], "{:?}", run.err_lines);
    let err = compile_error("stdlib2_assert_int", "BEGIN { assert_str(1); }");
    assert!(
        err.contains("string-like values must be either strings, arrays or pointers"),
        "{err}"
    );
}

#[test]
fn container_of_steps_back_to_the_kernel_struct() {
    if !has_kernel_btf() {
        eprintln!("skipping: no kernel BTF");
        return;
    }
    let Some(_k) = kernel_or_skip("stdlib2_container_of") else {
        return;
    };
    let run = run_to_exit(
        "stdlib2_container_of",
        r#"BEGIN {
            $se = (uint64)curtask + offsetof(struct task_struct, se);
            $t = container_of($se, struct task_struct, se);
            printf("%d %d\n", $t == curtask, $t->pid == pid);
            $r = (uint64)curtask + offsetof(struct task_struct, se.run_node);
            $u = container_of($r, typeof(struct task_struct), se.run_node);
            printf("%d %s\n", (uint64)$u == (uint64)curtask, $u->comm);
            exit();
        }"#,
        &[],
    );
    assert_eq!(lines(&run), ["1 1", "1 tracerun"], "{:?}", run.err_lines);
}

#[test]
fn container_of_checks_its_arguments() {
    if !has_kernel_btf() {
        return;
    }
    let err = compile_error(
        "stdlib2_container_of_field",
        "BEGIN { $p = container_of(0, struct task_struct, no_such_field); }",
    );
    assert!(err.contains("no field `no_such_field`"), "{err}");
    let err = compile_error(
        "stdlib2_container_of_type",
        "BEGIN { $p = container_of(0, 5, se); }",
    );
    assert!(err.contains("struct or union type"), "{err}");
}

/// Where cgroup v2 is mounted, if it is.
fn cgroup2_root() -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(2) == Some(&"cgroup2")).then(|| f[1].to_string())
    })
}

#[test]
fn cgroupid_is_the_cgroup_of_a_task_in_it() {
    let Some(_k) = kernel_or_skip("stdlib2_cgroupid") else {
        return;
    };
    let Some(root) = cgroup2_root() else {
        eprintln!("skipping: no cgroup2 mount");
        return;
    };
    let dir = format!("{root}/tracec_stdlib2_{}", std::process::id());
    if std::fs::create_dir(&dir).is_err() {
        eprintln!("skipping: cannot create {dir}");
        return;
    }
    let scratch_dir = scratch("stdlib2_cgroupid");
    let obj = compile_text(
        &scratch_dir,
        "c",
        &format!(
            r#"BEGIN {{ printf("%d %d\n", cgroupid("{dir}") == cgroup, cgroupid("{root}")); exit(); }}"#
        ),
    );
    // tracerun runs inside the new cgroup (BEGIN runs in tracerun's context).
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "echo $$ > {dir}/cgroup.procs && exec {} {}",
            bin("tracerun").display(),
            obj.display()
        ))
        .output()
        .expect("run tracerun");
    let _ = std::fs::remove_dir(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "1 1");
}

#[test]
fn cgroupid_of_a_missing_path_fails_on_the_host() {
    let Some(_k) = kernel_or_skip("stdlib2_cgroupid_missing") else {
        return;
    };
    let dir = scratch("stdlib2_cgroupid_missing");
    let obj = compile_text(
        &dir,
        "c",
        r#"BEGIN { print(cgroupid("/sys/fs/cgroup/tracec-no-such-cgroup")); exit(); }"#,
    );
    let out = std::process::Command::new(bin("tracerun"))
        .arg(&obj)
        .output()
        .expect("run tracerun");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(
            "ERROR: Failed to get `cgroupid` for path: \"/sys/fs/cgroup/tracec-no-such-cgroup\": \
             No such file or directory"
        ),
        "{err}"
    );
}

#[test]
fn kfunc_exist_and_kfunc_allowed_answer_for_the_host() {
    if !has_kernel_btf() {
        return;
    }
    let Some(_k) = kernel_or_skip("stdlib2_kfunc") else {
        return;
    };
    let run = run_to_exit(
        "stdlib2_kfunc",
        r#"BEGIN { printf("%d %d %d\n", kfunc_exist("bpf_task_from_pid"),
                kfunc_exist("tracec_no_such_kfunc"), kfunc_allowed("bpf_task_from_pid")); }
           interval:ms:10 { printf("%d %d\n", kfunc_allowed("bpf_task_from_pid"),
                kfunc_allowed("tracec_no_such_kfunc")); exit(); }"#,
        &[],
    );
    // BEGIN is a raw_tp program, interval a perf_event one: the kernel refuses the
    // kfunc to the first and grants it to the second.
    assert_eq!(lines(&run), ["1 0 0", "1 0"], "{:?}", run.err_lines);
    let err = compile_error(
        "stdlib2_kfunc_literal",
        r#"BEGIN { $k = "bpf_task_from_pid"; print(kfunc_exist($k)); }"#,
    );
    assert!(
        err.contains("kfunc_exist() accepts a string literal only"),
        "{err}"
    );
}

/// `kfunc_allowed` as the running kernel answers for each probe's program type
/// (`runtime/src/kfunc_trial.rs` asks it): `bpf_task_from_pid` is granted to
/// tracepoint and perf_event programs, refused to kprobe (uprobe) and raw_tp (BEGIN)
/// ones; a networking kfunc is refused to all of them.
#[test]
fn kfunc_allowed_is_the_kernels_answer_for_the_probes_program_type() {
    if !has_kernel_btf() {
        return;
    }
    let Some(_k) = kernel_or_skip("stdlib2_kfunc_allowed") else {
        return;
    };
    let dir = scratch("stdlib2_kfunc_allowed");
    let source = "int f(int x) { return x + 1; }\nint main(void) { return f(1) == 2 ? 0 : 1; }\n";
    let prog = build_c(&dir, "kfunc_target", source, &["-O0", "-g"]).expect("a C compiler");
    let script = format!(
        r#"BEGIN {{ printf("begin %d\n", kfunc_allowed("bpf_task_from_pid")); }}
           uprobe:{}:f {{ printf("uprobe %d %d\n", kfunc_allowed("bpf_task_from_pid"),
                kfunc_exist("bpf_task_from_pid")); }}
           tracepoint:sched:sched_process_exit /pid == cpid/ {{
                printf("tracepoint %d %d\n", kfunc_allowed("bpf_task_from_pid"),
                kfunc_allowed("bpf_skb_ct_lookup") && kfunc_exist("bpf_skb_ct_lookup"));
                exit(); }}"#,
        prog.display()
    );
    let obj = compile_text(&dir, "kfunc_allowed", &script);
    let cmd = prog.display().to_string();
    let run = run_object_to_exit(&obj, &["-c", &cmd]);
    assert_eq!(
        lines(&run),
        ["begin 0", "uprobe 0 1", "tracepoint 1 0"],
        "{:?}",
        run.err_lines
    );
    // The metadata names the program section each answer is for.
    let meta = object_metadata(&std::fs::read(&obj).unwrap());
    let mut sections: Vec<String> = meta
        .symbol_globals
        .iter()
        .filter_map(|g| g.allowed_in.clone())
        .map(|s| s.split('/').next().unwrap_or("").to_string())
        .collect();
    sections.sort();
    assert_eq!(sections, ["raw_tp", "tracepoint", "tracepoint", "uprobe"]);
}

#[test]
fn find_sets_the_variable_on_a_hit_only() {
    let Some(_k) = kernel_or_skip("stdlib2_find") else {
        return;
    };
    let run = run_to_exit(
        "stdlib2_find",
        r#"BEGIN {
            @m[2] = 7; @s["a"] = "hello"; @t[1] = (1, "hello"); @n[1] = count();
            $v = 0;
            if (find(@m, 2, $v)) { printf("hit %d\n", $v); }
            if (!find(@m, 3, $v)) { printf("miss %d\n", $v); }
            let $s;
            if (find(@s, "a", $s)) { printf("%s\n", $s); }
            let $t;
            if (find(@t, 1, $t)) { print($t); }
            $c = 5;
            if (find(@n, 1, $c)) { printf("count %d\n", $c); }
            clear(@m); clear(@s); clear(@t); clear(@n);
            exit();
        }"#,
        &[],
    );
    assert_eq!(
        lines(&run),
        ["hit 7", "miss 7", "hello", "(1, hello)", "count 1"],
        "{:?}",
        run.err_lines
    );
}

#[test]
fn find_is_one_lookup_of_a_keyed_map() {
    let dir = scratch("stdlib2_find_asm");
    let src = dir.join("f.bt");
    std::fs::write(
        &src,
        r#"BEGIN { @m[2] = 7; $v = 0; if (find(@m, 2, $v)) { printf("%d\n", $v); } }"#,
    )
    .unwrap();
    let asm = tracec(&[src.to_str().unwrap(), "--emit", "asm"]);
    let asm = String::from_utf8_lossy(&asm.stdout);
    assert_eq!(asm.matches("map_lookup_elem").count(), 1, "{asm}");
    let err = compile_error(
        "stdlib2_find_scalar",
        "BEGIN { @m = 1; $v = 0; print(find(@m, 1, $v)); }",
    );
    assert!(
        err.contains("call to find() expects a map with explicit keys (non-scalar map)"),
        "{err}"
    );
    let err = compile_error(
        "stdlib2_find_var",
        "BEGIN { @m[1] = 1; print(find(@m, 1, 5)); }",
    );
    assert!(err.contains("find() expects a scratch variable"), "{err}");
}
