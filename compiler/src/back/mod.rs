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

/// Why a function could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Its stack frame (slots, then spills) is over the kernel's 512 bytes: the script
    /// holds too much at once, which the user can change (language.md, "Errors").
    StackLimit { function: String, bytes: u32 },
    /// Malformed IR or a failure of the back end itself: a bug in tracec.
    Internal(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::StackLimit { function, bytes } => write!(
                f,
                "function {function}: stack frame of {bytes} bytes exceeds the BPF limit of {} bytes",
                isel::STACK_LIMIT
            ),
            Error::Internal(e) => f.write_str(e),
        }
    }
}

impl Error {
    /// Whether the message says `needle` (for tests and callers that only report it).
    pub fn contains(&self, needle: &str) -> bool {
        self.to_string().contains(needle)
    }
}

/// Compile one IR function to BPF: instruction selection, register allocation,
/// layout and encoding.
pub fn compile(f: &ir::Function) -> Result<CompiledFunction, Error> {
    let over = |bytes: u32| Error::StackLimit {
        function: f.name.clone(),
        bytes,
    };
    let (_, slots) = isel::slot_layout(f);
    if slots > isel::STACK_LIMIT {
        return Err(over(slots));
    }
    let mut m = isel::select(f).map_err(Error::Internal)?;
    let allocated = regalloc::allocate(&mut m);
    // Spills may take the frame over the limit, and with it allocation may fail.
    if m.frame_size > isel::STACK_LIMIT {
        return Err(over(m.frame_size));
    }
    allocated.map_err(Error::Internal)?;
    peephole::run(&mut m);
    emit::emit(&m).map_err(Error::Internal)
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
