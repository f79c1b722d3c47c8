//! `tracec --check FILE...`: report every diagnostic of several scripts, as text or
//! as JSON, and write nothing. (Part of the `tracec` binary, not of the library.)

use crate::{compile_guarded_with, read_stdin, usage_error, write_stdout, Cli, Format};
use clap::error::ErrorKind;
use std::io::IsTerminal;
use std::process::ExitCode;
use tracec::diag::{self, json::JsonDiagnostic};
use tracec::Options;

/// Totals over all files.
#[derive(Default)]
struct Counts {
    errors: usize,
    warnings: usize,
}

pub fn run(cli: &Cli) -> Result<ExitCode, String> {
    let mut inputs: Vec<Input> = Vec::new();
    if let Some(program) = &cli.program {
        if cli.file.is_some() {
            usage_error(
                ErrorKind::ArgumentConflict,
                "give either FILEs or -e PROGRAM, not both",
            );
        }
        inputs.push(Input::Program(program.clone()));
    }
    for path in cli.file.iter().chain(&cli.more_files) {
        inputs.push(if path.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::File(path.display().to_string())
        });
    }
    if inputs.iter().filter(|i| matches!(i, Input::Stdin)).count() > 1 {
        usage_error(
            ErrorKind::ArgumentConflict,
            "standard input (`-`) can be checked only once",
        );
    }

    let color = cli.format == Format::Text && std::io::stderr().is_terminal();
    let mut counts = Counts::default();
    let mut json = String::new();
    for input in &inputs {
        let name = input.name();
        let source = match input.read() {
            Ok(s) => s,
            Err(msg) => {
                counts.errors += 1;
                match cli.format {
                    Format::Text | Format::Bpftrace => eprintln!("tracec: {msg}"),
                    Format::Json => {
                        json += &JsonDiagnostic::file_error(&name, msg).to_line();
                        json.push('\n');
                    }
                }
                continue;
            }
        };
        let options = Options {
            source_name: name.clone(),
            tracefs: cli.tracefs.clone(),
            btf: crate::btf_path(cli),
            include_dirs: cli.include.clone(),
            env: crate::env_settings()?,
            args: (!cli.args.is_empty()).then(|| tracec::sema::attach_args::positional(&cli.args)),
            pid: cli.pid,
            debuginfo: cli.debuginfo.clone(),
            ..Options::default()
        };
        let diags = compile_guarded_with(|| tracec::check(&source, &options))?;
        counts.errors += diags.iter().filter(|d| d.is_error()).count();
        counts.warnings += diags.iter().filter(|d| !d.is_error()).count();
        match cli.format {
            Format::Text if !diags.is_empty() => {
                eprint!("{}", diag::render(&name, &source, &diags, color))
            }
            Format::Bpftrace if !diags.is_empty() => {
                eprint!("{}", diag::bpftrace::render(&name, &source, &diags))
            }
            Format::Text | Format::Bpftrace => {}
            Format::Json => json += &diag::json::render(&name, &source, &diags),
        }
    }
    if cli.format == Format::Json {
        write_stdout(&json)?;
    }
    let failed = counts.errors > 0 || (cli.deny_warnings && counts.warnings > 0);
    if cli.format != Format::Json && failed {
        eprintln!(
            "tracec: {} error{}, {} warning{}{}",
            counts.errors,
            plural(counts.errors),
            counts.warnings,
            plural(counts.warnings),
            if counts.errors == 0 {
                " (warnings are denied)"
            } else {
                ""
            }
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

enum Input {
    Program(String),
    Stdin,
    File(String),
}

impl Input {
    fn name(&self) -> String {
        match self {
            Input::Program(_) => "<-e>".into(),
            Input::Stdin => "-".into(),
            Input::File(path) => path.clone(),
        }
    }

    fn read(&self) -> Result<String, String> {
        match self {
            Input::Program(p) => Ok(p.clone()),
            Input::Stdin => read_stdin(),
            Input::File(path) => {
                std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))
            }
        }
    }
}
