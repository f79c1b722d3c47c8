//! `usdt:PATH:[PROVIDER:]NAME` (short name `U`): user statically defined tracepoints,
//! the `.note.stapsdt` notes `sys/sdt.h` writes into a binary or library.
//!
//! When the binary is readable at compile time its notes are read: the probe must
//! exist, and wildcards in the provider and name (and in the file name of the path)
//! expand to one program per distinct `provider:name`. So does an empty or `*` path
//! with `tracec -p PID`, against the files that process maps (each probe named with
//! its file's path). Otherwise the attach point is passed on as written and the
//! runtime finds the probes (a `*` path without `-p`: in the files every running
//! process maps when it attaches, as bpftrace targets the whole host). A quoted probe name loses its quotes and the backslashes
//! of `\"` and `\\` (`test:"\"probe1\""` names `"probe1"`). Either way the program does
//! not know where the arguments are: the runtime parses each location's argument
//! specs into the spec map (`tracec_meta::usdt`), and `argN` reads through it.
//!
//! Programs go in section `uprobe` (what libbpf and aya know as a uprobe without an
//! auto-attach target); the attach spec is [`Attach::Usdt`].

use super::glob::{has_wildcard, matches};
use super::{sanitize, uprobe_wild, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tracec_meta::usdt::{parse_notes, Note, NOTE_SECTION};
use tracec_meta::Attach;

/// A probe's most arguments over its locations, by `(provider, name)`.
type Found = BTreeMap<(String, String), u32>;

#[cfg(test)]
pub(super) fn expand(ap: &AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    expand_for(ap, None)
}

/// `pid`: the `-p` process, whose binaries in another mount namespace are reached through
/// `/proc/PID/root` (the probes keep the path as written in their names).
pub(super) fn expand_for(
    ap: &AttachPoint,
    pid: Option<u32>,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let err = |msg: String| Diagnostic::error(ap.span, msg);
    let (path, provider, name) = match &ap.parts[1..] {
        // `usdt:*`: every probe of the traced process.
        [all] if all == "*" => ("*", "", "*"),
        [path, name] if !name.is_empty() => (path.as_str(), "", name.as_str()),
        [path, provider, name] if !name.is_empty() => {
            (path.as_str(), provider.as_str(), name.as_str())
        }
        _ => {
            return Err(
                err("usdt probe needs a binary and a probe name".into()).with_note(
                    "e.g. usdt:/usr/bin/python3:function__entry or usdt:PATH:PROVIDER:NAME",
                ),
            )
        }
    };
    let unescaped = unquote_name(name);
    let name = unescaped.as_ref();
    // With `-p`, an empty or `*` path is the files of that process, read here.
    let of_process = match pid {
        Some(_) if matches!(path, "" | "*") => uprobe_wild::process_files(pid).map_err(err)?,
        _ => Vec::new(),
    };
    let provider = unquote(provider);
    // `*` (or nothing) as the path: the traced process's binary and libraries; without
    // a process, `*` is every running process's (the runtime finds them).
    let star = path == "*";
    let path = if star { "" } else { unquote(path) };
    // The file as read from here when it lives in the `-p` process's mount namespace.
    let mut elsewhere = None;
    let files = if path.is_empty() {
        Vec::new()
    } else {
        let mut files = resolve(path).map_err(err)?;
        if let [(_, file)] = files.as_mut_slice() {
            if let Some(inside) = super::upath::through_process_root(path, pid) {
                *file = PathBuf::from(&inside);
                elsewhere = Some(inside);
            }
        }
        files
    };
    let mut probes = Vec::new();
    let mut readable = false;
    for (written, file) in files.iter().chain(&of_process) {
        let Some(notes) = read_notes(file) else {
            continue;
        };
        readable = true;
        let mut found = Found::new();
        for n in &notes {
            let provider_ok = provider.is_empty() || matches(provider, &n.provider);
            if provider_ok && matches(name, &n.name) {
                let nargs = n.args.split_whitespace().count() as u32;
                let e = found
                    .entry((n.provider.clone(), n.name.clone()))
                    .or_default();
                *e = (*e).max(nargs);
            }
        }
        for ((prov, probe_name), nargs) in found {
            let mut p = probe(written, &prov, &probe_name, Some(nargs));
            if let (Some(inside), Attach::Usdt { path: at, .. }) = (&elsewhere, &mut p.attach) {
                at.clone_from(inside);
            }
            probes.push(p);
        }
    }
    if readable {
        if probes.is_empty() {
            let what = if provider.is_empty() {
                name.to_string()
            } else {
                format!("{provider}:{name}")
            };
            let place = match pid {
                Some(pid) if path.is_empty() => format!("process {pid}"),
                _ => format!("'{path}'"),
            };
            return Err(err(format!("no usdt probe matches '{what}' in {place}")));
        }
        return Ok(probes);
    }
    if let [(written, file)] = files.as_slice() {
        if !has_wildcard(path) && std::fs::metadata(file).is_err() && !is_runtime_path(written) {
            return Err(err(format!(
                "usdt target file '{path}' does not exist or is not executable"
            )));
        }
    }
    // Unreadable here: the runtime reads the notes (and expands wildcards).
    let path = if star { "*" } else { path };
    Ok(vec![probe(path, provider, name, None)])
}

#[cfg(test)]
#[path = "usdt_tests.rs"]
mod tests;

/// Paths only the runtime can resolve (relative to a traced process's root).
fn is_runtime_path(path: &str) -> bool {
    path.starts_with("/proc/")
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// A probe name without its surrounding double quotes, with `\"` and `\\` inside them
/// unescaped (a probe named `"probe1"`, quotes included, is written `"\"probe1\""`).
fn unquote_name(s: &str) -> Cow<'_, str> {
    let inner = unquote(s);
    if inner.len() == s.len() || !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(next @ ('"' | '\\'))) => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn probe(path: &str, provider: &str, name: &str, nargs: Option<u32>) -> ExpandedProbe {
    let full = if provider.is_empty() {
        format!("usdt:{path}:{name}")
    } else {
        format!("usdt:{path}:{provider}:{name}")
    };
    ExpandedProbe {
        symbol_stem: sanitize(&format!("usdt_{path}_{provider}_{name}")),
        name: full,
        section: "uprobe".into(),
        attach: Attach::Usdt {
            path: path.into(),
            provider: provider.into(),
            name: name.into(),
        },
        context: Context::Usdt { nargs },
    }
}

/// The files `path` names, each with its spelling in probe names: a path with a
/// wildcard in its last component matches the files of its directory; a bare name
/// is looked up in `$PATH` and the library directories.
fn resolve(path: &str) -> Result<Vec<(String, PathBuf)>, String> {
    let p = Path::new(path);
    let file_name = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
    if has_wildcard(file_name) {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let shown_dir = path.strip_suffix(file_name).unwrap_or("");
        let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read directory '{}': {e}", dir.display()))?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let n = e.file_name().into_string().ok()?;
                let is_file = e.file_type().ok()?.is_file();
                (is_file && matches(file_name, &n)).then(|| (format!("{shown_dir}{n}"), e.path()))
            })
            .collect();
        out.sort();
        return Ok(out);
    }
    if has_wildcard(path) {
        return Err(format!(
            "wildcards in usdt paths are only supported in the file name: '{path}'"
        ));
    }
    if !path.contains('/') {
        if let Some(found) = search(path) {
            return Ok(vec![(found.display().to_string(), found)]);
        }
    }
    Ok(vec![(path.to_string(), PathBuf::from(path))])
}

/// A bare binary or library name in `$PATH` and the usual library directories
/// (`name`, `libname.so`, `name.so`).
fn search(name: &str) -> Option<PathBuf> {
    let path_var = std::env::var("PATH").unwrap_or_default();
    let bins = path_var
        .split(':')
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    let libs = [
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib64",
        "/usr/lib64",
        "/lib",
        "/usr/lib",
    ]
    .map(PathBuf::from);
    let candidates = [
        name.to_string(),
        format!("lib{name}.so"),
        format!("{name}.so"),
    ];
    bins.chain(libs)
        .find_map(|dir| candidates.iter().map(|c| dir.join(c)).find(|p| p.is_file()))
}

/// The USDT notes of an ELF file, or `None` when it cannot be read as one. Only the
/// header, the section headers, their names and the note section are read (listing
/// and `usdt:*` read every library a process maps).
pub(crate) fn read_notes(file: &Path) -> Option<Vec<Note>> {
    use goblin::container::{Ctx, Endian};
    use goblin::elf::{Elf, SectionHeader};
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(file).ok()?;
    let len = f.metadata().ok()?.len();
    // A range of the file, refused when it is not inside it.
    let read = |offset: u64, size: u64| -> Option<Vec<u8>> {
        if offset.checked_add(size)? > len {
            return None;
        }
        let mut buf = vec![0; usize::try_from(size).ok()?];
        f.read_exact_at(&mut buf, offset).ok()?;
        Some(buf)
    };
    let header = Elf::parse_header(&read(0, 64.min(len))?).ok()?;
    if header.endianness().ok()? != Endian::Little {
        return None;
    }
    let container = header.container().ok()?;
    if header.e_shoff == 0 {
        return Some(Vec::new());
    }
    let count = u64::from(header.e_shnum);
    let table = read(header.e_shoff, count * u64::from(header.e_shentsize))?;
    let ctx = Ctx::new(container, Endian::Little);
    let sections = SectionHeader::parse_from(&table, 0, header.e_shnum.into(), ctx).ok()?;
    let names = sections.get(usize::from(header.e_shstrndx))?;
    let names = read(names.sh_offset, names.sh_size)?;
    let name_of = |at: usize| {
        let rest = names.get(at..)?;
        std::str::from_utf8(&rest[..rest.iter().position(|b| *b == 0)?]).ok()
    };
    let Some(sh) = sections
        .iter()
        .find(|sh| name_of(sh.sh_name) == Some(NOTE_SECTION))
    else {
        return Some(Vec::new());
    };
    let data = read(sh.sh_offset, sh.sh_size)?;
    Some(parse_notes(&data, container.is_big()))
}
