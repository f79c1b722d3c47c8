//! Tokens of the C subset, with the preprocessor lines it understands:
//! `#include` (ignored: the subset needs no header), `#pragma`, and object-like
//! `#define NAME tokens`, whose uses are replaced by the tokens.

use super::unsupported;
use crate::diag::Diagnostic;
use crate::front::ast::Span;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Int(u64),
    Punct(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Punctuators, longest first.
const PUNCTS: &[&str] = &[
    "<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=",
    "-=", "*=", "/=", "%=", "&=", "|=", "^=", "(", ")", "{", "}", "[", "]", ";", ",", "+", "-",
    "*", "/", "%", "&", "|", "^", "~", "!", "<", ">", "=", "?", ":", ".",
];

/// How deep `#define` uses may nest.
const MAX_EXPANSION: usize = 32;

pub fn lex(text: &str, base: usize) -> Result<Vec<Token>, Vec<Diagnostic>> {
    let mut lx = Lexer {
        text,
        base,
        pos: 0,
        line_start: true,
        defines: HashMap::new(),
        diags: Vec::new(),
        out: Vec::new(),
    };
    lx.run();
    if lx.diags.is_empty() {
        Ok(lx.out)
    } else {
        Err(lx.diags)
    }
}

struct Lexer<'a> {
    text: &'a str,
    base: usize,
    pos: usize,
    /// Nothing but whitespace since the last newline.
    line_start: bool,
    defines: HashMap<String, Vec<Token>>,
    diags: Vec<Diagnostic>,
    out: Vec<Token>,
}

impl Lexer<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    fn run(&mut self) {
        while self.pos < self.text.len() {
            let rest = &self.text[self.pos..];
            let c = rest.chars().next().unwrap_or(' ');
            if c == '\n' {
                self.line_start = true;
                self.pos += 1;
            } else if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if rest.starts_with("//") {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if let Some(after) = rest.strip_prefix("/*") {
                match after.find("*/") {
                    Some(i) => self.pos += i + 4,
                    None => {
                        let sp = self.span(self.pos, self.pos + 2);
                        self.diags
                            .push(Diagnostic::error(sp, "unterminated comment"));
                        return;
                    }
                }
            } else if c == '#' && self.line_start {
                self.directive();
            } else {
                self.line_start = false;
                let start = self.pos;
                match self.token() {
                    Some(tok) => {
                        let span = self.span(start, self.pos);
                        self.emit(Token { tok, span }, 0);
                    }
                    None => return,
                }
            }
        }
    }

    /// Append `t`, replacing a defined name by its tokens (located at the use).
    fn emit(&mut self, t: Token, depth: usize) {
        if let Tok::Ident(name) = &t.tok {
            if let Some(body) = self.defines.get(name).cloned() {
                if depth >= MAX_EXPANSION {
                    self.diags.push(unsupported(t.span, "a recursive #define"));
                    return;
                }
                for mut b in body {
                    b.span = t.span;
                    self.emit(b, depth + 1);
                }
                return;
            }
        }
        self.out.push(t);
    }

    /// One token at `pos`, or `None` after an error.
    fn token(&mut self) -> Option<Tok> {
        let rest = &self.text[self.pos..];
        let c = rest.chars().next()?;
        if c.is_ascii_alphabetic() || c == '_' {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            self.pos += len;
            return Some(Tok::Ident(rest[..len].to_string()));
        }
        if c.is_ascii_digit() {
            return self.number();
        }
        if c == '\'' {
            return self.char_literal();
        }
        if let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            self.pos += p.len();
            return Some(Tok::Punct(p));
        }
        let sp = self.span(self.pos, self.pos + c.len_utf8());
        let what = if c == '"' {
            "a string literal".to_string()
        } else {
            format!("the character `{c}`")
        };
        self.diags.push(unsupported(sp, &what));
        None
    }

    fn number(&mut self) -> Option<Tok> {
        let rest = &self.text[self.pos..];
        let len = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .unwrap_or(rest.len());
        let word = &rest[..len];
        let start = self.pos;
        self.pos += len;
        let digits = word.trim_end_matches(['u', 'U', 'l', 'L']);
        let value = if let Some(hex) = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            u64::from_str_radix(hex, 16).ok()
        } else if let Some(bin) = digits
            .strip_prefix("0b")
            .or_else(|| digits.strip_prefix("0B"))
        {
            u64::from_str_radix(bin, 2).ok()
        } else if digits.len() > 1 && digits.starts_with('0') {
            u64::from_str_radix(&digits[1..], 8).ok()
        } else {
            digits.parse().ok()
        };
        match value {
            Some(v) => Some(Tok::Int(v)),
            None => {
                let sp = self.span(start, self.pos);
                self.diags
                    .push(unsupported(sp, &format!("the number `{word}`")));
                None
            }
        }
    }

    fn char_literal(&mut self) -> Option<Tok> {
        let rest = &self.text[self.pos..];
        let start = self.pos;
        let (value, len) = match rest.as_bytes() {
            [b'\'', b'\\', e, b'\'', ..] => {
                let v = match e {
                    b'n' => Some(b'\n'),
                    b't' => Some(b'\t'),
                    b'r' => Some(b'\r'),
                    b'0' => Some(0),
                    b'\\' => Some(b'\\'),
                    b'\'' => Some(b'\''),
                    b'"' => Some(b'"'),
                    _ => None,
                };
                (v, 4)
            }
            [b'\'', c, b'\'', ..] if c.is_ascii() && *c != b'\\' => (Some(*c), 3),
            _ => (None, 1),
        };
        self.pos += len;
        match value {
            Some(v) => Some(Tok::Int(u64::from(v))),
            None => {
                let sp = self.span(start, self.pos);
                self.diags.push(unsupported(sp, "this character literal"));
                None
            }
        }
    }

    /// A `#` line (with backslash continuations).
    fn directive(&mut self) {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut end = start;
        while end < bytes.len() && !(bytes[end] == b'\n' && (end == 0 || bytes[end - 1] != b'\\')) {
            end += 1;
        }
        self.pos = end;
        let line = self.text[start + 1..end].replace("\\\n", " ");
        let line = line.trim_start();
        let name_len = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(line.len());
        let (name, rest) = line.split_at(name_len);
        let name_span = self.span(start, start + 1 + name_len.max(1));
        match name {
            "include" | "pragma" | "" => {}
            "define" => self.define(rest, start, end),
            other => self.diags.push(unsupported(
                name_span,
                &format!("the preprocessor directive `#{other}`"),
            )),
        }
    }

    /// `#define NAME tokens`: lex the tokens in place of the line.
    fn define(&mut self, rest: &str, start: usize, end: usize) {
        let body = rest.trim_start();
        let name_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let name = body[..name_len].to_string();
        let span = self.span(start, end);
        if name.is_empty() {
            self.diags
                .push(Diagnostic::error(span, "macro name missing after #define"));
            return;
        }
        if body[name_len..].starts_with('(') {
            self.diags
                .push(unsupported(span, "a function-like #define"));
            return;
        }
        let value = body[name_len..].trim();
        let mut sub = Lexer {
            text: value,
            base: 0,
            pos: 0,
            line_start: false,
            defines: self.defines.clone(),
            diags: Vec::new(),
            out: Vec::new(),
        };
        sub.run();
        if !sub.diags.is_empty() {
            self.diags.push(unsupported(span, "this #define"));
            return;
        }
        self.defines.insert(name, sub.out);
    }
}

impl Tok {
    /// The token as written (a number in decimal).
    pub fn text(&self) -> String {
        match self {
            Tok::Ident(s) => s.clone(),
            Tok::Int(v) => v.to_string(),
            Tok::Punct(p) => (*p).to_string(),
        }
    }
}
