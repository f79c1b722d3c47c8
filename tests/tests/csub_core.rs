//! libbpf's CO-RE questions in imported `.bpf.c` files (`bpf_core_field_exists`,
//! `bpf_core_field_size`, `bpf_core_field_offset`, `bpf_core_type_exists`,
//! `bpf_core_type_size`, `bpf_core_enum_value_exists`), end to end: answered for
//! the running kernel, equal to the script's `offsetof`/`sizeof`; and, compiled
//! against another kernel's BTF (one the host's C compiler writes), answered by
//! the loader for the kernel it runs on, not the one it was compiled for.

use std::process::Command;
use tracec_tests::*;

const CORE: &str = r#"
enum my_e { MY_A, MY_B };
struct mine { int a; char b[6]; };

static long fields(struct task_struct *t)
{
  long r = 0;
  if (bpf_core_field_exists(t->pid))
    r += 1;
  if (bpf_core_field_exists(struct task_struct, tgid))
    r += 10;
  if (bpf_core_field_exists(t->tracec_no_such_field))
    r += 100;
  if (bpf_core_field_exists(t->se.vruntime))
    r += 1000;
  return r + bpf_core_field_size(t->comm) * 10000;
}

static long offsets(struct task_struct *t)
{
  return bpf_core_field_offset(t->pid) * 100000
         + bpf_core_field_offset(struct task_struct, se.vruntime);
}

static long types(void)
{
  return bpf_core_type_exists(struct task_struct)
         + bpf_core_type_exists(struct tracec_no_such_type) * 10
         + bpf_core_type_exists(enum my_e) * 100
         + bpf_core_enum_value_exists(enum pid_type, PIDTYPE_TGID) * 1000
         + bpf_core_enum_value_exists(enum pid_type, TRACEC_NO_SUCH) * 10000
         + bpf_core_enum_value_exists(enum my_e, MY_B) * 100000;
}

static long sizes(void)
{
  struct mine m = {};
  return bpf_core_type_size(struct task_struct) * 1000 + bpf_core_type_size(struct mine) * 10
         + bpf_core_field_size(m.b);
}
"#;

#[test]
fn core_questions_match_the_running_kernel() {
    if !has_kernel_btf() {
        eprintln!("skipping: no kernel BTF");
        return;
    }
    let dir = import_tree("csub_core");
    write_in(&dir, "core.bpf.c", CORE);
    write_in(
        &dir,
        "main.bt",
        "import \"core.bpf.c\";\nBEGIN {\n  \
         printf(\"%d %d %d %d\\n\", fields(curtask), offsets(curtask), types(), sizes());\n  \
         printf(\"%d %d\\n\", offsetof(struct task_struct, pid) * 100000 + offsetof(struct task_struct, se.vruntime), \
         sizeof(struct task_struct) * 1000 + 126);\n  exit();\n}\n",
    );
    let obj = compile_file(&dir.join("main.bt"), &dir.join("main.o"));
    let Some(_k) = kernel_or_skip("csub_core") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    let text = run.stdout_text();
    let mut lines = text.lines();
    let c: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    let script: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    // pid, tgid, se.vruntime exist, the made-up field not; comm is 16 bytes.
    assert_eq!(c[0], "161011", "{text}");
    assert_eq!(c[1], script[0], "{text}");
    // task_struct, enum my_e, PIDTYPE_TGID and MY_B exist, the made-up names not.
    assert_eq!(c[2], "101101", "{text}");
    // struct mine is 12 bytes, its b 6.
    assert_eq!(c[3], script[1], "{text}");
}

/// A made-up kernel: its task_struct is small, has a field and there is a type
/// the running kernel lacks.
const OTHER_KERNEL: &str = r#"
struct sched_entity { unsigned long long vruntime; };
struct task_struct { int pid; int tgid; long tracec_fake_field; struct sched_entity se; char comm[16]; };
struct tracec_fake_type { int x; };
struct task_struct t1;
struct tracec_fake_type t2;
"#;

#[test]
fn core_questions_are_answered_by_the_loader() {
    let dir = import_tree("csub_core_reloc");
    let src = dir.join("other.c");
    std::fs::write(&src, OTHER_KERNEL).unwrap();
    let btf = dir.join("other.o");
    match Command::new("cc")
        .args(["-gbtf", "-c", "-o"])
        .arg(&btf)
        .arg(&src)
        .output()
    {
        Ok(o) if o.status.success() => {}
        other => {
            eprintln!("skipping: no C compiler writing BTF (cc -gbtf): {other:?}");
            return;
        }
    }
    write_in(
        &dir,
        "q.bpf.c",
        "static long ask(struct task_struct *t)\n{\n  \
         return bpf_core_field_exists(t->pid) + bpf_core_field_exists(t->tracec_fake_field) * 10\n    \
         + bpf_core_type_exists(struct tracec_fake_type) * 100 + bpf_core_type_exists(struct task_struct) * 1000;\n}\n\
         static long size(void) { return bpf_core_type_size(struct task_struct); }\n\
         static long off(struct task_struct *t) { return bpf_core_field_offset(t->pid); }\n",
    );
    write_in(
        &dir,
        "main.bt",
        "import \"q.bpf.c\";\nBEGIN { printf(\"%d %d %d\\n\", ask(curtask), size(), off(curtask)); exit(); }\n",
    );
    let obj = dir.join("main.o");
    let o = tracec(&[
        "--btf",
        btf.to_str().unwrap(),
        dir.join("main.bt").to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    if !has_kernel_btf() {
        return;
    }
    let Some(_k) = kernel_or_skip("csub_core_reloc") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    // Compiled for a 40-byte task_struct with pid at 0, a field and a type the
    // running kernel lacks: the loader's answers are the running kernel's.
    let want = run_to_exit(
        "csub_core_reloc_script",
        "BEGIN { printf(\"1001 %d %d\\n\", sizeof(struct task_struct), offsetof(struct task_struct, pid)); exit(); }",
        &[],
    );
    assert_eq!(run.stdout_text().trim(), want.stdout_text().trim());
    assert_ne!(run.stdout_text().trim(), "1111 40 0");
}

#[test]
fn core_question_errors_are_located() {
    let dir = import_tree("csub_core_errors");
    let cases = [
        (
            "static long f(int v) {\n  return bpf_core_field_exists(v);\n}\n",
            "a CO-RE question about something other than a field",
            "2:32",
        ),
        (
            "static long f(int v) {\n  return bpf_core_type_size(v);\n}\n",
            "expected a type",
            "2:29",
        ),
        (
            "static long f(int v) {\n  return bpf_core_enum_value_exists(enum pid_type);\n}\n",
            "bpf_core_enum_value_exists() takes 2 arguments, not 1",
            "2:10",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}

/// A made-up kernel whose `enum pid_type` numbers its enumerators otherwise and
/// has one the running kernel lacks.
const OTHER_ENUMS: &str = r#"
enum pid_type { PIDTYPE_PID, PIDTYPE_X, PIDTYPE_Y, PIDTYPE_SID = 5, PIDTYPE_TGID = 7, TRACEC_FAKE_E };
enum pid_type v;
"#;

#[test]
fn enum_values_are_relocated_by_the_loader() {
    let dir = import_tree("csub_core_enum");
    let src = dir.join("other.c");
    std::fs::write(&src, OTHER_ENUMS).unwrap();
    let btf = dir.join("other.o");
    match Command::new("cc")
        .args(["-gbtf", "-c", "-o"])
        .arg(&btf)
        .arg(&src)
        .output()
    {
        Ok(o) if o.status.success() => {}
        other => {
            eprintln!("skipping: no C compiler writing BTF (cc -gbtf): {other:?}");
            return;
        }
    }
    write_in(
        &dir,
        "e.bpf.c",
        "static long ev(void)\n{\n  \
         return bpf_core_enum_value(enum pid_type, PIDTYPE_TGID) * 100\n    \
         + bpf_core_enum_value(enum pid_type, PIDTYPE_SID) * 10\n    \
         + bpf_core_enum_value_exists(enum pid_type, TRACEC_FAKE_E);\n}\n",
    );
    // The script's own PIDTYPE_* are the compile-time BTF's constants.
    write_in(
        &dir,
        "main.bt",
        "import \"e.bpf.c\";\nBEGIN { printf(\"%d %d\\n\", ev(), PIDTYPE_TGID * 100 + PIDTYPE_SID * 10 + 1); exit(); }\n",
    );
    let obj = dir.join("main.o");
    let o = tracec(&[
        "--btf",
        btf.to_str().unwrap(),
        dir.join("main.bt").to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    if !has_kernel_btf() {
        return;
    }
    let Some(_k) = kernel_or_skip("csub_core_enum") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    // Compiled for TGID = 7, SID = 5 and an enumerator the running kernel lacks:
    // the loader's answers are the running kernel's values, and "absent".
    let want = run_to_exit(
        "csub_core_enum_script",
        "BEGIN { printf(\"%d 751\\n\", PIDTYPE_TGID * 100 + PIDTYPE_SID * 10); exit(); }",
        &[],
    );
    assert_eq!(run.stdout_text().trim(), want.stdout_text().trim());
}
