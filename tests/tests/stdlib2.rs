//! More stdlib functions: `is_err`, `assert_str`, `container_of`, `cgroupid`,
//! `kfunc_exist`, `kfunc_allowed`.

use tracec_tests::*;

/// The non-empty lines a run printed.
fn lines(run: &Run) -> Vec<&str> {
    run.out_lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn is_err_is_the_kernel_error_pointer_range() {
    let Some(_k) = kernel_or_skip("stdlib2_is_err") else {
        return;
    };
    let run = run_to_exit(
        "stdlib2_is_err",
        r#"BEGIN { $a = (int64)-2; printf("%d %d %d %d %d\n", is_err($a), is_err(5),
            is_err((uint64)-4095), is_err((uint64)-4096), is_err((uint64)-1)); exit(); }"#,
        &[],
    );
    assert_eq!(lines(&run), ["1 0 1 0 1"], "{:?}", run.err_lines);
}

#[test]
fn assert_str_accepts_strings_and_refuses_the_rest() {
    let Some(_k) = kernel_or_skip("stdlib2_assert_str") else {
        return;
    };
    let run = run_to_exit(
        "stdlib2_assert_str",
        r#"BEGIN { assert_str("hi"); assert_str(comm); print(1); exit(); }"#,
        &[],
    );
    assert_eq!(lines(&run), ["1"], "{:?}", run.err_lines);
    let err = compile_error("stdlib2_assert_int", "BEGIN { assert_str(1); }");
    assert!(
        err.contains("string-like values must be either strings, arrays or pointers"),
        "{err}"
    );
}

#[test]
fn container_of_steps_back_to_the_kernel_struct() {
    if !has_kernel_btf() {
        eprintln!("skipping: no kernel BTF");
        return;
    }
    let Some(_k) = kernel_or_skip("stdlib2_container_of") else {
        return;
    };
    let run = run_to_exit(
        "stdlib2_container_of",
        r#"BEGIN {
            $se = (uint64)curtask + offsetof(struct task_struct, se);
            $t = container_of($se, struct task_struct, se);
            printf("%d %d\n", $t == curtask, $t->pid == pid);
            $r = (uint64)curtask + offsetof(struct task_struct, se.run_node);
            $u = container_of($r, typeof(struct task_struct), se.run_node);
            printf("%d %s\n", (uint64)$u == (uint64)curtask, $u->comm);
            exit();
        }"#,
        &[],
    );
    assert_eq!(lines(&run), ["1 1", "1 tracerun"], "{:?}", run.err_lines);
}

#[test]
fn container_of_checks_its_arguments() {
    if !has_kernel_btf() {
        return;
    }
    let err = compile_error(
        "stdlib2_container_of_field",
        "BEGIN { $p = container_of(0, struct task_struct, no_such_field); }",
    );
    assert!(err.contains("no field `no_such_field`"), "{err}");
    let err = compile_error(
        "stdlib2_container_of_type",
        "BEGIN { $p = container_of(0, 5, se); }",
    );
    assert!(err.contains("struct or union type"), "{err}");
}
