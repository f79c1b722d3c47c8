//! `tracec`: an ahead-of-time compiler from bpftrace scripts to BPF ELF objects.
//!
//! The library is what the `tracec` command runs, and it is meant to be used from
//! other programs too, for instance a `build.rs` that compiles a script and embeds
//! the object with `include_bytes!` (see `examples/embedded-probe/` in the
//! repository). The API in short:
//!
//! * [`compile`] turns a script into a [`Compiled`]: the ELF object (`object`) and
//!   the warnings; on failure it returns every error as a [`Diagnostic`];
//! * [`check`] reports all diagnostics of a script (errors and warnings, as many as
//!   it can find, even after a syntax error) without producing anything;
//! * [`Options`] says how: the script's name (for messages and the object's
//!   metadata) and where tracefs is (tracepoint formats are read from it; scripts
//!   without tracepoints never touch it);
//! * [`render`] turns diagnostics into the text the command prints, and
//!   [`diag::json`] into JSON.
//!
//! ```
//! let options = tracec::Options::new("hello.bt");
//! let source = r#"BEGIN { printf("hello\n"); exit(); }"#;
//! let compiled = match tracec::compile(source, &options) {
//!     Ok(c) => c,
//!     Err(diags) => panic!("{}", tracec::render(source, &options, &diags)),
//! };
//! assert_eq!(&compiled.object[..4], b"\x7fELF");
//! assert!(compiled.warnings.is_empty());
//!
//! // Errors come back as diagnostics with a position in the script.
//! let diags = tracec::compile("BEGIN { nosuchfn(); }", &options).unwrap_err();
//! let text = tracec::render("BEGIN { nosuchfn(); }", &options, &diags);
//! assert!(text.contains("hello.bt:1:9"), "{text}");
//! ```
//!
//! The pipeline (see ARCHITECTURE.md):
//!
//! ```text
//! source ─front::parse─▶ AST ─sema::check─▶ typed AST ─lower─▶ IR
//!        ─back (isel, regalloc, encode)─▶ BPF ─obj::write─▶ ELF + BTF + metadata
//! ```

pub mod back;
mod check;
pub mod diag;
pub mod env;
pub mod front;
pub mod ir;
pub mod kbtf;
pub mod lower;
pub mod obj;
pub mod probes;
pub mod sema;
pub mod signing;

pub use check::check;
pub use diag::{Diagnostic, Severity};

use std::path::PathBuf;

/// How to compile.
#[derive(Debug, Clone)]
pub struct Options {
    /// Name of the script for diagnostics and metadata (`-` for stdin, `<-e>` for `-e`).
    pub source_name: String,
    /// Root of tracefs, where tracepoint formats are read from.
    pub tracefs: PathBuf,
    /// Kernel BTF (raw, or an ELF file with `.BTF`). Kernel struct accesses
    /// (`curtask->pid`) are compiled against it, with CO-RE relocations so the object
    /// still loads on other kernels (`None`: `/sys/kernel/btf/vmlinux`). When tracefs is
    /// unreadable, tracepoint formats come from it and the embedded tracepoint table
    /// (`None`: tracefs only). See [`kbtf::default_btf`].
    pub btf: Option<PathBuf>,
    /// Reserve the signature section ([`obj::write_signable`]) so that the object
    /// can be signed with [`tracec_meta::sign::sign`].
    pub signature_slot: bool,
    /// `-I DIR`: where `#include` looks for headers before the system directories.
    pub include_dirs: Vec<PathBuf>,
    /// Allow functions that can change the system (`system`, `--unsafe`); the object
    /// records their use in [`tracec_meta::Metadata::unsafe_builtins`].
    pub allow_unsafe: bool,
    /// `-k`: bpftrace's run-time checks of helper results (a map read that finds no
    /// element sends a located warning).
    pub helper_checks: bool,
    /// bpftrace's settings from `BPFTRACE_*` environment variables (see [`env`]):
    /// config variables, which take precedence over the script's config block, and
    /// `BPFTRACE_DUMMY_TS_MAP`. `tracec` reads them with [`env::EnvSettings::from_env`].
    pub env: env::EnvSettings,
    /// The script's positional arguments at compile time (`tracec ... -- ARGS`):
    /// attach points that use `$N` are bound to them ([`sema::attach_args`]) and the
    /// object records the values. `None`: such attach points are an error.
    pub args: Option<Vec<String>>,
    /// `-p PID`: the process whose mapped files `uprobe:*:PATTERN` expands against
    /// ([`probes::Env::pid`]). `None`: every running process's.
    pub pid: Option<u32>,
    /// `--debuginfo=DIR[:DIR]`: extra directories for the separate debug files of
    /// stripped binaries ([`probes::debugdirs`]), absolute or relative to the binary.
    pub debuginfo: Vec<String>,
    /// `--traceable-functions FILE`: the kernel functions kprobes may trace, in
    /// `available_filter_functions`' format, instead of the running kernel's
    /// ([`probes::traceable`]).
    pub traceable_functions: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            source_name: "<script>".into(),
            tracefs: PathBuf::from("/sys/kernel/tracing"),
            btf: None,
            signature_slot: false,
            include_dirs: Vec::new(),
            allow_unsafe: false,
            helper_checks: false,
            env: env::EnvSettings::default(),
            args: None,
            pid: None,
            debuginfo: Vec::new(),
            traceable_functions: None,
        }
    }
}

impl Options {
    /// Where the probe providers look for tracepoints and kernel types.
    pub fn probe_env(&self) -> probes::Env {
        probes::Env {
            tracefs: self.tracefs.clone(),
            btf: self.btf.clone(),
            pid: self.pid,
        }
    }

    /// Options for a script called `source_name`, with the defaults for the rest
    /// (tracefs at `/sys/kernel/tracing`).
    pub fn new(source_name: impl Into<String>) -> Options {
        Options {
            source_name: source_name.into(),
            ..Options::default()
        }
    }

    /// Read tracepoint formats from the tracefs mounted at `dir`.
    pub fn with_tracefs(mut self, dir: impl Into<PathBuf>) -> Options {
        self.tracefs = dir.into();
        self
    }
}

/// Render diagnostics of `source` as plain text, the way `tracec` prints them
/// (`error: ...`, the file name from `options`, line, column, the line with a caret).
/// Handy in a build script: `panic!("{}", tracec::render(src, &opts, &diags))`.
pub fn render(source: &str, options: &Options, diags: &[Diagnostic]) -> String {
    diag::render(&options.source_name, source, diags, false)
}

/// Everything compilation produced. `object` is the ELF file; the rest is for
/// `--emit`, tests and tools.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The relocatable BPF ELF object.
    pub object: Vec<u8>,
    /// The IR of every probe (`tracec --emit ir`).
    pub ir: ir::Module,
    /// The BPF code of every program (`tracec --emit asm`).
    pub functions: Vec<back::CompiledFunction>,
    /// What the object's `.tracec.meta` section holds.
    pub metadata: tracec_meta::Metadata,
    /// Non-fatal diagnostics.
    pub warnings: Vec<Diagnostic>,
}

/// Compile a script to a BPF object.
///
/// On success, [`Compiled::object`] is the ELF file (write it to disk or embed it)
/// and [`Compiled::warnings`] the non-fatal diagnostics. On failure, every error
/// found, in the order of the script (render them with [`render`]).
pub fn compile(source: &str, options: &Options) -> Result<Compiled, Vec<Diagnostic>> {
    let list = match &options.traceable_functions {
        Some(path) => Some(
            probes::traceable::read_list(path)
                .map_err(|e| vec![Diagnostic::error(front::ast::Span::default(), e)])?,
        ),
        None => None,
    };
    probes::debugdirs::with_dirs(&options.debuginfo, || {
        probes::traceable::with_settings(options.allow_unsafe, list, || compile_in(source, options))
    })
}

fn compile_in(source: &str, options: &Options) -> Result<Compiled, Vec<Diagnostic>> {
    let hash = source_hash(source);
    let (pp, errors, includes) =
        front::preprocess::run_with_includes(source, &options.include_dirs);
    if !errors.is_empty() {
        return Err(errors);
    }
    let imported =
        front::imports::parse_recovering(&pp, &options.source_name, &options.include_dirs);
    let map = imported.map;
    let mut program = match imported.partial.program {
        Some(p) if imported.partial.diags.is_empty() => p,
        _ => return Err(imported.partial.diags),
    };
    let source = imported.source.as_str();
    program.includes = includes;
    options.env.apply(&mut program);
    let bound = match &options.args {
        Some(args) => {
            let mut b = sema::attach_args::bind(&mut program, args).map_err(|e| map.attached(e))?;
            let stacks = sema::stack_args::bind(&mut program, args).map_err(|e| map.attached(e))?;
            for s in stacks {
                if !b.contains(&s) {
                    b.push(s);
                }
            }
            b.sort_by_key(|a| a.index);
            b
        }
        None => Vec::new(),
    };
    let checked = sema::check(&program, &options.probe_env()).map_err(|e| map.attached(e))?;
    let mut compiled =
        finish_bound(source, hash, options, &checked, bound).map_err(|e| map.attached(e))?;
    map.attach(&mut compiled.warnings);
    Ok(compiled)
}

/// Lower a checked script and produce the object (everything after `sema`).
pub fn finish(
    source: &str,
    options: &Options,
    checked: &sema::Checked,
) -> Result<Compiled, Vec<Diagnostic>> {
    finish_bound(source, source_hash(source), options, checked, Vec::new())
}

/// [`finish`], recording the positional arguments bound into attach points. `source` is
/// the text the spans point into (preprocessed, with imports); `hash` is that of the
/// script as the user wrote it, which is what `sha256sum` of the file gives.
fn finish_bound(
    source: &str,
    hash: String,
    options: &Options,
    checked: &sema::Checked,
    bound_args: Vec<tracec_meta::BoundArg>,
) -> Result<Compiled, Vec<Diagnostic>> {
    if !options.allow_unsafe && !checked.unsafe_calls.is_empty() {
        return Err(checked
            .unsafe_calls
            .iter()
            .map(|(name, span)| {
                Diagnostic::error(
                    *span,
                    format!("{name}() is unsafe. To use you need the --unsafe flag"),
                )
            })
            .collect());
    }
    if !options.allow_unsafe {
        let by_address: Vec<Diagnostic> = checked
            .probes
            .iter()
            .filter(|p| {
                probes::is_kprobe_address(&p.probe.attach)
                    || p.shared
                        .iter()
                        .any(|(s, _)| probes::is_kprobe_address(&s.attach))
            })
            .map(|p| Diagnostic::error(p.span, "Probing by address requires --unsafe"))
            .collect();
        if !by_address.is_empty() {
            return Err(by_address);
        }
    }
    let dummy_ts = match &options.env.dummy_ts_map {
        Some(name) => Some(
            lower::dummy_ts_map(checked, name)
                .map_err(|e| vec![Diagnostic::error(front::ast::Span::default(), e)])?,
        ),
        None => None,
    };
    let lower_opts = lower::LowerOptions {
        helper_checks: options.helper_checks,
        dummy_ts,
    };
    let mut lowered = lower::lower_opts(checked, source, &lower_opts);
    locate_messages(&mut lowered.printfs, source, &options.source_name);
    let ice = |what: &str, e: String| {
        vec![Diagnostic::error(
            front::ast::Span::default(),
            format!("internal compiler error: {what}: {e}"),
        )
        .with_note("this is a bug in tracec, not in the script; please report it")]
    };
    let mut functions = Vec::with_capacity(lowered.module.functions.len());
    for f in &lowered.module.functions {
        functions.push(back::compile(f).map_err(|e| match e {
            back::Error::StackLimit { bytes, .. } => vec![stack_limit(source, f.loc, bytes)],
            e => ice(&format!("back end, program {}", f.name), e.to_string()),
        })?);
    }
    let core_relocs = functions
        .iter()
        .flat_map(|f| {
            f.core_relocs.iter().map(|r| tracec_meta::CoreRelocSpec {
                program: f.name.clone(),
                insn: r.insn as u32,
                type_name: r.access.root_name(),
                field: r.access.field_path(),
            })
        })
        .collect();
    let ksyms = functions
        .iter()
        .flat_map(|f| {
            f.ksyms.iter().map(|k| tracec_meta::KsymSpec {
                program: f.name.clone(),
                insn: k.insn as u32,
                name: k.name.clone(),
                kind: k.kind,
            })
        })
        .collect();
    let mut metadata = tracec_meta::Metadata {
        ksyms,
        core_relocs,
        compiler_version: env!("CARGO_PKG_VERSION").to_string(),
        source_name: options.source_name.clone(),
        source_hash: hash,
        probes: lowered.probes.clone(),
        maps: lowered.maps.clone(),
        printfs: lowered.printfs.clone(),
        joins: lowered.joins.clone(),
        unsafe_builtins: !checked.unsafe_calls.is_empty(),
        source: Some(source.to_string()),
        params: lowered.params.clone(),
        print_values: lowered.print_values.clone(),
        skip_maps_on_exit: !checked.config.print_maps_on_exit,
        strftime_formats: checked.strftime_formats.clone(),
        symbol_globals: symbol_globals(&checked.symbol_globals, source, &options.source_name),
        attach_names: checked.attach_names.clone(),
        missing_probes: checked.config.missing_probes,
        skb_outputs: checked.skb_outputs.clone(),
        runtime_config: checked.runtime_config.clone(),
        bound_args,
        attach_templates: attach_templates(&checked.attach_templates, source, &options.source_name),
        syscall_names: if checked.syscall_names {
            sema::syscall_name::names()
        } else {
            Vec::new()
        },
    };
    sema::enums::fill_variants(&mut metadata, &checked.enums);
    probes::debugdirs::resolve_symbols(&mut metadata.probes);
    let meta_bytes = tracec_meta::encode(&metadata);
    let input = obj::ObjectInput {
        functions: &functions,
        maps: &lowered.module.maps,
        globals: &lowered.module.globals,
        source_name: &options.source_name,
        source,
        metadata: &meta_bytes,
    };
    let object = if options.signature_slot {
        obj::write_signable(&input)
    } else {
        obj::write(&input)
    }
    .map_err(|e| ice("object writer", e))?;
    Ok(Compiled {
        object,
        ir: lowered.module,
        functions,
        metadata,
        warnings: checked.warnings.clone(),
    })
}

/// Hex SHA-256 of the script text.
/// Give `warnf`/`errorf` formats their source location (see
/// [`sema::calls::resolve_location`]); `-e` programs and stdin are called `stdin`,
/// as bpftrace does.
fn locate_messages(printfs: &mut [tracec_meta::PrintfSpec], source: &str, source_name: &str) {
    let name = match source_name {
        "<-e>" | "-" => "stdin",
        other => other,
    };
    for p in printfs {
        if let Some(f) =
            sema::calls::resolve_location_in(&p.format, name, source, |o| diag::line_col(source, o))
        {
            p.format = f;
        }
    }
}

/// The metadata of the symbols the runtime resolves, located as bpftrace reports an
/// unknown one (`stdin:1:15-35`, then the line and `~` under the call).
/// Where a span is for the runtime's messages: `NAME:LINE:COL-COL` (bpftrace's
/// `stdin` for `-e` and standard input), and the source line with `~` under it.
fn runtime_location(span: front::ast::Span, source: &str, source_name: &str) -> (String, String) {
    let name = match source_name {
        "<-e>" | "-" => "stdin",
        other => other,
    };
    let (line, col) = diag::line_col(source, span.start);
    let (_, end_col) = diag::line_col(source, span.end);
    let text = source.lines().nth(line as usize - 1).unwrap_or("");
    let marks =
        " ".repeat(col as usize - 1) + &"~".repeat((end_col.saturating_sub(col) as usize).max(1));
    (
        format!("{name}:{line}:{col}-{end_col}"),
        format!("{text}\n{marks}"),
    )
}

/// The attach points the runtime completes from its arguments ([`probes::deferred`]).
fn attach_templates(
    uses: &[(String, front::ast::Span)],
    source: &str,
    source_name: &str,
) -> Vec<tracec_meta::attach_template::AttachTemplate> {
    uses.iter()
        .map(|(text, span)| {
            let (location, context) = runtime_location(*span, source, source_name);
            tracec_meta::attach_template::AttachTemplate {
                text: text.clone(),
                location,
                context,
            }
        })
        .collect()
}

fn symbol_globals(
    uses: &[sema::fmtvals::SymbolUse],
    source: &str,
    source_name: &str,
) -> Vec<tracec_meta::SymbolGlobal> {
    uses.iter()
        .enumerate()
        .map(|(i, u)| {
            let (location, context) = runtime_location(u.span, source, source_name);
            tracec_meta::SymbolGlobal {
                symbol: sema::fmtvals::symbol_global(i as u32),
                name: u.name.clone(),
                path: u.path.clone(),
                location,
                context,
                name_param: u.param.clone(),
                kind: u.kind,
                allowed_in: u.allowed_in.clone(),
            }
        })
        .collect()
}

pub fn source_hash(source: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(source.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// bpftrace's error for a program whose stack frame is over the kernel's 512 bytes
/// (language.md, "Errors"), at the probe `loc` names: the script holds too much at once.
fn stack_limit(source: &str, loc: ir::Loc, bytes: u32) -> Diagnostic {
    let line_start = source
        .split_inclusive('\n')
        .take(loc.line.saturating_sub(1) as usize)
        .map(str::len)
        .sum::<usize>();
    let col = source[line_start.min(source.len())..]
        .char_indices()
        .nth(loc.col.saturating_sub(1) as usize)
        .map_or(0, |(i, _)| i);
    let at = (line_start + col).min(source.len());
    Diagnostic::error(
        front::ast::Span::new(at, at + 1),
        format!(
            "Looks like the BPF stack limit of 512 bytes is exceeded: this probe needs {bytes} bytes"
        ),
    )
    .with_note(
        "keep fewer or smaller strings, tuples and buffers at once (pid instead of comm, a \
         smaller max_strlen), or split the work over several probes",
    )
}
