//! Finite State Entropy tables: reading a table description (RFC 8878 §4.1.1),
//! building the decoding table from the normalized counts, and the predefined
//! distributions of the sequence codes.

use super::bits::Forward;
use super::{Error, Result};

/// One state of a decoding table.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Entry {
    pub symbol: u8,
    pub bits: u8,
    pub base: u16,
}

/// A decoding table of `1 << log` states.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    pub log: u32,
    pub states: Vec<Entry>,
}

impl Table {
    /// The table that always decodes `symbol` and reads no bits (RLE mode).
    pub(super) fn rle(symbol: u8) -> Table {
        Table {
            log: 0,
            states: vec![Entry {
                symbol,
                bits: 0,
                base: 0,
            }],
        }
    }

    /// Reads a table description from the start of `data` for symbols up to
    /// `max_symbol` and an accuracy log up to `max_log`; returns the table and the
    /// bytes the description took.
    pub(super) fn read(data: &[u8], max_symbol: usize, max_log: u32) -> Result<(Table, usize)> {
        let mut bits = Forward::new(data);
        let log = bits.read(4)? + 5;
        if log > max_log {
            return Err(Error::Invalid("FSE accuracy log too large"));
        }
        let mut counts: Vec<i16> = Vec::with_capacity(max_symbol + 1);
        let mut remaining: i32 = (1 << log) + 1;
        let mut threshold: i32 = 1 << log;
        let mut nbits = log + 1;
        while remaining > 1 {
            if counts.len() > max_symbol {
                return Err(Error::Invalid("FSE table with too many symbols"));
            }
            let max = 2 * threshold - 1 - remaining;
            let low = bits.peek(nbits - 1) as i32;
            let value = if low < max {
                bits.skip(nbits - 1)?;
                low
            } else {
                let v = bits.peek(nbits) as i32;
                bits.skip(nbits)?;
                if v >= threshold {
                    v - max
                } else {
                    v
                }
            };
            let count = value - 1;
            remaining -= count.abs();
            counts.push(count as i16);
            if count == 0 {
                loop {
                    let repeat = bits.read(2)?;
                    counts.extend(std::iter::repeat_n(0, repeat as usize));
                    if counts.len() > max_symbol + 1 {
                        return Err(Error::Invalid("FSE table with too many symbols"));
                    }
                    if repeat != 3 {
                        break;
                    }
                }
            }
            while remaining < threshold && threshold > 1 {
                nbits -= 1;
                threshold >>= 1;
            }
        }
        if remaining != 1 {
            return Err(Error::Invalid("FSE counts do not add up"));
        }
        Ok((Table::build(&counts, log)?, bits.bytes_used()))
    }

    /// The decoding table of the normalized `counts` (`-1`: a "less than one"
    /// probability) with accuracy `log`.
    pub(super) fn build(counts: &[i16], log: u32) -> Result<Table> {
        let size = 1usize << log;
        let mut states = vec![Entry::default(); size];
        let mut next = vec![0u32; counts.len()];
        let mut high = size;
        for (s, &c) in counts.iter().enumerate() {
            if c == -1 {
                high = high
                    .checked_sub(1)
                    .ok_or(Error::Invalid("FSE table overfull"))?;
                states[high].symbol = s as u8;
                next[s] = 1;
            } else {
                next[s] = c.max(0) as u32;
            }
        }
        let step = (size >> 1) + (size >> 3) + 3;
        let mask = size - 1;
        let mut pos = 0usize;
        for (s, &c) in counts.iter().enumerate() {
            for _ in 0..c.max(0) {
                if pos >= high {
                    return Err(Error::Invalid("FSE table overfull"));
                }
                states[pos].symbol = s as u8;
                pos = (pos + step) & mask;
                while pos >= high {
                    pos = (pos + step) & mask;
                }
            }
        }
        if pos != 0 {
            return Err(Error::Invalid("FSE counts do not fill the table"));
        }
        for e in &mut states {
            let n = &mut next[usize::from(e.symbol)];
            let state = *n;
            *n += 1;
            if state == 0 {
                return Err(Error::Invalid("FSE table inconsistent"));
            }
            let bits = log - (31 - state.leading_zeros());
            e.bits = bits as u8;
            e.base = ((state << bits) - size as u32) as u16;
        }
        Ok(Table { log, states })
    }
}

/// Default distribution of literal length codes (accuracy 6).
pub(super) const LL_DEFAULT: [i16; 36] = [
    4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
    -1, -1, -1, -1,
];
/// Default distribution of match length codes (accuracy 6).
pub(super) const ML_DEFAULT: [i16; 53] = [
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
];
/// Default distribution of offset codes (accuracy 5).
pub(super) const OF_DEFAULT: [i16; 29] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(counts: &[i16]) -> i32 {
        counts.iter().map(|&c| i32::from(c).abs()).sum()
    }

    #[test]
    fn default_distributions_fill_their_tables() {
        assert_eq!(sum(&LL_DEFAULT), 64);
        assert_eq!(sum(&ML_DEFAULT), 64);
        assert_eq!(sum(&OF_DEFAULT), 32);
        for (c, log) in [
            (&LL_DEFAULT[..], 6),
            (&ML_DEFAULT[..], 6),
            (&OF_DEFAULT[..], 5),
        ] {
            let t = Table::build(c, log).unwrap();
            // Every state's successors stay inside the table.
            for e in &t.states {
                let top = u32::from(e.base) + (1 << e.bits) - 1;
                assert!(top < 1 << log, "{e:?}");
            }
        }
        // The first states of the literal-length table (RFC 8878 appendix A).
        let t = Table::build(&LL_DEFAULT, 6).unwrap();
        let first: Vec<(u8, u8, u16)> = t.states[..4]
            .iter()
            .map(|e| (e.symbol, e.bits, e.base))
            .collect();
        assert_eq!(first, [(0, 4, 0), (0, 4, 16), (1, 5, 32), (3, 5, 0)]);
        assert_eq!(t.states[63].symbol, 32);
    }

    #[test]
    fn malformed_descriptions_are_errors() {
        assert!(Table::read(&[], 35, 9).is_err());
        // Accuracy log 5 + 15 = 20 is above any maximum.
        assert!(Table::read(&[0x0f, 0, 0, 0], 35, 9).is_err());
        // Counts that never add up before the input ends.
        assert!(Table::read(&[0x00, 0x00], 35, 9).is_err());
        assert!(Table::build(&[40], 5).is_err());
        assert!(Table::build(&[-1; 40], 5).is_err());
    }
}
