//! Kernel-function probes (kprobe, kretprobe, fentry, fexit) this VM cannot attach: what
//! the conformance runner's static check of them found, compiled and, where the kernel
//! loads the program type (kprobes), verified.

use tracec_tests::{compile_text, has_kernel_btf, kernel_or_skip, scratch, tracec, verify_ok};

/// Compile `script` as `name` and load its programs into the verifier.
fn compiles_and_loads(name: &str, script: &str) {
    let Some(_k) = kernel_or_skip(name) else {
        return;
    };
    let dir = scratch(name);
    let obj = compile_text(&dir, name, script);
    verify_ok(&obj);
}

#[test]
fn builtin_spellings_of_func_and_retval() {
    compiles_and_loads(
        "builtin_func",
        "k:vfs_read { if (__builtin_func == func() && __builtin_func == func) { print(func); } exit(); }",
    );
    compiles_and_loads(
        "builtin_retval",
        "kretprobe:vfs_read { if (__builtin_retval == retval() && __builtin_retval == retval) { printf(\"%d\\n\", retval); } }",
    );
}

/// `tracec --format bpftrace -e PROG -o /dev/null`: success and stderr.
fn compile_bpftrace(prog: &str) -> (bool, String) {
    let o = tracec(&["--format", "bpftrace", "-e", prog, "-o", "/dev/null"]);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_missing_fentry_function_follows_missing_probes() {
    if !has_kernel_btf() {
        return;
    }
    let (ok, err) = compile_bpftrace("fentry:vfs_read,fentry:nonsense { exit(); }");
    assert!(
        !ok && err.contains("ERROR: No matches for fentry nonsense.\n"),
        "{err}"
    );
    let (ok, err) = compile_bpftrace(
        "config = { missing_probes = \"warn\" } fentry:vfs_read,fentry:nonsense { exit(); }",
    );
    assert!(
        ok && err.contains("WARNING: No matches for fentry nonsense. Skipping.\n"),
        "{err}"
    );
    let (ok, err) = compile_bpftrace(
        "config = { missing_probes = \"ignore\" } fentry:vfs_read,fentry:nonsense { exit(); }",
    );
    assert!(ok && err.is_empty(), "{err}");
}

#[test]
fn kprobes_on_untraceable_functions_warn_and_match_nothing() {
    // Needs the kernel's function list (root reads /proc/kallsyms addresses and
    // tracefs).
    let Some(_k) = kernel_or_skip("untraceable") else {
        return;
    };
    let warning = "WARNING: nonsense is not traceable (either non-existing, inlined, or marked \
                   as \"notrace\"); attaching to it will likely fail\n";
    // Against this kernel's own list the probe stays: the object may run on a kernel
    // that has the function, and tracerun decides when it attaches.
    let (ok, err) = compile_bpftrace("kprobe:vmlinux:nonsense { exit(); }");
    assert!(ok, "{err}");
    assert!(err.contains(warning), "{err}");
    assert!(
        err.contains("tracerun tries it where the object runs"),
        "{err}"
    );
    // An explicit list is bpftrace's rule: without --unsafe nothing matches.
    let dir = scratch("untraceable");
    let list = dir.join("traceable.txt");
    std::fs::write(&list, "vfs_read\n").unwrap();
    let with_list = |unsafe_: bool, prog: &str| {
        let mut args = vec!["--traceable-functions", list.to_str().unwrap()];
        if unsafe_ {
            args.push("--unsafe");
        }
        args.extend(["--format", "bpftrace", "-e", prog, "-o", "/dev/null"]);
        let o = tracec(&args);
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (ok, err) = with_list(false, "kprobe:vmlinux:nonsense { exit(); }");
    assert!(!ok, "{err}");
    assert!(err.contains(warning), "{err}");
    assert!(
        err.contains("ERROR: No matches for kprobe vmlinux:nonsense.\n"),
        "{err}"
    );
    let (ok, err) = with_list(false, "kretprobe:vfs_read, kretprobe:bad { exit(); }");
    assert!(
        !ok && err.contains("ERROR: No matches for kretprobe bad.\n"),
        "{err}"
    );
    // --unsafe: the probe stays (attaching is tried), with the warning.
    let (ok, err) = with_list(true, "kprobe:vmlinux:nonsense { exit(); }");
    assert!(ok && err.contains(warning), "{err}");
    // bpftrace never probes rcu_* functions: the wildcard matches nothing.
    let (ok, err) = compile_bpftrace("kprobe:rcu_* { exit(); }");
    assert!(
        !ok && err.contains("ERROR: Probe has no valid attach points.\n"),
        "{err}"
    );
}

#[test]
fn probes_left_without_attach_points_follow_missing_probes() {
    let Some(_k) = kernel_or_skip("no_attach_points") else {
        return;
    };
    let prog = "config = { missing_probes=warn } kprobe:vfs_read { exit(); } \
                t:syscalls:nonsense { exit(); }";
    let (ok, err) = compile_bpftrace(prog);
    assert!(ok, "{err}");
    assert!(
        err.contains("WARNING: No matches for tracepoint syscalls:nonsense. Skipping.\n")
            && err.contains(
                "WARNING: Probe has no valid attach points. It is being removed which may \
                 cause issues with program behavior.\n"
            ),
        "{err}"
    );
    // Nothing left: the run (and the verifier) refuse it as bpftrace does.
    let dir = scratch("no_attach_points");
    let obj = compile_text(
        &dir,
        "none",
        "config = { missing_probes=ignore } t:syscalls:nonsense_too { exit(); } \
         t:syscalls:nonsense { exit(); }",
    );
    for mode in [&["--verify"][..], &[]] {
        let o = std::process::Command::new(tracec_tests::bin("tracerun"))
            .args(mode)
            .arg(&obj)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        assert_eq!(String::from_utf8_lossy(&o.stderr), "No probes to attach\n");
    }
}

#[test]
fn path_takes_a_struct_path_member_by_its_address() {
    if !has_kernel_btf() {
        return;
    }
    for prog in [
        "fentry:security_file_open { printf(\"%s\\n\", path(args.file.f_path)); }",
        "fentry:security_file_open { $p = path(args.file.f_path, 48); print(sizeof($p)); }",
        "fexit:vfs_getattr { print(path(args.path)); }",
    ] {
        let (ok, err) = compile_bpftrace(prog);
        assert!(ok, "{prog}: {err}");
    }
    let (ok, err) = compile_bpftrace("fentry:vfs_getattr { print(path(comm)); }");
    assert!(
        !ok && err.contains("path() expects a struct path pointer"),
        "{err}"
    );
    // The kernel lets only some functions' programs call bpf_d_path.
    let (ok, err) =
        compile_bpftrace("fentry:vfs_read { print(\"a\"); print(path(args.file.f_path)); }");
    assert!(!ok, "{err}");
    assert!(
        err.contains("stdin:1:37-59: ERROR: helper bpf_d_path not allowed in probe\n"),
        "{err}"
    );
}

#[test]
fn usermode_in_kernel_function_probes() {
    if !has_kernel_btf() {
        return;
    }
    // fentry/fexit run in kernel mode: usermode is the constant 0 there.
    let (ok, err) = compile_bpftrace(
        "k:vfs_read { printf(\"%d \", usermode); } fentry:vfs_open { print(usermode); }",
    );
    assert!(ok, "{err}");
    let o = tracec(&[
        "--emit",
        "ir",
        "-e",
        "fexit:vfs_open { @[usermode] = count(); }",
    ]);
    let ir = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{ir}");
    assert!(
        !ir.contains("load.8 [v0+136]"),
        "no pt_regs read in fexit:\n{ir}"
    );
    let o = tracec(&[
        "--emit",
        "ir",
        "-e",
        "kprobe:vfs_read { @[usermode] = count(); }",
    ]);
    let ir = String::from_utf8_lossy(&o.stdout);
    assert!(
        ir.contains("load.8 [v0+136]"),
        "a kprobe reads pt_regs.cs:\n{ir}"
    );
    compiles_and_loads(
        "usermode_kprobe",
        "kprobe:vfs_read { @[usermode] = count(); }",
    );
}

#[test]
fn raw_tracepoint_args_are_a_record() {
    let Some(_k) = kernel_or_skip("rawtp_args_record") else {
        return;
    };
    let run = tracec_tests::run_to_exit(
        "rawtp_args_record",
        "rawtracepoint:sched_switch { print(args); exit(); }",
        &[],
    );
    let line = run
        .out_lines
        .iter()
        .find(|l| l.starts_with("{ .preempt = "))
        .unwrap_or_else(|| panic!("{:?}", run.out_lines));
    assert!(
        line.contains(", .prev = 0x") && line.contains(", .next = 0x"),
        "{line}"
    );
    // A bare `args` (a statement without effect) compiles, as in bpftrace.
    let (ok, err) = compile_bpftrace(
        "rawtracepoint:irq_handler_entry, rawtracepoint:irq_handler_exit, fentry:do_nanosleep { args }",
    );
    assert!(ok, "{err}");
}

#[test]
fn traceable_functions_come_from_a_file() {
    let dir = scratch("traceable_file");
    let list = dir.join("funcs.txt");
    std::fs::write(&list, "my_only_function\nother_fn [mymod]\n").unwrap();
    let list = list.to_str().unwrap();
    let compile = |extra: &[&str], prog: &str| {
        let mut args = vec!["--format", "bpftrace", "--traceable-functions", list];
        args.extend(extra);
        args.extend(["-e", prog, "-o", "/dev/null"]);
        let o = tracec(&args);
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (ok, err) = compile(&[], "kprobe:vfs_read {}");
    assert!(
        !ok && err.contains("ERROR: No matches for kprobe vfs_read.\n"),
        "{err}"
    );
    let (ok, err) = compile(&["--unsafe"], "begin { exit(); } kprobe:vfs_read {}");
    assert!(
        ok && err.contains("WARNING: vfs_read is not traceable"),
        "{err}"
    );
    let (ok, err) = compile(&[], "kprobe:my_only_function {}");
    assert!(ok && err.is_empty(), "{err}");
    // Wildcards expand against the file's functions.
    let o = tracec(&[
        "--traceable-functions",
        list,
        "--emit",
        "ir",
        "-e",
        "kprobe:*_fn { }",
    ]);
    let ir = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && ir.contains("kprobe/other_fn"), "{ir}");
    let o = tracec(&[
        "--traceable-functions",
        "/nonexistent/list",
        "-e",
        "begin {}",
        "-o",
        "/dev/null",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read the traceable functions"));
}
