//! A DEFLATE (RFC 1951) decoder and its zlib wrapper (RFC 1950): what compressed
//! debug sections hold (`SHF_COMPRESSED` with `ELFCOMPRESS_ZLIB`, `.zdebug_*`).
//! Stored, fixed and dynamic Huffman blocks; codes of up to [`FAST_BITS`] bits are
//! decoded with one table lookup, longer (rare) ones bit by bit. Every read is
//! checked: malformed or truncated input is an [`Error`], never a panic, and the
//! output never grows past the size the caller expects.

use std::fmt;

/// Why a stream could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The stream ended early.
    Truncated,
    /// A malformed zlib header or DEFLATE block (the reason).
    Invalid(&'static str),
    /// More output than the expected size.
    TooLong,
    /// The stream ended before the expected size.
    TooShort,
    /// The Adler-32 of the output differs from the stream's.
    Checksum,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("truncated compressed data"),
            Error::Invalid(why) => write!(f, "invalid compressed data: {why}"),
            Error::TooLong => f.write_str("compressed data larger than its recorded size"),
            Error::TooShort => f.write_str("compressed data smaller than its recorded size"),
            Error::Checksum => f.write_str("compressed data fails its Adler-32 check"),
        }
    }
}

impl std::error::Error for Error {}

type Result<T> = std::result::Result<T, Error>;

/// Codes this long or shorter are decoded by one lookup.
const FAST_BITS: u32 = 10;
const MAX_BITS: usize = 15;

/// Base lengths and extra bits of length codes 257..285.
const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Base distances and extra bits of distance codes 0..29.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order code length code lengths are sent in.
const CLEN_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// LSB-first bit reader; past the input it reads zeros, which [`Bits::check`] and
/// every consuming call refuse to use.
struct Bits<'a> {
    input: &'a [u8],
    pos: usize,
    buf: u64,
    n: u32,
    /// Zero bits appended past the end of the input (the top `pad` bits of `buf`).
    pad: u32,
}

impl<'a> Bits<'a> {
    fn new(input: &'a [u8]) -> Bits<'a> {
        Bits {
            input,
            pos: 0,
            buf: 0,
            n: 0,
            pad: 0,
        }
    }

    fn refill(&mut self) {
        while self.n <= 56 {
            let byte = match self.input.get(self.pos) {
                Some(&b) => {
                    self.pos += 1;
                    b
                }
                None => {
                    self.pad += 8;
                    0
                }
            };
            self.buf |= u64::from(byte) << self.n;
            self.n += 8;
        }
    }

    /// The next `k` (at most 32) bits without consuming them.
    fn peek(&mut self, k: u32) -> u32 {
        if self.n < k {
            self.refill();
        }
        (self.buf & ((1u64 << k) - 1)) as u32
    }

    fn consume(&mut self, k: u32) -> Result<()> {
        if k > self.n - self.pad {
            return Err(Error::Truncated);
        }
        self.buf >>= k;
        self.n -= k;
        Ok(())
    }

    fn bits(&mut self, k: u32) -> Result<u32> {
        let v = self.peek(k);
        self.consume(k)?;
        Ok(v)
    }

    /// Drops the bits up to the next byte boundary and hands back the unread bytes'
    /// position in the input (the buffer is emptied).
    fn align(&mut self) -> usize {
        let real = self.n - self.pad;
        let whole = (real / 8) as usize;
        self.buf = 0;
        self.n = 0;
        self.pad = 0;
        self.pos - whole
    }
}

/// A canonical Huffman code: a lookup table for short codes, and the counts and
/// sorted symbols for the bit-by-bit decoding of long ones.
struct Huffman {
    /// `symbol << 4 | length` by the next [`FAST_BITS`] bits; length 0: a longer code.
    fast: Vec<u16>,
    count: [u16; MAX_BITS + 1],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Huffman> {
        let mut count = [0u16; MAX_BITS + 1];
        for &l in lengths {
            count[usize::from(l)] += 1;
        }
        count[0] = 0;
        // Over-subscribed sets are refused; incomplete ones are allowed (a single
        // distance code is legal), their unused codes failing when met.
        let mut left = 1i32;
        for &c in &count[1..] {
            left = (left << 1) - i32::from(c);
            if left < 0 {
                return Err(Error::Invalid("over-subscribed Huffman code"));
            }
        }
        let mut offs = [0u16; MAX_BITS + 2];
        for len in 1..=MAX_BITS {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbols = vec![0u16; usize::from(offs[MAX_BITS + 1])];
        let mut next = offs;
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                let slot = &mut next[usize::from(l)];
                symbols[usize::from(*slot)] = sym as u16;
                *slot += 1;
            }
        }
        let mut fast = vec![0u16; 1 << FAST_BITS];
        let mut code = 0u32;
        let mut k = 0usize;
        for len in 1..=MAX_BITS as u32 {
            for _ in 0..count[len as usize] {
                if len <= FAST_BITS {
                    let rev = code.reverse_bits() >> (32 - len);
                    let entry = (symbols[k] << 4) | len as u16;
                    let mut at = rev as usize;
                    while at < fast.len() {
                        fast[at] = entry;
                        at += 1 << len;
                    }
                }
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        Ok(Huffman {
            fast,
            count,
            symbols,
        })
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16> {
        let entry = self.fast[bits.peek(FAST_BITS) as usize];
        if entry & 15 != 0 {
            bits.consume(u32::from(entry & 15))?;
            return Ok(entry >> 4);
        }
        // Canonical decoding, one bit at a time, MSB of the code first.
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        let peeked = bits.peek(MAX_BITS as u32);
        for len in 1..=MAX_BITS {
            code |= ((peeked >> (len - 1)) & 1) as i32;
            let c = i32::from(self.count[len]);
            if code - c < first {
                bits.consume(len as u32)?;
                return Ok(self.symbols[(index + code - first) as usize]);
            }
            index += c;
            first = (first + c) << 1;
            code <<= 1;
        }
        Err(Error::Invalid("unused Huffman code"))
    }
}

/// Decompresses the raw DEFLATE stream `input` onto `out`, which may not grow past
/// `limit` bytes; returns how many input bytes the stream used (up to its last byte).
pub fn inflate(input: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<usize> {
    let mut bits = Bits::new(input);
    loop {
        let last = bits.bits(1)? == 1;
        match bits.bits(2)? {
            0 => {
                let at = bits.align();
                let head = input.get(at..at + 4).ok_or(Error::Truncated)?;
                let len = u16::from_le_bytes([head[0], head[1]]);
                let nlen = u16::from_le_bytes([head[2], head[3]]);
                if len != !nlen {
                    return Err(Error::Invalid("stored block length"));
                }
                let data = input
                    .get(at + 4..at + 4 + usize::from(len))
                    .ok_or(Error::Truncated)?;
                if out.len() + data.len() > limit {
                    return Err(Error::TooLong);
                }
                out.extend_from_slice(data);
                bits.pos = at + 4 + usize::from(len);
            }
            1 => {
                let mut lengths = [0u8; 288 + 30];
                lengths[..144].fill(8);
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                lengths[280..288].fill(8);
                lengths[288..].fill(5);
                let lit = Huffman::new(&lengths[..288])?;
                let dist = Huffman::new(&lengths[288..])?;
                codes(&mut bits, out, limit, &lit, &dist)?;
            }
            2 => {
                let (lit, dist) = dynamic(&mut bits)?;
                codes(&mut bits, out, limit, &lit, &dist)?;
            }
            _ => return Err(Error::Invalid("block type 3")),
        }
        if last {
            return Ok(bits.align());
        }
    }
}

/// The literal/length and distance codes of a dynamic block's header.
fn dynamic(bits: &mut Bits<'_>) -> Result<(Huffman, Huffman)> {
    let nlen = bits.bits(5)? as usize + 257;
    let ndist = bits.bits(5)? as usize + 1;
    let nclen = bits.bits(4)? as usize + 4;
    if nlen > 286 || ndist > 30 {
        return Err(Error::Invalid("too many length or distance codes"));
    }
    let mut clens = [0u8; 19];
    for &i in &CLEN_ORDER[..nclen] {
        clens[i] = bits.bits(3)? as u8;
    }
    let clen = Huffman::new(&clens)?;
    let mut lengths = [0u8; 286 + 30];
    let mut i = 0;
    while i < nlen + ndist {
        let sym = clen.decode(bits)?;
        let (value, repeat) = match sym {
            0..=15 => (sym as u8, 1),
            16 => {
                let prev = i
                    .checked_sub(1)
                    .map(|p| lengths[p])
                    .ok_or(Error::Invalid("repeat with no previous length"))?;
                (prev, 3 + bits.bits(2)? as usize)
            }
            17 => (0, 3 + bits.bits(3)? as usize),
            _ => (0, 11 + bits.bits(7)? as usize),
        };
        if i + repeat > nlen + ndist {
            return Err(Error::Invalid("code lengths overflow"));
        }
        lengths[i..i + repeat].fill(value);
        i += repeat;
    }
    if lengths[256] == 0 {
        return Err(Error::Invalid("no end-of-block code"));
    }
    let lit = Huffman::new(&lengths[..nlen])?;
    let dist = Huffman::new(&lengths[nlen..nlen + ndist])?;
    Ok((lit, dist))
}

/// The literals and copies of one Huffman block, up to its end-of-block code.
fn codes(
    bits: &mut Bits<'_>,
    out: &mut Vec<u8>,
    limit: usize,
    lit: &Huffman,
    dist: &Huffman,
) -> Result<()> {
    loop {
        let sym = lit.decode(bits)?;
        if sym < 256 {
            if out.len() >= limit {
                return Err(Error::TooLong);
            }
            out.push(sym as u8);
            continue;
        }
        if sym == 256 {
            return Ok(());
        }
        let i = usize::from(sym - 257);
        let (Some(&base), Some(&extra)) = (LEN_BASE.get(i), LEN_EXTRA.get(i)) else {
            return Err(Error::Invalid("length code"));
        };
        let len = usize::from(base) + bits.bits(u32::from(extra))? as usize;
        let d = usize::from(dist.decode(bits)?);
        let (Some(&base), Some(&extra)) = (DIST_BASE.get(d), DIST_EXTRA.get(d)) else {
            return Err(Error::Invalid("distance code"));
        };
        let back = usize::from(base) + bits.bits(u32::from(extra))? as usize;
        if back > out.len() {
            return Err(Error::Invalid("distance too far back"));
        }
        if out.len() + len > limit {
            return Err(Error::TooLong);
        }
        let from = out.len() - back;
        if back >= len {
            out.extend_from_within(from..from + len);
        } else {
            for k in 0..len {
                let b = out[from + k];
                out.push(b);
            }
        }
    }
}

/// The Adler-32 checksum (RFC 1950).
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that cannot overflow `b` before the reduction.
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// Decompresses the zlib stream `input`, which must produce exactly `size` bytes.
pub fn zlib(input: &[u8], size: usize) -> Result<Vec<u8>> {
    let [cmf, flg, ..] = *input else {
        return Err(Error::Truncated);
    };
    if cmf & 15 != 8 || cmf >> 4 > 7 {
        return Err(Error::Invalid("not a DEFLATE zlib stream"));
    }
    if (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 {
        return Err(Error::Invalid("zlib header check"));
    }
    if flg & 0x20 != 0 {
        return Err(Error::Invalid("zlib preset dictionary"));
    }
    // A DEFLATE stream expands at most about 1032 times: never reserve more.
    let mut out = Vec::with_capacity(size.min(input.len().saturating_mul(1032)));
    let used = inflate(&input[2..], &mut out, size)?;
    if out.len() != size {
        return Err(Error::TooShort);
    }
    let sum = input.get(2 + used..2 + used + 4).ok_or(Error::Truncated)?;
    if u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]]) != adler32(&out) {
        return Err(Error::Checksum);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "inflate_tests.rs"]
mod tests;
