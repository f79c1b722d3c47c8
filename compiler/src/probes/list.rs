//! `-l [PATTERN]`: the probes this machine offers, named as bpftrace names them.
//!
//! Entries are tracepoints (`tracepoint:CAT:NAME`, from the tracepoint source) and the
//! rate templates of the timed providers (`interval:hz:`, `profile:ms:`, ...).
//!
//! A pattern is a comma-separated list of globs (`*`, `?`):
//! * without `:` it matches the last component of an entry (a tracepoint's name,
//!   a template's unit): `sys_enter_open*`;
//! * with `:` the first part matches the provider (short names allowed: `t:...`)
//!   and the rest matches part by part; `tracepoint:X` means `tracepoint:*:X`, and
//!   for templates a trailing count is ignored (`interval:s:1` lists `interval:s:`).

use super::glob::matches;
use super::interval::UNITS;
use super::tracefs::TracepointSource;
use super::{canonical_provider, Provider};

/// What one comma-separated piece of a pattern selects.
pub(super) struct Piece<'a> {
    /// `None` for a pattern without `:`.
    provider: Option<String>,
    rest: Vec<&'a str>,
    bare: &'a str,
    /// The longest run of `bare` without wildcards.
    literal: &'a str,
}

impl<'a> Piece<'a> {
    pub(super) fn parse(text: &'a str) -> Piece<'a> {
        let mut parts: Vec<&str> = text.split(':').collect();
        if parts.len() == 1 {
            return Piece {
                provider: None,
                rest: Vec::new(),
                bare: text,
                literal: longest_literal(text),
            };
        }
        let first = parts.remove(0);
        // An exact (short or long) provider name is resolved; anything else is a glob
        // over the long names.
        let provider = match canonical_provider(first) {
            Some(Provider::Supported(name) | Provider::Unsupported(name)) => name.to_string(),
            None => first.to_string(),
        };
        Piece {
            provider: Some(provider),
            rest: parts,
            bare: text,
            literal: longest_literal(text),
        }
    }

    /// Whether the piece names a provider matching `provider` (not a bare pattern).
    pub(super) fn wants_provider(&self, provider: &str) -> bool {
        self.provider
            .as_deref()
            .is_some_and(|p| matches(p, provider))
    }

    /// Whether the piece can select entries of `provider` (a bare pattern can).
    pub(super) fn may_select(&self, provider: &str) -> bool {
        self.wants(provider)
    }

    fn wants(&self, provider: &str) -> bool {
        self.provider
            .as_deref()
            .is_none_or(|p| matches(p, provider))
    }

    /// Whether the entry `provider:parts...` is selected. A pattern without `:` matches
    /// the entry's last part or the whole entry (`kprobe*`); with `:`, the parts match
    /// one by one, a single part matches the last one (`fentry:vfs_*` selects
    /// `fentry:vmlinux:vfs_read`), and for a one-part entry (`software:cpu:`) a
    /// trailing count is ignored.
    pub(super) fn matches_entry(&self, provider: &str, parts: &[&str]) -> bool {
        let Some(p) = &self.provider else {
            if self.bare == "*" {
                return true;
            }
            // A literal run of the pattern without `:` lies inside one component:
            // a cheap test that rejects almost every entry before any matching.
            let lit = self.literal;
            if !lit.contains(':')
                && !provider.contains(lit)
                && !parts.iter().any(|part| part.contains(lit))
            {
                return false;
            }
            if parts.last().is_some_and(|n| matches(self.bare, n)) {
                return true;
            }
            let whole = format!("{provider}:{}", parts.join(":"));
            return matches(self.bare, &whole);
        };
        if !matches(p, provider) {
            return false;
        }
        let rest = self.rest.as_slice();
        let all = |r: &[&str]| r.iter().zip(parts).all(|(a, b)| matches(a, b));
        (rest.len() == parts.len() && all(rest))
            || (rest.len() == 1 && parts.len() > 1 && matches(rest[0], parts[parts.len() - 1]))
            || (parts.len() == 1 && rest.len() == 2 && all(&rest[..1]))
    }

    /// For a piece `PROVIDER:PATH:FUNCTION` with a non-empty PATH (uprobe listing):
    /// the provider glob, the path and the function pattern.
    pub(super) fn user_target(&self) -> Option<(&str, &'a str, &'a str)> {
        match (self.provider.as_deref(), self.rest.as_slice()) {
            (Some(p), [path, function]) if !path.is_empty() => Some((p, *path, *function)),
            _ => None,
        }
    }

    /// For a piece `PROVIDER:PATH:NAME` or `PROVIDER:PATH:USDT_PROVIDER:NAME` (USDT
    /// listing): the provider glob, the path, the USDT provider pattern (`*` when not
    /// given) and the name pattern.
    pub(super) fn usdt_target(&self) -> Option<(&str, &'a str, &'a str, &'a str)> {
        match (self.provider.as_deref(), self.rest.as_slice()) {
            // `usdt:*`: every probe of every file (of a process).
            (Some(p), ["*"]) if p == "usdt" => Some((p, "*", "*", "*")),
            (Some(p), [path, name]) if !path.is_empty() => Some((p, *path, "*", *name)),
            (Some(p), [path, provider, name]) if !path.is_empty() => {
                Some((p, *path, *provider, *name))
            }
            _ => None,
        }
    }

    /// For `-l -p PID`, a piece that targets every file of the process: the probe
    /// type glob and the pattern over `PATH:FUNCTION` (uprobes) or
    /// `PATH:PROVIDER:NAME` (USDT), as bpftrace builds it: `uprobe:*:f*` gives
    /// `*:f*`, `uprobe:f*` and a bare `f*` (any type) `*:f*`. `None` when the piece
    /// names a file (listed without the process).
    pub(super) fn process_search(&self) -> Option<(&str, String)> {
        let provider = self.provider.as_deref().unwrap_or("*");
        match self.rest.as_slice() {
            [] => Some((provider, format!("*:{}", self.bare))),
            [one] => Some((provider, format!("*:{one}"))),
            ["*", ..] => Some((provider, self.rest.join(":"))),
            _ => None,
        }
    }

    fn matches_tracepoint(&self, category: &str, name: &str) -> bool {
        match (&self.provider, self.rest.as_slice()) {
            (None, _) => {
                matches(self.bare, name)
                    || matches(self.bare, &format!("tracepoint:{category}:{name}"))
            }
            (Some(p), [n]) => matches(p, "tracepoint") && matches(n, name),
            (Some(p), [c, n]) => {
                matches(p, "tracepoint") && matches(c, category) && matches(n, name)
            }
            _ => false,
        }
    }

    fn matches_template(&self, provider: &str, unit: &str) -> bool {
        match (&self.provider, self.rest.as_slice()) {
            (None, _) => matches(self.bare, unit),
            (Some(p), [u] | [u, _]) => matches(p, provider) && matches(u, unit),
            _ => false,
        }
    }
}

/// The longest run of `pattern` without wildcards (`do_nanosleep` in `*do_nanosleep*`).
fn longest_literal(pattern: &str) -> &str {
    pattern
        .split(['*', '?'])
        .max_by_key(|run| run.len())
        .unwrap_or("")
}

/// [`list_with`], plus each probe's `args` as declarations (`const char * filename`),
/// as `-lv` prints them under the probe's name. Only tracepoints have arguments.
pub fn list_verbose_with(
    pattern: Option<&str>,
    src: &dyn TracepointSource,
) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out = Vec::new();
    for name in list_with(pattern, src)? {
        let args = match name
            .strip_prefix("tracepoint:")
            .and_then(|r| r.split_once(':'))
        {
            Some((c, n)) => src
                .fields(c, n)
                .map_err(|e| e.to_string())?
                .unwrap_or_default()
                .into_iter()
                .map(|f| f.declaration)
                .collect(),
            None => Vec::new(),
        };
        out.push((name, args));
    }
    Ok(out)
}

/// The comma-separated pieces of a pattern (everything for `None`).
pub(super) fn pieces(pattern: Option<&str>) -> Vec<Piece<'_>> {
    match pattern {
        Some(p) => p
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Piece::parse)
            .collect(),
        None => vec![Piece::parse("*")],
    }
}

/// List against an explicit tracepoint source.
pub fn list_with(pattern: Option<&str>, src: &dyn TracepointSource) -> Result<Vec<String>, String> {
    let pieces = pieces(pattern);
    let mut out = Vec::new();
    for provider in ["interval", "profile"] {
        for unit in UNITS {
            if pieces.iter().any(|p| p.matches_template(provider, unit)) {
                out.push(format!("{provider}:{unit}:"));
            }
        }
    }
    if pieces.iter().any(|p| p.wants("tracepoint")) {
        let events = src.events().map_err(|e| match e.hint() {
            Some(h) => format!("{e}; {h}"),
            None => e.to_string(),
        })?;
        for (c, n) in &events {
            if pieces.iter().any(|p| p.matches_tracepoint(c, n)) {
                out.push(format!("tracepoint:{c}:{n}"));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
