//! The object writer: packs compiled programs, maps, globals and metadata into a
//! relocatable `EM_BPF` ELF file with `.BTF` and `.BTF.ext`, following libbpf's
//! conventions so that libbpf, bpftool and aya can open it.

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

// TEMPORARY SHIM (wip-sema): stands in for the object writer until it is merged. Delete it.
#[doc(hidden)]
pub fn write(_input: &ObjectInput) -> Result<Vec<u8>, String> {
    Err("object writer not available".into())
}
