//! End to end: `max_strlen` sizes `str()` values, truncated strings print
//! `str_trunc_trailer`, and `tracec -k` reports failed probe reads as bpftrace's
//! helper errors (text and `-f json`).

use tracec_tests::*;

/// Compile `script` with `tracec [flags]` into `dir/name.o`.
fn compile_with(
    dir: &std::path::Path,
    name: &str,
    flags: &[&str],
    script: &str,
) -> std::path::PathBuf {
    let out = dir.join(format!("{name}.o"));
    let mut args: Vec<&str> = flags.to_vec();
    let o = out.to_str().expect("utf-8 path");
    args.extend(["-o", o, "-e", script]);
    let r = tracec(&args);
    assert!(
        r.status.success(),
        "tracec failed: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    out
}

#[test]
fn str_values_are_cut_at_max_strlen_with_the_trailer() {
    let Some(_g) = kernel_or_skip("str_values_are_cut_at_max_strlen_with_the_trailer") else {
        return;
    };
    let dir = scratch("str_limits_trunc");
    let obj = compile_text(
        &dir,
        "t",
        "config = { max_strlen = 5 } \
         t:syscalls:sys_enter_execve /pid == cpid/ { \
         printf(\"<%s>\\n\", str(args.filename)); print(str(args.filename, 5)); exit() }",
    );
    let run = run_object_to_exit(&obj, &["-c", "/bin/true"]);
    let text = run.stdout_text();
    assert!(text.contains("</bin/..>\n"), "{text}");
    assert!(text.contains("/bin\n"), "{text}");

    // Map keys are padded to 8 bytes, so a key shows the trailer when max_strlen is a
    // multiple of 8.
    let obj = compile_text(
        &dir,
        "k",
        "config = { max_strlen = 8 } \
         t:syscalls:sys_enter_execve /pid == cpid/ { @[str(args.filename)] = count(); exit() }",
    );
    let run = run_object_to_exit(&obj, &["-c", "/bin/true"]);
    assert!(
        run.stdout_text().contains("@[/bin/tru..]: 1\n"),
        "{}",
        run.stdout_text()
    );

    let obj = compile_text(
        &dir,
        "c",
        "config = { max_strlen = 9; str_trunc_trailer = \"~\" } \
         t:syscalls:sys_enter_execve /pid == cpid/ { printf(\"<%s>\\n\", str(args.filename)); exit() }",
    );
    let run = run_object_to_exit(&obj, &["-c", "/bin/true"]);
    // "/bin/true" is exactly 9 characters: it fills the value, which takes the trailer
    // (bpftrace's heuristic); 8 characters and a NUL would not.
    assert!(
        run.stdout_text().contains("</bin/true~>\n"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn failed_probe_reads_are_helper_errors_with_k() {
    let Some(_g) = kernel_or_skip("failed_probe_reads_are_helper_errors_with_k") else {
        return;
    };
    let dir = scratch("str_limits_helper_error");
    let script = "BEGIN { $x = *(int32*)8; print($x); exit() }";
    let obj = compile_with(&dir, "k", &["-k"], script);
    let run = run_object_to_exit(&obj, &["-f", "json"]);
    let line = run
        .out_lines
        .iter()
        .find(|l| l.contains("helper_error"))
        .unwrap_or_else(|| panic!("no helper_error in {:?}", run.out_lines));
    assert!(
        line.starts_with("{\"type\": \"helper_error\", \"msg\": ")
            && line.contains("\"helper\": \"probe_read_kernel\", \"retcode\": -")
            && line.ends_with("\"filename\": \"stdin\", \"line\": 1, \"col\": 15}"),
        "{line}"
    );
    let run = run_object_to_exit(&obj, &[]);
    let err = run.err_lines.join("\n");
    assert!(
        err.contains("stdin:1:15-24: WARNING: ")
            && err.contains("Additional Info - helper: probe_read_kernel, retcode: -")
            && err.contains("              ~~~~~~~~~"),
        "{err}"
    );
    // Without -k the read fails quietly.
    let obj = compile_with(&dir, "q", &[], script);
    let run = run_object_to_exit(&obj, &[]);
    assert!(
        !run.err_lines.iter().any(|l| l.contains("WARNING")),
        "{:?}",
        run.err_lines
    );
}
