//! Process plumbing: children in their own process group with stdout and stderr merged
//! into one pipe (read line by line in the background), bounded waits, group kills.

use std::io::{BufRead, BufReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// A child whose merged output arrives as raw lines (each with its `\n`, if it had one).
pub struct Merged {
    pub child: Child,
    pub lines: Receiver<Vec<u8>>,
}

/// Exit code as the Python engine sees it: the code, or `-signal` when killed.
pub fn exit_code(s: ExitStatus) -> i32 {
    s.code().or_else(|| s.signal().map(|n| -n)).unwrap_or(-1)
}

/// Spawn `cmd` in a new process group, stdin from /dev/null, stdout and stderr into one pipe.
pub fn spawn_merged(mut cmd: Command) -> std::io::Result<Merged> {
    let (reader, writer) = std::io::pipe()?;
    let writer2 = writer.try_clone()?;
    cmd.stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .process_group(0);
    let child = cmd.spawn()?;
    // The Command holds the parent's copies of the write end; they must close for EOF.
    drop(cmd);
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(reader);
        loop {
            let mut buf = Vec::new();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(buf).is_err() {
                        break;
                    }
                }
            }
        }
    });
    Ok(Merged { child, lines: rx })
}

/// Spawn `cmd` in a new process group with all output discarded.
pub fn spawn_quiet(mut cmd: Command) -> std::io::Result<Child> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
}

/// `sh -c CMD` in `cwd`.
pub fn shell(cmd: &str, cwd: &Path) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(cmd).current_dir(cwd);
    c
}

/// Signal a child's whole process group (it leads one, see [`spawn_merged`]).
pub fn signal_group(child: &Child, sig: i32) {
    // SAFETY: kill(2) on a process group we created; a stale group is harmless (ESRCH).
    unsafe {
        libc::kill(-(child.id() as i32), sig);
    }
}

/// Wait for `child` until `deadline`; `None` if it is still running.
pub fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Give a helper `grace` to finish, then kill its group; always reaps it.
pub fn finish_helper(child: &mut Child, grace: Duration) {
    if wait_until(child, Instant::now() + grace).is_none() {
        signal_group(child, libc::SIGKILL);
        let _ = child.wait();
    }
}

/// Collect whatever lines are ready now.
pub fn drain_ready(rx: &Receiver<Vec<u8>>, out: &mut Vec<Vec<u8>>) {
    while let Ok(l) = rx.try_recv() {
        out.push(l);
    }
}

/// Collect the remaining lines until the pipe closes or `limit` passes (a grandchild that
/// inherited the pipe may keep it open).
pub fn drain_to_eof(rx: &Receiver<Vec<u8>>, out: &mut Vec<Vec<u8>>, limit: Duration) {
    let end = Instant::now() + limit;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.max(Duration::from_millis(1))) {
            Ok(l) => out.push(l),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) if Instant::now() >= end => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Run a command to completion (bounded by `limit`, then killed) with merged output.
/// Returns the exit code (`None` when it had to be killed) and the output.
pub fn run_bounded(cmd: Command, limit: Duration) -> std::io::Result<(Option<i32>, String)> {
    let mut m = spawn_merged(cmd)?;
    let mut lines = Vec::new();
    let end = Instant::now() + limit;
    let status = loop {
        drain_ready(&m.lines, &mut lines);
        if let Some(s) = wait_until(&mut m.child, Instant::now() + Duration::from_millis(20)) {
            break Some(s);
        }
        if Instant::now() >= end {
            signal_group(&m.child, libc::SIGKILL);
            let _ = m.child.wait();
            break None;
        }
    };
    drain_to_eof(&m.lines, &mut lines, Duration::from_millis(500));
    Ok((status.map(exit_code), join_lines(&lines)))
}

/// Concatenate raw lines into text (invalid UTF-8 replaced).
pub fn join_lines(lines: &[Vec<u8>]) -> String {
    let bytes: Vec<u8> = lines.concat();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A process of process group `pgid` whose `comm` is `name` (the lowest pid if several).
pub fn member_named(pgid: u32, name: &str) -> Option<u32> {
    let mut found: Option<u32> = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if stat_comm_and_pgrp(&stat) == Some((name, pgid)) {
            found = Some(found.map_or(pid, |f| f.min(pid)));
        }
    }
    found
}

/// `comm` and process group of a `/proc/PID/stat` line (`pid (comm) state ppid pgrp ...`;
/// comm may contain spaces and parentheses, so it ends at the last `)`).
pub fn stat_comm_and_pgrp(stat: &str) -> Option<(&str, u32)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?;
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let pgrp = rest.nth(2)?.parse().ok()?;
    Some((comm, pgrp))
}
