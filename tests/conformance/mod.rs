//! Conformance runner: bpftrace's runtime test suite against `tracec` + `tracerun`.
//!
//! Each record's program is compiled with `tracec` (`-e PROG` or a script file) and run with
//! `tracerun`; its merged stdout/stderr is then checked like bpftrace's Python engine does
//! (`tests/runtime/engine/runner.py`, summarised in the suite's `TESTS-README.md`). See
//! [`plan`] for the exact skip rules, [`run`] for timing and verdicts, [`check`] for the
//! matchers, [`cli`] for the translation of bpftrace's command line.
//!
//! Two ways to run a record:
//! - direct: `PROG`, and `RUN` lines that are a plain `{{BPFTRACE}} [flags] (-e PROG |
//!   FILE) [ARGS]` whose flags translate ([`cli`]: `-q`, `-f json`, `--unsafe`, `-o`,
//!   `--include`, `-I`, `--no-warnings`): the runner runs `tracec`, then `tracerun`;
//! - shell: every other `RUN` line (pipes, `;`, `-l`, `--version`, `-p`, flags tracec
//!   does not implement, ...) runs with `sh -c`, `{{BPFTRACE}}` replaced by the
//!   `bpftrace-shim` executable (`tests/shim.rs`), which parses the same command line
//!   with [`cli`], compiles with `tracec` and execs `tracerun`; an unsupported flag is
//!   an error it prints, so such a record runs and fails instead of being skipped. As in
//!   bpftrace's engine, the program gets `__BPFTRACE_NOTIFY_PROBES_ATTACHED=1` and
//!   "attached" is that line on its output (`tracerun` prints it).
//!
//! Adaptation of the environment to the suite: the suite assumes the traced process is
//! called `bpftrace` (`comm == "bpftrace"` in BEGIN, `pidof bpftrace`, iterators over
//! tasks). So `tracerun` is always started through a symlink named `bpftrace`
//! (`SCRATCH/bin/run/bpftrace`), and the shim through `SCRATCH/bin/bpftrace`; the kernel
//! takes `comm` from the name the program was executed by.
//!
//! Semantics (as in the Python engine unless noted):
//! - output is stdout and stderr merged, in arrival order, with `tracec`'s own output
//!   (warnings, errors) first, as `bpftrace -e` would print them;
//! - "attached" is the first line `Attached N probe(s)`; programs with only `begin`/`end`
//!   probes count as attached after a short grace even without it (engine choice). `AFTER`
//!   starts then, and the record's `TIMEOUT` (capped at 10 s) starts counting; before it,
//!   the wait is capped at 5 s (bpftrace's engine: 10 s);
//! - `EXPECT_FILE`/`EXPECT_JSON` see only output after the notice; with `-q` the notice is
//!   removed from the output (tracerun is never given `-q`, the engine needs the notice);
//! - on timeout: SIGTERM to tracerun's process group, 1 s, then SIGKILL; the exit code is
//!   then not checked and the record passes if its expectations hold;
//! - otherwise the exit code must equal `RETURN_CODE` (default 0), or with `WILL_FAIL` be
//!   non-zero; a `tracec` failure is the exit code of the invocation (so `WILL_FAIL`
//!   records may match the compiler's error text), and without `WILL_FAIL` it fails the
//!   record as "tracec (exit N): first line";
//! - a failing `SETUP` or `CLEANUP` fails the record; `AFTER`/`BEFORE` get 1 s after the
//!   run, then their process groups are killed;
//! - commands run in a per-record directory where `runtime` links to the suite directory,
//!   so `runtime/scripts/...` and `runtime/outputs/...` resolve as in bpftrace's tree;
//! - the program sees only `PATH`, `test=NAME` and the record's `ENV`.

pub mod check;
pub mod cli;
pub mod parse;
pub mod pidns;
pub mod plan;
pub mod proc;
pub mod progs_busy;
pub mod run;
pub mod scan;
pub mod testprog_extras;
pub mod testprogs;
pub mod unattachable;

#[cfg(test)]
mod check_tests;
#[cfg(test)]
mod cli_tests;
#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod pidns_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod progs_busy_tests;
#[cfg(test)]
mod unattachable_tests;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use regex::Regex;

pub use parse::{parse_suite, Expect, ExpectMode, ParseError, Record};
pub use plan::Host;
pub use run::{Config, Outcome};

/// Pass/fail/skip counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Counts {
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail(_) => self.failed += 1,
            Outcome::Skip(_) | Outcome::Unattached { .. } => self.skipped += 1,
        }
    }
}

/// What became of the records that were compiled and loaded instead of run
/// ([`unattachable`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnattachedCounts {
    pub loaded: usize,
    pub refused: usize,
    pub expected_errors: usize,
    pub failed: usize,
    /// Failures listed in [`unattachable::KNOWN_FAILURES`].
    pub known: usize,
}

impl UnattachedCounts {
    fn is_empty(&self) -> bool {
        *self == UnattachedCounts::default()
    }
}

impl std::fmt::Display for UnattachedCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unattachable: {} compiled and loaded, {} compiled (load refused: EPERM), \
             {} expected errors given, {} failed",
            self.loaded, self.refused, self.expected_errors, self.failed
        )?;
        if self.known > 0 {
            write!(f, ", {} known failures", self.known)?;
        }
        Ok(())
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// The outcome of one record, by `suite/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordResult {
    pub id: String,
    pub outcome: Outcome,
}

/// Everything a run produced.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub suites: Vec<(String, Counts)>,
    pub total: Counts,
    pub unattached: UnattachedCounts,
    pub results: Vec<RecordResult>,
}

/// A suite file and its records.
pub type Suite = (String, Vec<Result<Record, ParseError>>);

/// Read every suite file of the suite directory (regular files other than the README and
/// dot files; the `outputs/` and `scripts/` directories are data), sorted by name.
pub fn load_suites(dir: &Path) -> std::io::Result<Vec<Suite>> {
    let mut suites = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type()?.is_file() || name.starts_with('.') || name.ends_with(".md") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path())?;
        suites.push((name.clone(), parse_suite(&name, &text)));
    }
    suites.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(suites)
}

/// Options of a whole run.
pub struct RunOptions<'a> {
    /// Only records whose `suite/NAME` matches.
    pub filter: Option<&'a Regex>,
    /// Records run at once (1 or 2: kernel programs interact and the machine is small).
    pub jobs: usize,
    /// Print every failure and skip with its reason.
    pub verbose: bool,
}

/// Whether a record's commands name a fixed path under `/tmp` (shared by the records
/// that use it, so they cannot run at the same time).
fn uses_fixed_tmp_file(r: &Record) -> bool {
    [&r.run, &r.setup, &r.cleanup, &r.after]
        .iter()
        .any(|c| c.contains(" /tmp/"))
}

fn id_of(suite: &str, r: &Result<Record, ParseError>) -> String {
    match r {
        Ok(r) => r.id(),
        Err(e) => format!("{suite}/<line {}>", e.line),
    }
}

/// Count a check in `counts`; the text that describes it.
fn tally_unattached(
    counts: &mut UnattachedCounts,
    id: &str,
    check: &unattachable::Check,
) -> String {
    use unattachable::Check;
    match check {
        Check::Loaded => {
            counts.loaded += 1;
            "compiled and loaded".into()
        }
        Check::LoadRefused => {
            counts.refused += 1;
            "compiled (load refused: EPERM)".into()
        }
        Check::ExpectedError => {
            counts.expected_errors += 1;
            "expected error given".into()
        }
        Check::Failed(why) => match unattachable::known_failure(id) {
            Some(known) => {
                counts.known += 1;
                format!("FAILED (known: {known}): {why}")
            }
            None => {
                counts.failed += 1;
                format!("FAILED: {why}")
            }
        },
    }
}

/// Whether a check fails the run (a failure not listed as known).
fn summary_fails(check: &unattachable::Check, id: &str) -> bool {
    matches!(check, unattachable::Check::Failed(_)) && unattachable::known_failure(id).is_none()
}

/// Run the given suites, printing per-suite lines (and reasons when verbose) to `out`,
/// then the skip reasons by category, the final `N passed, N failed, N skipped`, and
/// what became of the records compiled instead of run ([`UnattachedCounts`]).
pub fn run_suites(
    suites: &[Suite],
    cfg: &Config,
    host: &Host,
    opts: &RunOptions<'_>,
    out: &mut dyn Write,
) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    let mut skip_categories: BTreeMap<String, usize> = BTreeMap::new();
    let counter = AtomicUsize::new(0);
    for (suite, records) in suites {
        let selected: Vec<&Result<Record, ParseError>> = records
            .iter()
            .filter(|r| opts.filter.is_none_or(|f| f.is_match(&id_of(suite, r))))
            .collect();
        if selected.is_empty() {
            continue;
        }
        let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; selected.len()]);
        // Records that write a fixed file under /tmp (file-output's
        // `-o /tmp/bpftrace-file-output-test`) run alone: they would race on it.
        let exclusive = std::sync::RwLock::new(());
        let busy = progs_busy::Busy::default();
        let next = AtomicUsize::new(0);
        let workers = opts.jobs.clamp(1, 2).min(selected.len());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(rec) = selected.get(i) else { break };
                    let outcome = match rec {
                        Err(e) => Outcome::Fail(format!("parse error: {e}")),
                        Ok(r) => {
                            let _shared;
                            let _alone;
                            if uses_fixed_tmp_file(r) {
                                _alone = exclusive.write().unwrap_or_else(|e| e.into_inner());
                            } else {
                                _shared = exclusive.read().unwrap_or_else(|e| e.into_inner());
                            }
                            let _programs = busy.claim(progs_busy::programs_of(r));
                            let n = counter.fetch_add(1, Ordering::SeqCst);
                            match run::record_dir(cfg, n) {
                                Ok(dir) => {
                                    let o = run::run_record(r, cfg, host, &dir);
                                    let _ = std::fs::remove_dir_all(&dir);
                                    o
                                }
                                Err(e) => Outcome::Fail(format!("scratch dir: {e}")),
                            }
                        }
                    };
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
                });
            }
        });
        let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut counts = Counts::default();
        for (rec, outcome) in selected.iter().zip(results) {
            let outcome = outcome.unwrap_or_else(|| Outcome::Fail("not run".into()));
            counts.add(&outcome);
            summary.total.add(&outcome);
            let id = id_of(suite, rec);
            match &outcome {
                Outcome::Fail(why) if opts.verbose => writeln!(out, "  FAIL {id}: {why}")?,
                Outcome::Unattached { skip, check } => {
                    *skip_categories
                        .entry(plan::category(skip).to_string())
                        .or_default() += 1;
                    let line = tally_unattached(&mut summary.unattached, &id, check);
                    // Failures are always listed: they fail the test.
                    if opts.verbose || summary_fails(check, &id) {
                        writeln!(out, "  SKIP {id}: {skip}; {line}")?;
                    }
                    let failed = matches!(check, unattachable::Check::Failed(_));
                    if !failed && unattachable::known_failure(&id).is_some() {
                        writeln!(
                            out,
                            "  NOTE {id} no longer fails: remove it from \
                             unattachable::KNOWN_FAILURES"
                        )?;
                    }
                }
                Outcome::Skip(why) => {
                    *skip_categories
                        .entry(plan::category(why).to_string())
                        .or_default() += 1;
                    if opts.verbose {
                        writeln!(out, "  SKIP {id}: {why}")?;
                    }
                }
                _ => {}
            }
            summary.results.push(RecordResult { id, outcome });
        }
        writeln!(out, "{suite}: {counts}")?;
        out.flush()?;
        summary.suites.push((suite.clone(), counts));
    }
    if !skip_categories.is_empty() {
        let list: Vec<String> = skip_categories
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(out, "skipped by reason: {}", list.join(", "))?;
    }
    writeln!(out, "{}", summary.total)?;
    if !summary.unattached.is_empty() {
        writeln!(out, "{}", summary.unattached)?;
    }
    out.flush()?;
    Ok(summary)
}
