//! Root-level `import "path";`: resolution and merging.
//!
//! A path is relative to the directory of the script that holds the import (for
//! `-e` programs and stdin, the current directory); a path found nowhere may name a
//! module of the embedded standard library ([`STDLIB`], `import "stdlib/test"`).
//! What a file gives depends on its name:
//!
//! * `.bt`: its probes, macros and map declarations (it may import more; it may not
//!   hold a `config` block);
//! * `.h`: its C type definitions (preprocessed like the script's own);
//! * `.bpf.c`: functions of the C subset of [`super::csub`], inlined where the
//!   script calls them;
//! * a directory: every such file in it (not its subdirectories), by name.
//!
//! Each file is imported once (so import cycles end); files in world-writable
//! directories are refused, as bpftrace refuses them. Imported probes come before
//! the importing script's, so an imported file's `begin`/`end` run first.
//!
//! Every imported file is appended to the script's text (after a newline), giving
//! one combined text whose offsets all spans use; [`SourceMap::attach`] tells each
//! diagnostic which file it lies in, so that it is shown with that file's name,
//! line and column.

use super::ast::{CDefinition, Program, Span};
use super::csub::{self, CFunc};
use super::{complete, depth, parse_raw, preprocess, Partial};
use crate::diag::{Diagnostic, SourceFile};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The embedded standard library: import name (as bpftrace names it) and text.
pub const STDLIB: &[(&str, &str)] = &[(
    "stdlib/test/test.bpf.c",
    include_str!("../../stdlib/test/test.bpf.c"),
)];

/// Where the imported files are in the combined text.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    pub files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    /// The imported file holding byte `offset` of the combined text.
    pub fn file_at(&self, offset: u32) -> Option<&Arc<SourceFile>> {
        self.files
            .iter()
            .rev()
            .find(|f| offset >= f.base && offset <= f.base + f.text.len() as u32)
    }

    /// Mark every diagnostic lying in an imported file with that file.
    pub fn attach(&self, diags: &mut [Diagnostic]) {
        for d in diags {
            if d.file.is_none() {
                d.file = self.file_at(d.span.start).cloned();
            }
        }
    }

    /// [`SourceMap::attach`] on a list, returned.
    pub fn attached(&self, mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
        self.attach(&mut diags);
        diags
    }
}

/// The result of [`parse_recovering`].
#[derive(Debug)]
pub struct Imported {
    /// The combined text: the script, then every imported file.
    pub source: String,
    /// The merged program and every diagnostic so far (already attached to files).
    pub partial: Partial,
    pub map: SourceMap,
}

/// Parse the (preprocessed) script `main`, called `script_name`, with its imports
/// (see the module documentation). `include_dirs` serve imported headers.
pub fn parse_recovering(main: &str, script_name: &str, include_dirs: &[PathBuf]) -> Imported {
    let (program, diags) = parse_raw(main, 0);
    let mut r = Resolver {
        combined: main.to_string(),
        map: SourceMap::default(),
        seen: HashSet::new(),
        diags,
        programs: Vec::new(),
        funcs: Vec::new(),
        consts: Vec::new(),
        maps: Vec::new(),
        headers: Vec::new(),
        include_dirs,
    };
    let program = program.map(|main_program| {
        if main_program.imports.is_empty() {
            return main_program;
        }
        let dir = script_dir(script_name);
        if let Ok(path) = std::fs::canonicalize(script_name) {
            r.seen.insert(path.to_string_lossy().into_owned());
        }
        r.check_order(&main_program);
        for imp in &main_program.imports {
            r.import(&imp.path, imp.span, &dir);
        }
        r.merge(main_program)
    });
    let mut partial = complete(program, std::mem::take(&mut r.diags));
    if let Some(p) = &mut partial.program {
        if !r.funcs.is_empty() {
            partial
                .diags
                .extend(csub::inline(p, &r.funcs, &r.consts, &r.maps));
            if let Err(d) = depth::check(p) {
                partial.diags.push(d);
                if let Some(p) = partial.program.take() {
                    depth::dismantle(p);
                }
            }
        }
    }
    partial.diags.sort_by_key(|d| (d.span.start, d.span.end));
    r.map.attach(&mut partial.diags);
    Imported {
        source: r.combined,
        partial,
        map: r.map,
    }
}

/// The directory imports of the script `name` are relative to.
fn script_dir(name: &str) -> PathBuf {
    match name {
        "<-e>" | "-" | "<script>" | "stdin" => PathBuf::from("."),
        path => match Path::new(path).parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    }
}

/// bpftrace's rule: neither the path nor its directory may be writable by others.
fn world_writable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let writable =
        |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o002 != 0);
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    writable(path) || writable(parent)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Script,
    Header,
    CSource,
}

fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".bt") {
        Some(Kind::Script)
    } else if name.ends_with(".bpf.c") {
        Some(Kind::CSource)
    } else if name.ends_with(".h") {
        Some(Kind::Header)
    } else {
        None
    }
}

struct Resolver<'a> {
    combined: String,
    map: SourceMap,
    /// Files (canonical paths, or stdlib names) already imported.
    seen: HashSet<String>,
    diags: Vec<Diagnostic>,
    /// Imported scripts, in merge order (a file after the files it imports).
    programs: Vec<Program>,
    funcs: Vec<CFunc>,
    /// The global variables of `.bpf.c` files (constants).
    consts: Vec<csub::CConst>,
    maps: Vec<csub::CMap>,
    headers: Vec<CDefinition>,
    include_dirs: &'a [PathBuf],
}

impl Resolver<'_> {
    /// Imports come after C definitions and before everything else.
    fn check_order(&mut self, p: &Program) {
        let first_item = p
            .probes
            .iter()
            .map(|x| x.span.start)
            .chain(p.macros.iter().map(|x| x.span.start))
            .chain(p.map_decls.iter().map(|x| x.span.start))
            .min();
        for imp in &p.imports {
            if first_item.is_some_and(|f| f < imp.span.start) {
                self.diags.push(Diagnostic::error(
                    imp.span,
                    "root imports must appear before probes and functions",
                ));
            }
            if let Some(def) = p
                .c_definitions
                .iter()
                .find(|d| d.span.start > imp.span.start)
            {
                self.diags.push(
                    Diagnostic::error(def.span, "C definitions must appear before imports")
                        .with_note("order: C definitions, config and imports, then probes, macros and map declarations"),
                );
            }
        }
    }

    /// Resolve `path` (as written at `span`) against `dir`.
    fn import(&mut self, path: &str, span: Span, dir: &Path) {
        let full = if dir == Path::new(".") {
            PathBuf::from(path)
        } else {
            dir.join(path)
        };
        if full.exists() {
            if world_writable(&full) {
                self.diags.push(Diagnostic::error(
                    span,
                    format!(
                        "cowardly refusing to import from a directory with global write permissions: {:?}",
                        full.display().to_string()
                    ),
                ));
                return;
            }
            if full.is_dir() {
                self.import_dir(&full, span);
            } else {
                self.import_file(&full, span, false);
            }
            return;
        }
        let stdlib: Vec<&(&str, &str)> = STDLIB
            .iter()
            .filter(|(name, _)| *name == path || Path::new(name).parent() == Some(Path::new(path)))
            .collect();
        if stdlib.is_empty() {
            self.diags.push(
                Diagnostic::error(span, "Unable to find suitable path for import")
                    .with_note(format!("checked: {}", full.display())),
            );
        }
        for (name, text) in stdlib {
            if self.seen.insert((*name).to_string()) {
                if let Some(kind) = kind_of(Path::new(name)) {
                    self.add(name, text, kind, span, Path::new("."));
                }
            }
        }
    }

    fn import_dir(&mut self, dir: &Path, span: Span) {
        let entries = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                self.diags.push(Diagnostic::error(
                    span,
                    format!("error reading import '{}': {e}", dir.display()),
                ));
                return;
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && kind_of(p).is_some())
            .collect();
        files.sort();
        for f in files {
            if world_writable(&f) {
                self.diags.push(Diagnostic::error(
                    span,
                    format!(
                        "cowardly refusing to import from a directory with global write permissions: {:?}",
                        f.display().to_string()
                    ),
                ));
                continue;
            }
            self.import_file(&f, span, true);
        }
    }

    fn import_file(&mut self, path: &Path, span: Span, ignore_unknown: bool) {
        let Some(kind) = kind_of(path) else {
            if !ignore_unknown {
                let name = path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                self.diags.push(Diagnostic::error(
                    span,
                    format!("unknown import type: {name:?}"),
                ));
            }
            return;
        };
        let key = std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .to_string_lossy()
            .into_owned();
        if !self.seen.insert(key) {
            return;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                self.diags.push(Diagnostic::error(
                    span,
                    format!("error reading import '{}': {e}", path.display()),
                ));
                return;
            }
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path.display().to_string();
        self.add(&name, &text, kind, span, dir);
    }

    /// Append a file's text to the combined text; returns its base offset, or
    /// `None` when the combined text would outgrow the spans.
    fn append(&mut self, name: &str, shown: &str, text: &str, span: Span) -> Option<usize> {
        let base = self.combined.len() + 1;
        if u32::try_from(base + text.len()).is_err() {
            self.diags.push(Diagnostic::error(
                span,
                "imported files are too large (more than 4 GiB)",
            ));
            return None;
        }
        self.combined.push('\n');
        self.combined.push_str(text);
        self.map.files.push(Arc::new(SourceFile {
            name: name.to_string(),
            text: shown.to_string(),
            base: base as u32,
        }));
        Some(base)
    }

    /// Preprocess an imported `.bt` or `.h` file, append it to the combined text and
    /// parse it there (its diagnostics kept, located in that file).
    fn preprocess_and_parse(&mut self, name: &str, text: &str, span: Span) -> Option<Program> {
        let (pp, errors, _) = preprocess::run_with_includes(text, self.include_dirs);
        let base = self.append(name, text, &pp, span)?;
        self.shifted(errors, base);
        let (program, diags) = parse_raw(&self.combined, base);
        self.diags.extend(diags);
        program
    }

    fn add(&mut self, name: &str, text: &str, kind: Kind, span: Span, dir: &Path) {
        match kind {
            Kind::Script => {
                let Some(program) = self.preprocess_and_parse(name, text, span) else {
                    return;
                };
                if let Some(item) = program.config.first() {
                    self.diags.push(Diagnostic::error(
                        item.span,
                        "invalid `config` within import",
                    ));
                }
                self.check_order(&program);
                for imp in &program.imports {
                    self.import(&imp.path, imp.span, dir);
                }
                self.programs.push(program);
            }
            Kind::Header => {
                let Some(program) = self.preprocess_and_parse(name, text, span) else {
                    return;
                };
                if let Some(p) = program.probes.first() {
                    self.diags.push(Diagnostic::error(
                        p.span,
                        "an imported header may only hold C definitions",
                    ));
                }
                self.headers.extend(program.c_definitions);
            }
            Kind::CSource => {
                let Some(base) = self.append(name, text, text, span) else {
                    return;
                };
                match csub::parse(text, base, &self.headers) {
                    Ok(file) => {
                        // Its types are the script's too (casts, field reads).
                        self.headers.extend(file.defs);
                        self.consts.extend(file.consts);
                        self.maps.extend(file.maps);
                        for f in file.funcs {
                            if self.funcs.iter().any(|g| g.name == f.name) {
                                self.diags.push(Diagnostic::error(
                                    f.span,
                                    format!("redefinition of '{}'", f.name),
                                ));
                            } else {
                                self.funcs.push(f);
                            }
                        }
                    }
                    Err(diags) => self.diags.extend(diags),
                }
            }
        }
    }

    /// Diagnostics of a file's own text, moved to its place in the combined text.
    fn shifted(&mut self, diags: Vec<Diagnostic>, base: usize) {
        let base = base as u32;
        self.diags.extend(diags.into_iter().map(|mut d| {
            d.span.start += base;
            d.span.end += base;
            d
        }));
    }

    /// The script with the imported items before its own.
    fn merge(&mut self, main: Program) -> Program {
        let mut out = Program {
            config: main.config,
            includes: main.includes,
            imports: main.imports,
            ..Program::default()
        };
        out.c_definitions = std::mem::take(&mut self.headers);
        for p in std::mem::take(&mut self.programs) {
            out.c_definitions.extend(p.c_definitions);
            out.probes.extend(p.probes);
            out.macros.extend(p.macros);
            out.map_decls.extend(p.map_decls);
        }
        out.c_definitions.extend(main.c_definitions);
        out.probes.extend(main.probes);
        out.macros.extend(main.macros);
        out.map_decls.extend(main.map_decls);
        out
    }
}

#[cfg(test)]
#[path = "imports_tests.rs"]
mod tests;
