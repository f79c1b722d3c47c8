//! `tracerun [OPTIONS] OBJECT [-- ARGS...]`: run a BPF object written by tracec.

use clap::{Parser, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "tracerun",
    version,
    about = "Run a BPF object compiled by tracec and print what bpftrace would print"
)]
struct Cli {
    /// Write the program's output (printf, maps) to FILE instead of stdout.
    #[arg(short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Do not print `Attached N probes`.
    #[arg(short = 'q')]
    quiet: bool,
    /// Load every program into the kernel verifier without attaching, report each one,
    /// and show where in the script a rejected program fails. Exits 1 if any is rejected.
    #[arg(long, conflicts_with = "info")]
    verify: bool,
    /// Describe the object (probes, maps, required kernel features, signature) without
    /// loading it; needs no privileges.
    #[arg(long)]
    info: bool,
    /// Output format: of the program's output (`-f json`: bpftrace's NDJSON) or of
    /// the `--info` report.
    #[arg(
        short = 'f',
        long,
        value_enum,
        value_name = "FORMAT",
        conflicts_with = "verify"
    )]
    format: Option<Format>,
    /// Run the object only if it is signed by this public key (`tracec --keygen`
    /// NAME writes NAME.pub); may be repeated to trust several keys.
    #[arg(long, value_name = "KEY.pub")]
    trust: Vec<PathBuf>,
    /// Limit uprobes and software/hardware counters to process PID.
    #[arg(short = 'p', value_name = "PID", conflicts_with = "command")]
    pid: Option<std::num::NonZeroU32>,
    /// Run CMD once the probes are attached and exit when it exits; its pid is the
    /// script's `cpid`. CMD is split at every space, as bpftrace does (quotes are
    /// not special), and executed directly, without a shell.
    #[arg(short = 'c', long = "cmd", value_name = "CMD")]
    command: Option<String>,
    /// Allow objects that use functions which can change the system (`system()`);
    /// they must have been compiled with `tracec --unsafe`.
    #[arg(long = "unsafe")]
    allow_unsafe: bool,
    /// Do not print the script's warnings (`warnf`).
    #[arg(long = "no-warnings")]
    no_warnings: bool,
    /// Verbose: load programs with a verifier log of `log_size` bytes
    /// (BPFTRACE_LOG_SIZE); a log that does not fit fails the load, as in bpftrace.
    #[arg(short = 'v')]
    verbose: bool,
    /// Load and attach only the probes whose name matches this regular expression
    /// (searched for in names such as `interval:ms:200`); BEGIN and END always run.
    #[arg(long = "probe-filter", value_name = "REGEX")]
    probe_filter: Option<String>,
    /// Bench mode: run each `bench:` probe repeatedly after BEGIN and print the
    /// average time per run (bpftrace's `--mode bench`); nothing is attached.
    #[arg(long, conflicts_with = "test")]
    bench: bool,
    /// Test mode: run each `test:` probe once after BEGIN and report which passed
    /// (bpftrace's `--test`); nothing is attached. Exit status 1 if any failed.
    #[arg(long)]
    test: bool,
    /// Read DWARF unwind data (`dw_ustack`) for this process too (besides the `-p`
    /// and `-c` processes); may be repeated.
    #[arg(long = "dwarf-pid", value_name = "PID")]
    dwarf_pid: Vec<u32>,
    /// The object written by `tracec`.
    #[arg(value_name = "OBJECT")]
    object: PathBuf,
    /// The script's arguments: positional parameters (`tracerun OBJECT 5`, as
    /// `bpftrace script.bt 5`), and after `--` also named ones (`--name=VALUE`)
    /// and values starting with `-`.
    #[arg(value_name = "ARGS")]
    args: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(pid) = cli.pid {
        tracerun::load_more::set_target_pid(pid);
        tracerun::dwunwind::add_dwarf_pid(pid.get());
    }
    for &pid in &cli.dwarf_pid {
        tracerun::dwunwind::add_dwarf_pid(pid);
    }
    let result = if cli.info {
        let json = cli.format == Some(Format::Json);
        tracerun::info::run_with_args(&cli.object, json, &cli.args, &mut std::io::stdout().lock())
            .map(|()| true)
    } else if cli.verify {
        // With --trust, only a trusted object goes near the verifier.
        trusted(&cli.object, &cli.trust).and_then(|()| {
            tracerun::verify::run(&cli.object, &cli.args, &mut std::io::stdout().lock())
        })
    } else {
        let opts = tracerun::Options {
            object: cli.object,
            output: cli.output,
            quiet: cli.quiet,
            args: cli.args,
            trust: cli.trust,
            format: match cli.format {
                Some(Format::Json) => tracerun::print::Format::Json,
                _ => tracerun::print::Format::Text,
            },
            allow_unsafe: cli.allow_unsafe,
            command: cli.command,
            no_warnings: cli.no_warnings,
            probe_filter: cli.probe_filter,
            bench: cli.bench,
            test: cli.test,
            verbose: cli.verbose,
        };
        match tracerun::run_status(&opts) {
            Ok(0) => Ok(true),
            Ok(code) => return ExitCode::from(code as u8),
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) if e.is_bpftrace() => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("tracerun: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Check the signature of `object` against `keys` (nothing to check without keys).
fn trusted(object: &Path, keys: &[PathBuf]) -> Result<(), tracerun::Error> {
    if keys.is_empty() {
        return Ok(());
    }
    let keys = keys
        .iter()
        .map(|k| tracerun::object::read_public_key(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(tracerun::Error::new)?;
    tracerun::object::read_trusted(object, &keys)
        .map(|_| ())
        .map_err(|e| tracerun::Error::new(format!("{}: {e}", object.display())))
}
