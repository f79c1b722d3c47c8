//! The BPF back end: instruction selection ([`isel`]) from the IR onto virtual
//! registers, register allocation ([`regalloc`]) with liveness and spilling, and the
//! final encoding ([`insn`]) plus a readable assembly form ([`asm`]).
//!
//! Its output, [`CompiledFunction`], is what the object writer (`crate::obj`) packs
//! into the ELF file.

pub mod insn;

use crate::ir::{GlobalId, Loc, MapId};
pub use insn::Insn;

/// What an instruction must be relocated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelocTarget {
    /// `ld_imm64` of a map's address (libbpf: `R_BPF_64_64` against the map symbol).
    Map(MapId),
    /// `ld_imm64` of a `.rodata` global's address; the instruction's `imm` holds the
    /// offset within the global.
    Global(GlobalId),
}

/// A relocation on the first half of an `ld_imm64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reloc {
    /// Index into [`CompiledFunction::insns`] (in 8-byte instruction slots).
    pub insn: usize,
    pub target: RelocTarget,
}

/// A line_info record: instructions from `insn` on come from `loc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineEntry {
    pub insn: usize,
    pub loc: Loc,
}

/// One program, ready for the object writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledFunction {
    /// ELF symbol.
    pub name: String,
    /// libbpf SEC name.
    pub section: String,
    /// Encoded in 8-byte slots; an `ld_imm64` takes two.
    pub insns: Vec<Insn>,
    pub relocs: Vec<Reloc>,
    /// Sorted by `insn`, at most one per instruction.
    pub lines: Vec<LineEntry>,
    /// Where the probe was written (func_info, and the first line_info).
    pub loc: Loc,
}

// TEMPORARY SHIM (wip-sema): stands in for the back end until it is merged. Delete it.
#[doc(hidden)]
pub fn compile(f: &crate::ir::Function) -> Result<CompiledFunction, String> {
    Err(format!("back end not available for {}", f.name))
}
