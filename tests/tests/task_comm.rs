//! `comm(pid)`: kfunc calls of `bpf_task_from_pid`/`bpf_task_release` whose BTF ids
//! tracerun patches in, the task's name (or `N/A` and bpftrace's warning), and the
//! compile-time refusals of bpftrace's stdlib macro.

use tracec_tests::*;

#[test]
fn object_lists_the_kfunc_calls() {
    if !has_kernel_btf() {
        eprintln!("skipping: no kernel BTF for curtask->comm");
        return;
    }
    let dir = scratch("task_comm_object");
    let obj = compile_text(
        &dir,
        "c",
        r#"interval:s:1 { printf("%s\n", comm(1)); exit() }"#,
    );
    let bytes = std::fs::read(obj).unwrap();
    let m = object_metadata(&bytes);
    let calls: Vec<(&str, tracec_meta::KsymKind)> =
        m.ksyms.iter().map(|k| (k.name.as_str(), k.kind)).collect();
    assert_eq!(
        calls,
        [
            ("bpf_task_from_pid", tracec_meta::KsymKind::Func),
            ("bpf_task_release", tracec_meta::KsymKind::Func)
        ]
    );
    for k in &m.ksyms {
        let i = insn_bytes(&bytes, &k.program, k.insn, 8);
        // call, src_reg BPF_PSEUDO_KFUNC_CALL, off 0, imm 0 (set on the host).
        assert_eq!(i[0], 0x85, "{k:?}: {i:?}");
        assert_eq!(i[1] >> 4, 2, "{k:?}: {i:?}");
        assert_eq!(&i[2..8], &[0; 6], "{k:?}: {i:?}");
    }
    // The listing names them.
    let src = dir.join("c.bt");
    let asm = tracec(&[src.to_str().unwrap(), "--emit", "asm"]);
    let asm = String::from_utf8_lossy(&asm.stdout);
    assert!(asm.contains("; kfunc bpf_task_from_pid"), "{asm}");
    assert!(asm.contains("; kfunc bpf_task_release"), "{asm}");
}

#[test]
fn refusals_follow_bpftrace() {
    let dir = scratch("task_comm_refusals");
    for (script, message) in [
        (
            r#"interval:s:1 { $s = "x"; print(comm($s)); }"#,
            "Only integer supported for comm()'s pid",
        ),
        (
            "BEGIN { print(comm(1)); }",
            "Syntax comm(PID) is not supported in this probe type yet. Type: special",
        ),
        (
            "uprobe:/bin/sh:main { print(comm(1)); }",
            "Syntax comm(PID) is not supported in this probe type yet. Type: uprobe",
        ),
        (
            "kprobe:vfs_read { print(comm(1)); }",
            "Syntax comm(PID) is not supported in this probe type yet. Type: kprobe",
        ),
    ] {
        let src = dir.join("r.bt");
        std::fs::write(&src, script).unwrap();
        let o = tracec(&[
            src.to_str().unwrap(),
            "-o",
            dir.join("r.o").to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{script} compiled");
        assert!(err.contains(message), "{script}: {err}");
    }
}

#[test]
fn names_a_task_and_warns_without_one() {
    let Some(_k) = kernel_or_skip("names_a_task_and_warns_without_one") else {
        return;
    };
    // kthreadd is pid 2 in the initial namespace; no task has pid 0 in a lookup.
    let run = run_to_exit(
        "task_comm_run",
        r#"interval:ms:10 { printf("%s|%s|\n", comm(2), comm(0)); @[comm(999999999)] = count(); exit() }"#,
        &[],
    );
    assert_eq!(run.stdout_text(), "kthreadd|N/A|\n\n\n@[N/A]: 1\n");
    let warnings: Vec<&String> = run
        .err_lines
        .iter()
        .filter(|l| l.contains("WARNING"))
        .collect();
    assert_eq!(warnings.len(), 2, "{:?}", run.err_lines);
    assert!(
        warnings[0].ends_with("WARNING: No such process (pid=0)"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].ends_with("WARNING: No such process (pid=999999999)"),
        "{warnings:?}"
    );
}

#[test]
fn verifier_accepts_it_where_the_kernel_allows_the_kfunc() {
    let Some(_k) = kernel_or_skip("verifier_accepts_it_where_the_kernel_allows_the_kfunc") else {
        return;
    };
    let dir = scratch("task_comm_verify");
    let obj = compile_text(
        &dir,
        "v",
        r#"tracepoint:syscalls:sys_enter_getpid { @a[comm(pid)] = count(); }
profile:hz:99 { @b[comm(pid)] = count(); }
software:cpu-clock:1000000 { @c = comm(tid); }
iter:task { @d = comm(pid); }
rawtracepoint:sched_switch { @e = comm(pid); }
"#,
    );
    let report = verify_ok(&obj);
    assert!(
        report.contains("5 programs: 5 loaded, 0 rejected"),
        "{report}"
    );
}
