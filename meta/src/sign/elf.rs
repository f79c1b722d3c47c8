//! Just enough ELF64 reading to find the signature section and to prove that its
//! contents are the only bytes of the file the signature does not cover.

use super::{SignError, SIGNATURE_SIZE};
use std::ops::Range;

const EHDR_SIZE: usize = 64;
const SHDR_SIZE: usize = 64;
const SHT_NULL: u32 = 0;
const SHT_PROGBITS: u32 = 1;
const SHT_NOBITS: u32 = 8;
const SHN_XINDEX: u16 = 0xffff;

/// One section header, the fields we need.
#[derive(Debug, Clone, Copy)]
struct Shdr {
    name: u32,
    ty: u32,
    offset: u64,
    size: u64,
    link: u32,
}

fn malformed(msg: impl Into<String>) -> SignError {
    SignError::Malformed(msg.into())
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// `offset..offset + size` if it lies inside a file of `len` bytes.
fn range_in(offset: u64, size: u64, len: usize) -> Option<Range<usize>> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    (end <= len).then_some(start..end)
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Where the contents of the signature section lie in `file`.
///
/// `Ok(None)`: the file is a well-formed ELF64 little-endian file without a
/// signature section. The section must be unique, `SHT_PROGBITS`, exactly
/// [`SIGNATURE_SIZE`] bytes long, inside the file, and overlap neither the ELF
/// header, nor the section header table, nor any other section's contents, so
/// that every byte outside it (which decides where it is) is signed.
pub(super) fn signature_range(file: &[u8]) -> Result<Option<Range<usize>>, SignError> {
    if file.len() < EHDR_SIZE || !file.starts_with(b"\x7fELF") {
        return Err(malformed("not an ELF file"));
    }
    if file[4] != 2 || file[5] != 1 {
        return Err(malformed("not a 64-bit little-endian ELF file"));
    }
    let shoff = u64_at(file, 0x28);
    let shentsize = u16_at(file, 0x3a);
    let mut shnum = u64::from(u16_at(file, 0x3c));
    let mut shstrndx = u32::from(u16_at(file, 0x3e));
    if shoff == 0 {
        return Err(malformed("the file has no section headers"));
    }
    if usize::from(shentsize) != SHDR_SIZE {
        return Err(malformed(format!("section header size {shentsize}")));
    }
    let shdr_at = |i: u64| -> Result<Shdr, SignError> {
        let at = i
            .checked_mul(SHDR_SIZE as u64)
            .and_then(|o| o.checked_add(shoff))
            .and_then(|o| range_in(o, SHDR_SIZE as u64, file.len()))
            .ok_or_else(|| malformed("section header outside the file"))?;
        let h = &file[at];
        Ok(Shdr {
            name: u32_at(h, 0),
            ty: u32_at(h, 4),
            offset: u64_at(h, 0x18),
            size: u64_at(h, 0x20),
            link: u32_at(h, 0x28),
        })
    };
    // Extended numbering: the real counts live in section header 0.
    let first = shdr_at(0)?;
    if shnum == 0 {
        shnum = first.size;
    }
    if shstrndx == u32::from(SHN_XINDEX) {
        shstrndx = first.link;
    }
    let table = shnum
        .checked_mul(SHDR_SIZE as u64)
        .and_then(|size| range_in(shoff, size, file.len()))
        .ok_or_else(|| malformed("section header table outside the file"))?;
    let headers = (0..shnum).map(shdr_at).collect::<Result<Vec<_>, _>>()?;
    let strtab = headers
        .get(shstrndx as usize)
        .and_then(|s| range_in(s.offset, s.size, file.len()))
        .map(|r| &file[r])
        .ok_or_else(|| malformed("no section name table"))?;
    let name_of = |h: &Shdr| -> Option<&[u8]> {
        let rest = strtab.get(h.name as usize..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(&rest[..end])
    };

    let mut found = None;
    for (i, h) in headers.iter().enumerate() {
        if name_of(h) != Some(crate::SIGNATURE_SECTION.as_bytes()) {
            continue;
        }
        if found.is_some() {
            return Err(malformed(format!(
                "more than one {} section",
                crate::SIGNATURE_SECTION
            )));
        }
        found = Some(i);
    }
    let Some(index) = found else {
        return Ok(None);
    };
    let sig = headers[index];
    if sig.ty != SHT_PROGBITS || sig.size != SIGNATURE_SIZE as u64 {
        return Err(malformed(format!(
            "{} must be a {SIGNATURE_SIZE}-byte PROGBITS section",
            crate::SIGNATURE_SECTION
        )));
    }
    let range = range_in(sig.offset, sig.size, file.len())
        .ok_or_else(|| malformed(format!("{} outside the file", crate::SIGNATURE_SECTION)))?;
    if overlaps(&range, &(0..EHDR_SIZE)) || overlaps(&range, &table) {
        return Err(malformed(format!(
            "{} overlaps the ELF headers",
            crate::SIGNATURE_SECTION
        )));
    }
    for (i, h) in headers.iter().enumerate() {
        if i == index || h.ty == SHT_NULL || h.ty == SHT_NOBITS || h.size == 0 {
            continue;
        }
        let other = range_in(h.offset, h.size, file.len())
            .ok_or_else(|| malformed(format!("section {i} lies outside the file")))?;
        if overlaps(&range, &other) {
            return Err(malformed(format!(
                "{} overlaps section {i}",
                crate::SIGNATURE_SECTION
            )));
        }
    }
    Ok(Some(range))
}
