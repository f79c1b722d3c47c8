//! End to end: a wildcard uprobe (one program for several functions) attaches through
//! one `uprobe_multi` link per file where the kernel has them, and `probe` still names
//! each function (the link's cookies); with `TRACERUN_NO_UPROBE_MULTI` set, the
//! per-function links give the same output.

use std::path::{Path, PathBuf};
use std::process::Command;
use tracec_tests::*;

/// Calls `umulti_a` once, `umulti_b` twice and `umulti_c` three times, then
/// `umulti_done`.
fn build_target(dir: &Path) -> Option<PathBuf> {
    build_c(
        dir,
        "umulti",
        "#define F(n) __attribute__((noinline)) int n(int x) { asm volatile(\"\"); return x + 1; }\n\
         F(umulti_a) F(umulti_b) F(umulti_c) F(umulti_done)\n\
         int main(void) { int s = umulti_a(0); for (int i = 0; i < 2; i++) s += umulti_b(i);\n\
         for (int i = 0; i < 3; i++) s += umulti_c(i); umulti_done(s); return 0; }\n",
        &["-O0", "-no-pie"],
    )
}

/// Run `script` (with `PROG` replaced by the target) on the target with `-c`;
/// stdout, the number of `uprobe_multi` links of tracerun the script's `system`
/// saw (its parent's descriptors), and the target's path.
fn run(name: &str, script: &str, multi: bool) -> Option<(String, usize, String)> {
    let _guard = kernel_or_skip(name)?;
    let dir = scratch(name);
    let prog = build_target(&dir)?;
    let p = prog.display().to_string();
    let script = script.replace("PROG", &p);
    let out = dir.join(format!("{name}.o"));
    let src = dir.join(format!("{name}.bt"));
    std::fs::write(&src, script).unwrap();
    let o = tracec(&[
        "--unsafe",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut cmd = Command::new(bin("tracerun"));
    cmd.args(["--unsafe"]).arg(&out).args(["-c", &p]);
    if !multi {
        cmd.env("TRACERUN_NO_UPROBE_MULTI", "1");
    }
    let o = cmd.output().expect("run tracerun");
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let links = stdout
        .lines()
        .find_map(|l| l.strip_prefix("links: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the script printed the link count");
    Some((stdout, links, p))
}

const COUNT: &str = "uprobe:PROG:umulti_? { @[probe] = count(); }\n\
    uprobe:PROG:umulti_done { printf(\"links: \"); \
    system(\"grep -h link_type /proc/$PPID/fdinfo/* | grep -c probe_multi\"); }\n";

const RET: &str = "uretprobe:PROG:umulti_? { @[probe, retval] = count(); }\n\
    uprobe:PROG:umulti_done { printf(\"links: \"); \
    system(\"grep -h link_type /proc/$PPID/fdinfo/* | grep -c probe_multi\"); }\n";

fn expect_counts(stdout: &str, p: &str) {
    for (f, n) in [("a", 1), ("b", 2), ("c", 3)] {
        let line = format!("@[uprobe:{p}:umulti_{f}]: {n}");
        assert!(stdout.contains(&line), "no {line:?} in:\n{stdout}");
    }
}

#[test]
fn wildcard_uprobe_is_one_multi_link() {
    let Some((stdout, links, p)) = run("umulti_entry", COUNT, true) else {
        return;
    };
    expect_counts(&stdout, &p);
    assert_eq!(links, 1, "{stdout}");
}

#[test]
fn wildcard_uretprobe_is_one_multi_link() {
    let Some((stdout, links, p)) = run("umulti_ret", RET, true) else {
        return;
    };
    for line in [
        format!("@[uretprobe:{p}:umulti_a, 1]: 1"),
        format!("@[uretprobe:{p}:umulti_b, 2]: 1"),
        format!("@[uretprobe:{p}:umulti_c, 3]: 1"),
    ] {
        assert!(stdout.contains(&line), "no {line:?} in:\n{stdout}");
    }
    assert_eq!(links, 1, "{stdout}");
}

#[test]
fn without_multi_links_each_function_has_its_own() {
    let Some((stdout, links, p)) = run("umulti_plain", COUNT, false) else {
        return;
    };
    expect_counts(&stdout, &p);
    assert_eq!(links, 0, "{stdout}");
}
