//! `bpftrace-shim`: bpftrace's command line on top of `tracec` + `tracerun`.
//!
//! The conformance runner puts `{{BPFTRACE}}` = this program (through a symlink named
//! `bpftrace`) into `RUN` lines that need a shell. It parses the command line with the
//! runner's own translation ([`tracec_tests::conformance::cli`]), compiles the program
//! with `tracec`, and replaces itself with `tracerun` (so the traced process keeps this
//! pid). The object lives in a memfd, so nothing is left behind.
//!
//! Binaries are found next to the path this was invoked by (`DIR/tracec`, and
//! `DIR/run/bpftrace` or `DIR/tracerun`), else from `TRACEC_BIN`/`TRACERUN_BIN`, else next
//! to this executable.

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use tracec_tests::conformance::cli::{self, Action, CliError, Invocation, Source};

const USAGE: &str = "USAGE:
    bpftrace [options] filename
    bpftrace [options] - <stdin input>
    bpftrace [options] -e 'program'

(bpftrace-compatible front end of tracec + tracerun)

OPTIONS:
    -e 'program'   execute this program
    -f FORMAT      output format ('text', 'json')
    -I DIR         add the directory to the include search path
    --include FILE add an #include file before the program
    -l [search|filename]
                   list probes
    -o file        redirect bpftrace output to file
    -p PID         enable USDT probes on PID
    -q,            keep messages quiet
    --unsafe       allow unsafe/destructive functionality
    -v,            verbose messages
    --dry-run      check the program without running it
    --no-warnings  disable warnings
    -h, --help     show this help message
    -V, --version  version
";

/// Where the binaries are.
struct Bins {
    tracec: PathBuf,
    /// What to exec for a run (a `bpftrace`-named link to tracerun when there is one).
    tracerun: PathBuf,
}

fn find_bins(argv0: &str) -> Bins {
    let invoked_dir = Path::new(argv0).parent().map(Path::to_path_buf);
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf));
    let pick = |names: &[&str], env: &str| -> PathBuf {
        for dir in invoked_dir.iter().chain(exe_dir.iter()) {
            for n in names {
                let p = dir.join(n);
                if p.exists() {
                    return p;
                }
            }
        }
        match std::env::var_os(env) {
            Some(v) => PathBuf::from(v),
            None => PathBuf::from(names[names.len() - 1]),
        }
    };
    Bins {
        tracec: pick(&["tracec"], "TRACEC_BIN"),
        tracerun: pick(&["run/bpftrace", "tracerun"], "TRACERUN_BIN"),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let bins = find_bins(argv.first().map_or("bpftrace", String::as_str));
    match cli::parse(&argv[1..]) {
        Ok(inv) => run(&inv, &bins),
        Err(CliError::Usage(m)) => {
            eprintln!("ERROR: {m}");
            eprint!("{USAGE}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("ERROR: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(inv: &Invocation, bins: &Bins) -> ExitCode {
    match &inv.action {
        Action::Help => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Action::Version => {
            let v = Command::new(&bins.tracec).arg("--version").output();
            let text = v
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default();
            println!("{text} (bpftrace-compatible front end; not bpftrace)");
            ExitCode::SUCCESS
        }
        Action::Info => {
            eprintln!(
                "ERROR: --info describes a bpftrace build; use `tracerun --info OBJECT` to describe a compiled object"
            );
            ExitCode::FAILURE
        }
        Action::List {
            pattern,
            program,
            verbose,
        } => list(inv, bins, pattern.as_deref(), program.as_ref(), *verbose),
        Action::Run(source) => compile_and_run(inv, bins, source),
    }
}

fn list(
    inv: &Invocation,
    bins: &Bins,
    pattern: Option<&str>,
    program: Option<&Source>,
    verbose: bool,
) -> ExitCode {
    let mut cmd = Command::new(&bins.tracec);
    // The program first: `-l` takes an optional value.
    if let Some(src) = program {
        match inv.effective_source(src) {
            Source::Inline(t) => {
                cmd.arg("-e").arg(t);
            }
            Source::File(f) => {
                cmd.arg(f);
            }
            Source::Stdin => {
                cmd.arg("-");
            }
        }
    }
    cmd.arg("-l");
    if let Some(p) = pattern {
        if p.ends_with(".bt") && program.is_none() {
            eprintln!(
                "WARNING: It appears that '{p}' is a filename but the file does not exist. Treating '{p}' as a search pattern."
            );
        }
        cmd.arg(p);
    }
    if verbose {
        cmd.arg("-v");
    }
    cmd.args(inv.debuginfo_flags());
    if let Some(p) = &inv.pid {
        if let Err(e) = cli::parse_pid(p) {
            eprintln!("ERROR: {e}");
            return ExitCode::FAILURE;
        }
        cmd.arg("-p").arg(p);
    }
    exec(cmd)
}

fn exec(mut cmd: Command) -> ExitCode {
    let e = cmd.exec();
    eprintln!("ERROR: cannot run {:?}: {e}", cmd.get_program());
    ExitCode::FAILURE
}

fn compile_and_run(inv: &Invocation, bins: &Bins, source: &Source) -> ExitCode {
    if let Some(p) = &inv.pid {
        if let Err(e) = cli::parse_pid(p) {
            eprintln!("ERROR: {e}");
            return ExitCode::FAILURE;
        }
    }
    let tmp = std::env::temp_dir().join(format!("bpftrace-shim-{}.o", std::process::id()));
    let mut cc = Command::new(&bins.tracec);
    match inv.effective_source(source) {
        Source::Inline(t) => cc.arg("-e").arg(t),
        Source::File(f) => cc.arg(f),
        Source::Stdin => cc.arg("-").stdin(Stdio::inherit()),
    };
    // Diagnostics in bpftrace's text, as the rest of this front end imitates it.
    cc.arg("--format").arg("bpftrace");
    cc.arg("-o").arg(&tmp).args(inv.tracec_flags());
    // Attach points that use `$N` are bound at compile time: tracec gets the arguments too.
    cc.args(inv.tracerun_args());
    let status = match cc.status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ERROR: cannot run tracec: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !status.success() {
        let _ = std::fs::remove_file(&tmp);
        return ExitCode::from(status.code().unwrap_or(1).clamp(1, 255) as u8);
    }
    let bytes = std::fs::read(&tmp);
    let _ = std::fs::remove_file(&tmp);
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            eprintln!("ERROR: cannot read the compiled object: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &inv.aot {
        return write_aot(path, &bytes, bins);
    }
    let object = match memfd_with(&bytes) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ERROR: cannot hold the compiled object: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut run = Command::new(&bins.tracerun);
    if inv.dry_run {
        // Load and verify every program, then stop: nothing runs, nothing is printed
        // unless the kernel rejects something.
        run.arg("--verify").arg(&object);
        return match run.output() {
            Ok(o) if o.status.success() => ExitCode::SUCCESS,
            Ok(o) => {
                let _ = std::io::stderr().write_all(&o.stdout);
                let _ = std::io::stderr().write_all(&o.stderr);
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("ERROR: cannot run tracerun: {e}");
                ExitCode::FAILURE
            }
        };
    }
    run.args(inv.tracerun_flags(true))
        .arg(&object)
        .args(inv.tracerun_args());
    exec(run)
}

/// `--aot PATH`: bpftrace writes an executable that runs the compiled script with its
/// runtime. Ours is the object at `PATH.o` and, at `PATH`, a script running `tracerun`
/// on it with the arguments given (`PATH -- --name=value`).
fn write_aot(path: &str, object: &[u8], bins: &Bins) -> ExitCode {
    use std::os::unix::fs::PermissionsExt;
    let obj = format!("{path}.o");
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let script = format!(
        "#!/bin/sh\nexec {} {} \"$@\"\n",
        quote(&bins.tracerun.to_string_lossy()),
        quote(&obj)
    );
    let written = std::fs::write(&obj, object)
        .and_then(|()| std::fs::write(path, script))
        .and_then(|()| std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ERROR: cannot write {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A memfd (inherited across exec) holding `bytes`; returns its `/proc/self/fd` path.
fn memfd_with(bytes: &[u8]) -> std::io::Result<PathBuf> {
    let name = CString::new("tracec-object").expect("no NUL");
    // SAFETY: memfd_create with a valid C string; no flags, so the fd survives exec.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let path = PathBuf::from(format!("/proc/self/fd/{fd}"));
    let mut f = std::fs::OpenOptions::new().write(true).open(&path)?;
    f.write_all(bytes)?;
    // Check that it reads back (a sanity check on the fd path).
    let mut back = Vec::new();
    std::fs::File::open(&path)?.read_to_end(&mut back)?;
    if back.len() != bytes.len() {
        return Err(std::io::Error::other("short memfd"));
    }
    Ok(path)
}
