//! bpftrace's command line, translated into `tracec` + `tracerun` invocations.
//!
//! Shared by the runner (records whose `RUN` line is a plain bpftrace command) and the
//! `bpftrace-shim` executable (which stands in for `{{BPFTRACE}}` in `RUN` lines that need
//! a shell). [`parse`] accepts bpftrace's flags (short ones combinable, `-qe PROG`,
//! `-lv`, `-fjson`, long ones with `=` or a separate value) and reports an unknown or
//! unsupported flag as a [`CliError`] whose text is what the shim prints.

/// What the program to compile is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `tracec -e TEXT`.
    Inline(String),
    /// `tracec PATH`, relative to the working directory.
    File(String),
    /// `bpftrace -`: the program on standard input.
    Stdin,
}

/// What bpftrace was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Compile and run a program.
    Run(Source),
    /// `-l [PATTERN]`, or `-l` with a program (`-e PROG`, `FILE`): list probes.
    List {
        pattern: Option<String>,
        program: Option<Source>,
        verbose: bool,
    },
    /// `-V`, `--version`.
    Version,
    /// `-h`, `--help`.
    Help,
    /// `--info`.
    Info,
}

/// A parsed bpftrace command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub action: Action,
    /// `-q`.
    pub quiet: bool,
    /// `-f json`.
    pub json: bool,
    /// `--unsafe`.
    pub allow_unsafe: bool,
    /// `--no-warnings`.
    pub no_warnings: bool,
    /// `-p PID` / `--pid PID`, as written (validated by [`parse_pid`]).
    pub pid: Option<String>,
    /// `-o FILE` / `--output FILE`.
    pub output: Option<String>,
    /// `--include FILE`: `#include <FILE>` before the program.
    pub includes: Vec<String>,
    /// `-I DIR`.
    pub include_dirs: Vec<String>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `-v`.
    pub verbose: bool,
    /// The program's arguments (positional ones, and everything after `--`).
    pub args: Vec<String>,
    /// `--probe-filter REGEX`.
    pub probe_filter: Option<String>,
    /// `--mode bench`.
    pub bench: bool,
    /// `--test` / `--mode test`.
    pub test: bool,
    /// `--aot PATH`: compile only, and write an executable that runs the object.
    pub aot: Option<String>,
    /// `-k`: run-time checks of helper results.
    pub helper_checks: bool,
    /// `-c CMD` / `--cmd CMD`: the command tracerun starts once attached.
    pub cmd: Option<String>,
    /// `--dwarf-pid PID` (repeatable): processes whose unwind data `dw_ustack` reads.
    pub dwarf_pids: Vec<String>,
    /// `--debuginfo DIR[:DIR]` (repeatable): where tracec also looks for debug files.
    pub debuginfo: Vec<String>,
    /// `--traceable-functions FILE`: the functions kprobes may trace (tracec's).
    pub traceable_functions: Option<String>,
}

/// Why a command line cannot be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// A usage error as bpftrace reports it (it prints its usage after it).
    Usage(String),
    /// A flag bpftrace has and this toolchain does not implement.
    Unsupported(String),
    /// Any other error (`ERROR: ...`).
    Other(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Other(m) => f.write_str(m),
            CliError::Unsupported(flag) => {
                write!(f, "{flag} is not supported by tracec/tracerun yet")
            }
        }
    }
}

/// Long flags that take a value.
const LONG_WITH_VALUE: &[&str] = &[
    "--pid",
    "--output",
    "--include",
    "--probe-filter",
    "--mode",
    "--traceable-functions",
    "--debuginfo",
    "--no-feature",
    "--fmt",
    "--cmd",
    "--aot",
    "--dwarf-pid",
];

/// Short flags that take a value (the rest of the word, or the next word).
const SHORT_WITH_VALUE: &str = "epofcIBdl";

/// Parse bpftrace's arguments (without the program name).
pub fn parse(args: &[String]) -> Result<Invocation, CliError> {
    let mut inv = Invocation {
        action: Action::Help,
        quiet: false,
        json: false,
        allow_unsafe: false,
        no_warnings: false,
        pid: None,
        output: None,
        includes: Vec::new(),
        include_dirs: Vec::new(),
        dry_run: false,
        verbose: false,
        args: Vec::new(),
        probe_filter: None,
        bench: false,
        test: false,
        aot: None,
        helper_checks: false,
        cmd: None,
        dwarf_pids: Vec::new(),
        debuginfo: Vec::new(),
        traceable_functions: None,
    };
    let mut program: Option<Source> = None;
    let mut list = false;
    let mut list_arg: Option<String> = None;
    let mut special: Option<Action> = None;
    let mut positional: Vec<String> = Vec::new();
    let mut i = 0;
    let next = |i: &mut usize, flag: &str| -> Result<String, CliError> {
        let v = args
            .get(*i)
            .cloned()
            .ok_or_else(|| CliError::Usage(format!("option '{flag}' requires an argument")))?;
        *i += 1;
        Ok(v)
    };
    while i < args.len() {
        let a = args[i].clone();
        i += 1;
        if a == "--" {
            inv.args.extend(args[i..].iter().cloned());
            break;
        }
        if a == "-" {
            set_program(&mut program, Source::Stdin)?;
            continue;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
                None => (a.clone(), None),
            };
            let value = if LONG_WITH_VALUE.contains(&name.as_str()) {
                Some(match inline {
                    Some(v) => v,
                    None => next(&mut i, &name)?,
                })
            } else if inline.is_some() {
                return Err(CliError::Usage(format!(
                    "option '{name}' doesn't allow an argument"
                )));
            } else {
                None
            };
            match (name.as_str(), value) {
                ("--unsafe", _) => inv.allow_unsafe = true,
                ("--no-warnings", _) => inv.no_warnings = true,
                ("--dry-run", _) => inv.dry_run = true,
                ("--test", None) => inv.test = true,
                ("--help", _) => special = Some(Action::Help),
                ("--version", _) => special = Some(Action::Version),
                ("--info", _) => special = Some(Action::Info),
                ("--list", _) => list = true,
                ("--pid", Some(v)) => inv.pid = Some(v),
                ("--output", Some(v)) => inv.output = Some(v),
                ("--include", Some(v)) => inv.includes.push(v),
                ("--probe-filter", Some(v)) => inv.probe_filter = Some(v),
                ("--aot", Some(v)) => inv.aot = Some(v),
                ("--cmd", Some(v)) => inv.cmd = Some(v),
                ("--dwarf-pid", Some(v)) => inv.dwarf_pids.push(v),
                ("--debuginfo", Some(v)) => inv.debuginfo.push(v),
                ("--traceable-functions", Some(v)) => inv.traceable_functions = Some(v),
                ("--mode", Some(v)) => match v.as_str() {
                    "run" => inv.bench = false,
                    "bench" => inv.bench = true,
                    "test" => inv.test = true,
                    other => return Err(CliError::Unsupported(format!("--mode {other}"))),
                },
                (known, _) if LONG_WITH_VALUE.contains(&known) => {
                    return Err(CliError::Unsupported(known.to_string()))
                }
                // tracerun gives every USDT semaphore to the kernel as the uprobe's
                // reference counter, which activates it in each process mapping the
                // file: file-based activation is what it always does.
                ("--usdt-file-activation", _) => {}
                (other, _) => {
                    return Err(CliError::Usage(format!("unrecognized option '{other}'")))
                }
            }
            continue;
        }
        if let Some(flags) = a.strip_prefix('-') {
            for (k, f) in flags.char_indices() {
                let rest = &flags[k + f.len_utf8()..];
                if SHORT_WITH_VALUE.contains(f) {
                    // `-l` takes no value; it is here so that `-lv` is not `-l v`.
                    if f == 'l' {
                        list = true;
                        continue;
                    }
                    let value = if rest.is_empty() {
                        next(&mut i, &format!("-{f}"))?
                    } else {
                        rest.to_string()
                    };
                    match f {
                        'e' => set_program(&mut program, Source::Inline(value))?,
                        'p' => inv.pid = Some(value),
                        'c' => inv.cmd = Some(value),
                        'o' => inv.output = Some(value),
                        'I' => inv.include_dirs.push(value),
                        'f' => match value.as_str() {
                            "json" => inv.json = true,
                            "text" => inv.json = false,
                            other => {
                                return Err(CliError::Other(format!(
                                "Invalid output format \"{other}\"\nValid formats: 'text', 'json'"
                            )))
                            }
                        },
                        other => return Err(CliError::Unsupported(format!("-{other}"))),
                    }
                    break;
                }
                match f {
                    'q' => inv.quiet = true,
                    'v' => inv.verbose = true,
                    'h' => special = Some(Action::Help),
                    'V' => special = Some(Action::Version),
                    'k' => inv.helper_checks = true,
                    other => return Err(CliError::Usage(format!("invalid option -- '{other}'"))),
                }
            }
            continue;
        }
        if program.is_none() {
            // `-l ARG`: a script file if one exists by that name, else a pattern.
            if list && list_arg.is_none() && !std::path::Path::new(&a).is_file() {
                list_arg = Some(a);
            } else {
                program = Some(Source::File(a));
            }
            continue;
        }
        positional.push(a);
    }
    let mut args_all = positional;
    args_all.append(&mut inv.args);
    inv.args = args_all;
    inv.action = if let Some(s) = special {
        s
    } else if list {
        Action::List {
            pattern: list_arg,
            program,
            verbose: inv.verbose,
        }
    } else {
        match program {
            Some(p) => Action::Run(p),
            None => return Err(CliError::Usage("No program given".into())),
        }
    };
    Ok(inv)
}

/// The program to run: given twice (`-e A -e B`), the last one counts, as bpftrace's
/// getopt loop keeps it.
fn set_program(slot: &mut Option<Source>, s: Source) -> Result<(), CliError> {
    *slot = Some(s);
    Ok(())
}

/// Validate `-p PID` with bpftrace's messages.
pub fn parse_pid(text: &str) -> Result<u32, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!("Failed to parse pid: invalid integer: {text}"));
    }
    if digits < text.len() {
        return Err(format!(
            "Failed to parse pid: invalid trailing bytes: {text}"
        ));
    }
    let max: u64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(4_194_304);
    match text.parse::<u64>() {
        Ok(n) if n >= 1 && n <= max => Ok(n as u32),
        _ => Err(format!("Pid out of range: {text}")),
    }
}

impl Invocation {
    /// The source as `tracec` gets it, with `--include`s prepended (a file then becomes
    /// inline text; `None` when the file cannot be read, which `tracec` reports itself).
    pub fn effective_source(&self, source: &Source) -> Source {
        if self.includes.is_empty() {
            return source.clone();
        }
        let prefix: String = self
            .includes
            .iter()
            .map(|f| format!("#include <{f}>\n"))
            .collect();
        match source {
            Source::Inline(t) => Source::Inline(format!("{prefix}{t}")),
            Source::File(p) => match std::fs::read_to_string(p) {
                Ok(t) => Source::Inline(format!("{prefix}{t}")),
                Err(_) => source.clone(),
            },
            Source::Stdin => Source::Stdin,
        }
    }

    /// `tracec` arguments (after the source and `-o OBJECT`) for a compile.
    pub fn tracec_flags(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.allow_unsafe {
            v.push("--unsafe".to_string());
        }
        if self.no_warnings {
            v.push("--no-warnings".to_string());
        }
        if self.helper_checks {
            v.push("-k".to_string());
        }
        for d in &self.include_dirs {
            v.push("-I".to_string());
            v.push(d.clone());
        }
        // `uprobe:*:PATTERN` expands against the files the process maps.
        if let Some(p) = &self.pid {
            v.extend(["-p".to_string(), p.clone()]);
        }
        v.extend(self.debuginfo_flags());
        if let Some(f) = &self.traceable_functions {
            v.extend(["--traceable-functions".to_string(), f.clone()]);
        }
        v
    }

    /// `--debuginfo=DIR` for each `--debuginfo` given (tracec compiles and lists with
    /// them).
    pub fn debuginfo_flags(&self) -> Vec<String> {
        self.debuginfo
            .iter()
            .map(|d| format!("--debuginfo={d}"))
            .collect()
    }

    /// `tracerun` flags (before the object); `with_quiet` passes `-q` on.
    pub fn tracerun_flags(&self, with_quiet: bool) -> Vec<String> {
        let mut v = Vec::new();
        if with_quiet && self.quiet {
            v.push("-q".to_string());
        }
        if self.json {
            v.extend(["-f".to_string(), "json".to_string()]);
        }
        if self.allow_unsafe {
            v.push("--unsafe".to_string());
        }
        if self.no_warnings {
            v.push("--no-warnings".to_string());
        }
        if self.verbose {
            v.push("-v".to_string());
        }
        if let Some(p) = &self.pid {
            v.extend(["-p".to_string(), p.clone()]);
        }
        if let Some(o) = &self.output {
            v.extend(["-o".to_string(), o.clone()]);
        }
        if let Some(c) = &self.cmd {
            v.extend(["-c".to_string(), c.clone()]);
        }
        if let Some(f) = &self.probe_filter {
            v.extend(["--probe-filter".to_string(), f.clone()]);
        }
        for p in &self.dwarf_pids {
            v.extend(["--dwarf-pid".to_string(), p.clone()]);
        }
        if self.bench {
            v.push("--bench".to_string());
        }
        if self.test {
            v.push("--test".to_string());
        }
        v
    }

    /// `tracerun` arguments after the object (`-- ARGS`).
    pub fn tracerun_args(&self) -> Vec<String> {
        if self.args.is_empty() {
            return Vec::new();
        }
        let mut v = vec!["--".to_string()];
        v.extend(self.args.iter().cloned());
        v
    }
}
