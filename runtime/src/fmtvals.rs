//! Text of the values the compiler leaves to the runtime (`tracec_meta::FmtKind`):
//! addresses (`ntop`, `macaddr`), times (`strftime`), buffers (`buf`), and names
//! looked up on the host (`cgroup_path`, `username`, `strerror`, `signal_name`).

use crate::value::{read_int, Value};
use std::cell::RefCell;
use std::net::{Ipv4Addr, Ipv6Addr};
use tracec_meta::{AttachName, FmtKind};

thread_local! {
    static STRFTIME_FORMATS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static ATTACH_NAMES: RefCell<Vec<AttachName>> = const { RefCell::new(Vec::new()) };
    static SYSCALL_NAMES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The object's system call names (`Metadata::syscall_names`).
pub fn set_syscall_names(names: Vec<String>) {
    SYSCALL_NAMES.with(|n| *n.borrow_mut() = names);
}

/// What `syscall_name(nr)` prints (bpftrace's text for numbers without a name).
pub fn syscall_name(nr: u64) -> String {
    // bpftrace passes the number as an int32.
    let nr = nr as u32 as i32;
    let name = usize::try_from(nr)
        .ok()
        .and_then(|i| SYSCALL_NAMES.with(|n| n.borrow().get(i).cloned()));
    match name {
        Some(n) if !n.is_empty() => n,
        _ => "Unknown syscall".into(),
    }
}

/// The object's attach names (`Metadata::attach_names`), what `probe` and `func` print.
pub fn set_attach_names(names: Vec<AttachName>) {
    ATTACH_NAMES.with(|n| *n.borrow_mut() = names);
}

/// The object's `strftime()` formats (`Metadata::strftime_formats`).
pub fn set_strftime_formats(formats: Vec<String>) {
    STRFTIME_FORMATS.with(|f| *f.borrow_mut() = formats);
}

/// Decode a value of kind `f` from the start of `bytes`; `None` if too short.
pub fn decode(f: FmtKind, bytes: &[u8]) -> Option<Value> {
    let bytes = bytes.get(..f.size() as usize)?;
    if let FmtKind::None { .. } = f {
        return Some(Value::Null);
    }
    let word = read_int(bytes, 8, false)?;
    Some(match f {
        FmtKind::Inet => Value::Str(inet_text(word, &bytes[8..24]).into_bytes()),
        FmtKind::MacAddr => Value::Str(mac_text(&bytes[..6]).into_bytes()),
        FmtKind::Timestamp => {
            let ns = read_int(&bytes[8..], 8, false)?;
            let format = STRFTIME_FORMATS.with(|f| f.borrow().get(word as usize).cloned());
            Value::Str(strftime_boot(format.as_deref().unwrap_or(""), ns))
        }
        FmtKind::Buf { size } => {
            let len = word.min(u64::from(size)) as usize;
            Value::Buf(bytes[8..8 + len].to_vec())
        }
        FmtKind::CgroupPath => Value::Str(cgroup_path(word).into_bytes()),
        FmtKind::Username => Value::Str(username(word as u32).into_bytes()),
        FmtKind::Strerror => Value::Str(strerror(word as i64 as i32).into_bytes()),
        FmtKind::SignalName => Value::Str(signal_name(word as i64).into_bytes()),
        FmtKind::SyscallName => Value::Str(syscall_name(word).into_bytes()),
        FmtKind::None { .. } => Value::Null,
        FmtKind::ProbeName | FmtKind::FuncName => {
            let name = ATTACH_NAMES.with(|n| {
                n.borrow().get(word as usize).map(|a| {
                    if f == FmtKind::ProbeName {
                        a.probe.clone()
                    } else {
                        a.func.clone()
                    }
                })
            });
            Value::Str(name.unwrap_or_default().into_bytes())
        }
    })
}

/// `inet_ntop` of `af` (2 or 10) and the address bytes; empty for other families.
pub fn inet_text(af: u64, addr: &[u8]) -> String {
    match af {
        2 => {
            let b: [u8; 4] = addr[..4].try_into().unwrap_or_default();
            Ipv4Addr::from(b).to_string()
        }
        10 => {
            let b: [u8; 16] = addr[..16].try_into().unwrap_or_default();
            let ip = Ipv6Addr::from(b);
            let w = ip.segments();
            // glibc writes IPv4-compatible addresses (6 zero words, then a nonzero
            // one) with a dotted tail; Rust only does so for mapped ones.
            if w[..6] == [0; 6] && w[6] != 0 {
                format!("::{}", Ipv4Addr::new(b[12], b[13], b[14], b[15]))
            } else {
                ip.to_string()
            }
        }
        _ => String::new(),
    }
}

/// `XX:XX:XX:XX:XX:XX`, upper case as bpftrace prints it.
pub fn mac_text(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `strftime(3)` of the local time `ns_since_boot` nanoseconds after boot, with
/// bpftrace's `%f` (microseconds, 6 digits).
pub fn strftime_boot(format: &str, ns_since_boot: u64) -> Vec<u8> {
    let boot = boot_wall_ns();
    let wall = boot + i128::from(ns_since_boot);
    let secs = wall.div_euclid(1_000_000_000) as i64;
    let nsec = wall.rem_euclid(1_000_000_000) as u64;
    strftime_at(format, secs, nsec / 1000)
}

/// The wall-clock time of boot in nanoseconds since the epoch: what turns
/// `bpf_ktime_get_boot_ns` values into wall-clock times.
pub fn boot_wall_ns() -> i128 {
    let now = |clock| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes the timespec it is given.
        unsafe { libc::clock_gettime(clock, &mut ts) };
        i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
    };
    now(libc::CLOCK_REALTIME) - now(libc::CLOCK_BOOTTIME)
}

/// `strftime(3)` of `secs` since the epoch in local time, `%f` being `micros`.
pub fn strftime_at(format: &str, secs: i64, micros: u64) -> Vec<u8> {
    let mut fmt = String::with_capacity(format.len());
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            fmt.push(c);
            continue;
        }
        match chars.next() {
            Some('f') => fmt.push_str(&format!("{micros:06}")),
            Some(n) => {
                fmt.push('%');
                fmt.push(n);
            }
            None => fmt.push('%'),
        }
    }
    let Ok(cfmt) = std::ffi::CString::new(fmt) else {
        return Vec::new();
    };
    // SAFETY: tm is plain data; localtime_r fills it from a valid time_t.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let t: libc::time_t = secs;
    // SAFETY: both pointers are valid for the call.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return Vec::new();
    }
    let mut buf = vec![0u8; 256 + format.len() * 8];
    // SAFETY: buf is writable for its length; cfmt is NUL-terminated.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), cfmt.as_ptr(), &tm) };
    buf.truncate(n);
    buf
}

/// bpftrace's `%r` text of a buffer: printable ASCII as is, other bytes `\xNN`;
/// `all_hex`: every byte as `\xNN`; `spaced`: `NN NN` without `\x`.
pub fn buf_text(bytes: &[u8], all_hex: bool, spaced: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    for (i, &b) in bytes.iter().enumerate() {
        if spaced {
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(format!("{b:02x}").as_bytes());
        } else if !all_hex && (32..=126).contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
        }
    }
    out
}

/// The path of the cgroup whose id (its directory's inode on cgroupfs) is `id`,
/// as `unified:/PATH` (cgroup v2, the only hierarchy bpftrace names so).
pub fn cgroup_path(id: u64) -> String {
    let root = std::path::Path::new("/sys/fs/cgroup");
    match find_inode(root, id, 0) {
        Some(p) => {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            format!("unified:/{}", rel.display())
        }
        None => format!("unified:{id}"),
    }
}

fn find_inode(dir: &std::path::Path, id: u64, depth: u32) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::MetadataExt;
    if std::fs::metadata(dir).ok()?.ino() == id {
        return Some(dir.to_path_buf());
    }
    if depth > 32 {
        return None;
    }
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            if let Some(p) = find_inode(&e.path(), id, depth + 1) {
                return Some(p);
            }
        }
    }
    None
}

/// The name of user `uid` in `/etc/passwd`, or the number.
pub fn username(uid: u32) -> String {
    let text = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd_name(&text, uid).unwrap_or_else(|| uid.to_string())
}

/// The name of `uid` in `passwd`-formatted `text`.
pub fn passwd_name(text: &str, uid: u32) -> Option<String> {
    text.lines().find_map(|l| {
        let mut it = l.split(':');
        let name = it.next()?;
        let _pw = it.next()?;
        (it.next()?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

/// `strerror(3)`.
pub fn strerror(n: i32) -> String {
    let text = std::io::Error::from_raw_os_error(n).to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// glibc's `strsignal` texts of signals 0 to 31.
const SIGNAL_TEXT: [&str; 32] = [
    "Unknown signal 0",
    "Hangup",
    "Interrupt",
    "Quit",
    "Illegal instruction",
    "Trace/breakpoint trap",
    "Aborted",
    "Bus error",
    "Floating point exception",
    "Killed",
    "User defined signal 1",
    "Segmentation fault",
    "User defined signal 2",
    "Broken pipe",
    "Alarm clock",
    "Terminated",
    "Stack fault",
    "Child exited",
    "Continued",
    "Stopped (signal)",
    "Stopped",
    "Stopped (tty input)",
    "Stopped (tty output)",
    "Urgent I/O condition",
    "CPU time limit exceeded",
    "File size limit exceeded",
    "Virtual timer expired",
    "Profiling timer expired",
    "Window changed",
    "I/O possible",
    "Power failure",
    "Bad system call",
];

/// The description of signal `n` (`strsignal(3)`: `Interrupt` for 2), `N/A` beyond
/// the real-time signals.
pub fn signal_name(n: i64) -> String {
    let rtmin = i64::from(libc::SIGRTMIN());
    let rtmax = i64::from(libc::SIGRTMAX());
    match n {
        0..=31 => SIGNAL_TEXT[n as usize].to_string(),
        _ if n >= rtmin && n <= rtmax => format!("Real-time signal {}", n - rtmin),
        _ => "N/A".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(inet_text(2, &[127, 0, 0, 1]), "127.0.0.1");
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(inet_text(10, &v6), "::1");
        v6[12] = 10;
        assert_eq!(inet_text(10, &v6), "::10.0.0.1");
        v6[10] = 0xff;
        v6[11] = 0xff;
        assert_eq!(inet_text(10, &v6), "::ffff:10.0.0.1");
        assert_eq!(inet_text(7, &v6), "");
        assert_eq!(mac_text(&[5, 4, 3, 2, 1, 0xab]), "05:04:03:02:01:AB");
    }

    #[test]
    fn buffers_escape_as_bpftrace() {
        assert_eq!(buf_text(b"ok\0", false, false), b"ok\\x00");
        assert_eq!(buf_text(b"Hi", true, false), b"\\x48\\x69");
        assert_eq!(buf_text(b"Hi\n", false, true), b"48 69 0a");
    }

    #[test]
    fn times_and_microseconds() {
        assert_eq!(strftime_at("%s.%f", 12, 345), b"12.000345");
        assert_eq!(strftime_at("%%f", 1, 2), b"%f");
    }

    #[test]
    fn names() {
        assert_eq!(strerror(1), "Operation not permitted");
        assert_eq!(signal_name(2), "Interrupt");
        assert_eq!(signal_name(0), "Unknown signal 0");
        assert_eq!(signal_name(1024), "N/A");
        assert_eq!(
            passwd_name(
                "root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/:/bin/sh\n",
                1000
            ),
            Some("bob".into())
        );
    }

    #[test]
    fn decodes_layouts() {
        let mut b = vec![0u8; 24];
        b[0] = 2;
        b[8..12].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(
            decode(FmtKind::Inet, &b),
            Some(Value::Str(b"1.2.3.4".to_vec()))
        );
        let mut b = vec![0u8; 16];
        b[0] = 3;
        b[8..11].copy_from_slice(b"abc");
        assert_eq!(
            decode(FmtKind::Buf { size: 8 }, &b),
            Some(Value::Buf(b"abc".to_vec()))
        );
        assert_eq!(decode(FmtKind::Inet, &b), None);
    }

    #[test]
    fn syscall_names_from_the_object() {
        set_syscall_names(vec!["read".into(), String::new(), "open".into()]);
        assert_eq!(syscall_name(0), "read");
        assert_eq!(syscall_name(2), "open");
        assert_eq!(syscall_name(1), "Unknown syscall");
        assert_eq!(syscall_name(3), "Unknown syscall");
        assert_eq!(syscall_name(u64::MAX), "Unknown syscall");
        // Truncated to an int32, as bpftrace passes it.
        assert_eq!(syscall_name(1 << 32), "read");
        assert_eq!(
            decode(FmtKind::SyscallName, &2u64.to_le_bytes()),
            Some(Value::Str(b"open".to_vec()))
        );
    }
}
