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
pub mod kbtf;
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
    /// Kernel BTF (raw, or an ELF file with `.BTF`). Kernel struct accesses
    /// (`curtask->pid`) are compiled against it, with CO-RE relocations so the object
    /// still loads on other kernels (`None`: `/sys/kernel/btf/vmlinux`). When tracefs is
    /// unreadable, tracepoint formats come from it and the embedded tracepoint table
    /// (`None`: tracefs only). See [`kbtf::default_btf`].
    pub btf: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            source_name: "<script>".into(),
            tracefs: PathBuf::from("/sys/kernel/tracing"),
            btf: None,
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
pub fn compile(source: &str, options: &Options) -> Result<Compiled, Vec<Diagnostic>> {
    let program = front::parse(source)?;
    let env = probes::Env {
        tracefs: options.tracefs.clone(),
        btf: options.btf.clone(),
    };
    let kernel = sema::kernel::KernelBtf::new(options.btf.clone());
    let checked = sema::check_with_kernel(&program, &mut |ap| probes::expand(ap, &env), kernel)?;
    finish(source, options, &checked)
}

/// Lower a checked script and produce the object (everything after `sema`).
pub fn finish(
    source: &str,
    options: &Options,
    checked: &sema::Checked,
) -> Result<Compiled, Vec<Diagnostic>> {
    let lowered = lower::lower(checked, source);
    let ice = |what: &str, e: String| {
        vec![Diagnostic::error(
            front::ast::Span::default(),
            format!("internal compiler error: {what}: {e}"),
        )
        .with_note("this is a bug in tracec, not in the script; please report it")]
    };
    let mut functions = Vec::with_capacity(lowered.module.functions.len());
    for f in &lowered.module.functions {
        functions
            .push(back::compile(f).map_err(|e| ice(&format!("back end, program {}", f.name), e))?);
    }
    let core_relocs = functions
        .iter()
        .flat_map(|f| {
            f.core_relocs.iter().map(|r| tracec_meta::CoreRelocSpec {
                program: f.name.clone(),
                insn: r.insn as u32,
                type_name: r.access.root_name(),
                field: r.access.field_path(),
            })
        })
        .collect();
    let metadata = tracec_meta::Metadata {
        core_relocs,
        compiler_version: env!("CARGO_PKG_VERSION").to_string(),
        source_name: options.source_name.clone(),
        source_hash: source_hash(source),
        probes: lowered.probes.clone(),
        maps: lowered.maps.clone(),
        printfs: lowered.printfs.clone(),
        joins: lowered.joins.clone(),
        unsafe_builtins: false,
        source: Some(source.to_string()),
    };
    let meta_bytes = tracec_meta::encode(&metadata);
    let object = obj::write(&obj::ObjectInput {
        functions: &functions,
        maps: &lowered.module.maps,
        globals: &lowered.module.globals,
        source_name: &options.source_name,
        source,
        metadata: &meta_bytes,
    })
    .map_err(|e| ice("object writer", e))?;
    Ok(Compiled {
        object,
        ir: lowered.module,
        functions,
        metadata,
        warnings: checked.warnings.clone(),
    })
}

/// Hex SHA-256 of the script text.
pub fn source_hash(source: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(source.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
