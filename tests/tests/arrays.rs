//! Arrays, pointer indexing, structs by value and bitfields, end to end: tracepoint
//! array fields, kernel struct arrays through `curtask`, a uprobe on a small C
//! program with array members (compiled here with `cc -g -O0`), and the compile-time
//! bounds check.

use std::path::PathBuf;
use tracec_tests::*;

const PROG: &str = r#"
#include <unistd.h>
struct A { int x[4]; };
struct B { int y[2][2]; };
struct C { int *z[4]; };
__attribute__((noinline)) int test_struct(struct A *a, struct B *b) { return a->x[0] + b->y[0][0]; }
__attribute__((noinline)) int test_ptr_array(struct C *c) { return *c->z[1]; }
volatile int sink;
int main(void) {
  struct A a = { {1, 2, 3, 4} };
  struct B b = { {{5, 6}, {7, 8}} };
  int v[4] = {1, 2, 3, 4};
  struct C c = { {&v[0], &v[1], &v[2], &v[3]} };
  sink = test_struct(&a, &b);
  sink = test_ptr_array(&c);
  return 0;
}
"#;

/// The test program, compiled once into `dir`; `None` without a C compiler.
fn test_program(dir: &std::path::Path) -> Option<PathBuf> {
    build_c(dir, "array_access", PROG, &["-g", "-O0"])
}

fn stdout_of(name: &str, script: &str, extra: &[&str]) -> String {
    run_to_exit(name, script, extra).stdout_text()
}

#[test]
fn uprobe_struct_arrays() {
    let Some(_k) = kernel_or_skip("uprobe_struct_arrays") else {
        return;
    };
    let dir = scratch("arrays_uprobe_prog");
    let Some(bin) = test_program(&dir) else {
        eprintln!("skipping: no C compiler");
        return;
    };
    let p = bin.to_str().unwrap();
    let script = format!(
        r#"struct A {{ int x[4]; }} struct B {{ int y[2][2]; }}
uprobe:{p}:test_struct {{
  $a = (struct A *) arg0; $i = (uint64)2;
  printf("%d %d %d\n", $a.x[0], $a.x[$i], ((struct B *) arg1).y[1][0]);
  $c = $a.x; printf("%d\n", $c[$i]);
  @a = $a.x; @k[$a.x, 42] = 0; @t = (1, $a.x);
  @b = ((struct B *) arg1).y;
  $p = (int32 *) arg0; printf("%d %d\n", $p[3], *($p + 1));
  exit();
}}"#
    );
    let out = stdout_of("arrays_uprobe", &script, &["-c", p]);
    assert!(out.contains("1 3 7\n3\n4 2\n"), "{out}");
    assert!(out.contains("@a: [1,2,3,4]\n"), "{out}");
    assert!(out.contains("@b: [[5,6],[7,8]]\n"), "{out}");
    assert!(out.contains("@k[[1,2,3,4], 42]: 0\n"), "{out}");
    assert!(out.contains("@t: (1, [1,2,3,4])\n"), "{out}");

    let script = format!(
        r#"struct C {{ int *z[4]; }} uprobe:{p}:test_ptr_array {{ @x = *((struct C*)arg0).z[1]; exit(); }}"#
    );
    let out = stdout_of("arrays_ptr_array", &script, &["-c", p]);
    assert!(out.contains("@x: 2\n"), "{out}");

    let script = format!(
        r#"struct A {{ int x[4]; }} uprobe:{p}:test_struct {{ $y = (uint64)100; @x = ((struct A *) arg0).x[$y]; exit(); }}"#
    );
    let run = run_to_exit("arrays_oob", &script, &["-c", p]);
    let err = run.err_lines.join("\n");
    assert!(
        err.contains("WARNING: Array access out of bounds. This can lead to unexpected results."),
        "{err}"
    );
}

#[test]
fn constant_index_out_of_bounds_is_an_error() {
    let err = compile_error(
        "arrays_const_oob",
        "struct A { int x[4]; } uprobe:/bin/sh:main { $a = (struct A *) arg0; $x = $a.x[5]; }",
    );
    assert!(
        err.contains("the index 5 is out of bounds for array of size 4"),
        "{err}"
    );
}

#[test]
fn tracepoint_array_fields() {
    let Some(_k) = kernel_or_skip("tracepoint_array_fields") else {
        return;
    };
    let out = stdout_of(
        "arrays_tp",
        r#"tracepoint:syscalls:sys_enter_execve /pid == cpid/ {
  printf("%s %s\n", str(args->argv[0]), str(args->argv[2]));
  exit();
}"#,
        &["-c", "/bin/echo one two"],
    );
    assert!(out.contains("/bin/echo two\n"), "{out}");
    let out = stdout_of(
        "arrays_raw_sys",
        r#"tracepoint:raw_syscalls:sys_enter /pid == cpid && args->id == 62/ {
  $i = 1; printf("%d %d\n", args->args[1], args->args[$i]);
  $a = args->args; print($a[1]);
  exit();
}"#,
        // kill(getpid-ish, 0): signal 0 is the second argument.
        &["-c", "/bin/kill -0 1"],
    );
    assert!(out.contains("0 0\n0\n"), "{out}");
}

#[test]
fn kernel_struct_arrays_and_values() {
    let Some(_k) = kernel_or_skip("kernel_struct_arrays_and_values") else {
        return;
    };
    if !has_kernel_btf() {
        eprintln!("skipping: no kernel BTF");
        return;
    }
    let out = stdout_of(
        "arrays_kernel",
        r#"BEGIN {
  $r = curtask->signal->rlim[7];
  printf("%d %d\n", curtask->signal->rlim[7].rlim_cur == $r.rlim_cur, curtask->mm->saved_auxv[0]);
  @a = curtask->mm->saved_auxv;
  print(curtask->sched_reset_on_fork);
  exit();
}"#,
        &[],
    );
    // The auxiliary vector starts with AT_SYSINFO_EHDR (33) on x86_64.
    assert!(out.starts_with("1 33\n0\n"), "{out}");
    assert!(out.contains("@a: [33,"), "{out}");
}

#[test]
fn bitfield_structs_print_as_records() {
    let Some(_k) = kernel_or_skip("bitfield_structs_print_as_records") else {
        return;
    };
    let out = stdout_of(
        "arrays_bitfield",
        r#"struct foo { unsigned long long x_0:1; unsigned long long x_1:1; unsigned long long x_2:2; }
BEGIN { $val = (uint64)0x1e; $f = *(struct foo *)(&$val); print($f);
  $p = (struct foo *)(&$val); print($p->x_2); exit(); }"#,
        &[],
    );
    assert!(
        out.starts_with("{ .x_0 = 0, .x_1 = 1, .x_2 = 3 }\n3\n"),
        "{out}"
    );
}

#[test]
fn nested_struct_values() {
    let Some(_k) = kernel_or_skip("nested_struct_values") else {
        return;
    };
    let out = stdout_of(
        "arrays_nested",
        r#"struct Foo { struct { int m[1] } y; struct { int n } a; }
BEGIN { $v = (uint64)0x300000002; @s = *((struct Foo *)&$v); exit(); }"#,
        &[],
    );
    assert!(
        out.contains("@s: { .y = { .m = [2] }, .a = { .n = 3 } }\n"),
        "{out}"
    );
}
