//! Builtins and functions end to end: integer builtins, string and integer functions
//! (computed in BPF, not folded: the arguments come from variables), the asynchronous
//! functions the runtime carries out, `exit(code)` and `--unsafe`.

use std::time::Duration;
use tracec_tests::*;

const SCRIPT: &str = r#"
BEGIN
{
  $x = 0x1122334455667788; $y = 0x1234; $s = "hello-test-world"; $n = "test"; $m = "tset";
  printf("bswap %llx %x %x\n", bswap($x), bswap((uint16)$y), bswap((uint8)$y));
  printf("strncmp %d %d %d\n", strncmp($s, "hello", 5), strncmp($s, "help", 4), strncmp($s, $s, 64));
  printf("strcontains %d %d %d %d\n", strcontains($s, $n), strcontains($s, $m), strcontains($s, "world"), strcontains($n, $s));
  printf("strlen %d %d\n", strlen($s), strlen($n));
  printf("ints %d %d %d\n", ncpus > 0, nsecs(tai) > nsecs(boot) && nsecs(monotonic) > 0, jiffies > 0 && cgroup > 0 && rand >= 0 && numaid >= 0);
  printf("ntop %s %s\n", ntop(0x0100007f), ntop(10, pton("fe80::1")));
  printf("usermode %d ppid %d\n", usermode, ppid > 0);
  cat("%s", "/proc/sys/kernel/ostype");
  warnf("careful %d", 1);
  errorf("broken %s", "x");
  exit(7);
}
"#;

#[test]
fn builtins_and_functions_compute_in_bpf() {
    let Some(_k) = kernel_or_skip("builtins_functions") else {
        return;
    };
    let dir = scratch("builtins");
    let obj = compile_text(&dir, "builtins", SCRIPT);
    let mut run = Run::start(&obj, &[]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(7));
    assert_eq!(
        run.stdout_text(),
        "bswap 8877665544332211 3412 34\n\
         strncmp 0 1 0\n\
         strcontains 1 0 1 0\n\
         strlen 16 4\n\
         ints 1 1 1\n\
         ntop 127.0.0.1 fe80::1\n\
         usermode 1 ppid 1\n\
         Linux\n\n\n"
    );
    let name = dir.join("builtins.bt");
    let name = name.display();
    assert_eq!(
        run.err_lines,
        [
            "Attached 1 probe".to_string(),
            format!("{name}:13:3-25: WARNING: careful 1"),
            format!("{name}:14:3-27: ERROR: broken x"),
        ]
    );
}

#[test]
fn system_needs_unsafe_in_both_tools() {
    let dir = scratch("unsafe");
    let script = dir.join("sys.bt");
    std::fs::write(&script, "BEGIN { system(\"echo %d\", 42); exit(); }").unwrap();
    let obj = dir.join("sys.o");
    let (s, o) = (script.to_str().unwrap(), obj.to_str().unwrap());
    let refused = tracec(&[s, "-o", o]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("system() is unsafe. To use you need the --unsafe flag"),
        "{err}"
    );
    let ok = tracec(&["--unsafe", s, "-o", o]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let Some(_k) = kernel_or_skip("system_unsafe") else {
        return;
    };
    let mut run = Run::start(&obj, &[]);
    assert_eq!(run.finish(Duration::from_secs(10)), Some(1));
    assert!(
        run.err_lines.iter().any(|l| l.contains("--unsafe")),
        "{:?}",
        run.err_lines
    );
    let mut run = Run::start(&obj, &["--unsafe"]);
    assert_eq!(run.finish(Duration::from_secs(10)), Some(0));
    assert_eq!(run.stdout_text(), "42\n\n\n");
}

/// The shell `system()` starts reads nothing (stdin is `/dev/null`), blocks no signal
/// although tracerun blocks SIGINT and SIGTERM for its own use, and its stdout is the
/// event's text, stderr left alone.
#[test]
fn system_runs_a_shell_with_no_blocked_signals() {
    let Some(_k) = kernel_or_skip("system_shell") else {
        return;
    };
    let dir = scratch("system_shell");
    let obj = dir.join("sh.o");
    let script =
        r#"BEGIN { system("grep SigBlk /proc/self/status; wc -c; echo to-stderr >&2"); exit(); }"#;
    let out = tracec(&["--unsafe", "-e", script, "-o", obj.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut run = Run::start(&obj, &["--unsafe"]);
    assert_eq!(run.finish(Duration::from_secs(10)), Some(0));
    assert_eq!(run.stdout_text(), "SigBlk:\t0000000000000000\n0\n\n\n");
    assert!(
        run.err_lines.iter().any(|l| l == "to-stderr"),
        "{:?}",
        run.err_lines
    );
}
