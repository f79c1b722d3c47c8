//! `printf` formatting with C semantics, as bpftrace's `printf` does it.
//!
//! Supported: flags `-+ #0`, a decimal width and precision, the length modifiers
//! `hh h l ll j z t L q`, and the conversions `d i u o x X c s p %`, bpftrace's
//! `%r`/`%rx`/`%rh` (buffers) and `%gr` (GFP flags by name, padded as a string). A conversion
//! this formatter does not know, or one with no argument left, is copied to the
//! output as written.
//!
//! Integers follow C's default argument promotions (an argument of 4 bytes or fewer
//! is an `int`, so `%u` of an `int8` -3 prints 4294967293), and then the length
//! modifier, as bpftrace's `printf` does: without one the conversion sees an `int`
//! (`%x` of 0x12345678abcdef prints 78abcdef), `h` a `short`, `hh` a `char`, the
//! others the whole 64 bits.

/// One printf argument, decoded from an event payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// `bits` holds the value sign-extended (if `signed`) or zero-extended to 64 bits.
    Int {
        bits: u64,
        size: u8,
        signed: bool,
    },
    /// String bytes, without the terminating NUL.
    Str(Vec<u8>),
    Ptr(u64),
    /// An integer of enum type: `%s` prints `name` (the number without one), every
    /// other conversion the number.
    Enum {
        bits: u64,
        size: u8,
        signed: bool,
        name: Option<Vec<u8>>,
    },
}

impl Arg {
    pub fn int(v: i64) -> Arg {
        Arg::Int {
            bits: v as u64,
            size: 8,
            signed: true,
        }
    }
    pub fn uint(v: u64) -> Arg {
        Arg::Int {
            bits: v,
            size: 8,
            signed: false,
        }
    }
    pub fn str(s: &str) -> Arg {
        Arg::Str(s.as_bytes().to_vec())
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
    conv: u8,
    /// Bits the integer conversions see, from the length modifier as C's `printf`
    /// would: none 32 (`int`), `h` 16, `hh` 8, `l`/`ll`/`j`/`z`/`t` 64.
    int_bits: u32,
    /// `%r`'s suffix: `x` (all bytes in hex), `h` (hex pairs), or 0.
    raw: u8,
}

/// Upper bound on width and precision so a hostile format cannot allocate gigabytes.
const MAX_FIELD: usize = 1 << 16;

/// Parse the conversion starting right after a `%`. Returns the spec and the
/// number of bytes consumed (after the `%`), or `None` if it is not a complete
/// conversion.
fn parse_spec(s: &[u8]) -> Option<(Spec, usize)> {
    let mut spec = Spec::default();
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        match c {
            b'-' => spec.left = true,
            b'+' => spec.plus = true,
            b' ' => spec.space = true,
            b'#' => spec.alt = true,
            b'0' => spec.zero = true,
            _ => break,
        }
        i += 1;
    }
    let digits = |i: &mut usize| {
        let mut n: usize = 0;
        while let Some(d) = s.get(*i).filter(|c| c.is_ascii_digit()) {
            n = (n * 10 + usize::from(d - b'0')).min(MAX_FIELD);
            *i += 1;
        }
        n
    };
    spec.width = digits(&mut i);
    if s.get(i) == Some(&b'.') {
        i += 1;
        spec.precision = Some(digits(&mut i));
    }
    spec.int_bits = 32;
    for m in [&b"hh"[..], b"ll", b"h", b"l", b"j", b"z", b"t", b"L", b"q"] {
        if s[i..].starts_with(m) {
            i += m.len();
            spec.int_bits = match m {
                b"hh" => 8,
                b"h" => 16,
                _ => 64,
            };
            break;
        }
    }
    let conv = *s.get(i)?;
    if conv == b'g' {
        // Only `%gr`; a lone `%g` is no conversion.
        return (s.get(i + 1) == Some(&b'r')).then(|| {
            spec.conv = b'g';
            (spec, i + 2)
        });
    }
    matches!(
        conv,
        b'd' | b'i' | b'u' | b'o' | b'x' | b'X' | b'c' | b's' | b'p' | b'r'
    )
    .then(|| {
        spec.conv = conv;
        let mut used = i + 1;
        if conv == b'r' {
            if let Some(&m @ (b'x' | b'h')) = s.get(used) {
                spec.raw = m;
                used += 1;
            }
        }
        (spec, used)
    })
}

/// Format `fmt` with `args` into bytes.
pub fn format(fmt: &str, args: &[Arg]) -> Vec<u8> {
    let fmt = fmt.as_bytes();
    let mut out = Vec::with_capacity(fmt.len() + 16);
    let mut args = args.iter();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        if fmt.get(i + 1) == Some(&b'%') {
            out.push(b'%');
            i += 2;
            continue;
        }
        match parse_spec(&fmt[i + 1..]) {
            Some((spec, used)) => {
                let end = i + 1 + used;
                match args.next() {
                    Some(arg) => format_one(&mut out, &spec, arg),
                    None => out.extend_from_slice(&fmt[i..end]),
                }
                i = end;
            }
            None => {
                out.push(b'%');
                i += 1;
            }
        }
    }
    out
}

/// Number of arguments `fmt` consumes (what [`format`] expects).
pub fn count_conversions(fmt: &str) -> usize {
    let fmt = fmt.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < fmt.len() {
        if fmt[i] == b'%' {
            if fmt.get(i + 1) == Some(&b'%') {
                i += 2;
                continue;
            }
            if let Some((_, used)) = parse_spec(&fmt[i + 1..]) {
                n += 1;
                i += 1 + used;
                continue;
            }
        }
        i += 1;
    }
    n
}

fn format_one(out: &mut Vec<u8>, spec: &Spec, arg: &Arg) {
    if let Arg::Enum {
        bits,
        size,
        signed,
        name,
    } = arg
    {
        let as_int = Arg::Int {
            bits: *bits,
            size: *size,
            signed: *signed,
        };
        let shown = match name {
            Some(n) if spec.conv == b's' => Arg::Str(n.clone()),
            _ => as_int,
        };
        return format_one(out, spec, &shown);
    }
    match spec.conv {
        b'd' | b'i' => {
            let v = signed_value(arg, spec.int_bits);
            let sign: &[u8] = if v < 0 {
                b"-"
            } else if spec.plus {
                b"+"
            } else if spec.space {
                b" "
            } else {
                b""
            };
            let digits = shown_digits(spec, v.unsigned_abs().to_string().into_bytes());
            pad_number(out, spec, sign, &digits);
        }
        b'u' | b'o' | b'x' | b'X' => {
            let v = unsigned_value(arg, spec.int_bits);
            let digits = match spec.conv {
                b'u' => v.to_string(),
                b'o' => format!("{v:o}"),
                b'x' => format!("{v:x}"),
                _ => format!("{v:X}"),
            }
            .into_bytes();
            let mut digits = shown_digits(spec, digits);
            let mut prefix: &[u8] = b"";
            if spec.alt {
                match spec.conv {
                    b'x' if v != 0 => prefix = b"0x",
                    b'X' if v != 0 => prefix = b"0X",
                    // `#o` makes the first digit a zero (raising the precision if needed).
                    b'o' if spec.precision.unwrap_or(0) <= digits.len()
                        && digits.first() != Some(&b'0') =>
                    {
                        digits.insert(0, b'0');
                    }
                    _ => {}
                }
            }
            pad_number(out, spec, prefix, &digits);
        }
        b'p' => {
            let v = match arg {
                Arg::Ptr(p) => *p,
                Arg::Int { bits, .. } | Arg::Enum { bits, .. } => *bits,
                Arg::Str(_) => 0,
            };
            if v == 0 {
                pad(out, spec, b"(nil)");
            } else {
                let sign: &[u8] = if spec.plus {
                    b"+0x"
                } else if spec.space {
                    b" 0x"
                } else {
                    b"0x"
                };
                let digits = shown_digits(spec, format!("{v:x}").into_bytes());
                pad_number(out, spec, sign, &digits);
            }
        }
        b'r' => {
            let bytes = match arg {
                Arg::Str(s) => s.as_slice(),
                _ => &[],
            };
            let text = crate::fmtvals::buf_text(bytes, spec.raw == b'x', spec.raw == b'h');
            pad(out, spec, &text);
        }
        b'g' => {
            let flags = match arg {
                Arg::Int { bits, .. } | Arg::Enum { bits, .. } | Arg::Ptr(bits) => *bits,
                Arg::Str(_) => 0,
            };
            let text = crate::gfp::format(flags).into_bytes();
            let shown = match spec.precision {
                Some(p) => &text[..p.min(text.len())],
                None => &text[..],
            };
            pad(out, spec, shown);
        }
        b'c' => {
            let byte = match arg {
                Arg::Int { bits, .. } | Arg::Enum { bits, .. } | Arg::Ptr(bits) => *bits as u8,
                Arg::Str(s) => s.first().copied().unwrap_or(0),
            };
            pad(out, spec, &[byte]);
        }
        _ => {
            // `s`: strings as they are; integers print as decimal, as bpftrace does
            // for values it cannot symbolize.
            let text = match arg {
                Arg::Str(s) => s.clone(),
                Arg::Int { bits, signed, .. } | Arg::Enum { bits, signed, .. } => {
                    if *signed {
                        (*bits as i64).to_string().into_bytes()
                    } else {
                        bits.to_string().into_bytes()
                    }
                }
                Arg::Ptr(p) => format!("0x{p:x}").into_bytes(),
            };
            let shown = match spec.precision {
                Some(p) => &text[..p.min(text.len())],
                None => &text[..],
            };
            pad(out, spec, shown);
        }
    }
}

/// The argument as C's `%d` sees it after promotion.
fn signed_value(arg: &Arg, int_bits: u32) -> i64 {
    let v = match *arg {
        Arg::Int { bits, size, .. } | Arg::Enum { bits, size, .. } if size <= 4 => {
            i64::from(bits as u32 as i32)
        }
        Arg::Int { bits, .. } | Arg::Enum { bits, .. } | Arg::Ptr(bits) => bits as i64,
        Arg::Str(_) => 0,
    };
    match int_bits {
        8 => i64::from(v as i8),
        16 => i64::from(v as i16),
        32 => i64::from(v as i32),
        _ => v,
    }
}

/// The argument as C's `%u`/`%x`/`%o` sees it after promotion.
fn unsigned_value(arg: &Arg, int_bits: u32) -> u64 {
    let v = match *arg {
        Arg::Int { bits, size, .. } | Arg::Enum { bits, size, .. } if size <= 4 => {
            u64::from(bits as u32)
        }
        Arg::Int { bits, .. } | Arg::Enum { bits, .. } | Arg::Ptr(bits) => bits,
        Arg::Str(_) => 0,
    };
    match int_bits {
        8 => u64::from(v as u8),
        16 => u64::from(v as u16),
        32 => u64::from(v as u32),
        _ => v,
    }
}

/// C prints no digits for a zero value with precision 0.
fn shown_digits(spec: &Spec, digits: Vec<u8>) -> Vec<u8> {
    if spec.precision == Some(0) && digits == b"0" {
        Vec::new()
    } else {
        digits
    }
}

/// Lay out `prefix` (sign or `0x`) and `digits` with C's precision, zero-padding and width rules.
fn pad_number(out: &mut Vec<u8>, spec: &Spec, prefix: &[u8], digits: &[u8]) {
    let precision_zeros = spec.precision.map_or(0, |p| p.saturating_sub(digits.len()));
    let body = prefix.len() + precision_zeros + digits.len();
    let fill = spec.width.saturating_sub(body);
    let zero_pad = spec.zero && !spec.left && spec.precision.is_none();
    if !spec.left && !zero_pad {
        out.resize(out.len() + fill, b' ');
    }
    out.extend_from_slice(prefix);
    if zero_pad {
        out.resize(out.len() + fill, b'0');
    }
    out.resize(out.len() + precision_zeros, b'0');
    out.extend_from_slice(digits);
    if spec.left {
        out.resize(out.len() + fill, b' ');
    }
}

/// Pad text to the width with spaces.
fn pad(out: &mut Vec<u8>, spec: &Spec, text: &[u8]) {
    let fill = spec.width.saturating_sub(text.len());
    if !spec.left {
        out.resize(out.len() + fill, b' ');
    }
    out.extend_from_slice(text);
    if spec.left {
        out.resize(out.len() + fill, b' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    fn f(fmt: &str, args: &[Arg]) -> String {
        String::from_utf8(format(fmt, args)).unwrap()
    }

    /// The C library's answer for one integer conversion, as the oracle.
    fn c_long(spec: &str, v: i64) -> String {
        let fmt = CString::new(spec).unwrap();
        let mut buf = vec![0u8; 256];
        // SAFETY: buf is large enough for these short conversions; the format takes one long.
        let n = unsafe {
            libc::snprintf(
                buf.as_mut_ptr().cast(),
                buf.len(),
                fmt.as_ptr(),
                v as libc::c_long,
            )
        };
        buf.truncate(n as usize);
        String::from_utf8(buf).unwrap()
    }

    fn c_int(spec: &str, v: i32) -> String {
        let fmt = CString::new(spec).unwrap();
        let mut buf = vec![0u8; 256];
        // SAFETY: as above, with one int argument.
        let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), v) };
        buf.truncate(n as usize);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn integers_match_the_c_library() {
        let flags = ["", "-", "+", " ", "#", "0", "-0", "+0", "#0", "- ", "#-"];
        let widths = ["", "1", "6", "12"];
        let precisions = ["", ".0", ".1", ".4", ".10"];
        let values: [i64; 9] = [0, 1, -1, 7, -42, 255, i64::MAX, i64::MIN, 0x1234_5678_9abc];
        for conv in ["d", "i", "u", "o", "x", "X"] {
            for fl in flags {
                for w in widths {
                    for p in precisions {
                        for v in values {
                            let ours = format!("%{fl}{w}{p}{conv}");
                            let long = format!("%{fl}{w}{p}l{conv}");
                            assert_eq!(f(&long, &[Arg::int(v)]), c_long(&long, v), "{long} of {v}");
                            // Without a length modifier the value is an `int`, as in C
                            // (and bpftrace).
                            assert_eq!(
                                f(&ours, &[Arg::int(v)]),
                                c_int(&ours, v as i32),
                                "{ours} of {v}"
                            );
                            let small = v as i32;
                            let arg = Arg::Int {
                                bits: i64::from(small) as u64,
                                size: 4,
                                signed: true,
                            };
                            assert_eq!(f(&ours, &[arg]), c_int(&ours, small), "{ours} of {small}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn small_ints_promote_like_c() {
        let m3 = Arg::Int {
            bits: (-3i64) as u64,
            size: 1,
            signed: true,
        };
        assert_eq!(
            f("%d %u %x", &[m3.clone(), m3.clone(), m3]),
            "-3 4294967293 fffffffd"
        );
        let u200 = Arg::Int {
            bits: 200,
            size: 1,
            signed: false,
        };
        assert_eq!(f("%d", &[u200]), "200");
        assert_eq!(f("%d", &[Arg::uint(u64::MAX)]), "-1");
        assert_eq!(f("%ld", &[Arg::uint(u64::MAX)]), "-1");
        assert_eq!(
            f("%lu %llx", &[Arg::int(-1), Arg::int(-1)]),
            "18446744073709551615 ffffffffffffffff"
        );
    }

    #[test]
    fn length_modifiers_narrow_like_c() {
        for m in ["l", "ll", "j", "z", "t"] {
            assert_eq!(
                f(&format!("%{m}d"), &[Arg::int(5_000_000_000)]),
                "5000000000",
                "{m}"
            );
        }
        let x = Arg::int(0x12_3456_78ab_cdef);
        assert_eq!(
            f(
                "%hhx %hx %x %jx %d %hd %hhd",
                &[
                    x.clone(),
                    x.clone(),
                    x.clone(),
                    x.clone(),
                    x.clone(),
                    x.clone(),
                    x
                ]
            ),
            "ef cdef 78abcdef 12345678abcdef 2024525295 -12817 -17"
        );
        assert_eq!(
            f("%hhd|%-3hhu|", &[Arg::int(300), Arg::int(300)]),
            "44|44 |"
        );
    }

    #[test]
    fn strings() {
        let s = Arg::str("hello");
        assert_eq!(f("[%s]", std::slice::from_ref(&s)), "[hello]");
        assert_eq!(f("[%10s]", std::slice::from_ref(&s)), "[     hello]");
        assert_eq!(f("[%-10s]", std::slice::from_ref(&s)), "[hello     ]");
        assert_eq!(f("[%.2s]", std::slice::from_ref(&s)), "[he]");
        assert_eq!(f("[%5.1s]", std::slice::from_ref(&s)), "[    h]");
        assert_eq!(f("[%.0s]", &[s]), "[]");
        assert_eq!(f("%s", &[Arg::int(-5)]), "-5");
        assert_eq!(
            format("%s", &[Arg::Str(vec![0xff, b'a'])]),
            vec![0xff, b'a']
        );
    }

    #[test]
    fn chars_pointers_and_percent() {
        assert_eq!(f("%c%c", &[Arg::int(65), Arg::int(0x142)]), "AB");
        assert_eq!(f("[%3c]", &[Arg::int(b'x'.into())]), "[  x]");
        assert_eq!(f("%p", &[Arg::Ptr(0)]), "(nil)");
        assert_eq!(f("%p", &[Arg::Ptr(4096)]), "0x1000");
        assert_eq!(f("[%10p]", &[Arg::Ptr(0xff)]), "[      0xff]");
        assert_eq!(f("[%-8p]", &[Arg::Ptr(0)]), "[(nil)   ]");
        assert_eq!(f("100%% %d%%", &[Arg::int(5)]), "100% 5%");
    }

    #[test]
    fn unknown_and_missing_conversions_stay_literal() {
        assert_eq!(f("%d %s %y\n", &[Arg::int(1), Arg::str("a")]), "1 a %y\n");
        assert_eq!(f("%d %d", &[Arg::int(1)]), "1 %d");
        assert_eq!(f("trailing %", &[]), "trailing %");
        assert_eq!(f("%-5", &[Arg::int(1)]), "%-5");
        assert_eq!(f("no args\n", &[]), "no args\n");
    }

    #[test]
    fn gfp_flags() {
        assert_eq!(f("GFPFlags: %gr\n", &[Arg::uint(1)]), "GFPFlags: GFP_DMA\n");
        assert_eq!(
            f("[%-9gr][%3gr]", &[Arg::uint(1), Arg::uint(0)]),
            "[GFP_DMA  ][  0]"
        );
        // A lone %g is no conversion: copied, and consumes nothing.
        assert_eq!(f("%g %d", &[Arg::int(7)]), "%g 7");
        assert_eq!(count_conversions("%gr %g"), 1);
    }

    #[test]
    fn huge_widths_are_capped() {
        let out = format("%999999999d", &[Arg::int(1)]);
        assert_eq!(out.len(), MAX_FIELD);
    }

    #[test]
    fn counts_conversions() {
        assert_eq!(count_conversions("%d %s %% %-5.2lx %y %"), 3);
        assert_eq!(count_conversions("plain"), 0);
    }
}
