//! tracerun's DWARF line and inline reader (`tracerun::srcline`): any file read as
//! the ELF binary of a stack, with its split units in a package (`BINARY.dwp`) beside
//! it, answers source locations for any address or nothing, never a panic or a hang.
//!
//! Input: `BINARY [--DWP-- PACKAGE]`. Addresses asked: 0, every `.debug_aranges`-like
//! 8-byte word at the end of the input, and a few fixed ones.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tracerun::srcline::SourceInfo;

const MARK: &[u8] = b"--DWP--";

fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("tracec-fuzz-srcline-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temporary directory");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let (binary, package) = match data.windows(MARK.len()).position(|w| w == MARK) {
        Some(at) => (&data[..at], Some(&data[at + MARK.len()..])),
        None => (data, None),
    };
    let bin_path = dir().join("bin");
    let dwp = dir().join("bin.dwp");
    match package {
        Some(p) => {
            if std::fs::write(&dwp, p).is_err() {
                return;
            }
        }
        None => {
            let _ = std::fs::remove_file(&dwp);
        }
    }
    let _ = SourceInfo::has_dwarf(binary);
    let Ok(Some(info)) = SourceInfo::read(binary.to_vec(), Some(&bin_path)) else {
        return;
    };
    let mut addrs = vec![0u64, 1, 0x1000, 0x1139, 0x401000, u64::MAX];
    for w in data.rchunks_exact(8).take(8) {
        addrs.push(u64::from_le_bytes(w.try_into().unwrap_or_default()));
    }
    for a in addrs {
        let f = info.frames(a);
        let _ = f.inlined.len();
    }
});
