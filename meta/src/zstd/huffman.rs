//! Huffman-coded literals (RFC 8878 §4.2): the tree description (direct or
//! FSE-compressed weights), the decoding table, and the 1- and 4-stream forms.

use super::bits::Backward;
use super::fse::Table as Fse;
use super::{Error, Result};

/// Longest code allowed.
const MAX_BITS: u32 = 11;

/// A decoding table indexed by the next `bits` bits: (symbol, code length).
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    bits: u32,
    entries: Vec<(u8, u8)>,
}

impl Table {
    /// Reads a tree description from the start of `data`; returns the table and
    /// the bytes the description took.
    pub(super) fn read(data: &[u8]) -> Result<(Table, usize)> {
        let head = usize::from(*data.first().ok_or(Error::Truncated)?);
        let mut weights = Vec::with_capacity(256);
        let used = if head < 128 {
            let body = data.get(1..1 + head).ok_or(Error::Truncated)?;
            fse_weights(body, &mut weights)?;
            1 + head
        } else {
            let n = head - 127;
            let body = data.get(1..1 + n.div_ceil(2)).ok_or(Error::Truncated)?;
            for i in 0..n {
                let b = body[i / 2];
                weights.push(if i % 2 == 0 { b >> 4 } else { b & 15 });
            }
            1 + n.div_ceil(2)
        };
        Ok((Table::build(&mut weights)?, used))
    }

    /// The table of the given weights (all but the last symbol's, which is implied).
    fn build(weights: &mut Vec<u8>) -> Result<Table> {
        if weights.len() > 255 {
            return Err(Error::Invalid("too many Huffman weights"));
        }
        let mut total: u32 = 0;
        for &w in weights.iter() {
            if u32::from(w) > MAX_BITS {
                return Err(Error::Invalid("Huffman weight too large"));
            }
            if w > 0 {
                total += 1 << (w - 1);
            }
        }
        if total == 0 {
            return Err(Error::Invalid("Huffman tree without weights"));
        }
        let bits = 32 - total.leading_zeros();
        if bits > MAX_BITS {
            return Err(Error::Invalid("Huffman code too long"));
        }
        let left = (1u32 << bits) - total;
        if !left.is_power_of_two() {
            return Err(Error::Invalid("Huffman weights do not form a tree"));
        }
        weights.push((left.trailing_zeros() + 1) as u8);
        // Codes are handed out from the lowest weight (longest code) up, each
        // weight's symbols in order.
        let mut start = [0usize; MAX_BITS as usize + 2];
        for &w in weights.iter().filter(|&&w| w > 0) {
            start[usize::from(w) + 1] += 1 << (w - 1);
        }
        for w in 1..start.len() {
            start[w] += start[w - 1];
        }
        let mut entries = vec![(0u8, 0u8); 1 << bits];
        for (sym, &w) in weights.iter().enumerate() {
            if w == 0 {
                continue;
            }
            let at = &mut start[usize::from(w)];
            let len = 1usize << (w - 1);
            let e = (sym as u8, (bits + 1 - u32::from(w)) as u8);
            entries[*at..*at + len].fill(e);
            *at += len;
        }
        Ok(Table { bits, entries })
    }

    /// Decodes one stream into `out` (exactly its length); the stream must end with it.
    fn stream(&self, data: &[u8], out: &mut [u8]) -> Result<()> {
        let mut br = Backward::new(data)?;
        // One load of 64 bits serves this many codes of up to MAX_BITS bits.
        const PER_LOAD: usize = (64 / MAX_BITS) as usize;
        let shift = 64 - self.bits;
        for chunk in out.chunks_mut(PER_LOAD) {
            let mut w = br.peek(64);
            let mut used = 0;
            for o in chunk {
                let (sym, len) = self.entries[(w >> shift) as usize];
                *o = sym;
                w <<= len;
                used += u32::from(len);
            }
            br.consume(used);
        }
        if !br.finished() {
            return Err(Error::Invalid("Huffman stream length mismatch"));
        }
        Ok(())
    }

    /// Decodes `size` literals from `data` (one stream, or four after a jump table).
    pub(super) fn literals(&self, data: &[u8], four: bool, size: usize) -> Result<Vec<u8>> {
        let mut out = vec![0u8; size];
        if !four {
            self.stream(data, &mut out)?;
            return Ok(out);
        }
        let jump = data.get(..6).ok_or(Error::Truncated)?;
        let len = |i: usize| usize::from(u16::from_le_bytes([jump[i], jump[i + 1]]));
        let (l1, l2, l3) = (len(0), len(2), len(4));
        let rest = &data[6..];
        let s4 = l1 + l2 + l3;
        if s4 > rest.len() {
            return Err(Error::Truncated);
        }
        let streams = [
            &rest[..l1],
            &rest[l1..l1 + l2],
            &rest[l1 + l2..s4],
            &rest[s4..],
        ];
        let part = size.div_ceil(4);
        if part == 0 || part * 3 > size {
            return Err(Error::Invalid("too few literals for four streams"));
        }
        for (k, stream) in streams.iter().enumerate() {
            let end = if k == 3 { size } else { part * (k + 1) };
            self.stream(stream, &mut out[part * k..end])?;
        }
        Ok(out)
    }
}

/// Weights compressed with FSE: two interleaved states over one backward stream.
fn fse_weights(data: &[u8], weights: &mut Vec<u8>) -> Result<()> {
    let (table, used) = Fse::read(data, 255, 6)?;
    let mut br = Backward::new(&data[used..])?;
    let mut state = [br.read(table.log) as usize, br.read(table.log) as usize];
    let mut k = 0;
    loop {
        let e = table.states[state[k]];
        weights.push(e.symbol);
        if weights.len() > 255 {
            return Err(Error::Invalid("too many Huffman weights"));
        }
        state[k] = usize::from(e.base) + br.read(u32::from(e.bits)) as usize;
        k ^= 1;
        if br.overflowed() {
            weights.push(table.states[state[k]].symbol);
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_weights_give_canonical_codes() {
        // Weights 4 3 2 0 1 (the last, 1, implied): RFC 8878's example.
        let (t, used) = Table::read(&[0x7f + 5, 0x43, 0x20, 0x10]).unwrap();
        assert_eq!(used, 4);
        assert_eq!(t.bits, 4);
        let code = |s: u8| {
            let i = t.entries.iter().position(|e| e.0 == s).unwrap();
            (i >> (4 - t.entries[i].1), t.entries[i].1)
        };
        assert_eq!(code(0), (1, 1));
        assert_eq!(code(1), (1, 2));
        assert_eq!(code(2), (1, 3));
        assert_eq!(code(4), (0, 4));
        assert_eq!(code(5), (1, 4));
        assert!(!t.entries.iter().any(|e| e.0 == 3));
    }

    #[test]
    fn malformed_trees_are_errors() {
        assert!(Table::read(&[]).is_err());
        assert!(Table::read(&[0x7f + 5, 0x43]).is_err());
        // Weights summing to 3 leave 1 of 4: fine; summing to 5 of 8 leaves 3: not.
        assert!(Table::read(&[0x7f + 2, 0x31]).is_err());
        assert!(Table::read(&[0x7f + 1, 0xc0]).is_err());
        assert!(Table::read(&[0x7f + 1, 0x00]).is_err());
        assert!(Table::read(&[10, 0, 0]).is_err());
    }
}
