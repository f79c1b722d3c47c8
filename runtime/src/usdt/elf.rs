//! The USDT locations of an ELF binary or library: its `.note.stapsdt` notes, with
//! the probe addresses adjusted by `.stapsdt.base` (prelinked files) and turned into
//! file offsets (what uprobes attach at), and the semaphores' file offsets (what the
//! kernel's uprobe reference counter wants).

use goblin::elf::program_header::PT_LOAD;
use goblin::elf::Elf;
use std::path::Path;
use tracec_meta::usdt::{parse_notes, Note, BASE_SECTION, NOTE_SECTION};

/// One place a USDT probe fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub provider: String,
    pub name: String,
    /// File offset of the probe's instruction.
    pub offset: u64,
    /// File offset of the semaphore, 0 without one.
    pub semaphore: u64,
    /// The argument specs as written in the note.
    pub args: String,
}

/// Every USDT location of the file at `path`.
pub fn locations(path: &Path) -> Result<Vec<Location>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    locations_of(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every USDT location of an ELF image.
pub fn locations_of(bytes: &[u8]) -> Result<Vec<Location>, String> {
    let elf = Elf::parse(bytes).map_err(|e| format!("not an ELF file: {e}"))?;
    if !elf.little_endian {
        return Err("big-endian ELF files are not supported".into());
    }
    let section = |name: &str| {
        elf.section_headers
            .iter()
            .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(name))
    };
    let Some(notes) = section(NOTE_SECTION) else {
        return Ok(Vec::new());
    };
    let data = usize::try_from(notes.sh_offset)
        .ok()
        .zip(usize::try_from(notes.sh_size).ok())
        .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?))
        .ok_or("the .note.stapsdt section lies outside the file")?;
    let base = section(BASE_SECTION).map(|sh| sh.sh_addr);
    parse_notes(data, elf.is_64)
        .into_iter()
        .map(|n| location(&elf, base, n))
        .collect()
}

fn location(elf: &Elf, base: Option<u64>, n: Note) -> Result<Location, String> {
    let pc = match base {
        Some(actual) if n.base != 0 => n.pc.wrapping_add(actual).wrapping_sub(n.base),
        _ => n.pc,
    };
    let what = format!("usdt probe {}:{}", n.provider, n.name);
    let offset = file_offset(elf, pc, true)
        .ok_or_else(|| format!("{what}: address {pc:#x} is in no executable segment"))?;
    let semaphore = match n.semaphore {
        0 => 0,
        addr => file_offset(elf, addr, false)
            .ok_or_else(|| format!("{what}: semaphore address {addr:#x} is in no segment"))?,
    };
    Ok(Location {
        provider: n.provider,
        name: n.name,
        offset,
        semaphore,
        args: n.args,
    })
}

/// The file offset of virtual address `addr` in a loadable segment (an executable
/// one when `exec`).
fn file_offset(elf: &Elf, addr: u64, exec: bool) -> Option<u64> {
    elf.program_headers
        .iter()
        .filter(|ph| ph.p_type == PT_LOAD && (!exec || ph.is_executable()))
        .find(|ph| addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_memsz.max(ph.p_filesz))
        .map(|ph| addr - ph.p_vaddr + ph.p_offset)
}
