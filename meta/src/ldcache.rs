//! Bare library names of uprobes (`uprobe:libc:malloc`), found as bpftrace finds
//! them: in the system's library cache, `/etc/ld.so.cache`. `tracec` expands
//! wildcards against the file found; `tracerun` finds it again to resolve symbols of
//! its separate debug file.

use std::path::PathBuf;

/// The system's library cache.
pub const LD_SO_CACHE: &str = "/etc/ld.so.cache";

/// The library `name` (`libc`, `c`, `libssl.so.3`) of this host's library cache.
pub fn library(name: &str) -> Option<PathBuf> {
    let cache = std::fs::read(LD_SO_CACHE).ok()?;
    find_library(&cache, name)
}

/// `ld.so.cache` entry flags: an ELF libc6 library of this machine's architecture.
#[cfg(target_arch = "x86_64")]
const CACHE_FLAGS: i32 = 0x0303;
#[cfg(target_arch = "aarch64")]
const CACHE_FLAGS: i32 = 0x0a03;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const CACHE_FLAGS: i32 = 0x0003;

/// The library `name` in an `ld.so.cache` image (the "glibc-ld.so.cache1.1" format,
/// alone or after the old format's table): `name` itself when it contains `.so`,
/// else the first entry whose name starts with `{name}.so` (`libc`) or, for a name
/// without the `lib` prefix, `lib{name}.so` (`c`).
pub fn find_library(cache: &[u8], name: &str) -> Option<PathBuf> {
    const MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
    let start = cache.windows(MAGIC.len()).position(|w| w == MAGIC)?;
    let u32_at = |off: usize| -> Option<u32> {
        let b = cache.get(off..off + 4)?;
        Some(u32::from_le_bytes(b.try_into().ok()?))
    };
    let nlibs = usize::try_from(u32_at(start + MAGIC.len())?).ok()?;
    // magic, nlibs, len_strings, flags + 3 padding bytes, extension offset, 3 unused.
    let entries = start + MAGIC.len() + 4 + 4 + 4 + 4 + 12;
    let prefix = if name.starts_with("lib") {
        format!("{name}.so")
    } else {
        format!("lib{name}.so")
    };
    let exact = name.contains(".so");
    let cstr = |off: u32| -> Option<&str> {
        // String offsets of the new format count from the new header.
        let from = start.checked_add(usize::try_from(off).ok()?)?;
        let rest = cache.get(from..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        std::str::from_utf8(&rest[..len]).ok()
    };
    (0..nlibs).find_map(|i| {
        let e = entries.checked_add(i.checked_mul(24)?)?;
        let flags = u32_at(e)? as i32;
        let key = cstr(u32_at(e + 4)?)?;
        let value = cstr(u32_at(e + 8)?)?;
        let wanted = if exact {
            key == name
        } else {
            key.starts_with(&prefix)
        };
        (wanted && flags == CACHE_FLAGS).then(|| PathBuf::from(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new-format cache with `(key, value)` entries of this architecture's flags
    /// (and a first entry of another architecture named like the first).
    fn cache(entries: &[(&str, &str)]) -> Vec<u8> {
        const MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
        let all: Vec<(i32, &str, &str)> = entries
            .first()
            .map(|&(k, _)| (0x0003, k, "/lib32/other-arch"))
            .into_iter()
            .chain(entries.iter().map(|&(k, v)| (CACHE_FLAGS, k, v)))
            .collect();
        let header = MAGIC.len() + 4 + 4 + 4 + 4 + 12;
        let mut strings = Vec::new();
        let mut table = Vec::new();
        let strings_at = header + 24 * all.len();
        for (flags, k, v) in &all {
            let k_off = (strings_at + strings.len()) as u32;
            strings.extend_from_slice(k.as_bytes());
            strings.push(0);
            let v_off = (strings_at + strings.len()) as u32;
            strings.extend_from_slice(v.as_bytes());
            strings.push(0);
            table.extend_from_slice(&flags.to_le_bytes());
            table.extend_from_slice(&k_off.to_le_bytes());
            table.extend_from_slice(&v_off.to_le_bytes());
            table.extend_from_slice(&[0; 12]);
        }
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(all.len() as u32).to_le_bytes());
        out.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        out.extend_from_slice(&[0; 8 + 12]);
        out.extend(table);
        out.extend(strings);
        out
    }

    #[test]
    fn library_names() {
        let c = cache(&[
            ("libcap.so.2", "/lib/libcap.so.2"),
            ("libc.so.6", "/lib/x86/libc.so.6"),
            ("libssl.so.3", "/lib/libssl.so.3"),
            ("libssl.so.59", "/lib/libssl.so.59"),
        ]);
        assert_eq!(find_library(&c, "libc"), Some("/lib/x86/libc.so.6".into()));
        assert_eq!(find_library(&c, "libcap"), Some("/lib/libcap.so.2".into()));
        assert_eq!(find_library(&c, "c"), Some("/lib/x86/libc.so.6".into()));
        assert_eq!(find_library(&c, "cap"), Some("/lib/libcap.so.2".into()));
        assert_eq!(
            find_library(&c, "libssl.so.59"),
            Some("/lib/libssl.so.59".into())
        );
        assert_eq!(find_library(&c, "libssl.so"), None);
        assert_eq!(find_library(&c, "nothing"), None);
        assert_eq!(find_library(b"not a cache", "c"), None);
        // Truncated: no panic, no match.
        assert_eq!(find_library(&c[..60], "ssl"), None);
    }
}
