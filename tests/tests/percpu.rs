//! `percpu_kaddr(name[, cpu])`: the object names the kernel variables, the runtime
//! patches their BTF ids, and the address reads this CPU's copy end to end (or, on a
//! kernel whose kallsyms lists no variables, tracerun says why it cannot).

use std::time::Duration;
use tracec_tests::*;

#[test]
fn object_lists_each_kernel_variable_use() {
    if !has_kernel_btf() {
        eprintln!("skipping: no kernel BTF to check the variables against");
        return;
    }
    let dir = scratch("percpu_object");
    let obj = compile_text(
        &dir,
        "p",
        r#"BEGIN { printf("%d %d\n", *percpu_kaddr("process_counts"), *percpu_kaddr("runqueues", 0)); }"#,
    );
    let bytes = std::fs::read(obj).unwrap();
    let m = object_metadata(&bytes);
    let names: Vec<&str> = m.ksyms.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["process_counts", "runqueues"]);
    for k in &m.ksyms {
        assert_eq!(k.program, "BEGIN_0");
        let i = insn_bytes(&bytes, &k.program, k.insn, 16);
        // ld_imm64, src_reg BPF_PSEUDO_BTF_ID, both imms 0 (resolved on the host).
        assert_eq!(i[0], 0x18, "{k:?}: {i:?}");
        assert_eq!(i[1] >> 4, 3, "{k:?}: {i:?}");
        assert_eq!(&i[4..8], &[0; 4]);
        assert_eq!(&i[12..16], &[0; 4]);
    }
}

#[test]
fn unknown_variable_is_a_compile_error() {
    if !has_kernel_btf() {
        eprintln!("skipping: no kernel BTF to check the variables against");
        return;
    }
    let dir = scratch("percpu_unknown");
    let src = dir.join("u.bt");
    std::fs::write(
        &src,
        r#"BEGIN { $p = percpu_kaddr("no_such_percpu_var"); }"#,
    )
    .unwrap();
    let o = tracec(&[
        src.to_str().unwrap(),
        "-o",
        dir.join("u.o").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Could not resolve variable \"no_such_percpu_var\" from BTF"),
        "{err}"
    );
    let o = tracec(&[
        "-e",
        r#"BEGIN { $p = percpu_kaddr(str(1)); }"#,
        "-o",
        "/dev/null",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("string literal"));
}

/// Whether the kernel can resolve `name` for BPF programs (it looks in kallsyms).
fn in_kallsyms(name: &str) -> bool {
    std::fs::read_to_string("/proc/kallsyms")
        .map(|s| s.lines().any(|l| l.split_whitespace().nth(2) == Some(name)))
        .unwrap_or(false)
}

#[test]
fn this_cpus_runqueue_is_this_cpus() {
    let Some(_k) = kernel_or_skip("percpu_runqueue") else {
        return;
    };
    let script = r#"BEGIN {
  $rq = (struct rq *)percpu_kaddr("runqueues");
  $rq0 = (struct rq *)percpu_kaddr("runqueues", 0);
  if ($rq0 != 0) { printf("cpu0 %d\n", $rq0->cpu); }
  printf("same %d\n", $rq->cpu == cpu);
  printf("none %d\n", percpu_kaddr("runqueues", 100000) == 0);
  exit();
}"#;
    let dir = scratch("percpu_runqueue");
    let obj = compile_text(&dir, "rq", script);
    let mut run = Run::start(&obj, &[]);
    let code = run.finish(Duration::from_secs(20));
    if in_kallsyms("runqueues") {
        assert_eq!(code, Some(0), "{}", run.err_lines.join("\n"));
        assert_eq!(run.out_lines, ["cpu0 0", "same 1", "none 1"]);
    } else {
        // Without CONFIG_KALLSYMS_ALL the verifier cannot find the variable's address:
        // the BTF id was patched in (else it would say the id is invalid), and tracerun
        // explains the refusal.
        assert_ne!(code, Some(0));
        let err = run.err_lines.join("\n");
        assert!(
            err.contains("cannot give BPF programs the address of variable \"runqueues\""),
            "{err}"
        );
    }
}
