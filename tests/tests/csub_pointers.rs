//! Imported `.bpf.c` helpers over pointers and structs, end to end: a script
//! importing C that walks `curtask->real_parent->tgid` through pointers, fills and
//! copies struct and array locals, reads with `bpf_probe_read_kernel` and
//! `BPF_CORE_READ`, fills a caller's struct through a pointer, and returns integers
//! and pointers; every line the script prints
//! holds the C helper's result beside the same logic written in the script.

use tracec_tests::*;

const TYPES_H: &str = "struct span { unsigned long long lo; unsigned long long hi; };\n";

const TASKS: &str = r#"#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define COMM_LEN 16
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

struct ids {
  __u32 pid;
  __u32 ppid;
  __u64 sum;
};
typedef struct ids ids_t;
enum step { FIRST = 1, SECOND, THIRD };

/* The parent's tgid, or -1 without a parent. */
static __always_inline int parent_tgid(struct task_struct *t)
{
  const struct task_struct *p = t->real_parent;
  if (p == NULL)
    return -1;
  return p->tgid;
}

static struct task_struct *parent_of(struct task_struct *t)
{
  return BPF_CORE_READ(t, real_parent);
}

static __u64 sum_ids(struct task_struct *t)
{
  ids_t v = {};
  v.pid = t->tgid;
  bpf_probe_read_kernel(&v.ppid, sizeof(v.ppid), &t->real_parent->tgid);
  ids_t copy = v;
  copy.sum = copy.pid + copy.ppid;
  int extra[4] = {1, 2, THIRD};
  for (int i = 0; i < 4; i++)
    copy.sum += extra[i];
  return copy.sum;
}

static int grandparent_tgid(void)
{
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  return BPF_CORE_READ(t, real_parent, real_parent, tgid);
}

static __u32 current_pid(void)
{
  return bpf_get_current_pid_tgid() >> 32;
}

static int comm_at(struct task_struct *t, int i)
{
  char comm[COMM_LEN];
  bpf_probe_read_kernel(&comm, sizeof(comm), t->comm);
  return comm[i];
}

static long spread(struct task_struct *t)
{
  struct span s = { .hi = t->tgid };
  s.lo = t->real_parent->tgid;
  volatile struct task_struct *a = t;
  struct task_struct *b = (struct task_struct *)a + 2;
  if (!a || b - (struct task_struct *)a != 2 || (__u64)b - (__u64)a != 2 * sizeof(*t))
    return -1;
  return s.hi - s.lo + sizeof(struct span);
}

static int larger_tgid(struct task_struct *t)
{
  return MAX(t->tgid, BPF_CORE_READ(t, real_parent, tgid));
}

/* Fills a caller's struct through a pointer. */
static void fill(struct ids *out, struct task_struct *t)
{
  if (!out)
    return;
  out->pid = t->tgid;
  BPF_CORE_READ_INTO(&out->ppid, t, real_parent, tgid);
  out->sum = out->pid * 2 + out->ppid;
}

static __u64 filled(struct task_struct *t)
{
  struct ids v;
  __builtin_memset(&v, 0, sizeof(v));
  fill(&v, t);
  return v.sum;
}
"#;

const MAIN: &str = r#"import "types.h";
import "tasks.bpf.c";
BEGIN {
  $task = curtask;
  printf("%d %d\n", parent_tgid($task), $task->real_parent->tgid);
  $p = parent_of($task);
  printf("%d %d\n", $p->tgid, $task->real_parent->tgid);
  printf("%d %d\n", sum_ids($task), $task->tgid + $task->real_parent->tgid + 6);
  printf("%d %d\n", grandparent_tgid(), curtask->real_parent->real_parent->tgid);
  printf("%d %d\n", current_pid(), pid);
  printf("%d %d\n", comm_at($task, 0), $task->comm[0]);
  printf("%d %d\n", spread($task), $task->tgid - $task->real_parent->tgid + (int64)sizeof(struct span));
  printf("%d %d\n", sizeof(struct ids), 16);
  printf("%d %d\n", filled($task), $task->tgid * 2 + $task->real_parent->tgid);
  $a = $task->tgid; $b = $task->real_parent->tgid;
  printf("%d %d\n", larger_tgid($task), $a > $b ? $a : $b);
  exit();
}
"#;

#[test]
fn c_helpers_over_pointers_and_structs_match_the_script() {
    let dir = import_tree("csub_pointers");
    write_in(&dir, "types.h", TYPES_H);
    write_in(&dir, "tasks.bpf.c", TASKS);
    write_in(&dir, "main.bt", MAIN);
    let src = dir.join("main.bt");
    let out = dir.join("main.o");
    let o = tracec(&[src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    // C's conversions are explicit in the translation: the script warns of none.
    assert!(!err.contains("warning"), "{err}");
    let Some(_k) = kernel_or_skip("csub_pointers") else {
        return;
    };
    let run = run_object_to_exit(&out, &[]);
    let text = run.stdout_text();
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 10, "{text}");
    for l in &lines {
        let (c, script) = l.split_once(' ').unwrap_or_else(|| panic!("{text}"));
        assert_eq!(c, script, "{text}");
        let v: i64 = c.parse().unwrap_or_else(|_| panic!("{text}"));
        assert!(v > 0, "{text}");
    }
}

const NAMES: &str = r#"
static const char *task_name(struct task_struct *t) { return t->comm; }

static const unsigned char *exe_name(struct task_struct *t)
{
  struct file *f = BPF_CORE_READ(t, mm, exe_file);
  if (!f)
    return NULL;
  return BPF_CORE_READ(f, f_path.dentry, d_name.name);
}

/* A buffer longer than the source: the read stops at the NUL. */
static long copied_len(struct task_struct *t)
{
  char buf[32];
  return bpf_probe_read_kernel_str(&buf, sizeof(buf), t->comm) - 1 + (buf[0] == 't');
}

static int name_len(struct task_struct *t)
{
  const char *s = task_name(t);
  int n = 0;
  for (int i = 0; i < 16; i++) {
    if (s[i] == 0)
      break;
    n++;
  }
  return n;
}
"#;

/// `char *` results are the script's `int8 *`, which `str()` reads.
#[test]
fn char_pointers_returned_to_str() {
    let dir = import_tree("csub_names");
    write_in(&dir, "names.bpf.c", NAMES);
    write_in(
        &dir,
        "main.bt",
        "import \"names.bpf.c\";\nBEGIN {\n  \
         printf(\"%s %s\\n\", str(task_name(curtask)), comm);\n  \
         printf(\"%s %s\\n\", str(exe_name(curtask)), str(curtask->mm->exe_file->f_path.dentry->d_name.name));\n  \
         printf(\"%d %d\\n\", name_len(curtask), strlen(comm));\n  \
         printf(\"%d\\n\", copied_len(curtask));\n  exit();\n}\n",
    );
    let obj = compile_file(&dir.join("main.bt"), &dir.join("main.o"));
    let Some(_k) = kernel_or_skip("csub_names") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    assert_eq!(
        run.stdout_text().trim_end(),
        "tracerun tracerun\ntracerun tracerun\n8 8\n9"
    );
}

#[test]
fn constructs_outside_the_subset_are_located_in_the_c_file() {
    let dir = import_tree("csub_pointers_errors");
    let cases = [
        (
            "static int f(struct task_struct *t) {\n  t->pid = 1;\n  return 0;\n}\n",
            "writing to memory through a pointer",
            "2:3",
        ),
        (
            "union u { struct task_struct t; char c; };\nstatic int f(struct task_struct *t) {\n  union u v;\n  return 0;\n}\n",
            "a local `union u`",
            "3:11",
        ),
        (
            "static int f(struct task_struct *t) {\n  int x = 1;\n  return *&x + (long)&x;\n}\n",
            "the address of a local",
            "3:22",
        ),
    ];
    assert_c_errors_located(&dir, "f(curtask)", &cases);
}
