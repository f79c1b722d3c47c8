//! The script preprocessor, run on the text before lexing:
//!
//! - `#include <h>` / `"h"`: types come from kernel BTF, so a header only
//!   contributes its numeric object-like defines (`AF_INET`), read from the header
//!   found under the `-I` directories and the system include directories
//!   ([`super::headers`]); a header that is not found is accepted silently (kernel
//!   headers are usually absent and not needed);
//! - `#define NAME value` (object-like), `#undef NAME`;
//! - `#ifdef`, `#ifndef`, `#if EXPR` (`defined`, integers, `!`, `&&`, `||`,
//!   comparisons, `+ - * /`), `#elif`, `#else`, `#endif`;
//! - `BPFTRACE_HAVE_BTF` is defined.
//!
//! Directive lines and inactive lines are blanked (newlines kept), and macro
//! names in the code are replaced by their values, padded to the name's length
//! when shorter, so positions and line numbers stay those of the script.

use super::headers::{self, Headers};
use crate::diag::Diagnostic;
use crate::front::ast::Span;
use std::collections::HashMap;
use std::path::PathBuf;

/// Preprocess `src`; returns the text to lex and the errors found.
pub fn run(src: &str, include_dirs: &[PathBuf]) -> (String, Vec<Diagnostic>) {
    let (text, diags, _) = run_with_includes(src, include_dirs);
    (text, diags)
}

/// [`run`], also returning the headers named by the active `#include` lines (found
/// or not), in order.
pub fn run_with_includes(
    src: &str,
    include_dirs: &[PathBuf],
) -> (String, Vec<Diagnostic>, Vec<String>) {
    let mut pp = Pp {
        includes: Vec::new(),
        defs: HashMap::from([("BPFTRACE_HAVE_BTF".to_string(), "1".to_string())]),
        include_dirs,
        conds: Vec::new(),
        diags: Vec::new(),
        in_comment: false,
    };
    let mut out = String::with_capacity(src.len());
    let mut lines = src.split_inclusive('\n').peekable();
    let mut offset = 0usize;
    while let Some(line) = lines.next() {
        let start = offset;
        offset += line.len();
        let is_directive = !pp.in_comment
            && line.trim_start().starts_with('#')
            && !(start == 0 && line.starts_with("#!"));
        if is_directive {
            let mut text = line.to_string();
            out.push_str(&blank(line));
            while text.trim_end().ends_with('\\') {
                let Some(next) = lines.next() else { break };
                offset += next.len();
                out.push_str(&blank(next));
                let t = text.trim_end().trim_end_matches('\\').to_string();
                text = format!("{t} {next}");
            }
            pp.directive(text.trim(), Span::new(start, start + line.trim_end().len()));
        } else if pp.active() {
            out.push_str(&pp.substitute_line(line, 0));
        } else {
            out.push_str(&blank(line));
        }
    }
    if let Some(c) = pp.conds.last() {
        pp.diags.push(
            Diagnostic::error(c.span, "unterminated conditional directive")
                .with_note("add the matching #endif"),
        );
    }
    (out, pp.diags, pp.includes)
}

struct Cond {
    /// Whether the enclosing region is active.
    parent: bool,
    /// Whether some branch of this conditional was taken.
    taken: bool,
    /// Whether the current branch is active.
    active: bool,
    seen_else: bool,
    span: Span,
}

struct Pp<'a> {
    /// The headers of the active `#include` lines.
    includes: Vec<String>,
    defs: HashMap<String, String>,
    include_dirs: &'a [PathBuf],
    conds: Vec<Cond>,
    diags: Vec<Diagnostic>,
    in_comment: bool,
}

fn blank(line: &str) -> String {
    line.chars()
        .map(|c| if c == '\n' || c == '\r' { c } else { ' ' })
        .collect()
}

impl Pp<'_> {
    fn active(&self) -> bool {
        self.conds.last().is_none_or(|c| c.active)
    }

    fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg));
    }

    fn directive(&mut self, text: &str, span: Span) {
        let body = text[1..].trim_start();
        let name_len = body
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(body.len());
        let (name, rest) = body.split_at(name_len);
        let active = self.active();
        match name {
            "ifdef" | "ifndef" => {
                let id = rest.trim();
                let defined = self.defs.contains_key(id);
                let yes = defined == (name == "ifdef");
                self.push_cond(active, yes, span);
            }
            "if" => {
                let yes = active && self.eval(rest, span) != 0;
                self.push_cond(active, yes, span);
            }
            "elif" => {
                let Some(c) = self.conds.last() else {
                    return self.error(span, "#elif without #if");
                };
                let (parent, taken) = (c.parent, c.taken);
                let yes = parent && !taken && self.eval(rest, span) != 0;
                if let Some(c) = self.conds.last_mut() {
                    c.active = yes;
                    c.taken |= yes;
                }
            }
            "else" => match self.conds.last_mut() {
                Some(c) if !c.seen_else => {
                    c.active = c.parent && !c.taken;
                    c.taken = true;
                    c.seen_else = true;
                }
                Some(_) => self.error(span, "#else after #else"),
                None => self.error(span, "#else without #if"),
            },
            "endif" => {
                if self.conds.pop().is_none() {
                    self.error(span, "#endif without #if");
                }
            }
            _ if !active => {}
            "include" => match headers::include_target(rest) {
                Some(h) => {
                    self.includes.push(h.clone());
                    let mut hs = Headers::new(self.include_dirs, &mut self.defs);
                    if let Ok(path) = hs.find(&h, None) {
                        hs.include(&path);
                    }
                }
                None => self.error(span, "#include expects <FILE> or \"FILE\""),
            },
            "define" => match headers::object_define(rest) {
                Some((n, v)) => {
                    self.defs.insert(n, v);
                }
                None if rest.trim_start().contains('(') => self.error(
                    span,
                    "function-like macros are not supported by the preprocessor; use a bpftrace macro",
                ),
                None => self.error(span, "#define expects a name"),
            },
            "undef" => {
                self.defs.remove(rest.trim());
            }
            "pragma" | "error" | "warning" | "line" => {
                self.error(span, format!("preprocessor directive `#{name}` is not supported"))
            }
            _ => self.error(span, format!("unknown preprocessor directive `#{name}`")),
        }
    }

    fn push_cond(&mut self, parent: bool, yes: bool, span: Span) {
        self.conds.push(Cond {
            parent,
            taken: yes,
            active: parent && yes,
            seen_else: false,
            span,
        });
    }

    /// `line` with macro names replaced (outside strings and comments; not after
    /// `$`, `@`, `.` or `->`, which make them variables, maps or fields).
    fn substitute_line(&mut self, line: &str, depth: u32) -> String {
        let b = line.as_bytes();
        let mut out = String::with_capacity(line.len());
        let mut i = 0;
        while i < b.len() {
            if self.in_comment {
                let end = line[i..].find("*/").map_or(b.len(), |e| i + e + 2);
                self.in_comment = end == b.len() && !line[i..].contains("*/");
                out.push_str(&line[i..end]);
                i = end;
                continue;
            }
            let c = b[i];
            if line[i..].starts_with("//") {
                out.push_str(&line[i..]);
                break;
            }
            if line[i..].starts_with("/*") {
                self.in_comment = true;
                out.push_str("/*");
                i += 2;
                continue;
            }
            if c == b'"' {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let end = (j + 1).min(b.len());
                out.push_str(&line[i..end]);
                i = end;
                continue;
            }
            if c.is_ascii_alphabetic() || c == b'_' {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let word = &line[i..j];
                let before = line[..i].trim_end();
                let member = before.ends_with(['$', '@', '.']) || before.ends_with("->");
                match self.defs.get(word).cloned() {
                    Some(v) if !member && depth < 16 => {
                        let saved = self.in_comment;
                        let v = self.substitute_line(&v, depth + 1);
                        self.in_comment = saved;
                        out.push_str(&v);
                        for _ in v.len()..word.len() {
                            out.push(' ');
                        }
                    }
                    _ => out.push_str(word),
                }
                i = j;
                continue;
            }
            let ch = line[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
        out
    }

    /// The value of an `#if` expression (errors count as 0).
    fn eval(&mut self, expr: &str, span: Span) -> i64 {
        let toks = match self.tokens(expr) {
            Ok(t) => t,
            Err(e) => {
                self.error(span, format!("invalid #if expression: {e}"));
                return 0;
            }
        };
        let mut p = CondParser {
            toks: &toks,
            pos: 0,
        };
        match p.or() {
            Ok(v) if p.pos == toks.len() => v,
            Ok(_) => {
                self.error(span, "invalid #if expression: unexpected tokens at the end");
                0
            }
            Err(e) => {
                self.error(span, format!("invalid #if expression: {e}"));
                0
            }
        }
    }

    /// Tokens of an `#if` expression, with `defined` and macros resolved.
    fn tokens(&self, expr: &str) -> Result<Vec<Tok>, String> {
        let mut toks = Vec::new();
        let b = expr.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_whitespace() {
                i += 1;
            } else if c.is_ascii_digit() {
                let mut j = i;
                while j < b.len() && b[j].is_ascii_alphanumeric() {
                    j += 1;
                }
                let n = headers::numeric(&expr[i..j])
                    .and_then(|s| s.parse::<i64>().ok())
                    .ok_or_else(|| format!("bad number '{}'", &expr[i..j]))?;
                toks.push(Tok::Num(n));
                i = j;
            } else if c.is_ascii_alphabetic() || c == b'_' {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let word = &expr[i..j];
                i = j;
                if word == "defined" {
                    let rest = expr[i..].trim_start();
                    let (inner, used) = match rest.strip_prefix('(') {
                        Some(r) => {
                            let end = r.find(')').ok_or("missing ) after defined(")?;
                            (r[..end].trim(), expr.len() - rest.len() + end + 2)
                        }
                        None => {
                            let end = rest
                                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                                .unwrap_or(rest.len());
                            (&rest[..end], expr.len() - rest.len() + end)
                        }
                    };
                    if !headers::is_ident(inner) {
                        return Err("defined needs a name".into());
                    }
                    toks.push(Tok::Num(self.defs.contains_key(inner) as i64));
                    i = used;
                } else {
                    let v = self
                        .defs
                        .get(word)
                        .and_then(|v| headers::numeric(v))
                        .and_then(|s| s.parse::<i64>().ok())
                        .unwrap_or(0);
                    toks.push(Tok::Num(v));
                }
            } else {
                let two = expr.get(i..i + 2).unwrap_or("");
                let op = ["&&", "||", "==", "!=", "<=", ">="]
                    .into_iter()
                    .find(|o| *o == two);
                match op {
                    Some(o) => {
                        toks.push(Tok::Op(o.to_string()));
                        i += 2;
                    }
                    None if b"()!<>+-*/".contains(&c) => {
                        toks.push(Tok::Op((c as char).to_string()));
                        i += 1;
                    }
                    None => return Err(format!("unexpected '{}'", c as char)),
                }
            }
        }
        Ok(toks)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(i64),
    Op(String),
}

/// Precedence climbing over `#if` tokens.
struct CondParser<'t> {
    toks: &'t [Tok],
    pos: usize,
}

impl CondParser<'_> {
    fn peek_op(&self) -> Option<&str> {
        match self.toks.get(self.pos) {
            Some(Tok::Op(o)) => Some(o),
            _ => None,
        }
    }
    fn binary(
        &mut self,
        ops: &[&str],
        next: fn(&mut Self) -> Result<i64, String>,
    ) -> Result<i64, String> {
        let mut v = next(self)?;
        while let Some(op) = self
            .peek_op()
            .filter(|o| ops.contains(o))
            .map(str::to_string)
        {
            self.pos += 1;
            let r = next(self)?;
            v = match op.as_str() {
                "||" => ((v != 0) || (r != 0)) as i64,
                "&&" => ((v != 0) && (r != 0)) as i64,
                "==" => (v == r) as i64,
                "!=" => (v != r) as i64,
                "<" => (v < r) as i64,
                ">" => (v > r) as i64,
                "<=" => (v <= r) as i64,
                ">=" => (v >= r) as i64,
                "+" => v.wrapping_add(r),
                "-" => v.wrapping_sub(r),
                "*" => v.wrapping_mul(r),
                _ => v.checked_div(r).ok_or("division by zero")?,
            };
        }
        Ok(v)
    }
    fn or(&mut self) -> Result<i64, String> {
        self.binary(&["||"], Self::and)
    }
    fn and(&mut self) -> Result<i64, String> {
        self.binary(&["&&"], Self::eq)
    }
    fn eq(&mut self) -> Result<i64, String> {
        self.binary(&["==", "!="], Self::rel)
    }
    fn rel(&mut self) -> Result<i64, String> {
        self.binary(&["<", ">", "<=", ">="], Self::add)
    }
    fn add(&mut self) -> Result<i64, String> {
        self.binary(&["+", "-"], Self::mul)
    }
    fn mul(&mut self) -> Result<i64, String> {
        self.binary(&["*", "/"], Self::unary)
    }
    fn unary(&mut self) -> Result<i64, String> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(n)
            }
            Some(Tok::Op(o)) if o == "!" => {
                self.pos += 1;
                Ok((self.unary()? == 0) as i64)
            }
            Some(Tok::Op(o)) if o == "-" => {
                self.pos += 1;
                Ok(self.unary()?.wrapping_neg())
            }
            Some(Tok::Op(o)) if o == "(" => {
                self.pos += 1;
                let v = self.or()?;
                if self.peek_op() != Some(")") {
                    return Err("missing )".into());
                }
                self.pos += 1;
                Ok(v)
            }
            _ => Err("expected a value".into()),
        }
    }
}

#[cfg(test)]
#[path = "preprocess_tests.rs"]
mod tests;
