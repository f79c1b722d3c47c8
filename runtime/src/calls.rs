//! What the runtime does for asynchronous functions: `cat` (print a file), `system`
//! (run a command, `--unsafe`), `time` (print the local time with strftime).
//! `warnf`/`errorf` are only printed (on stderr) and need nothing here.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `cat(path)`: the file's first `max_bytes` bytes (bpftrace's `max_cat_bytes`), or
/// bpftrace's error line (for stderr).
pub fn cat(path: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(path)
        .map_err(|e| format!("ERROR: failed to open file '{path}' ({})\n", os_message(&e)))?;
    let mut out = Vec::new();
    f.take(max_bytes)
        .read_to_end(&mut out)
        .map_err(|e| format!("ERROR: failed to read file '{path}' ({})\n", os_message(&e)))?;
    Ok(out)
}

/// `system(cmd)`: run `cmd` with `/bin/sh -c`, returning what it wrote to stdout
/// (its stdin is `/dev/null`, its stderr goes to ours). The shell starts with an empty
/// signal mask and SIGPIPE at its default, whatever tracerun blocks. Spawned with
/// posix_spawn(3) directly: std's `Command` machinery costs tracerun ~10 KB.
pub fn system(cmd: &str) -> Result<Vec<u8>, String> {
    let fail = |e: std::io::Error| format!("ERROR: system() could not run '{cmd}' ({e})\n");
    let line = std::ffi::CString::new(cmd)
        .map_err(|_| fail(std::io::Error::from(std::io::ErrorKind::InvalidInput)))?;
    let (rx, tx) = pipe().map_err(fail)?;
    let pid = spawn_shell(&line, tx).map_err(fail)?;
    let mut out = Vec::new();
    let read = std::fs::File::from(rx).read_to_end(&mut out).map(drop);
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is a valid int.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(fail(e));
        }
    }
    read.map_err(fail)?;
    Ok(out)
}

/// A close-on-exec pipe: (read end, write end).
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned here.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

extern "C" {
    static environ: *const *mut libc::c_char;
}

/// Start `/bin/sh -c line` with stdout on `stdout` (closed here once the child has it).
fn spawn_shell(line: &std::ffi::CStr, stdout: OwnedFd) -> std::io::Result<libc::pid_t> {
    let sh = c"/bin/sh";
    let argv = [sh.as_ptr(), c"-c".as_ptr(), line.as_ptr(), std::ptr::null()];
    let check = |r: libc::c_int| match r {
        0 => Ok(()),
        e => Err(std::io::Error::from_raw_os_error(e)),
    };
    // SAFETY: the attribute and file-action objects are initialised before use and
    // destroyed after; every pointer passed (paths, argv, environ) is NUL-terminated
    // and lives across the call; `pid` receives the child's id.
    unsafe {
        let mut actions: libc::posix_spawn_file_actions_t = std::mem::zeroed();
        let mut attr: libc::posix_spawnattr_t = std::mem::zeroed();
        check(libc::posix_spawn_file_actions_init(&mut actions))?;
        check(libc::posix_spawnattr_init(&mut attr))?;
        let mut none: libc::sigset_t = std::mem::zeroed();
        let mut pipe_sig: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigemptyset(&mut pipe_sig);
        libc::sigaddset(&mut pipe_sig, libc::SIGPIPE);
        let mut pid = 0;
        let r = check(libc::posix_spawn_file_actions_addopen(
            &mut actions,
            0,
            c"/dev/null".as_ptr(),
            libc::O_RDONLY,
            0,
        ))
        .and_then(|()| {
            check(libc::posix_spawn_file_actions_adddup2(
                &mut actions,
                stdout.as_raw_fd(),
                1,
            ))
        })
        .and_then(|()| check(libc::posix_spawnattr_setsigmask(&mut attr, &none)))
        .and_then(|()| check(libc::posix_spawnattr_setsigdefault(&mut attr, &pipe_sig)))
        .and_then(|()| {
            check(libc::posix_spawnattr_setflags(
                &mut attr,
                (libc::POSIX_SPAWN_SETSIGMASK | libc::POSIX_SPAWN_SETSIGDEF) as libc::c_short,
            ))
        })
        .and_then(|()| {
            check(libc::posix_spawn(
                &mut pid,
                sh.as_ptr(),
                &actions,
                &attr,
                argv.as_ptr().cast(),
                environ.cast(),
            ))
        });
        libc::posix_spawn_file_actions_destroy(&mut actions);
        libc::posix_spawnattr_destroy(&mut attr);
        r.map(|()| pid)
    }
}

/// `time(fmt)`: the current local time formatted by strftime(3).
pub fn time(fmt: &str) -> Vec<u8> {
    let now = unsafe { libc::time(std::ptr::null_mut()) };
    strftime(fmt, now)
}

/// `fmt` applied by strftime(3) to `secs` (seconds since the epoch) in local time.
pub fn strftime(fmt: &str, secs: libc::time_t) -> Vec<u8> {
    let Ok(cfmt) = std::ffi::CString::new(fmt) else {
        return Vec::new();
    };
    // SAFETY: `tm` is plain data that localtime_r fills; strftime writes at most
    // `buf.len()` bytes into `buf` and returns how many it wrote.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return Vec::new();
        }
        let mut buf = vec![0u8; 256 + fmt.len() * 8];
        let n = libc::strftime(buf.as_mut_ptr().cast(), buf.len(), cfmt.as_ptr(), &tm);
        buf.truncate(n);
        buf
    }
}

/// The C library's text for an I/O error ("No such file or directory").
fn os_message(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            let s = std::io::Error::from_raw_os_error(code).to_string();
            // Rust appends " (os error N)".
            match s.rfind(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cat_reads_files_and_reports_missing_ones() {
        let dir = std::env::temp_dir().join(format!("tracerun-cat-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x.txt");
        std::fs::write(&f, b"hello\nworld\n").unwrap();
        assert_eq!(cat(f.to_str().unwrap(), 10240).unwrap(), b"hello\nworld\n");
        assert_eq!(cat(f.to_str().unwrap(), 3).unwrap(), b"hel");
        assert_eq!(
            cat("/does/not/exist/file", 10240).unwrap_err(),
            "ERROR: failed to open file '/does/not/exist/file' (No such file or directory)\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn system_captures_stdout() {
        assert_eq!(system("echo 1 2 3").unwrap(), b"1 2 3\n");
        assert_eq!(system("true").unwrap(), b"");
    }

    #[test]
    fn strftime_formats_in_local_time() {
        // The epoch is 1970 in every time zone within a day of UTC.
        let y = strftime("%Y", 86_400 * 2);
        assert_eq!(y, b"1970");
        assert_eq!(strftime("literal", 0), b"literal");
        assert_eq!(strftime("a\0b", 0), b"");
    }
}
