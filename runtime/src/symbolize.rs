//! Addresses to names, as bpftrace prints them in stacks and `ksym`/`usym`: kernel
//! addresses through `/proc/kallsyms`, user addresses through the process's
//! `/proc/PID/maps` and the ELF symbol tables (`.symtab`, `.dynsym`) of the mapped
//! file. Symbol tables are read once per binary; kallsyms once per run.

use crate::srcline::{SourceFrames, SourceInfo};
use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::usym_cache::UserSymCache;

/// Function symbols sorted by address: start, size (0 if unknown) and name.
#[derive(Debug, Default)]
pub struct SymTable {
    syms: Vec<(u64, u64, String)>,
}

impl SymTable {
    pub fn new(mut syms: Vec<(u64, u64, String)>) -> SymTable {
        crate::sorting::sort_by(&mut syms, |a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        syms.dedup_by_key(|s| s.0);
        SymTable { syms }
    }

    /// The symbol containing `addr` and the offset into it. A symbol of unknown size
    /// covers everything up to the next one.
    pub fn lookup(&self, addr: u64) -> Option<(&str, u64)> {
        let i = self.syms.partition_point(|s| s.0 <= addr);
        let (start, size, name) = self.syms.get(i.checked_sub(1)?)?;
        let off = addr - start;
        if *size != 0 && off >= *size {
            return None;
        }
        Some((name, off))
    }

    /// Like [`SymTable::lookup`], but a symbol of unknown size holds only its own
    /// address (what a lookup in a binary that may not hold `addr` at all needs).
    pub fn lookup_exact(&self, addr: u64) -> Option<(&str, u64)> {
        let (name, off) = self.lookup(addr)?;
        let i = self.syms.partition_point(|s| s.0 <= addr) - 1;
        (off == 0 || self.syms[i].1 != 0).then_some((name, off))
    }

    /// The text symbols of `/proc/kallsyms`-formatted `text` (`addr type name [mod]`).
    pub fn from_kallsyms(text: &str) -> SymTable {
        let syms = text
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let addr = u64::from_str_radix(it.next()?, 16).ok()?;
                let kind = it.next()?;
                let name = it.next()?;
                let text_sym = matches!(kind, "t" | "T" | "w" | "W");
                (text_sym && addr != 0).then(|| (addr, 0, name.to_string()))
            })
            .collect();
        SymTable::new(syms)
    }

    /// Function symbols of an ELF file, addressed by virtual address.
    pub fn from_elf(bytes: &[u8]) -> Option<SymTable> {
        Some(SymTable::new(elf_functions(bytes)?))
    }
}

/// The function symbols of an ELF image: address, size, name.
fn elf_functions(bytes: &[u8]) -> Option<Vec<(u64, u64, String)>> {
    let elf = goblin::elf::Elf::parse(bytes).ok()?;
    let mut syms = Vec::new();
    for (tab, strtab) in [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)] {
        for s in tab.iter() {
            if s.st_type() != goblin::elf::sym::STT_FUNC || s.st_value == 0 {
                continue;
            }
            if let Some(name) = strtab.get_at(s.st_name).filter(|n| !n.is_empty()) {
                syms.push((s.st_value, s.st_size, name.to_string()));
            }
        }
    }
    Some(syms)
}

/// An ELF file's symbols and its loadable segments (`debugsyms::load_segments`), and
/// its DWARF source information, read on first use.
#[derive(Debug, Default)]
struct Binary {
    path: PathBuf,
    syms: SymTable,
    segments: Vec<(u64, u64, u64)>,
    source: OnceCell<Option<SourceInfo>>,
}

impl Binary {
    fn read(path: &Path) -> Option<Binary> {
        let bytes = std::fs::read(path).ok()?;
        let elf = goblin::elf::Elf::parse(&bytes).ok()?;
        let segments = crate::debugsyms::load_segments(&elf);
        let mut syms = elf_functions(&bytes)?;
        // A stripped binary's static functions are named by its debug file.
        if let Some(debug) = crate::debugsyms::debug_file(path, &elf, &bytes) {
            syms.extend(elf_functions(&debug).unwrap_or_default());
        }
        Some(Binary {
            path: path.to_path_buf(),
            syms: SymTable::new(syms),
            segments,
            source: OnceCell::new(),
        })
    }

    /// The file's line tables and inline trees: its own DWARF, else its separate debug
    /// file's.
    fn source(&self) -> Option<&SourceInfo> {
        self.source
            .get_or_init(|| {
                let bytes = std::fs::read(&self.path).ok()?;
                let path = Some(self.path.as_path());
                let bytes = if SourceInfo::has_dwarf(&bytes) {
                    bytes
                } else {
                    let elf = goblin::elf::Elf::parse(&bytes).ok()?;
                    tracec_meta::debugfile::separate(&self.path, &elf, &bytes)?
                };
                // Read once per file, so an unreadable file is reported once.
                SourceInfo::read(bytes, path).unwrap_or_else(|e| {
                    eprintln!("WARNING: {}: {e}", self.path.display());
                    None
                })
            })
            .as_ref()
    }

    /// The virtual address of file offset `off`.
    fn vaddr(&self, off: u64) -> Option<u64> {
        crate::debugsyms::offset_to_vaddr(&self.segments, off)
    }
}

/// One line of `/proc/PID/maps` with a file behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    pub offset: u64,
    pub path: PathBuf,
}

/// The file-backed mappings in `/proc/PID/maps` text.
pub fn parse_maps(text: &str) -> Vec<Mapping> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (start, end) = it.next()?.split_once('-')?;
            let _perms = it.next()?;
            let offset = u64::from_str_radix(it.next()?, 16).ok()?;
            let _dev = it.next()?;
            let _inode = it.next()?;
            let path = it.next().filter(|p| p.starts_with('/'))?;
            Some(Mapping {
                start: u64::from_str_radix(start, 16).ok()?,
                end: u64::from_str_radix(end, 16).ok()?,
                offset,
                path: PathBuf::from(path),
            })
        })
        .collect()
}

/// A resolved address: symbol and offset, and for user addresses the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub name: String,
    pub offset: u64,
    pub path: Option<PathBuf>,
}

/// Caches of everything read to resolve addresses.
#[derive(Default)]
pub struct Symbolizer {
    kernel: Option<Rc<SymTable>>,
    binaries: HashMap<PathBuf, Option<Rc<Binary>>>,
    maps: HashMap<u32, Rc<Vec<Mapping>>>,
    /// `cache_user_symbols` (`usym_cache.rs`) and, for `PER_PROGRAM`, the binary of
    /// processes that are gone.
    user_cache: UserSymCache,
    program: Option<PathBuf>,
}

impl Symbolizer {
    /// A kernel address's symbol.
    pub fn kernel(&mut self, addr: u64) -> Option<Resolved> {
        let table = self
            .kernel
            .get_or_insert_with(|| {
                let text = std::fs::read_to_string("/proc/kallsyms").unwrap_or_default();
                Rc::new(SymTable::from_kallsyms(&text))
            })
            .clone();
        let (name, offset) = table.lookup(addr)?;
        Some(Resolved {
            name: name.to_string(),
            offset,
            path: None,
        })
    }

    /// Set the `cache_user_symbols` mode; `program` is the binary `PER_PROGRAM` looks
    /// addresses up in once their process is gone.
    pub fn set_user_cache(&mut self, mode: UserSymCache, program: Option<PathBuf>) {
        self.user_cache = mode;
        self.program = program;
    }

    /// Read and keep the mappings of process `pid` now (`PER_PID` at attach time).
    pub fn preload(&mut self, pid: u32) {
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/maps")) {
            self.maps.insert(pid, Rc::new(parse_maps(&text)));
        }
    }

    /// The mapped file holding user address `addr` of process `pid`, and the address
    /// as a virtual address of that file.
    fn locate(&mut self, pid: u32, addr: u64) -> Option<(Rc<Binary>, u64, PathBuf)> {
        if self.user_cache == UserSymCache::PerProgram {
            if let Some(found) = self.in_program(pid, addr) {
                return Some(found);
            }
        }
        let holds = |m: &Mapping| addr >= m.start && addr < m.end;
        let maps = match self.maps.get(&pid) {
            // Kept mappings that miss the address are read again while the process
            // lives (it may have mapped a library since), and stay once it is gone.
            Some(m) if m.iter().any(holds) => m.clone(),
            kept => {
                let kept = kept.cloned();
                let read = std::fs::read_to_string(format!("/proc/{pid}/maps"))
                    .ok()
                    .map(|text| parse_maps(&text))
                    // A zombie's maps are empty: keep what was read while it ran.
                    .filter(|m| !m.is_empty())
                    .map(Rc::new);
                let m = read.or(kept)?;
                if self.user_cache != UserSymCache::None {
                    self.maps.insert(pid, m.clone());
                }
                m
            }
        };
        let map = maps.iter().find(|m| holds(m))?;
        let bin = self.binary(&map.path)?;
        let vaddr = bin.vaddr(addr - map.start + map.offset)?;
        Some((bin, vaddr, map.path.clone()))
    }

    /// The source location and inlined functions of user address `addr` of process
    /// `pid`, from the DWARF of the file mapped there.
    pub fn user_source(&mut self, pid: u32, addr: u64) -> Option<SourceFrames> {
        let (bin, vaddr, _) = self.locate(pid, addr)?;
        Some(bin.source()?.frames(vaddr))
    }

    /// A user address of process `pid`.
    pub fn user(&mut self, pid: u32, addr: u64) -> Option<Resolved> {
        let (bin, vaddr, path) = self.locate(pid, addr)?;
        let (name, offset) = bin.syms.lookup(vaddr)?;
        // C++ names demangled, as bpftrace's default `cpp_demangle` prints them.
        let name = tracec_meta::demangle::demangle(name).unwrap_or_else(|| name.to_string());
        Some(Resolved {
            name,
            offset,
            path: Some(path),
        })
    }

    /// `PER_PROGRAM`: `addr` as a virtual address of the process's executable (or of
    /// the probes' binary once the process is gone), when a symbol there holds it.
    fn in_program(&mut self, pid: u32, addr: u64) -> Option<(Rc<Binary>, u64, PathBuf)> {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
            .ok()
            .or_else(|| self.program.clone())?;
        let bin = self.binary(&exe)?;
        bin.syms.lookup_exact(addr)?;
        Some((bin, addr, exe))
    }

    fn binary(&mut self, path: &Path) -> Option<Rc<Binary>> {
        self.binaries
            .entry(path.to_path_buf())
            .or_insert_with(|| Binary::read(path).map(Rc::new))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kallsyms_lookup() {
        let t = SymTable::from_kallsyms(
            "ffffffff81000000 T _stext\n\
             ffffffff81000100 t helper\n\
             ffffffff81000200 D some_data\n\
             ffffffffc0000000 t mod_fn\t[mymod]\n\
             0000000000000000 T hidden\n",
        );
        assert_eq!(t.lookup(0xffffffff81000010), Some(("_stext", 0x10)));
        assert_eq!(t.lookup(0xffffffff81000100), Some(("helper", 0)));
        // Data symbols are skipped: the address still belongs to `helper`.
        assert_eq!(t.lookup(0xffffffff81000205), Some(("helper", 0x105)));
        assert_eq!(t.lookup(0xffffffffc0000004), Some(("mod_fn", 4)));
        assert_eq!(t.lookup(0x10), None);
    }

    #[test]
    fn exact_lookups_need_a_size() {
        let t = SymTable::new(vec![
            (0x100, 0x10, "sized".into()),
            (0x200, 0, "unsized".into()),
        ]);
        assert_eq!(t.lookup_exact(0x104), Some(("sized", 4)));
        assert_eq!(t.lookup_exact(0x110), None);
        assert_eq!(t.lookup_exact(0x200), Some(("unsized", 0)));
        assert_eq!(t.lookup_exact(0x7f00_0000_0000), None);
        assert_eq!(t.lookup(0x7f00_0000_0000).map(|r| r.0), Some("unsized"));
    }

    #[test]
    fn sized_symbols_end() {
        let t = SymTable::new(vec![(0x1000, 0x10, "f".into()), (0x2000, 0, "g".into())]);
        assert_eq!(t.lookup(0x100f), Some(("f", 15)));
        assert_eq!(t.lookup(0x1010), None);
        assert_eq!(t.lookup(0x2345), Some(("g", 0x345)));
    }

    #[test]
    fn maps_lines() {
        let m = parse_maps(
            "55d0c0a00000-55d0c0a20000 r-xp 00002000 08:01 123 /usr/bin/cat\n\
             7ffd1000-7ffd2000 rw-p 00000000 00:00 0 [stack]\n\
             7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n",
        );
        assert_eq!(
            m,
            vec![Mapping {
                start: 0x55d0c0a00000,
                end: 0x55d0c0a20000,
                offset: 0x2000,
                path: PathBuf::from("/usr/bin/cat"),
            }]
        );
    }

    #[test]
    fn resolves_own_function() {
        // This test binary's own code: the address of a function resolves to a symbol
        // whose name mentions it (mangled Rust names contain the function name).
        let mut s = Symbolizer::default();
        let addr = resolves_own_function as *const () as usize as u64;
        let r = s.user(std::process::id(), addr).expect("resolved");
        assert!(r.name.contains("resolves_own_function"), "{r:?}");
        assert_eq!(r.offset, 0);
        assert!(r.path.is_some());
    }
}
