//! The contents of an ELF file's debug sections, decompressed: `SHF_COMPRESSED`
//! sections (an `Elf64_Chdr`/`Elf32_Chdr`, then a zlib stream: `objcopy
//! --compress-debug-sections`, `gcc -gz`, distributions' debug packages) and the older
//! `.zdebug_*` sections (`ZLIB`, a big-endian 8-byte size, a zlib stream), and
//! `SHF_COMPRESSED` sections holding zstd frames (`ELFCOMPRESS_ZSTD`: `objcopy
//! --compress-debug-sections=zstd`), through our own decoders ([`crate::inflate`],
//! [`crate::zstd`]). A section that does not decode is an [`Error`], which callers
//! report once per file. Used by tracec's DWARF readers (gimli) and tracerun's
//! source lines.

use std::borrow::Cow;
use std::fmt;

use goblin::elf::section_header::SHT_NOBITS;
use goblin::elf::Elf;

use crate::{inflate, zstd};

/// `SHF_COMPRESSED`.
pub const SHF_COMPRESSED: u64 = 0x800;
/// `ELFCOMPRESS_ZLIB`.
pub const ELFCOMPRESS_ZLIB: u32 = 1;
/// `ELFCOMPRESS_ZSTD`.
pub const ELFCOMPRESS_ZSTD: u32 = 2;

/// Why a debug section could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An unknown `ch_type`.
    Unknown(u32),
    /// A compression header or zlib stream that does not decode.
    Corrupt(inflate::Error),
    /// A zstd stream that does not decode.
    CorruptZstd(zstd::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unknown(t) => write!(f, "debug section compressed with unknown type {t}"),
            Error::Corrupt(e) => write!(f, "compressed debug section: {e}"),
            Error::CorruptZstd(e) => write!(f, "zstd-compressed debug section: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// The (decompressed) contents of section `name` of `elf` (read from `bytes`), or of
/// its `.zdebug_*` form; `Ok(None)` when there is neither (or it is `SHT_NOBITS`).
pub fn read<'a>(
    elf: &Elf<'_>,
    bytes: &'a [u8],
    name: &str,
) -> Result<Option<Cow<'a, [u8]>>, Error> {
    if let Some((data, flags)) = raw(elf, bytes, name) {
        if flags & SHF_COMPRESSED == 0 {
            return Ok(Some(Cow::Borrowed(data)));
        }
        return chdr(data, elf.is_64, elf.little_endian).map(|v| Some(Cow::Owned(v)));
    }
    let Some(rest) = name.strip_prefix(".debug_") else {
        return Ok(None);
    };
    match raw(elf, bytes, &format!(".zdebug_{rest}")) {
        Some((data, _)) => zdebug(data).map(|v| Some(Cow::Owned(v))),
        None => Ok(None),
    }
}

/// Every debug section of an ELF image (`.debug_*`, `.zdebug_*`, and their `.dwo`
/// forms) by its `.debug_*` name, decompressed: for readers that ask for sections by
/// name one at a time (gimli's loaders).
#[derive(Debug, Default)]
pub struct All<'a> {
    secs: Vec<(String, Cow<'a, [u8]>)>,
    /// The first section that could not be read.
    pub error: Option<Error>,
}

impl<'a> All<'a> {
    pub fn read(elf: &Elf<'_>, bytes: &'a [u8]) -> All<'a> {
        let mut all = All::default();
        for sh in &elf.section_headers {
            let Some(name) = elf.shdr_strtab.get_at(sh.sh_name) else {
                continue;
            };
            let name = match name.strip_prefix(".zdebug_") {
                Some(rest) => format!(".debug_{rest}"),
                None if name.starts_with(".debug_") => name.to_string(),
                None => continue,
            };
            if all.secs.iter().any(|(n, _)| *n == name) {
                continue;
            }
            match read(elf, bytes, &name) {
                Ok(Some(data)) => all.secs.push((name, data)),
                Ok(None) => {}
                Err(e) => {
                    all.error.get_or_insert(e);
                }
            }
        }
        all
    }

    /// The contents of section `name` (empty when absent or unreadable).
    pub fn get(&self, name: &str) -> &[u8] {
        self.secs
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |(_, d)| d)
    }
}

fn section_bytes(bytes: &[u8], off: u64, size: u64) -> Option<&[u8]> {
    let start = usize::try_from(off).ok()?;
    bytes.get(start..start.checked_add(usize::try_from(size).ok()?)?)
}

fn raw<'a>(elf: &Elf<'_>, bytes: &'a [u8], name: &str) -> Option<(&'a [u8], u64)> {
    let sh = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(name))?;
    if sh.sh_type == SHT_NOBITS {
        return None;
    }
    Some((section_bytes(bytes, sh.sh_offset, sh.sh_size)?, sh.sh_flags))
}

fn word(b: &[u8], little: bool) -> u32 {
    let b = [b[0], b[1], b[2], b[3]];
    if little {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    }
}

/// The contents of an `SHF_COMPRESSED` section: its `Chdr`, then the stream.
pub fn chdr(data: &[u8], is_64: bool, little: bool) -> Result<Vec<u8>, Error> {
    let (head, size) = if is_64 {
        let h = data
            .get(..24)
            .ok_or(Error::Corrupt(inflate::Error::Truncated))?;
        let s = [&h[8..12], &h[12..16]].map(|w| u64::from(word(w, little)));
        (
            24,
            if little {
                s[0] | s[1] << 32
            } else {
                s[0] << 32 | s[1]
            },
        )
    } else {
        let h = data
            .get(..12)
            .ok_or(Error::Corrupt(inflate::Error::Truncated))?;
        (12, u64::from(word(&h[4..8], little)))
    };
    let size = usize::try_from(size).map_err(|_| Error::Corrupt(inflate::Error::TooLong))?;
    match word(data, little) {
        ELFCOMPRESS_ZLIB => inflate::zlib(&data[head..], size).map_err(Error::Corrupt),
        ELFCOMPRESS_ZSTD => zstd::decompress_exact(&data[head..], size).map_err(Error::CorruptZstd),
        t => Err(Error::Unknown(t)),
    }
}

/// The contents of a `.zdebug_*` section: `ZLIB`, the size (big-endian), the stream.
pub fn zdebug(data: &[u8]) -> Result<Vec<u8>, Error> {
    let bad = Error::Corrupt(inflate::Error::Invalid("no ZLIB header"));
    let rest = data.strip_prefix(b"ZLIB").ok_or(bad)?;
    let size = rest
        .get(..8)
        .ok_or(Error::Corrupt(inflate::Error::Truncated))?;
    let size = u64::from_be_bytes(size.try_into().unwrap_or_default());
    let size = usize::try_from(size).map_err(|_| Error::Corrupt(inflate::Error::TooLong))?;
    inflate::zlib(&rest[8..], size).map_err(Error::Corrupt)
}

#[cfg(test)]
#[path = "debugsec_tests.rs"]
mod tests;
