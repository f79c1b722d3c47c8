//! Struct values whose members are unions or anonymous structs, pointers to
//! pointers, typed variables holding struct arrays, array values as map keys, `buf`
//! and `ntop` of array values, bitfields read through pointers and tracepoint array
//! fields cast to pointers, end to end.

use tracec_tests::*;

fn stdout_of(name: &str, script: &str) -> String {
    run_to_exit(name, script, &[]).stdout_text()
}

#[test]
fn unions_and_anonymous_members_in_struct_values() {
    let Some(_k) = kernel_or_skip("unions_and_anonymous_members_in_struct_values") else {
        return;
    };
    let out = stdout_of(
        "struct_values_unions",
        r#"union U { int i; char c[4]; }
struct S { short m; union { short a; unsigned char b; }; union U u; }
BEGIN { $v = (uint64)0x0041424300050002; $s = *(struct S *)&$v; print($s);
  printf("%d %d %d %s\n", $s.m, $s.a, $s.u.i, $s.u.c); exit() }"#,
    );
    assert!(
        out.starts_with(
            "{ .m = 2, .a = 5, .b = 5, .u = { .i = 4276803, .c = CBA } }\n2 5 4276803 CBA\n"
        ),
        "{out}"
    );
}

#[test]
fn kernel_struct_values_with_anonymous_unions() {
    let Some(_k) = kernel_or_skip("kernel_struct_values_with_anonymous_unions") else {
        return;
    };
    // struct qstr: `union { struct { u32 hash; u32 len; }; u64 hash_len; }; name`.
    let out = stdout_of(
        "struct_values_qstr",
        r#"BEGIN { $q = curtask->fs->root.dentry->d_name;
  printf("%d %s %d\n", $q.len, str($q.name), $q.hash_len >> 32); exit() }"#,
    );
    assert!(out.starts_with("1 / 1\n"), "{out}");
}

#[test]
fn pointers_arrays_and_bitfields() {
    let Some(_k) = kernel_or_skip("pointers_arrays_and_bitfields") else {
        return;
    };
    let out = stdout_of(
        "struct_values_misc",
        r#"struct A { unsigned int a[4]; } struct W { int a; } struct P { struct W w[2]; }
struct B { short a:4, b:8; }
BEGIN { $t = ((uint64)0, (uint64)0x0100000000000000); $a = (struct A *)&$t;
  print(ntop($a->a)); @x[$a->a] = 1; printf("%r\n", buf($a->a));
  $x = (uint64)7; $px = &$x; $pp = (int64 **)&$px; printf("%d\n", **$pp);
  $v = (uint64)0x300000002; let $w: struct W[2]; $w = ((struct P *)&$v)->w;
  printf("%d %d\n", $w[0].a, $w[1].a);
  $bv = (uint64)0xd91; $b = (struct B *)&$bv; printf("%d %d\n", $b->a, $b->b); exit() }"#,
    );
    assert!(
        out.starts_with(
            "::1\n\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01\n7\n2 3\n1 217\n"
        ),
        "{out}"
    );
    assert!(out.contains("@x[[0,0,0,16777216]]: 1\n"), "{out}");
}

#[test]
fn tracepoint_array_fields_cast_to_pointers() {
    let Some(_k) = kernel_or_skip("tracepoint_array_fields_cast_to_pointers") else {
        return;
    };
    // `char prev_comm[16]` read through `(int8 *)` and as a struct: the same bytes.
    let out = stdout_of(
        "struct_values_tp_decay",
        r#"tracepoint:sched:sched_switch { $p = (int8 *)args->prev_comm;
  $q = (struct qstr *)args->prev_comm;
  printf("%d %d\n", *$p == args->prev_comm[0], ($q->hash & 0xff) == args->prev_comm[0]);
  exit() }"#,
    );
    assert!(out.starts_with("1 1\n"), "{out}");
}

#[test]
fn struct_values_with_unions_in_json() {
    let Some(_k) = kernel_or_skip("struct_values_with_unions_in_json") else {
        return;
    };
    let run = run_to_exit(
        "struct_values_json",
        r#"union N { int i; char c[2]; } struct Foo { int m; union N n; }
BEGIN { $v = (uint64)0x500000002; print(*(struct Foo *)&$v); exit() }"#,
        &["-f", "json"],
    );
    let out = run.stdout_text();
    assert!(
        out.contains(r#"{"type": "value", "data": {"m": 2, "n": {"i": 5, "c": "\u0005"}}}"#),
        "{out}"
    );
}
