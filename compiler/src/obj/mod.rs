//! The object writer: packs compiled programs, maps, globals and metadata into a
//! relocatable `EM_BPF` ELF file with `.BTF` and `.BTF.ext`, following libbpf's
//! conventions so that libbpf, bpftool and aya can open it.
//!
//! The object has, in order: one `SHF_ALLOC|SHF_EXECINSTR` section per distinct
//! program section (programs concatenated, one global `STT_FUNC` symbol each),
//! `.maps` (BTF-defined maps, zero-filled, one `STT_OBJECT` symbol per map),
//! `.rodata` (the globals, one `STT_OBJECT` symbol each), `license` (`"GPL"`, symbol
//! `_license`), `.BTF`, `.BTF.ext` and the [`tracec_meta::SECTION`] metadata section.
//!
//! Relocations are `R_BPF_64_64` (SHT_REL, no addend) on the first half of each
//! relocated `ld_imm64`, against the map's symbol or the global's symbol. For a
//! global, the instruction's `imm` is the offset within the global; libbpf and aya
//! both compute `value address = symbol value + imm`.
//!
//! What the back end must emit for a relocated `ld_imm64`: code `0x18`, `src = 0`
//! (the loader sets `BPF_PSEUDO_MAP_FD`/`BPF_PSEUDO_MAP_VALUE`), `imm = 0` for a map
//! and `imm = offset within the global` (`0..size`) for a global, and an all-zero
//! second slot. Line entries may not point at a second slot.
//!
//! `.BTF.ext` gets a func_info and a line_info record at each program's first
//! instruction (the latter from [`CompiledFunction::loc`] unless `lines` starts at
//! instruction 0).
//!
//! [`write_signable`] also reserves the [`tracec_meta::SIGNATURE_SECTION`] section,
//! zero-filled, last, for [`tracec_meta::sign::sign`] to fill in place.

pub mod btf;
pub mod btf_ext;
mod check;
pub mod core;
mod elf;

pub use btf::{c_identifier, is_c_identifier, Btf, BtfType};
pub use btf_ext::{BtfExt, CoreRelo, FuncInfo, LineInfo};

use crate::back::CompiledFunction;
use crate::ir::{Global, MapDef};

/// Everything that goes into one object file.
pub struct ObjectInput<'a> {
    /// Programs; several may share a section (e.g. `raw_tp`, `perf_event`).
    pub functions: &'a [CompiledFunction],
    pub maps: &'a [MapDef],
    pub globals: &'a [Global],
    /// Script name for line_info's file name.
    pub source_name: &'a str,
    /// Script text; line_info records carry the text of their line.
    pub source: &'a str,
    /// Bytes of the `tracec_meta::SECTION` section.
    pub metadata: &'a [u8],
}

/// The symbol of the `license` section.
pub const LICENSE_SYMBOL: &str = "_license";

/// Section names the writer uses itself; programs may not use them.
pub const RESERVED_SECTIONS: &[&str] = &[
    ".maps",
    ".rodata",
    ".bss",
    "license",
    ".BTF",
    ".BTF.ext",
    ".symtab",
    ".strtab",
    ".shstrtab",
];

/// Writes the ELF object. Fails, with a message naming the culprit, on malformed
/// input: duplicate or non-identifier symbol names, relocations that are not on an
/// `ld_imm64` or name unknown maps/globals, unsorted line info, inconsistent maps or
/// globals.
pub fn write(input: &ObjectInput) -> Result<Vec<u8>, String> {
    elf::write(input, false)
}

/// [`write`], plus a zero-filled [`tracec_meta::SIGNATURE_SECTION`] of
/// [`tracec_meta::sign::SIGNATURE_SIZE`] bytes to be filled by
/// [`tracec_meta::sign::sign`]. Until then the object is valid but unsigned.
pub fn write_signable(input: &ObjectInput) -> Result<Vec<u8>, String> {
    elf::write(input, true)
}
