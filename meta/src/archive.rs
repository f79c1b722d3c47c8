//! Binaries stored inside zip archives, as libbpf and bpftrace name them:
//! `ARCHIVE!/MEMBER` (`app.apk!/lib/x86_64/libfoo.so`). A member stored without
//! compression is mapped straight from the archive, so a uprobe on it is a uprobe on the
//! archive file at the member's data offset plus the offset inside the member. The
//! compiler reads a member's symbols through [`read_member`]; the runtime attaches at
//! [`Member::data_offset`] + the symbol's offset in the member.

use std::ops::Range;
use std::path::PathBuf;

/// The separator between an archive's path and a member's name.
pub const SEPARATOR: &str = "!/";

/// `ARCHIVE!/MEMBER` split into the archive's path and the member's name.
pub fn split(path: &str) -> Option<(&str, &str)> {
    let (archive, member) = path.split_once(SEPARATOR)?;
    (!archive.is_empty() && !member.is_empty()).then_some((archive, member))
}

/// A member of an archive file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The archive file.
    pub archive: PathBuf,
    /// Where the member's contents start in the archive file.
    pub data_offset: u64,
    /// The member's contents.
    pub data: Vec<u8>,
}

/// The member `ARCHIVE!/MEMBER` names, when `path` has that form, the archive can be read
/// and holds that member stored without compression.
pub fn read_member(path: &str) -> Option<Member> {
    let (archive, name) = split(path)?;
    let zip = std::fs::read(archive).ok()?;
    let range = stored_member(&zip, name)?;
    Some(Member {
        archive: PathBuf::from(archive),
        data_offset: range.start as u64,
        data: zip[range].to_vec(),
    })
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// End of central directory signature, central directory entry, local file header.
const EOCD: u32 = 0x0605_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;

/// The byte range of member `name` in the zip image `zip`, if it is stored (method 0).
/// Zip64 archives are not read.
pub fn stored_member(zip: &[u8], name: &str) -> Option<Range<usize>> {
    // The end record is 22 bytes plus a comment of at most 64 KiB, at the very end.
    let lowest = zip.len().saturating_sub(22 + 0xffff);
    let eocd = (lowest..=zip.len().checked_sub(22)?)
        .rev()
        .find(|&i| u32_at(zip, i) == Some(EOCD as usize))?;
    let entries = u16_at(zip, eocd + 10)?;
    let mut at = u32_at(zip, eocd + 16)?;
    for _ in 0..entries {
        if u32_at(zip, at)? != CENTRAL as usize {
            return None;
        }
        let method = u16_at(zip, at + 10)?;
        let size = u32_at(zip, at + 20)?;
        let name_len = u16_at(zip, at + 28)?;
        let extra_len = u16_at(zip, at + 30)?;
        let comment_len = u16_at(zip, at + 32)?;
        let local = u32_at(zip, at + 42)?;
        let entry_name = zip.get(at + 46..at + 46 + name_len)?;
        if entry_name == name.as_bytes() {
            if method != 0 || u32_at(zip, local)? != LOCAL as usize {
                return None;
            }
            let start = local + 30 + u16_at(zip, local + 26)? + u16_at(zip, local + 28)?;
            let end = start.checked_add(size)?;
            return (end <= zip.len()).then_some(start..end);
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip image of `(name, contents, method)` entries, each with `extra` bytes of
    /// extra field in its local header.
    fn zip(entries: &[(&str, &[u8], u16)], extra: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data, method) in entries {
            let offset = out.len() as u32;
            out.extend_from_slice(&LOCAL.to_le_bytes());
            out.extend_from_slice(&[10, 0, 0, 0]);
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 8]);
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&(extra as u16).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend(std::iter::repeat_n(0xee, extra));
            out.extend_from_slice(data);
            central.extend_from_slice(&CENTRAL.to_le_bytes());
            central.extend_from_slice(&[0; 6]);
            central.extend_from_slice(&method.to_le_bytes());
            central.extend_from_slice(&[0; 8]);
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd.to_le_bytes());
        out.extend_from_slice(&[0; 2]);
        out
    }

    #[test]
    fn splits_archive_paths() {
        assert_eq!(split("./a.zip!/bin/true"), Some(("./a.zip", "bin/true")));
        assert_eq!(split("/bin/true"), None);
        assert_eq!(split("!/x"), None);
        assert_eq!(split("a.zip!/"), None);
    }

    #[test]
    fn finds_stored_members() {
        let z = zip(&[("one", b"first", 0), ("dir/two", b"second", 0)], 3);
        let r = stored_member(&z, "dir/two").unwrap();
        assert_eq!(&z[r], b"second");
        let r = stored_member(&z, "one").unwrap();
        assert_eq!(r.start, 30 + 3 + 3);
        assert_eq!(stored_member(&z, "three"), None);
        assert_eq!(stored_member(&z, "dir"), None);
        // Compressed members cannot be probed.
        let deflated = zip(&[("one", b"xx", 8)], 0);
        assert_eq!(stored_member(&deflated, "one"), None);
        assert_eq!(stored_member(b"not a zip at all, too short?", "one"), None);
        assert_eq!(stored_member(&z[..z.len() - 1], "one"), None);
    }

    #[test]
    fn reads_members_of_archive_files() {
        let dir = std::env::temp_dir().join(format!("tracec-archive-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.zip");
        std::fs::write(&file, zip(&[("prog", b"\x7fELF...", 0)], 0)).unwrap();
        let m = read_member(&format!("{}!/prog", file.display())).unwrap();
        assert_eq!(
            (m.archive, m.data_offset, m.data),
            (file.clone(), 34, b"\x7fELF...".to_vec())
        );
        assert_eq!(read_member(&format!("{}!/other", file.display())), None);
        assert_eq!(read_member(&file.display().to_string()), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
