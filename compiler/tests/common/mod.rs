//! Helpers shared by integration tests: deciding whether tests that need the kernel
//! (root, a usable bpffs) or external tools can run.
//!
//! Such tests skip (printing why) when their requirements are missing, unless
//! `TRACEC_REQUIRE_KERNEL=1` is set, in which case a missing requirement fails them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `BPF_FS_MAGIC`.
const BPF_FS_MAGIC: i64 = 0xcafe4a11;

fn required() -> bool {
    std::env::var("TRACEC_REQUIRE_KERNEL").as_deref() == Ok("1")
}

/// Returns `true` if the test may go on; otherwise prints why it is skipped, or
/// panics when `TRACEC_REQUIRE_KERNEL=1`.
fn decide(test: &str, missing: Option<String>) -> bool {
    match missing {
        None => true,
        Some(why) if required() => {
            panic!("{test}: {why}, and TRACEC_REQUIRE_KERNEL=1 requires it")
        }
        Some(why) => {
            eprintln!("skipping {test}: {why}");
            false
        }
    }
}

fn is_bpffs(path: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized buffer.
    unsafe {
        let mut st: libc::statfs = std::mem::zeroed();
        libc::statfs(c.as_ptr(), &mut st) == 0 && st.f_type as i64 == BPF_FS_MAGIC
    }
}

/// Whether the test can load BPF programs: root, and bpffs mounted at /sys/fs/bpf.
pub fn kernel_available(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let missing = if unsafe { libc::geteuid() } != 0 {
        Some("not running as root".to_string())
    } else if !is_bpffs(Path::new("/sys/fs/bpf")) {
        Some("/sys/fs/bpf is not a mounted bpffs".to_string())
    } else {
        None
    };
    decide(test, missing)
}

/// Whether `tool` can be run (`tool version` or `tool --version` succeeds).
pub fn tool_available(test: &str, tool: &str) -> bool {
    let runs = |arg: &str| {
        Command::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let missing = (!runs("version") && !runs("--version")).then(|| format!("`{tool}` not found"));
    decide(test, missing)
}

/// A fresh directory under /sys/fs/bpf (not yet created), removed with everything
/// pinned in it when dropped.
pub struct PinDir(pub PathBuf);

impl PinDir {
    pub fn new(tag: &str) -> PinDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        PinDir(PathBuf::from(format!(
            "/sys/fs/bpf/tracec_test_{tag}_{}_{nanos}",
            std::process::id()
        )))
    }
}

impl Drop for PinDir {
    fn drop(&mut self) {
        if self.0.exists() {
            if let Err(e) = std::fs::remove_dir_all(&self.0) {
                eprintln!("could not remove {}: {e}", self.0.display());
            }
        }
    }
}

/// A scratch file in the temp dir, unique per process and tag, removed when dropped.
pub struct ScratchFile(pub PathBuf);

impl ScratchFile {
    pub fn new(tag: &str, ext: &str) -> ScratchFile {
        ScratchFile(std::env::temp_dir().join(format!("tracec_{tag}_{}.{ext}", std::process::id())))
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
