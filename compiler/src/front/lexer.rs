//! The lexer. Inside predicates and blocks, tokens come from a [`logos`] DFA ([`Tok`]);
//! at the top level (outside any `{}` and outside a predicate) [`Lexer`] scans by hand,
//! because there an attach point such as `uprobe:/bin/bash:readline` or
//! `tracepoint:syscalls:sys_enter_*` is one token.
//!
//! The mode switch is driven by the brace depth and a predicate flag:
//! * top level: whitespace, comments, preprocessor lines, `,`, `{`, `}`, `;`, a `/`
//!   that opens a predicate, or an attach point (a maximal run of characters other
//!   than whitespace, `,`, `{`, `}` and `;`, stopping before a comment);
//! * predicate: logos tokens; a `/` whose next non-blank character is `{` closes the
//!   predicate ([`Tok::EndPred`]), any other `/` is division;
//! * block: logos tokens until the `}` that brings the depth back to 0.
//!
//! Problems that do not stop lexing (bad escapes, invalid characters, literal
//! overflow) are collected in [`Lexer::diags`]; the token is still produced (with a
//! placeholder value) or skipped, so the parser can go on and report more.

use super::ast::Span;
use super::lexer_top::*;
use super::literal;
use crate::diag::Diagnostic;
use logos::{Logos, Skip};

/// A token. Variants without a logos attribute are produced by the top-level scanner.
#[derive(Logos, Debug, Clone, PartialEq, Eq)]
#[logos(extras = Extras)]
#[logos(skip r"[ \t\r\n\x0c]+")]
pub enum Tok {
    /// Only at top level: `tracepoint:syscalls:sys_enter_openat`, `BEGIN`...
    AttachPoint(String),
    /// Only at the end of a predicate: the `/` before `{`.
    EndPred,
    /// Only at top level: a C type definition (`struct Foo { int x; };`, `enum {...}`,
    /// `typedef ...;`), its whole text up to and including a trailing `;`
    /// (parsed by [`super::ctypes`]).
    CDefinition(String),

    #[regex("[0-9][0-9A-Za-z_]*", int_literal)]
    Int(u64),
    #[token("\"", string_literal)]
    Str(String),
    #[regex("[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_string())]
    Ident(String),
    /// `$name`, `$1` (as `1`), `$#` (as `#`); the text after the `$`.
    #[regex(r"\$[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice()[1..].to_string())]
    #[regex(r"\$[0-9]+", |lex| lex.slice()[1..].to_string())]
    #[token("$#", |_| "#".to_string())]
    Var(String),
    /// `@name` or `@` (empty name).
    #[regex(r"@[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice()[1..].to_string())]
    #[token("@", |_| String::new())]
    Map(String),

    #[token("struct")]
    Struct,
    #[token("union")]
    Union,
    #[token("enum")]
    Enum,
    /// A fixed-width integer type name: `int8` ... `uint64`.
    #[token("int8", |_| "int8".to_string())]
    #[token("int16", |_| "int16".to_string())]
    #[token("int32", |_| "int32".to_string())]
    #[token("int64", |_| "int64".to_string())]
    #[token("uint8", |_| "uint8".to_string())]
    #[token("uint16", |_| "uint16".to_string())]
    #[token("uint32", |_| "uint32".to_string())]
    #[token("uint64", |_| "uint64".to_string())]
    #[token("bool", |_| "bool".to_string())]
    IntType(String),

    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("let")]
    Let,
    #[token("macro")]
    Macro,
    #[token("config")]
    Config,
    /// `import` at top level (inside blocks it is [`Tok::Reserved`]).
    Import,
    #[token("for")]
    For,
    #[token("while")]
    While,
    #[token("unroll")]
    Unroll,
    #[token("break")]
    Break,
    #[token("continue")]
    Continue,
    #[token("return")]
    Return,
    /// Keywords of the language that this compiler does not support yet.
    #[token("import", |_| "import".to_string())]
    Reserved(String),
    /// A `{` where an expression is expected (after `(`, `=`, `,`, an operator...):
    /// it opens a block expression `{ stmts; value }`. Produced by [`Lexer`] from `{`.
    ExprLBrace,
    /// An `if` where an expression is expected (`print(if (c) { a } else { b })`,
    /// `$x = if ...`): an if expression. Produced by [`Lexer`] from `if`.
    ExprIf,
    /// `typeof` opening a cast's type (`(typeof($x))1`): `(typeof(...))` followed by
    /// the start of an operand. Produced by [`Lexer`] from the identifier `typeof`.
    CastTypeof,
    #[token("..")]
    DotDot,

    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(".")]
    Dot,
    #[token("->")]
    Arrow,
    #[token("?")]
    Question,
    #[token(":")]
    Colon,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("!")]
    Bang,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("==")]
    EqEq,
    #[token("!=")]
    Ne,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("=")]
    Assign,
    #[token("+=")]
    AddAssign,
    #[token("-=")]
    SubAssign,
    #[token("*=")]
    MulAssign,
    #[token("/=")]
    DivAssign,
    #[token("%=")]
    ModAssign,
    #[token("&=")]
    AndAssign,
    #[token("|=")]
    OrAssign,
    #[token("^=")]
    XorAssign,
    #[token("<<=")]
    ShlAssign,
    #[token(">>=")]
    ShrAssign,
    #[token("++")]
    PlusPlus,
    #[token("--")]
    MinusMinus,

    /// Never emitted: comments are skipped by their callbacks.
    #[regex("//[^\n]*", |_| Skip, allow_greedy = true)]
    #[token("/*", block_comment)]
    Comment,
}

/// State shared with the logos callbacks: where the sub-lexer starts in the whole
/// source, and the diagnostics found so far.
#[derive(Default)]
pub struct Extras {
    base: usize,
    diags: Vec<Diagnostic>,
}

impl Extras {
    fn error(&mut self, range: std::ops::Range<usize>, message: String) {
        let span = Span::new(self.base + range.start, self.base + range.end);
        self.diags.push(Diagnostic::error(span, message));
    }
}

fn int_literal(lex: &mut logos::Lexer<Tok>) -> u64 {
    let start = lex.span().start;
    match literal::parse_int(lex.slice()) {
        Ok(v) => v,
        Err((range, msg)) => {
            lex.extras
                .error(start + range.start..start + range.end, msg);
            0
        }
    }
}

fn string_literal(lex: &mut logos::Lexer<Tok>) -> String {
    let start = lex.span().start;
    // The remainder starts after the quote; scan from the quote itself.
    let text = &lex.source()[start..];
    let scanned = literal::scan_string(text);
    lex.bump(scanned.len - 1);
    for (range, msg) in scanned.errors {
        lex.extras
            .error(start + range.start..start + range.end, msg);
    }
    scanned.value
}

fn block_comment(lex: &mut logos::Lexer<Tok>) -> Skip {
    let rest = lex.remainder();
    match rest.find("*/") {
        Some(i) => lex.bump(i + 2),
        None => {
            let start = lex.span().start;
            lex.extras
                .error(start..start + 2, "unterminated comment".to_string());
            lex.bump(rest.len());
        }
    }
    Skip
}

/// A lexer failure that stops parsing (lalrpop's user error).
#[derive(Debug, Clone, PartialEq)]
pub struct LexError(pub Diagnostic);

/// What the parser consumes: `(start, token, end)` byte offsets.
pub type Spanned = Result<(usize, Tok, usize), LexError>;

/// How deeply `(`, `[` and `{` may nest. Far beyond any real script; protects the
/// later recursive passes.
pub const MAX_BRACKET_DEPTH: usize = 256;

/// How many tokens one statement or predicate may have (counted between `;`, `{` and
/// `}`). Bounds the depth of expression trees even when parsing fails.
pub const MAX_STATEMENT_TOKENS: usize = 10_000;

/// The mode-switching lexer; an iterator of [`Spanned`] tokens.
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    /// `{` nesting depth; 0 is the top level.
    braces: usize,
    /// `(`/`[`/`{` nesting depth, for [`MAX_BRACKET_DEPTH`].
    brackets: usize,
    in_predicate: bool,
    /// In a top-level declaration (`config = {`, `macro f(x) {`, `let @m = hash(1);`):
    /// logos tokens until its `{` or `;`.
    header: bool,
    /// The previous token, to tell a block expression's `{` from a block's.
    prev: Option<Tok>,
    /// Tokens since the last `;`, `{` or `}`.
    run: usize,
    failed: bool,
    /// Non-fatal problems found so far.
    pub diags: Vec<Diagnostic>,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            braces: 0,
            brackets: 0,
            in_predicate: false,
            header: false,
            prev: None,
            run: 0,
            failed: false,
            diags: Vec::new(),
        }
    }

    /// A lexer of `src[pos..]` (a file placed at `pos` in a combined text, see
    /// `front::imports`): token offsets stay those of `src`.
    pub fn starting_at(src: &'a str, pos: usize) -> Lexer<'a> {
        Lexer {
            pos: pos.min(src.len()),
            ..Lexer::new(src)
        }
    }

    fn error(&mut self, start: usize, end: usize, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(Span::new(start, end), msg.into()));
    }

    /// Skip whitespace and comments from `pos`; returns the new position.
    fn skip_trivia(&mut self, mut pos: usize, report: bool) -> usize {
        let bytes = self.src.as_bytes();
        loop {
            while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            if self.src[pos..].starts_with("//") {
                pos = self.src[pos..]
                    .find('\n')
                    .map_or(self.src.len(), |i| pos + i);
            } else if self.src[pos..].starts_with("/*") {
                match self.src[pos + 2..].find("*/") {
                    Some(i) => pos += 2 + i + 2,
                    None => {
                        if report {
                            self.error(pos, pos + 2, "unterminated comment");
                        }
                        return self.src.len();
                    }
                }
            } else {
                return pos;
            }
        }
    }

    /// One token at the top level, or `None` at the end of input.
    fn top_level(&mut self) -> Option<(usize, Tok, usize)> {
        loop {
            let start = self.skip_trivia(self.pos, true);
            self.pos = start;
            let rest = &self.src[start..];
            let c = rest.chars().next()?;
            let single = |tok| Some((start, tok, start + 1));
            match c {
                '{' => {
                    self.pos += 1;
                    return single(Tok::LBrace);
                }
                '}' => {
                    self.pos += 1;
                    return single(Tok::RBrace);
                }
                ',' => {
                    self.pos += 1;
                    return single(Tok::Comma);
                }
                ';' => {
                    self.pos += 1;
                    return single(Tok::Semi);
                }
                '/' => {
                    self.pos += 1;
                    self.in_predicate = true;
                    return single(Tok::Slash);
                }
                '#' => {
                    let end = self.directive_end(start);
                    self.directive(start, end);
                    self.pos = end;
                }
                _ => {
                    if let Some(end) = c_definition_end(self.src, start) {
                        self.pos = end;
                        let text = self.src[start..end].to_string();
                        return Some((start, Tok::CDefinition(text), end));
                    }
                    if let Some((tok, len)) = declaration_keyword(rest) {
                        self.pos = start + len;
                        self.header = true;
                        return Some((start, tok, start + len));
                    }
                    let end = self.attach_point_end(start);
                    self.pos = end;
                    let text = attach_point_text(&self.src[start..end]);
                    return Some((start, Tok::AttachPoint(text), end));
                }
            }
        }
    }

    fn attach_point_end(&self, start: usize) -> usize {
        let rest = &self.src[start..];
        // After the provider's `:`, `/*` is a path glob (`uprobe:/usr/bin/*sh:main`),
        // as in bpftrace, whose attach-point paths may hold `/` and `*`.
        let colon = rest.find(':');
        // Blanks after a `:` that the attach point goes on after (`kprobe: vfs_read`)
        // belong to it, as bpftrace's lexer skips them; [`attach_point_text`] drops them.
        let mut skip_to = 0;
        for (i, ch) in rest.char_indices() {
            if i < skip_to {
                continue;
            }
            if matches!(ch, ' ' | '\t') && rest[..i].ends_with(':') {
                let blanks = rest[i..].len() - rest[i..].trim_start_matches([' ', '\t']).len();
                if continues_attach_point(&rest[i + blanks..]) {
                    skip_to = i + blanks;
                    continue;
                }
            }
            let comment = rest[i..].starts_with("//")
                || (rest[i..].starts_with("/*") && colon.is_none_or(|c| c > i));
            let stop =
                ch.is_whitespace() || matches!(ch, ',' | '{' | '}' | ';') || (i > 0 && comment);
            if stop {
                return start + i;
            }
        }
        start + rest.len()
    }

    /// The end of a `#` line, following backslash-newline continuations.
    fn directive_end(&self, start: usize) -> usize {
        let bytes = self.src.as_bytes();
        let mut i = start;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' if i > start && bytes[i - 1] == b'\\' => i += 1,
                b'\n' => return i,
                _ => i += 1,
            }
        }
        i
    }

    /// A shebang or preprocessor line `src[start..end]`.
    fn directive(&mut self, start: usize, end: usize) {
        let line = &self.src[start..end];
        let at_line_start = start == 0 || self.src.as_bytes()[start - 1] == b'\n';
        if at_line_start && line.starts_with("#!") {
            return; // a shebang, or a `#!` comment line further down
        }
        let name_start = line[1..]
            .find(|c: char| !c.is_ascii_whitespace())
            .map_or(line.len(), |i| i + 1);
        let name_len = line[name_start..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(line.len() - name_start);
        let name = &line[name_start..name_start + name_len];
        match name {
            // The null directive: `#` alone on its line does nothing in C.
            "" if line[name_start..].trim().is_empty() => {}
            // Headers only matter for C type definitions, which are not supported yet;
            // the scripts this compiler accepts do not need them.
            "include" => {}
            // #define, #undef, #if* will be handled here by a C preprocessor step.
            "define" | "undef" | "if" | "ifdef" | "ifndef" | "elif" | "else" | "endif" => {
                self.error(
                    start,
                    start + name_start + name_len,
                    format!("preprocessor directive `#{name}` is not supported yet"),
                );
            }
            _ => self.error(
                start,
                start + name_start + name_len,
                format!(
                    "unknown preprocessor directive `{}`",
                    &line[..name_start + name_len]
                ),
            ),
        }
    }

    /// One token from logos, starting at `self.pos`.
    fn logos_token(&mut self) -> Option<(usize, Tok, usize)> {
        loop {
            let base = self.pos;
            let extras = Extras {
                base,
                diags: std::mem::take(&mut self.diags),
            };
            let mut lex = Tok::lexer_with_extras(&self.src[base..], extras);
            let next = lex.next();
            let span = lex.span();
            self.diags = std::mem::take(&mut lex.extras.diags);
            let (start, end) = (base + span.start, base + span.end);
            self.pos = end;
            match next? {
                Ok(tok) => return Some((start, tok, end)),
                Err(()) => {
                    let ch = self.src[start..].chars().next().unwrap_or(' ');
                    let end = start + ch.len_utf8();
                    self.pos = end;
                    self.error(
                        start,
                        end,
                        format!("invalid character `{}`", ch.escape_debug()),
                    );
                }
            }
        }
    }

    fn next_token(&mut self) -> Option<Spanned> {
        if self.failed {
            return None;
        }
        let (start, tok, end) = if self.braces == 0 && !self.in_predicate && !self.header {
            self.top_level()?
        } else {
            self.logos_token()?
        };
        let tok = match tok {
            Tok::Slash if self.in_predicate && self.braces == 0 => {
                let after = self.skip_trivia(end, false);
                if self.src[after..].starts_with('{') {
                    self.in_predicate = false;
                    Tok::EndPred
                } else {
                    Tok::Slash
                }
            }
            Tok::LBrace => {
                // At the top level, `{` after a comma is a probe body: the comma
                // ended the attach point list (`BEGIN, {`).
                let body =
                    self.braces == 0 && !self.in_predicate && matches!(self.prev, Some(Tok::Comma));
                self.braces += 1;
                self.in_predicate = false;
                let declaration = std::mem::replace(&mut self.header, false);
                if !declaration && !body && self.prev.as_ref().is_some_and(opens_expression) {
                    Tok::ExprLBrace
                } else {
                    tok
                }
            }
            Tok::If if self.prev.as_ref().is_some_and(opens_expression) => Tok::ExprIf,
            Tok::Ident(name)
                if name == "typeof"
                    && matches!(self.prev, Some(Tok::LParen))
                    && super::cast_typeof::is_cast_typeof(self.src, end) =>
            {
                Tok::CastTypeof
            }
            Tok::Semi if self.braces == 0 => {
                self.header = false;
                tok
            }
            Tok::RBrace => {
                self.braces = self.braces.saturating_sub(1);
                tok
            }
            // `u64`, `unsigned`, `char`...; and `name *...)`, which can only be a
            // pointer type (a typedef, or a macro parameter standing for a type).
            Tok::Ident(name)
                if super::typenames::TYPE_WORDS.contains(&name.as_str())
                    || (matches!(self.prev, Some(Tok::LParen)) && self.stars_then_rparen(end))
                    || (name == "string"
                        && matches!(self.prev, Some(Tok::LParen))
                        && super::cast_typeof::string_cast_follows(self.src, end)) =>
            {
                Tok::IntType(name)
            }
            tok => tok,
        };
        self.run += 1;
        if matches!(tok, Tok::Semi | Tok::LBrace | Tok::ExprLBrace | Tok::RBrace) {
            self.run = 0;
        } else if self.run > MAX_STATEMENT_TOKENS {
            self.failed = true;
            let d = Diagnostic::error(
                Span::new(start, end),
                format!("statement is too long (more than {MAX_STATEMENT_TOKENS} tokens)"),
            );
            return Some(Err(LexError(d)));
        }
        self.prev = Some(tok.clone());
        match tok {
            Tok::LBrace | Tok::ExprLBrace | Tok::LParen | Tok::LBracket => {
                self.brackets += 1;
                if self.brackets > MAX_BRACKET_DEPTH {
                    self.failed = true;
                    let d = Diagnostic::error(
                        Span::new(start, end),
                        format!("brackets nested too deeply (more than {MAX_BRACKET_DEPTH})"),
                    );
                    return Some(Err(LexError(d)));
                }
            }
            Tok::RBrace | Tok::RParen | Tok::RBracket => {
                self.brackets = self.brackets.saturating_sub(1);
            }
            _ => {}
        }
        Some(Ok((start, tok, end)))
    }
}

impl Lexer<'_> {
    /// Whether the text at `at` is one or more `*`, then `)` (blanks allowed between).
    fn stars_then_rparen(&self, at: usize) -> bool {
        let rest = self.src.get(at..).unwrap_or("");
        let mut stars = 0;
        for c in rest.chars() {
            match c {
                '*' => stars += 1,
                ' ' | '\t' | '\n' | '\r' => {}
                ')' => return stars > 0,
                _ => return false,
            }
        }
        false
    }
}

/// Whether a `{` after `prev` starts an expression (a block expression) rather than
/// a block statement.
fn opens_expression(prev: &Tok) -> bool {
    use Tok::*;
    matches!(
        prev,
        LParen
            | LBracket
            | Comma
            | Return
            | Question
            | Colon
            | Plus
            | Minus
            | Star
            | Slash
            | Percent
            | Amp
            | Pipe
            | Caret
            | Tilde
            | Bang
            | Shl
            | Shr
            | EqEq
            | Ne
            | Lt
            | Le
            | Gt
            | Ge
            | AndAnd
            | OrOr
            | Assign
            | AddAssign
            | SubAssign
            | MulAssign
            | DivAssign
            | ModAssign
            | AndAssign
            | OrAssign
            | XorAssign
            | ShlAssign
            | ShrAssign
    )
}

impl Iterator for Lexer<'_> {
    type Item = Spanned;
    fn next(&mut self) -> Option<Spanned> {
        self.next_token()
    }
}

#[cfg(test)]
#[path = "lexer_tests.rs"]
mod tests;
