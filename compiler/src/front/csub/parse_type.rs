//! Types as the subset writes them: qualifiers, base types (C type words, fixed-width
//! and typedef names, `struct`/`union`/`enum` tags), declarators (`*`, `[N]`), and
//! the top-level type definitions, which `front::ctypes` parses as it parses the
//! script's own.

use super::lex::Tok;
use super::parse::{PResult, Parser};
use super::types::{add_typedefs, builtin_typedef};
use super::{unsupported, CExpr, CExprKind, CType};
use crate::front::ast::{BinOp, CDefinition, Span, UnOp};
use crate::front::ctypes;

/// Words that only qualify a declaration.
const QUALIFIERS: &[&str] = &[
    "static",
    "inline",
    "__inline",
    "__inline__",
    "__always_inline",
    "const",
    "volatile",
    "register",
    "__noinline",
    "restrict",
    "__restrict",
    "__restrict__",
    "__kptr",
    "__user",
    "__percpu",
    "__rcu",
];

impl Parser {
    pub(super) fn skip_qualifiers(&mut self) -> PResult<()> {
        loop {
            match self.peek() {
                Some(Tok::Ident(w)) if QUALIFIERS.contains(&w.as_str()) => self.pos += 1,
                Some(Tok::Ident(w)) if w == "__attribute__" || w == "__attribute" => {
                    self.pos += 1;
                    self.expect("(")?;
                    let mut level = 1;
                    while level > 0 {
                        match self.peek() {
                            None => return Err(self.unexpected("`)`")),
                            Some(Tok::Punct("(")) => level += 1,
                            Some(Tok::Punct(")")) => level -= 1,
                            _ => {}
                        }
                        self.pos += 1;
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn type_name_word(&self, w: &str) -> bool {
        type_word(w)
            || is_tag(w)
            || matches!(w, "float" | "double")
            || self.typedefs.contains_key(w)
            || builtin_typedef(w).is_some()
    }

    /// Whether a type starts here (after qualifiers).
    pub(super) fn at_type(&self) -> bool {
        let mut i = 0;
        while let Some(Tok::Ident(w)) = self.peek_at(i) {
            if QUALIFIERS.contains(&w.as_str()) {
                i += 1;
                continue;
            }
            return self.type_name_word(w);
        }
        false
    }

    /// A type without declarator: C type words, a typedef or fixed-width name, or
    /// `struct`/`union`/`enum` NAME.
    pub(super) fn base_type(&mut self) -> PResult<CType> {
        self.skip_qualifiers()?;
        let start = self.here();
        if let Some(Tok::Ident(w)) = self.peek() {
            let w = w.clone();
            if matches!(w.as_str(), "float" | "double") {
                return Err(unsupported(start, &format!("`{w}` types")));
            }
            if is_tag(&w) {
                self.pos += 1;
                let (name, _) = match self.peek() {
                    Some(Tok::Ident(_)) => self.ident()?,
                    _ => {
                        return Err(unsupported(
                            start,
                            "anonymous `struct`/`union`/`enum` types",
                        ))
                    }
                };
                if self.is("{") {
                    return Err(unsupported(
                        self.since(start),
                        "type definitions inside functions",
                    ));
                }
                self.skip_qualifiers()?;
                return Ok(match w.as_str() {
                    "enum" => CType::Int {
                        bits: 32,
                        signed: false,
                    },
                    tag => CType::Record {
                        name,
                        union: tag == "union",
                    },
                });
            }
            if let Some(t) = self
                .typedefs
                .get(&w)
                .cloned()
                .or_else(|| builtin_typedef(&w))
            {
                self.pos += 1;
                self.skip_qualifiers()?;
                return Ok(t);
            }
        }
        let mut words = Vec::new();
        while let Some(Tok::Ident(w)) = self.peek() {
            if type_word(w) {
                words.push(w.clone());
                self.pos += 1;
            } else if QUALIFIERS.contains(&w.as_str()) {
                self.pos += 1;
            } else {
                break;
            }
        }
        if words.is_empty() {
            return Err(match self.peek() {
                Some(Tok::Ident(w)) => self.unknown_type(w),
                _ => self.unexpected("a type"),
            });
        }
        let span = self.since(start);
        words_type(&words)
            .ok_or_else(|| unsupported(span, &format!("the type `{}`", words.join(" "))))
    }

    /// clang's error for a name used as a type that names none here (a kernel
    /// typedef the subset does not know: spell the type it stands for).
    pub(super) fn unknown_type(&self, w: &str) -> crate::diag::Diagnostic {
        crate::diag::Diagnostic::error(self.here(), format!("unknown type name '{w}'"))
            .with_note("the C subset knows the fixed-width names (u32, __u64, pid_t...) and the typedefs of the file and imported headers")
    }

    /// Whether a declaration with an unknown type name starts here: `name name`,
    /// `name *name =`...
    pub(super) fn at_unknown_type(&self) -> bool {
        let Some(Tok::Ident(w)) = self.peek() else {
            return false;
        };
        if KEYWORDS.contains(&w.as_str()) {
            return false;
        }
        let mut i = 1;
        while matches!(self.peek_at(i), Some(Tok::Punct("*"))) {
            i += 1;
        }
        matches!(self.peek_at(i), Some(Tok::Ident(_)))
            && (i == 1 || matches!(self.peek_at(i + 1), Some(Tok::Punct("=" | ";" | "," | "["))))
    }

    /// `*`s (with their qualifiers) after a base type.
    pub(super) fn pointers(&mut self, mut t: CType) -> PResult<CType> {
        self.skip_qualifiers()?;
        while self.eat("*") {
            t = CType::Ptr(Box::new(t));
            self.skip_qualifiers()?;
        }
        Ok(t)
    }

    /// `*name[N]...` after a base type; the name may be left out (`optional_name`,
    /// for prototypes' parameters).
    pub(super) fn declarator(
        &mut self,
        base: CType,
        optional_name: bool,
    ) -> PResult<(CType, String, Span)> {
        let t = self.pointers(base)?;
        if self.is("(") {
            return Err(unsupported(self.here(), "function pointers"));
        }
        let (name, span) = if optional_name && (self.is(",") || self.is(")")) {
            (String::new(), self.here())
        } else {
            self.ident()?
        };
        let t = self.array_dims(t)?;
        self.skip_qualifiers()?;
        Ok((t, name, span))
    }

    /// `[N]...` after a declarator's name: `t` as an array of them.
    pub(super) fn array_dims(&mut self, mut t: CType) -> PResult<CType> {
        let mut dims = Vec::new();
        while self.eat("[") {
            if self.eat("]") {
                dims.push(0);
                continue;
            }
            let e = self.expr()?;
            let n = const_value(&e)
                .and_then(|v| u32::try_from(v).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| unsupported(e.span, "an array length that is not a constant"))?;
            self.expect("]")?;
            dims.push(n);
        }
        for n in dims.into_iter().rev() {
            t = CType::Array(Box::new(t), n);
        }
        Ok(t)
    }

    /// A type in a cast or `sizeof`: a base type and `*`s.
    pub(super) fn abstract_type(&mut self) -> PResult<CType> {
        let base = self.base_type()?;
        self.pointers(base)
    }

    /// Whether a type definition starts here: `typedef ...;`, `struct X {`,
    /// `struct X;`, `enum {`...
    pub(super) fn at_definition(&self) -> bool {
        let mut i = 0;
        while let Some(Tok::Ident(w)) = self.peek_at(i) {
            if QUALIFIERS.contains(&w.as_str()) {
                i += 1;
                continue;
            }
            if w == "typedef" {
                return true;
            }
            if !is_tag(w) {
                return false;
            }
            return match self.peek_at(i + 1) {
                Some(Tok::Punct("{")) => true,
                Some(Tok::Ident(_)) => {
                    matches!(self.peek_at(i + 2), Some(Tok::Punct("{" | ";")))
                }
                _ => false,
            };
        }
        false
    }

    /// A top-level type definition, up to its `;`: its tokens (macros expanded) go to
    /// `front::ctypes`, whose result the script sees among its C definitions.
    pub(super) fn definition(&mut self) -> PResult<()> {
        let first = self.pos;
        let mut level = 0usize;
        loop {
            match self.peek() {
                None => return Err(self.unexpected("`;`")),
                Some(Tok::Punct("{" | "(")) => level += 1,
                Some(Tok::Punct("}" | ")")) => level = level.saturating_sub(1),
                Some(Tok::Punct(";")) if level == 0 => break,
                _ => {}
            }
            self.pos += 1;
        }
        self.pos += 1;
        let toks = &self.toks[first..self.pos];
        let base = toks[0].span.start as usize;
        // Each token at its own offset, so that ctypes' spans stay exact; tokens
        // of an expanded #define follow each other.
        let mut text = String::new();
        for t in toks {
            let off = t.span.start as usize - base;
            if off >= text.len() {
                text.extend(std::iter::repeat_n(' ', off - text.len()));
            } else {
                text.push(' ');
            }
            text.push_str(&t.tok.text());
        }
        let span = Span::new(base, self.prev_end());
        let decls = ctypes::parse(&text, base)?;
        add_typedefs(&mut self.typedefs, &decls);
        self.defs.push(CDefinition { text, decls, span });
        Ok(())
    }
}

/// The value of a constant expression (array lengths).
pub(super) fn const_value(e: &CExpr) -> Option<u64> {
    Some(match &e.kind {
        CExprKind::Int(v) => *v,
        CExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (const_value(lhs)?, const_value(rhs)?);
            match op {
                BinOp::Add => a.checked_add(b)?,
                BinOp::Sub => a.checked_sub(b)?,
                BinOp::Mul => a.checked_mul(b)?,
                BinOp::Div => a.checked_div(b)?,
                BinOp::Mod => a.checked_rem(b)?,
                BinOp::Shl => a.checked_shl(u32::try_from(b).ok()?)?,
                BinOp::Shr => a.checked_shr(u32::try_from(b).ok()?)?,
                BinOp::BitOr => a | b,
                BinOp::BitAnd => a & b,
                _ => return None,
            }
        }
        CExprKind::Unary {
            op: UnOp::Neg,
            expr,
        } => const_value(expr)?.wrapping_neg(),
        CExprKind::Cast { expr, .. } => const_value(expr)?,
        _ => return None,
    })
}

/// Statement keywords (never type names).
const KEYWORDS: &[&str] = &[
    "if", "else", "while", "for", "do", "return", "break", "continue", "switch", "case", "default",
    "goto", "sizeof", "asm", "__asm__",
];

fn type_word(w: &str) -> bool {
    matches!(
        w,
        "void" | "_Bool" | "bool" | "char" | "short" | "int" | "long" | "signed" | "unsigned"
    )
}

fn is_tag(w: &str) -> bool {
    matches!(w, "struct" | "union" | "enum")
}

/// The type of a list of C type words (`unsigned long long`).
fn words_type(words: &[String]) -> Option<CType> {
    let count = |w: &str| words.iter().filter(|x| *x == w).count();
    let unsigned = count("unsigned");
    let signed = count("signed");
    if unsigned + signed > 1 {
        return None;
    }
    let others: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| *w != "unsigned" && *w != "signed")
        .collect();
    let is_signed = unsigned == 0;
    let int = |bits| {
        Some(CType::Int {
            bits,
            signed: is_signed,
        })
    };
    match others.as_slice() {
        ["void"] if unsigned + signed == 0 => Some(CType::Void),
        ["_Bool"] | ["bool"] if unsigned + signed == 0 => Some(CType::Bool),
        ["char"] => int(8),
        ["short"] | ["short", "int"] => int(16),
        [] | ["int"] => int(32),
        ["long"] | ["long", "int"] | ["long", "long"] | ["long", "long", "int"] => int(64),
        _ => None,
    }
}
