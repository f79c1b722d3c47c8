//! The whole pipeline after the parser against the kernel's verifier: real tracepoint
//! formats, the back end, the object writer, `bpftool prog loadall`. Needs root, bpftool
//! and tracefs: skipped without them, unless `TRACEC_REQUIRE_KERNEL=1`.

use crate::front::ast::{BinOp, Program};
use crate::sema::tests::test_ast::*;
use std::process::Command;

fn load(name: &str, p: &Program) {
    let env = crate::probes::Env {
        tracefs: "/sys/kernel/tracing".into(),
        btf: None,
        pid: None,
    };
    let checked = crate::sema::check(p, &env).unwrap_or_else(|e| panic!("{e:?}"));
    let opts = crate::Options::default();
    let c = crate::finish("", &opts, &checked).unwrap_or_else(|e| panic!("{e:?}"));
    let path = std::env::temp_dir().join(format!("tracec_sema_{name}_{}.o", std::process::id()));
    std::fs::write(&path, &c.object).unwrap();
    let pin = format!("/sys/fs/bpf/tracec_sema_{name}_{}", std::process::id());
    let _ = std::fs::remove_dir_all(&pin);
    let out = Command::new("bpftool")
        .args(["-d", "prog", "loadall"])
        .arg(&path)
        .arg(&pin)
        .output()
        .expect("run bpftool");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir_all(&pin);
    let log = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        panic!(
            "{name} failed:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
}

/// Why the kernel test cannot run here, if it cannot.
fn unavailable() -> Option<&'static str> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root");
    }
    if !std::path::Path::new("/sys/kernel/tracing/events").exists() {
        return Some("tracefs not mounted");
    }
    if Command::new("bpftool").arg("version").output().is_err() {
        return Some("bpftool not installed");
    }
    None
}

#[test]
fn verifier_accepts_lowered_scripts() {
    if let Some(why) = unavailable() {
        assert!(
            std::env::var("TRACEC_REQUIRE_KERNEL").as_deref() != Ok("1"),
            "kernel test cannot run: {why}"
        );
        eprintln!("skipping verifier_accepts_lowered_scripts: {why}");
        return;
    }
    load(
        "execsnoop",
        &program(vec![
            probe(
                "BEGIN",
                None,
                vec![ex(call(
                    "printf",
                    vec![s("New processes with arguments\n")],
                ))],
            ),
            probe(
                "tracepoint:syscalls:sys_enter_execve",
                None,
                vec![ex(call("join", vec![arg("argv")]))],
            ),
        ]),
    );
    load(
        "opensnoop",
        &program(vec![
            probe(
                "tracepoint:syscalls:sys_enter_openat",
                None,
                vec![set(map("filename", vec![id("tid")]), arg("filename"))],
            ),
            probe(
                "tracepoint:syscalls:sys_exit_openat",
                Some(map("filename", vec![id("tid")])),
                vec![
                    if_(
                        bin(BinOp::Lt, arg("ret"), int(0)),
                        vec![ex(call(
                            "printf",
                            vec![
                                s("%s %s\n"),
                                id("comm"),
                                call("str", vec![map("filename", vec![id("tid")])]),
                            ],
                        ))],
                        None,
                    ),
                    ex(call("delete", vec![map("filename", vec![id("tid")])])),
                ],
            ),
        ]),
    );
    load(
        "aggs",
        &program(vec![probe(
            "tracepoint:sched:sched_switch",
            Some(bin(BinOp::Ne, arg("prev_comm"), s("swapper/0"))),
            vec![
                set(
                    map("c", vec![arg("prev_comm"), id("cpu")]),
                    call("count", vec![]),
                ),
                set(map("mn", vec![]), call("min", vec![arg("prev_pid")])),
                set(map("mx", vec![]), call("max", vec![arg("prev_pid")])),
                set(map("av", vec![]), call("avg", vec![arg("prev_pid")])),
                set(
                    map("sm", vec![id("comm")]),
                    call("sum", vec![arg("prev_pid")]),
                ),
                set(
                    var("s"),
                    tern(bin(BinOp::Gt, id("pid"), int(100)), s("big"), id("comm")),
                ),
                set(map("str", vec![var("s")]), arg("next_comm")),
                ex(call(
                    "printf",
                    vec![
                        s("%s %s %d %d\n"),
                        var("s"),
                        map("str", vec![var("s")]),
                        id("elapsed"),
                        id("nsecs"),
                    ],
                )),
                if_(
                    bin(
                        BinOp::LogAnd,
                        bin(BinOp::Eq, id("comm"), s("bash")),
                        bin(BinOp::Gt, id("uid"), int(0)),
                    ),
                    vec![ex(call("exit", vec![]))],
                    Some(vec![ex(call("clear", vec![map("c", vec![])]))]),
                ),
            ],
        )]),
    );
    load(
        "datalocs",
        &program(vec![probe(
            "tracepoint:sched:sched_process_exec",
            None,
            vec![
                ex(call("printf", vec![s("%s\n"), arg("filename")])),
                set(map("f", vec![arg("filename")]), call("count", vec![])),
            ],
        )]),
    );
}
