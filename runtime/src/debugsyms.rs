//! Symbols of a stripped binary's separate debug file (found by build ID or
//! `.gnu_debuglink`, [`tracec_meta::debugfile`]): `tracec` lists and expands uprobe
//! wildcards against them, so attaching must resolve them too. aya looks for the
//! debug link only next to the binary and cannot translate a debug file's addresses
//! (its `.text` has no file contents), so a symbol aya does not find is looked up
//! here and attached by file offset: the debug file's address mapped through the
//! binary's own `PT_LOAD` segments.

use goblin::elf::Elf;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The debug symbols of one binary: function name to file offset in the binary.
type Offsets = HashMap<String, u64>;

/// Debug symbols by binary path, each binary read once per run.
fn cache() -> &'static Mutex<HashMap<PathBuf, Option<Arc<Offsets>>>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Option<Arc<Offsets>>>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The file offset in the binary at `path` of `symbol`, a function only its separate
/// debug file names.
pub fn file_offset(path: &Path, symbol: &str) -> Option<u64> {
    let offsets = {
        let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(path.to_path_buf())
            .or_insert_with(|| read_offsets(path).map(Arc::new))
            .clone()
    }?;
    offsets.get(symbol).copied()
}

fn read_offsets(path: &Path) -> Option<Offsets> {
    let bytes = std::fs::read(path).ok()?;
    let elf = Elf::parse(&bytes).ok()?;
    let debug = debug_file(path, &elf, &bytes)?;
    let delf = Elf::parse(&debug).ok()?;
    let segments = load_segments(&elf);
    let mut out = HashMap::new();
    for s in delf.syms.iter() {
        use goblin::elf::sym::{STT_FUNC, STT_GNU_IFUNC};
        if (s.st_type() != STT_FUNC && s.st_type() != STT_GNU_IFUNC) || s.st_value == 0 {
            continue;
        }
        let Some(name) = delf.strtab.get_at(s.st_name).filter(|n| !n.is_empty()) else {
            continue;
        };
        if let Some(off) = vaddr_to_offset(&segments, s.st_value) {
            out.entry(name.to_string()).or_insert(off);
        }
    }
    Some(out)
}

/// The `PT_LOAD` segments of an ELF file: (address, file size, file offset).
pub fn load_segments(elf: &Elf<'_>) -> Vec<(u64, u64, u64)> {
    elf.program_headers
        .iter()
        .filter(|p| p.p_type == goblin::elf::program_header::PT_LOAD)
        .map(|p| (p.p_vaddr, p.p_filesz, p.p_offset))
        .collect()
}

/// The virtual address of the file offset `off` in `segments` (see [`load_segments`]).
pub fn offset_to_vaddr(segments: &[(u64, u64, u64)], off: u64) -> Option<u64> {
    segments
        .iter()
        .find(|(_, size, o)| off >= *o && off - o < *size)
        .map(|(va, _, o)| off - o + va)
}

/// The file offset of the address `vaddr` in `segments` (see [`load_segments`]).
pub fn vaddr_to_offset(segments: &[(u64, u64, u64)], vaddr: u64) -> Option<u64> {
    segments
        .iter()
        .find(|(va, size, _)| vaddr >= *va && vaddr - va < *size)
        .map(|(va, _, off)| vaddr - va + off)
}

/// The file offset of the virtual address `vaddr` in the ELF file at `path` (a bare
/// library name is found in the library cache); `vaddr` itself when the file cannot be
/// read or no loaded segment holds it.
pub fn address_offset(path: &str, vaddr: u64) -> u64 {
    let file = if path.contains('/') {
        Some(PathBuf::from(path))
    } else {
        tracec_meta::ldcache::library(path)
    };
    let offset = file.and_then(|f| {
        let bytes = std::fs::read(f).ok()?;
        let elf = Elf::parse(&bytes).ok()?;
        vaddr_to_offset(&load_segments(&elf), vaddr)
    });
    offset.unwrap_or(vaddr)
}

/// The contents of the separate debug file of the ELF image `bytes` (read from
/// `path`), when the image has no `.symtab` of its own and its debug file is found.
pub fn debug_file(path: &Path, elf: &Elf<'_>, bytes: &[u8]) -> Option<Vec<u8>> {
    tracec_meta::debugfile::of_elf(path, elf, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_to_offsets() {
        let segs = [
            (0x0, 0x1000, 0x0),
            (0x26000, 0x15_0000, 0x26000),
            (0x200000, 0x10, 0x1f0000),
        ];
        assert_eq!(vaddr_to_offset(&segs, 0x297b0), Some(0x297b0));
        assert_eq!(vaddr_to_offset(&segs, 0x200004), Some(0x1f0004));
        assert_eq!(vaddr_to_offset(&segs, 0x200010), None);
        assert_eq!(vaddr_to_offset(&segs, 0x1000), None);
        assert_eq!(offset_to_vaddr(&segs, 0x1f0004), Some(0x200004));
        assert_eq!(offset_to_vaddr(&segs, 0x1f0010), None);
    }

    #[test]
    fn addresses_of_unreadable_files_stay() {
        assert_eq!(address_offset("/no/such/binary", 0x401126), 0x401126);
        let exe = std::fs::read_link("/proc/self/exe").expect("our own path");
        let exe = exe.to_str().expect("a UTF-8 path");
        // No segment of our executable holds address 1.
        assert_eq!(address_offset(exe, 1), 1);
    }

    /// libc6-dbg on this host: a static function of libc is found through its
    /// build-ID debug file (skipped where libc or its debug file is missing).
    #[test]
    fn host_libc_debug_symbol() {
        let libc = Path::new("/lib/x86_64-linux-gnu/libc.so.6");
        let Ok(bytes) = std::fs::read(libc) else {
            return;
        };
        let elf = Elf::parse(&bytes).unwrap();
        if debug_file(libc, &elf, &bytes).is_none() {
            return;
        }
        let off = file_offset(libc, "_IO_fgets.cold").expect("a debug-only symbol");
        assert!(off > 0);
        assert_eq!(file_offset(libc, "no_such_function_here"), None);
        assert_eq!(file_offset(Path::new("/nonexistent/x"), "main"), None);
    }
}
