//! JSON numbers. Integers are kept as integers; a float is kept as its text and
//! converted only when asked for ([`Number::as_f64`]), so that a program which never
//! asks (tracerun: no metadata field is a float) links no float parser or printer.

use std::fmt;

/// A JSON number: a `u64`, a negative `i64`, or a float.
#[derive(Debug, Clone)]
pub struct Number(pub(super) N);

#[derive(Debug, Clone)]
pub(super) enum N {
    PosInt(u64),
    /// Always negative.
    NegInt(i64),
    /// Finite, in JSON syntax: as read, or as `serde_json` writes it when built.
    Float(Box<str>),
}

impl Number {
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            N::PosInt(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            N::PosInt(n) => i64::try_from(n).ok(),
            N::NegInt(n) => Some(n),
            N::Float(_) => None,
        }
    }
    pub fn as_f64(&self) -> f64 {
        match &self.0 {
            N::PosInt(n) => *n as f64,
            N::NegInt(n) => *n as f64,
            // JSON number syntax is a subset of what `f64::from_str` reads.
            N::Float(text) => text.parse().unwrap_or(f64::NAN),
        }
    }
    pub fn is_f64(&self) -> bool {
        matches!(self.0, N::Float(_))
    }
    /// A float; `None` for infinities and NaN, which JSON cannot hold.
    pub fn from_f64(f: f64) -> Option<Number> {
        if !f.is_finite() {
            return None;
        }
        let mut text = String::new();
        write_float(&mut text, f);
        Some(Number(N::Float(text.into())))
    }
    /// Write the number as JSON.
    pub(super) fn write(&self, out: &mut String) {
        use fmt::Write;
        let _ = match &self.0 {
            N::PosInt(n) => write!(out, "{n}"),
            N::NegInt(n) => write!(out, "{n}"),
            N::Float(text) => {
                out.push_str(text);
                Ok(())
            }
        };
    }
}

/// Integers are equal when their values are; floats when the values they denote are.
impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (&self.0, &other.0) {
            (N::PosInt(a), N::PosInt(b)) => a == b,
            (N::NegInt(a), N::NegInt(b)) => a == b,
            (N::Float(_), N::Float(_)) => self.as_f64() == other.as_f64(),
            _ => false,
        }
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Self {
        Number(N::PosInt(n))
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        match u64::try_from(n) {
            Ok(u) => Number(N::PosInt(u)),
            Err(_) => Number(N::NegInt(n)),
        }
    }
}

/// `2^1024 - 2^970`, halfway between `f64::MAX` and the next power of two: a decimal
/// number at or above it rounds to infinity (ties go to the even significand, 2^1024).
const OVERFLOW: &[u8] = b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// Whether a float in JSON syntax (`int`: its digits before the point, `frac` after it,
/// `exp` its exponent digits and whether they are negative) is too large for an `f64`.
pub(super) fn overflows(int: &[u8], frac: &[u8], exp: &[u8], exp_negative: bool) -> bool {
    // Every significant digit, and the power of ten just above the first one.
    let all = || int.iter().chain(frac).copied();
    let leading = all().take_while(|&d| d == b'0').count();
    let digits: Vec<u8> = all().skip(leading).collect();
    if digits.is_empty() {
        return false;
    }
    let place = int.len() as i64 - leading as i64;
    let e = exp.iter().fold(0i64, |e, &d| {
        e.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    let magnitude = place.saturating_add(if exp_negative { -e } else { e });
    let limit = OVERFLOW.len() as i64;
    if magnitude != limit {
        return magnitude > limit;
    }
    // Same number of integer digits as the bound: compare digit by digit.
    let significant = digits.len() - digits.iter().rev().take_while(|&&d| d == b'0').count();
    let digits = &digits[..significant];
    let bound =
        &OVERFLOW[..OVERFLOW.len() - OVERFLOW.iter().rev().take_while(|&&d| d == b'0').count()];
    digits >= bound
}

/// A finite float the way `serde_json` writes it: the shortest digits that read back
/// as `f`; plain notation (`0.00001`, `100.0`) when the first digit's power of ten is
/// within -5..=15, else `1.5e+16`, `1e-7`.
fn write_float(out: &mut String, f: f64) {
    use fmt::Write;
    if f.is_sign_negative() {
        out.push('-');
    }
    // `{:e}` gives the shortest digits: `1.2345e-5`, `1e16`.
    let mut sci = String::new();
    let _ = write!(sci, "{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    let len = digits.len() as i32;
    if !(-5..=15).contains(&exp) {
        out.push_str(&digits[..1]);
        if len > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 1..-exp {
            out.push('0');
        }
        out.push_str(&digits);
    } else if len <= exp + 1 {
        out.push_str(&digits);
        for _ in len..exp + 1 {
            out.push('0');
        }
        out.push_str(".0");
    } else {
        let point = (exp + 1) as usize;
        out.push_str(&digits[..point]);
        out.push('.');
        out.push_str(&digits[point..]);
    }
}
