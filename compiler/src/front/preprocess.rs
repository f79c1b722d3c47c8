//! The script preprocessor, run on the text before lexing:
//!
//! - `#include <h>` / `"h"`: types come from kernel BTF, so a header only
//!   contributes its integer object-like macros (`AF_INET`), read from the header
//!   found in the kernel's header tree, under the `-I` directories and in the
//!   system include directories ([`super::headers`], which evaluates the header's
//!   own conditionals). A header that is not found is clang's fatal error
//!   (`'lol/no.h' file not found`), except for a header of the kernel's tree
//!   (`<linux/fs.h>`, `<net/sock.h>`) on a host without kernel headers: its types
//!   come from BTF and its usual constants from [`super::kconsts`];
//! - `#define NAME value` (object-like), `#undef NAME`;
//! - `#ifdef`, `#ifndef`, `#if EXPR`, `#elif`, `#else`, `#endif`, with the
//!   expressions of [`super::cpp_expr`] and the target's predefined macros
//!   ([`Macros::predefined`]); `BPFTRACE_HAVE_BTF` is defined.
//!
//! `#!` lines at column 0 are comments, on any line (bpftrace's lexer). Directive
//! lines and inactive lines are blanked (newlines kept), and macro
//! names in the code are replaced by their values, padded to the name's length
//! when shorter, so positions and line numbers stay those of the script.

use super::cpp::{self, Conds, Macros, Origin};
use super::cpp_expr::{self, Macro};
use super::headers::{self, Headers};
use crate::diag::Diagnostic;
use crate::front::ast::Span;
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
    let mut macros = Macros::predefined(!headers::kernel_include_dirs().is_empty());
    macros.set_include_dirs(headers::search_dirs(include_dirs));
    let mut pp = Pp {
        includes: Vec::new(),
        macros,
        include_dirs,
        conds: Conds::new(),
        diags: Vec::new(),
        in_comment: false,
        substituted: 0,
    };
    let mut out = String::with_capacity(src.len());
    let mut lines = src.split_inclusive('\n').peekable();
    let mut offset = 0usize;
    while let Some(line) = lines.next() {
        let start = offset;
        offset += line.len();
        // bpftrace reads a `#!` line at column 0 as a comment on any line, not
        // only as the first line's shebang.
        let shebang = !pp.in_comment && line.starts_with("#!");
        let is_directive = !pp.in_comment && !shebang && line.trim_start().starts_with('#');
        if shebang {
            out.push_str(&blank(line));
        } else if is_directive {
            let mut text = line.to_string();
            out.push_str(&blank(line));
            while text.trim_end().ends_with('\\') {
                let Some(next) = lines.next() else { break };
                offset += next.len();
                out.push_str(&blank(next));
                let t = text.trim_end().trim_end_matches('\\').to_string();
                text = format!("{t} {next}");
            }
            let indent = line.len() - line.trim_start().len();
            pp.directive(
                text.trim(),
                Span::new(start + indent, start + line.trim_end().len()),
            );
        } else if pp.conds.active() {
            let full = pp.substituted >= MAX_SUBSTITUTED;
            out.push_str(&pp.substitute_line(line, 0));
            if !full && pp.substituted >= MAX_SUBSTITUTED {
                pp.error(
                    Span::new(start, start + line.trim_end().len()),
                    "macro expansion too large",
                );
            }
        } else {
            out.push_str(&blank(line));
        }
    }
    if let Some(span) = pp.conds.unterminated() {
        pp.diags.push(
            Diagnostic::error(span, "unterminated conditional directive")
                .with_note("add the matching #endif"),
        );
    }
    (out, pp.diags, pp.includes)
}

struct Pp<'a> {
    /// The headers of the active `#include` lines.
    includes: Vec<String>,
    macros: Macros,
    include_dirs: &'a [PathBuf],
    conds: Conds<Span>,
    diags: Vec<Diagnostic>,
    in_comment: bool,
    /// Bytes of macro text substituted so far, bounded by [`MAX_SUBSTITUTED`].
    substituted: usize,
}

/// Most bytes of macro text substituted into one script: macros naming other
/// macros several times grow exponentially with their nesting.
const MAX_SUBSTITUTED: usize = 1 << 22;

fn blank(line: &str) -> String {
    line.chars()
        .map(|c| if c == '\n' || c == '\r' { c } else { ' ' })
        .collect()
}

impl Pp<'_> {
    fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg));
    }

    /// `text` is the directive (from `#`), `span` its line.
    fn directive(&mut self, text: &str, span: Span) {
        let body = text[1..].trim_start();
        let name_len = body
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(body.len());
        let (name, rest) = body.split_at(name_len);
        let active = self.conds.active();
        let result = match name {
            "ifdef" | "ifndef" => {
                let defined = self.macros.contains(rest.trim());
                self.conds.push(defined == (name == "ifdef"), span);
                Ok(())
            }
            "if" => {
                let yes = active && self.eval(rest, span);
                self.conds.push(yes, span);
                Ok(())
            }
            "elif" => {
                let yes = self.conds.elif_needs_eval() && self.eval(rest, span);
                self.conds.elif(yes)
            }
            "else" => self.conds.else_(),
            // The null directive: `#` alone on its line does nothing in C.
            "" if rest.trim().is_empty() => Ok(()),
            "endif" => self.conds.endif(),
            _ if !active => Ok(()),
            "include" => {
                self.include(text, rest, span);
                Ok(())
            }
            "define" => {
                match cpp::parse_define(rest) {
                    Some((n, m @ Macro::Object(_))) => self.macros.define(n, m, Origin::Script),
                    Some(_) => self.error(
                        span,
                        "function-like macros are not supported by the preprocessor; use a bpftrace macro",
                    ),
                    None => self.error(span, "#define expects a name"),
                }
                Ok(())
            }
            "undef" => {
                self.macros.undef(rest.trim());
                Ok(())
            }
            "pragma" | "error" | "warning" | "line" => {
                self.error(
                    span,
                    format!("preprocessor directive `#{name}` is not supported"),
                );
                Ok(())
            }
            _ => {
                self.error(span, format!("unknown preprocessor directive `#{name}`"));
                Ok(())
            }
        };
        if let Err(e) = result {
            self.error(span, e.0);
        }
    }

    /// `#include`: read the header's macros, or report it missing as clang does
    /// (at the `<`), unless it is a kernel header on a host without them.
    fn include(&mut self, text: &str, rest: &str, span: Span) {
        let Some(h) = headers::include_target(rest) else {
            return self.error(span, "#include expects <FILE> or \"FILE\"");
        };
        self.includes.push(h.clone());
        let mut hs = Headers::new(self.include_dirs, &mut self.macros);
        match hs.find(&h, None) {
            Ok(path) => hs.include(&path),
            Err(_) if headers::excused_missing(&h) => {}
            Err(_) => {
                let at = span.start as usize + text.len() - rest.trim_start().len();
                let at = Span::new(at, at + rest.trim().len());
                self.diags.push(
                    Diagnostic::error(at, format!("'{h}' file not found")).from_clang_fatal(),
                );
            }
        }
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
                match self.macros.substitution(word) {
                    Some(v) if !member && depth < 16 && self.substituted < MAX_SUBSTITUTED => {
                        self.substituted += v.len();
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

    /// The value of an `#if` expression (errors count as false).
    fn eval(&mut self, expr: &str, span: Span) -> bool {
        match cpp_expr::eval_if(expr, &self.macros) {
            Ok(v) => v != 0,
            Err(e) => {
                self.error(span, format!("invalid #if expression: {e}"));
                false
            }
        }
    }
}

#[cfg(test)]
#[path = "preprocess_tests.rs"]
mod tests;
