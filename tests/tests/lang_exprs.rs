//! Language parity with bpftrace (issue #3), second round: increments and `if` as
//! expressions, aggregations assigned from block expressions.

use tracec_tests::*;

fn stdout_of(name: &str, script: &str) -> Option<String> {
    let _k = kernel_or_skip(name)?;
    Some(run_to_exit(name, script, &[]).stdout_text())
}

#[test]
fn increments_are_expressions() {
    let Some(out) = stdout_of(
        "incr_exprs",
        r#"BEGIN { $a = 5; $b = ++$a; $c = $a--; printf("%d %d %d\n", $a, $b, $c);
  @x = 1; $d = @x++; $e = --@x; printf("%d %d %d\n", $d, $e, @x);
  $i = 0; while ($i <= 100) { @avg = avg($i++) } print(@avg);
  $s = "hello"; $p = (int8 *)&$s; printf("%c %c\n", *$p, *++$p);
  clear(@x); clear(@avg); exit(); }"#,
    ) else {
        return;
    };
    assert!(out.starts_with("5 6 6\n1 1 1\n@avg: 50\nh e\n"), "{out}");
}

#[test]
fn if_is_an_expression() {
    let Some(out) = stdout_of(
        "if_exprs",
        r#"BEGIN { let $x = 1; let $y = 0;
  print(if ($x) { if ($y) { 10 } else { 20 } } else { 30 });
  $v = if ($y) { 1 } else if ($x) { $x++; $x * 7 } else { 3 }; print($v);
  exit(); }"#,
    ) else {
        return;
    };
    assert!(out.starts_with("20\n14\n"), "{out}");
}

#[test]
fn aggregation_from_a_block_expression() {
    let Some(out) = stdout_of(
        "agg_block",
        r#"BEGIN { @a = { let $v = 100; avg($v) }; @c[1] = { count() }; exit(); }"#,
    ) else {
        return;
    };
    assert!(out.contains("@a: 100\n"), "{out}");
    assert!(out.contains("@c[1]: 1\n"), "{out}");
}

#[test]
fn syscall_struct_pointer_arguments_are_read_from_user_memory() {
    let Some(_k) = kernel_or_skip("tp_user_struct") else {
        return;
    };
    let dir = scratch("tp_user_struct");
    let obj = compile_text(
        &dir,
        "tp_user_struct",
        r#"tracepoint:syscalls:sys_enter_clock_nanosleep /comm == "sleep"/ {
  printf("%d %d\n", args.rqtp.tv_sec, args->rqtp->tv_nsec); exit(); }"#,
    );
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    let sleeper = run_cmd("sleep", &["1.25"]);
    assert!(sleeper.status.success());
    run.finish(std::time::Duration::from_secs(10));
    assert!(
        run.stdout_text().contains("1 250000000\n"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn struct_casts_in_uprobes_read_user_memory() {
    let ir = |probe: &str| {
        let script = format!("{probe} {{ $p = (struct timespec64 *)arg0; print($p->tv_sec); }}");
        let o = tracec(&["-e", &script, "--emit", "ir"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let user = ir("uprobe:/bin/sh:main");
    assert!(user.contains("probe_read_user("), "{user}");
    let kernel = ir("kprobe:do_nanosleep");
    assert!(kernel.contains("probe_read_kernel("), "{kernel}");
    assert!(!kernel.contains("probe_read_user("), "{kernel}");
}
