use std::path::Path;
use std::time::Duration;

use super::pidns::{enter, nspid, PidNs};
use super::proc::run_bounded;

#[test]
fn innermost_pid_is_the_last_nspid_field() {
    let status = "Name:\tsleep\nTgid:\t4242\nNSpid:\t4242\t7\nPPid:\t1\n";
    assert_eq!(nspid(status), Some(7));
    assert_eq!(nspid("NSpid:\t99\n"), Some(99));
    assert_eq!(nspid("Name:\tx\n"), None);
    assert_eq!(nspid("NSpid:\n"), None);
}

#[test]
fn commands_enter_pid_and_mount_namespaces_in_the_directory() {
    let c = enter(42, "prog".as_ref(), Path::new("/tmp/r1"));
    assert_eq!(c.get_program(), "nsenter");
    let args: Vec<_> = c
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        args,
        [
            "--target=42",
            "--pid",
            "--mount",
            "--wd=/tmp/r1",
            "--",
            "prog"
        ]
    );
    assert_eq!(c.get_current_dir(), Some(Path::new("/tmp/r1")));
}

#[test]
fn commands_in_the_namespace_see_its_pids_and_proc() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: creating a pid namespace needs root");
        return;
    }
    let ns = PidNs::start(Duration::from_secs(5)).expect("pid namespace");
    let dir = std::env::temp_dir();
    let cmd = ns.shell(
        "echo $$; cat /proc/1/comm; ls /proc | grep -c '^[0-9]'; pwd",
        &dir,
    );
    let (code, out) = run_bounded(cmd, Duration::from_secs(5)).expect("run");
    assert_eq!(code, Some(0), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let pid: u32 = lines[0].parse().expect("pid");
    // nsenter's child: a small pid after the namespace's init (sleep, pid 1).
    assert!((2..10).contains(&pid), "{out}");
    assert_eq!(lines[1], "sleep");
    // Only init, the shell and `ls` (and the sleeping grep) are there.
    let procs: u32 = lines[2].parse().expect("count");
    assert!(procs <= 5, "{out}");
    assert_eq!(Path::new(lines[3]), dir.canonicalize().unwrap());
    drop(ns);
}
