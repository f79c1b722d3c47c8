//! `tracec`: an ahead-of-time compiler from bpftrace scripts to BPF ELF objects.
//!
//! The pipeline (see ARCHITECTURE.md):
//!
//! ```text
//! source ─front::parse─▶ AST ─sema::check─▶ typed AST ─lower─▶ IR
//!        ─back (isel, regalloc, encode)─▶ BPF ─obj::write─▶ ELF + BTF + metadata
//! ```

pub mod back;
pub mod diag;
pub mod front;
pub mod ir;
pub mod lower;
pub mod obj;
pub mod probes;
pub mod sema;

pub use diag::{Diagnostic, Severity};

use std::path::PathBuf;

/// How to compile.
#[derive(Debug, Clone)]
pub struct Options {
    /// Name of the script for diagnostics and metadata (`-` for stdin, `<-e>` for `-e`).
    pub source_name: String,
    /// Root of tracefs, where tracepoint formats are read from.
    pub tracefs: PathBuf,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            source_name: "<script>".into(),
            tracefs: PathBuf::from("/sys/kernel/tracing"),
        }
    }
}

/// Everything compilation produced. `object` is the ELF file; the rest is for
/// `--emit`, tests and tools.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub object: Vec<u8>,
    pub ir: ir::Module,
    pub functions: Vec<back::CompiledFunction>,
    pub metadata: tracec_meta::Metadata,
    /// Non-fatal diagnostics.
    pub warnings: Vec<Diagnostic>,
}

/// Compile a script to a BPF object.
pub fn compile(_source: &str, _options: &Options) -> Result<Compiled, Vec<Diagnostic>> {
    todo!("pipeline")
}
