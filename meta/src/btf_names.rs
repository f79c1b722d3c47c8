//! The few facts about kernel and program BTF that targeted loads need: how many
//! types a blob has, and the id of a type by name and kind, or the name of a type
//! by id, in a blob on its own or in a split blob (a kernel module's, whose ids and
//! string offsets continue its base's). Record headers only; bounds-checked.

/// `BTF_KIND_FUNC`.
pub const KIND_FUNC: u32 = 12;
/// `BTF_KIND_TYPEDEF`.
pub const KIND_TYPEDEF: u32 = 8;

/// One parsed blob: its type records' offsets and string section.
pub struct Blob<'a> {
    data: &'a [u8],
    /// Offset of every record (index `i`: the blob's `i`th type).
    records: Vec<usize>,
    /// The type section.
    types: std::ops::Range<usize>,
    strings: &'a [u8],
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        d.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// Bytes after the 12-byte header of a record of `kind` with `vlen` entries.
fn extra(kind: u32, vlen: usize) -> Option<usize> {
    Some(match kind {
        0 | 2 | 7..=12 | 16 | 18 => 0,
        1 | 14 | 17 => 4,
        3 => 12,
        4 | 5 | 15 | 19 => 12 * vlen,
        6 | 13 => 8 * vlen,
        _ => return None,
    })
}

impl<'a> Blob<'a> {
    /// Parse a little-endian BTF blob (as the kernel gives it on this host).
    pub fn parse(data: &'a [u8]) -> Result<Blob<'a>, String> {
        if data.get(0..2) != Some(&[0x9f, 0xeb][..]) {
            return Err("not BTF (bad magic)".into());
        }
        let f = |at| {
            u32_at(data, at)
                .map(|v| v as usize)
                .ok_or("BTF header truncated")
        };
        let hdr = f(4)?;
        let section = |off: usize, len: usize| -> Result<std::ops::Range<usize>, String> {
            let s = hdr.checked_add(off).ok_or("bad BTF section")?;
            let e = s.checked_add(len).ok_or("bad BTF section")?;
            if e > data.len() {
                return Err("BTF section out of bounds".into());
            }
            Ok(s..e)
        };
        let types = section(f(8)?, f(12)?)?;
        let strings = &data[section(f(16)?, f(20)?)?];
        if u32::try_from(data.len()).is_err() {
            return Err("BTF too large".into());
        }
        let mut records = Vec::new();
        let mut at = types.start;
        while at < types.end {
            let info = u32_at(data, at + 4).ok_or("BTF record truncated")?;
            let len = extra((info >> 24) & 0x1f, (info & 0xffff) as usize)
                .ok_or_else(|| format!("BTF type {}: unknown kind", records.len() + 1))?;
            records.push(at);
            at += 12 + len;
        }
        if at > types.end {
            return Err("BTF record truncated".into());
        }
        Ok(Blob {
            data,
            records,
            types,
            strings,
        })
    }

    /// Number of types, `void` included.
    pub fn count(&self) -> u32 {
        self.records.len() as u32 + 1
    }

    fn string<'s>(&'s self, off: u32, base: Option<&'s Blob<'_>>) -> Option<&'s [u8]> {
        let (strings, off) = match base {
            Some(b) if off as usize >= b.strings.len() => {
                (self.strings, off as usize - b.strings.len())
            }
            Some(b) => (b.strings, off as usize),
            None => (self.strings, off as usize),
        };
        let tail = strings.get(off..)?;
        Some(&tail[..tail.iter().position(|&b| b == 0)?])
    }

    /// The id of the first type named `name` of kind `kind` in this blob (ids after
    /// `base`'s when this is split BTF on top of `base`).
    pub fn find(&self, name: &str, kind: u32, base: Option<&Blob<'_>>) -> Option<u32> {
        let first = base.map_or(1, Blob::count);
        self.records.iter().enumerate().find_map(|(i, &at)| {
            let info = u32_at(self.data, at + 4)?;
            let off = u32_at(self.data, at)?;
            ((info >> 24) & 0x1f == kind && self.string(off, base)? == name.as_bytes())
                .then_some(first + i as u32)
        })
    }

    /// The name of type `id` of this (unsplit) blob.
    pub fn name(&self, id: u32) -> Option<String> {
        let at = *self.records.get(id.checked_sub(1)? as usize)?;
        let bytes = self.string(u32_at(self.data, at)?, None)?;
        String::from_utf8(bytes.to_vec()).ok()
    }
}

/// One unsplit blob holding `base`'s types and strings followed by `split`'s (a
/// module's, built on `base`): the ids and string offsets `split` uses are then
/// those of the merged blob, which aya can relocate CO-RE accesses against.
pub fn merge(base: &Blob<'_>, split: &Blob<'_>) -> Vec<u8> {
    let types = [
        &base.data[base.types.clone()],
        &split.data[split.types.clone()],
    ];
    let (tl, sl) = (
        types[0].len() + types[1].len(),
        base.strings.len() + split.strings.len(),
    );
    let mut out = Vec::with_capacity(24 + tl + sl);
    out.extend_from_slice(&[0x9f, 0xeb, 1, 0]);
    for v in [24, 0, tl as u32, tl as u32, sl as u32] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for t in types {
        out.extend_from_slice(t);
    }
    out.extend_from_slice(base.strings);
    out.extend_from_slice(split.strings);
    out
}
