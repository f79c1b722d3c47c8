//! Typed values read from map keys, map values and event payloads, and their
//! text form as bpftrace prints them (`1`, `-4`, `abc`, `0x1000`, `(1, abc)`).

use crate::format::Arg;
use tracec_meta::Ty;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    UInt(u64),
    /// String bytes up to the first NUL.
    Str(Vec<u8>),
    Ptr(u64),
    Tuple(Vec<Value>),
    Bool(bool),
    /// A record's fields with their names, in layout order.
    Record(Vec<(String, Value)>),
    /// `buf()`'s bytes, printed with non-printable bytes as `\xNN`.
    Buf(Vec<u8>),
    /// A symbolized `kstack`/`ustack`: one line per frame; `indent`: bpftrace mode,
    /// whose lines are indented (8 spaces, 4 in map keys).
    Stack {
        indent: bool,
        lines: Vec<String>,
    },
    /// An integer or bool array, printed `[1,2,3]`.
    Array(Vec<Value>),
    /// An integer of enum type and the name of its enumerator, if one has the value.
    Enum {
        bits: u64,
        size: u8,
        signed: bool,
        name: Option<String>,
    },
    /// A value of a type without a value (bpftrace's "none": a float member), printed
    /// as `null`.
    Null,
}

/// Read a little-endian integer of `size` bytes (1, 2, 4 or 8), sign-extending if asked.
/// Returns the 64-bit pattern.
pub fn read_int(bytes: &[u8], size: u8, signed: bool) -> Option<u64> {
    let size = usize::from(size);
    if !matches!(size, 1 | 2 | 4 | 8) {
        return None;
    }
    let raw = bytes.get(..size)?;
    let mut buf = [0u8; 8];
    buf[..size].copy_from_slice(raw);
    let v = u64::from_le_bytes(buf);
    if signed && size < 8 {
        let shift = 64 - 8 * size as u32;
        Some((((v << shift) as i64) >> shift) as u64)
    } else {
        Some(v)
    }
}

/// The bytes of a NUL-padded string buffer up to its first NUL.
pub fn c_str(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(n) => &bytes[..n],
        None => bytes,
    }
}

/// bpftrace's default `str_trunc_trailer`.
pub const DEFAULT_TRUNC_TRAILER: &str = "..";
/// tracec's default `max_strlen` (the size of `str()` values).
pub const DEFAULT_MAX_STRLEN: u32 = 64;

/// The truncation settings of this process: `str_trunc_trailer` and the compiled
/// `max_strlen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    pub trailer: String,
    pub max_strlen: u32,
}

static TRUNCATION: std::sync::OnceLock<Truncation> = std::sync::OnceLock::new();

/// Set this process's truncation settings (once; later calls are ignored).
pub fn set_truncation(t: Truncation) {
    let _ = TRUNCATION.set(t);
}

/// A string value's text: its bytes up to the first NUL, then bpftrace's truncation
/// trailer when the value is a `str()` result (`max_strlen` bytes) holding no NUL:
/// `str()` values are read so that only a string that was cut short does. Char
/// arrays of other sizes print as they are.
pub fn str_value(bytes: &[u8]) -> Vec<u8> {
    let (trailer, max) = TRUNCATION
        .get()
        .map_or((DEFAULT_TRUNC_TRAILER, DEFAULT_MAX_STRLEN), |t| {
            (t.trailer.as_str(), t.max_strlen)
        });
    with_trailer(bytes, trailer, max)
}

fn with_trailer(bytes: &[u8], trailer: &str, max_strlen: u32) -> Vec<u8> {
    let s = c_str(bytes);
    let mut out = s.to_vec();
    if !bytes.is_empty() && s.len() == bytes.len() && bytes.len() == max_strlen as usize {
        out.extend_from_slice(trailer.as_bytes());
    }
    out
}

/// Slice `len` bytes at `offset`, if they are there.
pub fn field(bytes: &[u8], offset: u32, len: u32) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    bytes.get(start..end)
}

impl Value {
    /// Decode a value of type `ty` from the start of `bytes`; `None` if too short.
    pub fn decode(ty: &Ty, bytes: &[u8]) -> Option<Value> {
        Some(match ty {
            Ty::Int { size, signed } => {
                let bits = read_int(bytes, *size, *signed)?;
                if *signed {
                    Value::Int(bits as i64)
                } else {
                    Value::UInt(bits)
                }
            }
            Ty::Str { size } => Value::Str(str_value(field(bytes, 0, *size)?)),
            Ty::Ptr => Value::Ptr(read_int(bytes, 8, false)?),
            Ty::Tuple { fields } => Value::Tuple(
                fields
                    .iter()
                    .map(|f| {
                        let sub = bytes.get(usize::try_from(f.offset).ok()?..)?;
                        Value::decode(&f.ty, sub)
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
            Ty::Bool { .. } => Value::Bool(*bytes.first()? != 0),
            Ty::Stack { user, mode, limit } => crate::stacks::decode(*user, *mode, *limit, bytes)?,
            Ty::Sym { user } => crate::stacks::decode_sym(*user, bytes)?,
            Ty::DwStack { mode, limit } => crate::stacks::decode_dw(*mode, *limit, bytes)?,
            Ty::Enum { size, signed, .. } => {
                let bits = read_int(bytes, *size, *signed)?;
                Value::Enum {
                    bits,
                    size: *size,
                    signed: *signed,
                    name: ty.enum_name(bits).map(str::to_string),
                }
            }
            Ty::Array { elem, len } => {
                let step = elem.size().max(1);
                Value::Array(
                    (0..*len)
                        .map(|i| Value::decode(elem, field(bytes, i * step, step)?))
                        .collect::<Option<Vec<_>>>()?,
                )
            }
            Ty::Fmt { fmt } => crate::fmtvals::decode(*fmt, bytes)?,
            Ty::Record { fields } => Value::Record(
                fields
                    .iter()
                    .map(|f| {
                        let sub = bytes.get(usize::try_from(f.offset).ok()?..)?;
                        Some((f.name.clone(), Value::decode(&f.ty, sub)?))
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
        })
    }

    /// Append the text form bpftrace uses in map output and `print`.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        match self {
            Value::Int(v) => out.extend_from_slice(v.to_string().as_bytes()),
            Value::UInt(v) => out.extend_from_slice(v.to_string().as_bytes()),
            Value::Str(s) => out.extend_from_slice(s),
            Value::Buf(b) => out.extend_from_slice(&crate::fmtvals::buf_text(b, false, false)),
            Value::Ptr(p) => out.extend_from_slice(format!("0x{p:x}").as_bytes()),
            Value::Tuple(items) => {
                out.push(b'(');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    v.write_text(out);
                }
                out.push(b')');
            }
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Array(items) => {
                out.push(b'[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    v.write_text(out);
                }
                out.push(b']');
            }
            Value::Stack { indent, lines } => crate::stacks::text(*indent, lines, 8, out),
            Value::Enum { name: Some(n), .. } => out.extend_from_slice(n.as_bytes()),
            Value::Enum {
                bits, signed: true, ..
            } => out.extend_from_slice((*bits as i64).to_string().as_bytes()),
            Value::Enum { bits, .. } => out.extend_from_slice(bits.to_string().as_bytes()),
            Value::Null => out.extend_from_slice(b"null"),
            Value::Record(fields) => {
                out.extend_from_slice(b"{ ");
                for (i, (name, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    out.push(b'.');
                    out.extend_from_slice(name.as_bytes());
                    out.extend_from_slice(b" = ");
                    v.write_text(out);
                }
                out.extend_from_slice(b" }");
            }
        }
    }

    pub fn text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_text(&mut out);
        out
    }

    /// As a printf argument; tuples become their text.
    pub fn to_arg(&self, ty: &Ty) -> Arg {
        match (self, ty) {
            (Value::Int(v), Ty::Int { size, .. }) => Arg::Int {
                bits: *v as u64,
                size: *size,
                signed: true,
            },
            (Value::UInt(v), Ty::Int { size, .. }) => Arg::Int {
                bits: *v,
                size: *size,
                signed: false,
            },
            (Value::Int(v), _) => Arg::int(*v),
            (Value::UInt(v), _) => Arg::uint(*v),
            (Value::Ptr(p), _) => Arg::Ptr(*p),
            (Value::Str(s), _) | (Value::Buf(s), _) => Arg::Str(s.clone()),
            (Value::Bool(b), _) => Arg::Int {
                bits: u64::from(*b),
                size: 1,
                signed: false,
            },
            (
                Value::Tuple(_)
                | Value::Record(_)
                | Value::Array(_)
                | Value::Stack { .. }
                | Value::Null,
                _,
            ) => Arg::Str(self.text()),
            (
                Value::Enum {
                    bits,
                    size,
                    signed,
                    name,
                },
                _,
            ) => Arg::Enum {
                bits: *bits,
                size: *size,
                signed: *signed,
                name: name.as_ref().map(|n| n.as_bytes().to_vec()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracec_meta::Field;

    #[test]
    fn reads_ints_with_sign_extension() {
        assert_eq!(read_int(&[0xfd], 1, true), Some((-3i64) as u64));
        assert_eq!(read_int(&[0xfd], 1, false), Some(0xfd));
        assert_eq!(read_int(&[0xff, 0x7f], 2, true), Some(0x7fff));
        assert_eq!(
            read_int(&[0, 0, 0, 0x80], 4, true),
            Some(i64::from(i32::MIN) as u64)
        );
        assert_eq!(read_int(&[1, 2], 4, true), None);
        assert_eq!(read_int(&[1, 2, 3], 3, true), None);
    }

    #[test]
    fn decodes_and_prints_tuples() {
        let ty = Ty::Tuple {
            fields: vec![
                Field {
                    offset: 0,
                    ty: Ty::Int {
                        size: 4,
                        signed: true,
                    },
                },
                Field {
                    offset: 8,
                    ty: Ty::Str { size: 8 },
                },
                Field {
                    offset: 16,
                    ty: Ty::Ptr,
                },
            ],
        };
        let mut bytes = vec![0u8; 24];
        bytes[..4].copy_from_slice(&(-2i32).to_le_bytes());
        bytes[8..10].copy_from_slice(b"xy");
        bytes[16..24].copy_from_slice(&0x1000u64.to_le_bytes());
        let v = Value::decode(&ty, &bytes).unwrap();
        assert_eq!(v.text(), b"(-2, xy, 0x1000)");
        assert_eq!(Value::decode(&ty, &bytes[..20]), None);
    }

    #[test]
    fn none_values_print_null() {
        let ty = Ty::Record {
            fields: vec![
                tracec_meta::RecordField {
                    name: "i".into(),
                    offset: 0,
                    ty: Ty::Int {
                        size: 4,
                        signed: true,
                    },
                },
                tracec_meta::RecordField {
                    name: "f".into(),
                    offset: 0,
                    ty: Ty::Fmt {
                        fmt: tracec_meta::FmtKind::None { size: 4 },
                    },
                },
            ],
        };
        let v = Value::decode(&ty, &5i32.to_le_bytes()).unwrap();
        assert_eq!(v.text(), b"{ .i = 5, .f = null }");
        assert_eq!(crate::print::json::value(&v), r#"{"i": 5, "f": null}"#);
    }

    #[test]
    fn unterminated_strings_use_the_whole_buffer() {
        let v = Value::decode(&Ty::Str { size: 3 }, b"abcdef").unwrap();
        assert_eq!(v, Value::Str(b"abc".to_vec()));
        assert_eq!(with_trailer(b"abcde", "..", 5), b"abcde..");
        assert_eq!(with_trailer(b"abcde", "..", 8), b"abcde");
        assert_eq!(with_trailer(b"abc\0\0", "..", 5), b"abc");
        let v = Value::decode(&Ty::Str { size: 4 }, b"abc\0").unwrap();
        assert_eq!(v, Value::Str(b"abc".to_vec()));
    }

    #[test]
    fn printf_args_keep_their_size() {
        let ty = Ty::Int {
            size: 1,
            signed: true,
        };
        let v = Value::decode(&ty, &[0xff]).unwrap();
        assert_eq!(
            v.to_arg(&ty),
            Arg::Int {
                bits: u64::MAX,
                size: 1,
                signed: true
            }
        );
    }
}
