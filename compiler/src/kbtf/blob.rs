//! The bytes of a BTF file: mapped read-only into memory when the file allows it
//! (`/sys/kernel/btf/vmlinux` does on recent kernels, and mapped kernel pages are
//! neither copied nor charged to this process), otherwise read into a buffer.

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Immutable file contents.
pub(super) enum Blob {
    Owned(Vec<u8>),
    Mapped(Mapping),
}

/// A private read-only mapping of a whole file.
pub(super) struct Mapping {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and private to this process; nothing writes
// through it, so shared references to its bytes can cross threads like `&[u8]`.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` came from a successful mmap and are unmapped once.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}

impl Mapping {
    /// Map `file` (of `len` bytes, > 0) read-only; `None` when the file system
    /// does not support it.
    fn new(file: &File, len: usize) -> Option<Mapping> {
        if len == 0 {
            return None;
        }
        // SAFETY: a fresh read-only private mapping of an open descriptor; the
        // result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        (ptr != libc::MAP_FAILED).then_some(Mapping { ptr, len })
    }
}

impl Deref for Blob {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Blob::Owned(v) => v,
            // SAFETY: the mapping is `len` readable bytes that live as long as `m`.
            Blob::Mapped(m) => unsafe { std::slice::from_raw_parts(m.ptr as *const u8, m.len) },
        }
    }
}

impl Blob {
    /// The contents of `path`: mapped when `map` and the file supports it, read
    /// otherwise.
    pub fn open(path: &Path, map: bool) -> std::io::Result<Blob> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        if map {
            // Only a regular-sized file whose length is known can be mapped whole;
            // a file that shrank under the mapping would fault, which sysfs BTF
            // (immutable) and ordinary BTF files do not do.
            if let Some(m) = usize::try_from(len)
                .ok()
                .and_then(|l| Mapping::new(&file, l))
            {
                return Ok(Blob::Mapped(m));
            }
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        Ok(Blob::Owned(bytes))
    }

    /// Whether the bytes are a mapping of the file rather than a copy.
    pub fn is_mapped(&self) -> bool {
        matches!(self, Blob::Mapped(_))
    }
}
