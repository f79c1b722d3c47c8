//! Tests of the `tracec` command line, run on the built binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tracec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracec"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run tracec")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tracec-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn no_arguments_is_a_usage_error() {
    let o = tracec(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Usage: tracec"), "{}", stderr(&o));
}

#[test]
fn unknown_option_and_bad_emit_are_usage_errors() {
    let o = tracec(&["--frobnicate", "x.bt"]);
    assert_eq!(o.status.code(), Some(2));
    let o = tracec(&["--emit", "elf", "-e", "BEGIN {}"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("possible values: ir, asm"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn file_and_program_together_is_a_usage_error() {
    let o = tracec(&["x.bt", "-e", "BEGIN {}"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not both"), "{}", stderr(&o));
}

#[test]
fn list_conflicts_with_compiling() {
    let o = tracec(&["-l", "-e", "BEGIN {}", "-o", "x.o"]);
    assert_eq!(o.status.code(), Some(2));
    let o = tracec(&["-l", "i:*", "-e", "i:s:1 {}"]);
    assert_eq!(o.status.code(), Some(2), "a pattern and a program");
}

#[test]
fn list_of_a_program_lists_its_probes() {
    let o = tracec(&["-e", "BEGIN {} interval:s:1 {} i:ms:5 {} END {}", "-l"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "interval:ms:\ninterval:s:\n"
    );
    let o = tracec(&["-e", "BEGIN { exit(); }", "-l"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty(), "BEGIN/END are no probes to list");
}

#[test]
fn program_without_output_asks_for_o() {
    let o = tracec(&["-e", "BEGIN { }"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pass -o OUT"), "{}", stderr(&o));
}

#[test]
fn stdin_without_output_asks_for_o_before_reading() {
    // stdin stays open: tracec must not wait for it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracec"))
        .arg("-")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _stdin = child.stdin.take();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pass -o OUT"), "{}", stderr(&o));
}

#[test]
fn missing_file_names_the_file_and_the_os_error() {
    let o = tracec(&["/nonexistent/dir/script.bt"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("tracec: cannot read `/nonexistent/dir/script.bt`: "),
        "{err}"
    );
    assert!(err.contains("No such file or directory"), "{err}");
}

#[test]
fn directory_as_file_is_an_error_not_a_panic() {
    let o = tracec(&["/"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("tracec: cannot read `/`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn syntax_error_is_rendered_with_location() {
    let o = tracec(&["-e", "BEGIN { x = }", "-o", "/dev/null"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("error: syntax error: unexpected `}`, expected an expression"),
        "{err}"
    );
    assert!(err.contains("<-e>:1:13"), "{err}");
}

#[test]
fn file_writes_object_next_to_it() {
    let dir = scratch_dir("obj");
    let script = dir.join("hello.bt");
    std::fs::write(&script, "BEGIN { printf(\"hello\\n\"); exit(); }\n").unwrap();
    let o = tracec(&[script.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let obj = std::fs::read(dir.join("hello.o")).unwrap();
    assert_eq!(&obj[..4], b"\x7fELF");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stdin_with_output() {
    let dir = scratch_dir("stdin");
    let out = dir.join("out.o");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracec"))
        .args(["-", "-o", out.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"BEGIN { exit(); }")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(&std::fs::read(&out).unwrap()[..4], b"\x7fELF");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn emit_ir_and_asm_print_without_writing() {
    for form in ["ir", "asm"] {
        let o = tracec(&["--emit", form, "-e", "BEGIN { exit(); }"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(!o.stdout.is_empty(), "--emit {form} printed nothing");
    }
}

#[test]
fn list_with_pattern() {
    let o = tracec(&["-l", "tracepoint:syscalls:sys_enter_openat"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "tracepoint:syscalls:sys_enter_openat\n"
    );
}
