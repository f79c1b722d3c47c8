//! The DEFLATE/zlib decoder and the compressed-section headers built on it
//! (`tracec_meta::inflate`, `tracec_meta::debugsec::{chdr, zdebug}`): any bytes
//! decode or are an error; the output never exceeds the size asked for.
//!
//! Input: one byte of mode, four of expected size (little-endian, at most 1 MiB),
//! then the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracec_meta::{debugsec, inflate};

fuzz_target!(|data: &[u8]| {
    let [mode, s0, s1, s2, s3, ref rest @ ..] = *data else {
        return;
    };
    let size = (u32::from_le_bytes([s0, s1, s2, s3]) & 0xf_ffff) as usize;
    match mode % 5 {
        0 => {
            let mut out = Vec::new();
            let limit = size;
            if let Ok(used) = inflate::inflate(rest, &mut out, limit) {
                assert!(used <= rest.len());
            }
            assert!(out.len() <= limit);
        }
        1 => {
            if let Ok(out) = inflate::zlib(rest, size) {
                assert_eq!(out.len(), size);
            }
        }
        2 => {
            let _ = debugsec::chdr(rest, true, true);
            let _ = debugsec::chdr(rest, false, false);
        }
        3 => {
            let _ = debugsec::chdr(rest, true, false);
            let _ = debugsec::chdr(rest, false, true);
        }
        _ => {
            let _ = debugsec::zdebug(rest);
        }
    }
});
