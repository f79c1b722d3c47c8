//! `goto` in imported `.bpf.c` helpers, end to end: forward jumps out of loops and
//! switches, cleanup-label chains, skipped declarations, backward `goto retry;`
//! loops (entered by a forward `goto` too). The same C file is built with the
//! host's C compiler, and both print the same calls: their outputs must be equal.

use tracec_tests::*;

const GOTO: &str = r#"
static int first_multiple(int n, int k)
{
  int i, r = -1;
  for (i = 1; i < 50; i++) {
    if (i % k == 0 && i > n) {
      r = i;
      goto out;
    }
  }
  r = 0;
out:
  return r;
}

/* Out of a switch inside two loops. */
static int nested(int a)
{
  int s = 0;
  for (int i = 0; i < 5; i++) {
    for (int j = 0; j < 5; j++) {
      switch (j) {
      case 3:
        if (i * j > a)
          goto done;
        break;
      default:
        s += j;
      }
    }
    s += 100;
  }
  s = -s;
done:
  s += 1000;
  return s;
}

static int retry(int n)
{
  int tries = 0, v = n;
again:
  v = v * 3 + 1;
  tries++;
  if (v < 1000 && tries < 10)
    goto again;
  return tries * 10000 + v;
}

/* A declaration the jump skips, used before the label only. */
static int err_path(int x)
{
  int ret = 0;
  if (x < 0) {
    ret = -1;
    goto err;
  }
  int y = x * 2;
  if (y > 10)
    goto err;
  return y;
err:
  return ret - 100;
}

/* The kernel's unwinding chain: later failures run more of the cleanup. */
static int chain(int a)
{
  int r = 0;
  if (a == 1)
    goto e1;
  r += 1;
  if (a == 2)
    goto e2;
  r += 10;
  if (a == 3)
    goto e3;
  return r;
e3:
  r += 100;
e2:
  r += 1000;
e1:
  r += 10000;
  return -r;
}

/* A label reached by a forward and by backward jumps. */
static int both(int n)
{
  int c = 0;
  if (n > 5)
    goto loop;
  c = 100;
loop:
  c++;
  n++;
  if (n < 8)
    goto loop;
  return c;
}

/* A forward jump out of a backward loop, from a do/while inside it. */
static int escape(int n)
{
  int v = 0, rounds = 0;
top:
  rounds++;
  do {
    v += n;
    if (v > 40)
      goto found;
  } while (v % 7);
  if (rounds < 6)
    goto top;
  return -v;
found:
  return rounds * 1000 + v;
}

/* Jumps inside one switch section, and an empty labelled statement. */
static int section(int k, int x)
{
  int r = 0;
  switch (k) {
  case 1:
    if (x)
      goto skip;
    r = 5;
  skip:
    r += 1;
    break;
  default:
    r = 9;
  }
  if (r > 3)
    goto end;
  r *= 10;
end:;
  return r;
}

/* The kernel's CHECK macro: a goto out of a `do { } while (0)`; a label ending a
   loop body (a `continue`). */
#define CHECK(x) do { if (!(x)) goto err; } while (0)
static int checked(int a, int b)
{
  int r = 0;
  CHECK(a > 0);
  r += a;
  CHECK(b > 0);
  r += b * 10;
  for (int i = 0; i < 4; i++) {
    if (i == a)
      goto next;
    r += 100;
  next:
    ;
  }
  return r;
err:
  return -r - 1;
}

/* A forward jump out of a loop inside a backward one. */
static int rounds(int n)
{
  int tries = 0, acc = 0;
again:
  tries++;
  for (int i = 0; i < 3; i++) {
    acc += i + n;
    if (acc > 50)
      goto done;
  }
  if (tries < 5)
    goto again;
done:
  return tries * 1000 + acc;
}
"#;

const CALLS: &[&str] = &[
    "first_multiple(10, 7)",
    "first_multiple(60, 7)",
    "first_multiple(3, 2)",
    "nested(0)",
    "nested(5)",
    "nested(100)",
    "retry(0)",
    "retry(500)",
    "retry(2000)",
    "err_path(-3)",
    "err_path(4)",
    "err_path(9)",
    "chain(0)",
    "chain(1)",
    "chain(2)",
    "chain(3)",
    "both(0)",
    "both(6)",
    "both(9)",
    "escape(3)",
    "escape(5)",
    "escape(7)",
    "section(1, 0)",
    "section(1, 1)",
    "section(2, 0)",
    "checked(1, 2)",
    "checked(0, 2)",
    "checked(3, -1)",
    "checked(5, 5)",
    "rounds(1)",
    "rounds(9)",
];

#[test]
fn goto_matches_c() {
    let dir = import_tree("csub_goto");
    write_in(&dir, "goto.bpf.c", GOTO);
    let mut script = String::from("import \"goto.bpf.c\";\nBEGIN {\n");
    let mut c = String::from("#include <stdio.h>\n#include \"goto.bpf.c\"\nint main(void)\n{\n");
    for call in CALLS {
        script.push_str(&format!("  printf(\"%d\\n\", {call});\n"));
        c.push_str(&format!("  printf(\"%d\\n\", {call});\n"));
    }
    script.push_str("  exit();\n}\n");
    c.push_str("  return 0;\n}\n");
    write_in(&dir, "main.bt", &script);
    let obj = compile_file(&dir.join("main.bt"), &dir.join("main.o"));
    let Some(want) = native_output(&dir, &c) else {
        return;
    };
    assert_eq!(want.lines().count(), CALLS.len(), "{want}");
    let Some(_k) = kernel_or_skip("csub_goto") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    assert_eq!(
        run.stdout_text().trim_end(),
        want.trim_end(),
        "{:?}",
        run.err_lines
    );
}

/// Forward jumps into the branches of an `if` (past its condition) and into
/// blocks, from the same list and from inside a loop.
const INTO: &str = r#"
static int into_then(int v)
{
  int r = 0;
  if (v > 5)
    goto found;
  r = 1;
  if (v == 100) {
    r = 2;
  found:
    r += 10;
  } else {
    r += 100;
  }
  return r + v;
}

static int into_else(int v)
{
  int r = v;
  if (v < 0)
    goto neg;
  if (v & 1)
    goto odd;
  if (v > 1000) {
    r = 1;
  } else {
    int k = 3;
    r += k;
  neg:
    r = -r;
    {
      r *= 2;
    odd:
      r += 7;
    }
  }
  return r;
}

static int search(int n)
{
  int i;
  for (i = 0; i < 10; i++)
    if (i * i > n)
      goto hit;
  i = -1;
  if (n > 1000) {
  hit:
    i *= 3;
  }
  return i;
}
"#;

const INTO_CALLS: &[&str] = &[
    "into_then(1)",
    "into_then(9)",
    "into_then(100)",
    "into_else(-4)",
    "into_else(7)",
    "into_else(8)",
    "into_else(2000)",
    "into_else(2001)",
    "search(5)",
    "search(200)",
    "search(5000)",
];

#[test]
fn goto_into_blocks_matches_c() {
    let dir = import_tree("csub_goto_into");
    write_in(&dir, "into.bpf.c", INTO);
    let mut script = String::from("import \"into.bpf.c\";\n");
    let mut c = String::from("#include <stdio.h>\n#include \"into.bpf.c\"\nint main(void)\n{\n");
    for calls in INTO_CALLS.chunks(4) {
        script.push_str("BEGIN {\n");
        for call in calls {
            script.push_str(&format!("  printf(\"%d\\n\", {call});\n"));
            c.push_str(&format!("  printf(\"%d\\n\", {call});\n"));
        }
        script.push_str("}\n");
    }
    script.push_str("BEGIN { exit(); }\n");
    c.push_str("  return 0;\n}\n");
    write_in(&dir, "main.bt", &script);
    let obj = compile_file(&dir.join("main.bt"), &dir.join("main.o"));
    let Some(want) = native_output(&dir, &c) else {
        return;
    };
    assert_eq!(want.lines().count(), INTO_CALLS.len(), "{want}");
    let Some(_k) = kernel_or_skip("csub_goto_into") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    assert_eq!(
        run.stdout_text().trim_end(),
        want.trim_end(),
        "{:?}",
        run.err_lines
    );
}

#[test]
fn goto_errors_are_located() {
    let dir = import_tree("csub_goto_errors");
    let cases = [
        (
            "static int f(int v) {\n  if (v)\n    goto nowhere;\n  return v;\n}\n",
            "use of undeclared label 'nowhere'",
            "3:5",
        ),
        (
            "static int f(int v) {\nout:\n  v++;\nout:\n  return v;\n}\n",
            "redefinition of label 'out'",
            "4:1",
        ),
        (
            "static int f(int v) {\n  goto in;\n  while (v) {\n  in:\n    v--;\n  }\n  return v;\n}\n",
            "a `goto in` into a block it is not in",
            "2:3",
        ),
        (
            "static int f(int v) {\n  while (v) {\n  again:\n    v--;\n    if (v == 3)\n      break;\n    if (v & 1)\n      goto again;\n  }\n  return v;\n}\n",
            "a `break` or `continue` between the label `again`",
            "6:7",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}
