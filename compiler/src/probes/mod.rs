//! Probe providers: one file per provider (how its attach points are spelled, which
//! programs and sections they become, what context they give the script).
//!
//! [`expand`] turns one attach point as written (`tracepoint:syscalls:sys_enter_*`)
//! into the concrete probes it names. Each concrete probe becomes one BPF program.

use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use std::path::PathBuf;
use tracec_meta::Attach;

/// Where probe information comes from.
#[derive(Debug, Clone)]
pub struct Env {
    /// Root of tracefs (`/sys/kernel/tracing`): tracepoint formats and lists.
    pub tracefs: PathBuf,
}

/// One concrete probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandedProbe {
    /// Full bpftrace-style name: `tracepoint:syscalls:sys_enter_openat`, `BEGIN`,
    /// `interval:s:1`, `profile:hz:99`. This is what the `probe` builtin prints.
    pub name: String,
    /// libbpf SEC name: `raw_tp`, `tracepoint/syscalls/sys_enter_openat`, `perf_event`.
    pub section: String,
    /// A C-identifier stem for the program symbol (`tracepoint_syscalls_sys_enter_openat`);
    /// the lowering appends a unique suffix.
    pub symbol_stem: String,
    pub attach: Attach,
    /// What `args` means in this probe.
    pub context: Context,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Context {
    /// No `args` (BEGIN, END, interval, profile).
    None,
    /// A tracepoint record; `args->f` reads `fields[f]` at its offset from ctx.
    Tracepoint { fields: Vec<TpField> },
}

/// A field of a tracepoint's format (common_* fields excluded).
#[derive(Debug, Clone, PartialEq)]
pub struct TpField {
    pub name: String,
    /// Byte offset from the start of the record (= from ctx).
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    pub ty: TpType,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TpType {
    /// An integer of the field's size.
    Int { signed: bool },
    /// A pointer; `user` when it points into user memory (syscall arguments).
    /// `pointee_ptr` when it is a pointer to pointers (`const char *const *argv`).
    Ptr {
        user: bool,
        char_ptr: bool,
        pointee_ptr: bool,
    },
    /// `char name[N]`: an inline string.
    CharArray { len: u32 },
    /// `__data_loc char[] name`: a u32 whose low 16 bits are the string's offset from
    /// the record start and high 16 bits its length.
    DataLocString,
    /// Any other array: `elem_size` bytes per element, `len` elements.
    Array { elem_size: u32, len: u32, signed: bool },
}

/// Expand an attach point into concrete probes, or explain why it names none.
pub fn expand(_ap: &AttachPoint, _env: &Env) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    todo!("probe providers")
}

/// All probes matching `pattern` (bpftrace `-l` syntax, `*` wildcards; all if `None`),
/// one bpftrace-style name per entry, sorted.
pub fn list(_pattern: Option<&str>, _env: &Env) -> Result<Vec<String>, String> {
    todo!("probe listing")
}
