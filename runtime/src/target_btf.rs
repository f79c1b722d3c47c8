//! The kernel's BTF (`/sys/kernel/btf/vmlinux`), read only when an object needs it.
//!
//! Parsing the 5–6 MB kernel BTF is most of `tracerun`'s start-up time and peak memory,
//! and most objects do not need it: only CO-RE relocations (kernel struct fields) and
//! the BTF-typed program kinds (fentry/fexit, iterators) do. aya `=0.14.0`'s
//! `EbpfLoader::new()` parses it unconditionally (`.btf(None)` only drops the result),
//! so [`loader`] builds the loader while the process cannot open files: the read fails,
//! aya keeps no target BTF, and nothing is parsed. The kernel BTF, when needed, is
//! parsed once per process ([`kernel_btf`]) and shared by the loader and every program
//! load.

use crate::elfview::ElfView;
use crate::Error;
use aya::{Btf, EbpfLoader};
use std::sync::OnceLock;
use tracec_meta::{Attach, Metadata};

/// Where the kernel publishes its BTF.
pub const KERNEL_BTF_PATH: &str = "/sys/kernel/btf/vmlinux";

static KERNEL_BTF: OnceLock<Result<Btf, String>> = OnceLock::new();

/// The kernel's BTF, parsed on first use and kept for the life of the process.
pub fn kernel_btf() -> Result<&'static Btf, Error> {
    KERNEL_BTF
        .get_or_init(|| Btf::from_sys_fs().map_err(|e| crate::load::chain(&e)))
        .as_ref()
        .map_err(|e| {
            Error::new(format!(
                "cannot read the kernel BTF ({KERNEL_BTF_PATH}): {e}"
            ))
        })
}

/// Whether loading `meta`'s object needs the kernel BTF: it has CO-RE relocations (in
/// the metadata or in `.BTF.ext`), or a program kind that is loaded against a kernel
/// type (fentry/fexit, iterators).
pub fn needed(meta: &Metadata, bytes: &[u8]) -> bool {
    !meta.core_relocs.is_empty()
        || meta
            .probes
            .iter()
            .any(|p| matches!(p.attach, Attach::Fentry { .. } | Attach::Iter { .. }))
        || has_core_relo_records(bytes)
}

/// Whether the object's `.BTF.ext` has CO-RE relocation records: its header is at
/// least 32 bytes long and the `core_relo_len` field (bytes 28..32) is not zero.
/// An object that cannot be read this way has none that aya could apply either.
pub fn has_core_relo_records(bytes: &[u8]) -> bool {
    let Ok(view) = ElfView::parse(bytes) else {
        return false;
    };
    let Some(ext) = view.section(".BTF.ext") else {
        return false;
    };
    core_relo_len(ext).is_some_and(|n| n > 0)
}

fn core_relo_len(ext: &[u8]) -> Option<u32> {
    let u32_at = |at: usize| {
        ext.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if ext.get(0..2)? != [0x9f, 0xeb] {
        return None;
    }
    let hdr_len = u32_at(4)?;
    if hdr_len < 32 {
        return None;
    }
    u32_at(28)
}

/// An aya loader for `meta`'s object: with the kernel BTF as relocation target when the
/// object needs it ([`needed`]), else without the kernel BTF ever being read.
pub fn loader(meta: &Metadata, bytes: &[u8]) -> Result<EbpfLoader<'static>, Error> {
    let target = if needed(meta, bytes) {
        Some(kernel_btf()?)
    } else {
        None
    };
    let mut loader = {
        // While the guard lives, `new()`'s read fails with EMFILE and it keeps no BTF.
        // Without the guard (another thread could be opening files: tracerun embedded
        // in a multi-threaded program) it parses, and `.btf()` below drops the result.
        let _guard = NoNewFiles::begin();
        EbpfLoader::new()
    };
    loader.btf(target);
    Ok(loader)
}

/// While alive, the process cannot open new file descriptors (soft `RLIMIT_NOFILE` 0;
/// descriptors already open stay usable). Restored on drop, panics included.
struct NoNewFiles {
    saved: libc::rlimit,
}

impl NoNewFiles {
    /// Only in a single-threaded process: the limit is process-wide, and another thread
    /// must never see its `open` fail.
    fn begin() -> Option<NoNewFiles> {
        if thread_count() != Some(1) {
            return None;
        }
        let mut saved = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `saved` is a valid, writable rlimit.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut saved) } != 0 {
            return None;
        }
        let closed = libc::rlimit {
            rlim_cur: 0,
            rlim_max: saved.rlim_max,
        };
        // SAFETY: `closed` is a valid rlimit; lowering the soft limit needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &closed) } != 0 {
            return None;
        }
        Some(NoNewFiles { saved })
    }
}

impl Drop for NoNewFiles {
    fn drop(&mut self) {
        // SAFETY: `saved` came from getrlimit; raising the soft limit back up to the
        // unchanged hard limit needs no privilege, so this cannot fail.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &self.saved) };
    }
}

/// The number of threads of this process (field 20 of `/proc/self/stat`), if readable.
fn thread_count() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may contain spaces.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(17)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_relo_len_reads_the_header() {
        let mut ext = vec![0u8; 32];
        ext[0..2].copy_from_slice(&[0x9f, 0xeb]);
        ext[2] = 1;
        ext[4..8].copy_from_slice(&32u32.to_le_bytes());
        assert_eq!(core_relo_len(&ext), Some(0));
        ext[28..32].copy_from_slice(&48u32.to_le_bytes());
        assert_eq!(core_relo_len(&ext), Some(48));
        // A 24-byte header (func and line info only) has no CO-RE part.
        ext[4..8].copy_from_slice(&24u32.to_le_bytes());
        assert_eq!(core_relo_len(&ext), None);
        // Wrong magic.
        ext[0] = 0;
        assert_eq!(core_relo_len(&ext), None);
        assert_eq!(core_relo_len(&[0x9f]), None);
    }

    #[test]
    fn thread_count_sees_other_threads() {
        let before = thread_count().expect("/proc/self/stat is readable");
        assert!(before >= 1);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || rx.recv().ok());
        let during = thread_count().expect("/proc/self/stat is readable");
        assert!(during >= 2, "{before} -> {during}");
        drop(tx);
        t.join().expect("thread ends");
    }
}
