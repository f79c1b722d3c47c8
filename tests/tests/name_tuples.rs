//! `probe`/`func`/`syscall_name()` in tuples that also hold strings at the same
//! position (`@u = ("x", 2); @u = (probe, 3)`): the field is a string.

use tracec_tests::*;

#[test]
fn names_and_strings_share_tuple_fields() {
    let Some(_k) = kernel_or_skip("name_tuples") else {
        return;
    };
    let dir = scratch("name_tuples");
    let obj = compile_text(
        &dir,
        "nametuples",
        r#"tracepoint:syscalls:sys_enter_exit_group,tracepoint:syscalls:sys_enter_getpid /pid == cpid/ {
  @u = ("x", 2); @u = (probe, 3);
  @v = (probe, 1); @v = ("abc", 4);
  $t = ("s", 1); $t = (probe, 2); printf("%s %d\n", $t.0, $t.1);
  @w = (syscall_name(args.__syscall_nr), 7);
}"#,
    );
    verify_ok(&obj);
    let run = run_object_to_exit(&obj, &["-c", "/bin/true"]);
    let text = run.out_lines.join("\n");
    for want in [
        "tracepoint:syscalls:sys_enter_exit_group 2",
        "@u: (tracepoint:syscalls:sys_enter_exit_group, 3)",
        "@v: (abc, 4)",
        "@w: (exit_group, 7)",
    ] {
        assert!(run.out_lines.iter().any(|l| l == want), "{want}\n{text}");
    }
}
