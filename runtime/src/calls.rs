//! What the runtime does for asynchronous functions: `cat` (print a file), `system`
//! (run a command, `--unsafe`), `time` (print the local time with strftime).
//! `warnf`/`errorf` are only printed (on stderr) and need nothing here.

use std::io::Read;

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
/// (its stderr goes to ours).
pub fn system(cmd: &str) -> Result<Vec<u8>, String> {
    let fail = |e: std::io::Error| format!("ERROR: system() could not run '{cmd}' ({e})\n");
    // Only stdout is captured, so it is read to its end and then the child reaped
    // (`Command::output`, which reads two pipes at once, costs ~10 KB of tracerun).
    let mut child = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .map_err(fail)?;
    let mut out = Vec::new();
    let read = match child.stdout.take() {
        Some(mut pipe) => pipe.read_to_end(&mut out).map(drop),
        None => Ok(()),
    };
    let waited = child.wait().map(drop);
    read.and(waited).map_err(fail)?;
    Ok(out)
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
