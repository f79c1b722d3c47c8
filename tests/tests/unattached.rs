//! Kernel-function probes (kprobe, kretprobe, fentry, fexit) this VM cannot attach: what
//! the conformance runner's static check of them found, compiled and, where the kernel
//! loads the program type (kprobes), verified.

use tracec_tests::{compile_text, kernel_or_skip, scratch, verify_ok};

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
