//! Where the separate debug file of a stripped binary lives, shared by `tracec` (the
//! symbols uprobe wildcards expand against and `-l` lists) and `tracerun` (attaching
//! to a symbol only the debug file names, and naming addresses in stacks).
//!
//! The places searched are gdb's (and bpftrace's): by build ID
//! `/usr/lib/debug/.build-id/xx/yyyy.debug`, then by the `.gnu_debuglink` name next
//! to the binary, in its `.debug/` directory and under `/usr/lib/debug/<dir>/`. A
//! candidate is taken when its build ID equals the binary's, or, when the binary has
//! none, when its CRC-32 equals the one the debug link records. Nothing here parses
//! ELF: callers pass the raw contents of the two sections and a way to read a
//! candidate's build ID.

use std::path::{Path, PathBuf};

/// The root of the system's debug files.
pub const DEBUG_ROOT: &str = "/usr/lib/debug";

/// `NT_GNU_BUILD_ID`.
const NT_GNU_BUILD_ID: u32 = 3;

/// The build ID in the contents of a note section (`.note.gnu.build-id`, or any
/// `SHT_NOTE` section): the descriptor of the `GNU` note of type `NT_GNU_BUILD_ID`.
/// Notes are read little-endian (the hosts tracec supports).
pub fn build_id(notes: &[u8]) -> Option<&[u8]> {
    let mut at = 0usize;
    let word = |off: usize| -> Option<u32> {
        let b = notes.get(off..off.checked_add(4)?)?;
        Some(u32::from_le_bytes(b.try_into().ok()?))
    };
    let align4 = |n: usize| n.checked_add(3).map(|n| n & !3);
    while at.checked_add(12)? <= notes.len() {
        let namesz = usize::try_from(word(at)?).ok()?;
        let descsz = usize::try_from(word(at + 4)?).ok()?;
        let kind = word(at + 8)?;
        let name_at = at + 12;
        let desc_at = name_at.checked_add(align4(namesz)?)?;
        let end = desc_at.checked_add(align4(descsz)?)?;
        let name = notes.get(name_at..name_at.checked_add(namesz)?)?;
        if kind == NT_GNU_BUILD_ID && name == b"GNU\0" {
            return notes.get(desc_at..desc_at.checked_add(descsz)?);
        }
        at = end;
    }
    None
}

/// The file name and CRC-32 recorded in a `.gnu_debuglink` section: a NUL-terminated
/// name, padding to 4 bytes, then the CRC.
pub fn debuglink(section: &[u8]) -> Option<(&str, u32)> {
    let len = section.iter().position(|&b| b == 0)?;
    let name = std::str::from_utf8(&section[..len]).ok()?;
    if name.is_empty() {
        return None;
    }
    let crc_at = (len + 1 + 3) & !3;
    let crc = section.get(crc_at..crc_at + 4)?;
    Some((name, u32::from_le_bytes(crc.try_into().ok()?)))
}

/// The places a debug file of the binary at `binary` may be, in search order.
pub fn candidates(
    binary: &Path,
    build_id: Option<&[u8]>,
    link: Option<&str>,
    root: &Path,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(id) = build_id.filter(|id| id.len() >= 2) {
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        out.push(
            root.join(".build-id")
                .join(&hex[..2])
                .join(format!("{}.debug", &hex[2..])),
        );
    }
    if let Some(link) = link.filter(|l| !l.contains('/')) {
        let dir = binary.parent().unwrap_or(Path::new("."));
        out.push(dir.join(link));
        out.push(dir.join(".debug").join(link));
        let abs = if dir.is_absolute() {
            Some(dir.to_path_buf())
        } else {
            std::fs::canonicalize(dir).ok()
        };
        if let Some(abs) = abs {
            let rel = abs.strip_prefix("/").unwrap_or(&abs);
            out.push(root.join(rel).join(link));
        }
    }
    out.retain(|p| p.as_path() != binary);
    out
}

/// What a candidate must match to be the binary's debug file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect<'a> {
    /// The binary's build ID.
    BuildId(&'a [u8]),
    /// The debug link's CRC-32 of the whole file (a binary without build ID).
    Crc(u32),
}

/// The first of `candidates` that is a regular file and matches `expect`;
/// `candidate_build_id` reads a candidate file's build ID (None when it has none or is
/// no ELF file).
pub fn find(
    candidates: &[PathBuf],
    expect: Expect<'_>,
    candidate_build_id: impl Fn(&[u8]) -> Option<Vec<u8>>,
) -> Option<(PathBuf, Vec<u8>)> {
    candidates.iter().find_map(|p| {
        if !std::fs::metadata(p).ok()?.is_file() {
            return None;
        }
        let bytes = std::fs::read(p).ok()?;
        let ok = match expect {
            Expect::BuildId(id) => candidate_build_id(&bytes).as_deref() == Some(id),
            Expect::Crc(crc) => crc32(&bytes) == crc,
        };
        ok.then(|| (p.clone(), bytes))
    })
}

/// The debug file (path and contents) of the binary at `binary`, given the contents
/// of its build-ID note and `.gnu_debuglink` sections (when it has them), searched
/// under [`DEBUG_ROOT`]. `candidate_build_id` reads a candidate's build ID.
pub fn locate(
    binary: &Path,
    notes: Option<&[u8]>,
    link_section: Option<&[u8]>,
    candidate_build_id: impl Fn(&[u8]) -> Option<Vec<u8>>,
) -> Option<(PathBuf, Vec<u8>)> {
    let id = notes.and_then(build_id);
    let link = link_section.and_then(debuglink);
    let expect = match (id, link) {
        (Some(id), _) => Expect::BuildId(id),
        (None, Some((_, crc))) => Expect::Crc(crc),
        (None, None) => return None,
    };
    let cands = candidates(binary, id, link.map(|l| l.0), Path::new(DEBUG_ROOT));
    find(&cands, expect, candidate_build_id)
}

/// The CRC-32 (IEEE, reflected, as gdb and `objcopy --add-gnu-debuglink` compute it).
pub fn crc32(bytes: &[u8]) -> u32 {
    let table: [u32; 256] = std::array::from_fn(|i| {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        c
    });
    !bytes.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8)
    })
}

/// The contents of the separate debug file of the ELF image `bytes` (read from `path`,
/// parsed as `elf`), when the image has no `.symtab` of its own (it is stripped) and a
/// debug file matching its build ID or debug link is found ([`locate`]).
pub fn of_elf(path: &Path, elf: &goblin::elf::Elf<'_>, bytes: &[u8]) -> Option<Vec<u8>> {
    if elf.syms.len() > 1 {
        return None;
    }
    separate(path, elf, bytes)
}

/// The contents of the separate debug file of the ELF image `bytes` (read from `path`,
/// parsed as `elf`), whether or not the image kept its `.symtab` (`strip --strip-debug`
/// keeps it): where tracerun looks for DWARF the image lacks.
pub fn separate(path: &Path, elf: &goblin::elf::Elf<'_>, bytes: &[u8]) -> Option<Vec<u8>> {
    let notes = section(elf, bytes, ".note.gnu.build-id");
    let link = section(elf, bytes, ".gnu_debuglink");
    locate(path, notes, link, |candidate| {
        let elf = goblin::elf::Elf::parse(candidate).ok()?;
        section(&elf, candidate, ".note.gnu.build-id")
            .and_then(build_id)
            .map(<[u8]>::to_vec)
    })
    .map(|(_, bytes)| bytes)
}

/// Where the split-DWARF file `dwo_name` (`DW_AT_dwo_name`) of a unit compiled in
/// `comp_dir` (empty: unknown) may be, in order: under the comp dir (or as written, when
/// absolute or without one), then beside `binary` as written and by its file name.
pub fn dwo_candidates(dwo_name: &str, comp_dir: &str, binary: Option<&Path>) -> Vec<PathBuf> {
    let name = Path::new(dwo_name);
    let mut out = vec![if name.is_absolute() || comp_dir.is_empty() {
        name.to_path_buf()
    } else {
        Path::new(comp_dir).join(name)
    }];
    if let Some(dir) = binary.and_then(Path::parent) {
        if !name.is_absolute() {
            out.push(dir.join(name));
        }
        if let Some(file) = name.file_name() {
            out.push(dir.join(file));
        }
    }
    out.dedup();
    out
}

/// The contents of the section `name` (none for `SHT_NOBITS`).
pub fn section<'a>(elf: &goblin::elf::Elf<'_>, bytes: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let sh = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(name))?;
    if sh.sh_type == goblin::elf::section_header::SHT_NOBITS {
        return None;
    }
    let start = usize::try_from(sh.sh_offset).ok()?;
    let len = usize::try_from(sh.sh_size).ok()?;
    bytes.get(start..start.checked_add(len)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(name: &[u8], kind: u32, desc: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(name.len() as u32).to_le_bytes());
        v.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        v.extend_from_slice(&kind.to_le_bytes());
        v.extend_from_slice(name);
        v.resize(v.len().next_multiple_of(4), 0);
        v.extend_from_slice(desc);
        v.resize(v.len().next_multiple_of(4), 0);
        v
    }

    #[test]
    fn build_id_among_notes() {
        let mut notes = note(b"GNU\0", 1, &[0; 16]);
        notes.extend(note(b"stapsdt\0", 3, &[1, 2, 3]));
        notes.extend(note(b"GNU\0", 3, &[0xab, 0xcd, 0xef, 0x01, 0x23]));
        assert_eq!(build_id(&notes), Some(&[0xab, 0xcd, 0xef, 0x01, 0x23][..]));
        assert_eq!(build_id(&notes[..notes.len() - 8]), None, "cut short");
        assert_eq!(build_id(&note(b"GNU\0", 1, &[1])), None);
        assert_eq!(build_id(&[]), None);
        let mut huge = note(b"GNU\0", 3, &[1]);
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(build_id(&huge), None);
    }

    #[test]
    fn debuglink_name_and_crc() {
        let mut s = b"libc.so.6.debug\0".to_vec();
        s.extend_from_slice(&0x1234_5678u32.to_le_bytes());
        assert_eq!(debuglink(&s), Some(("libc.so.6.debug", 0x1234_5678)));
        // Padding to 4 bytes after the NUL.
        let mut s = b"ab\0\0".to_vec();
        s.extend_from_slice(&7u32.to_le_bytes());
        assert_eq!(debuglink(&s), Some(("ab", 7)));
        assert_eq!(debuglink(b"ab\0\0\x01"), None);
        assert_eq!(debuglink(b"\0\0\0\0\0\0\0\0"), None);
        assert_eq!(debuglink(b"no terminator"), None);
    }

    #[test]
    fn search_order() {
        let c = candidates(
            Path::new("/lib/x/libc.so.6"),
            Some(&[0x93, 0xac, 0x61]),
            Some("c.debug"),
            Path::new("/usr/lib/debug"),
        );
        let want: Vec<PathBuf> = [
            "/usr/lib/debug/.build-id/93/ac61.debug",
            "/lib/x/c.debug",
            "/lib/x/.debug/c.debug",
            "/usr/lib/debug/lib/x/c.debug",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(c, want);
        assert!(candidates(Path::new("/a/b"), None, None, Path::new("/r")).is_empty());
        // A link naming the binary itself is no candidate; one with a slash is ignored.
        let c = candidates(Path::new("/a/b"), None, Some("b"), Path::new("/r"));
        assert_eq!(c, [PathBuf::from("/a/.debug/b"), PathBuf::from("/r/a/b")]);
        assert!(candidates(Path::new("/a/b"), None, Some("x/y"), Path::new("/r")).is_empty());
    }

    #[test]
    fn crc_matches_known_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414f_a339
        );
    }

    #[test]
    fn finds_matching_file() {
        let dir = std::env::temp_dir().join(format!("tracec-debugfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.debug");
        let b = dir.join("b.debug");
        std::fs::write(&a, b"id:1").unwrap();
        std::fs::write(&b, b"id:2").unwrap();
        let cands = vec![dir.join("missing"), dir.clone(), a.clone(), b.clone()];
        let id = |bytes: &[u8]| bytes.strip_prefix(b"id:").map(<[u8]>::to_vec);
        let got = find(&cands, Expect::BuildId(b"2"), id).map(|(p, _)| p);
        assert_eq!(got, Some(b.clone()));
        assert_eq!(find(&cands, Expect::BuildId(b"3"), id), None);
        let got = find(&cands, Expect::Crc(crc32(b"id:1")), id).map(|(p, _)| p);
        assert_eq!(got, Some(a));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
