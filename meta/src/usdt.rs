//! The USDT argument spec table, shared by the compiler (which reads it in BPF) and the
//! runtime (which fills it from the traced binary's `.note.stapsdt` notes).
//!
//! A USDT probe's program is attached once per location, each time with a BPF cookie
//! that is an index into the array map of role [`crate::MapRole::UsdtSpecs`]. The value
//! at that index describes how to compute each argument at that location:
//!
//! ```text
//! offset 0:  u64 argument count
//! offset 8:  MAX_ARGS argument descriptors of ARG_SIZE bytes:
//!            +0  i64 constant (KIND_CONST) or displacement (KIND_REG_DEREF)
//!            +8  u16 offset of the register in struct pt_regs
//!            +10 u8  kind (KIND_*)
//!            +11 u8  shift: 64 - 8 * size of the argument
//!            +12 u8  1 when the argument is signed
//! ```
//!
//! The program computes a 64-bit value (the constant, the register, or 8 bytes of user
//! memory at register + displacement), shifts it left by `shift`, then right again
//! (arithmetically when signed), leaving the argument sign- or zero-extended.

/// Most arguments a location may have (as in `sys/sdt.h`).
pub const MAX_ARGS: usize = 12;
/// Bytes per argument descriptor.
pub const ARG_SIZE: usize = 16;
/// Offset of the first argument descriptor.
pub const ARGS_OFFSET: usize = 8;
/// Size of one spec (the map's value size).
pub const SPEC_SIZE: usize = ARGS_OFFSET + MAX_ARGS * ARG_SIZE;
/// Number of specs (locations) one object can attach.
pub const MAX_SPECS: u32 = 256;
/// ELF symbol of the spec map.
pub const SPECS_SYMBOL: &str = "usdt_specs";

/// Offsets within an argument descriptor.
pub const ARG_VALUE: usize = 0;
pub const ARG_REG_OFF: usize = 8;
pub const ARG_KIND: usize = 10;
pub const ARG_SHIFT: usize = 11;
pub const ARG_SIGNED: usize = 12;

/// The argument is the constant in its descriptor.
pub const KIND_CONST: u8 = 0;
/// The argument is a register's value.
pub const KIND_REG: u8 = 1;
/// The argument is in user memory at a register plus the displacement.
pub const KIND_REG_DEREF: u8 = 2;

/// How one argument is computed at one location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgSpec {
    pub kind: u8,
    /// Constant or displacement.
    pub value: i64,
    /// Offset of the register in `struct pt_regs` (unused for constants).
    pub reg_off: u16,
    /// Size in bytes: 1, 2, 4 or 8.
    pub size: u8,
    pub signed: bool,
}

/// The map value of one location: its argument count and descriptors.
pub fn encode(args: &[ArgSpec]) -> [u8; SPEC_SIZE] {
    let mut out = [0u8; SPEC_SIZE];
    let n = args.len().min(MAX_ARGS);
    out[..8].copy_from_slice(&(n as u64).to_le_bytes());
    for (i, a) in args.iter().take(MAX_ARGS).enumerate() {
        let d = &mut out[ARGS_OFFSET + i * ARG_SIZE..][..ARG_SIZE];
        d[ARG_VALUE..ARG_VALUE + 8].copy_from_slice(&a.value.to_le_bytes());
        d[ARG_REG_OFF..ARG_REG_OFF + 2].copy_from_slice(&a.reg_off.to_le_bytes());
        d[ARG_KIND] = a.kind;
        let size = a.size.clamp(1, 8);
        d[ARG_SHIFT] = 64 - 8 * size;
        d[ARG_SIGNED] = u8::from(a.signed);
    }
    out
}

/// Name of the ELF section holding USDT notes.
pub const NOTE_SECTION: &str = ".note.stapsdt";
/// Section whose address the notes' `base` fields were written against.
pub const BASE_SECTION: &str = ".stapsdt.base";
/// Note type of a USDT probe in the `stapsdt` namespace.
pub const NOTE_TYPE: u32 = 3;

/// One USDT probe location as its `.note.stapsdt` note describes it (addresses are
/// link-time virtual addresses, before any `.stapsdt.base` adjustment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub provider: String,
    pub name: String,
    /// Address of the probe's `nop`.
    pub pc: u64,
    /// Address of `.stapsdt.base` when the note was written.
    pub base: u64,
    /// Address of the probe's semaphore (a `u16` counter), 0 without one.
    pub semaphore: u64,
    /// Argument specs as written by `sys/sdt.h`, e.g. `-4@%edi 8@-8(%rbp) 4@$5`.
    pub args: String,
}

/// The USDT notes in the contents of a `.note.stapsdt` section of a 64-bit
/// little-endian ELF file (or 32-bit when `!is64`). Malformed notes end the parse;
/// notes of other owners or types are skipped.
pub fn parse_notes(data: &[u8], is64: bool) -> Vec<Note> {
    let word = if is64 { 8 } else { 4 };
    let u32_at = |b: &[u8], off: usize| -> Option<u32> {
        Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
    };
    let addr_at = |b: &[u8], off: usize| -> Option<u64> {
        let raw = b.get(off..off + word)?;
        let mut buf = [0u8; 8];
        buf[..word].copy_from_slice(raw);
        Some(u64::from_le_bytes(buf))
    };
    let align4 = |n: usize| n.div_ceil(4) * 4;
    let mut notes = Vec::new();
    let mut off = 0;
    while let (Some(namesz), Some(descsz), Some(ty)) = (
        u32_at(data, off),
        u32_at(data, off + 4),
        u32_at(data, off + 8),
    ) {
        let (namesz, descsz) = (namesz as usize, descsz as usize);
        let name_at = off + 12;
        let desc_at = name_at + align4(namesz);
        let next = desc_at + align4(descsz);
        let (Some(owner), Some(desc)) = (
            data.get(name_at..name_at + namesz),
            data.get(desc_at..desc_at + descsz),
        ) else {
            break;
        };
        off = next;
        if owner != b"stapsdt\0" || ty != NOTE_TYPE {
            continue;
        }
        let (Some(pc), Some(base), Some(semaphore)) = (
            addr_at(desc, 0),
            addr_at(desc, word),
            addr_at(desc, 2 * word),
        ) else {
            continue;
        };
        let mut strings = desc[3 * word..].split(|&b| b == 0);
        let mut next_str = || {
            strings
                .next()
                .map(|s| String::from_utf8_lossy(s).into_owned())
        };
        let (Some(provider), Some(name)) = (next_str(), next_str()) else {
            continue;
        };
        let args = next_str().unwrap_or_default();
        notes.push(Note {
            provider,
            name,
            pc,
            base,
            semaphore,
            args,
        });
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_count_and_descriptors() {
        let v = encode(&[
            ArgSpec {
                kind: KIND_REG,
                value: 0,
                reg_off: 112,
                size: 4,
                signed: true,
            },
            ArgSpec {
                kind: KIND_REG_DEREF,
                value: -8,
                reg_off: 32,
                size: 8,
                signed: false,
            },
        ]);
        assert_eq!(u64::from_le_bytes(v[..8].try_into().unwrap()), 2);
        let a0 = &v[ARGS_OFFSET..];
        assert_eq!(u16::from_le_bytes([a0[8], a0[9]]), 112);
        assert_eq!(
            (a0[ARG_KIND], a0[ARG_SHIFT], a0[ARG_SIGNED]),
            (KIND_REG, 32, 1)
        );
        let a1 = &v[ARGS_OFFSET + ARG_SIZE..];
        assert_eq!(i64::from_le_bytes(a1[..8].try_into().unwrap()), -8);
        assert_eq!(
            (a1[ARG_KIND], a1[ARG_SHIFT], a1[ARG_SIGNED]),
            (KIND_REG_DEREF, 0, 0)
        );
    }

    fn note(provider: &str, name: &str, pc: u64, args: &str) -> Vec<u8> {
        let mut desc = Vec::new();
        for w in [pc, 0x1000, 0x4010] {
            desc.extend_from_slice(&w.to_le_bytes());
        }
        for s in [provider, name, args] {
            desc.extend_from_slice(s.as_bytes());
            desc.push(0);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        out.extend_from_slice(&NOTE_TYPE.to_le_bytes());
        out.extend_from_slice(b"stapsdt\0");
        out.extend_from_slice(&desc);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    #[test]
    fn parses_consecutive_notes() {
        let mut data = note("prov", "probe1", 0x1130, "-4@%edi 8@-8(%rbp)");
        data.extend(note("p", "x", 0x2000, ""));
        let notes = parse_notes(&data, true);
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0].provider, "prov");
        assert_eq!(notes[0].name, "probe1");
        assert_eq!(notes[0].pc, 0x1130);
        assert_eq!(notes[0].base, 0x1000);
        assert_eq!(notes[0].semaphore, 0x4010);
        assert_eq!(notes[0].args, "-4@%edi 8@-8(%rbp)");
        assert_eq!((notes[1].name.as_str(), notes[1].args.as_str()), ("x", ""));
    }

    #[test]
    fn truncated_data_ends_the_parse() {
        let data = note("prov", "probe1", 0x1130, "");
        assert!(parse_notes(&data[..data.len() - 12], true).is_empty());
        assert!(parse_notes(&[1, 2, 3], true).is_empty());
    }
}
