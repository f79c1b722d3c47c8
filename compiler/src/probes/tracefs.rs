//! Where tracepoint lists and formats come from.
//!
//! [`TracepointSource`] is the boundary: [`Tracefs`] reads a mounted tracefs (or a copy
//! of one); another source (e.g. BTF, for compiling offline) only has to implement the
//! same two methods.

use super::format::{self, FormatField};
use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Why a source could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// There is no tracefs at `root` (no `events/` directory).
    NotMounted { root: PathBuf },
    /// Something exists but could not be read.
    Io {
        path: PathBuf,
        error: String,
        permission: bool,
    },
    /// A format file that does not parse.
    BadFormat { path: PathBuf, error: String },
    /// Kernel BTF (used when tracefs is unreadable) that could not be read or does
    /// not describe a tracepoint.
    Btf { path: PathBuf, error: String },
}

impl SourceError {
    /// Further explanation for a user: how to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            SourceError::NotMounted { root } => Some(format!(
                "mount it with `mount -t tracefs nodev {}` (needs root)",
                root.display()
            )),
            SourceError::Io {
                permission: true, ..
            } => Some(
                "reading tracepoint formats needs root (or compile offline with --btf FILE, \
                 the kernel's BTF)"
                    .to_string(),
            ),
            _ => None,
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::NotMounted { root } => write!(
                f,
                "tracefs is not mounted at {} (no events directory)",
                root.display()
            ),
            SourceError::Io { path, error, .. } => {
                write!(f, "cannot read {}: {error}", path.display())
            }
            SourceError::BadFormat { path, error } => write!(f, "{}: {error}", path.display()),
            SourceError::Btf { path, error } => {
                write!(f, "kernel BTF {}: {error}", path.display())
            }
        }
    }
}

/// A provider of tracepoint names and record layouts.
pub trait TracepointSource {
    /// Every tracepoint as `(category, name)`, sorted, without duplicates.
    fn events(&self) -> Result<Vec<(String, String)>, SourceError>;
    /// The fields of one tracepoint's record (without `common_*`), or `None` if the
    /// tracepoint does not exist.
    fn fields(&self, category: &str, name: &str) -> Result<Option<Vec<FormatField>>, SourceError>;
}

/// Whether pointers in a category's records point into user memory.
pub fn user_pointers(category: &str) -> bool {
    category == "syscalls"
}

/// A tracefs tree rooted at `root` (normally `/sys/kernel/tracing`).
#[derive(Debug, Clone)]
pub struct Tracefs {
    root: PathBuf,
}

impl Tracefs {
    pub fn new(root: impl Into<PathBuf>) -> Tracefs {
        Tracefs { root: root.into() }
    }

    fn events_dir(&self) -> Result<PathBuf, SourceError> {
        let dir = self.root.join("events");
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(SourceError::NotMounted {
                root: self.root.clone(),
            })
        }
    }

    /// `available_events` holds one `category:name` per line.
    fn read_available_events(&self) -> Option<Vec<(String, String)>> {
        let text = std::fs::read_to_string(self.root.join("available_events")).ok()?;
        Some(
            text.lines()
                .filter_map(|l| l.trim().split_once(':'))
                .map(|(c, n)| (c.to_string(), n.to_string()))
                .collect(),
        )
    }

    /// Without `available_events`: every `events/CAT/NAME/format`.
    fn scan_events_dir(&self, dir: &Path) -> Result<Vec<(String, String)>, SourceError> {
        let mut out = Vec::new();
        for cat in read_dir(dir)? {
            let cat_dir = dir.join(&cat);
            if !cat_dir.is_dir() {
                continue;
            }
            for name in read_dir(&cat_dir)? {
                if cat_dir.join(&name).join("format").is_file() {
                    out.push((cat.clone(), name));
                }
            }
        }
        Ok(out)
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> SourceError {
    SourceError::Io {
        path: path.to_path_buf(),
        error: e.to_string(),
        permission: e.kind() == ErrorKind::PermissionDenied,
    }
}

fn read_dir(dir: &Path) -> Result<Vec<String>, SourceError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    Ok(entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect())
}

/// A path component that cannot escape its directory.
fn safe_component(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\0'])
}

impl TracepointSource for Tracefs {
    fn events(&self) -> Result<Vec<(String, String)>, SourceError> {
        let dir = self.events_dir()?;
        let mut events = match self.read_available_events() {
            Some(events) => events,
            None => self.scan_events_dir(&dir)?,
        };
        events.sort();
        events.dedup();
        Ok(events)
    }

    fn fields(&self, category: &str, name: &str) -> Result<Option<Vec<FormatField>>, SourceError> {
        let dir = self.events_dir()?;
        if !safe_component(category) || !safe_component(name) {
            return Ok(None);
        }
        let path = dir.join(category).join(name).join("format");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                return Ok(None);
            }
            Err(e) => return Err(io_error(&path, &e)),
        };
        format::parse(&text, user_pointers(category))
            .map(Some)
            .map_err(|error| SourceError::BadFormat { path, error })
    }
}
