//! Child processes: one-shot runs measured with `wait4` (wall time, peak RSS), and
//! long-running tracer sessions whose output is scanned while the harness works.

use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What one finished child cost and said.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// From just before `spawn` to the return of `wait4`.
    pub wall: Duration,
    /// `ru_maxrss` of the child (KiB on Linux).
    pub maxrss_kib: u64,
    /// User plus system CPU time of the child.
    pub cpu: Duration,
    /// Exit status, or `128 + signal` when killed by a signal.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn success(&self) -> bool {
        self.status == 0
    }
}

/// What `wait4` says about a reaped child.
struct Reaped {
    status: i32,
    maxrss_kib: u64,
    cpu: Duration,
}

fn tv(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
}

/// Reap `pid` with `wait4`; `None` if `WNOHANG` and it has not exited.
fn reap(pid: libc::pid_t, options: libc::c_int) -> io::Result<Option<Reaped>> {
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; pid is our own child.
        let r = unsafe { libc::wait4(pid, &mut status, options, &mut usage) };
        if r == pid {
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else if libc::WIFSIGNALED(status) {
                128 + libc::WTERMSIG(status)
            } else {
                -1
            };
            return Ok(Some(Reaped {
                status: code,
                maxrss_kib: usage.ru_maxrss.max(0) as u64,
                cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
            }));
        }
        if r == 0 {
            return Ok(None);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        // A read error only truncates what we keep of the output.
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Run `cmd` to completion, stdin closed, capturing its output.
pub fn run(cmd: &mut Command) -> io::Result<Outcome> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let out = drain(child.stdout.take().expect("piped"));
    let err = drain(child.stderr.take().expect("piped"));
    let r = reap(child.id() as libc::pid_t, 0)?.expect("blocking wait4 returns a status");
    let wall = start.elapsed();
    Ok(Outcome {
        wall,
        maxrss_kib: r.maxrss_kib,
        cpu: r.cpu,
        status: r.status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Lines a session's output streams have produced so far.
#[derive(Default)]
struct Seen {
    /// Lines equal to the session's `count_line` (not stored).
    counted: AtomicU64,
    /// Every other line, up to `KEEP` of them (enough for a 100k-entry map print).
    kept: Mutex<Vec<String>>,
    /// Lines containing the session's ready marker.
    ready: Mutex<usize>,
    ready_cv: Condvar,
}

const KEEP: usize = 250_000;

/// A tracer running in the background.
pub struct Session {
    child: Child,
    start: Instant,
    seen: Arc<Seen>,
    readers: Vec<JoinHandle<()>>,
}

/// How a session ended.
#[derive(Debug)]
pub struct SessionEnd {
    pub outcome_status: i32,
    pub maxrss_kib: u64,
    /// Lines equal to `count_line`, on both streams.
    pub counted: u64,
    /// Every other line (both streams interleaved by reader, bounded).
    pub lines: Vec<String>,
    /// Time from SIGINT to exit.
    pub stop_time: Duration,
}

impl Session {
    /// Start `cmd`; lines equal to `count_line` are only counted, others are kept,
    /// and lines containing `marker` count as readiness signals.
    pub fn start(cmd: &mut Command, marker: &str, count_line: &str) -> io::Result<Session> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = cmd.spawn()?;
        let seen = Arc::new(Seen::default());
        let mut readers = Vec::new();
        let out: Box<dyn Read + Send> = Box::new(child.stdout.take().expect("piped"));
        let err: Box<dyn Read + Send> = Box::new(child.stderr.take().expect("piped"));
        for stream in [out, err] {
            let seen = Arc::clone(&seen);
            let marker = marker.to_string();
            let count_line = count_line.to_string();
            readers.push(thread::spawn(move || {
                let mut r = BufReader::with_capacity(1 << 16, stream);
                let mut line = String::new();
                loop {
                    line.clear();
                    match r.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let l = line.trim_end_matches('\n');
                    if l == count_line {
                        seen.counted.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    if l.contains(&marker) {
                        *seen.ready.lock().unwrap() += 1;
                        seen.ready_cv.notify_all();
                    }
                    let mut kept = seen.kept.lock().unwrap();
                    // Marker and loss lines are few and always wanted.
                    if kept.len() < KEEP || l.contains(&marker) || l.starts_with("Lost ") {
                        kept.push(l.to_string());
                    }
                }
                // Wake a waiter: the stream is closed, no marker will come.
                seen.ready_cv.notify_all();
            }));
        }
        Ok(Session {
            child,
            start,
            seen,
            readers,
        })
    }

    pub fn pid(&self) -> libc::pid_t {
        self.child.id() as libc::pid_t
    }

    /// Wait until `n` marker lines were seen; false on timeout or if the child exited.
    pub fn wait_ready(&mut self, n: usize, timeout: Duration) -> bool {
        let deadline = self.start + timeout;
        let mut ready = self.seen.ready.lock().unwrap();
        while *ready < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let step = (deadline - now).min(Duration::from_millis(50));
            ready = self.seen.ready_cv.wait_timeout(ready, step).unwrap().0;
            if *ready < n && matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
        }
        true
    }

    /// Wait until `n` marker lines were seen, or at least one was and no other came
    /// for `quiet`, or `timeout` passed.
    pub fn wait_markers(&self, n: usize, quiet: Duration, timeout: Duration) {
        let end = Instant::now() + timeout;
        let mut last = 0;
        let mut since = Instant::now();
        while Instant::now() < end {
            let now = *self.seen.ready.lock().unwrap();
            if now >= n {
                return;
            }
            if now != last {
                last = now;
                since = Instant::now();
            } else if now > 0 && since.elapsed() >= quiet {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Lines equal to `count_line` so far.
    pub fn counted(&self) -> u64 {
        self.seen.counted.load(Ordering::Relaxed)
    }

    /// Wait until the counted lines stop growing for `quiet` (at most `limit`).
    pub fn settle(&self, quiet: Duration, limit: Duration) {
        let end = Instant::now() + limit;
        let mut last = self.counted();
        let mut since = Instant::now();
        while Instant::now() < end {
            thread::sleep(Duration::from_millis(20));
            let now = self.counted();
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() >= quiet {
                return;
            }
        }
    }

    /// CPU time (user + system, clock ticks) the tracer has used so far.
    pub fn cpu_ticks(&self) -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).ok()?;
        // Fields after the parenthesised command name; utime and stime are 14 and 15.
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
    }

    /// SIGINT, then wait (SIGKILL after `grace`), and collect what it printed.
    pub fn stop(self, grace: Duration) -> io::Result<SessionEnd> {
        let pid = self.pid();
        let t = Instant::now();
        // SAFETY: signalling our own child, which has not been reaped yet.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let r = loop {
            if let Some(r) = reap(pid, libc::WNOHANG)? {
                break r;
            }
            if t.elapsed() > grace {
                // SAFETY: as above.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                break reap(pid, 0)?.expect("blocking wait4 returns a status");
            }
            thread::sleep(Duration::from_millis(5));
        };
        let stop_time = t.elapsed();
        for r in self.readers {
            let _ = r.join();
        }
        let lines = std::mem::take(&mut *self.seen.kept.lock().unwrap());
        Ok(SessionEnd {
            outcome_status: r.status,
            maxrss_kib: r.maxrss_kib,
            counted: self.seen.counted.load(Ordering::Relaxed),
            lines,
            stop_time,
        })
    }
}

/// The sum of `Lost N events` reports in `lines`.
pub fn lost_events(lines: &[String]) -> u64 {
    lines
        .iter()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("Lost ")?;
            rest.strip_suffix(" events")?.trim().parse::<u64>().ok()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_measures_exit_status_and_output() {
        let o = run(Command::new("sh").args(["-c", "echo hi; echo err >&2; exit 3"])).unwrap();
        assert_eq!(o.status, 3);
        assert_eq!(o.stdout, "hi\n");
        assert_eq!(o.stderr, "err\n");
        assert!(o.maxrss_kib > 0);
    }

    #[test]
    fn session_counts_lines_and_sees_marker() {
        let mut s = Session::start(
            Command::new("sh").args(["-c", "echo ready; echo x; echo x; echo other; exec sleep 5"]),
            "ready",
            "x",
        )
        .unwrap();
        assert!(s.wait_ready(1, Duration::from_secs(5)));
        s.settle(Duration::from_millis(200), Duration::from_secs(2));
        let end = s.stop(Duration::from_secs(2)).unwrap();
        assert_eq!(end.counted, 2);
        assert_eq!(end.lines, vec!["ready".to_string(), "other".to_string()]);
        assert_eq!(end.outcome_status, 128 + libc::SIGINT);
    }

    #[test]
    fn lost_lines_are_summed() {
        let lines = ["Lost 3 events", "x", "Lost 10 events", "Lost x events"].map(String::from);
        assert_eq!(lost_events(&lines), 13);
    }
}
