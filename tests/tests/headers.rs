//! `#include` lines: header macros evaluated with the header's own conditionals
//! for the host's target, clang's fatal error for a header that does not exist,
//! and clang-style errors on C definitions in bpftrace's format.

use tracec_tests::*;

/// Whether the compiler will read glibc's `<syscall.h>` for x86_64 the way
/// bpftrace's clang does (no kernel header tree shadowing `asm/unistd.h`).
fn host_syscall_header() -> bool {
    cfg!(target_arch = "x86_64")
        && std::path::Path::new("/usr/include/syscall.h").exists()
        && !std::path::Path::new(&format!(
            "/lib/modules/{}/build",
            std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
        ))
        .exists()
}

#[test]
fn syscall_header_numbers_are_those_of_the_host_arch() {
    if !host_syscall_header() {
        eprintln!("skipping: needs x86_64 with /usr/include/syscall.h");
        return;
    }
    let Some(_k) = kernel_or_skip("headers_syscall") else {
        return;
    };
    let run = run_to_exit(
        "headers_syscall",
        "#include <syscall.h>\nbegin { printf(\"%s %d %d\\n\", syscall_name(__NR_read), __NR_openat, SYS_write); exit(); }",
        &[],
    );
    assert_eq!(
        run.out_lines.first().map(String::as_str),
        Some("read 257 1"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn missing_header_is_a_fatal_error_in_bpftrace_format() {
    let o = tracec(&[
        "--format",
        "bpftrace",
        "-e",
        "#include <lol/no.h>\nbegin { }",
        "-o",
        "/dev/null",
    ]);
    assert!(!o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "definitions.h:2:10: fatal error: 'lol/no.h' file not found\n"
    );
    let o = tracec(&["-e", "#include \"nope.h\"\nbegin { }", "-o", "/dev/null"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("error: 'nope.h' file not found"), "{err}");
}

#[test]
fn kernel_headers_are_optional_without_a_kernel_header_tree() {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let modules = format!("/lib/modules/{}", release.trim());
    if ["build", "source"]
        .iter()
        .any(|d| std::path::Path::new(&modules).join(d).exists())
        || std::env::var_os("BPFTRACE_KERNEL_SOURCE").is_some()
    {
        eprintln!("skipping: kernel headers are installed");
        return;
    }
    let dir = scratch("headers_kernel_optional");
    compile_text(
        &dir,
        "kernel_headers",
        "#include <net/sock.h>\n#include <linux/fs.h>\nbegin { printf(\"%d\\n\", AF_INET); exit(); }",
    );
}

#[test]
fn c_definition_errors_are_clang_errors_in_bpftrace_format() {
    let o = tracec(&[
        "--format",
        "bpftrace",
        "-e",
        "#define X 1\nstruct task_struct { struct thread_info x; } begin { printf(\"%d\\n\", curtask.x.status); }",
        "-o",
        "/dev/null",
    ]);
    assert!(!o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "definitions.h:3:41: error: field has incomplete type 'struct thread_info'\n"
    );
}
