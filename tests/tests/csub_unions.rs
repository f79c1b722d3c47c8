//! Unions held by value in imported `.bpf.c` helpers, end to end: a member written
//! and the same or another member read (bytes of an int, halves of a long, structs
//! and arrays inside unions), unions inside structs, passed and returned by value,
//! initialized by a first or designated member. The same file is built with the
//! host's C compiler; both print the same calls.

use tracec_tests::*;

const UNIONS: &str = r#"
union num { unsigned int u; int i; unsigned char b[4]; short h[2]; };
struct tagged { int tag; union num v; };
struct pair { int lo; int hi; };
union big { struct pair p[2]; unsigned long w[2]; };
union flag { _Bool on; unsigned char raw; };

static long same(int x)
{
  union num n;
  n.i = x;
  return n.i;
}

static long bytes(unsigned int x)
{
  union num n = { .u = x };
  n.b[1] = 0xAB;
  n.h[1] += 3;
  return (long)n.u * 100 + n.b[0] + n.i % 7;
}

static union num make(int x) { union num n = { x }; n.b[3] = 1; return n; }

static long copy(int x)
{
  struct tagged t = {};
  t.tag = 2;
  t.v = make(x);
  union num m = t.v;
  m.h[0]++;
  return t.v.i * 10 + m.i + t.tag;
}

static long halves(long x)
{
  union big g = {};
  g.w[0] = x;
  g.p[1].hi = -1;
  g.p[1].lo = g.p[0].lo + 5;
  return g.w[1] / 3 + g.p[0].hi;
}

static long sign(short s)
{
  union num n = {};
  n.h[1] = s;
  return n.i;
}

static long flags(unsigned char r)
{
  union flag f = { .raw = r };
  long on = f.on;
  f.on = 1;
  return on * 1000 + f.raw;
}

static long picked(unsigned int x, int i)
{
  union num n = { .u = x };
  n.b[i & 3] += 5;
  n.h[(i + 1) & 1] ^= 0x101;
  union big g = {};
  g.w[i & 1] = x;
  return (long)n.u * 10 + n.b[(i + 2) & 3] + g.w[0] % 1000;
}
"#;

const CALLS: &[&str] = &[
    "same(-5)",
    "same(123456)",
    "bytes(0x12345678)",
    "bytes(0)",
    "bytes(0xffffffff)",
    "copy(7)",
    "copy(-300)",
    "halves(0x100000003)",
    "halves(-9)",
    "sign(-2)",
    "sign(77)",
    "flags(0)",
    "flags(1)",
    "picked(0x12345678, 0)",
    "picked(0x12345678, 1)",
    "picked(0xfffffffe, 2)",
    "picked(7, 7)",
];

#[test]
fn unions_match_c() {
    let dir = import_tree("csub_unions");
    write_in(&dir, "u.bpf.c", UNIONS);
    let mut script = String::from("import \"u.bpf.c\";\nBEGIN {\n");
    let mut c = String::from("#include <stdio.h>\n#include \"u.bpf.c\"\nint main(void)\n{\n");
    for call in CALLS {
        // (`%d` prints 32 bits, in bpftrace as in C.)
        script.push_str(&format!("  printf(\"%ld\\n\", {call});\n"));
        c.push_str(&format!("  printf(\"%ld\\n\", {call});\n"));
    }
    script.push_str("  exit();\n}\n");
    c.push_str("  return 0;\n}\n");
    write_in(&dir, "main.bt", &script);
    let src = dir.join("main.bt");
    let out = dir.join("main.o");
    let o = tracec(&[src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let Some(want) = native_output(&dir, &c) else {
        return;
    };
    assert_eq!(want.lines().count(), CALLS.len(), "{want}");
    let Some(_k) = kernel_or_skip("csub_unions") else {
        return;
    };
    let run = run_object_to_exit(&out, &[]);
    assert_eq!(
        run.stdout_text().trim_end(),
        want.trim_end(),
        "{:?}",
        run.err_lines
    );
}

#[test]
fn union_errors_are_located() {
    let dir = import_tree("csub_unions_errors");
    let cases = [
        (
            "struct p { int a; };\nunion u { int a; struct p b[2]; };\nstatic int f(int v) {\n  union u x = {};\n  return x.b[v].a;\n}\n",
            "an index chosen at run time into an array of structs or arrays in a union",
            "5:14",
        ),
        (
            "union u { int a; long b; };\nstatic int f(int v) {\n  union u x = { 1, 2 };\n  return x.a;\n}\n",
            "excess elements in union initializer",
            "3:20",
        ),
        (
            "union u { struct task_struct *t; long l; };\nstatic int f(int v) {\n  union u x = {};\n  union u *p = &x;\n  return v;\n}\n",
            "the address of a local",
            "4:16",
        ),
        (
            "struct q { int a; int b; };\nunion u { struct q s; long l; };\nstatic int f(int v) {\n  union u x = {};\n  struct q y = x.s;\n  return y.a;\n}\n",
            "copying a `struct q` out of a union",
            "5:12",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}
