//! C type definitions written at the top level of a script:
//!
//! ```c
//! struct Foo { int x; char c[4]; struct Bar { int y; } bar; unsigned long long f:3; } __attribute__((packed));
//! union U { int i; float f; };
//! enum E { A, B = 5, C };
//! typedef unsigned int my_t;
//! ```
//!
//! The lexer hands each definition over as one [`super::lexer::Tok::CDefinition`];
//! [`parse`] turns its text into [`CDecl`]s. Types are resolved (against earlier
//! definitions and kernel BTF) and laid out by `sema::script_types`.

use crate::diag::Diagnostic;
use crate::front::ast::Span;

/// One top-level C definition.
#[derive(Debug, Clone, PartialEq)]
pub enum CDecl {
    /// `struct Foo {...}`, `union U {...}`, or a forward declaration `struct Foo;`.
    Record(CRecord),
    /// `enum E {...}` or `enum {...}`.
    Enum(CEnum),
    /// `typedef T name;`.
    Typedef { name: String, ty: CType, span: Span },
}

/// A struct or union.
#[derive(Debug, Clone, PartialEq)]
pub struct CRecord {
    pub name: Option<String>,
    pub union: bool,
    /// `None` for a forward declaration.
    pub members: Option<Vec<CMember>>,
    /// `__attribute__((packed))`.
    pub packed: bool,
    pub span: Span,
}

/// A member of a struct or union; `name` is `None` for an anonymous struct/union.
#[derive(Debug, Clone, PartialEq)]
pub struct CMember {
    pub name: Option<String>,
    pub ty: CType,
    /// Width of a bitfield.
    pub bits: Option<u32>,
    pub span: Span,
    /// The member's name (where clang reports errors on it); `span` when anonymous.
    pub name_span: Span,
}

/// An enum and its enumerators with their values.
#[derive(Debug, Clone, PartialEq)]
pub struct CEnum {
    pub name: Option<String>,
    pub values: Vec<(String, i64)>,
    pub span: Span,
}

/// A C type as written.
#[derive(Debug, Clone, PartialEq)]
pub enum CType {
    /// A C integer type: its canonical spelling (`unsigned int`), size and sign.
    Int {
        name: String,
        size: u32,
        signed: bool,
    },
    Bool,
    Void,
    Float {
        size: u32,
    },
    /// A typedef name (`uint32_t`, `pid_t`, a script typedef).
    Named(String),
    /// `struct name`, with its definition when written inline.
    Record {
        name: Option<String>,
        union: bool,
        def: Option<Box<CRecord>>,
    },
    /// `enum name`, with its definition when written inline.
    Enum {
        name: Option<String>,
        def: Option<Box<CEnum>>,
    },
    Ptr(Box<CType>),
    Array(Box<CType>, u32),
    /// A function type (only useful behind a pointer).
    Func,
}

/// Parse the text of one top-level definition that starts at byte `base` of the script.
pub fn parse(text: &str, base: usize) -> Result<Vec<CDecl>, Diagnostic> {
    let toks = tokenize(text, base)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end: base + text.len(),
        enums: Vec::new(),
    };
    let mut out = Vec::new();
    while p.peek().is_some() {
        out.extend(p.definition()?);
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum CTok {
    Ident(String),
    Int(i64),
    Punct(&'static str),
}

fn tokenize(text: &str, base: usize) -> Result<Vec<(CTok, Span)>, Diagnostic> {
    const PUNCT: [&str; 22] = [
        "<<", ">>", "{", "}", "(", ")", "[", "]", ";", ",", ":", "*", "=", "+", "-", "~", "|", "&",
        "/", "^", "%", "!",
    ];
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        let c = bytes[i];
        let span = |len: usize| Span::new(base + i, base + i + len);
        if c.is_ascii_whitespace() {
            i += 1;
        } else if rest.starts_with("//") {
            i = rest.find('\n').map_or(text.len(), |n| i + n);
        } else if let Some(body) = rest.strip_prefix("/*") {
            match body.find("*/") {
                Some(n) => i += n + 4,
                None => return Err(Diagnostic::error(span(2), "unterminated comment")),
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            out.push((CTok::Ident(rest[..len].to_string()), span(len)));
            i += len;
        } else if c.is_ascii_digit() {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric()))
                .unwrap_or(rest.len());
            let digits = rest[..len].trim_end_matches(['u', 'U', 'l', 'L']);
            let v = if let Some(h) = digits
                .strip_prefix("0x")
                .or_else(|| digits.strip_prefix("0X"))
            {
                u64::from_str_radix(h, 16)
            } else if digits.len() > 1 && digits.starts_with('0') {
                u64::from_str_radix(&digits[1..], 8)
            } else {
                digits.parse::<u64>()
            };
            let Ok(v) = v else {
                return Err(Diagnostic::error(
                    span(len),
                    format!("invalid integer `{}`", &rest[..len]),
                ));
            };
            out.push((CTok::Int(v as i64), span(len)));
            i += len;
        } else if let Some(p) = PUNCT.iter().find(|p| rest.starts_with(**p)) {
            out.push((CTok::Punct(p), span(p.len())));
            i += p.len();
        } else {
            let ch = rest.chars().next().unwrap_or(' ');
            return Err(Diagnostic::error(
                span(ch.len_utf8()),
                format!("unexpected character `{ch}` in a C definition"),
            ));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(CTok, Span)>,
    pos: usize,
    /// End of the text, for errors at its end.
    end: usize,
    /// Enumerators seen so far, for values that refer to earlier ones.
    enums: Vec<(String, i64)>,
}

type R<T> = Result<T, Diagnostic>;

/// Qualifiers and storage words that do not change a type's layout.
const IGNORED: [&str; 8] = [
    "const",
    "volatile",
    "restrict",
    "__restrict",
    "static",
    "extern",
    "register",
    "inline",
];

impl Parser {
    fn peek(&self) -> Option<&CTok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn span(&self) -> Span {
        self.toks
            .get(self.pos)
            .map_or(Span::new(self.end, self.end), |t| t.1)
    }
    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(self.end, |t| t.1.end as usize)
    }
    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(CTok::Punct(q)) if *q == p)
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(CTok::Ident(q)) if q == w)
    }
    fn eat_punct(&mut self, p: &str) -> bool {
        let yes = self.is_punct(p);
        if yes {
            self.pos += 1;
        }
        yes
    }
    fn eat_word(&mut self, w: &str) -> bool {
        let yes = self.is_word(w);
        if yes {
            self.pos += 1;
        }
        yes
    }
    fn unexpected<T>(&self, what: &str) -> R<T> {
        let found = match self.peek() {
            None => "end of definition".to_string(),
            Some(CTok::Ident(s)) => format!("`{s}`"),
            Some(CTok::Int(v)) => format!("`{v}`"),
            Some(CTok::Punct(p)) => format!("`{p}`"),
        };
        Err(Diagnostic::error(
            self.span(),
            format!("syntax error in C definition: unexpected {found}, expected {what}"),
        ))
    }
    fn expect_punct(&mut self, p: &str) -> R<()> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            self.unexpected(&format!("`{p}`"))
        }
    }
    fn ident(&mut self) -> Option<String> {
        match self.peek() {
            Some(CTok::Ident(s)) => {
                let s = s.clone();
                self.pos += 1;
                Some(s)
            }
            _ => None,
        }
    }

    /// `__attribute__((...))` lists; whether one of them says `packed`.
    fn attributes(&mut self) -> R<bool> {
        let mut packed = false;
        while self.eat_word("__attribute__") || self.eat_word("__attribute") {
            self.expect_punct("(")?;
            let mut depth = 1;
            while depth > 0 {
                match self.peek() {
                    None => return self.unexpected("`)`"),
                    Some(CTok::Punct("(")) => depth += 1,
                    Some(CTok::Punct(")")) => depth -= 1,
                    Some(CTok::Ident(w)) if w == "packed" || w == "__packed__" => packed = true,
                    _ => {}
                }
                self.pos += 1;
            }
        }
        Ok(packed)
    }

    fn definition(&mut self) -> R<Vec<CDecl>> {
        let start = self.span();
        if self.eat_word("typedef") {
            let base = self.type_spec()?;
            let mut out = Vec::new();
            loop {
                let (name, ty) = self.declarator(base.clone())?;
                let Some(name) = name else {
                    return self.unexpected("a typedef name");
                };
                out.push(CDecl::Typedef {
                    name,
                    ty,
                    span: start.to(Span::new(start.start as usize, self.prev_end())),
                });
                if !self.eat_punct(",") {
                    break;
                }
            }
            self.expect_punct(";")?;
            return Ok(out);
        }
        let ty = self.type_spec()?;
        let packed = self.attributes()?;
        let _ = self.eat_punct(";");
        let mut out = Vec::new();
        match ty {
            CType::Record {
                name,
                union,
                def: None,
            } => out.push(CDecl::Record(CRecord {
                name,
                union,
                members: None,
                packed: false,
                span: start,
            })),
            CType::Record { def: Some(_), .. } | CType::Enum { def: Some(_), .. } => {
                let ty = match ty {
                    CType::Record {
                        name,
                        union,
                        def: Some(mut def),
                    } => {
                        def.packed |= packed;
                        CType::Record {
                            name,
                            union,
                            def: Some(def),
                        }
                    }
                    other => other,
                };
                collect_inline(&ty, &mut out);
            }
            CType::Enum { def: None, .. } => {}
            _ => {
                return Err(Diagnostic::error(
                    start,
                    "expected a struct, union, enum or typedef definition",
                ))
            }
        }
        Ok(out)
    }

    /// Base type: qualifiers, then a struct/union/enum, integer words or a name.
    fn type_spec(&mut self) -> R<CType> {
        while IGNORED.iter().any(|w| self.is_word(w)) {
            self.pos += 1;
        }
        let start = self.span();
        let ty = if self.is_word("struct") || self.is_word("union") {
            let union = self.is_word("union");
            self.pos += 1;
            let pre_packed = self.attributes()?;
            let name = self.ident();
            let def = if self.is_punct("{") {
                let members = self.members()?;
                let packed = self.attributes()? || pre_packed;
                Some(Box::new(CRecord {
                    name: name.clone(),
                    union,
                    members: Some(members),
                    packed,
                    span: start.to(Span::new(start.start as usize, self.prev_end())),
                }))
            } else if name.is_none() {
                return self.unexpected("a struct name or `{`");
            } else {
                None
            };
            CType::Record { name, union, def }
        } else if self.eat_word("enum") {
            let name = self.ident();
            let def = if self.eat_punct("{") {
                let values = self.enumerators()?;
                Some(Box::new(CEnum {
                    name: name.clone(),
                    values,
                    span: start.to(Span::new(start.start as usize, self.prev_end())),
                }))
            } else if name.is_none() {
                return self.unexpected("an enum name or `{`");
            } else {
                None
            };
            CType::Enum { name, def }
        } else {
            self.simple_type()?
        };
        while IGNORED.iter().any(|w| self.is_word(w)) {
            self.pos += 1;
        }
        Ok(ty)
    }

    /// Integer words (`unsigned long long`), `void`, `bool`, `float`, or a typedef name.
    fn simple_type(&mut self) -> R<CType> {
        let (mut signed, mut unsigned, mut longs) = (false, false, 0);
        let (mut short, mut char, mut int, mut any) = (false, false, false, false);
        while let Some(CTok::Ident(w)) = self.peek() {
            match w.as_str() {
                "signed" | "__signed__" => signed = true,
                "unsigned" => unsigned = true,
                "long" => longs += 1,
                "short" => short = true,
                "char" => char = true,
                "int" => int = true,
                _ if IGNORED.contains(&w.as_str()) => {}
                _ => break,
            }
            any = true;
            self.pos += 1;
        }
        if any {
            let _ = int;
            let (size, base) = if char {
                (1, "char")
            } else if short {
                (2, "short")
            } else if longs >= 2 {
                (8, "long long")
            } else if longs == 1 {
                (8, "long")
            } else {
                (4, "int")
            };
            let name = match (unsigned, signed && char) {
                (true, _) => format!("unsigned {base}"),
                (false, true) => "signed char".to_string(),
                (false, false) => base.to_string(),
            };
            return Ok(CType::Int {
                name,
                size,
                signed: !unsigned,
            });
        }
        let Some(name) = self.ident() else {
            return self.unexpected("a type");
        };
        Ok(match name.as_str() {
            "void" => CType::Void,
            "bool" | "_Bool" => CType::Bool,
            "float" => CType::Float { size: 4 },
            "double" => CType::Float { size: 8 },
            _ => CType::Named(name),
        })
    }

    /// `{ member; ... }`.
    fn members(&mut self) -> R<Vec<CMember>> {
        self.expect_punct("{")?;
        let mut out = Vec::new();
        while !self.eat_punct("}") {
            if self.peek().is_none() {
                return self.unexpected("`}`");
            }
            if self.eat_punct(";") {
                continue;
            }
            let start = self.span();
            let base = self.type_spec()?;
            if self.eat_punct(";") {
                // An anonymous struct/union member (or a nested definition alone).
                if let CType::Record { name: None, .. } = base {
                    out.push(CMember {
                        name: None,
                        ty: base,
                        bits: None,
                        span: start,
                        name_span: start,
                    });
                }
                continue;
            }
            loop {
                let decl_pos = self.pos;
                let (name, ty) = self.declarator(base.clone())?;
                let name_span = self.toks[decl_pos..self.pos]
                    .iter()
                    .find(|(t, _)| matches!((t, &name), (CTok::Ident(i), Some(n)) if i == n))
                    .map_or(start, |t| t.1);
                let bits = if self.eat_punct(":") {
                    let v = self.const_expr()?;
                    Some(u32::try_from(v).unwrap_or(u32::MAX))
                } else {
                    None
                };
                let _ = self.attributes()?;
                out.push(CMember {
                    name,
                    ty,
                    bits,
                    span: start.to(Span::new(start.start as usize, self.prev_end())),
                    name_span,
                });
                if !self.eat_punct(",") {
                    break;
                }
            }
            // The last member may lack its `;` (`struct A { int a; char c[28] }`).
            if !self.eat_punct(";") && !self.is_punct("}") {
                return self.unexpected("`;`");
            }
        }
        Ok(out)
    }

    /// `A, B = 5, C` up to the closing `}` (already past the `{`).
    fn enumerators(&mut self) -> R<Vec<(String, i64)>> {
        let mut out = Vec::new();
        let mut next = 0i64;
        while !self.eat_punct("}") {
            let Some(name) = self.ident() else {
                return self.unexpected("an enumerator name");
            };
            if self.eat_punct("=") {
                next = self.const_expr()?;
            }
            out.push((name.clone(), next));
            self.enums.push((name, next));
            next = next.wrapping_add(1);
            if !self.eat_punct(",") && !self.is_punct("}") {
                return self.unexpected("`,` or `}`");
            }
        }
        Ok(out)
    }

    /// `*`s, a name (or `(*name)(params)`), array dimensions.
    fn declarator(&mut self, base: CType) -> R<(Option<String>, CType)> {
        let mut ty = base;
        loop {
            if self.eat_punct("*") {
                ty = CType::Ptr(Box::new(ty));
            } else if IGNORED.iter().any(|w| self.is_word(w)) {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.eat_punct("(") {
            // A function pointer: `(*name)(params)`.
            let mut ptrs = 0;
            while self.eat_punct("*") {
                ptrs += 1;
            }
            let name = self.ident();
            let dims = self.dims()?;
            self.expect_punct(")")?;
            if self.is_punct("(") {
                self.skip_group()?;
            }
            let mut t = CType::Func;
            for _ in 0..ptrs {
                t = CType::Ptr(Box::new(t));
            }
            return Ok((name, wrap_dims(t, &dims)));
        }
        let name = self.ident();
        let dims = self.dims()?;
        Ok((name, wrap_dims(ty, &dims)))
    }

    fn dims(&mut self) -> R<Vec<u32>> {
        let mut dims = Vec::new();
        while self.eat_punct("[") {
            let n = if self.is_punct("]") {
                0
            } else {
                self.const_expr()?
            };
            self.expect_punct("]")?;
            let Ok(n) = u32::try_from(n) else {
                return Err(Diagnostic::error(self.span(), "invalid array size"));
            };
            dims.push(n);
        }
        Ok(dims)
    }

    /// Skips a balanced `(...)`.
    fn skip_group(&mut self) -> R<()> {
        let mut depth = 0;
        loop {
            match self.peek() {
                None => return self.unexpected("`)`"),
                Some(CTok::Punct("(")) => depth += 1,
                Some(CTok::Punct(")")) => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// A constant integer expression (enumerator values, array sizes, bit widths).
    fn const_expr(&mut self) -> R<i64> {
        self.binary(0)
    }

    fn binary(&mut self, min_prec: u8) -> R<i64> {
        let mut lhs = self.unary()?;
        while let Some(CTok::Punct(p)) = self.peek() {
            let (op, prec) = match *p {
                "|" => ("|", 1),
                "^" => ("^", 2),
                "&" => ("&", 3),
                "<<" | ">>" => (*p, 4),
                "+" | "-" => (*p, 5),
                "*" | "/" | "%" => (*p, 6),
                _ => break,
            };
            if prec < min_prec {
                break;
            }
            let at = self.span();
            self.pos += 1;
            let rhs = self.binary(prec + 1)?;
            lhs = match op {
                "|" => lhs | rhs,
                "^" => lhs ^ rhs,
                "&" => lhs & rhs,
                "<<" => lhs.wrapping_shl(rhs as u32),
                ">>" => lhs.wrapping_shr(rhs as u32),
                "+" => lhs.wrapping_add(rhs),
                "-" => lhs.wrapping_sub(rhs),
                "*" => lhs.wrapping_mul(rhs),
                _ if rhs == 0 => return Err(Diagnostic::error(at, "division by zero")),
                "/" => lhs.wrapping_div(rhs),
                _ => lhs.wrapping_rem(rhs),
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> R<i64> {
        if self.eat_punct("-") {
            return Ok(self.unary()?.wrapping_neg());
        }
        if self.eat_punct("+") {
            return self.unary();
        }
        if self.eat_punct("~") {
            return Ok(!self.unary()?);
        }
        if self.eat_punct("!") {
            return Ok(i64::from(self.unary()? == 0));
        }
        if self.eat_punct("(") {
            let v = self.const_expr()?;
            self.expect_punct(")")?;
            return Ok(v);
        }
        match self.peek().cloned() {
            Some(CTok::Int(v)) => {
                self.pos += 1;
                Ok(v)
            }
            Some(CTok::Ident(name)) => match self.enums.iter().rev().find(|(n, _)| *n == name) {
                Some(&(_, v)) => {
                    self.pos += 1;
                    Ok(v)
                }
                None => Err(Diagnostic::error(
                    self.span(),
                    format!("unknown constant `{name}` in a C definition"),
                )),
            },
            _ => self.unexpected("a constant"),
        }
    }
}

fn wrap_dims(mut ty: CType, dims: &[u32]) -> CType {
    for &n in dims.iter().rev() {
        ty = CType::Array(Box::new(ty), n);
    }
    ty
}

/// The definitions written inline in `ty` (`struct Bar {...} bar;` defines `struct
/// Bar`), outermost first.
fn collect_inline(ty: &CType, out: &mut Vec<CDecl>) {
    match ty {
        CType::Record { def: Some(d), .. } => out.push(CDecl::Record((**d).clone())),
        CType::Enum { def: Some(d), .. } => out.push(CDecl::Enum((**d).clone())),
        CType::Ptr(t) | CType::Array(t, _) => collect_inline(t, out),
        _ => {}
    }
}

#[cfg(test)]
#[path = "ctypes_tests.rs"]
mod tests;
