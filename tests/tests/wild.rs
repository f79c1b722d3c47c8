//! Patterns of scripts from the wild (the BPF book's tools, bpftrace's tools) that
//! bpftrace accepts: `*` of an integer address, a map read in its own first
//! assignment, a `%` that starts no printf conversion, `func` stored beside `ksym`
//! values, Linux ABI constants of headers the host lacks, and script structs with
//! kernel structs by value. The scripts here are our own, written after those
//! patterns.

use tracec_tests::*;

#[test]
fn star_of_an_integer_reads_kernel_memory() {
    let Some(_k) = kernel_or_skip("wild_int_deref") else {
        return;
    };
    // The address of a variable on the BPF stack, as an integer: `*` reads the 8
    // bytes there (`*(addr + 4)` the 4 high bytes, then whatever follows).
    let script = r#"BEGIN {
  $x = 0x1122334455667788;
  $p = (uint64)&$x;
  printf("%lx %lx\n", *$p, *($p + 4) & 0xffffffff);
  printf("%d\n", *kaddr("vfs_read") != 0);
  exit();
}"#;
    let run = run_to_exit("wild_int_deref", script, &[]);
    assert_eq!(run.stdout_text(), "1122334455667788 11223344\n1\n\n\n");
}

#[test]
fn a_map_read_in_its_own_first_assignment_starts_at_zero() {
    let Some(_k) = kernel_or_skip("wild_self_ref") else {
        return;
    };
    let script = r#"BEGIN {
  @bytes = @bytes + 2 * 512;
  @bytes = @bytes + 512;
  @left = 3 - @left;
  exit();
}"#;
    let run = run_to_exit("wild_self_ref", script, &[]);
    assert_eq!(run.stdout_text(), "\n\n@bytes: 1536\n@left: 3\n");
}

#[test]
fn a_map_read_that_is_never_assigned_is_still_an_error() {
    let err = compile_error("wild_never_assigned", "BEGIN { @a = @b + 1; exit(); }");
    assert!(
        err.contains("@b is used but never assigned a value"),
        "{err}"
    );
}

#[test]
fn printf_prints_a_percent_that_starts_no_conversion() {
    let Some(_k) = kernel_or_skip("wild_printf_percent") else {
        return;
    };
    let script = r#"BEGIN {
  printf("%5s%\n", "HIT%");
  printf("50%% 50%\n");
  printf("a % b %q|%d\n", 7);
  exit();
}"#;
    let run = run_to_exit("wild_printf_percent", script, &[]);
    assert_eq!(run.stdout_text(), " HIT%%\n50% 50%\na % b %q|7\n\n\n");
}

#[test]
fn abi_constants_of_absent_headers() {
    let Some(_k) = kernel_or_skip("wild_abi_constants") else {
        return;
    };
    // <net/sock.h> is a kernel-internal header: never installed for user space.
    let script = r#"#include <net/sock.h>
#include <linux/sched.h>
#define EACCES 99
BEGIN {
  printf("%d %d %d %d %d %d\n", AF_INET, PF_INET6, EPERM, EACCES, TASK_RUNNING,
         ICMPV6_ECHO_REQUEST);
  exit();
}"#;
    let run = run_to_exit("wild_abi_constants", script, &[]);
    assert_eq!(run.stdout_text(), "2 10 1 99 0 128\n\n\n");
}

#[test]
fn abi_constants_need_an_include() {
    let err = compile_error(
        "wild_abi_no_include",
        "BEGIN { printf(\"%d\\n\", AF_INET); exit(); }",
    );
    assert!(err.contains("unknown builtin 'AF_INET'"), "{err}");
    // With an include, a name the table lacks keeps the error.
    let err = compile_error(
        "wild_abi_not_in_table",
        "#include <net/sock.h>\nBEGIN { printf(\"%d\\n\", AF_NOPE); exit(); }",
    );
    assert!(err.contains("unknown builtin 'AF_NOPE'"), "{err}");
}

#[test]
fn script_struct_with_kernel_structs_by_value() {
    let Some(_k) = kernel_or_skip("wild_struct_by_value") else {
        return;
    };
    let script = r#"#include <linux/fs.h>
struct nameidata {
  struct path path;
  struct qstr last;
};
BEGIN {
  printf("%d %d\n", sizeof(struct nameidata), offsetof(struct nameidata, last));
  exit();
}"#;
    let run = run_to_exit("wild_struct_by_value", script, &[]);
    assert_eq!(run.stdout_text(), "32 16\n\n\n");
}

/// Scripts in the shapes of the corpus's tools, compiled and loaded into the
/// verifier (kprobes cannot attach on every test host).
const VERIFIED: &[(&str, &str)] = &[
    (
        "fsdist",
        r#"BEGIN { @name[0] = ksym(0); }
kprobe:vfs_read, kprobe:vfs_write { @start[tid] = nsecs; @name[tid] = func; }
kretprobe:vfs_read, kretprobe:vfs_write /@start[tid]/ {
  @us[@name[tid]] = hist((nsecs - @start[tid]) / 1000);
  delete(@start, tid); delete(@name, tid);
}
END { clear(@name); clear(@start); }"#,
    ),
    (
        "connect_family",
        r#"#include <net/sock.h>
kprobe:tcp_connect {
  $sk = (struct sock *)arg0;
  $family = $sk->__sk_common.skc_family;
  if ($family == AF_INET || $family == AF_INET6) { @[comm, $family] = count(); }
}"#,
    ),
    (
        "errno_count",
        r#"#include <linux/errno.h>
tracepoint:syscalls:sys_exit_openat /args->ret == -EPERM || args->ret == -EACCES/ {
  @denied[comm] = count();
}"#,
    ),
    (
        "read_bytes",
        r#"tracepoint:syscalls:sys_enter_read { @bytes = @bytes + args->count * 1; }
interval:s:1 { printf("%8d%%\n", @bytes); printf("%5s%\n", "x"); }"#,
    ),
    (
        "lookup_name",
        r#"#include <linux/fs.h>
#include <linux/sched.h>
struct nameidata { struct path path; struct qstr last; };
kprobe:vfs_open { $nd = (struct nameidata *)arg0; printf("%s %d\n", str($nd->last.name), TASK_RUNNING); }"#,
    ),
    (
        "kernel_word",
        r#"kprobe:vfs_read { @w[ksym(*(kaddr("vfs_read") + 0 * 8))] = count(); }"#,
    ),
];

#[test]
fn wild_patterns_compile_and_verify() {
    let Some(_k) = kernel_or_skip("wild_patterns_verify") else {
        return;
    };
    let dir = scratch("wild_patterns_verify");
    for (name, script) in VERIFIED {
        let obj = compile_text(&dir, name, script);
        let report = verify_ok(&obj);
        assert!(report.contains(", 0 rejected"), "{name}: {report}");
    }
}
