//! The Zstandard decoder (`tracec_meta::zstd`) and the zstd form of compressed debug
//! sections (`debugsec::chdr` with `ELFCOMPRESS_ZSTD`): any bytes decode or are an
//! error, never a panic; the output never exceeds the limit asked for.
//!
//! Input: four bytes of limit (little-endian, at most 4 MiB), then the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracec_meta::{debugsec, zstd};

fuzz_target!(|data: &[u8]| {
    let [l0, l1, l2, l3, ref rest @ ..] = *data else {
        return;
    };
    let limit = (u32::from_le_bytes([l0, l1, l2, l3]) & 0x3f_ffff) as usize;
    match zstd::decompress(rest, limit) {
        Ok(out) => {
            assert!(out.len() <= limit);
            // The same stream with exactly that size expected decodes the same.
            assert_eq!(zstd::decompress_exact(rest, out.len()), Ok(out));
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    let mut sec = Vec::with_capacity(rest.len() + 24);
    sec.extend_from_slice(&debugsec::ELFCOMPRESS_ZSTD.to_le_bytes());
    sec.extend_from_slice(&0u32.to_le_bytes());
    sec.extend_from_slice(&(limit as u64).to_le_bytes());
    sec.extend_from_slice(&1u64.to_le_bytes());
    sec.extend_from_slice(rest);
    if let Ok(out) = debugsec::chdr(&sec, true, true) {
        assert_eq!(out.len(), limit);
    }
});
