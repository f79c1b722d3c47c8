//! CO-RE end to end: kernel struct fields read through relocations.
//!
//! The script is compiled against a rewritten copy of the running kernel's BTF in which
//! the fields it reads sit at other offsets; the object must still print the right
//! values on this kernel, because the loader relocates every field offset. A field the
//! running kernel lacks must make `tracerun` refuse with the probe, type and field.

use std::process::{Command, Stdio};
use tracec_tests::btf_rewrite::BtfBlob;
use tracec_tests::*;

const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

/// The running kernel's BTF with `edit` applied, written to `dir/name`.
fn rewritten_btf(
    dir: &std::path::Path,
    name: &str,
    edit: impl FnOnce(&mut BtfBlob),
) -> std::path::PathBuf {
    let bytes = std::fs::read(VMLINUX).expect("read vmlinux BTF");
    let mut blob = BtfBlob::parse(bytes).expect("parse vmlinux BTF");
    edit(&mut blob);
    let path = dir.join(name);
    std::fs::write(&path, blob.into_bytes()).expect("write BTF");
    path
}

fn compile_with_btf(
    dir: &std::path::Path,
    name: &str,
    script: &str,
    btf: &std::path::Path,
) -> Result<std::path::PathBuf, String> {
    let src = dir.join(format!("{name}.bt"));
    let obj = dir.join(format!("{name}.o"));
    std::fs::write(&src, script).expect("write script");
    let o = tracec(&[
        src.to_str().unwrap(),
        "--btf",
        btf.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    if o.status.success() {
        Ok(obj)
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// `tracerun obj` as a direct child of this process: (exit code, stdout, stderr).
fn run_child(obj: &std::path::Path) -> (Option<i32>, String, String) {
    let out = Command::new(bin("tracerun"))
        .arg(obj)
        .stdin(Stdio::null())
        .output()
        .expect("run tracerun");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const FIELDS: &str = r#"BEGIN
{
  printf("%d %d %d %d %d %s %s\n", pid, tid, curtask->tgid, curtask->pid,
         curtask->real_parent->tgid, curtask->comm, comm);
  exit();
}
"#;

#[test]
fn fields_are_relocated_to_the_running_kernels_offsets() {
    let Some(_k) = kernel_or_skip("core_relocated") else {
        return;
    };
    let dir = scratch("core-moved");
    let mut moved = Vec::new();
    let btf = rewritten_btf(&dir, "moved.btf", |b| {
        for field in ["pid", "tgid", "real_parent", "comm"] {
            let old = b
                .member("task_struct", field)
                .expect("task_struct field")
                .byte_offset;
            let new = b.move_member("task_struct", field, 64).expect("move field");
            moved.push((field, old, new));
        }
    });
    let obj = compile_with_btf(&dir, "fields", FIELDS, &btf).expect("compile");

    // The object really holds the rewritten offsets: without relocation they are wrong.
    let src = dir.join("fields.bt");
    let asm = tracec(&[
        src.to_str().unwrap(),
        "--btf",
        btf.to_str().unwrap(),
        "--emit",
        "asm",
    ]);
    let asm = String::from_utf8_lossy(&asm.stdout);
    for (field, old, new) in &moved {
        assert!(
            asm.contains(&format!("= {new}\n")) && !asm.contains(&format!("= {old}\n")),
            "{field}: expected the rewritten offset {new} (not {old}) in\n{asm}"
        );
    }

    // libbpf (through bpftool) applies the same relocations.
    let pin = format!("/sys/fs/bpf/tracec-core-{}", std::process::id());
    let o = Command::new("bpftool")
        .args(["-d", "prog", "loadall", obj.to_str().unwrap(), &pin])
        .output()
        .expect("bpftool is installed");
    let _ = std::fs::remove_dir_all(&pin);
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "bpftool prog loadall failed:\n{log}");
    for (field, old, new) in &moved {
        assert!(
            log.contains(&format!("(ALU/ALU64) imm {new} -> {old}")),
            "{field}: libbpf did not relocate {new} to {old}:\n{log}"
        );
    }

    let (code, out, err) = run_child(&obj);
    assert_eq!(code, Some(0), "stderr: {err}");
    let words: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(words.len(), 7, "output: {out:?}");
    let me = std::process::id().to_string();
    assert_eq!(words[2], words[0], "curtask->tgid == pid");
    assert_eq!(words[3], words[1], "curtask->pid == tid");
    assert_eq!(
        words[4], me,
        "curtask->real_parent->tgid is this test process"
    );
    assert_eq!(words[5], "tracerun", "curtask->comm");
    assert_eq!(words[6], "tracerun", "comm");
}

#[test]
fn a_field_missing_on_the_running_kernel_is_named() {
    let Some(_k) = kernel_or_skip("core_missing") else {
        return;
    };
    let dir = scratch("core-missing");
    let btf = rewritten_btf(&dir, "extra.btf", |b| {
        b.rename_member("task_struct", "pdeath_signal", "tracec_extra_field")
            .expect("rename");
    });
    let script = "BEGIN { printf(\"%d\\n\", curtask->tracec_extra_field); exit(); }\n";
    let obj = compile_with_btf(&dir, "missing", script, &btf).expect("compile");
    let (code, out, err) = run_child(&obj);
    assert_ne!(code, Some(0), "stdout: {out}");
    let errors: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "one clear error, got:\n{err}");
    for want in ["BEGIN", "struct task_struct", "tracec_extra_field"] {
        assert!(
            errors[0].contains(want),
            "`{want}` missing from: {}",
            errors[0]
        );
    }
}

#[test]
fn compile_errors_name_unknown_structs_and_fields() {
    let dir = scratch("core-errors");
    if !std::path::Path::new(VMLINUX).exists() {
        if kernel_required() {
            panic!("{VMLINUX} is missing");
        }
        eprintln!("skipping: {VMLINUX} is missing");
        return;
    }
    let btf = std::path::Path::new(VMLINUX);
    let err = compile_with_btf(
        &dir,
        "f",
        "BEGIN { printf(\"%d\\n\", curtask->tigd); }",
        btf,
    )
    .unwrap_err();
    assert!(err.contains("has no field `tigd`"), "{err}");
    assert!(err.contains("did you mean `tgid`?"), "{err}");
    let err = compile_with_btf(
        &dir,
        "s",
        "BEGIN { $t = (struct task_strct *)0; printf(\"%d\\n\", $t->pid); }",
        btf,
    )
    .unwrap_err();
    assert!(err.contains("unknown struct `task_strct`"), "{err}");
    assert!(err.contains("did you mean `struct task_struct`?"), "{err}");
    let err = compile_with_btf(
        &dir,
        "n",
        "BEGIN { printf(\"%d\\n\", curtask->pid->x); }",
        btf,
    )
    .unwrap_err();
    assert!(err.contains("cannot access field `x`"), "{err}");
}

#[test]
fn tracepoint_fields_are_relocated() {
    let Some(_k) = kernel_or_skip("core_tracepoint") else {
        return;
    };
    let dir = scratch("core-tp");
    let mut moved = 0;
    let btf = rewritten_btf(&dir, "tp.btf", |b| {
        moved = b
            .move_member("trace_event_raw_sched_switch", "prev_pid", 4)
            .expect("move prev_pid");
    });
    let script =
        "tracepoint:sched:sched_switch { printf(\"%d %d\\n\", args->prev_pid, tid); exit(); }\n";
    let obj = compile_with_btf(&dir, "tp", script, &btf).expect("compile");
    let src = dir.join("tp.bt");
    let ir = tracec(&[
        src.to_str().unwrap(),
        "--btf",
        btf.to_str().unwrap(),
        "--emit",
        "ir",
    ]);
    let ir = String::from_utf8_lossy(&ir.stdout);
    let want = format!("core byte_off(struct trace_event_raw_sched_switch, prev_pid) = {moved}");
    assert!(ir.contains(&want), "`{want}` missing from\n{ir}");
    let (code, out, err) = run_child(&obj);
    assert_eq!(code, Some(0), "stderr: {err}");
    // Other CPUs may switch before exit() takes effect: every line must hold.
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .collect();
    assert!(!lines.is_empty(), "no output");
    for w in &lines {
        assert_eq!(w.len(), 2, "output: {out:?}");
        assert_eq!(
            w[0], w[1],
            "args->prev_pid is the switching-out task: {out:?}"
        );
    }
}

#[test]
fn integer_casts_truncate_and_extend() {
    let Some(_k) = kernel_or_skip("core_casts") else {
        return;
    };
    let dir = scratch("core-casts");
    let script = "BEGIN { $x = 0x1ff; $m = -2; printf(\"%d %d %d %d %d\\n\", (uint8)$x, (int8)$x, (int16)$m, (uint32)$m, (uint64)$m); exit(); }\n";
    let obj = compile_text(&dir, "casts", script);
    let (code, out, err) = run_child(&obj);
    assert_eq!(code, Some(0), "stderr: {err}");
    // `%d` sees an `int`, as in C and bpftrace: (uint32)-2 prints -2.
    assert_eq!(out.trim_end(), "255 -1 -2 -2 -2");
}

/// Runs `bpftool prog loadall` on `obj` (libbpf applies the relocations) and returns
/// its debug log.
fn libbpf_log(obj: &std::path::Path, tag: &str) -> String {
    let pin = format!("/sys/fs/bpf/tracec-core-{tag}-{}", std::process::id());
    let o = Command::new("bpftool")
        .args(["-d", "prog", "loadall", obj.to_str().unwrap(), &pin])
        .output()
        .expect("bpftool is installed");
    let _ = std::fs::remove_dir_all(&pin);
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "bpftool prog loadall failed:\n{log}");
    log
}

const SIZES: &str = r#"BEGIN
{
  printf("%d %d %d %d %s %s\n", pid, tid, curtask->tgid, curtask->pid, curtask->comm, comm);
  exit();
}
"#;

#[test]
fn field_sizes_are_relocated_to_the_running_kernels_sizes() {
    let Some(_k) = kernel_or_skip("core_sizes") else {
        return;
    };
    let dir = scratch("core-sizes");
    let btf = rewritten_btf(&dir, "sizes.btf", |b| {
        // `pid` as an 8-byte long: unrelocated, the read would take `tgid` along.
        let long = b.int_type("long int").expect("long int");
        b.retype_member("task_struct", "pid", long).expect("pid");
        // `tgid` as a 1-byte char: unrelocated, only its low byte would be read.
        let ch = b.int_type("char").expect("char");
        b.retype_member("task_struct", "tgid", ch).expect("tgid");
        // `comm` elsewhere and 24 bytes long.
        let arr = b.member_type("task_struct", "comm").expect("comm type");
        let wide = b.add_array_like(arr, 24).expect("char[24]");
        b.retype_member("task_struct", "comm", wide).expect("comm");
        b.move_member("task_struct", "comm", 64).expect("move comm");
    });
    let obj = compile_with_btf(&dir, "sizes", SIZES, &btf).expect("compile");

    // The object holds the rewritten sizes; libbpf relocates them back.
    let log = libbpf_log(&obj, "sizes");
    for (field, local, real) in [("pid", 8, 4), ("tgid", 1, 4), ("comm", 24, 16)] {
        assert!(
            log.contains(&format!("(ALU/ALU64) imm {local} -> {real}")),
            "{field}: libbpf did not relocate the size {local} to {real}:\n{log}"
        );
    }

    // aya (tracerun) too: the values are whole.
    let (code, out, err) = run_child(&obj);
    assert_eq!(code, Some(0), "stderr: {err}");
    let words: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(words.len(), 6, "output: {out:?}");
    assert_eq!(words[2], words[0], "curtask->tgid == pid: {out}");
    assert_eq!(words[3], words[1], "curtask->pid == tid: {out}");
    assert_eq!(words[4], "tracerun", "curtask->comm");
    assert_eq!(words[5], "tracerun", "comm");
}

#[test]
fn tracepoint_char_arrays_are_relocated() {
    let Some(_k) = kernel_or_skip("core_tp_chars") else {
        return;
    };
    let dir = scratch("core-tp-chars");
    let mut moved = 0;
    let btf = rewritten_btf(&dir, "tpc.btf", |b| {
        let rec = "trace_event_raw_sched_switch";
        let arr = b.member_type(rec, "prev_comm").expect("prev_comm type");
        let wide = b.add_array_like(arr, 20).expect("char[20]");
        b.retype_member(rec, "prev_comm", wide).expect("retype");
        moved = b.move_member(rec, "prev_comm", 4).expect("move prev_comm");
    });
    let script =
        "tracepoint:sched:sched_switch { printf(\"%s|%s\\n\", args->prev_comm, comm); exit(); }\n";
    let obj = compile_with_btf(&dir, "tpc", script, &btf).expect("compile");
    let src = dir.join("tpc.bt");
    let ir = tracec(&[
        src.to_str().unwrap(),
        "--btf",
        btf.to_str().unwrap(),
        "--emit",
        "ir",
    ]);
    let ir = String::from_utf8_lossy(&ir.stdout);
    for want in [
        format!("core byte_off(struct trace_event_raw_sched_switch, prev_comm) = {moved}"),
        "core byte_sz(struct trace_event_raw_sched_switch, prev_comm) = 20".to_string(),
    ] {
        assert!(ir.contains(&want), "`{want}` missing from\n{ir}");
    }
    let log = libbpf_log(&obj, "tpc");
    for want in [
        format!("imm {moved} -> {}", moved - 4),
        "imm 20 -> 16".into(),
    ] {
        assert!(log.contains(&want), "libbpf: `{want}` missing:\n{log}");
    }
    let (code, out, err) = run_child(&obj);
    assert_eq!(code, Some(0), "stderr: {err}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    assert!(!lines.is_empty(), "no output");
    for l in lines {
        let (prev, me) = l.split_once('|').unwrap_or_else(|| panic!("{out:?}"));
        assert_eq!(
            prev, me,
            "args->prev_comm is the switching-out task: {out:?}"
        );
    }
}

#[test]
fn a_char_array_missing_on_the_running_kernel_is_named() {
    let Some(_k) = kernel_or_skip("core_missing_chars") else {
        return;
    };
    let dir = scratch("core-missing-chars");
    let btf = rewritten_btf(&dir, "extra.btf", |b| {
        b.rename_member("task_struct", "comm", "tracec_extra_comm")
            .expect("rename");
    });
    let script = "BEGIN { printf(\"%s\\n\", curtask->tracec_extra_comm); exit(); }\n";
    let obj = compile_with_btf(&dir, "missing", script, &btf).expect("compile");
    let (code, out, err) = run_child(&obj);
    assert_ne!(code, Some(0), "stdout: {out}");
    let errors: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "one clear error, got:\n{err}");
    for want in ["BEGIN", "struct task_struct", "`tracec_extra_comm`"] {
        assert!(
            errors[0].contains(want),
            "`{want}` missing from: {}",
            errors[0]
        );
    }
}

#[test]
fn kernel_enum_constants_are_integers() {
    let Some(_k) = kernel_or_skip("core_enums") else {
        return;
    };
    let dir = scratch("core-enums");
    let script = "BEGIN { $s = TCP_CLOSE; printf(\"%d %d %d\\n\", TCP_FIN_WAIT1, $s, SKB_DROP_REASON_NOT_SPECIFIED + 1); if (TCP_SYN_SENT < TCP_CLOSE) { printf(\"lt\\n\"); } exit(); }\n";
    let obj =
        compile_with_btf(&dir, "enums", script, std::path::Path::new(VMLINUX)).expect("compile");
    let (code, out, err) = run_child(&obj);
    assert_eq!(code, Some(0), "stderr: {err}");
    assert_eq!(out.trim_end(), "4 7 3\nlt");
    let err = compile_with_btf(
        &dir,
        "unknown",
        "BEGIN { printf(\"%d\\n\", TCP_NO_SUCH_STATE); }",
        std::path::Path::new(VMLINUX),
    )
    .unwrap_err();
    assert!(err.contains("unknown builtin 'TCP_NO_SUCH_STATE'"), "{err}");
}

#[test]
fn signed_fields_are_sign_extended_by_their_relocated_size() {
    let Some(_k) = kernel_or_skip("core_signed") else {
        return;
    };
    let dir = scratch("core-signed");
    // `numa_preferred_nid` (an int, -1 without a preferred node) compiled as a long:
    // unrelocated, the read would take the next field along; without sign extension
    // by the relocated size it would print 4294967295.
    let btf = rewritten_btf(&dir, "signed.btf", |b| {
        let long = b.int_type("long int").expect("long int");
        b.retype_member("task_struct", "numa_preferred_nid", long)
            .expect("retype");
    });
    let script = "BEGIN { printf(\"%d\\n\", curtask->numa_preferred_nid); exit(); }\n";
    let obj = compile_with_btf(&dir, "signed", script, &btf).expect("compile");
    let log = libbpf_log(&obj, "signed");
    assert!(log.contains("imm 8 -> 4"), "size not relocated:\n{log}");
    let (code, out, err) = run_child(&obj);
    assert_eq!(code, Some(0), "stderr: {err}");
    assert_eq!(out.trim_end(), "-1");
}
