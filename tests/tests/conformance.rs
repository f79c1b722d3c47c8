//! bpftrace's runtime test suite against tracec + tracerun (`harness = false`).
//!
//! Runs every record of `../shared/conformance/bpftrace-runtime/` (relative to the
//! workspace root) when the kernel is available, prints per-suite counts and a final
//! `N passed, N failed, N skipped`, and fails if fewer records pass than the floor in
//! `tests/conformance-floor.txt`. Records whose probes cannot attach on this kernel
//! (kprobe, fentry, ...) are skipped, but compiled and loaded
//! (`tests/conformance/unattachable.rs`); a second line counts what became of them, and
//! the test fails if one of them fails for a reason not documented there.
//!
//! Environment:
//! - `TRACEC_CONFORMANCE_FILTER=REGEX`: only records whose `suite/NAME` matches;
//! - `TRACEC_CONFORMANCE_VERBOSE=1`: every failure and skip with its reason;
//! - `TRACEC_CONFORMANCE_JOBS=1|2`: records run at once (default 2);
//! - `TRACEC_CONFORMANCE_SUITE_DIR`: another suite directory;
//! - `TRACEC_BIN`, `TRACERUN_BIN`, `TRACEC_SHIM_BIN`: other compiler/runtime/shim binaries.
//!
//! The floor is only enforced on unfiltered runs.

use std::path::PathBuf;
use std::process::ExitCode;

use regex::Regex;
use tracec_tests::conformance::{load_suites, run_suites, testprogs, Config, Host, RunOptions};
use tracec_tests::{bin, kernel_or_skip, scratch, workspace};

fn env_path(var: &str, default: impl FnOnce() -> PathBuf) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(default)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("conformance: test");
        return ExitCode::SUCCESS;
    }
    // Like libtest: a name filter that does not match this target's name skips it.
    if let Some(f) = args.iter().find(|a| !a.starts_with('-')) {
        if !"conformance".contains(f.as_str()) {
            return ExitCode::SUCCESS;
        }
    }
    let Some(_kernel) = kernel_or_skip("conformance") else {
        return ExitCode::SUCCESS;
    };

    let suite_dir = env_path("TRACEC_CONFORMANCE_SUITE_DIR", || {
        workspace().join("../shared/conformance/bpftrace-runtime")
    });
    if !suite_dir.is_dir() {
        eprintln!(
            "conformance: suite directory {} is missing (set TRACEC_CONFORMANCE_SUITE_DIR)",
            suite_dir.display()
        );
        return ExitCode::FAILURE;
    }
    let suite_dir = suite_dir.canonicalize().unwrap_or(suite_dir);
    let filter = match std::env::var("TRACEC_CONFORMANCE_FILTER") {
        Ok(f) if !f.is_empty() => match Regex::new(&f) {
            Ok(re) => Some(re),
            Err(e) => {
                eprintln!("conformance: bad TRACEC_CONFORMANCE_FILTER: {e}");
                return ExitCode::FAILURE;
            }
        },
        _ => None,
    };
    let verbose = std::env::var("TRACEC_CONFORMANCE_VERBOSE").is_ok_and(|v| v == "1");
    let jobs = std::env::var("TRACEC_CONFORMANCE_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(2);

    let mut cfg = Config::new(
        env_path("TRACEC_BIN", || bin("tracec")),
        env_path("TRACERUN_BIN", || bin("tracerun")),
        suite_dir.clone(),
        scratch("conformance"),
    );
    cfg.shim = Some(env_path("TRACEC_SHIM_BIN", || {
        PathBuf::from(env!("CARGO_BIN_EXE_bpftrace-shim"))
    }));
    // bpftrace's records trace its own test programs; ours stand in for them.
    let mut host = Host::detect();
    let testprogs_dir = cfg.scratch.join("testprogs");
    let testlibs_dir = cfg.scratch.join("testlibs");
    let src = workspace().join("tests/testprogs");
    let built = testprogs::build_libs(&workspace().join("tests/testlibs"), &src, &testlibs_dir)
        .and_then(|libs| Ok((libs, testprogs::build(&src, &testlibs_dir, &testprogs_dir)?)));
    match built {
        Ok((libs, progs)) => {
            host.testlibs = libs;
            host.testprogs = progs;
            cfg.testprogs = Some(testprogs_dir);
            cfg.testlibs = Some(testlibs_dir);
        }
        Err(e) => {
            eprintln!("conformance: cannot build tests/testprogs: {e}");
            return ExitCode::FAILURE;
        }
    }
    let suites = match load_suites(&suite_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("conformance: cannot read {}: {e}", suite_dir.display());
            return ExitCode::FAILURE;
        }
    };
    let opts = RunOptions {
        filter: filter.as_ref(),
        jobs,
        verbose,
    };
    let mut stdout = std::io::stdout();
    let summary = match run_suites(&suites, &cfg, &host, &opts, &mut stdout) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _ = std::fs::remove_dir_all(&cfg.scratch);
    if filter.is_some() {
        return ExitCode::SUCCESS;
    }

    let floor_file = workspace().join("tests/conformance-floor.txt");
    let floor: usize = match std::fs::read_to_string(&floor_file)
        .map_err(|e| e.to_string())
        .and_then(|t| t.trim().parse().map_err(|e| format!("{e}")))
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "conformance: cannot read floor {}: {e}",
                floor_file.display()
            );
            return ExitCode::FAILURE;
        }
    };
    // Records that cannot attach here are compiled and loaded instead; each failure is a
    // bug to fix or a documented entry of `unattachable::KNOWN_FAILURES`.
    if summary.unattached.failed > 0 {
        eprintln!(
            "conformance: {} record(s) that cannot attach here failed to compile or load \
             (listed above as SKIP ...; FAILED)",
            summary.unattached.failed
        );
        return ExitCode::FAILURE;
    }
    let passed = summary.total.passed;
    if passed < floor {
        eprintln!("conformance regressed: {passed} < floor {floor}");
        return ExitCode::FAILURE;
    }
    if passed > floor {
        println!(
            "conformance: {passed} passed, above the floor {floor}; raise {} to {passed}",
            floor_file.display()
        );
    }
    ExitCode::SUCCESS
}
