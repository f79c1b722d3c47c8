//! Where a position-independent file (a PIE or a shared library, `ET_DYN`) is loaded
//! in a process: the load bias that turns its symbols' link-time addresses into the
//! process's addresses (`uaddr`). Read from `/proc/PID/maps` before the programs load,
//! which is why `-c` runs its command to the post-exec stop first.

use goblin::elf::header::ET_DYN;
use goblin::elf::program_header::PT_LOAD;
use goblin::elf::Elf;
use std::os::unix::fs::MetadataExt;

/// One file-backed line of `/proc/PID/maps`: start address, file offset, device
/// (major, minor) and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub offset: u64,
    pub dev: (u64, u64),
    pub inode: u64,
}

/// Parse a `/proc/PID/maps` line: `start-end perms offset major:minor inode [path]`.
pub fn parse_line(line: &str) -> Option<Mapping> {
    let mut it = line.split_whitespace();
    let (start, _end) = it.next()?.split_once('-')?;
    let _perms = it.next()?;
    let offset = it.next()?;
    let (major, minor) = it.next()?.split_once(':')?;
    let inode: u64 = it.next()?.parse().ok()?;
    Some(Mapping {
        start: u64::from_str_radix(start, 16).ok()?,
        offset: u64::from_str_radix(offset, 16).ok()?,
        dev: (
            u64::from_str_radix(major, 16).ok()?,
            u64::from_str_radix(minor, 16).ok()?,
        ),
        inode,
    })
}

/// The bias of an `ET_DYN` image mapped at `lowest` (its mapping with the lowest
/// address), given the image's `PT_LOAD` segments as (vaddr, file offset): the
/// segment mapped there starts at `lowest + (its offset - the mapping's offset)`.
pub fn bias_of(lowest: &Mapping, segments: &[(u64, u64)]) -> Option<u64> {
    const PAGE_MASK: u64 = !0xfff;
    let (vaddr, off) = segments
        .iter()
        .find(|(_, off)| off & PAGE_MASK == lowest.offset)?;
    Some(
        lowest
            .start
            .wrapping_sub(lowest.offset)
            .wrapping_sub(vaddr.wrapping_sub(*off)),
    )
}

/// The load bias of the file at `path` in process `pid`: 0 for a fixed-address
/// executable (`ET_EXEC`); `None` if the file cannot be read or the process does
/// not map it.
pub fn bias(path: &str, pid: u32) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let elf = Elf::parse(&bytes).ok()?;
    if elf.header.e_type != ET_DYN {
        return Some(0);
    }
    let meta = std::fs::metadata(path).ok()?;
    let dev = (
        u64::from(libc::major(meta.dev())),
        u64::from(libc::minor(meta.dev())),
    );
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    let lowest = maps
        .lines()
        .filter_map(parse_line)
        .filter(|m| m.inode == meta.ino() && m.dev == dev)
        .min_by_key(|m| m.start)?;
    let segments: Vec<(u64, u64)> = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == PT_LOAD)
        .map(|p| (p.p_vaddr, p.p_offset))
        .collect();
    bias_of(&lowest, &segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_maps_lines() {
        let m = parse_line("5555555a0000-5555555a1000 r--p 00002000 fd:01 1234   /tmp/x (deleted)")
            .unwrap();
        assert_eq!(
            m,
            Mapping {
                start: 0x5555555a0000,
                offset: 0x2000,
                dev: (0xfd, 1),
                inode: 1234
            }
        );
        assert_eq!(
            parse_line("7ffd0000-7ffd1000 rw-p 00000000 00:00 0 [stack]").map(|m| m.inode),
            Some(0)
        );
        assert_eq!(parse_line("garbage"), None);
    }

    #[test]
    fn bias_from_the_first_mapping() {
        // A PIE: first segment at vaddr 0, offset 0, mapped at 0x5555_5555_4000.
        let low = Mapping {
            start: 0x5555_5555_4000,
            offset: 0,
            dev: (0, 0),
            inode: 1,
        };
        assert_eq!(
            bias_of(&low, &[(0, 0), (0x1000, 0x1000)]),
            Some(0x5555_5555_4000)
        );
        // A library whose first segment is linked at 0x400000.
        assert_eq!(
            bias_of(&low, &[(0x40_0000, 0)]),
            Some(0x5555_5555_4000 - 0x40_0000)
        );
        // No segment at that offset: unknown.
        let odd = Mapping {
            offset: 0x3000,
            ..low
        };
        assert_eq!(bias_of(&odd, &[(0, 0)]), None);
    }

    #[test]
    fn our_own_executable_is_found() {
        let exe = std::env::current_exe().unwrap();
        let b = bias(exe.to_str().unwrap(), std::process::id());
        assert!(b.is_some(), "the test process maps its own executable");
    }
}
