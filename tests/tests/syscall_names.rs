//! `syscall_name(n)`: the runtime names system call numbers from the object's
//! metadata, which carries the names only when the script uses them.

use tracec_tests::*;

#[test]
fn syscalls_of_a_child_are_counted_by_name() {
    let Some(_k) = kernel_or_skip("syscall_names") else {
        return;
    };
    let dir = scratch("syscall_names");
    let obj = compile_text(
        &dir,
        "sysnames",
        r#"tracepoint:raw_syscalls:sys_enter /pid == cpid/ { @c[syscall_name(args.id)] = count(); }
begin { printf("%s|%s|%s\n", syscall_name(0), syscall_name(100000), syscall_name(-1)); @t = (syscall_name(1), 2); }"#,
    );
    verify_ok(&obj);
    let run = run_object_to_exit(&obj, &["-c", "/bin/true"]);
    let text = run.out_lines.join("\n");
    let first = if cfg!(target_arch = "aarch64") {
        "io_setup"
    } else {
        "read"
    };
    let second = if cfg!(target_arch = "aarch64") {
        "io_destroy"
    } else {
        "write"
    };
    assert!(
        run.out_lines
            .contains(&format!("{first}|Unknown syscall|Unknown syscall")),
        "{text}"
    );
    assert!(
        run.out_lines.contains(&"@c[exit_group]: 1".to_string()),
        "{text}"
    );
    assert!(
        run.out_lines.contains(&format!("@t: ({second}, 2)")),
        "{text}"
    );
    // Every key is a name, none a number.
    for l in run.out_lines.iter().filter(|l| l.starts_with("@c[")) {
        let key = &l[3..l.find(']').unwrap_or(3)];
        assert!(
            !key.is_empty() && !key.chars().all(|c| c.is_ascii_digit()),
            "{l}\n{text}"
        );
    }
}

#[test]
fn only_objects_that_name_syscalls_carry_the_names() {
    let dir = scratch("syscall_names_meta");
    let with = compile_text(
        &dir,
        "with",
        "tracepoint:raw_syscalls:sys_enter { @[syscall_name(args.id)] = count(); }",
    );
    let without = compile_text(
        &dir,
        "without",
        "tracepoint:raw_syscalls:sys_enter { @[args.id] = count(); }",
    );
    let has = |p: &std::path::Path| {
        let bytes = std::fs::read(p).expect("read object");
        bytes.windows(12).any(|w| w == b"\"exit_group\"")
    };
    assert!(has(&with), "the names are missing");
    assert!(
        !has(&without),
        "an object without syscall_name carries the names"
    );
    let grown = std::fs::metadata(&with).unwrap().len() as i64
        - std::fs::metadata(&without).unwrap().len() as i64;
    assert!(grown < 12_000, "the names cost {grown} bytes");
}

#[test]
fn syscall_names_become_strings_where_one_is_needed() {
    let Some(_k) = kernel_or_skip("syscall_names_str") else {
        return;
    };
    let dir = scratch("syscall_names_str");
    let obj = compile_text(
        &dir,
        "sysstr",
        r#"tracepoint:raw_syscalls:sys_enter /pid == cpid/ {
  $n = syscall_name(args.id);
  if ($n == "exit_group") { printf("exit %s %d\n", $n, strlen($n)); }
  if (strcontains(syscall_name(args.id), "exit_gr")) { printf("contains\n"); }
  @s = "x"; @s = syscall_name(args.id);
  @neg = str(syscall_name(-1));
}"#,
    );
    verify_ok(&obj);
    let run = run_object_to_exit(&obj, &["-c", "/bin/true"]);
    let text = run.out_lines.join("\n");
    for want in [
        "exit exit_group 10",
        "contains",
        "@s: exit_group",
        "@neg: Unknown syscall",
    ] {
        assert!(run.out_lines.iter().any(|l| l == want), "{want}\n{text}");
    }
}
