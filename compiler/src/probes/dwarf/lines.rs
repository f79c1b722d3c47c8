//! Source locations to addresses through the DWARF line table (`.debug_line`), for
//! `uprobe:PATH@FILE:LINE[:COLUMN]`: the lowest address of a statement row (`is_stmt`)
//! of that line in that file, as a debugger places a breakpoint.

use std::path::Path;

use gimli::{EndianSlice, RunTimeEndian};
use goblin::elf::Elf;

use super::read::debug_sections;

type R<'a> = EndianSlice<'a, RunTimeEndian>;

/// A source location as written in an attach point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLoc {
    /// The file as written: a bare name, a relative path (a suffix of the recorded
    /// path) or an absolute path.
    pub file: String,
    pub line: u64,
    pub column: Option<u64>,
}

/// Why a source location has no address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// The binary (or its debug file) has no line table.
    NoLineInfo,
    /// No compilation unit names the file.
    NoFile,
    /// The file is known but no statement starts on that line (and column).
    NoStatement,
    /// The binary could not be read or parsed.
    Read(String),
}

impl SourceLoc {
    /// Parses `FILE:LINE[:COLUMN]` (the text after `@` in an attach point's path part
    /// joined with the parts after it).
    pub fn parse(file: &str, rest: &[&str]) -> Result<SourceLoc, String> {
        if file.is_empty() {
            return Err("a source location needs a file name (PATH@FILE:LINE)".to_string());
        }
        let number = |s: &str, what: &str| -> Result<u64, String> {
            s.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("invalid {what} number in source location: {s:?}"))
        };
        let (line, column) = match rest {
            [line] => (number(line, "line")?, None),
            [line, col] => (number(line, "line")?, Some(number(col, "column")?)),
            _ => return Err("a source location is FILE:LINE or FILE:LINE:COLUMN".to_string()),
        };
        Ok(SourceLoc {
            file: file.to_string(),
            line,
            column,
        })
    }

    /// Whether the recorded file (`dir`, `name`, from a line table) is this file.
    fn matches(&self, dir: &str, name: &str) -> bool {
        let full = if name.starts_with('/') || dir.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", dir.trim_end_matches('/'))
        };
        let want = self.file.strip_prefix("./").unwrap_or(&self.file);
        if want.starts_with('/') {
            return full == want;
        }
        name == want || full == want || full.ends_with(&format!("/{want}"))
    }
}

/// The virtual address of `loc` in the binary at `path`, from its own line table or
/// that of its separate debug file.
pub fn address(path: &Path, loc: &SourceLoc) -> Result<u64, LineError> {
    let bytes =
        std::fs::read(path).map_err(|e| LineError::Read(format!("{}: {e}", path.display())))?;
    match address_in(&bytes, Some(path), loc) {
        Err(LineError::NoLineInfo) => match crate::probes::usyms::debug_file(path, &bytes) {
            Some(debug) => address_in(&debug, Some(path), loc),
            None => Err(LineError::NoLineInfo),
        },
        other => other,
    }
}

/// [`address`] in the ELF image `bytes`.
pub(super) fn address_in(
    bytes: &[u8],
    path: Option<&Path>,
    loc: &SourceLoc,
) -> Result<u64, LineError> {
    let elf = Elf::parse(bytes).map_err(|e| LineError::Read(e.to_string()))?;
    let secs = debug_sections(&elf, bytes, path);
    if secs.get(".debug_line").is_empty() {
        return Err(LineError::NoLineInfo);
    }
    let endian = if elf.little_endian {
        RunTimeEndian::Little
    } else {
        RunTimeEndian::Big
    };
    let dwarf = gimli::Dwarf::load(|id| -> Result<R<'_>, gimli::Error> {
        Ok(EndianSlice::new(secs.get(id.name()), endian))
    })
    .map_err(|e| LineError::Read(format!("cannot read DWARF: {e}")))?;
    let mut file_seen = false;
    let mut best: Option<u64> = None;
    let mut units = dwarf.units();
    while let Ok(Some(header)) = units.next() {
        let Ok(unit) = dwarf.unit(header) else {
            continue;
        };
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let comp_dir = unit
            .comp_dir
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Which file indices of this unit's table are the wanted file.
        let header = program.header();
        let mut wanted: Vec<u64> = Vec::new();
        let first = if header.version() >= 5 { 0 } else { 1 };
        for (i, entry) in header.file_names().iter().enumerate() {
            let name = attr_str(&dwarf, &unit, entry.path_name());
            let dir = entry
                .directory(header)
                .map(|d| attr_str(&dwarf, &unit, d))
                .unwrap_or_default();
            let dir = if dir.starts_with('/') || comp_dir.is_empty() {
                dir
            } else if dir.is_empty() {
                comp_dir.clone()
            } else {
                format!("{comp_dir}/{dir}")
            };
            if loc.matches(&dir, &name) {
                wanted.push(i as u64 + first);
            }
        }
        if wanted.is_empty() {
            continue;
        }
        file_seen = true;
        let mut rows = program.rows();
        while let Ok(Some((_, row))) = rows.next_row() {
            if row.end_sequence() || !row.is_stmt() || !wanted.contains(&row.file_index()) {
                continue;
            }
            if row.line().map(|l| l.get()) != Some(loc.line) {
                continue;
            }
            if let Some(col) = loc.column {
                let at = match row.column() {
                    gimli::ColumnType::LeftEdge => 0,
                    gimli::ColumnType::Column(c) => c.get(),
                };
                if at != col {
                    continue;
                }
            }
            // Address 0 is a discarded function's sequence in an unlinked object.
            if row.address() != 0 {
                best = Some(best.map_or(row.address(), |b| b.min(row.address())));
            }
        }
    }
    match (best, file_seen) {
        (Some(addr), _) => Ok(addr),
        (None, true) => Err(LineError::NoStatement),
        (None, false) => Err(LineError::NoFile),
    }
}

fn attr_str(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &gimli::Unit<R<'_>>,
    v: gimli::AttributeValue<R<'_>>,
) -> String {
    dwarf
        .attr_string(unit, v)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
