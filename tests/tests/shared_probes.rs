//! End to end: one program per probe. The attach points of a uprobe or tracepoint
//! comma list and of a kprobe wildcard share one program, which tells them apart by
//! the attach cookie; `probe` and `func` still print per attach point, as printf
//! arguments and as map keys, in text and JSON (the call forms `probe()` and `func()`
//! are the same values).

use std::collections::BTreeSet;
use std::path::Path;
use tracec_tests::*;

fn metadata(obj: &Path) -> tracec_meta::Metadata {
    object_metadata(&std::fs::read(obj).unwrap())
}

/// Distinct programs of the object, and how many attach points it has.
fn programs(obj: &Path) -> (usize, usize) {
    let m = metadata(obj);
    let set: BTreeSet<&str> = m.probes.iter().map(|p| p.program.as_str()).collect();
    (set.len(), m.probes.len())
}

/// Run `obj` with `-c CMD` (and `extra`) to its end.
fn run_child(obj: &Path, cmd: &str, extra: &[&str]) -> Run {
    let mut args = vec!["-c", cmd];
    args.extend_from_slice(extra);
    run_object_to_exit(obj, &args)
}

#[test]
fn uprobe_comma_list_shares_a_program() {
    let Some(_g) = kernel_or_skip("uprobe_comma_list_shares_a_program") else {
        return;
    };
    let dir = scratch("shared_uprobes");
    let obj = compile_text(
        &dir,
        "u",
        "uprobe:/bin/bash:echo_builtin,uprobe:/bin/bash:pwd_builtin /pid == cpid/ \
         { printf(\"<%s|%s>\\n\", probe(), func()); @[probe, func] = count(); @f[func] = count(); }",
    );
    assert_eq!(programs(&obj), (1, 2));
    let cmd = bash_command(&dir, "cmd", "echo a; pwd; echo b\n");
    let run = run_child(&obj, &cmd, &[]);
    let fired: Vec<&String> = run
        .out_lines
        .iter()
        .filter(|l| l.starts_with('<'))
        .collect();
    assert_eq!(
        fired,
        [
            "<uprobe:/bin/bash:echo_builtin|echo_builtin>",
            "<uprobe:/bin/bash:pwd_builtin|pwd_builtin>",
            "<uprobe:/bin/bash:echo_builtin|echo_builtin>",
        ],
        "{}",
        run.stdout_text()
    );
    let text = run.stdout_text();
    for want in [
        "@[uprobe:/bin/bash:pwd_builtin, pwd_builtin]: 1\n",
        "@[uprobe:/bin/bash:echo_builtin, echo_builtin]: 2\n",
        "@f[pwd_builtin]: 1\n",
        "@f[echo_builtin]: 2\n",
    ] {
        assert!(text.contains(want), "no {want:?} in:\n{text}");
    }
    assert!(
        run.err_lines.iter().any(|l| l == "Attached 2 probes"),
        "{:?}",
        run.err_lines
    );
    // JSON names them the same way.
    let run = run_child(&obj, &cmd, &["-f", "json"]);
    let text = run.stdout_text();
    assert!(
        text.contains(r#""@f": {"pwd_builtin": 1, "echo_builtin": 2}"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"{"type": "printf", "data": "<uprobe:/bin/bash:pwd_builtin|pwd_builtin>\n"}"#
        ),
        "{text}"
    );
}

#[test]
fn tracepoint_comma_list_shares_a_program() {
    let Some(_g) = kernel_or_skip("tracepoint_comma_list_shares_a_program") else {
        return;
    };
    let dir = scratch("shared_tracepoints");
    // bash calls getpid for `$$` and getppid for `$PPID`; the single attach point
    // keeps its own program.
    let obj = compile_text(
        &dir,
        "t",
        "tracepoint:syscalls:sys_enter_getpid,tracepoint:syscalls:sys_enter_getppid /pid == cpid/ \
         { printf(\"%s\\n\", probe); @[probe] = count(); }\n\
         tracepoint:syscalls:sys_exit_getppid /pid == cpid/ { @x[probe] = count(); }",
    );
    assert_eq!(programs(&obj), (2, 3));
    let cmd = bash_command(&dir, "cmd", "echo $$ $PPID\n");
    let run = run_child(&obj, &cmd, &[]);
    let text = run.stdout_text();
    let lines: BTreeSet<&str> = run
        .out_lines
        .iter()
        .filter(|l| l.starts_with("tracepoint:"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        lines,
        BTreeSet::from([
            "tracepoint:syscalls:sys_enter_getpid",
            "tracepoint:syscalls:sys_enter_getppid"
        ]),
        "{text}"
    );
    let count = |key: &str| -> u64 {
        let prefix = format!("{key}: ");
        let line = run
            .out_lines
            .iter()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"));
        line.parse().unwrap()
    };
    let printed = |name: &str| run.out_lines.iter().filter(|l| *l == name).count() as u64;
    for tp in ["sys_enter_getpid", "sys_enter_getppid"] {
        let name = format!("tracepoint:syscalls:{tp}");
        assert_eq!(count(&format!("@[{name}]")), printed(&name), "{text}");
    }
    assert!(
        count("@x[tracepoint:syscalls:sys_exit_getppid]") >= 1,
        "{text}"
    );
}

#[test]
fn kprobe_wildcard_loads_one_program() {
    let Some(_g) = kernel_or_skip("kprobe_wildcard_loads_one_program") else {
        return;
    };
    let dir = scratch("shared_kprobes");
    let obj = compile_text(
        &dir,
        "k",
        "kprobe:vfs_read*,kprobe:vfs_write* { @[func] = count(); printf(\"%s %s\\n\", probe, func); }\n\
         kretprobe:vfs_read,kretprobe:vfs_write { @r[probe] = count(); }",
    );
    let (progs, attach_points) = programs(&obj);
    assert_eq!(progs, 2);
    assert!(attach_points >= 4, "{attach_points}");
    let m = metadata(&obj);
    for p in &m.probes {
        let i = p.cookie.expect("every attach point has a cookie") as usize;
        assert_eq!(m.attach_names[i].probe, p.name);
        let func = p.name.rsplit(':').next().unwrap();
        assert_eq!(m.attach_names[i].func, func);
    }
    let out = verify_ok(&obj);
    assert!(out.contains("2 programs: 2 loaded, 0 rejected"), "{out}");
}

#[test]
fn uprobe_wildcard_expands_against_the_binary_symbols() {
    let Some(_g) = kernel_or_skip("uprobe_wildcard_expands_against_the_binary_symbols") else {
        return;
    };
    let dir = scratch("uprobe_wildcard");
    let obj = compile_text(
        &dir,
        "w",
        "uprobe:/bin/bash:*d_builtin /pid == cpid/ \
         { printf(\"<%s|%s>\\n\", probe, func); @[func] = count(); }",
    );
    // One program for every `*d_builtin` function of bash (cd, pwd, ...).
    let (progs, points) = programs(&obj);
    assert_eq!(progs, 1);
    assert!(points >= 2, "{points} attach points");
    let cmd = bash_command(&dir, "cmd", "cd /; pwd; cd /tmp\n");
    let run = run_child(&obj, &cmd, &[]);
    let fired: Vec<&String> = run
        .out_lines
        .iter()
        .filter(|l| l.starts_with('<'))
        .collect();
    assert_eq!(
        fired,
        [
            "<uprobe:/bin/bash:cd_builtin|cd_builtin>",
            "<uprobe:/bin/bash:pwd_builtin|pwd_builtin>",
            "<uprobe:/bin/bash:cd_builtin|cd_builtin>",
        ]
    );
    assert!(
        run.out_lines.iter().any(|l| l == "@[cd_builtin]: 2"),
        "{:?}",
        run.out_lines
    );
    assert!(run.out_lines.iter().any(|l| l == "@[pwd_builtin]: 1"));
}
