//! `tracerun -c CMD`: the child process, as bpftrace runs it.
//!
//! The child is forked before the programs load, so that its pid is known to them
//! (`cpid`), and it waits on a pipe until every probe is attached; only then does it
//! `exec` the command, so nothing it does is missed, its `execve` included.
//!
//! An object that needs to know where the command's executable is loaded before
//! loading (`uaddr` of a PIE: [`crate::symaddr`]) has it spawned with
//! [`Child::spawn_exec_stopped`] instead: it `exec`s at once under
//! `PTRACE_TRACEME`, so the kernel stops it right after the exec, before its first
//! instruction, and it is let go (`PTRACE_DETACH`) once every probe is attached
//! (where `ptrace` is refused, it stops itself before the exec and waits on the pipe).
//!
//! When the child exits the session ends as if `exit()` had been called; if the
//! session ends first, the child gets `SIGTERM` (`SIGKILL` if it never ran).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A forked child waiting to exec its command.
pub struct Child {
    pid: libc::pid_t,
    /// The executable the child will run (the command's first word, found in `$PATH`).
    program: std::path::PathBuf,
    /// Write end of the start pipe; writing one byte lets the child exec.
    go: Option<OwnedFd>,
    /// Stopped under ptrace right after its exec, until [`Child::start`].
    traced: bool,
    /// A pidfd: readable once the child has exited.
    exited: OwnedFd,
    reaped: bool,
}

/// Split a command line into words as bpftrace does: at every space, and nothing
/// else (no quoting, no escapes: `echo 'A'` passes `'A'` with its quotes; two spaces
/// make an empty word between them; a space at the end adds no word). The command is
/// executed directly, not through a shell.
pub fn split(cmd: &str) -> Result<Vec<String>, String> {
    let mut words: Vec<String> = cmd.split(' ').map(str::to_string).collect();
    // Like reading words with getline: the text after a final space is no word.
    if words.len() > 1 && words.last().is_some_and(String::is_empty) {
        words.pop();
    }
    if words.iter().all(String::is_empty) {
        return Err("the command is empty".into());
    }
    if words[0].is_empty() {
        return Err(format!("the command starts with a space: {cmd:?}"));
    }
    Ok(words)
}

/// The executable `name` names: itself if it contains a `/`, else the first match in
/// `$PATH`.
fn resolve(name: &str) -> Result<PathBuf, String> {
    let runnable = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| {
                use std::os::unix::fs::PermissionsExt;
                m.is_file() && m.permissions().mode() & 0o111 != 0
            })
            .unwrap_or(false)
    };
    if name.contains('/') {
        let p = PathBuf::from(name);
        return if runnable(&p) {
            Ok(p)
        } else {
            Err(format!("{name}: no such executable file"))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| runnable(p))
        .ok_or_else(|| format!("{name}: command not found"))
}

fn cstring(s: &[u8]) -> Result<CString, String> {
    CString::new(s).map_err(|_| "the command contains a NUL byte".to_string())
}

impl Child {
    /// Fork a child that will run `cmd` once [`Child::start`] is called.
    pub fn spawn(cmd: &str) -> Result<Child, String> {
        Child::spawn_with(cmd, false)
    }

    /// Fork a child that execs `cmd` at once and stops right after the exec (its
    /// executable mapped, nothing run) until [`Child::start`].
    pub fn spawn_exec_stopped(cmd: &str) -> Result<Child, String> {
        Child::spawn_with(cmd, true)
    }

    /// The child for `meta`'s object: stopped after its exec when the object reads
    /// symbol addresses of user files (`uaddr`), whose load bias the runtime reads
    /// from the process before loading; else waiting before its exec.
    pub fn spawn_for(cmd: &str, meta: &tracec_meta::Metadata) -> Result<Child, String> {
        let uaddr = meta
            .symbol_globals
            .iter()
            .any(|g| g.path.is_some() && g.kind == tracec_meta::SymbolKind::Address);
        Child::spawn_with(cmd, uaddr)
    }

    fn spawn_with(cmd: &str, exec_first: bool) -> Result<Child, String> {
        let words = split(cmd)?;
        let program = resolve(&words[0])?;
        // Everything the child needs is allocated before fork: after it, the child may
        // only make async-signal-safe calls.
        let path = cstring(program.as_os_str().as_bytes())?;
        let args = words
            .iter()
            .map(|w| cstring(w.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        let mut fds = [0 as RawFd; 2];
        // SAFETY: fds has room for the two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(format!(
                "cannot create a pipe: {}",
                io::Error::last_os_error()
            ));
        }
        // SAFETY: both descriptors were just created and are owned here.
        let (rx, tx) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // SAFETY: tracerun is single-threaded here; the child only calls
        // async-signal-safe functions (close, read, sigprocmask, execv, write, _exit).
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(format!("cannot fork: {}", io::Error::last_os_error()));
        }
        if pid == 0 {
            // SAFETY: see above; every pointer was prepared before fork.
            unsafe { child_main(rx.as_raw_fd(), tx.as_raw_fd(), &path, &argv, exec_first) }
        }
        drop(rx);
        let stop = if exec_first {
            wait_exec_stop(pid)
        } else {
            Ok(false)
        };
        let traced = match stop {
            Ok(t) => t,
            Err(e) => {
                // SAFETY: our own child; reaped here.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, std::ptr::null_mut(), 0);
                }
                return Err(e);
            }
        };
        // SAFETY: pidfd_open on our own child; -1 on failure is checked.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as RawFd;
        if pidfd < 0 {
            let e = io::Error::last_os_error();
            // SAFETY: our child, which has not exec'ed yet.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
            return Err(format!("cannot watch the child process (pidfd_open): {e}"));
        }
        Ok(Child {
            pid,
            program,
            go: Some(tx),
            traced,
            // SAFETY: a new descriptor owned here.
            exited: unsafe { OwnedFd::from_raw_fd(pidfd) },
            reaped: false,
        })
    }

    /// The executable the child runs once started.
    pub fn program(&self) -> &std::path::Path {
        &self.program
    }

    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// Let the child run its command.
    pub fn start(&mut self) {
        if std::mem::take(&mut self.traced) {
            // SAFETY: our own child, in its post-exec ptrace stop; detaching
            // with signal 0 resumes it without the exec's SIGTRAP.
            unsafe { libc::ptrace(libc::PTRACE_DETACH, self.pid, 0, 0) };
            self.go.take();
            return;
        }
        if let Some(go) = self.go.take() {
            // SAFETY: writing one byte from a valid buffer to our pipe.
            unsafe { libc::write(go.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
        }
    }

    /// Readable once the child has exited.
    pub fn exit_fd(&self) -> RawFd {
        self.exited.as_raw_fd()
    }

    /// Reap the child if it has exited; true if it has.
    pub fn try_reap(&mut self) -> bool {
        if self.reaped {
            return true;
        }
        let mut status = 0;
        // SAFETY: our own child; WNOHANG never blocks.
        let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
        self.reaped = r == self.pid;
        self.reaped
    }
}

impl Drop for Child {
    /// A child that never started is released without running (the pipe closes); one
    /// still running gets SIGTERM, as bpftrace does; either way it is reaped.
    fn drop(&mut self) {
        self.go.take();
        if self.try_reap() {
            return;
        }
        if self.traced {
            // Stopped before its first instruction: it never ran.
            // SAFETY: our own child, not yet reaped.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                libc::waitpid(self.pid, std::ptr::null_mut(), 0);
            }
            return;
        }
        // SAFETY: our own child, not yet reaped, so the pid is still ours.
        unsafe {
            libc::kill(self.pid, libc::SIGTERM);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}

/// Wait for the child's first stop: after its exec under ptrace (`Ok(true)`; exits
/// with tracerun from now on), or before it, where ptrace was refused (`Ok(false)`:
/// it is continued, to wait for the go byte). An exit is a failed exec.
fn wait_exec_stop(pid: libc::pid_t) -> Result<bool, String> {
    let mut status = 0;
    loop {
        // SAFETY: our own child; status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WUNTRACED) };
        if r == pid {
            break;
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(format!("cannot wait for the child process: {e}"));
        }
    }
    if !libc::WIFSTOPPED(status) {
        return Err("cannot execute the command".into());
    }
    if libc::WSTOPSIG(status) == libc::SIGSTOP {
        // SAFETY: our own, stopped child.
        unsafe { libc::kill(pid, libc::SIGCONT) };
        return Ok(false);
    }
    // SAFETY: our own tracee, stopped: it is killed if tracerun exits first.
    unsafe {
        libc::ptrace(
            libc::PTRACE_SETOPTIONS,
            pid,
            0,
            libc::PTRACE_O_EXITKILL as libc::c_long,
        )
    };
    Ok(true)
}

/// The forked child: wait for the go byte, then exec; with `exec_first`, exec at
/// once under ptrace (the kernel stops it after the exec), or where ptrace is
/// refused, stop (for [`wait_exec_stop`]) and then wait for the go byte. Never returns.
///
/// # Safety
/// Must only run in a freshly forked child; all pointers stay valid (they were
/// allocated before fork).
unsafe fn child_main(
    rx: RawFd,
    tx: RawFd,
    path: &CString,
    argv: &[*const libc::c_char],
    exec_first: bool,
) -> ! {
    libc::close(tx);
    // tracerun blocks SIGINT/SIGTERM for its signalfd; the command must not inherit it.
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    if exec_first {
        if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == 0 {
            libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            exec(path, argv);
        }
        libc::raise(libc::SIGSTOP);
    }
    let mut byte = 0u8;
    let n = loop {
        let n = libc::read(rx, (&mut byte as *mut u8).cast(), 1);
        if n >= 0 || *libc::__errno_location() != libc::EINTR {
            break n;
        }
    };
    if n != 1 {
        // tracerun ended (or failed) before attaching: do not run the command.
        libc::_exit(0);
    }
    libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    exec(path, argv)
}

/// Exec the command, or report that it could not be and exit.
///
/// # Safety
/// As [`child_main`].
unsafe fn exec(path: &CString, argv: &[*const libc::c_char]) -> ! {
    libc::execv(path.as_ptr(), argv.as_ptr());
    let msg = b"tracerun: error: cannot execute the -c command\n";
    libc::write(2, msg.as_ptr().cast(), msg.len());
    libc::_exit(127);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Let `c` run, and wait (at most 10 s) for it to exit.
    fn run_to_exit(c: &mut Child) {
        c.start();
        let mut fds = [libc::pollfd {
            fd: c.exit_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: one valid pollfd.
        assert_eq!(unsafe { libc::poll(fds.as_mut_ptr(), 1, 10_000) }, 1);
        assert!(c.try_reap());
    }

    #[test]
    fn splits_at_spaces_only() {
        assert_eq!(split("ls -l /tmp").unwrap(), ["ls", "-l", "/tmp"]);
        // Quotes and backslashes are part of the words.
        assert_eq!(
            split(r#"/bin/echo 'A' "b c" x\ y"#).unwrap(),
            ["/bin/echo", "'A'", "\"b", "c\"", "x\\", "y"]
        );
        assert_eq!(split("a  b").unwrap(), ["a", "", "b"]);
        assert_eq!(split("a ").unwrap(), ["a"]);
        assert_eq!(split("a\tb").unwrap(), ["a\tb"]);
        assert!(split("").is_err());
        assert!(split("  ").is_err());
        assert!(split(" a").is_err());
    }

    #[test]
    fn resolves_through_path() {
        assert!(resolve("sh").unwrap().is_absolute());
        assert!(resolve("/bin/sh").is_ok());
        assert!(resolve("no-such-command-tracec").is_err());
        assert!(resolve("/nonexistent/x").is_err());
    }

    #[test]
    fn runs_the_command_only_when_started() {
        let dir = std::env::temp_dir().join(format!("tracerun-child-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        // Words are split at spaces: the script's path must have none.
        let script = dir.with_extension("sh");
        std::fs::write(&script, format!("echo ran > {}\n", dir.display())).unwrap();
        let cmd = format!("/bin/sh {}", script.display());
        // Dropped before start: the command never runs.
        drop(Child::spawn(&cmd).unwrap());
        assert!(!dir.exists());
        let mut c = Child::spawn(&cmd).unwrap();
        assert!(c.pid() > 0);
        run_to_exit(&mut c);
        assert_eq!(std::fs::read_to_string(&dir).unwrap(), "ran\n");
        let _ = std::fs::remove_file(&dir);
        let _ = std::fs::remove_file(&script);
    }

    #[test]
    fn an_exec_stopped_child_has_its_executable_mapped_and_runs_when_started() {
        let out = std::env::temp_dir().join(format!("tracerun-child-x-{}", std::process::id()));
        let _ = std::fs::remove_file(&out);
        // The command is split at spaces only (as bpftrace does): the shell runs a file.
        let script = out.with_extension("sh");
        std::fs::write(&script, format!("echo ran > {}\n", out.display())).unwrap();
        let cmd = format!("/bin/sh {}", script.display());
        drop(Child::spawn_exec_stopped(&cmd).unwrap());
        assert!(!out.exists(), "dropped before start: never ran");
        let mut c = Child::spawn_exec_stopped(&cmd).unwrap();
        let exe = std::fs::read_link(format!("/proc/{}/exe", c.pid())).unwrap();
        let sh = std::fs::canonicalize("/bin/sh").unwrap();
        assert_eq!(exe, sh, "stopped after the exec");
        assert!(!out.exists(), "stopped before its first instruction");
        run_to_exit(&mut c);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "ran\n");
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(&script);
    }
}
