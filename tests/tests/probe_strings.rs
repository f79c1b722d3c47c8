//! End to end: `probe` and `func` where a string is needed. A probe shared by several
//! attach points reads its name from a `.rodata` table by the attach cookie; a single
//! attach point's name is a literal.

use std::path::Path;
use tracec_tests::*;

/// Run `obj` with `-c CMD` to its end.
fn run_child(obj: &Path, cmd: &str) -> Run {
    run_object_to_exit(obj, &["-c", cmd])
}

#[test]
fn uprobe_list_filters_and_keys_by_name_strings() {
    let Some(_g) = kernel_or_skip("uprobe_list_filters_and_keys_by_name_strings") else {
        return;
    };
    let dir = scratch("probe_strings_uprobes");
    let obj = compile_text(
        &dir,
        "u",
        "uprobe:/bin/bash:echo_builtin,uprobe:/bin/bash:pwd_builtin \
         /pid == cpid && strcontains(probe, \"pwd\")/ \
         { @f[str(func)] = count(); $s = str(probe); @n = strlen($s); printf(\"<%s>\\n\", $s); }\n\
         uprobe:/bin/bash:echo_builtin,uprobe:/bin/bash:pwd_builtin /pid == cpid/ \
         { $f = \"\"; $f = func; @all[$f] = count(); @eq[func == $f] = count(); }\n\
         uprobe:/bin/bash:echo_builtin /pid == cpid/ { @one[str(func)] = count(); @last = probe; }\n\
         uprobe:/bin/bash:pwd_builtin /pid == cpid/ { @last = probe; }\n\
         END { @fin = str(@last); $l = @last; @tail = strcontains($l, \"pwd\"); }",
    );
    let cmd = bash_command(&dir, "cmd", "echo a; pwd; echo b; pwd\n");
    let run = run_child(&obj, &cmd);
    let text = run.stdout_text();
    let fired: Vec<&String> = run
        .out_lines
        .iter()
        .filter(|l| l.starts_with('<'))
        .collect();
    assert_eq!(
        fired,
        [
            "<uprobe:/bin/bash:pwd_builtin>",
            "<uprobe:/bin/bash:pwd_builtin>"
        ],
        "{text}"
    );
    for want in [
        "@f[pwd_builtin]: 2\n",
        "@n: 28\n",
        "@all[echo_builtin]: 2\n",
        "@all[pwd_builtin]: 2\n",
        "@eq[true]: 4\n",
        "@one[echo_builtin]: 2\n",
        "@fin: uprobe:/bin/bash:pwd_builtin\n",
        "@tail: true\n",
    ] {
        assert!(text.contains(want), "no {want:?} in:\n{text}");
    }
    assert!(!text.contains("@f[echo_builtin]"), "{text}");
}

#[test]
fn kprobe_wildcard_name_strings_load() {
    let Some(_g) = kernel_or_skip("kprobe_wildcard_name_strings_load") else {
        return;
    };
    let dir = scratch("probe_strings_kprobes");
    let obj = compile_text(
        &dir,
        "k",
        "kprobe:vfs_read*,kprobe:vfs_write* /strcontains(func, \"write\")/ \
         { @[str(probe)] = count(); $p = probe; $q = \"x\"; $q = $p; @l = strlen(func); }",
    );
    let out = verify_ok(&obj);
    assert!(out.contains("1 program: 1 loaded, 0 rejected"), "{out}");
}
