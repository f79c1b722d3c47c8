//! Standard-library helpers end to end: string helpers computed in BPF (arguments
//! in variables, so nothing is folded), compile-time predicates, `config`,
//! `probetype`, task accessors, `assert`, and the unsafe `signal`/`signal_thread`
//! delivered to a process this test starts.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tracec_tests::*;

const SCRIPT: &str = r#"
config = { max_strlen = 200 }
BEGIN
{
  $a = "hello world"; $n = "wor"; $e = "";
  printf("strstr %d %d %d %d\n", strstr($a, $n), strstr($a, "x"), strstr($a, $e), strstr("abc", "c"));
  printf("strcap %d memcmp %d %d\n", strcap($a), memcmp($a, "hellp", 5), memcmp($a, "hello", 5));
  printf("concat %s|\n", str_concat($a, $n));
  printf("preds %d %d %d %d %d %d\n", is_str($a), is_integer(1), is_literal(1), is_literal($a), is_unsigned_integer(pid), is_ptr(curtask));
  printf("config %d %s %d\n", config.max_strlen, config().stack_mode, __builtin_config.print_maps_on_exit);
  printf("probetype %s %s\n", probetype, __builtin_probetype());
  printf("task %d %d %d\n", ppid == ppid(curtask), leader_tid == pid, pcomm == pcomm(curtask));
  static_assert(is_str($a), "a is a string");
  assert(strstr($a, $n) == 6, "found");
  assert(strstr($a, $n) == 0, "My error message");
  printf("not reached\n");
}
"#;

#[test]
fn stdlib_helpers_compute_in_bpf() {
    let Some(_k) = kernel_or_skip("stdlib_helpers") else {
        return;
    };
    let dir = scratch("stdlib_helpers");
    let obj = compile_text(&dir, "stdlib", SCRIPT);
    let mut run = Run::start(&obj, &[]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(1));
    assert_eq!(
        run.stdout_text(),
        "strstr 6 -1 0 2\n\
         strcap 12 memcmp -1 0\n\
         concat hello worldwor|\n\
         preds 1 1 1 0 1 1\n\
         config 200 bpftrace 1\n\
         probetype special special\n\
         task 1 1 1\n\n\n"
    );
    assert!(
        run.err_lines
            .iter()
            .any(|l| l == "stdlib/base.bt:6:5-37: ERROR: assert failed: My error message"),
        "{:?}",
        run.err_lines
    );
}

fn compile_error(script: &str, unsafe_flag: bool) -> String {
    let dir = scratch("stdlib_errors");
    let src = dir.join("e.bt");
    std::fs::write(&src, script).unwrap();
    let out = dir.join("e.o");
    let mut args = vec![src.to_str().unwrap(), "-o", out.to_str().unwrap()];
    if unsafe_flag {
        args.insert(0, "--unsafe");
    }
    let o = tracec(&args);
    assert!(!o.status.success(), "{script} compiled");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn stdlib_diagnostics() {
    let cases: &[(&str, bool, &str)] = &[
        (
            "BEGIN { $x = 1; write_user($x, \"a\", 1); }",
            false,
            "write_user() is unsafe. To use you need the --unsafe flag",
        ),
        (
            "tracepoint:syscalls:sys_enter_read { signal(\"SIGKILL\"); }",
            false,
            "signal() is unsafe. To use you need the --unsafe flag",
        ),
        (
            "tracepoint:syscalls:sys_enter_read { signal(\"SIGNOPE\"); }",
            true,
            "Invalid string for signal: SIGNOPE",
        ),
        (
            "tracepoint:syscalls:sys_enter_read { signal_thread(65); }",
            true,
            "signal_thread() accepts a string literal or an integer between 1 and 64 (inclusive)",
        ),
        (
            "BEGIN { signal(9); }",
            true,
            "signal() can not be used for this probetype special",
        ),
        (
            "BEGIN { override(1); }",
            true,
            "override() can only be used inside kprobes",
        ),
        (
            "uprobe:/bin/sh:main { print(reg(\"rip\")); }",
            false,
            "'rip' is not a valid register on this architecture",
        ),
        (
            "BEGIN { static_assert(1 == 2, \"one is not two\"); }",
            false,
            "one is not two",
        ),
        ("BEGIN { fail(\"bad %d %s\", 3, \"x\"); }", false, "bad 3 x"),
        (
            "tracepoint:syscalls:sys_enter_read { print(ctx); }",
            false,
            "Use args instead of ctx in tracepoint",
        ),
        (
            "BEGIN { print(config.no_such_thing); }",
            false,
            "unknown config variable 'no_such_thing'",
        ),
    ];
    for (script, unsafe_flag, want) in cases {
        let err = compile_error(script, *unsafe_flag);
        assert!(err.contains(want), "{script}: {err}");
    }
}

/// `signal`/`signal_thread` (by name and by number) kill a shell this test starts,
/// in the syscall it makes to wait for its children.
#[test]
fn signal_reaches_the_traced_process() {
    let Some(_k) = kernel_or_skip("stdlib_signal") else {
        return;
    };
    for call in ["signal(\"SIGKILL\")", "signal_thread(9)"] {
        let mut child = Command::new("/bin/sh")
            .args(["-c", "while :; do sleep 0.1; done"])
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn sh");
        let script = format!(
            "tracepoint:syscalls:sys_enter_wait4 /pid == {}/ {{ {call}; exit(); }}",
            child.id()
        );
        let dir = scratch("stdlib_signal");
        let src = dir.join("sig.bt");
        std::fs::write(&src, &script).unwrap();
        let obj = dir.join("sig.o");
        let o = tracec(&[
            "--unsafe",
            src.to_str().unwrap(),
            "-o",
            obj.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut run = Run::start(&obj, &["--unsafe"]);
        let code = run.finish(Duration::from_secs(20));
        let end = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait sh") {
                break Some(s);
            }
            if Instant::now() > end {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(code, Some(0), "{call}: {:?}", run.err_lines);
        assert_eq!(status.and_then(|s| s.signal()), Some(9), "{call}");
    }
}
