//! File offsets of uprobe locations, which a `uprobe_multi` link takes instead of
//! symbol names: a function symbol's address (from `.symtab`, `.dynsym` or the
//! separate debug file) through the `PT_LOAD` segment holding it, plus the offset.

use crate::debugsyms;
use goblin::elf::{sym, Elf};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

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

fn symbols(file: &str) -> Arc<Symbols> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Symbols>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache
        .entry(file.to_string())
        .or_insert_with(|| Arc::new(read(file)))
        .clone()
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

/// Every defined function symbol of `elf` and its file offset (the first definition
/// of a name wins; `.symtab` before `.dynsym`).
pub fn function_offsets(elf: &Elf<'_>) -> Symbols {
    let segments = debugsyms::load_segments(elf);
    let mut out = Symbols::new();
    for (syms, strs) in [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)] {
        for s in syms.iter() {
            let func = s.st_type() == sym::STT_FUNC || s.st_type() == sym::STT_GNU_IFUNC;
            if !func || s.st_value == 0 {
                continue;
            }
            let Some(name) = strs.get_at(s.st_name).filter(|n| !n.is_empty()) else {
                continue;
            };
            if let Some(off) = debugsyms::vaddr_to_offset(&segments, s.st_value) {
                out.entry(name.to_string()).or_insert(off);
            }
        }
    }
    out
}
