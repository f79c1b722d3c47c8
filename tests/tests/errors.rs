//! User errors give one clear message and a non-zero exit, never a panic.

use std::process::Command;
use tracec_tests::*;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn unknown_function_is_a_located_diagnostic() {
    let dir = scratch("diag");
    let src = dir.join("bad.bt");
    std::fs::write(&src, "BEGIN\n{\n  nosuchfn(1);\n}\n").unwrap();
    let o = tracec(&[
        src.to_str().unwrap(),
        "-o",
        dir.join("bad.o").to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert_ne!(o.status.code(), Some(101), "tracec panicked:\n{err}");
    assert!(err.contains("unknown function 'nosuchfn'"), "{err}");
    assert!(err.contains("bad.bt:3:3"), "{err}");
    assert!(err.contains('^'), "{err}");
    assert!(!dir.join("bad.o").exists());
}

#[test]
fn syntax_error_is_a_located_diagnostic() {
    let o = tracec(&["-e", "BEGIN { printf(\"x\" }", "-o", "/dev/null"]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert_ne!(o.status.code(), Some(101), "tracec panicked:\n{err}");
    assert!(err.contains(":1:"), "{err}");
    assert!(err.contains('^'), "{err}");
}

#[test]
fn tracerun_refuses_missing_and_non_bpf_files() {
    let dir = scratch("badobj");
    let text = dir.join("text.o");
    std::fs::write(&text, "not an elf").unwrap();
    for (path, want) in [
        (dir.join("missing.o"), "missing.o"),
        (text.clone(), "not an ELF"),
        ("/bin/true".into(), "not BPF"),
    ] {
        let o = Command::new(bin("tracerun")).arg(&path).output().unwrap();
        let err = stderr(&o);
        assert!(!o.status.success(), "{path:?}");
        assert_ne!(o.status.code(), Some(101), "tracerun panicked:\n{err}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "one line for {path:?}: {err}"
        );
        assert!(err.contains(want), "{path:?}: {err}");
    }
}

/// Flip the metadata section's major version to one newer than this runtime knows.
fn bump_major(object: &[u8]) -> Vec<u8> {
    let elf = goblin::elf::Elf::parse(object).unwrap();
    let sh = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(tracec_meta::SECTION))
        .expect("metadata section");
    let at = sh.sh_offset as usize + 4;
    let mut out = object.to_vec();
    out[at..at + 2].copy_from_slice(&(tracec_meta::FORMAT_MAJOR + 1).to_le_bytes());
    out
}

#[test]
fn tracerun_refuses_newer_format() {
    let dir = scratch("newer");
    let obj = compile_text(&dir, "newer", "BEGIN { exit(); }");
    let newer = dir.join("newer-format.o");
    std::fs::write(&newer, bump_major(&std::fs::read(&obj).unwrap())).unwrap();
    let o = Command::new(bin("tracerun")).arg(&newer).output().unwrap();
    let err = stderr(&o);
    assert!(!o.status.success());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("format"), "{err}");
}

#[test]
fn tracerun_as_non_root_says_so() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipping: needs root to drop privileges");
        return;
    }
    let dir = scratch("nonroot");
    let obj = compile_text(&dir, "nonroot", "BEGIN { exit(); }");
    let _ = std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755));
    let _ = std::fs::set_permissions(&obj, std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let o = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(bin("tracerun"))
        .arg(&obj)
        .output()
        .expect("setpriv (util-linux)");
    let err = stderr(&o);
    assert!(!o.status.success());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("root"), "{err}");
}

/// Without tracefs (unmounted in a private mount namespace), tracerun says what to mount.
#[test]
fn tracerun_without_tracefs_says_how_to_mount_it() {
    let Some(_k) = kernel_or_skip("no_tracefs") else {
        return;
    };
    let dir = scratch("notracefs");
    let obj = compile_file(&std_probe("opens-failed.bt"), &dir.join("opens-failed.o"));
    let script = format!(
        // tracefs also shows under debugfs (scripts/setup mounts it): hide both.
        "umount /sys/kernel/tracing && {{ umount /sys/kernel/debug/tracing; umount /sys/kernel/debug; true; }} 2>/dev/null && exec {} {}",
        bin("tracerun").display(),
        obj.display()
    );
    let o = Command::new("unshare")
        .args(["--mount", "sh", "-c", &script])
        .output()
        .expect("unshare (util-linux)");
    let err = stderr(&o);
    assert!(!o.status.success());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("mount -t tracefs"), "{err}");
}

/// `-e` given twice: the last program counts, as with bpftrace's getopt.
#[test]
fn the_last_dash_e_wins() {
    let Some(_g) = kernel_or_skip("the_last_dash_e_wins") else {
        return;
    };
    let dir = scratch("last_dash_e");
    let obj = dir.join("e.o");
    let o = tracec(&[
        "-e",
        "BEGIN { printf(\"first\\n\"); exit(); }",
        "-e",
        "BEGIN { printf(\"second\\n\"); exit(); }",
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run = run_object_to_exit(&obj, &[]);
    assert_eq!(run.stdout_text().trim(), "second");
}

/// Inputs found by fuzzing or by hand that once crashed, hung or took seconds:
/// each is now one diagnostic (or a clean compile) and a prompt exit.
#[test]
fn pathological_scripts_give_diagnostics_quickly() {
    let deep_if = format!(
        "#if {}1{}\n#endif\nBEGIN {{ exit(); }}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let mut exp_macros = String::from("#define X0 1\n");
    for k in 1..=15 {
        exp_macros.push_str(&format!(
            "#define X{k} {}\n",
            format!("X{} ", k - 1).repeat(8)
        ));
    }
    exp_macros.push_str("BEGIN { X15 }\n");
    let incr = format!("BEGIN {{ $a = {}$x; }}", "++ ".repeat(64));
    let typo = format!("fentry:vfs_{}read {{ exit(); }}", "Q".repeat(400));
    let cases: [(&str, &str); 5] = [
        (&deep_if, "nested too deeply"),
        (&exp_macros, "macro expansion too large"),
        (
            &incr,
            "only variables ($x) and maps (@m[k]) can be assigned to",
        ),
        (&typo, "is not in the kernel BTF"),
        (
            "uprobe:/proc/self/status:* { exit(); }",
            "is not an ELF file",
        ),
    ];
    let btf = std::path::Path::new("/sys/kernel/btf/vmlinux").exists();
    for (script, message) in cases {
        if script.starts_with("fentry") && !btf {
            continue;
        }
        let start = std::time::Instant::now();
        let o = tracec(&["-e", script, "-o", "/dev/null"]);
        let err = stderr(&o);
        assert_ne!(o.status.code(), Some(101), "tracec panicked:\n{err}");
        assert!(!o.status.success(), "{script}");
        assert!(err.contains(message), "{err}");
        assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    }
    // `/*` after the provider is a path glob, not a comment.
    let o = tracec(&[
        "-e",
        "uprobe:/usr/bin/*sh:main { exit(); }",
        "-o",
        "/dev/null",
    ]);
    assert!(
        !stderr(&o).contains("unterminated comment"),
        "{}",
        stderr(&o)
    );
}
