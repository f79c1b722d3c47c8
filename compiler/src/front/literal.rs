//! Decoding of integer and string literals. Both decoders report problems as
//! `(byte range relative to the literal, message)` so the lexer can place them.

use std::ops::Range;

/// A problem inside a literal: where (relative to the literal's first byte) and what.
pub type LitError = (Range<usize>, String);

/// Decode an integer literal as matched by `[0-9][0-9A-Za-z_]*`.
///
/// Accepted forms (see language.md, "Literals"): decimal, octal (leading `0`), hex
/// (`0x`/`0X`), scientific `<m>e<n>` (integer only), `_` separators anywhere after
/// the first digit, the C suffixes `U`, `L`, `UL`, `LL`, `ULL`, `LU`, `LLU` (any case,
/// ignored), and the duration suffixes `ns us ms s m h d` (value in nanoseconds).
pub fn parse_int(text: &str) -> Result<u64, LitError> {
    let whole = 0..text.len();
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    let too_large = || {
        (
            whole.clone(),
            format!("integer literal `{text}` is too large"),
        )
    };

    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        let end = hex
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(hex.len());
        let (num, suffix) = hex.split_at(end);
        if num.is_empty() {
            return Err((whole, format!("hexadecimal literal `{text}` has no digits")));
        }
        if !is_c_suffix(suffix) {
            return Err(bad_suffix(text, suffix));
        }
        return u64::from_str_radix(num, 16).map_err(|_| too_large());
    }

    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let (num, suffix) = digits.split_at(end);
    let value = parse_mantissa(num, text)?;

    if suffix.is_empty() || is_c_suffix(suffix) {
        return Ok(value);
    }
    if let Some(exp) = suffix.strip_prefix(['e', 'E']) {
        if !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit()) {
            let exp: u32 = exp.parse().map_err(|_| too_large())?;
            return 10u64
                .checked_pow(exp)
                .and_then(|p| value.checked_mul(p))
                .ok_or_else(too_large);
        }
        if exp.starts_with('-') || exp.starts_with('+') || exp.starts_with('.') {
            return Err((
                whole,
                format!("invalid integer literal `{text}`: the exponent must be a plain number"),
            ));
        }
    }
    if let Some(factor) = duration_factor(suffix) {
        return value.checked_mul(factor).ok_or_else(too_large);
    }
    Err(bad_suffix(text, suffix))
}

fn parse_mantissa(num: &str, text: &str) -> Result<u64, LitError> {
    let whole = 0..text.len();
    if num.len() > 1 && num.starts_with('0') {
        if let Some(pos) = num.find(['8', '9']) {
            let digit = &num[pos..pos + 1];
            return Err((
                whole,
                format!("invalid digit `{digit}` in octal literal `{text}`"),
            ));
        }
        return u64::from_str_radix(&num[1..], 8)
            .map_err(|_| (whole, format!("integer literal `{text}` is too large")));
    }
    num.parse::<u64>()
        .map_err(|_| (whole, format!("integer literal `{text}` is too large")))
}

fn is_c_suffix(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "" | "u" | "l" | "ul" | "lu" | "ll" | "ull" | "llu"
    )
}

fn duration_factor(s: &str) -> Option<u64> {
    Some(match s {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 3_600 * 1_000_000_000,
        "d" => 86_400 * 1_000_000_000,
        _ => return None,
    })
}

fn bad_suffix(text: &str, suffix: &str) -> LitError {
    (
        0..text.len(),
        format!("invalid suffix `{suffix}` on integer literal `{text}`"),
    )
}

/// Result of scanning a string literal.
pub struct ScannedString {
    /// Bytes consumed, from the opening quote to the closing quote inclusive (or to
    /// the end of the line when unterminated).
    pub len: usize,
    /// The decoded text (best effort when there were errors).
    pub value: String,
    pub errors: Vec<LitError>,
}

/// Scan a string literal; `text` starts at the opening `"`. Recognised escapes:
/// `\n \t \r \\ \" \'`, octal `\N`, `\NN`, `\NNN` (so `\0` is NUL) and hex `\xH`,
/// `\xHH`. A literal ends at the closing quote; a raw newline or the end of input
/// before it makes it unterminated.
pub fn scan_string(text: &str) -> ScannedString {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut errors = Vec::new();
    let mut i = 1;
    loop {
        match bytes.get(i) {
            None | Some(b'\n') => {
                errors.push((0..1, "unterminated string literal".to_string()));
                break;
            }
            Some(b'"') => {
                i += 1;
                break;
            }
            Some(b'\\') => {
                let start = i;
                i += 1;
                match bytes.get(i) {
                    Some(b'n') => out.push(b'\n'),
                    Some(b't') => out.push(b'\t'),
                    Some(b'r') => out.push(b'\r'),
                    Some(b'\\') => out.push(b'\\'),
                    Some(b'"') => out.push(b'"'),
                    Some(b'\'') => out.push(b'\''),
                    Some(b'0'..=b'7') => {
                        let n = count_while(&bytes[i..], 3, |b| (b'0'..=b'7').contains(&b));
                        let v = u32::from_str_radix(&text[i..i + n], 8).unwrap_or(u32::MAX);
                        i += n - 1;
                        match u8::try_from(v) {
                            Ok(b) => out.push(b),
                            Err(_) => errors.push((
                                start..i + 1,
                                format!(
                                    "octal escape `{}` is out of range (at most \\377)",
                                    &text[start..i + 1]
                                ),
                            )),
                        }
                    }
                    Some(b'x') => {
                        let n = count_while(&bytes[i + 1..], 2, |b| b.is_ascii_hexdigit());
                        if n == 0 {
                            errors.push((
                                start..i + 1,
                                "`\\x` must be followed by hexadecimal digits".to_string(),
                            ));
                        } else {
                            let v = u8::from_str_radix(&text[i + 1..i + 1 + n], 16).unwrap_or(0);
                            out.push(v);
                            i += n;
                        }
                    }
                    None | Some(b'\n') => continue, // reported as unterminated
                    Some(_) => {
                        let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
                        errors.push((
                            start..i + ch_len,
                            format!("unknown escape sequence `{}`", &text[start..i + ch_len]),
                        ));
                        i += ch_len - 1;
                    }
                }
                i += 1;
            }
            Some(_) => {
                let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
                out.extend_from_slice(&bytes[i..i + ch_len]);
                i += ch_len;
            }
        }
    }
    let value = match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => {
            errors.push((
                0..i,
                "string literal is not valid UTF-8 after decoding its escapes".to_string(),
            ));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    ScannedString {
        len: i,
        value,
        errors,
    }
}

fn count_while(bytes: &[u8], max: usize, pred: impl Fn(u8) -> bool) -> usize {
    bytes.iter().take(max).take_while(|&&b| pred(b)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_forms() {
        assert_eq!(parse_int("0"), Ok(0));
        assert_eq!(parse_int("42"), Ok(42));
        assert_eq!(parse_int("0x1f"), Ok(31));
        assert_eq!(parse_int("0XFF"), Ok(255));
        assert_eq!(parse_int("0123"), Ok(0o123));
        assert_eq!(parse_int("1_000_123_000"), Ok(1_000_123_000));
        assert_eq!(parse_int("2e3"), Ok(2000));
        assert_eq!(parse_int("123UL"), Ok(123));
        assert_eq!(parse_int("123ull"), Ok(123));
        assert_eq!(parse_int("0x10LL"), Ok(16));
        assert_eq!(parse_int("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn durations_are_nanoseconds() {
        assert_eq!(parse_int("1m"), Ok(60_000_000_000));
        assert_eq!(parse_int("5ms"), Ok(5_000_000));
        assert_eq!(parse_int("3us"), Ok(3_000));
        assert_eq!(parse_int("7ns"), Ok(7));
        assert_eq!(parse_int("2s"), Ok(2_000_000_000));
        assert_eq!(parse_int("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_int("1d"), Ok(86_400_000_000_000));
    }

    #[test]
    fn integer_errors() {
        let msg = |t| parse_int(t).unwrap_err().1;
        assert_eq!(
            msg("18446744073709551616"),
            "integer literal `18446744073709551616` is too large"
        );
        assert_eq!(msg("1e30"), "integer literal `1e30` is too large");
        assert_eq!(
            msg("1e99999999999"),
            "integer literal `1e99999999999` is too large"
        );
        assert_eq!(msg("0x"), "hexadecimal literal `0x` has no digits");
        assert_eq!(msg("09"), "invalid digit `9` in octal literal `09`");
        assert_eq!(
            msg("12abc"),
            "invalid suffix `abc` on integer literal `12abc`"
        );
        assert_eq!(msg("0x1g"), "invalid suffix `g` on integer literal `0x1g`");
        assert!(msg("99999999999d").contains("too large"));
    }

    #[test]
    fn string_escapes() {
        let s = scan_string(r#""a\n\t\r\\\"\'\0\101\x41\x4g" tail"#);
        assert!(s.errors.is_empty());
        assert_eq!(s.value, "a\n\t\r\\\"'\0AA\x04g");
        assert_eq!(s.len, r#""a\n\t\r\\\"\'\0\101\x41\x4g""#.len());
        let s = scan_string("\"\\033[31m\"");
        assert_eq!(s.value, "\x1b[31m");
        let s = scan_string("\"h\u{e9}llo\"");
        assert_eq!(s.value, "h\u{e9}llo");
        // UTF-8 spelled with hex escapes is fine.
        let s = scan_string(r#""\xc3\xa9""#);
        assert_eq!(s.value, "\u{e9}");
        assert!(s.errors.is_empty());
    }

    #[test]
    fn string_errors() {
        let s = scan_string("\"abc\nxyz\"");
        assert_eq!(s.errors, vec![(0..1, "unterminated string literal".into())]);
        assert_eq!(s.len, 4);
        let s = scan_string("\"abc");
        assert_eq!(s.errors[0].1, "unterminated string literal");
        let s = scan_string(r#""a\qb""#);
        assert_eq!(
            s.errors,
            vec![(2..4, "unknown escape sequence `\\q`".into())]
        );
        assert_eq!(s.value, "ab");
        let s = scan_string(r#""\777""#);
        assert_eq!(s.errors[0].0, 1..5);
        assert!(s.errors[0].1.contains("out of range"));
        let s = scan_string(r#""\xz""#);
        assert_eq!(s.errors[0].0, 1..3);
        let s = scan_string(r#""\xff""#);
        assert!(s.errors[0].1.contains("not valid UTF-8"));
        // a backslash at the very end
        let s = scan_string("\"\\");
        assert_eq!(s.errors[0].1, "unterminated string literal");
    }
}
