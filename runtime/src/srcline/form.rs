//! Attribute values of `.debug_info` DIEs and of DWARF 5 line-table entry formats:
//! every `DW_FORM_*` is read (or skipped) so that a walk never loses its place; the
//! values this reader uses keep what is needed to resolve them later (string and
//! address indices need bases that a unit's root DIE may give after them).

use super::read::Reader;

/// A read attribute value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// Constants, flags.
    U(u64),
    S(i64),
    Addr(u64),
    /// An index into `.debug_addr` (from the unit's `DW_AT_addr_base`).
    AddrX(u64),
    /// An inline string.
    Str(&'a [u8]),
    /// An offset into `.debug_str`.
    StrP(u64),
    /// An offset into `.debug_line_str`.
    LineStrP(u64),
    /// An index into `.debug_str_offsets` (from `DW_AT_str_offsets_base`).
    StrX(u64),
    /// A reference to a DIE, as an offset into `.debug_info`.
    Ref(u64),
    /// An offset into another section (line program, ranges).
    SecOff(u64),
    /// An index into the unit's `.debug_rnglists` offsets table.
    RngListX(u64),
    /// Blocks, signatures, references to supplementary files: read, not used.
    Other,
}

impl Value<'_> {
    /// The value as an unsigned constant.
    pub fn udata(self) -> Option<u64> {
        match self {
            Value::U(v) | Value::SecOff(v) => Some(v),
            Value::S(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }
}

/// What the encoding of a unit's values depends on.
#[derive(Clone, Copy, Debug)]
pub struct Encoding {
    pub addr_size: u8,
    pub dwarf64: bool,
    pub version: u16,
    /// The unit's offset in `.debug_info` (unit-relative references are added to it).
    pub unit: u64,
}

/// Read one value of `form` (`implicit` is the abbreviation's `DW_FORM_implicit_const`).
/// `None` for an unknown form or data past the end.
pub fn read<'a>(r: &mut Reader<'a>, form: u64, enc: Encoding, implicit: i64) -> Option<Value<'a>> {
    let unit_ref = |v: u64| Some(Value::Ref(enc.unit.checked_add(v)?));
    match form {
        0x01 => Some(Value::Addr(r.uint(enc.addr_size)?)),
        0x03 => {
            let n = r.u16()?;
            r.skip(u64::from(n)).map(|_| Value::Other)
        }
        0x04 => {
            let n = r.u32()?;
            r.skip(u64::from(n)).map(|_| Value::Other)
        }
        0x0a => {
            let n = r.u8()?;
            r.skip(u64::from(n)).map(|_| Value::Other)
        }
        0x09 | 0x18 => {
            let n = r.uleb()?;
            r.skip(n).map(|_| Value::Other)
        }
        0x0b | 0x0c => Some(Value::U(r.uint(1)?)),
        0x05 => Some(Value::U(r.uint(2)?)),
        0x06 => Some(Value::U(r.uint(4)?)),
        0x07 => Some(Value::U(r.uint(8)?)),
        0x1e => r.skip(16).map(|_| Value::Other),
        0x08 => Some(Value::Str(r.cstr()?)),
        0x0d => Some(Value::S(r.sleb()?)),
        0x0f => Some(Value::U(r.uleb()?)),
        0x19 => Some(Value::U(1)),
        0x0e => Some(Value::StrP(r.offset(enc.dwarf64)?)),
        0x1f => Some(Value::LineStrP(r.offset(enc.dwarf64)?)),
        0x10 if enc.version <= 2 => Some(Value::Ref(r.uint(enc.addr_size)?)),
        0x10 => Some(Value::Ref(r.offset(enc.dwarf64)?)),
        0x11 => unit_ref(r.uint(1)?),
        0x12 => unit_ref(r.uint(2)?),
        0x13 => unit_ref(r.uint(4)?),
        0x14 => unit_ref(r.uint(8)?),
        0x15 => unit_ref(r.uleb()?),
        0x16 => {
            let form = r.uleb()?;
            if form == 0x16 {
                return None;
            }
            read(r, form, enc, implicit)
        }
        0x17 => Some(Value::SecOff(r.offset(enc.dwarf64)?)),
        0x1a | 0x1f02 => Some(Value::StrX(r.uleb()?)),
        0x25 => Some(Value::StrX(r.uint(1)?)),
        0x26 => Some(Value::StrX(r.uint(2)?)),
        0x27 => Some(Value::StrX(r.uint(3)?)),
        0x28 => Some(Value::StrX(r.uint(4)?)),
        0x1b | 0x1f01 => Some(Value::AddrX(r.uleb()?)),
        0x29 => Some(Value::AddrX(r.uint(1)?)),
        0x2a => Some(Value::AddrX(r.uint(2)?)),
        0x2b => Some(Value::AddrX(r.uint(3)?)),
        0x2c => Some(Value::AddrX(r.uint(4)?)),
        0x1c => r.skip(4).map(|_| Value::Other),
        0x20 | 0x24 => r.skip(8).map(|_| Value::Other),
        0x1d | 0x1f20 | 0x1f21 => r.offset(enc.dwarf64).map(|_| Value::Other),
        0x21 => Some(Value::S(implicit)),
        0x22 => r.uleb().map(|_| Value::Other),
        0x23 => Some(Value::RngListX(r.uleb()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENC: Encoding = Encoding {
        addr_size: 8,
        dwarf64: false,
        version: 5,
        unit: 0x100,
    };

    #[test]
    fn forms() {
        let bytes = [
            0x10, 0x20, 0, 0, // ref4
            0x03, 1, 2, 3, // block1 of 3
            b'x', 0,    // string
            0x7e, // sdata -2
            0x05, 0x00, // strx2
        ];
        let mut r = Reader::new(&bytes);
        assert_eq!(read(&mut r, 0x13, ENC, 0), Some(Value::Ref(0x2110)));
        assert_eq!(read(&mut r, 0x0a, ENC, 0), Some(Value::Other));
        assert_eq!(read(&mut r, 0x08, ENC, 0), Some(Value::Str(b"x")));
        assert_eq!(read(&mut r, 0x0d, ENC, 0), Some(Value::S(-2)));
        assert_eq!(read(&mut r, 0x26, ENC, 0), Some(Value::StrX(5)));
        assert_eq!(read(&mut r, 0x21, ENC, -7), Some(Value::S(-7)));
        assert_eq!(read(&mut r, 0x19, ENC, 0), Some(Value::U(1)));
        assert!(r.is_empty());
        assert_eq!(read(&mut r, 0x13, ENC, 0), None);
        assert_eq!(read(&mut Reader::new(&[0; 8]), 0x99, ENC, 0), None);
    }
}
