//! The BPF back end: instruction selection ([`isel`]) from the IR onto virtual
//! registers, register allocation ([`regalloc`]) with liveness and spilling, a
//! clean-up of the allocated code ([`peephole`]), and the
//! final encoding ([`insn`]) plus a readable assembly form ([`asm`]).
//!
//! Its output, [`CompiledFunction`], is what the object writer (`crate::obj`) packs
//! into the ELF file.

pub mod asm;
pub mod emit;
pub mod insn;
pub mod isel;
mod jumps;
pub mod liveness;
pub mod mir;
pub mod opcode;
pub mod peephole;
pub mod regalloc;
pub mod spill;

use crate::ir::{self, FuncId, GlobalId, Loc, MapId};
pub use insn::Insn;

/// Compile one IR function to BPF: instruction selection, register allocation,
/// layout and encoding. Errors name the function (e.g. a stack frame over 512 bytes,
/// malformed IR).
pub fn compile(f: &ir::Function) -> Result<CompiledFunction, String> {
    let mut m = isel::select(f)?;
    regalloc::allocate(&mut m)?;
    peephole::run(&mut m);
    emit::emit(&m)
}

/// What an instruction must be relocated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelocTarget {
    /// `ld_imm64` of a map's address (libbpf: `R_BPF_64_64` against the map symbol).
    Map(MapId),
    /// `ld_imm64` of a `.rodata` global's address; the instruction's `imm` holds the
    /// offset within the global.
    Global(GlobalId),
    /// `ld_imm64` of a subprogram's address (`src = BPF_PSEUDO_FUNC`, `imm = 0`):
    /// `R_BPF_64_64` against the function's symbol. Indexes the compiled functions,
    /// which are in the order of `ir::Module::functions`.
    Func(FuncId),
}

/// A relocation on the first half of an `ld_imm64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reloc {
    /// Index into [`CompiledFunction::insns`] (in 8-byte instruction slots).
    pub insn: usize,
    pub target: RelocTarget,
}

/// A CO-RE relocation on a `mov64 dst, imm` (the value is `imm`) or on a load
/// `dst = *(base + off)` (the value is `off`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreReloc {
    /// Index into [`CompiledFunction::insns`].
    pub insn: usize,
    pub access: ir::CoreAccess,
}

/// An `ld_imm64` of a kernel variable's address (`src = BPF_PSEUDO_BTF_ID`) whose BTF
/// id the runtime fills in from the host's vmlinux BTF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KsymUse {
    /// Index into [`CompiledFunction::insns`] (the first slot of the `ld_imm64`).
    pub insn: usize,
    /// The variable's name (a `BTF_KIND_VAR` of vmlinux), or the kfunc's.
    pub name: String,
    /// A kernel variable (`ld_imm64`) or a kfunc (`call` with
    /// `src = BPF_PSEUDO_KFUNC_CALL`, its `imm` the `BTF_KIND_FUNC` id).
    pub kind: tracec_meta::KsymKind,
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
    /// CO-RE relocations, in instruction order.
    pub core_relocs: Vec<CoreReloc>,
    /// Kernel variables whose BTF ids the runtime patches in, in instruction order.
    pub ksyms: Vec<KsymUse>,
    /// Sorted by `insn`, at most one per instruction.
    pub lines: Vec<LineEntry>,
    /// Where the probe was written (func_info, and the first line_info).
    pub loc: Loc,
}
