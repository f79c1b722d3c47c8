//! Diagnostics as JSON, for CI tools (`tracec --check --format json`).
//!
//! One JSON object per diagnostic, one per line (NDJSON):
//!
//! ```json
//! {"file":"a.bt","line":2,"column":3,"end_line":2,"end_column":11,"severity":"error","message":"unknown function 'nosuchfn'"}
//! ```
//!
//! Lines and columns are 1-based, columns count characters (not bytes);
//! `end_line`/`end_column` is the position just after the last character of the
//! span (equal to the start for an empty span). `label` (the text under the caret)
//! and `notes` are present only when not empty. A problem with a whole file (it
//! cannot be read) has `null` positions.

use super::{line_col, Diagnostic, Severity};
use serde::Serialize;

/// The JSON form of one diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub end_line: Option<u32>,
    pub end_column: Option<u32>,
    pub severity: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// `"error"` or `"warning"`.
pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

impl JsonDiagnostic {
    /// A diagnostic of the script `source` in `file`.
    pub fn new(file: &str, source: &str, d: &Diagnostic) -> JsonDiagnostic {
        let (file, source, span) = super::located(file, source, d);
        let (line, column) = line_col(source, span.start);
        let (end_line, end_column) = line_col(source, span.end.max(span.start));
        JsonDiagnostic {
            file: file.to_string(),
            line: Some(line),
            column: Some(column),
            end_line: Some(end_line),
            end_column: Some(end_column),
            severity: severity_name(d.severity),
            message: d.message.clone(),
            label: d.label.clone(),
            notes: d.notes.clone(),
        }
    }

    /// An error about a whole file, with no position (e.g. it cannot be read).
    pub fn file_error(file: &str, message: impl Into<String>) -> JsonDiagnostic {
        JsonDiagnostic {
            file: file.to_string(),
            line: None,
            column: None,
            end_line: None,
            end_column: None,
            severity: severity_name(Severity::Error),
            message: message.into(),
            label: String::new(),
            notes: Vec::new(),
        }
    }

    /// One line of JSON, without the newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a diagnostic always serializes")
    }
}

/// The diagnostics of one file as NDJSON: one object per line, each line ending in
/// a newline (empty when there are none).
pub fn render(file: &str, source: &str, diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| JsonDiagnostic::new(file, source, d).to_line() + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::ast::Span;

    #[test]
    fn positions_are_one_based_characters() {
        // `é` is two bytes but one column.
        let src = "BEGIN {\n  \"é\"; nosuchfn();\n}";
        let start = src.find("nosuchfn").unwrap();
        let d = Diagnostic::error(Span::new(start, start + 8), "unknown function 'nosuchfn'")
            .with_label("here")
            .with_note("a note");
        let v: serde_json::Value = serde_json::from_str(render("x.bt", src, &[d]).trim()).unwrap();
        assert_eq!(v["file"], "x.bt");
        assert_eq!(v["line"], 2);
        assert_eq!(v["column"], 8);
        assert_eq!(v["end_line"], 2);
        assert_eq!(v["end_column"], 16);
        assert_eq!(v["severity"], "error");
        assert_eq!(v["message"], "unknown function 'nosuchfn'");
        assert_eq!(v["label"], "here");
        assert_eq!(v["notes"], serde_json::json!(["a note"]));
    }

    #[test]
    fn one_line_per_diagnostic_and_optional_fields_omitted() {
        let src = "BEGIN { 1; }";
        let diags = [
            Diagnostic::warning(Span::new(8, 9), "w"),
            Diagnostic::error(Span::new(12, 12), "e"),
        ];
        let out = render("y.bt", src, &diags);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(out.ends_with('\n'));
        let w: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(w["severity"], "warning");
        assert!(w.get("label").is_none() && w.get("notes").is_none(), "{w}");
        let e: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(
            (e["column"].as_u64(), e["end_column"].as_u64()),
            (Some(13), Some(13))
        );
    }

    #[test]
    fn file_errors_have_no_position() {
        let v: serde_json::Value =
            serde_json::from_str(&JsonDiagnostic::file_error("z.bt", "cannot read").to_line())
                .unwrap();
        assert!(v["line"].is_null() && v["column"].is_null(), "{v}");
        assert_eq!(v["severity"], "error");
    }
}
