//! Writes through pointers into memory the program owns, in imported `.bpf.c`
//! helpers: struct members and array elements reached through a pointer to a
//! caller's local, arrays passed on (decaying to a pointer to their first
//! element) and written through `p[i]`, `*p` and `p->f`. The same file is built
//! with the host's C compiler; both print the same calls.

use tracec_tests::*;

const WRITES: &str = r#"
struct s { int a[4]; int n; };
struct pt { long x; long y; };

static void fill(struct s *o, int i) { o->a[i] = 7; o->n += 1; }
static void put(int *p, int i) { p[i] = 5; *p += 1; }
static void again(int *p) { put(p, 2); }
static void first(struct pt *p) { p->x = 40; p[1].y = 2; }

static int writes(int i)
{
  struct s x = {};
  fill(&x, i);
  fill(&x, 0);
  put(x.a, 3);
  int arr[3] = {};
  put(arr, 1);
  again(arr);
  struct pt pts[2] = {};
  first(pts);
  return x.a[i] * 1000 + x.n * 100 + x.a[3] * 10 + arr[1] + arr[0] * 100000 + arr[2] * 1000000
         + (int)(pts[0].x + pts[1].y) * 10000000;
}
"#;

const CALLS: &[&str] = &["writes(0)", "writes(1)", "writes(2)", "writes(3)"];

#[test]
fn writes_through_pointers_to_locals_match_c() {
    let dir = import_tree("csub_writes");
    write_in(&dir, "w.bpf.c", WRITES);
    let mut script = String::from("import \"w.bpf.c\";\nBEGIN {\n");
    let mut c = String::from("#include <stdio.h>\n#include \"w.bpf.c\"\nint main(void)\n{\n");
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
    let Some(_k) = kernel_or_skip("csub_writes") else {
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
fn writes_to_kernel_memory_are_refused() {
    let dir = import_tree("csub_writes_errors");
    let cases = [
        (
            "static int f(int v) {\n  struct task_struct *t = bpf_get_current_task_btf();\n  t->pid = v;\n  return v;\n}\n",
            "writing to memory through a pointer (BPF tracing programs only read it)",
            "3:3",
        ),
        (
            "static void g(int *p) { p[1] = 2; }\nstatic int f(int v) {\n  g(&v);\n  return v;\n}\n",
            "an index other than 0 on a pointer to a local that is no array",
            "1:27",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}
