//! User-facing diagnostics. Every error the compiler reports about a script is a
//! [`Diagnostic`] with a span; [`render`] prints them the codespan way:
//! `error: unknown function 'nosuchfn'` / `┌─ x.bt:3:5` / the line with a caret.

pub mod bpftrace;
mod clang;
pub mod json;

use crate::front::ast::Span;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// Who reports a diagnostic in bpftrace, which matters for `--format bpftrace`:
/// bpftrace itself, or clang compiling the script's C definitions and
/// preprocessor lines (`definitions.h:2:41: error: ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reporter {
    #[default]
    Bpftrace,
    /// A clang `error`.
    Clang,
    /// A clang `fatal error` (a header not found).
    ClangFatal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; the caret goes here.
    pub span: Span,
    /// Text under the caret (may be empty).
    pub label: String,
    /// Further `= note:` lines.
    pub notes: Vec<String>,
    /// Who reports it in bpftrace.
    pub reporter: Reporter,
    /// The imported file the span lies in (`front::imports`); `None` for the script
    /// itself. Spans stay offsets of the combined text; [`located`] makes them local.
    pub file: Option<Arc<SourceFile>>,
    /// About the script as a whole: shown without a source excerpt (the span still
    /// says where it was found, for JSON output).
    pub whole_script: bool,
}

/// An imported file: its name, text, and where it starts in the combined text the
/// compiler works on (the script first, then each imported file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    pub base: u32,
}

/// The file name, text and local span a diagnostic should be shown with: the
/// script's (`name`, `source`), or those of the imported file it lies in.
pub fn located<'a>(name: &'a str, source: &'a str, d: &'a Diagnostic) -> (&'a str, &'a str, Span) {
    match &d.file {
        Some(f) => {
            let local = |o: u32| o.saturating_sub(f.base).min(f.text.len() as u32);
            let span = Span {
                start: local(d.span.start),
                end: local(d.span.end.max(d.span.start)),
            };
            (&f.name, &f.text, span)
        }
        None => (name, source, d.span),
    }
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            label: String::new(),
            notes: Vec::new(),
            reporter: Reporter::Bpftrace,
            file: None,
            whole_script: false,
        }
    }
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
    /// Shown without a source excerpt: about the script as a whole.
    pub fn about_whole_script(mut self) -> Diagnostic {
        self.whole_script = true;
        self
    }
    /// A clang error on the script's C definitions.
    pub fn from_clang(mut self) -> Diagnostic {
        self.reporter = Reporter::Clang;
        self
    }
    /// A clang fatal error on the script's preprocessor lines.
    pub fn from_clang_fatal(mut self) -> Diagnostic {
        self.reporter = Reporter::ClangFatal;
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// 1-based line and column of a byte offset (columns count characters).
pub fn line_col(source: &str, offset: u32) -> (u32, u32) {
    let offset = (offset as usize).min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() as u32 + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Render diagnostics as text (with colors if `color`).
pub fn render(name: &str, source: &str, diags: &[Diagnostic], color: bool) -> String {
    let config = term::Config::default();
    let mut buf = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    for d in diags {
        let (name, source, span) = located(name, source, d);
        let file = SimpleFile::new(name, source);
        let start = floor_char_boundary(source, (span.start as usize).min(source.len()));
        let end = floor_char_boundary(source, (span.end as usize).min(source.len())).max(start);
        let cs = match d.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        }
        .with_message(&d.message)
        .with_notes(d.notes.clone());
        let cs = if d.whole_script {
            cs
        } else {
            cs.with_labels(vec![Label::primary((), start..end).with_message(&d.label)])
        };
        term::emit_to_write_style(&mut buf, &config, &file, &cs).expect("render to memory");
    }
    String::from_utf8_lossy(buf.as_slice()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let src = "BEGIN {\n  nosuchfn();\n}";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 10), (2, 3));
        assert_eq!(line_col(src, 999), (3, 2));
    }

    #[test]
    fn whole_script_diagnostics_have_no_excerpt() {
        let src = "BEGIN {\n  @x = 1;\n}";
        let d = Diagnostic::warning(Span::new(10, 12), "about the script").about_whole_script();
        assert_eq!(
            render("x.bt", src, &[d], false),
            "warning: about the script\n\n"
        );
    }

    #[test]
    fn renders_location_and_caret() {
        let src = "BEGIN {\n  nosuchfn();\n}";
        let d = Diagnostic::error(Span::new(10, 18), "unknown function 'nosuchfn'");
        let out = render("x.bt", src, &[d], false);
        assert!(out.contains("error: unknown function 'nosuchfn'"), "{out}");
        assert!(out.contains("x.bt:2:3"), "{out}");
        assert!(out.contains("^^^^^^^^"), "{out}");
    }
}
