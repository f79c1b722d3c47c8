//! Reading the raw bytes: the ELF wrapper (if any), the BTF header, and one pass over
//! the type section's record headers that records where each type starts and checks
//! that every record and type name is in bounds. What lies inside a record (member
//! names, referenced type ids) is checked when it is read: every read is
//! bounds-checked and an id with no type is an error then ([`super::Btf::ty`]).
//! The types a script appends are few; their references are checked at once.

use super::{BtfError, Kind};

/// Size of the fixed part of a type record (`name_off`, `info`, `size`/`type`).
pub(super) const RECORD_HEADER: usize = 12;

/// Endianness-aware reads from a byte slice; every read is bounds-checked. Positions
/// from `ext_start` up read `ext` (the types a script appended) instead of `bytes`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub big_endian: bool,
    pub ext: &'a [u8],
    pub ext_start: usize,
}

impl<'a> Reader<'a> {
    /// A reader of `bytes` alone.
    pub fn new(bytes: &'a [u8], big_endian: bool) -> Reader<'a> {
        Reader {
            bytes,
            big_endian,
            ext: &[],
            ext_start: usize::MAX,
        }
    }

    fn get<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        let (bytes, at) = match at.checked_sub(self.ext_start) {
            Some(rel) => (self.ext, rel),
            None => (self.bytes, at),
        };
        bytes.get(at..at.checked_add(N)?)?.try_into().ok()
    }

    pub fn u16(&self, at: usize) -> Option<u16> {
        let b = self.get::<2>(at)?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    pub fn u32(&self, at: usize) -> Option<u32> {
        let b = self.get::<4>(at)?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    pub fn u64(&self, at: usize) -> Option<u64> {
        let b = self.get::<8>(at)?;
        Some(if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }
}

fn err(msg: impl Into<String>) -> BtfError {
    BtfError(msg.into())
}

const ELF_MAGIC: &[u8] = b"\x7fELF";

/// The `.BTF` section of an ELF file, as (start, end) within `bytes`; `None` when
/// `bytes` is not an ELF file.
pub(super) fn elf_btf_section(bytes: &[u8]) -> Result<Option<(usize, usize)>, BtfError> {
    if !bytes.starts_with(ELF_MAGIC) {
        return Ok(None);
    }
    let bad = || err("malformed ELF file");
    let class64 = match bytes.get(4) {
        Some(1) => false,
        Some(2) => true,
        _ => return Err(bad()),
    };
    let big_endian = match bytes.get(5) {
        Some(1) => false,
        Some(2) => true,
        _ => return Err(bad()),
    };
    let r = Reader::new(bytes, big_endian);
    let word = |at: usize| -> Option<usize> {
        if class64 {
            usize::try_from(r.u64(at)?).ok()
        } else {
            Some(r.u32(at)? as usize)
        }
    };
    // e_shoff, e_shentsize, e_shnum, e_shstrndx.
    let (shoff, shentsize, shnum, shstrndx) = if class64 {
        (word(0x28), r.u16(0x3a), r.u16(0x3c), r.u16(0x3e))
    } else {
        (word(0x20), r.u16(0x2e), r.u16(0x30), r.u16(0x32))
    };
    let (shoff, shentsize, shnum, shstrndx) = (
        shoff.ok_or_else(bad)?,
        shentsize.ok_or_else(bad)? as usize,
        shnum.ok_or_else(bad)? as usize,
        shstrndx.ok_or_else(bad)? as usize,
    );
    let min_entsize = if class64 { 0x40 } else { 0x28 };
    if shentsize < min_entsize {
        return Err(bad());
    }
    // (sh_name, sh_offset, sh_size) of section `i`.
    let section = |i: usize| -> Option<(u32, usize, usize)> {
        let base = shoff.checked_add(i.checked_mul(shentsize)?)?;
        let name = r.u32(base)?;
        let (off, size) = if class64 {
            (word(base + 0x18)?, word(base + 0x20)?)
        } else {
            (word(base + 0x10)?, word(base + 0x14)?)
        };
        let end = off.checked_add(size)?;
        (end <= bytes.len()).then_some((name, off, end))
    };
    let (_, str_start, str_end) = section(shstrndx).ok_or_else(bad)?;
    let names = &bytes[str_start..str_end];
    for i in 0..shnum {
        let (name, start, end) = section(i).ok_or_else(bad)?;
        let name = names.get(name as usize..).unwrap_or_default();
        if name.starts_with(b".BTF\0") {
            return Ok(Some((start, end)));
        }
    }
    Err(err("ELF file has no .BTF section"))
}

/// Where the parts of a BTF blob are, after validation.
#[derive(Debug)]
pub(super) struct Layout {
    pub big_endian: bool,
    /// Absolute offset (in the blob) of each type record; index = type id, entry 0
    /// (`void`) is unused.
    pub offsets: Vec<u32>,
    /// Ids of the ENUM and ENUM64 types.
    pub enum_ids: Vec<u32>,
    /// The string section, absolute.
    pub str_start: usize,
    pub str_end: usize,
}

/// Parse the header and walk every type record of `blob` (a raw `.BTF` blob).
pub(super) fn layout(blob: &[u8]) -> Result<Layout, BtfError> {
    let big_endian = match blob.get(0..2) {
        Some([0x9f, 0xeb]) => false,
        Some([0xeb, 0x9f]) => true,
        _ => return Err(err("not a BTF file (bad magic)")),
    };
    let r = Reader::new(blob, big_endian);
    let short = || err("BTF header truncated");
    if r.bytes.get(2) != Some(&1) {
        return Err(err(format!(
            "unsupported BTF version {}",
            r.bytes.get(2).copied().unwrap_or(0)
        )));
    }
    let hdr_len = r.u32(4).ok_or_else(short)? as usize;
    if hdr_len < 24 || hdr_len > blob.len() {
        return Err(err("bad BTF header length"));
    }
    let field = |at| r.u32(at).map(|v| v as usize).ok_or_else(short);
    let (type_off, type_len, str_off, str_len) = (field(8)?, field(12)?, field(16)?, field(20)?);
    let section = |off: usize, len: usize, what: &str| {
        let start = hdr_len.checked_add(off);
        let end = start.and_then(|s| s.checked_add(len));
        match (start, end) {
            (Some(s), Some(e)) if e <= blob.len() => Ok((s, e)),
            _ => Err(err(format!("BTF {what} section out of bounds"))),
        }
    };
    let (type_start, type_end) = section(type_off, type_len, "type")?;
    let (str_start, str_end) = section(str_off, str_len, "string")?;
    let strings = &blob[str_start..str_end];
    if str_len > 0 && (strings[0] != 0 || strings[str_len - 1] != 0) {
        return Err(err("BTF string section is not NUL-delimited"));
    }
    // In bounds; that an offset starts a string is not checked (a name that does not
    // reads as the tail of another, and a lookup by name does not find it).
    let valid_name = |off: u32| -> bool { (off as usize) < strings.len().max(1) };

    let mut offsets = Vec::with_capacity(type_len / 16 + 1);
    offsets.push(0);
    let mut enum_ids = Vec::new();
    walk(
        &r,
        type_start,
        type_end,
        0,
        &valid_name,
        &mut offsets,
        &mut enum_ids,
    )?;
    Ok(Layout {
        big_endian,
        offsets,
        enum_ids,
        str_start,
        str_end,
    })
}

/// One pass over the records in `start..end` (positions of `r`): push where each
/// starts onto `offsets` (`first_id` plus its length is the next record's id) and
/// the ids of enums onto `enum_ids`, checking lengths, kinds and name offsets.
pub(super) fn walk(
    r: &Reader,
    start: usize,
    end: usize,
    first_id: usize,
    valid_name: &dyn Fn(u32) -> bool,
    offsets: &mut Vec<u32>,
    enum_ids: &mut Vec<u32>,
) -> Result<(), BtfError> {
    let mut at = start;
    while at < end {
        let id = first_id + offsets.len();
        let bad = |what: &str| err(format!("BTF type {id}: {what}"));
        if at + RECORD_HEADER > end {
            return Err(bad("record truncated"));
        }
        let name_off = r.u32(at).ok_or_else(|| bad("truncated"))?;
        let info = r.u32(at + 4).ok_or_else(|| bad("truncated"))?;
        let kind = Kind::from_raw((info >> 24) & 0x1f).ok_or_else(|| bad("unknown kind"))?;
        let vlen = (info & 0xffff) as usize;
        if !valid_name(name_off) {
            return Err(bad("name offset out of bounds"));
        }
        let next = at + RECORD_HEADER + kind.extra_len(vlen);
        if next > end {
            return Err(bad("record truncated"));
        }
        if matches!(kind, Kind::Enum | Kind::Enum64) {
            enum_ids.push(id as u32);
        }
        offsets.push(u32::try_from(at).map_err(|_| err("BTF file too large"))?);
        at = next;
    }
    Ok(())
}

/// Every type id the records at `offsets` (ids from `first_id`) refer to is < `count`.
pub(super) fn check_references(
    r: &Reader,
    offsets: &[u32],
    first_id: usize,
    count: u32,
) -> Result<(), BtfError> {
    for (i, &at) in offsets.iter().enumerate() {
        let at = at as usize;
        let info = r.u32(at + 4).unwrap_or(0);
        let Some(kind) = Kind::from_raw((info >> 24) & 0x1f) else {
            continue;
        };
        if max_reference(r, at, kind, (info & 0xffff) as usize) >= count {
            let id = first_id + i;
            return Err(err(format!("BTF type {id}: reference to a missing type")));
        }
    }
    Ok(())
}

/// The largest type id the record at `at` refers to (`u32::MAX` when a reference
/// cannot be read; 0 when there is none).
fn max_reference(r: &Reader, at: usize, kind: Kind, vlen: usize) -> u32 {
    let get = |p: usize| r.u32(p).unwrap_or(u32::MAX);
    let body = at + RECORD_HEADER;
    let entries = |first: usize, stride: usize| {
        (0..vlen)
            .map(|i| get(body + i * stride + first))
            .max()
            .unwrap_or(0)
    };
    let head = if kind.refers_to_type() {
        get(at + 8)
    } else {
        0
    };
    let tail = match kind {
        Kind::Array => get(body).max(get(body + 4)),
        Kind::Struct | Kind::Union => entries(4, 12),
        Kind::FuncProto => entries(4, 8),
        Kind::DataSec => entries(0, 12),
        _ => 0,
    };
    head.max(tail)
}

impl Kind {
    fn from_raw(k: u32) -> Option<Kind> {
        Some(match k {
            1 => Kind::Int,
            2 => Kind::Ptr,
            3 => Kind::Array,
            4 => Kind::Struct,
            5 => Kind::Union,
            6 => Kind::Enum,
            7 => Kind::Fwd,
            8 => Kind::Typedef,
            9 => Kind::Volatile,
            10 => Kind::Const,
            11 => Kind::Restrict,
            12 => Kind::Func,
            13 => Kind::FuncProto,
            14 => Kind::Var,
            15 => Kind::DataSec,
            16 => Kind::Float,
            17 => Kind::DeclTag,
            18 => Kind::TypeTag,
            19 => Kind::Enum64,
            _ => return None,
        })
    }

    /// Bytes after the 12-byte record header.
    fn extra_len(self, vlen: usize) -> usize {
        match self {
            Kind::Int | Kind::Var | Kind::DeclTag => 4,
            Kind::Array => 12,
            Kind::Struct | Kind::Union | Kind::DataSec | Kind::Enum64 => 12 * vlen,
            Kind::Enum | Kind::FuncProto => 8 * vlen,
            _ => 0,
        }
    }
}

/// The kind encoded in a record's `info` word.
pub(super) fn kind_of(info: u32) -> Option<Kind> {
    Kind::from_raw((info >> 24) & 0x1f)
}
