//! File offsets of uprobe locations, which a `uprobe_multi` link takes instead of
//! symbol names: a function symbol's address (from `.symtab`, `.dynsym` or the
//! separate debug file) through the `PT_LOAD` segment holding it, plus the offset.

use crate::debugsyms;
use goblin::elf::Elf;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Function symbols and their file offsets.
type Symbols = HashMap<String, u64>;

/// The file a uprobe path names: itself, or a bare library name through the library
/// cache (as aya resolves it).
pub fn resolve_path(path: &str) -> String {
    if path.contains('/') {
        return path.to_string();
    }
    tracec_meta::ldcache::library(path)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

/// The file offset in `file` of `symbol + offset`, or with an empty `symbol` of the
/// virtual address `offset`.
pub fn file_offset(file: &str, symbol: &str, offset: u64) -> Result<u64, String> {
    if symbol.is_empty() {
        return Ok(debugsyms::address_offset(file, offset));
    }
    let found = symbols(file)
        .get(symbol)
        .copied()
        .or_else(|| debugsyms::file_offset(Path::new(file), symbol));
    found
        .map(|at| at + offset)
        .ok_or_else(|| format!("Could not resolve symbol: {file}:{symbol}"))
}

/// The function symbols of `file`, read once (a wildcard names many in one file).
fn symbols(file: &str) -> Arc<Symbols> {
    static CACHE: Mutex<Vec<(String, Arc<Symbols>)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, s)) = cache.iter().find(|(f, _)| f == file) {
        return s.clone();
    }
    let s = Arc::new(read(file));
    cache.push((file.to_string(), s.clone()));
    s
}

fn read(file: &str) -> Symbols {
    let Ok(bytes) = std::fs::read(file) else {
        return Symbols::new();
    };
    match Elf::parse(&bytes) {
        Ok(elf) => function_offsets(&elf),
        Err(_) => Symbols::new(),
    }
}

/// Every defined function symbol of `elf` and its file offset (`.symtab` before
/// `.dynsym`; the first definition of a name is the one kept).
pub fn function_offsets(elf: &Elf<'_>) -> Symbols {
    let segments = debugsyms::load_segments(elf);
    let mut out = Symbols::new();
    for (name, f) in crate::uprobe_bounds::functions(elf) {
        if let Some(at) = debugsyms::vaddr_to_offset(&segments, f.addr) {
            out.entry(name).or_insert(at);
        }
    }
    out
}
