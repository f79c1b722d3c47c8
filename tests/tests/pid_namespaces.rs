//! End to end: `pid(curr_ns)` / `tid(curr_ns)` and plain `pid` / `tid` see ids from
//! tracerun's pid namespace (as bpftrace's do), `pid(init)` / `tid(init)` from the
//! initial one.

use std::process::Command;
use tracec_tests::*;

const SCRIPT: &str = "BEGIN { printf(\"%d %d %d %d %d %d\\n\", pid, pid(curr_ns), pid(init), \
                      tid, tid(curr_ns), tid(init)); exit(); }";

/// The six numbers the script prints when tracerun runs under `prefix`.
fn ids(obj: &std::path::Path, prefix: &[&str]) -> Vec<u64> {
    let tracerun = bin("tracerun");
    let o = match prefix.split_first() {
        Some((cmd, rest)) => Command::new(cmd)
            .args(rest)
            .arg(&tracerun)
            .arg(obj)
            .output(),
        None => Command::new(&tracerun).arg(obj).output(),
    }
    .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let line = out
        .lines()
        .find(|l| !l.is_empty())
        .unwrap_or_else(|| panic!("no output: {out}"));
    line.split(' ').map(|w| w.parse().unwrap()).collect()
}

#[test]
fn pid_namespaces_of_the_runtime_and_the_host() {
    let Some(_g) = kernel_or_skip("pid_namespaces_of_the_runtime_and_the_host") else {
        return;
    };
    let dir = scratch("pid_namespaces");
    let obj = compile_text(&dir, "p", SCRIPT);
    // In the initial namespace all of them are the same.
    let v = ids(&obj, &[]);
    assert!(v.iter().all(|&x| x == v[0] && x > 1), "{v:?}");
    // In a new namespace tracerun is its first process.
    let has_unshare = Command::new("unshare")
        .args(["--fork", "--pid", "--mount-proc", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_unshare {
        eprintln!("skipping the namespaced run: unshare --pid does not work here");
        return;
    }
    let v = ids(&obj, &["unshare", "--fork", "--pid", "--mount-proc"]);
    let [pid, pid_ns, pid_init, tid, tid_ns, tid_init] = v[..] else {
        panic!("{v:?}")
    };
    assert_eq!((pid_ns, tid_ns), (1, 1), "{v:?}");
    assert!(pid_init > 1 && tid_init == pid_init, "{v:?}");
    // bpftrace's pid_namespace/pid_tid_inside: plain ids are the namespace's.
    assert_eq!((pid, tid), (1, 1), "{v:?}");
}

/// A program reading plain `pid` verifies the same number of instructions with and
/// without the namespace branch taken (the verifier explores only one of them).
#[test]
fn the_namespace_branch_is_pruned_by_the_verifier() {
    let Some(_g) = kernel_or_skip("the_namespace_branch_is_pruned_by_the_verifier") else {
        return;
    };
    let dir = scratch("pid_namespaces_verify");
    let plain = compile_text(&dir, "plain", "BEGIN { @[pid] = count(); }");
    let init = compile_text(&dir, "init", "BEGIN { @[pid(init)] = count(); }");
    let count = |text: String| -> u64 {
        let at = text.find(" instructions processed").expect(&text);
        let digits: String = text[..at]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.chars().rev().collect::<String>().parse().unwrap()
    };
    let plain_n = count(verify_ok(&plain));
    let init_n = count(verify_ok(&init));
    // The flag's load and test and the ids' stack slot (stored once, loaded at each
    // use), never the namespace helper's argument set-up, which alone is more.
    assert!(
        plain_n > init_n && plain_n <= init_n + 7,
        "plain {plain_n}, init {init_n}"
    );
}
