//! The sequences section of a compressed block (RFC 8878 §3.1.1.3.2): the
//! sequence count, the three code tables (predefined, RLE, FSE-compressed or
//! repeated), and decoding the sequences while executing them against the output.

use super::bits::Backward;
use super::fse::{self, Table};
use super::{Error, Frame, Result, Sink};

/// Baselines and extra bits of literal length codes 16..35 (0..15 are literal).
const LL_BASE: [u32; 20] = [
    16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768,
    65536,
];
const LL_BITS: [u8; 20] = [
    1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
];
/// Baselines and extra bits of match length codes 32..52 (0..31 are `code + 3`).
const ML_BASE: [u32; 21] = [
    35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387,
    32771, 65539,
];
const ML_BITS: [u8; 21] = [
    1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
];

const LL_MAX: usize = 35;
const ML_MAX: usize = 52;
const OF_MAX: usize = 31;

fn literal_length(code: u8) -> (u32, u32) {
    match code {
        0..=15 => (u32::from(code), 0),
        c => {
            let i = usize::from(c - 16);
            (LL_BASE[i], u32::from(LL_BITS[i]))
        }
    }
}

fn match_length(code: u8) -> (u32, u32) {
    match code {
        0..=31 => (u32::from(code) + 3, 0),
        c => {
            let i = usize::from(c - 32);
            (ML_BASE[i], u32::from(ML_BITS[i]))
        }
    }
}

/// Reads one code table in `mode` from `data[*at..]` into `slot`.
fn table(
    mode: u8,
    data: &[u8],
    at: &mut usize,
    slot: &mut Option<Table>,
    default: (&[i16], u32),
    max_symbol: usize,
    max_log: u32,
) -> Result<()> {
    match mode {
        0 => *slot = Some(Table::build(default.0, default.1)?),
        1 => {
            let s = *data.get(*at).ok_or(Error::Truncated)?;
            if usize::from(s) > max_symbol {
                return Err(Error::Invalid("RLE code out of range"));
            }
            *at += 1;
            *slot = Some(Table::rle(s));
        }
        2 => {
            let (t, used) = Table::read(&data[*at..], max_symbol, max_log)?;
            *at += used;
            *slot = Some(t);
        }
        _ => {
            if slot.is_none() {
                return Err(Error::Invalid("repeated code table without a previous one"));
            }
        }
    }
    Ok(())
}

/// Decodes the sequences section `data` and executes it with `literals` into `out`.
pub(super) fn execute(
    data: &[u8],
    literals: &[u8],
    frame: &mut Frame,
    out: &mut Sink,
) -> Result<()> {
    let b0 = *data.first().ok_or(Error::Truncated)?;
    let byte = |i: usize| {
        data.get(i)
            .copied()
            .map(usize::from)
            .ok_or(Error::Truncated)
    };
    let (count, mut at) = match b0 {
        0 => (0, 1),
        1..=127 => (usize::from(b0), 1),
        128..=254 => (((usize::from(b0) - 128) << 8) + byte(1)?, 2),
        255 => (byte(1)? + (byte(2)? << 8) + 0x7f00, 3),
    };
    if count == 0 {
        if at != data.len() {
            return Err(Error::Invalid("data after an empty sequences section"));
        }
        return out.put(literals);
    }
    let modes = *data.get(at).ok_or(Error::Truncated)?;
    at += 1;
    if modes & 3 != 0 {
        return Err(Error::Invalid("reserved sequence mode bits set"));
    }
    let ll_def = (&fse::LL_DEFAULT[..], 6);
    let of_def = (&fse::OF_DEFAULT[..], 5);
    let ml_def = (&fse::ML_DEFAULT[..], 6);
    table(modes >> 6, data, &mut at, &mut frame.ll, ll_def, LL_MAX, 9)?;
    table(
        (modes >> 4) & 3,
        data,
        &mut at,
        &mut frame.of,
        of_def,
        OF_MAX,
        8,
    )?;
    table(
        (modes >> 2) & 3,
        data,
        &mut at,
        &mut frame.ml,
        ml_def,
        ML_MAX,
        9,
    )?;
    let (Some(ll), Some(of), Some(ml)) = (&frame.ll, &frame.of, &frame.ml) else {
        return Err(Error::Invalid("missing code table"));
    };
    let mut br = Backward::new(&data[at..])?;
    let mut s_ll = br.read(ll.log) as usize;
    let mut s_of = br.read(of.log) as usize;
    let mut s_ml = br.read(ml.log) as usize;
    let mut lit = 0usize;
    let rep = &mut frame.rep;
    for n in (0..count).rev() {
        let (e_ll, e_of, e_ml) = (ll.states[s_ll], of.states[s_of], ml.states[s_ml]);
        // At most 31 + 16 + 16 bits: one load.
        let mut w = br.load();
        let of_code = u32::from(e_of.symbol);
        let value = (1u64 << of_code) + w.get(of_code);
        let (ml_base, ml_bits) = match_length(e_ml.symbol);
        let mlen = ml_base as usize + w.get(ml_bits) as usize;
        let (ll_base, ll_bits) = literal_length(e_ll.symbol);
        let llen = ll_base as usize + w.get(ll_bits) as usize;
        br.consume(w.used);
        let offset = if value > 3 {
            let o = (value - 3) as usize;
            *rep = [o, rep[0], rep[1]];
            o
        } else {
            let idx = value as usize - usize::from(llen != 0);
            match idx {
                0 => rep[0],
                1 => {
                    *rep = [rep[1], rep[0], rep[2]];
                    rep[0]
                }
                2 => {
                    *rep = [rep[2], rep[0], rep[1]];
                    rep[0]
                }
                _ => {
                    let o = rep[0]
                        .checked_sub(1)
                        .filter(|&o| o > 0)
                        .ok_or(Error::Invalid("zero offset"))?;
                    *rep = [o, rep[0], rep[1]];
                    o
                }
            }
        };
        let run = literals
            .get(lit..lit.checked_add(llen).ok_or(Error::TooLong)?)
            .ok_or(Error::Invalid("sequence reads past the literals"))?;
        out.put(run)?;
        lit += llen;
        out.copy_match(offset, mlen)?;
        if n > 0 {
            // At most 9 + 9 + 8 bits.
            let mut w = br.load();
            s_ll = usize::from(e_ll.base) + w.get(u32::from(e_ll.bits)) as usize;
            s_ml = usize::from(e_ml.base) + w.get(u32::from(e_ml.bits)) as usize;
            s_of = usize::from(e_of.base) + w.get(u32::from(e_of.bits)) as usize;
            br.consume(w.used);
        }
        if br.overflowed() {
            return Err(Error::Truncated);
        }
    }
    if !br.finished() {
        return Err(Error::Invalid("sequences stream length mismatch"));
    }
    out.put(&literals[lit..])
}
