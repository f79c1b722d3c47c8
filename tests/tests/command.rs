//! `tracerun -c CMD`: the command starts once the probes are attached, its pid is
//! `cpid`, and its exit ends the session (END, maps) as `exit()` would.

use tracec_tests::*;

const OPENS: &str = r#"
BEGIN { printf("has_cpid=%d\n", has_cpid); }
tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @opens[str(args.filename)] = count(); }
END { printf("end cpid>1=%d\n", cpid > 1); }
"#;

#[test]
fn the_command_runs_after_attach_and_its_exit_ends_the_session() {
    let Some(_k) = kernel_or_skip("the_command_runs_after_attach_and_its_exit_ends_the_session")
    else {
        return;
    };
    // The child opens a file that does not exist: its first openat is already traced.
    let run = run_to_exit(
        "command-opens",
        OPENS,
        &["-c", "cat /nonexistent/tracec-command-test"],
    );
    let out = run.stdout_text();
    assert!(out.starts_with("has_cpid=1\n"), "{out}");
    assert!(out.contains("end cpid>1=1\n"), "{out}");
    assert!(
        out.contains("@opens[/nonexistent/tracec-command-test]: 1\n"),
        "{out}"
    );
    assert!(
        run.err_lines.iter().any(|l| l.contains("No such file")),
        "the command's own stderr: {:?}",
        run.err_lines
    );
}

#[test]
fn exit_in_begin_never_runs_the_command() {
    let Some(_k) = kernel_or_skip("exit_in_begin_never_runs_the_command") else {
        return;
    };
    let marker = scratch("command-begin-exit").join("ran");
    let _ = std::fs::remove_file(&marker);
    let cmd = format!("touch {}", marker.display());
    let run = run_to_exit(
        "command-begin-exit",
        "BEGIN { printf(\"bye\\n\"); exit(); }",
        &["-c", &cmd],
    );
    assert_eq!(run.stdout_text(), "bye\n\n\n");
    assert!(!marker.exists(), "the command ran although BEGIN exited");
}

#[test]
fn cpid_is_zero_without_a_command_and_a_missing_command_is_one_line() {
    let Some(_k) = kernel_or_skip("cpid_is_zero_without_a_command") else {
        return;
    };
    let run = run_to_exit(
        "command-none",
        "BEGIN { printf(\"%d %d\\n\", cpid, has_cpid); exit(); }",
        &[],
    );
    assert_eq!(run.stdout_text(), "0 0\n\n\n");

    let dir = scratch("command-missing");
    let obj = compile_text(&dir, "m", "BEGIN { exit(); }");
    let o = run_cmd(
        bin("tracerun").to_str().unwrap(),
        &["-c", "no-such-command-tracec", obj.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err,
        "tracerun: error: -c \"no-such-command-tracec\": no-such-command-tracec: command not found\n"
    );
}

#[test]
fn the_command_is_split_at_spaces_only() {
    let Some(_k) = kernel_or_skip("the_command_is_split_at_spaces_only") else {
        return;
    };
    // As bpftrace: quotes are no shell quoting, they reach the command.
    let run = run_to_exit(
        "command-words",
        "tracepoint:syscalls:sys_enter_execve /pid == cpid/ { join(args.argv, \",\"); }",
        &["-c", "/bin/echo 'A' \"b c\""],
    );
    let out = run.stdout_text();
    assert!(out.contains("/bin/echo,'A',\"b,c\"\n"), "{out}");
}
