//! Positional parameters in attach points left to the runtime: an object compiled
//! from `interval:ms:$1` without arguments is completed by `tracerun OBJECT 20`.

use std::path::Path;
use std::process::{Command, Output};
use tracec_tests::*;

/// `tracerun [OPTIONS] OBJECT ARGS...` (arguments without `--`, as bpftrace takes them).
fn run(obj: &Path, opts: &[&str], args: &[&str]) -> Output {
    Command::new("timeout")
        .arg("30")
        .arg(bin("tracerun"))
        .args(opts)
        .arg(obj)
        .args(args)
        .output()
        .expect("run tracerun")
}

fn ok_stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn timer_rates_come_from_the_runtime_arguments() {
    let dir = scratch("attach_params_timer");
    let obj = compile_text(
        &dir,
        "timer",
        "i:ms:$1 { printf(\"%s\\n\", probe); @[probe] = count(); exit(); }",
    );
    let meta = object_metadata(&std::fs::read(&obj).unwrap());
    assert_eq!(meta.probes[0].name, "interval:ms:$1");
    assert_eq!(meta.attach_templates.len(), 1);
    // Located as bpftrace locates it: the script as named to the compiler.
    let location = &meta.attach_templates[0].location;
    assert!(location.ends_with("/timer.bt:1:1-8"), "{location}");
    let Some(_k) = kernel_or_skip("attach_params_timer") else {
        return;
    };
    let out = ok_stdout(&run(&obj, &["-q"], &["20"]));
    assert!(out.starts_with("interval:ms:20\n"), "{out}");
    // Map keys name the substituted probe too.
    assert!(out.contains("@[interval:ms:20]: 1"), "{out}");
    // After `--` as well.
    let out = ok_stdout(&run(&obj, &["-q"], &["--", "5"]));
    assert!(out.starts_with("interval:ms:5\n"), "{out}");
}

#[test]
fn every_rate_form_and_counters_are_deferred() {
    let dir = scratch("attach_params_forms");
    let obj = compile_text(
        &dir,
        "forms",
        "interval:$1 { printf(\"a %s\\n\", probe); } \
         profile:$2:$3 { printf(\"b %s\\n\", probe); } \
         software:cpu-clock:$4 { printf(\"c %s\\n\", probe); } \
         interval:s:1 { exit(); }",
    );
    let Some(_k) = kernel_or_skip("attach_params_forms") else {
        return;
    };
    let out = ok_stdout(&run(&obj, &["-q"], &["100ms", "hz", "99", "100000"]));
    for want in [
        "a interval:us:100000",
        "b profile:hz:99",
        "c software:cpu-clock:100000",
    ] {
        assert!(out.lines().any(|l| l == want), "{want}:\n{out}");
    }
}

#[test]
fn missing_or_invalid_arguments_are_bpftraces_errors() {
    let dir = scratch("attach_params_errors");
    let src = dir.join("e.bt");
    std::fs::write(&src, "BEGIN { }\ni:s:$1 { exit(); }\n").unwrap();
    let obj = compile_file(&src, &dir.join("e.o"));
    // Checked before anything is loaded: no privileges needed.
    let o = run(&obj, &[], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "{}:2:1-7: ERROR: Invalid rate of interval probe: invalid integer: \ni:s:$1 {{ exit(); }}\n~~~~~~\n",
            src.display()
        )
    );
    let o = run(&obj, &[], &["ten"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(":2:1-7: ERROR: Invalid rate of interval probe: invalid integer: ten\n"),
        "{err}"
    );
}

#[test]
fn what_the_compiler_needs_is_refused_at_the_attach_point() {
    let err = compile_error(
        "attach_params_tp",
        "BEGIN { }\ntracepoint:syscalls:$1 { }\n",
    );
    assert!(
        err.contains("positional parameter '$1' in attach point 'tracepoint:syscalls:$1': a tracepoint probe's program and context come from its attach point"),
        "{err}"
    );
    assert!(err.contains(":2:1"), "{err}");
    let err = compile_error("attach_params_args", "uprobe:$1:f { print(args.x); }");
    assert!(err.contains("its DWARF arguments are unknown"), "{err}");
}

const PROG: &str = r#"
__attribute__((noinline)) int fn1(int *n, char c) { return *n + c; }
volatile int sink;
int main(void) { int n = 13; sink = fn1(&n, 'x'); return 0; }
"#;

#[test]
fn uprobe_binary_and_function_from_arguments() {
    let dir = scratch("attach_params_uprobe");
    let Some(bin) = build_c(&dir, "ap_prog", PROG, &["-O0", "-no-pie"]) else {
        eprintln!("skipping: no C compiler");
        return;
    };
    let obj = compile_text(
        &dir,
        "up",
        "uprobe:$1:$2 { printf(\"%s %s %d\\n\", probe, func, *(int32 *)arg0); exit(); }",
    );
    let Some(_k) = kernel_or_skip("attach_params_uprobe") else {
        return;
    };
    let p = bin.to_str().unwrap();
    let out = ok_stdout(&run(&obj, &["-q", "-c", p], &[p, "fn1"]));
    assert!(
        out.lines().any(|l| l == format!("uprobe:{p}:fn1 fn1 13")),
        "{out}"
    );
}

#[test]
fn listings_show_the_completed_attach_points() {
    let dir = scratch("attach_params_listing");
    let obj = compile_text(&dir, "ls", "i:ms:$1 { exit(); }");
    // `tracerun --info` needs no privileges.
    let info = ok_stdout(&run(&obj, &["--info"], &["25"]));
    assert!(info.contains("\n  interval:ms:25\n"), "{info}");
    assert!(info.contains("every 25000000 ns"), "{info}");
    let info = ok_stdout(&run(&obj, &["--info"], &[]));
    assert!(
        info.contains("attach   set by the script's arguments (interval:ms:$1)"),
        "{info}"
    );
    // `tracec -l` on a program lists its attach points with the arguments given.
    let Some(bin) = build_c(&dir, "ls_prog", PROG, &["-O0", "-no-pie"]) else {
        return;
    };
    let o = tracec(&["-l", "-e", "uprobe:$1:fn* { }", "--", bin.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(out, format!("uprobe:{}:fn1\n", bin.display()));
}

#[test]
fn watchpoint_address_and_length_from_arguments() {
    let Some(_k) = kernel_or_skip("attach_params_watchpoint") else {
        return;
    };
    let dir = scratch("attach_params_watchpoint");
    let src = workspace().join("tests/fixtures/watchpoint_test.c");
    let Some(bin) = build_c_file(&src, &dir.join("watchpoint_test"), &["-O1"]) else {
        return;
    };
    let obj = compile_text(
        &dir,
        "wp",
        "watchpoint:$1:$2:w { printf(\"hit %s\\n\", probe); exit(); }",
    );
    let cmd = format!("{} 100", bin.display());
    let out = ok_stdout(&run(&obj, &["-q", "-c", &cmd], &["0x10000000", "8"]));
    assert!(
        out.starts_with(&format!("hit watchpoint:{}:268435456:8:w\n", bin.display())),
        "{out}"
    );
    // A length the hardware cannot watch is refused before attaching.
    let o = run(&obj, &["-c", &cmd], &["0x10000000", "3"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ERROR: Invalid length argument: 3 is not 1, 2, 4 or 8"),
        "{err}"
    );
}

#[test]
fn usdt_binary_and_probe_from_arguments() {
    let Some(_k) = kernel_or_skip("attach_params_usdt") else {
        return;
    };
    let dir = scratch("attach_params_usdt");
    let src = workspace().join("tests/fixtures/usdt_test.c");
    let Some(bin) = build_c_file(&src, &dir.join("usdt_test"), &["-O1"]) else {
        return;
    };
    let obj = compile_text(
        &dir,
        "ud",
        "usdt:$1:tracectest:$2 { printf(\"%s %d %s\\n\", probe, arg0, str(arg3)); exit(); }",
    );
    let p = bin.to_str().unwrap();
    let cmd = format!("{p} 3");
    let out = ok_stdout(&run(&obj, &["-q", "-c", &cmd], &[p, "args"]));
    assert!(
        out.starts_with(&format!("usdt:{p}:tracectest:args -1 hello usdt 1\n")),
        "{out}"
    );
}
