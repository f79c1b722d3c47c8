//! Uprobes on a binary stored in a zip archive (`uprobe:"app.zip!/bin/prog":main`,
//! [`tracec_meta::archive`]): the member is stored uncompressed, so the probe is a uprobe
//! on the archive file at the member's data offset plus the symbol's (or address's) file
//! offset inside the member, as libbpf attaches it.

use crate::debugsyms::{load_segments, vaddr_to_offset};
use goblin::elf::Elf;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tracec_meta::archive::Member;

/// Where to attach `symbol` + `offset` (or, with an empty symbol, the virtual address
/// `offset`) of the member `path` names: the archive file and the offset in it. `None`
/// when `path` names no archive member; an error when the member or symbol is missing.
pub fn locate(path: &str, symbol: &str, offset: u64) -> Option<Result<(PathBuf, u64), String>> {
    tracec_meta::archive::split(path)?;
    let Some(member) = member(path) else {
        return Some(Err(format!(
            "cannot read {path}: no such archive, or no member of it stored without compression"
        )));
    };
    let Ok(elf) = Elf::parse(&member.data) else {
        return Some(Err(format!("{path} is not an ELF file")));
    };
    let segments = load_segments(&elf);
    let vaddr = if symbol.is_empty() {
        Some(offset)
    } else {
        symbol_address(&elf, symbol).map(|a| a + offset)
    };
    let Some(at) = vaddr.and_then(|v| vaddr_to_offset(&segments, v)) else {
        return Some(Err(format!("Could not resolve symbol: {path}:{symbol}")));
    };
    Some(Ok((member.archive.clone(), member.data_offset + at)))
}

/// The member `path` names; the last one read is kept, since the probes of a wildcard
/// name the same member one after another (an archive can be large).
fn member(path: &str) -> Option<Arc<Member>> {
    static LAST: Mutex<Option<(String, Arc<Member>)>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, m)) = last.as_ref().filter(|(p, _)| p == path) {
        return Some(m.clone());
    }
    let m = Arc::new(tracec_meta::archive::read_member(path)?);
    *last = Some((path.to_string(), m.clone()));
    Some(m)
}

/// The address of function `symbol` in the member's symbol tables.
fn symbol_address(elf: &Elf<'_>, symbol: &str) -> Option<u64> {
    let tables = [(&elf.syms, &elf.strtab), (&elf.dynsyms, &elf.dynstrtab)];
    tables.into_iter().find_map(|(syms, strtab)| {
        syms.iter()
            .find(|s| s.st_value != 0 && strtab.get_at(s.st_name) == Some(symbol))
            .map(|s| s.st_value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_of_an_archive() {
        assert!(locate("/bin/true", "main", 0).is_none());
        let missing = locate("/no/such.zip!/prog", "main", 0)
            .unwrap()
            .unwrap_err();
        assert!(missing.contains("/no/such.zip!/prog"), "{missing}");
        // This test binary stored in an archive: `main`'s offset in the archive is the
        // member's data offset plus its offset in the binary.
        let me = std::fs::read("/proc/self/exe").unwrap();
        let elf = Elf::parse(&me).unwrap();
        let Some(main) = symbol_address(&elf, "main") else {
            return;
        };
        let want = vaddr_to_offset(&load_segments(&elf), main).unwrap();
        let dir = std::env::temp_dir().join(format!("tracerun-archive-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let zip = dir.join("a.zip");
        std::fs::write(&zip, stored_zip("bin/me", &me)).unwrap();
        let path = format!("{}!/bin/me", zip.display());
        let (file, at) = locate(&path, "main", 2).unwrap().unwrap();
        assert_eq!((file, at), (zip.clone(), 30 + 6 + want + 2));
        let e = locate(&path, "no_such_function", 0).unwrap().unwrap_err();
        assert!(e.contains("Could not resolve symbol"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A one-member archive, stored.
    fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
        let n = name.len() as u16;
        let size = (data.len() as u32).to_le_bytes();
        let mut z = vec![0x50, 0x4b, 3, 4, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        z.extend_from_slice(&size);
        z.extend_from_slice(&size);
        z.extend_from_slice(&n.to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z.extend_from_slice(name.as_bytes());
        z.extend_from_slice(data);
        let cd = z.len() as u32;
        let mut c = vec![
            0x50, 0x4b, 1, 2, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        c.extend_from_slice(&size);
        c.extend_from_slice(&size);
        c.extend_from_slice(&n.to_le_bytes());
        c.extend_from_slice(&[0; 12]);
        c.extend_from_slice(&0u32.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        let clen = c.len() as u32;
        z.extend_from_slice(&c);
        z.extend_from_slice(&[0x50, 0x4b, 5, 6, 0, 0, 0, 0, 1, 0, 1, 0]);
        z.extend_from_slice(&clen.to_le_bytes());
        z.extend_from_slice(&cd.to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z
    }
}
