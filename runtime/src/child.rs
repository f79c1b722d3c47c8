//! `tracerun -c CMD`: the child process, as bpftrace runs it.
//!
//! The child is forked before the programs load, so that its pid is known to them
//! (`cpid`), and it waits on a pipe until every probe is attached; only then does it
//! `exec` the command, so nothing it does is missed. When it exits the session ends as
//! if `exit()` had been called; if the session ends first, the child gets `SIGTERM`.

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
    /// A pidfd: readable once the child has exited.
    exited: OwnedFd,
    reaped: bool,
}

/// Split a command line into words: blanks separate words, single and double quotes
/// group them, a backslash escapes the next character (outside single quotes). No
/// other shell syntax: the command is executed directly, not through a shell.
pub fn split(cmd: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated ' quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => word.push(c),
                            None => return Err("unterminated \" quote".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated \" quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err("the command is empty".into());
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
            unsafe { child_main(rx.as_raw_fd(), tx.as_raw_fd(), &path, &argv) }
        }
        drop(rx);
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

    /// Let the child exec its command.
    pub fn start(&mut self) {
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
        // SAFETY: our own child, not yet reaped, so the pid is still ours.
        unsafe {
            libc::kill(self.pid, libc::SIGTERM);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}

/// The forked child: wait for the go byte, then exec; never returns.
///
/// # Safety
/// Must only run in a freshly forked child; all pointers stay valid (they were
/// allocated before fork).
unsafe fn child_main(rx: RawFd, tx: RawFd, path: &CString, argv: &[*const libc::c_char]) -> ! {
    libc::close(tx);
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
    // tracerun blocks SIGINT/SIGTERM for its signalfd; the command must not inherit it.
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    libc::execv(path.as_ptr(), argv.as_ptr());
    let msg = b"tracerun: error: cannot execute the -c command\n";
    libc::write(2, msg.as_ptr().cast(), msg.len());
    libc::_exit(127);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_and_quotes() {
        assert_eq!(split("ls -l  /tmp").unwrap(), ["ls", "-l", "/tmp"]);
        assert_eq!(
            split(r#"sh -c 'echo "a b"' x\ y "q\"r""#).unwrap(),
            ["sh", "-c", "echo \"a b\"", "x y", "q\"r"]
        );
        assert_eq!(split("a ''").unwrap(), ["a", ""]);
        assert!(split("  ").is_err());
        assert!(split("echo 'open").is_err());
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
        let cmd = format!("/bin/sh -c 'echo ran > {}'", dir.display());
        // Dropped before start: the command never runs.
        drop(Child::spawn(&cmd).unwrap());
        assert!(!dir.exists());
        let mut c = Child::spawn(&cmd).unwrap();
        assert!(c.pid() > 0);
        c.start();
        let mut fds = [libc::pollfd {
            fd: c.exit_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: one valid pollfd.
        assert_eq!(unsafe { libc::poll(fds.as_mut_ptr(), 1, 10_000) }, 1);
        assert!(c.try_reap());
        assert_eq!(std::fs::read_to_string(&dir).unwrap(), "ran\n");
        let _ = std::fs::remove_file(&dir);
    }
}
