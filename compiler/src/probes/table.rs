//! The tracepoint table kept in the repository (`compiler/data/tracepoints.txt`,
//! generated from a real kernel by `compiler/data/make-tracepoint-table.sh`): every
//! tracepoint's name, and the formats BTF cannot give (the `syscalls` category, and
//! events whose BTF record does not match their tracefs format on the generating
//! kernel).
//!
//! Text format, one tracepoint per line, sorted: `CATEGORY NAME`, optionally
//! followed by tab-separated fields `DECLARATION;OFFSET;SIZE;SIGNED` (the
//! non-`common_*` fields of its format file). Lines starting with `#` are comments.

use super::format::{self, FormatField};
use std::sync::OnceLock;

/// The table generated from a real kernel, embedded in the compiler.
pub const EMBEDDED: &str = include_str!("../../data/tracepoints.txt");

/// One line of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub category: &'a str,
    pub name: &'a str,
    /// The tab-separated field specs, when the table carries the format.
    pub fields: Option<&'a str>,
}

/// A parsed table: entries sorted by (category, name).
#[derive(Debug, Clone)]
pub struct Table<'a> {
    entries: Vec<Entry<'a>>,
}

impl<'a> Table<'a> {
    /// Parse the table text; malformed lines are errors (the text is ours, so this
    /// only fails for a corrupted table).
    pub fn parse(text: &'a str) -> Result<Table<'a>, String> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (head, fields) = match line.split_once('\t') {
                Some((head, fields)) => (head, Some(fields)),
                None => (line, None),
            };
            let Some((category, name)) = head.split_once(' ') else {
                return Err(format!("tracepoint table line {}: no name", i + 1));
            };
            entries.push(Entry {
                category,
                name,
                fields,
            });
        }
        entries.sort_by(|a, b| (a.category, a.name).cmp(&(b.category, b.name)));
        entries.dedup_by(|a, b| (a.category, a.name) == (b.category, b.name));
        Ok(Table { entries })
    }

    pub fn entries(&self) -> &[Entry<'a>] {
        &self.entries
    }

    pub fn get(&self, category: &str, name: &str) -> Option<&Entry<'a>> {
        self.entries
            .binary_search_by(|e| (e.category, e.name).cmp(&(category, name)))
            .ok()
            .and_then(|i| self.entries.get(i))
    }
}

/// The embedded table, parsed once.
pub fn embedded() -> &'static Table<'static> {
    static TABLE: OnceLock<Table<'static>> = OnceLock::new();
    TABLE.get_or_init(|| {
        Table::parse(EMBEDDED).unwrap_or_else(|_| Table {
            entries: Vec::new(),
        })
    })
}

/// The fields of a table entry's format.
pub fn entry_fields(fields: &str, user_pointers: bool) -> Result<Vec<FormatField>, String> {
    let mut text = String::new();
    for spec in fields.split('\t') {
        let mut parts = spec.rsplitn(4, ';');
        let (Some(signed), Some(size), Some(offset), Some(decl)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("malformed field in tracepoint table: {spec:?}"));
        };
        text.push_str(&format_line(decl, offset, size, signed));
    }
    format::parse(&text, user_pointers)
}

/// One field line as a tracefs format file writes it.
pub fn format_line(
    decl: &str,
    offset: impl std::fmt::Display,
    size: impl std::fmt::Display,
    signed: impl std::fmt::Display,
) -> String {
    format!("\tfield:{decl};\toffset:{offset};\tsize:{size};\tsigned:{signed};\n")
}

/// The table spec of a format file's non-`common_*` fields, as
/// `DECL;OFFSET;SIZE;SIGNED` joined by tabs (for the generator).
pub fn fields_of_format(text: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with("field:") {
            continue;
        }
        let mut spec = [""; 4];
        for item in line.split(';') {
            let Some((key, value)) = item.trim().split_once(':') else {
                continue;
            };
            let slot = match key {
                "field" => 0,
                "offset" => 1,
                "size" => 2,
                "signed" => 3,
                _ => continue,
            };
            spec[slot] = value.trim();
        }
        let decl = spec[0].split_whitespace().collect::<Vec<_>>().join(" ");
        if spec.iter().any(|s| s.is_empty()) || decl.contains(['\t', ';']) {
            return Err(format!("unexpected field line: {line:?}"));
        }
        if decl.split([' ', '*']).any(|w| w.starts_with("common_")) {
            continue;
        }
        out.push(format!("{decl};{};{};{}", spec[1], spec[2], spec[3]));
    }
    Ok(out.join("\t"))
}
