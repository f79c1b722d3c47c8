//! Tokens of the C subset, with the preprocessor lines it understands:
//! `#include` (ignored: the subset needs no header), `#pragma`, object-like
//! `#define NAME tokens` and function-like `#define NAME(a, b) tokens` (whose uses
//! are replaced by the tokens, arguments substituted: `lex_paste.rs`, with `#`
//! and `##`), `#undef`, and the
//! conditionals `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif` (their
//! expressions evaluated by the script preprocessor's `cpp_expr`, with clang's
//! predefined macros).

use super::unsupported;
use crate::diag::Diagnostic;
use crate::front::ast::Span;
use crate::front::cpp::{parse_define, Conds, Macros, Origin};
use crate::front::cpp_expr::{eval_if, Macro};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Int(u64),
    /// A preprocessing number as written (`0x1f`, `10UL`, or `0x` before a paste
    /// completes it): an `Int` once the file is lexed, or a located error.
    PpNum(String),
    /// A string literal, decoded.
    Str(String),
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

/// How many tokens `#define` uses may produce in one file, in all: a macro whose
/// body uses a macro twice doubles at every level, which the depth alone does not
/// bound (`#define i i i` makes 2^32 tokens before it is found recursive).
const MAX_EXPANDED_TOKENS: usize = 1 << 18;

/// A function-like macro: its parameters and body tokens.
#[derive(Debug, Clone)]
struct FuncMacro {
    params: Vec<String>,
    body: Vec<Token>,
    /// The last parameter is `__VA_ARGS__` (`...`): it takes the remaining
    /// arguments, commas included.
    variadic: bool,
}

use super::lex_paste::VA_ARGS;

/// A function-like macro's invocation being read.
struct Invocation {
    name: Token,
    depth: usize,
    /// Whether its `(` was seen.
    open: bool,
    level: usize,
    args: Vec<Vec<Token>>,
}

/// The error of a file whose macros produce more than [`MAX_EXPANDED_TOKENS`].
fn too_many_tokens(span: Span) -> Diagnostic {
    Diagnostic::error(
        span,
        format!("macro expansion produces more than {MAX_EXPANDED_TOKENS} tokens"),
    )
}

pub fn lex(text: &str, base: usize) -> Result<Vec<Token>, Vec<Diagnostic>> {
    let mut toks = lex_raw(text, base)?;
    let mut diags = Vec::new();
    for t in &mut toks {
        if let Tok::PpNum(word) = &t.tok {
            match number_value(word) {
                Some(v) => t.tok = Tok::Int(v),
                None => diags.push(unsupported(t.span, &format!("the number `{word}`"))),
            }
        }
    }
    if diags.is_empty() {
        Ok(toks)
    } else {
        Err(diags)
    }
}

/// The value of an integer constant as written (`0x1f`, `017`, `0b11`, `10UL`).
pub fn number_value(word: &str) -> Option<u64> {
    let digits = word.trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(hex) = digits
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
    }
}

/// The tokens of `text` with numbers as written (what `##` pastes re-lex).
pub fn lex_raw(text: &str, base: usize) -> Result<Vec<Token>, Vec<Diagnostic>> {
    let mut lx = Lexer::new(text, base, true);
    lx.run();
    if let Some(inv) = lx.invocation.take() {
        if inv.open {
            lx.diags.push(Diagnostic::error(
                inv.name.span,
                "unterminated function-like macro invocation",
            ));
        } else {
            lx.out.push(inv.name);
        }
    }
    if let Some(at) = lx.conds.unterminated() {
        lx.diags
            .push(Diagnostic::error(at, "unterminated conditional directive"));
    }
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
    /// Whether names are replaced by their macros (not in a function-like body).
    expand: bool,
    /// Whether `#` and `##` are tokens (in a `#define`'s body).
    macro_body: bool,
    defines: HashMap<String, Vec<Token>>,
    funcs: HashMap<String, FuncMacro>,
    /// Every macro, for `#if` expressions.
    macros: Macros,
    conds: Conds<Span>,
    invocation: Option<Invocation>,
    /// Tokens produced by macro uses so far (see [`MAX_EXPANDED_TOKENS`]).
    expanded: usize,
    diags: Vec<Diagnostic>,
    out: Vec<Token>,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str, base: usize, expand: bool) -> Lexer<'a> {
        Lexer {
            text,
            base,
            pos: 0,
            line_start: true,
            expand,
            macro_body: false,
            defines: HashMap::new(),
            funcs: HashMap::new(),
            macros: Macros::predefined(false),
            conds: Conds::new(),
            invocation: None,
            expanded: 0,
            diags: Vec::new(),
            out: Vec::new(),
        }
    }

    /// A macro use nested too deep: one error, and no more expansion in this file
    /// (every other use of a doubling macro would find the same).
    fn recursive(&mut self, span: Span) {
        self.diags.push(unsupported(span, "a recursive #define"));
        self.expanded = MAX_EXPANDED_TOKENS + 1;
    }

    /// Counts one token produced by a macro use at `span`; false (after one error)
    /// once the file's macros have produced too many.
    fn spend(&mut self, span: Span) -> bool {
        if self.expanded > MAX_EXPANDED_TOKENS {
            return false;
        }
        self.expanded += 1;
        if self.expanded > MAX_EXPANDED_TOKENS {
            self.diags.push(too_many_tokens(span));
            return false;
        }
        true
    }

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
            } else if !self.conds.active() {
                // An excluded line.
                self.pos += rest.find('\n').unwrap_or(rest.len());
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
        if self.invocation.is_some() {
            self.invocation_token(t, depth);
            return;
        }
        if !self.expand {
            self.out.push(t);
            return;
        }
        if let Tok::Ident(name) = &t.tok {
            if self.funcs.contains_key(name) {
                self.invocation = Some(Invocation {
                    name: t,
                    depth,
                    open: false,
                    level: 0,
                    args: Vec::new(),
                });
                return;
            }
            if let Some(body) = self.defines.get(name).cloned() {
                if depth >= MAX_EXPANSION {
                    self.recursive(t.span);
                    return;
                }
                for mut b in body {
                    if !self.spend(t.span) {
                        return;
                    }
                    b.span = t.span;
                    self.emit(b, depth + 1);
                }
                return;
            }
        }
        self.out.push(t);
    }

    /// A token after a function-like macro's name: its `(`, an argument's, or the
    /// `)` that ends the invocation and expands it.
    fn invocation_token(&mut self, t: Token, depth: usize) {
        let Some(inv) = self.invocation.as_mut() else {
            return;
        };
        if !inv.open {
            if t.tok == Tok::Punct("(") {
                inv.open = true;
                inv.level = 1;
                inv.args.push(Vec::new());
                return;
            }
            // The name alone is no invocation.
            let Some(inv) = self.invocation.take() else {
                return;
            };
            self.out.push(inv.name);
            self.emit(t, depth);
            return;
        }
        match t.tok {
            Tok::Punct("(") => inv.level += 1,
            Tok::Punct(")") => inv.level -= 1,
            Tok::Punct(",") if inv.level == 1 => {
                inv.args.push(Vec::new());
                return;
            }
            _ => {}
        }
        if inv.level > 0 {
            if let Some(a) = inv.args.last_mut() {
                a.push(t);
            }
            return;
        }
        let Some(inv) = self.invocation.take() else {
            return;
        };
        let Tok::Ident(name) = &inv.name.tok else {
            return;
        };
        let Some(m) = self.funcs.get(name).cloned() else {
            return;
        };
        let span = inv.name.span.to(t.span);
        let mut args = inv.args;
        if m.params.is_empty() && args.len() == 1 && args[0].is_empty() {
            args.clear();
        }
        if m.variadic && args.len() + 1 == m.params.len() {
            args.push(Vec::new());
        }
        if m.variadic && args.len() > m.params.len() {
            // The variable arguments are one, with their commas.
            let rest = args.split_off(m.params.len() - 1);
            let mut joined = Vec::new();
            for (i, a) in rest.into_iter().enumerate() {
                if i > 0 {
                    joined.push(Token {
                        tok: Tok::Punct(","),
                        span,
                    });
                }
                joined.extend(a);
            }
            args.push(joined);
        }
        if args.len() != m.params.len() {
            self.diags.push(Diagnostic::error(
                span,
                format!(
                    "macro '{name}' takes {} argument{}, not {}",
                    m.params.len(),
                    if m.params.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            ));
            return;
        }
        if inv.depth >= MAX_EXPANSION {
            self.recursive(span);
            return;
        }
        let pre: Vec<Vec<Token>> = args
            .iter()
            .map(|a| self.expand_tokens(a, inv.depth + 1))
            .collect();
        let limit = (MAX_EXPANDED_TOKENS + 1).saturating_sub(self.expanded);
        let expanded =
            match super::lex_paste::substitute(&m.params, &m.body, &args, &pre, span, limit) {
                Ok(Some(e)) => e,
                Ok(None) => {
                    self.expanded = MAX_EXPANDED_TOKENS + 1;
                    self.diags.push(too_many_tokens(span));
                    return;
                }
                Err(d) => {
                    self.diags.push(d);
                    return;
                }
            };
        for _ in 0..expanded.len() {
            if !self.spend(span) {
                return;
            }
        }
        for t in expanded {
            self.emit(t, inv.depth + 1);
        }
    }

    /// A macro argument with its macros expanded (for a use of its parameter that
    /// is no operand of `#` or `##`).
    fn expand_tokens(&mut self, toks: &[Token], depth: usize) -> Vec<Token> {
        let mut sub = Lexer::new("", self.base, true);
        sub.defines = std::mem::take(&mut self.defines);
        sub.funcs = std::mem::take(&mut self.funcs);
        sub.expanded = self.expanded;
        for t in toks {
            sub.emit(t.clone(), depth);
        }
        if let Some(inv) = sub.invocation.take() {
            // A function-like macro's name that the body may give its `(`.
            sub.out.push(inv.name);
            for a in inv.args {
                sub.out.extend(a);
            }
        }
        self.defines = std::mem::take(&mut sub.defines);
        self.funcs = std::mem::take(&mut sub.funcs);
        self.expanded = sub.expanded;
        self.diags.append(&mut sub.diags);
        sub.out
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
        if c == '"' {
            let scanned = crate::front::literal::scan_string(rest);
            let start = self.pos;
            self.pos += scanned.len.max(1);
            if let Some((range, msg)) = scanned.errors.into_iter().next() {
                let sp = self.span(start + range.start, start + range.end);
                self.diags.push(Diagnostic::error(sp, msg));
                return None;
            }
            return Some(Tok::Str(scanned.value));
        }
        if self.macro_body && c == '#' {
            let op = if rest.starts_with("##") { "##" } else { "#" };
            self.pos += op.len();
            return Some(Tok::Punct(op));
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
        self.pos += len;
        Some(Tok::PpNum(word.to_string()))
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
        let word = || rest.split_whitespace().next().unwrap_or("").to_string();
        let cond = match name {
            "ifdef" | "ifndef" => {
                let yes = self.macros.contains(&word()) == (name == "ifdef");
                self.conds.push(yes, name_span);
                return;
            }
            "if" => {
                let yes = self.conds.active() && self.condition(rest, name_span);
                self.conds.push(yes, name_span);
                return;
            }
            "elif" => {
                let yes = self.conds.elif_needs_eval() && self.condition(rest, name_span);
                self.conds.elif(yes)
            }
            "else" => self.conds.else_(),
            "endif" => self.conds.endif(),
            _ => Ok(()),
        };
        if let Err(e) = cond {
            self.diags.push(Diagnostic::error(name_span, e.0));
            return;
        }
        if !self.conds.active() {
            return;
        }
        match name {
            "include" | "pragma" | "" | "elif" | "else" | "endif" | "warning" => {}
            "define" => self.define(rest, start, end),
            "undef" => {
                let w = word();
                self.defines.remove(&w);
                self.funcs.remove(&w);
                self.macros.undef(&w);
            }
            "error" => self.diags.push(Diagnostic::error(
                name_span,
                format!("#error {}", rest.trim()),
            )),
            other => self.diags.push(unsupported(
                name_span,
                &format!("the preprocessor directive `#{other}`"),
            )),
        }
    }

    /// The value of an `#if`/`#elif` expression.
    fn condition(&mut self, expr: &str, span: Span) -> bool {
        match eval_if(expr, &self.macros) {
            Ok(v) => v != 0,
            Err(e) => {
                self.diags.push(Diagnostic::error(span, e));
                false
            }
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
        let Some((_, mac)) = parse_define(rest) else {
            self.diags.push(unsupported(span, "this #define"));
            return;
        };
        let (params, value) = match &mac {
            Macro::Object(v) => (None, v.clone()),
            Macro::Function { params, body } => (Some(params.clone()), body.clone()),
        };
        // `...` is the parameter `__VA_ARGS__`.
        let variadic = params
            .as_ref()
            .is_some_and(|p| p.last().is_some_and(|x| x == "..."));
        if params
            .as_ref()
            .is_some_and(|p| p.iter().rev().skip(1).any(|x| x == "..."))
        {
            self.diags
                .push(unsupported(span, "`...` before a named parameter"));
            return;
        }
        let params = params.map(|mut p| {
            if let Some(last) = p.last_mut().filter(|x| *x == "...") {
                *last = VA_ARGS.to_string();
            }
            p
        });
        // The body is expanded with the macros so far (lent, not copied: they may be
        // large), counting against the file's budget of expanded tokens.
        let mut sub = Lexer::new(&value, 0, params.is_none());
        sub.line_start = false;
        sub.macro_body = true;
        sub.defines = std::mem::take(&mut self.defines);
        sub.funcs = std::mem::take(&mut self.funcs);
        sub.expanded = self.expanded;
        sub.run();
        self.defines = std::mem::take(&mut sub.defines);
        self.funcs = std::mem::take(&mut sub.funcs);
        let exhausted = sub.expanded > MAX_EXPANDED_TOKENS && self.expanded <= MAX_EXPANDED_TOKENS;
        self.expanded = sub.expanded;
        if exhausted {
            self.diags.push(too_many_tokens(span));
            return;
        }
        if !sub.diags.is_empty() || sub.invocation.is_some() {
            self.diags.push(unsupported(span, "this #define"));
            return;
        }
        if let Some(d) = super::lex_paste::check_body(&sub.out, params.as_deref(), span) {
            self.diags.push(d);
            return;
        }
        let mut body = sub.out;
        if params.is_none() && body.iter().any(|t| t.tok == Tok::Punct("##")) {
            let limit = (MAX_EXPANDED_TOKENS + 1).saturating_sub(self.expanded);
            match super::lex_paste::substitute(&[], &body, &[], &[], span, limit) {
                Ok(Some(b)) => body = b,
                Ok(None) => {
                    self.expanded = MAX_EXPANDED_TOKENS + 1;
                    self.diags.push(too_many_tokens(span));
                    return;
                }
                Err(d) => {
                    self.diags.push(d);
                    return;
                }
            }
        }
        self.defines.remove(&name);
        self.funcs.remove(&name);
        match params {
            None => {
                self.defines.insert(name.clone(), body);
            }
            Some(params) => {
                self.funcs.insert(
                    name.clone(),
                    FuncMacro {
                        params,
                        body,
                        variadic,
                    },
                );
            }
        }
        self.macros.define(name, mac, Origin::Script);
    }
}

impl Tok {
    /// The token as written (a number in decimal).
    pub fn text(&self) -> String {
        match self {
            Tok::Ident(s) => s.clone(),
            Tok::Int(v) => v.to_string(),
            Tok::PpNum(s) => s.clone(),
            Tok::Str(s) => format!("{s:?}"),
            Tok::Punct(p) => (*p).to_string(),
        }
    }
}
