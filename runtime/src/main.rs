//! `tracerun [OPTIONS] OBJECT [-- ARGS...]`: run a BPF object written by tracec.

use clap::Parser;
use std::path::PathBuf;
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
    /// Run the object only if it is signed by this public key (`tracec --keygen`
    /// NAME writes NAME.pub); may be repeated to trust several keys.
    #[arg(long, value_name = "KEY.pub")]
    trust: Vec<PathBuf>,
    /// The object written by `tracec`.
    #[arg(value_name = "OBJECT")]
    object: PathBuf,
    /// Positional parameters for the script.
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let opts = tracerun::Options {
        object: cli.object,
        output: cli.output,
        quiet: cli.quiet,
        args: cli.args,
        trust: cli.trust,
    };
    match tracerun::run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tracerun: error: {e}");
            ExitCode::FAILURE
        }
    }
}
