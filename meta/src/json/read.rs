//! The reader: bytes to a [`Value`], or an [`Error`] saying where they stop being JSON.

use super::number::{self, Number, N};
use super::{Map, Value, DEPTH_LIMIT};
use std::fmt;

/// Why a text is not JSON, and where (1-based line and column of the byte at fault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub message: &'static str,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for Error {}

/// Parse one JSON value; only whitespace may surround it.
pub fn parse(text: &[u8]) -> Result<Value, Error> {
    let mut p = Parser { s: text, at: 0 };
    p.skip_ws();
    let v = p.value(DEPTH_LIMIT)?;
    p.skip_ws();
    if p.at < p.s.len() {
        return Err(p.error("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, message: &'static str) -> Error {
        self.error_at(self.at, message)
    }

    fn error_at(&self, at: usize, message: &'static str) -> Error {
        let upto = &self.s[..at.min(self.s.len())];
        let line = 1 + upto.iter().filter(|&&b| b == b'\n').count();
        let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        Error {
            message,
            line,
            column: upto.len() - line_start + 1,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Consume `c` (after whitespace) or fail with `message`.
    fn expect(&mut self, c: u8, message: &'static str) -> Result<(), Error> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else if self.peek().is_none() {
            Err(self.error("EOF while parsing"))
        } else {
            Err(self.error(message))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        match self.peek() {
            None => Err(self.error("EOF while parsing a value")),
            Some(b'n') => self.word(b"null", Value::Null),
            Some(b't') => self.word(b"true", Value::Bool(true)),
            Some(b'f') => self.word(b"false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(b'[') => {
                let depth = self.nest(depth)?;
                self.array(depth).map(Value::Array)
            }
            Some(b'{') => {
                let depth = self.nest(depth)?;
                self.object(depth).map(Value::Object)
            }
            Some(_) => Err(self.error("expected value")),
        }
    }

    fn nest(&mut self, depth: usize) -> Result<usize, Error> {
        if depth == 0 {
            return Err(self.error("recursion limit exceeded"));
        }
        self.at += 1;
        Ok(depth - 1)
    }

    fn word(&mut self, word: &[u8], v: Value) -> Result<Value, Error> {
        for &c in word {
            match self.peek() {
                Some(b) if b == c => self.at += 1,
                None => return Err(self.error("EOF while parsing a value")),
                Some(_) => return Err(self.error("expected ident")),
            }
        }
        Ok(v)
    }

    fn array(&mut self, depth: usize) -> Result<Vec<Value>, Error> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(items);
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(items);
                }
                None => return Err(self.error("EOF while parsing a list")),
                Some(_) => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Map, Error> {
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Map::new());
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("key must be a string")),
            }
            let key = self.string()?;
            self.expect(b':', "expected `:`")?;
            self.skip_ws();
            let v = self.value(depth)?;
            entries.push((key, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Map::from_entries(entries));
                }
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn number(&mut self) -> Result<Number, Error> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let int_start = self.at;
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error("invalid number"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            None => return Err(self.error("EOF while parsing a value")),
            Some(_) => return Err(self.error("invalid number")),
        }
        let int_end = self.at;
        let mut frac = int_end..int_end;
        let mut exp = int_end..int_end;
        let mut exp_negative = false;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.at += 1;
            let from = self.at;
            self.need_digit()?;
            frac = from..self.at;
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(sign @ (b'+' | b'-')) = self.peek() {
                exp_negative = sign == b'-';
                self.at += 1;
            }
            let from = self.at;
            self.need_digit()?;
            exp = from..self.at;
            float = true;
        }
        let int = &self.s[int_start..int_end];
        if !float {
            // Digits only: an integer unless it is too large for one.
            let mut n: Option<u64> = Some(0);
            for &d in int {
                n = n
                    .and_then(|n| n.checked_mul(10))
                    .and_then(|n| n.checked_add(u64::from(d - b'0')));
            }
            match (negative, n) {
                (false, Some(n)) => return Ok(Number(N::PosInt(n))),
                (true, Some(n)) if n != 0 && n <= 1 << 63 => {
                    return Ok(Number(N::NegInt((n as i64).wrapping_neg())));
                }
                _ => {}
            }
        }
        if number::overflows(int, &self.s[frac], &self.s[exp], exp_negative) {
            return Err(self.error_at(start, "number out of range"));
        }
        // ASCII digits, signs, `.` and `e` only.
        let text = String::from_utf8_lossy(&self.s[start..self.at]);
        Ok(Number(N::Float(text.into())))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    fn need_digit(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            None => Err(self.error("EOF while parsing a value")),
            Some(_) => Err(self.error("invalid number")),
        }
    }

    /// A string, the opening quote next.
    fn string(&mut self) -> Result<String, Error> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let run = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            let plain = std::str::from_utf8(&self.s[run..self.at])
                .map_err(|e| self.error_at(run + e.valid_up_to(), "invalid unicode code point"))?;
            out.push_str(plain);
            match self.peek() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                Some(_) => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
            }
        }
    }

    /// One escape, its backslash consumed.
    fn escape(&mut self) -> Result<char, Error> {
        let Some(c) = self.peek() else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.at += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                match hi {
                    0xD800..=0xDBFF => {
                        if self.s.get(self.at..self.at + 2) != Some(b"\\u") {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        self.at += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        let c =
                            0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
                        char::from_u32(c).ok_or_else(|| self.error("invalid unicode code point"))?
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.error("unexpected end of hex escape"));
                    }
                    _ => char::from_u32(u32::from(hi))
                        .ok_or_else(|| self.error("invalid unicode code point"))?,
                }
            }
            _ => {
                self.at -= 1;
                return Err(self.error("invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u16, Error> {
        let mut n = 0u16;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                None => return Err(self.error("EOF while parsing a string")),
                Some(_) => return Err(self.error("invalid escape")),
            };
            n = (n << 4) | u16::from(d);
            self.at += 1;
        }
        Ok(n)
    }
}
