//! Bit readers: the forward one of FSE table descriptions (least significant bit
//! first) and the backward one of Huffman and sequence streams (read from the last
//! byte, whose highest set bit marks where the stream starts).

use super::{Error, Result};

/// Reads bits from the start of `data`, lowest bits of each byte first.
pub(super) struct Forward<'a> {
    data: &'a [u8],
    /// Bits consumed.
    pos: usize,
}

impl<'a> Forward<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Forward { data, pos: 0 }
    }

    /// The next `n` (at most 32) bits, without consuming them; bits past the end read
    /// as zeros (consuming them is an error: [`Forward::skip`]).
    pub(super) fn peek(&self, n: u32) -> u32 {
        let byte = self.pos / 8;
        let mut w = [0u8; 8];
        let have = self.data.get(byte..).unwrap_or(&[]);
        let k = have.len().min(8);
        w[..k].copy_from_slice(&have[..k]);
        let v = u64::from_le_bytes(w) >> (self.pos % 8);
        (v & ((1u64 << n) - 1)) as u32
    }

    pub(super) fn skip(&mut self, n: u32) -> Result<()> {
        self.pos += n as usize;
        if self.pos > self.data.len() * 8 {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    pub(super) fn read(&mut self, n: u32) -> Result<u32> {
        let v = self.peek(n);
        self.skip(n)?;
        Ok(v)
    }

    /// Bytes used so far (a partly read byte counts).
    pub(super) fn bytes_used(&self) -> usize {
        self.pos.div_ceil(8)
    }
}

/// Reads bits backwards from the end of `data`: each read takes the highest unread
/// bits. Reading past the start yields zero bits and marks the reader overflowed.
pub(super) struct Backward<'a> {
    data: &'a [u8],
    /// Unread bits (negative once overflowed).
    pos: i64,
}

impl<'a> Backward<'a> {
    pub(super) fn new(data: &'a [u8]) -> Result<Self> {
        let last = *data.last().ok_or(Error::Truncated)?;
        if last == 0 {
            return Err(Error::Invalid("bitstream without end mark"));
        }
        let pos = data.len() as i64 * 8 - i64::from(last.leading_zeros()) - 1;
        Ok(Backward { data, pos })
    }

    /// The 64 bits ending at bit `end` (exclusive) of the stream; bits before the
    /// start are zeros.
    #[inline]
    fn window(&self, end: i64) -> u64 {
        if end >= 64 {
            let start = (end - 64) as usize;
            let byte = start / 8;
            let shift = start % 8;
            let Some(b) = self.data.get(byte..byte + 8) else {
                return 0; // past the end: not reached, `pos` starts inside
            };
            let lo = u64::from_le_bytes(b.try_into().unwrap_or_default());
            if shift == 0 {
                return lo;
            }
            let hi = u64::from(self.data.get(byte + 8).copied().unwrap_or(0));
            return (lo >> shift) | (hi << (64 - shift));
        }
        if end <= 0 {
            return 0;
        }
        // Near the start: the bits [0, end), shifted up so bit `end` is bit 64.
        let mut w = [0u8; 8];
        let k = self.data.len().min(8);
        w[..k].copy_from_slice(&self.data[..k]);
        let low = u64::from_le_bytes(w) & ((1u64 << end) - 1);
        low << (64 - end)
    }

    /// The next `n` (at most 64) bits without consuming them.
    #[inline]
    pub(super) fn peek(&self, n: u32) -> u64 {
        if n == 0 {
            return 0;
        }
        self.window(self.pos) >> (64 - n)
    }

    #[inline]
    pub(super) fn consume(&mut self, n: u32) {
        self.pos -= i64::from(n);
    }

    #[inline]
    pub(super) fn read(&mut self, n: u32) -> u64 {
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// The next 64 bits, to take several reads from ([`Window::get`]) before one
    /// [`Backward::consume`] of what they used.
    #[inline]
    pub(super) fn load(&self) -> Window {
        Window {
            bits: self.window(self.pos),
            used: 0,
        }
    }

    /// Whether more bits were read than the stream holds.
    pub(super) fn overflowed(&self) -> bool {
        self.pos < 0
    }

    /// Whether every bit was read, and no more.
    pub(super) fn finished(&self) -> bool {
        self.pos == 0
    }
}

/// Bits loaded from a [`Backward`] reader, read from the top.
pub(super) struct Window {
    bits: u64,
    /// Bits taken so far.
    pub used: u32,
}

impl Window {
    /// The next `n` (at most 63, and at most 64 in all) bits.
    #[inline]
    pub(super) fn get(&mut self, n: u32) -> u64 {
        if n == 0 {
            return 0;
        }
        let v = self.bits >> (64 - n);
        self.bits <<= n;
        self.used += n;
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_reads_low_bits_first() {
        let mut f = Forward::new(&[0b1011_0110, 0xff]);
        assert_eq!(f.read(3).unwrap(), 0b110);
        assert_eq!(f.read(7).unwrap(), 0b11_10110);
        assert_eq!(f.bytes_used(), 2);
        assert_eq!(f.read(6).unwrap(), 0b111111);
        assert_eq!(f.read(1), Err(Error::Truncated));
    }

    #[test]
    fn backward_reads_from_the_end_mark() {
        // Stream bits (high to low): mark 1, then 0101 | 1100_0011.
        let data = [0b1100_0011, 0b0001_0101];
        let mut b = Backward::new(&data).unwrap();
        assert_eq!(b.read(4), 0b0101);
        assert_eq!(b.read(2), 0b11);
        assert!(!b.finished());
        assert_eq!(b.read(6), 0b00_0011);
        assert!(b.finished() && !b.overflowed());
        assert_eq!(b.read(3), 0);
        assert!(b.overflowed());
        let b = Backward::new(&data).unwrap();
        let mut w = b.load();
        assert_eq!((w.get(4), w.get(0), w.get(8)), (0b0101, 0, 0b1100_0011));
        assert_eq!(w.used, 12);
        assert!(Backward::new(&[1, 0]).is_err());
        assert!(Backward::new(&[]).is_err());
    }

    #[test]
    fn backward_long_streams_match_a_bit_by_bit_reader() {
        let data: Vec<u8> = (0..40u32)
            .map(|i| (i * 37 + 11) as u8)
            .chain([0x80])
            .collect();
        let bit = |i: i64| (data[(i / 8) as usize] >> (i % 8)) & 1;
        let mut b = Backward::new(&data).unwrap();
        let mut at = 40 * 8 + 7;
        for n in [1u32, 7, 13, 31, 56, 2, 0, 25, 9, 44, 3] {
            let mut want = 0u64;
            for k in 0..i64::from(n) {
                let i = at - 1 - k;
                want = (want << 1) | if i >= 0 { u64::from(bit(i)) } else { 0 };
            }
            assert_eq!(b.read(n), want, "{n} at {at}");
            at -= i64::from(n);
        }
    }
}
