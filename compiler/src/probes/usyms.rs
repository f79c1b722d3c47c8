//! The function symbols of a user-space ELF file, which `uprobe` wildcards expand
//! against and `-l uprobe:PATH:*` lists.
//!
//! Like bpftrace, a symbol qualifies when it is a function (`STT_FUNC`) or an indirect
//! function (`STT_GNU_IFUNC`), is defined in the file (not `SHN_UNDEF`) at a non-zero
//! address and has a name; `.symtab` and `.dynsym` are both read and a name present in
//! both (or twice) counts once. Aliases (two names for one address) stay two symbols.
//! A stripped binary's separate debug file (found by build ID or `.gnu_debuglink`,
//! [`tracec_meta::debugfile`]) adds its `.symtab`, as bpftrace lists it (versioned
//! names such as `_IO_fclose@@GLIBC_2.2.5` included); `tracerun` resolves those
//! names through the same debug file when it attaches. Compiler-split fragments
//! (`NAME.part.N`) are no function entries and are left out, as bpftrace does.

use goblin::elf::section_header::SHN_UNDEF;
use goblin::elf::sym::{STT_FUNC, STT_GNU_IFUNC};
use goblin::elf::Elf;
use std::collections::BTreeSet;
use std::path::Path;

/// Why a file's symbols could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SymError {
    /// The file could not be read (missing, a directory, no permission).
    Unreadable(String),
    /// The file is no ELF file goblin can parse.
    NotElf,
}

/// The function symbols of the ELF file at `path`, sorted by name, each once.
pub(crate) fn read(path: &Path) -> Result<Vec<String>, SymError> {
    // A binary stored in a zip archive (`app.zip!/bin/prog`).
    if let Some(member) = path.to_str().and_then(tracec_meta::archive::read_member) {
        return of(&member.data).ok_or(SymError::NotElf);
    }
    let meta = std::fs::metadata(path).map_err(|e| SymError::Unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(SymError::Unreadable("not a regular file".into()));
    }
    // Empty, or a kernel file without a size (`/proc/kmsg` would block the read).
    if meta.len() == 0 {
        return Err(SymError::NotElf);
    }
    let bytes = std::fs::read(path).map_err(|e| SymError::Unreadable(e.to_string()))?;
    let mut names = of(&bytes).ok_or(SymError::NotElf)?;
    if let Some(debug) = debug_file(path, &bytes) {
        if let Some(more) = of(&debug) {
            names.extend(more);
            names.sort();
            names.dedup();
        }
    }
    Ok(names)
}

/// The contents of the separate debug file of the ELF image `bytes` read from
/// `path`, when it has one (a build ID or debug link) and the file is found.
/// The directories of `--debuginfo` ([`super::debugdirs`]) are searched first.
pub(crate) fn debug_file(path: &Path, bytes: &[u8]) -> Option<Vec<u8>> {
    let elf = Elf::parse(bytes).ok()?;
    super::debugdirs::find(path, &elf, bytes)
        .or_else(|| tracec_meta::debugfile::of_elf(path, &elf, bytes))
}

/// Whether the file at `path` starts with the ELF magic.
pub(crate) fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

/// The function symbols of an ELF image, sorted by name, each once; `None` when it is
/// no ELF file.
pub(crate) fn of(bytes: &[u8]) -> Option<Vec<String>> {
    let elf = Elf::parse(bytes).ok()?;
    let mut names = BTreeSet::new();
    let tables = [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)];
    for (syms, strtab) in tables {
        for sym in syms.iter() {
            let kind = sym.st_type();
            if kind != STT_FUNC && kind != STT_GNU_IFUNC {
                continue;
            }
            if sym.st_shndx == SHN_UNDEF as usize || sym.st_value == 0 {
                continue;
            }
            match strtab.get_at(sym.st_name) {
                Some(name) if !name.is_empty() && !name.contains(".part.") => {
                    names.insert(name.to_string());
                }
                _ => {}
            }
        }
    }
    Some(names.into_iter().collect())
}

#[cfg(test)]
/// A relocatable x86-64 ELF with the given symbols in `.text` (at offsets 16,
/// 32, ...), plus an undefined function, a data object and an alias of the first.
pub(crate) fn test_elf(funcs: &[&str]) -> Vec<u8> {
    use object::write::{Object, StandardSection, Symbol, SymbolSection};
    use object::{Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope};
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text = obj.section_id(StandardSection::Text);
    obj.append_section_data(text, &[0xc3; 256], 16);
    let data = obj.section_id(StandardSection::Data);
    obj.append_section_data(data, &[0; 16], 8);
    let mut add = |name: &str, value: u64, kind, section| {
        obj.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value,
            size: 1,
            kind,
            scope: SymbolScope::Linkage,
            weak: false,
            section,
            flags: SymbolFlags::None,
        });
    };
    for (i, f) in funcs.iter().enumerate() {
        add(
            f,
            16 * (i as u64 + 1),
            SymbolKind::Text,
            SymbolSection::Section(text),
        );
    }
    add(
        "alias_of_first",
        16,
        SymbolKind::Text,
        SymbolSection::Section(text),
    );
    add("at_zero", 0, SymbolKind::Text, SymbolSection::Section(text));
    add("imported", 0, SymbolKind::Text, SymbolSection::Undefined);
    add(
        "a_variable",
        8,
        SymbolKind::Data,
        SymbolSection::Section(data),
    );
    obj.write().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_only_defined_sorted_once() {
        let bytes = test_elf(&["zeta", "alpha", "mid_fn"]);
        let names = of(&bytes).unwrap();
        assert_eq!(names, ["alias_of_first", "alpha", "mid_fn", "zeta"]);
    }

    #[test]
    fn not_elf() {
        assert_eq!(of(b"#!/bin/sh\necho hi\n"), None);
        assert_eq!(of(&[]), None);
    }

    /// An ELF without symbols whose `.gnu_debuglink` names `link` with `crc`.
    fn stripped_elf(link: &str, crc: u32) -> Vec<u8> {
        use object::write::Object;
        use object::{Architecture, BinaryFormat, Endianness, SectionKind};
        let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        let text = obj.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
        obj.append_section_data(text, &[0xc3; 64], 16);
        let mut data = link.as_bytes().to_vec();
        data.push(0);
        data.resize(data.len().next_multiple_of(4), 0);
        data.extend_from_slice(&crc.to_le_bytes());
        let sec = obj.add_section(Vec::new(), b".gnu_debuglink".to_vec(), SectionKind::Other);
        obj.append_section_data(sec, &data, 4);
        obj.write().unwrap()
    }

    #[test]
    fn debug_file_by_link() {
        let dir = std::env::temp_dir().join(format!("tracec-usyms-dbg-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".debug")).unwrap();
        let debug = test_elf(&["only_in_debug", "local_fn.part.0", "f.cold"]);
        let crc = tracec_meta::debugfile::crc32(&debug);
        std::fs::write(dir.join(".debug/prog.debug"), &debug).unwrap();
        let bin = dir.join("prog");
        std::fs::write(&bin, stripped_elf("prog.debug", crc)).unwrap();
        assert_eq!(
            read(&bin).unwrap(),
            ["alias_of_first", "f.cold", "only_in_debug"],
            "the debug file's functions, without `.part.` fragments"
        );
        // A debug file whose CRC differs is someone else's.
        std::fs::write(&bin, stripped_elf("prog.debug", crc ^ 1)).unwrap();
        assert_eq!(read(&bin).unwrap(), Vec::<String>::new());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files() {
        let dir = std::env::temp_dir().join(format!("tracec-usyms-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("t.o");
        std::fs::write(&f, test_elf(&["one"])).unwrap();
        assert_eq!(read(&f).unwrap(), ["alias_of_first", "one"]);
        assert!(is_elf(&f));
        let script = dir.join("s.sh");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        assert!(!is_elf(&script));
        assert_eq!(read(&script), Err(SymError::NotElf));
        assert!(matches!(
            read(&dir.join("missing")),
            Err(SymError::Unreadable(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn odd_files_are_errors_without_reading_forever() {
        let dir = std::env::temp_dir().join(format!("tracec-usyms-odd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(read(&empty), Err(SymError::NotElf));
        let elf = test_elf(&["one"]);
        for len in [4, 16, 64, elf.len() / 2] {
            let cut = dir.join(format!("cut{len}"));
            std::fs::write(&cut, &elf[..len]).unwrap();
            assert_eq!(read(&cut), Err(SymError::NotElf), "{len}");
        }
        assert!(matches!(read(&dir), Err(SymError::Unreadable(_))));
        // A device would be read forever; a procfs file has no size (and may block).
        assert!(matches!(
            read(Path::new("/dev/zero")),
            Err(SymError::Unreadable(_))
        ));
        assert_eq!(read(Path::new("/proc/self/status")), Err(SymError::NotElf));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
