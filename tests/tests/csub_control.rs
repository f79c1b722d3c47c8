//! Imported `.bpf.c` helpers using `do`/`while`, `switch` (cases, `default`,
//! fallthrough, `break`, `continue` and `return` inside), user-memory reads and
//! `BPF_CORE_READ_STR_INTO`, end to end: each line the
//! script prints holds the C helper's results, which the test compares with the
//! same logic computed here.

use tracec_tests::*;

const CONTROL: &str = r#"
enum kind { K_NONE, K_ONE, K_TWO, K_MANY = 10 };

/* Digits of n (at least one), with a do/while (bounded for the verifier). */
static int digits(unsigned int n)
{
  int d = 0;
  do {
    d++;
    n /= 10;
  } while (n && d < 12);
  return d;
}

/* A do/while whose body runs once although its test fails, and a continue that
   goes to the test. */
static int odd_sum(int n)
{
  int i = 0, s = 0;
  do {
    i++;
    if (i % 2 == 0)
      continue;
    s += i;
  } while (i < n);
  return s;
}

/* Cases, fallthrough, default in the middle, enumerators as labels. */
static int classify(int v)
{
  int r = 0;
  switch (v) {
  case K_NONE:
    r = 100;
    break;
  case K_ONE:
    r += 1;
    /* fallthrough */
  case K_TWO:
    r += 2;
    break;
  default:
    r = -1;
  case K_MANY:
  case K_MANY + 1:
    r += 50;
    if (v == 11)
      break;
    r += 7;
  }
  return r;
}

/* return inside switch inside a loop, continue inside a switch. */
static long scan(int n)
{
  long acc = 0;
  for (int i = 0; i < 20; i++) {
    switch (i % 4) {
    case 0:
      continue;
    case 3:
      if (i > n)
        return acc * 1000 + i;
      break;
    default:
      acc += i;
    }
    acc++;
  }
  return acc;
}

/* A switch over an unsigned char without default, nested in a switch. */
static int nested(unsigned char c, int w)
{
  int r = 3;
  switch (w) {
  case 1:
    switch (c) {
    case 'a':
      r = 10;
      break;
    case 255:
      r = 20;
      break;
    }
    r++;
    break;
  case 2:
    do { r *= 2; } while (r < 40);
    break;
  }
  return r;
}
"#;

/// `classify` in Rust: `case 1` falls into `case 2`, the default into `K_MANY`.
fn classify(v: i64) -> i64 {
    match v {
        0 => 100,
        1 => 1 + 2,
        2 => 2,
        10 => 50 + 7,
        11 => 50,
        _ => -1 + 50 + 7,
    }
}

fn scan(n: i64) -> i64 {
    let mut acc = 0;
    for i in 0..20 {
        match i % 4 {
            0 => continue,
            3 => {
                if i > n {
                    return acc * 1000 + i;
                }
            }
            _ => acc += i,
        }
        acc += 1;
    }
    acc
}

#[test]
fn do_while_and_switch_match_c() {
    let dir = import_tree("csub_control");
    write_in(&dir, "control.bpf.c", CONTROL);
    let classify_in = [0, 1, 2, 3, 10, 11, -5];
    let scan_in = [2, 9, 30];
    let mut script = String::from("import \"control.bpf.c\";\nBEGIN {\n");
    script.push_str(
        "  printf(\"%d %d %d %d\\n\", digits(0), digits(7), digits(12345), digits(4294967295));\n",
    );
    script.push_str("  printf(\"%d %d %d\\n\", odd_sum(0), odd_sum(5), odd_sum(10));\n");
    for v in classify_in {
        script.push_str(&format!("  printf(\"%d\\n\", classify({v}));\n"));
    }
    for n in scan_in {
        script.push_str(&format!("  printf(\"%d\\n\", scan({n}));\n"));
    }
    script.push_str(
        "  printf(\"%d %d %d %d %d\\n\", nested(97, 1), nested(255, 1), nested(1, 1), nested(0, 2), nested(0, 3));\n",
    );
    script.push_str("  exit();\n}\n");
    write_in(&dir, "main.bt", &script);
    let src = dir.join("main.bt");
    let out = dir.join("main.o");
    let o = tracec(&[src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let Some(_k) = kernel_or_skip("csub_control") else {
        return;
    };
    let run = run_object_to_exit(&out, &[]);
    let mut want = String::from("1 1 5 10\n1 9 25\n");
    for v in classify_in {
        want.push_str(&format!("{}\n", classify(v)));
    }
    for n in scan_in {
        want.push_str(&format!("{}\n", scan(n)));
    }
    want.push_str("11 21 4 48 3\n");
    assert_eq!(run.stdout_text().trim_end(), want.trim_end());
}

#[test]
fn switch_and_do_errors_are_located() {
    let dir = import_tree("csub_control_errors");
    let cases = [
        (
            "static int f(int v) {\n  switch (v) {\n  case 1: return 1;\n  case 1: return 2;\n  }\n  return 0;\n}\n",
            "duplicate case value",
            "4:8",
        ),
        (
            "static int f(int v) {\n  switch (v) {\n  case v: return 1;\n  }\n  return 0;\n}\n",
            "expression is not an integer constant expression",
            "3:8",
        ),
        (
            "static int f(int v) {\n  case 2: return 1;\n}\n",
            "'case' statement not in switch statement",
            "2:3",
        ),
        (
            "static int f(int v) {\n  do v++; until (v);\n  return v;\n}\n",
            "expected `while`",
            "2:11",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}

const USER: &str = r#"
static long name_byte(const char *filename, int i)
{
  char c = 0;
  bpf_probe_read_user(&c, 1, filename + i);
  return c;
}

static long name_copy(const char *filename)
{
  char buf[40];
  long n = bpf_probe_read_user_str(buf, sizeof(buf), filename);
  return n * 1000 + buf[1];
}

struct ts { long long sec; long long nsec; };

static long sleep_ms(struct __kernel_timespec *ts)
{
  struct ts t = {};
  bpf_probe_read_user(&t, sizeof(t), ts);
  return t.sec * 1000 + t.nsec / 1000000;
}

static long sleep_ns(struct __kernel_timespec *ts)
{
  long ns = 0;
  bpf_probe_read_user(&ns, sizeof(ns), &ts->tv_nsec);
  return BPF_CORE_READ_USER(ts, tv_nsec) + ns;
}
"#;

/// `bpf_probe_read_user[_str]` and `BPF_CORE_READ_USER` read the syscall's user
/// memory (a file name, a timespec), as the script's `str()` and `uptr()` do.
#[test]
fn user_memory_reads() {
    let dir = import_tree("csub_user");
    write_in(&dir, "user.bpf.c", USER);
    write_in(
        &dir,
        "main.bt",
        "import \"user.bpf.c\";\n\
         tracepoint:syscalls:sys_enter_openat /pid == cpid && str(args.filename) == \"/nonexistent/tracec-csub-user\"/ {\n  \
         printf(\"%d %d\\n\", name_byte(args.filename, 1), name_copy(args.filename));\n}\n\
         tracepoint:syscalls:sys_enter_clock_nanosleep /pid == cpid/ {\n  \
         printf(\"%d %d\\n\", sleep_ms(args.rqtp), sleep_ns(args.rqtp));\n}\n",
    );
    let obj = compile_file(&dir.join("main.bt"), &dir.join("main.o"));
    let Some(_k) = kernel_or_skip("csub_user") else {
        return;
    };
    let run = run_object_to_exit(&obj, &["-c", "cat /nonexistent/tracec-csub-user"]);
    assert_eq!(run.stdout_text().trim(), "110 30110", "{:?}", run.err_lines);
    let run = run_object_to_exit(&obj, &["-c", "sleep 0.25"]);
    assert_eq!(
        run.stdout_text().trim(),
        "250 500000000",
        "{:?}",
        run.err_lines
    );
}

const STR_INTO: &str = r#"
static long leader_comm(struct task_struct *t)
{
  char buf[16];
  long n = BPF_CORE_READ_STR_INTO(&buf, t, group_leader, comm);
  return n * 1000 + buf[0];
}

static long parent_comm(struct task_struct *t)
{
  char buf[4];
  return BPF_CORE_READ_STR_INTO(&buf, t, real_parent, comm) * 1000 + buf[3];
}
"#;

/// `BPF_CORE_READ_STR_INTO` reads the last field (a char array) as a string, up to
/// the destination's size.
#[test]
fn core_read_str_into() {
    let dir = import_tree("csub_str_into");
    write_in(&dir, "s.bpf.c", STR_INTO);
    write_in(
        &dir,
        "main.bt",
        "import \"s.bpf.c\";\nBEGIN {\n  \
         printf(\"%d %d\\n\", leader_comm(curtask), (strlen(curtask->group_leader->comm) + 1) * 1000 + curtask->group_leader->comm[0]);\n  \
         printf(\"%d\\n\", parent_comm(curtask));\n  exit();\n}\n",
    );
    let obj = compile_file(&dir.join("main.bt"), &dir.join("main.o"));
    let Some(_k) = kernel_or_skip("csub_str_into") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    let text = run.stdout_text();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let (c, script) = first.split_once(' ').unwrap_or_else(|| panic!("{text}"));
    assert_eq!(c, script, "{text}");
    // tracerun's comm, 9 bytes with the NUL.
    assert_eq!(c, format!("{}", 9000 + i64::from(b't')), "{text}");
    // A 4-byte buffer: 3 bytes and the NUL.
    assert_eq!(lines.next(), Some("4000"), "{text}");
}

const RECORDS: &str = r#"
struct pair { long a; long b; };
struct box { struct pair p; int tag[2]; };

static struct pair make(long a, long b)
{
  struct pair r = { a, b };
  if (a > b) {
    r.a = b;
    r.b = a;
    return r;
  }
  return r;
}

static long span_of(struct pair p) { return p.b - p.a; }

static struct box boxed(long a, long b)
{
  struct box x = {};
  x.p = make(a, b);
  x.tag[1] = span_of(x.p);
  return x;
}

static long total(long a, long b)
{
  struct box x = boxed(a, b);
  struct pair q;
  q = make(x.tag[1], 1);
  return x.p.a * 1000 + x.p.b * 100 + x.tag[1] * 10 + span_of(q);
}
"#;

/// Structs passed and returned by value between C functions, and returned to the
/// script as records (an array member as a tuple).
#[test]
fn structs_by_value() {
    let dir = import_tree("csub_records");
    write_in(&dir, "r.bpf.c", RECORDS);
    write_in(
        &dir,
        "main.bt",
        "import \"r.bpf.c\";\nBEGIN {\n  \
         printf(\"%d %d\\n\", total(2, 7), total(9, 4));\n  \
         $r = make(5, 3);\n  printf(\"%d %d %d\\n\", $r.a, $r.b, span_of($r));\n  \
         print(boxed(1, 4));\n  exit();\n}\n",
    );
    let obj = compile_file(&dir.join("main.bt"), &dir.join("main.o"));
    let Some(_k) = kernel_or_skip("csub_records") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    // total(2, 7): p = (2, 7), tag[1] = 5, q = make(5, 1) = (1, 5), span 4.
    // total(9, 4): p = (4, 9), tag[1] = 5, the same q.
    assert_eq!(
        run.stdout_text().trim_end(),
        "2754 4954\n3 5 2\n{ .p = { .a = 1, .b = 4 }, .tag = (0, 3) }",
    );
}

const STRINGS: &str = r#"
static int is_tracerun(struct task_struct *t)
{
  char c[16];
  bpf_probe_read_kernel_str(c, sizeof(c), t->comm);
  return __builtin_memcmp(c, "trace" "run", 9) == 0;
}

static int order(void)
{
  char a[3] = {'a', 'b', 'c'};
  return __builtin_memcmp(a, "abd", 3) * 100 + memcmp("b", "a", 1) * 10 + memcmp(a, a, 3);
}

static int comm_is(struct task_struct *t)
{
  const char *name = t->comm;
  return memcmp(name, "trac", 4) == 0 && memcmp(name, "tracd", 5) > 0 && memcmp(name, "tracx", 5) < 0;
}

#define LOG(fmt, ...) bpf_printk(fmt, ##__VA_ARGS__)

static void hello(int x)
{
  LOG("tracec-csub-printk\n");
  LOG("tracec-csub-printk %d %d\n", x, x + 1);
}
"#;

/// String literals as `bpf_printk` formats (the script's `debugf`, to the trace
/// buffer; through a variadic macro) and `memcmp` operands.
#[test]
fn string_literals() {
    let dir = import_tree("csub_strings");
    write_in(&dir, "s.bpf.c", STRINGS);
    write_in(
        &dir,
        "main.bt",
        "import \"s.bpf.c\";\nBEGIN {\n  \
         printf(\"%d %d %d\\n\", is_tracerun(curtask), order(), comm_is(curtask));\n  \
         hello(4242);\n  exit();\n}\n",
    );
    let obj = compile_file(&dir.join("main.bt"), &dir.join("main.o"));
    let Some(_k) = kernel_or_skip("csub_strings") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    // memcmp("abc", "abd") is 'c' - 'd'; memcmp("b", "a") is 1; equal bytes give 0.
    assert_eq!(run.stdout_text().trim_end(), "1 -90 1");
    let trace = std::fs::read_to_string("/sys/kernel/tracing/trace").unwrap_or_default();
    assert!(trace.contains("tracec-csub-printk 4242 4243"), "{trace}");
}
