//! DWARF debug information of user binaries (`.debug_info`), as bpftrace reads it for
//! uprobes: the parameters of a function (names and types, for `args.NAME` and
//! `-lv`), its return type, and the C types they reach (structs, unions, enums,
//! typedefs, pointers, arrays), which the checker appends to its BTF
//! ([`to_local`]) so that fields, pointers and strings work as for kernel types.
//!
//! The DWARF comes from the binary itself or, when it is stripped, from its separate
//! debug file (build ID or `.gnu_debuglink`, see `tracec_meta::debugfile`, and the
//! `--debuginfo` directories of `probes::debugdirs`). Split DWARF is followed from the
//! skeleton units to their `.dwo` files or the binary's `.dwp` package (`split.rs`).
//! Compressed sections (zlib or zstd) are decompressed (`tracec_meta::debugsec`); one
//! that does not decode is reported once per file and left unread.

mod btf;
mod lines;
#[cfg(test)]
mod lines_tests;
mod read;
mod split;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use btf::{spell, to_local, LocalTypes};
pub use lines::{address as line_address, LineError, SourceLoc};

/// Index of a type in [`Function::types`]; [`VOID`] is `void` (and any type that
/// cannot be described).
pub type TyIdx = usize;

/// The `void` entry of every type table.
pub const VOID: TyIdx = 0;

/// How a base type's bits are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Signed,
    Unsigned,
    SignedChar,
    UnsignedChar,
    Bool,
    Float,
}

/// A type qualifier (kept for spellings; BTF conversion looks through it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qual {
    Const,
    Volatile,
    Restrict,
    Atomic,
}

/// A struct or union member.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Empty for an anonymous member.
    pub name: String,
    pub ty: TyIdx,
    /// Offset from the start of the record, in bits.
    pub bit_offset: u32,
    /// Width of a bitfield, 0 for a plain member.
    pub bit_size: u32,
}

/// One C type.
#[derive(Debug, Clone, PartialEq)]
pub enum DType {
    Void,
    Base {
        name: String,
        size: u32,
        encoding: Encoding,
    },
    Ptr(TyIdx),
    Qualified(Qual, TyIdx),
    Typedef {
        name: String,
        target: TyIdx,
    },
    Record {
        name: String,
        union: bool,
        size: u32,
        members: Vec<Member>,
        /// Only declared here (`struct Foo;`).
        declaration: bool,
    },
    /// One dimension; `count` is `None` for a flexible array (`int x[]`).
    Array {
        elem: TyIdx,
        count: Option<u32>,
    },
    Enum {
        name: String,
        size: u32,
        signed: bool,
        values: Vec<(String, i64)>,
    },
    /// A function type (behind a function pointer).
    Func {
        ret: TyIdx,
    },
}

/// A parameter of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub ty: TyIdx,
}

/// A function's signature, with the types it reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: String,
    pub params: Vec<Param>,
    /// [`VOID`] for a function that returns nothing.
    pub ret: TyIdx,
    /// The type table; entry [`VOID`] is `void`.
    pub types: Vec<DType>,
}

impl Function {
    pub fn ty(&self, i: TyIdx) -> &DType {
        self.types.get(i).unwrap_or(&DType::Void)
    }

    /// `i` without qualifiers and typedefs.
    pub fn strip(&self, mut i: TyIdx) -> TyIdx {
        for _ in 0..64 {
            match self.ty(i) {
                DType::Qualified(_, t) | DType::Typedef { target: t, .. } => i = *t,
                _ => return i,
            }
        }
        i
    }

    /// Size in bytes of type `i` (0 when unknown or void).
    pub fn size_of(&self, i: TyIdx) -> u64 {
        let i = self.strip(i);
        match self.ty(i) {
            DType::Void | DType::Func { .. } => 0,
            DType::Base { size, .. } | DType::Record { size, .. } | DType::Enum { size, .. } => {
                u64::from(*size)
            }
            DType::Ptr(_) => 8,
            DType::Array { elem, count } => self.size_of(*elem) * u64::from(count.unwrap_or(0)),
            DType::Qualified(..) | DType::Typedef { .. } => 0,
        }
    }

    /// The parameter declarations as `-lv` lists them (`int* n`, `struct Foo* foo1`).
    pub fn declarations(&self) -> Vec<String> {
        self.params
            .iter()
            .map(|p| format!("{} {}", spell(self, p.ty), p.name))
            .collect()
    }
}

/// Prints, once per file, that a debug section of the file at `path` could not be
/// decompressed (a corrupt zlib or zstd stream).
fn warn_once(path: Option<&Path>, e: &tracec_meta::debugsec::Error) {
    static SEEN: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());
    let path = path.map(Path::to_path_buf).unwrap_or_default();
    let Ok(mut seen) = SEEN.lock() else { return };
    if !seen.contains(&path) {
        eprintln!("WARNING: {}: {e}", path.display());
        seen.push(path);
    }
}

/// The functions whose names `want` accepts, from the DWARF of the file at `path` or,
/// when it has none, of its separate debug file. An unreadable file: `Err`.
pub fn functions(path: &Path, want: &dyn Fn(&str) -> bool) -> Result<Vec<Function>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let found = read::functions(&bytes, Some(path), want)?;
    if !found.is_empty() || read::has_dwarf(&bytes) {
        return Ok(found);
    }
    match super::usyms::debug_file(path, &bytes) {
        Some(debug) => read::functions(&debug, Some(path), want),
        None => Ok(found),
    }
}

/// The function `name` in the DWARF of the file at `path` (see [`functions`]).
pub fn function(path: &Path, name: &str) -> Result<Option<Function>, String> {
    Ok(functions(path, &|n| n == name)?.into_iter().next())
}

/// Fills in the arguments of the `uprobe:PATH:FUNC` / `uretprobe:PATH:FUNC` entries of
/// a `-lv` listing from the DWARF of each PATH (read once per file).
pub fn list_args(entries: &mut [(String, Vec<String>)]) {
    let mut by_path: std::collections::HashMap<String, Vec<usize>> = Default::default();
    for (i, (name, _)) in entries.iter().enumerate() {
        let Some(rest) = name
            .strip_prefix("uprobe:")
            .or_else(|| name.strip_prefix("uretprobe:"))
        else {
            continue;
        };
        if let Some((path, _)) = rest.rsplit_once(':') {
            by_path.entry(path.to_string()).or_default().push(i);
        }
    }
    for (path, idxs) in by_path {
        let wanted: std::collections::HashSet<String> = idxs
            .iter()
            .filter_map(|&i| entries[i].0.rsplit_once(':').map(|(_, f)| f.to_string()))
            .collect();
        let Ok(found) = functions(Path::new(&path), &|n| wanted.contains(n)) else {
            continue;
        };
        for &i in &idxs {
            let func = entries[i].0.rsplit_once(':').map(|(_, f)| f.to_string());
            if let Some(f) = found.iter().find(|f| Some(&f.name) == func.as_ref()) {
                entries[i].1 = f.declarations();
            }
        }
    }
}
