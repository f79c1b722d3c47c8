//! A Zstandard (RFC 8878) decoder: what `objcopy`/`ld --compress-debug-sections=zstd`
//! put in `SHF_COMPRESSED` sections with `ELFCOMPRESS_ZSTD`. Frames back to back,
//! skippable frames, raw/RLE/compressed blocks, raw/RLE/Huffman literals (1 and 4
//! streams), predefined/RLE/FSE/repeated sequence tables, repeat offsets, and the
//! XXH64 content checksum (checked when present). Frames that need a dictionary are
//! refused. The whole output is one buffer, so the window is simply what the frame
//! has produced so far. Malformed input is an [`Error`], never a panic, and the
//! output never grows past the limit the caller gives.

mod bits;
mod fse;
mod huffman;
mod sequences;
pub mod xxhash;

use std::borrow::Cow;
use std::fmt;

/// Why a stream could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The stream ended early.
    Truncated,
    /// A malformed frame, block or table (the reason).
    Invalid(&'static str),
    /// More output than the limit.
    TooLong,
    /// Less output than the caller expects ([`decompress_exact`]).
    TooShort,
    /// A frame needs a dictionary (its ID).
    Dictionary(u32),
    /// A frame's content differs from its XXH64 checksum.
    Checksum,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("truncated zstd data"),
            Error::Invalid(why) => write!(f, "invalid zstd data: {why}"),
            Error::TooLong => f.write_str("zstd data larger than its recorded size"),
            Error::TooShort => f.write_str("zstd data smaller than its recorded size"),
            Error::Dictionary(id) => write!(f, "zstd frame needs dictionary {id}"),
            Error::Checksum => f.write_str("zstd data fails its content checksum"),
        }
    }
}

impl std::error::Error for Error {}

type Result<T> = std::result::Result<T, Error>;

const MAGIC: u32 = 0xFD2F_B528;
/// Skippable frames: `0x184D2A50..=0x184D2A5F`.
const SKIPPABLE: u32 = 0x184D_2A50;
/// The largest block, compressed or not.
const MAX_BLOCK: usize = 128 << 10;

/// What a frame's compressed blocks may reuse from earlier blocks.
pub(crate) struct Frame {
    huf: Option<huffman::Table>,
    ll: Option<fse::Table>,
    of: Option<fse::Table>,
    ml: Option<fse::Table>,
    rep: [usize; 3],
}

/// The output, with the bounds the current frame and block must stay within.
pub(crate) struct Sink<'a> {
    out: &'a mut Vec<u8>,
    frame_start: usize,
    limit: usize,
    /// The largest length the current block may grow the output to.
    end: usize,
}

impl Sink<'_> {
    fn room(&self, n: usize) -> Result<()> {
        match self.out.len().checked_add(n) {
            Some(len) if len <= self.end => Ok(()),
            Some(len) if len <= self.limit => Err(Error::Invalid("block larger than its maximum")),
            _ => Err(Error::TooLong),
        }
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.room(bytes.len())?;
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    fn fill(&mut self, byte: u8, n: usize) -> Result<()> {
        self.room(n)?;
        self.out.resize(self.out.len() + n, byte);
        Ok(())
    }

    /// Appends `len` bytes copied from `offset` bytes back (overlapping allowed).
    fn copy_match(&mut self, offset: usize, len: usize) -> Result<()> {
        if offset == 0 || offset > self.out.len() - self.frame_start {
            return Err(Error::Invalid("match offset beyond the frame's output"));
        }
        self.room(len)?;
        let src = self.out.len() - offset;
        if len <= offset {
            self.out.extend_from_within(src..src + len);
            return Ok(());
        }
        // The bytes from `src` on repeat with period `offset`: copy whole periods
        // from `src`, twice as many each time.
        let mut left = len;
        while left > 0 {
            let n = left.min((self.out.len() - src) / offset * offset);
            self.out.extend_from_within(src..src + n);
            left -= n;
        }
        Ok(())
    }
}

/// Decompresses every frame of `input` (skippable frames skipped); more than
/// `limit` bytes of output is [`Error::TooLong`]. Empty input is an error.
pub fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>> {
    if input.is_empty() {
        return Err(Error::Truncated);
    }
    let mut out = Vec::with_capacity(limit.min(input.len().saturating_mul(16)));
    let mut rest = input;
    while !rest.is_empty() {
        let magic = u32::from_le_bytes(take(&mut rest, 4)?.try_into().unwrap_or_default());
        if magic & !0xf == SKIPPABLE {
            let size = u32::from_le_bytes(take(&mut rest, 4)?.try_into().unwrap_or_default());
            take(&mut rest, size as usize)?;
            continue;
        }
        if magic != MAGIC {
            return Err(Error::Invalid("not a zstd frame"));
        }
        frame(&mut rest, &mut out, limit)?;
    }
    Ok(out)
}

/// Decompresses `input` ([`decompress`]), which must give exactly `size` bytes.
pub fn decompress_exact(input: &[u8], size: usize) -> Result<Vec<u8>> {
    let out = decompress(input, size)?;
    if out.len() != size {
        return Err(Error::TooShort);
    }
    Ok(out)
}

/// The first `n` bytes of `rest`, which moves past them.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    if rest.len() < n {
        return Err(Error::Truncated);
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |v, &b| (v << 8) | u64::from(b))
}

/// Decodes one frame (after its magic number) from `rest` onto `out`.
fn frame(rest: &mut &[u8], out: &mut Vec<u8>, limit: usize) -> Result<()> {
    let fhd = take(rest, 1)?[0];
    if fhd & 0x08 != 0 {
        return Err(Error::Invalid("reserved frame header bit set"));
    }
    let single = fhd & 0x20 != 0;
    let mut window = if single {
        0
    } else {
        let wd = take(rest, 1)?[0];
        let base = 1u64 << (10 + (wd >> 3));
        base + (base / 8) * u64::from(wd & 7)
    };
    let dict = le(take(rest, [0, 1, 2, 4][usize::from(fhd & 3)])?);
    if dict != 0 {
        return Err(Error::Dictionary(dict as u32));
    }
    let fcs_len = match fhd >> 6 {
        0 => usize::from(single),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let content = (fcs_len > 0).then(|| le(&rest[..fcs_len.min(rest.len())]));
    take(rest, fcs_len)?;
    let content = content.map(|c| if fcs_len == 2 { c + 256 } else { c });
    let start = out.len();
    if let Some(c) = content {
        if c > (limit - start) as u64 {
            return Err(Error::TooLong);
        }
        // Trust the header only as far as the input could plausibly expand.
        let plausible = rest.len().saturating_mul(32).saturating_add(MAX_BLOCK);
        out.reserve((c as usize).min(plausible));
        if single {
            window = c;
        }
    }
    let block_max = window.min(MAX_BLOCK as u64) as usize;
    let mut st = Frame {
        huf: None,
        ll: None,
        of: None,
        ml: None,
        rep: [1, 4, 8],
    };
    let mut sink = Sink {
        out,
        frame_start: start,
        limit,
        end: 0,
    };
    loop {
        let h = le(take(rest, 3)?) as usize;
        let size = h >> 3;
        sink.end = limit.min(sink.out.len() + block_max);
        sink.out.reserve(sink.end - sink.out.len());
        match (h >> 1) & 3 {
            0 => sink.put(take(rest, size)?)?,
            1 => sink.fill(take(rest, 1)?[0], size)?,
            2 => {
                if size > block_max {
                    return Err(Error::Invalid("block larger than its maximum"));
                }
                block(take(rest, size)?, &mut st, &mut sink)?;
            }
            _ => return Err(Error::Invalid("reserved block type")),
        }
        if h & 1 != 0 {
            break;
        }
    }
    let got = &out[start..];
    if fhd & 4 != 0 {
        let want = le(take(rest, 4)?) as u32;
        if xxhash::xxh64(got, 0) as u32 != want {
            return Err(Error::Checksum);
        }
    }
    if content.is_some_and(|c| c != got.len() as u64) {
        return Err(Error::Invalid("frame content size differs from its header"));
    }
    Ok(())
}

/// Decodes one compressed block: its literals section, then its sequences.
fn block(data: &[u8], st: &mut Frame, sink: &mut Sink) -> Result<()> {
    let (literals, used) = literals(data, st)?;
    sequences::execute(&data[used..], &literals, st, sink)
}

/// The literals section at the start of a compressed block: the literals and the
/// bytes the section took.
fn literals<'a>(data: &'a [u8], st: &mut Frame) -> Result<(Cow<'a, [u8]>, usize)> {
    let b0 = *data.first().ok_or(Error::Truncated)?;
    let kind = b0 & 3;
    let format = (b0 >> 2) & 3;
    if kind < 2 {
        let head = match format {
            0 | 2 => 1,
            1 => 2,
            _ => 3,
        };
        let h = le(data.get(..head).ok_or(Error::Truncated)?) as usize;
        let size = if head == 1 { h >> 3 } else { h >> 4 };
        if size > MAX_BLOCK {
            return Err(Error::Invalid("too many literals"));
        }
        if kind == 0 {
            let lits = data.get(head..head + size).ok_or(Error::Truncated)?;
            return Ok((Cow::Borrowed(lits), head + size));
        }
        let b = *data.get(head).ok_or(Error::Truncated)?;
        return Ok((Cow::Owned(vec![b; size]), head + 1));
    }
    let (head, width, four) = match format {
        0 => (3, 10, false),
        1 => (3, 10, true),
        2 => (4, 14, true),
        _ => (5, 18, true),
    };
    let h = le(data.get(..head).ok_or(Error::Truncated)?);
    let mask = (1u64 << width) - 1;
    let size = ((h >> 4) & mask) as usize;
    let comp = ((h >> (4 + width)) & mask) as usize;
    if size > MAX_BLOCK {
        return Err(Error::Invalid("too many literals"));
    }
    let mut body = data.get(head..head + comp).ok_or(Error::Truncated)?;
    if kind == 2 {
        let (table, used) = huffman::Table::read(body)?;
        st.huf = Some(table);
        body = &body[used..];
    }
    let table = st
        .huf
        .as_ref()
        .ok_or(Error::Invalid("treeless literals without a previous tree"))?;
    Ok((Cow::Owned(table.literals(body, four, size)?), head + comp))
}

#[cfg(test)]
mod tests;
