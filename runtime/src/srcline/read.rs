//! A little-endian byte cursor over a DWARF section: fixed-size integers, LEB128,
//! NUL-terminated strings and the 32/64-bit DWARF offset format. Every read is
//! bounds-checked and returns `None` past the end, so malformed input stops the
//! parse instead of panicking.

#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// A reader of `buf` starting at `pos` (past the end reads nothing).
    pub fn at(buf: &'a [u8], pos: u64) -> Reader<'a> {
        Reader {
            buf,
            pos: usize::try_from(pos).unwrap_or(usize::MAX),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn bytes(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        let end = self.pos.checked_add(n)?;
        let b = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(b)
    }

    pub fn skip(&mut self, n: u64) -> Option<()> {
        self.bytes(n).map(|_| ())
    }

    /// An unsigned little-endian integer of `n` (at most 8) bytes.
    pub fn uint(&mut self, n: u8) -> Option<u64> {
        let b = self.bytes(u64::from(n))?;
        Some(
            b.iter()
                .rev()
                .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)),
        )
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.uint(1).map(|v| v as u8)
    }

    pub fn u16(&mut self) -> Option<u16> {
        self.uint(2).map(|v| v as u16)
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.uint(4).map(|v| v as u32)
    }

    pub fn u64(&mut self) -> Option<u64> {
        self.uint(8)
    }

    pub fn uleb(&mut self) -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.u8()?;
            if shift < 64 {
                v |= u64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
    }

    pub fn sleb(&mut self) -> Option<i64> {
        let mut v = 0i64;
        let mut shift = 0u32;
        loop {
            let b = self.u8()?;
            if shift < 64 {
                v |= i64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    v |= -1i64 << shift;
                }
                return Some(v);
            }
        }
    }

    /// A NUL-terminated string, without its NUL.
    pub fn cstr(&mut self) -> Option<&'a [u8]> {
        let rest = self.buf.get(self.pos..)?;
        let n = rest.iter().position(|b| *b == 0)?;
        self.pos += n + 1;
        Some(&rest[..n])
    }

    /// An initial length: the unit's length and whether it uses 64-bit offsets.
    pub fn initial_length(&mut self) -> Option<(u64, bool)> {
        match self.u32()? {
            0xffff_ffff => Some((self.u64()?, true)),
            n if n >= 0xffff_fff0 => None,
            n => Some((u64::from(n), false)),
        }
    }

    /// An offset of the unit's format (4 or 8 bytes).
    pub fn offset(&mut self, dwarf64: bool) -> Option<u64> {
        if dwarf64 {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }

    /// The sub-reader of the next `len` bytes; this reader moves past them.
    pub fn split(&mut self, len: u64) -> Option<Reader<'a>> {
        Some(Reader::new(self.bytes(len)?))
    }
}

/// The NUL-terminated string at `off` of a string section.
pub fn str_at(sec: &[u8], off: u64) -> Option<&[u8]> {
    Reader::at(sec, off).cstr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_and_strings() {
        let mut r = Reader::new(&[0xe5, 0x8e, 0x26, 0x7f, 0x80, 0x7f, b'a', b'b', 0, 0x01]);
        assert_eq!(r.uleb(), Some(624_485));
        assert_eq!(r.sleb(), Some(-1));
        assert_eq!(r.sleb(), Some(-128));
        assert_eq!(r.cstr(), Some(&b"ab"[..]));
        assert_eq!(r.u8(), Some(1));
        assert_eq!(r.u8(), None);
        assert!(r.is_empty());
    }

    #[test]
    fn fixed_sizes_and_lengths() {
        let mut r = Reader::new(&[0x34, 0x12, 0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(r.u16(), Some(0x1234));
        assert_eq!(r.initial_length(), Some((8, true)));
        let mut r = Reader::new(&[0xf0, 0xff, 0xff, 0xff]);
        assert_eq!(r.initial_length(), None);
        let mut r = Reader::new(&[1, 2]);
        assert_eq!(r.u32(), None);
        assert_eq!(Reader::at(&[1], u64::MAX).u8(), None);
    }
}
