//! Test program artefacts that are not one C file built twice: `false.bin` (the machine code
//! of `false.c` without any ELF around it, for `mmap_exec`), `archive.zip` (the `true`
//! program stored uncompressed in a zip archive, probed as `archive.zip!/true`) and
//! `hello_rust` (built with `rustc` when the host has one).

use std::collections::BTreeSet;
use std::path::Path;

/// Build the extras from `src` into `out`, where the C programs were built already. Returns
/// the names built. A missing `rustc` only leaves `hello_rust` out (with a note on stderr):
/// its record is then skipped for the missing program.
pub fn build(src: &Path, out: &Path) -> Result<BTreeSet<String>, String> {
    let mut built = BTreeSet::new();
    flat_binary(src, out)?;
    built.insert("false.bin".to_string());
    let elf = std::fs::read(out.join("true")).map_err(|e| format!("testprogs/true: {e}"))?;
    let zip = stored_zip(&[("true", &elf)]);
    std::fs::write(out.join("archive.zip"), zip).map_err(|e| format!("archive.zip: {e}"))?;
    built.insert("archive.zip".to_string());
    match rust_program(src, out, "hello_rust") {
        Ok(()) => {
            built.insert("hello_rust".to_string());
        }
        Err(why) => eprintln!("conformance: hello_rust not built: {why}"),
    }
    Ok(built)
}

use super::testprogs::tool as run;

/// `false.bin`: `false.c` compiled to an object (position independent, no calls) and its
/// `.text` copied out raw, so that its first byte is `main`'s first instruction.
fn flat_binary(src: &Path, out: &Path) -> Result<(), String> {
    let object = out.join("false.o");
    let bin = out.join("false.bin");
    run(
        "cc",
        &[
            "-O0".as_ref(),
            "-fno-asynchronous-unwind-tables".as_ref(),
            "-c".as_ref(),
            src.join("false.c").as_os_str(),
            "-o".as_ref(),
            object.as_os_str(),
        ],
        out,
    )?;
    let r = run(
        "objcopy",
        &[
            "-O".as_ref(),
            "binary".as_ref(),
            "--only-section=.text".as_ref(),
            object.as_os_str(),
            bin.as_os_str(),
        ],
        out,
    );
    let _ = std::fs::remove_file(&object);
    r
}

/// `NAME`: `NAME.rs` of `src` built with `rustc` (debug info, no optimisation, so that its
/// functions stay out of line under their mangled names).
fn rust_program(src: &Path, out: &Path, name: &str) -> Result<(), String> {
    let source = src.join(format!("{name}.rs"));
    let exe = out.join(name);
    run(
        "rustc",
        &[
            "-g".as_ref(),
            "-C".as_ref(),
            "opt-level=0".as_ref(),
            "-o".as_ref(),
            exe.as_os_str(),
            source.as_os_str(),
        ],
        out,
    )
}

/// The CRC-32 (IEEE 802.3, reflected) of `data`, as zip records it.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip archive holding `entries` (name, contents) stored without compression, each local
/// header followed directly by the contents, then the central directory.
pub fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = Vec::new();
    let mut central = Vec::new();
    let u16le = |v: &mut Vec<u8>, x: usize| v.extend_from_slice(&(x as u16).to_le_bytes());
    let u32le = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    for (name, data) in entries {
        let offset = zip.len() as u32;
        let crc = crc32(data);
        let size = data.len() as u32;
        // Local file header: version 1.0, no flags, method 0 (stored), time and date 0.
        u32le(&mut zip, 0x0403_4b50);
        for x in [10, 0, 0, 0, 0] {
            u16le(&mut zip, x);
        }
        for x in [crc, size, size] {
            u32le(&mut zip, x);
        }
        u16le(&mut zip, name.len());
        u16le(&mut zip, 0);
        zip.extend_from_slice(name.as_bytes());
        zip.extend_from_slice(data);
        // Its central directory entry: made by Unix 1.0, needs 1.0.
        u32le(&mut central, 0x0201_4b50);
        for x in [0x030a, 10, 0, 0, 0, 0] {
            u16le(&mut central, x);
        }
        for x in [crc, size, size] {
            u32le(&mut central, x);
        }
        for x in [name.len(), 0, 0, 0, 0] {
            u16le(&mut central, x);
        }
        // External attributes: a regular file, mode 0755.
        u32le(&mut central, 0o100_755 << 16);
        u32le(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = zip.len() as u32;
    let central_size = central.len() as u32;
    zip.extend_from_slice(&central);
    u32le(&mut zip, 0x0605_4b50);
    for x in [0, 0, entries.len(), entries.len()] {
        u16le(&mut zip, x);
    }
    u32le(&mut zip, central_size);
    u32le(&mut zip, central_offset);
    u16le(&mut zip, 0);
    zip
}
