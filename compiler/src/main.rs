//! `tracec`: compile a bpftrace script into a BPF ELF object.
//!
//! ```text
//! tracec [FILE] [-e PROGRAM] [-o OUT] [-l [PATTERN]] [--emit ir|asm] [--btf FILE] [--sign NAME.key] [-- ARGS]
//! tracec --check [--format text|json] [--deny-warnings] [--btf FILE] FILE...
//! tracec --keygen NAME [--force]
//! ```
//!
//! Exit status: 0 on success, 1 on any error in the script or in I/O (and on any
//! warning with `--deny-warnings`), 2 on usage errors.

use clap::error::ErrorKind;
use clap::{ArgGroup, CommandFactory, Parser, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tracec::back::CompiledFunction;
use tracec::{diag, ir, Compiled, Diagnostic, Options};

mod check_cmd;

#[derive(Parser, Debug)]
#[command(
    name = "tracec",
    version,
    about = "Compile bpftrace scripts into BPF ELF objects"
)]
#[command(group(ArgGroup::new("input").required(true).multiple(true).args(["file", "program", "list", "keygen"])))]
struct Cli {
    /// The script to compile (`-` reads standard input).
    file: Option<PathBuf>,

    /// More scripts to check (only with --check).
    #[arg(value_name = "FILE", requires = "check")]
    more_files: Vec<PathBuf>,

    /// Only check the scripts (syntax, types, code generation) and report every
    /// problem; no object is written. Takes several FILEs.
    #[arg(long, conflicts_with_all = ["list", "output", "emit"])]
    check: bool,

    /// How diagnostics are printed: `text` on standard error, `bpftrace` on standard
    /// error as bpftrace prints them, or (with --check) `json` on standard output, one
    /// object per line.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text")]
    format: Format,

    /// Treat warnings as errors (exit status 1, no object written).
    #[arg(long)]
    deny_warnings: bool,
    /// Do not print warnings (bpftrace's `--no-warnings`).
    #[arg(long, conflicts_with = "deny_warnings")]
    no_warnings: bool,
    /// Allow functions that can change the system (`system`); `tracerun` then needs
    /// `--unsafe` too to run the object.
    #[arg(long = "unsafe")]
    allow_unsafe: bool,
    /// Check helper results at run time as bpftrace's `-k` does: a map read that
    /// finds no element prints a warning with its location.
    #[arg(short = 'k')]
    helper_checks: bool,

    /// Compile PROGRAM given on the command line instead of a file (given twice, the
    /// last one counts, as in bpftrace).
    #[arg(short = 'e', value_name = "PROGRAM", overrides_with = "program")]
    program: Option<String>,

    /// Where to write the object (default: FILE with the extension `.o`).
    #[arg(short = 'o', value_name = "OUT")]
    output: Option<PathBuf>,

    /// List the available probes (those matching PATTERN, with `*` wildcards); with
    /// -e PROGRAM or FILE (and no PATTERN), the probes that program attaches to.
    #[arg(
        short = 'l',
        value_name = "PATTERN",
        num_args = 0..=1,
        conflicts_with_all = ["output", "emit", "sign"],
    )]
    list: Option<Option<String>>,

    /// With -l: also list each probe's arguments (`args`).
    #[arg(short = 'v', requires = "list")]
    verbose: bool,

    /// Print an intermediate form to standard output (the object is then only
    /// written when -o is given).
    #[arg(long, value_enum, value_name = "FORM")]
    emit: Option<Emit>,

    /// Root of tracefs, where tracepoint formats are read from.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/sys/kernel/tracing",
        hide = true
    )]
    tracefs: PathBuf,

    /// Kernel BTF (raw, or an ELF file with .BTF): kernel struct accesses are compiled
    /// against it (and relocated for the running kernel at load), and tracepoint formats
    /// come from it without access to tracefs [default: /sys/kernel/btf/vmlinux when
    /// readable]. Kernel modules' split BTF is read from the same directory
    /// (DIR/MODULE), for fentry, rawtracepoint and kprobe probes on modules.
    #[arg(long, value_name = "FILE")]
    btf: Option<PathBuf>,
    /// Add DIR to the directories `#include` searches (before /usr/include).
    #[arg(short = 'I', value_name = "DIR")]
    include: Vec<PathBuf>,
    /// The process the object will trace (`tracerun -p PID`): `uprobe:*:PATTERN`
    /// expands against the files it maps now, and -l lists its uprobes and USDT probes.
    #[arg(short = 'p', long = "pid", value_name = "PID")]
    pid: Option<u32>,
    /// Also look for the separate debug files of stripped binaries in DIR (absolute,
    /// or relative to the binary's directory); repeatable, or DIR:DIR. A `+` before a
    /// directory checks the debug link's CRC there when the binary has no build ID.
    #[arg(long = "debuginfo", value_name = "DIR")]
    debuginfo: Vec<String>,
    /// The kernel functions kprobes may trace (`available_filter_functions`' format:
    /// `name` or `name [module]` per line), instead of the running kernel's list.
    #[arg(long = "traceable-functions", value_name = "FILE")]
    traceable_functions: Option<PathBuf>,

    /// Sign the object with the secret key KEY (written by --keygen); `tracerun
    /// --trust NAME.pub` then runs it only if no byte of it was changed.
    #[arg(long, value_name = "KEY")]
    sign: Option<PathBuf>,

    /// Generate an Ed25519 key pair: NAME.key (secret, mode 0600) and NAME.pub.
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with_all = ["file", "program", "output", "list", "emit", "sign", "check"],
    )]
    keygen: Option<PathBuf>,

    /// With --keygen: replace existing key files.
    #[arg(long, requires = "keygen")]
    force: bool,

    /// The script's positional arguments, after `--`, for attach points that use
    /// them (`tracepoint:syscalls:$1`): they are bound at compile time and the object
    /// records them, so run it with the same ones (`tracerun OBJECT -- ARGS`). Without
    /// them, parameters that only set attach values (`interval:ms:$1`,
    /// `profile:hz:$1`, counts, `uprobe:$1:$2`, `kprobe:$1`, `usdt:$1:p:n`) are left to tracerun's
    /// arguments (`tracerun OBJECT 20`). Other uses of `$N` stay run-time parameters.
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Emit {
    /// The IR of every probe.
    Ir,
    /// The BPF assembly of every program.
    Asm,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Rendered like compiler messages, on standard error.
    Text,
    /// NDJSON on standard output: one object per diagnostic and line (--check only).
    Json,
    /// As bpftrace prints them: `stdin:1:5-9: ERROR: message`, the line, `~~~~`.
    Bpftrace,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("tracec: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    if let Some(name) = &cli.keygen {
        let (secret, public, id) = tracec::signing::keygen(name, cli.force)?;
        write_stdout(&format!(
            "wrote {} (secret: keep it private) and {} (key id {id})\n",
            secret.display(),
            public.display()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(pattern) = &cli.list {
        let program = match (&cli.program, &cli.file) {
            (Some(p), None) => Some(p.clone()),
            (None, Some(path)) if path.as_os_str() == "-" => Some(read_stdin()?),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?,
            ),
            (None, None) => None,
            (Some(_), Some(_)) => usage_error(
                ErrorKind::ArgumentConflict,
                "give either FILE or -e PROGRAM, not both",
            ),
        };
        let pattern = match (pattern, program) {
            (Some(_), Some(_)) => usage_error(
                ErrorKind::ArgumentConflict,
                "-l takes a PATTERN or a program (-e PROGRAM, FILE), not both",
            ),
            (_, Some(source)) => match program_pattern(&source, &cli.args)? {
                Some(p) => Some(p),
                // Only BEGIN/END (or nothing): no probes to list.
                None => return Ok(ExitCode::SUCCESS),
            },
            (p, None) => p.clone(),
        };
        return tracec::probes::debugdirs::with_dirs(&cli.debuginfo, || {
            list(
                pattern.as_deref(),
                &cli.tracefs,
                btf_path(&cli),
                cli.pid,
                cli.verbose,
            )
        });
    }

    if cli.check {
        return check_cmd::run(&cli);
    }
    if cli.format == Format::Json {
        usage_error(
            ErrorKind::ArgumentConflict,
            "--format json needs --check (compiling prints diagnostics as text)",
        );
    }

    // Where the script comes from and where the object goes; decided before any
    // input is read.
    enum Input<'a> {
        Program(&'a str),
        Stdin,
        File(&'a Path),
    }
    let input = match (&cli.program, &cli.file) {
        (Some(_), Some(_)) => usage_error(
            ErrorKind::ArgumentConflict,
            "give either FILE or -e PROGRAM, not both",
        ),
        (Some(program), None) => Input::Program(program),
        (None, Some(path)) if path.as_os_str() == "-" => Input::Stdin,
        (None, Some(path)) => Input::File(path),
        (None, None) => usage_error(
            ErrorKind::MissingRequiredArgument,
            "give a FILE, -e PROGRAM or -l",
        ),
    };
    let output = match (&cli.output, cli.emit, &input) {
        (Some(out), _, _) => Some(out.clone()),
        (None, Some(_), _) => None,
        (None, None, Input::File(path)) => Some(path.with_extension("o")),
        (None, None, _) => usage_error(
            ErrorKind::MissingRequiredArgument,
            "no output file: pass -o OUT when the script comes from -e or standard input",
        ),
    };
    if cli.sign.is_some() && output.is_none() {
        usage_error(
            ErrorKind::MissingRequiredArgument,
            "--sign signs the object file: pass -o OUT",
        );
    }
    // Read the key before compiling, so a bad key fails fast.
    let key = match &cli.sign {
        Some(path) => Some(tracec::signing::read_secret_key(path)?),
        None => None,
    };
    let (source_name, source) = match input {
        Input::Program(program) => ("<-e>".to_string(), program.to_string()),
        Input::Stdin => ("-".to_string(), read_stdin()?),
        Input::File(path) => {
            let source = match std::fs::read_to_string(path) {
                Ok(s) => s,
                Err(e) if cli.format == Format::Bpftrace => {
                    eprintln!(
                        "ERROR: failed to open file '{}': {}",
                        path.display(),
                        io_reason(&e)
                    );
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => return Err(format!("cannot read `{}`: {e}", path.display())),
            };
            (path.display().to_string(), source)
        }
    };

    let options = Options {
        source_name: source_name.clone(),
        tracefs: cli.tracefs.clone(),
        btf: btf_path(&cli),
        signature_slot: key.is_some(),
        include_dirs: cli.include.clone(),
        allow_unsafe: cli.allow_unsafe,
        helper_checks: cli.helper_checks,
        env: env_settings()?,
        args: (!cli.args.is_empty()).then(|| tracec::sema::attach_args::positional(&cli.args)),
        pid: cli.pid,
        debuginfo: cli.debuginfo.clone(),
        traceable_functions: cli.traceable_functions.clone(),
    };
    let color = std::io::stderr().is_terminal();
    let mut compiled = match compile_guarded(&source, &options)? {
        Ok(c) => c,
        Err(diags) => {
            report(&source_name, &source, &diags, color, cli.format);
            return Ok(ExitCode::FAILURE);
        }
    };
    if !cli.no_warnings {
        report(&source_name, &source, &compiled.warnings, color, cli.format);
    }
    if cli.deny_warnings && !compiled.warnings.is_empty() {
        eprintln!("tracec: warnings are denied (--deny-warnings); no object written");
        return Ok(ExitCode::FAILURE);
    }

    if let Some(form) = cli.emit {
        let text = match form {
            Emit::Ir => format_ir(&compiled.ir),
            Emit::Asm => compiled
                .functions
                .iter()
                .map(|f| format_asm(f, &compiled.ir))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        write_stdout(&text)?;
    }
    if let Some(key) = &key {
        tracec::signing::sign_object(&mut compiled.object, key)?;
    }
    if let Some(out) = output {
        write_object(&out, &compiled.object)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// bpftrace's `BPFTRACE_*` settings from the environment; an invalid one is an error.
fn env_settings() -> Result<tracec::env::EnvSettings, String> {
    let env = tracec::env::EnvSettings::from_env();
    match env.errors().first() {
        Some(e) => Err(e.clone()),
        None => Ok(env),
    }
}

/// Run the compiler; a panic inside it becomes a one-line error after the panic
/// message instead of a bare crash.
fn compile_guarded(
    source: &str,
    options: &Options,
) -> Result<Result<Compiled, Vec<Diagnostic>>, String> {
    compile_guarded_with(|| tracec::compile(source, options))
}

/// Run `f` (a compiler entry point), turning a panic into an error message.
fn compile_guarded_with<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Result<T, String> {
    std::panic::catch_unwind(f)
        .map_err(|_| "internal compiler error (this is a bug in tracec; please report it)".into())
}

fn report(name: &str, source: &str, diags: &[Diagnostic], color: bool, format: Format) {
    if diags.is_empty() {
        return;
    }
    match format {
        Format::Bpftrace => eprint!("{}", diag::bpftrace::render(name, source, diags)),
        Format::Text | Format::Json => eprint!("{}", diag::render(name, source, diags, color)),
    }
}

/// An I/O error's reason without Rust's ` (os error N)` suffix, as C's `strerror`.
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// `--btf FILE`, or the running kernel's BTF when readable.
fn btf_path(cli: &Cli) -> Option<PathBuf> {
    cli.btf.clone().or_else(tracec::kbtf::default_btf)
}

fn list(
    pattern: Option<&str>,
    tracefs: &Path,
    btf: Option<PathBuf>,
    pid: Option<u32>,
    verbose: bool,
) -> Result<ExitCode, String> {
    let env = tracec::probes::Env {
        tracefs: tracefs.to_path_buf(),
        btf,
        pid,
    };
    let mut text = String::new();
    if verbose {
        for (name, args) in tracec::probes::list_verbose(pattern, &env)? {
            text.push_str(&name);
            text.push('\n');
            for a in args {
                text.push_str("    ");
                text.push_str(&a);
                text.push('\n');
            }
        }
    } else {
        for name in tracec::probes::list(pattern, &env)? {
            text.push_str(&name);
            text.push('\n');
        }
    }
    write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `-l` with a program: its attach points (other than BEGIN/END) as one pattern; `None`
/// when it has none.
fn program_pattern(source: &str, args: &[String]) -> Result<Option<String>, String> {
    let mut program = tracec::front::parse(source)
        .map_err(|_| "the program does not parse (compile it to see the errors)".to_string())?;
    // Positional parameters in attach points list as the arguments complete them.
    if !args.is_empty() {
        let positional = tracec::sema::attach_args::positional(args);
        if let Err(errors) = tracec::sema::attach_args::bind(&mut program, &positional) {
            return Err(errors
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join("\n"));
        }
    }
    let points: Vec<String> = program
        .probes
        .iter()
        .flat_map(|p| &p.attach_points)
        .filter(|ap| {
            !ap.parts
                .first()
                .is_some_and(|f| f.eq_ignore_ascii_case("begin") || f.eq_ignore_ascii_case("end"))
        })
        .map(|ap| ap.raw.clone())
        .collect();
    Ok((!points.is_empty()).then(|| points.join(",")))
}

fn read_stdin() -> Result<String, String> {
    let mut source = String::new();
    std::io::stdin()
        .read_to_string(&mut source)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(source)
}

/// Write to standard output; a closed pipe (`tracec -l | head`) is not an error.
fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

fn write_object(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

/// Print a usage error the way clap does and exit with status 2.
fn usage_error(kind: ErrorKind, msg: &str) -> ! {
    Cli::command().error(kind, msg).exit()
}

/// The text of `--emit ir`.
fn format_ir(module: &ir::Module) -> String {
    module.to_string()
}

/// The text of `--emit asm` for one program.
fn format_asm(f: &CompiledFunction, ir: &ir::Module) -> String {
    tracec::back::asm::format(f, ir)
}
