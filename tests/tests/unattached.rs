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
