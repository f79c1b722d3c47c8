//! `NEW_PIDNS`: a record's `BEFORE`, program and `AFTER` commands run in a new pid
//! namespace that mounts its own `/proc`, so that `pidof`, `/proc` scans and the pids
//! the program sees are the namespace's.
//!
//! The namespace is held by one process, `unshare --pid --fork --mount-proc
//! --kill-child sleep ...`, whose forked child is the namespace's init (pid 1). Every
//! command of the record then runs through `nsenter` into that init's pid and mount
//! namespaces (`nsenter` forks, so the command itself is a member of the namespace).
//! Dropping the [`PidNs`] kills the holder; the kernel then kills everything left in
//! the namespace with its init.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::proc::{signal_group, spawn_quiet};

/// A live pid namespace (see the module documentation).
pub struct PidNs {
    holder: Child,
    /// The namespace's init, by its pid in the runner's namespace.
    init: u32,
}

impl PidNs {
    /// Create the namespace and wait (up to `limit`) until its init runs.
    pub fn start(limit: Duration) -> Result<PidNs, String> {
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child"])
            .args(["sleep", "100000"]);
        let holder = spawn_quiet(cmd).map_err(|e| format!("NEW_PIDNS: cannot run unshare: {e}"))?;
        let mut ns = PidNs { holder, init: 0 };
        let end = Instant::now() + limit;
        loop {
            if let Some(init) = child_of(ns.holder.id()).filter(|p| inner_pid(*p) == Some(1)) {
                ns.init = init;
                return Ok(ns);
            }
            if let Ok(Some(s)) = ns.holder.try_wait() {
                return Err(format!("NEW_PIDNS: unshare exited ({s})"));
            }
            if Instant::now() >= end {
                return Err("NEW_PIDNS: timed out waiting for the namespace".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `program` to be run inside the namespace, in directory `dir` (set up the rest
    /// as for a plain [`Command`]).
    pub fn command(&self, program: impl AsRef<OsStr>, dir: &Path) -> Command {
        enter(self.init, program.as_ref(), dir)
    }

    /// `sh -c CMD` inside the namespace, in `dir`.
    pub fn shell(&self, cmd: &str, dir: &Path) -> Command {
        let mut c = self.command("sh", dir);
        c.arg("-c").arg(cmd);
        c
    }
}

impl Drop for PidNs {
    fn drop(&mut self) {
        signal_group(&self.holder, libc::SIGKILL);
        let _ = self.holder.wait();
    }
}

/// `nsenter` into the pid and mount namespaces of process `target`, running `program`
/// in `dir` (entering a mount namespace resets the working directory, hence `--wd`).
pub fn enter(target: u32, program: &OsStr, dir: &Path) -> Command {
    let mut c = Command::new("nsenter");
    c.arg(format!("--target={target}"))
        .args(["--pid", "--mount"])
        .arg(format!("--wd={}", dir.display()))
        .arg("--")
        .arg(program)
        .current_dir(dir);
    c
}

/// A child of process `pid` (the first listed), from `/proc/PID/task/PID/children`.
fn child_of(pid: u32) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// The pid process `pid` (of the runner's namespace) has in its innermost namespace.
pub fn inner_pid(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    nspid(&status)
}

/// The innermost pid of a `/proc/PID/status` text (the last field of its `NSpid:` line).
pub fn nspid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))?
        .split_whitespace()
        .last()?
        .parse()
        .ok()
}
