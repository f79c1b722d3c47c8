//! Records whose probes this kernel cannot attach ([`super::scan::UNATTACHABLE`]:
//! kprobe, kretprobe, fentry, fexit) are not run, and they count as skipped; but their
//! programs are compiled with `tracec` exactly as a run would compile them, then loaded
//! with `tracerun --verify OBJECT ARGS` (the verifier, nothing attached).
//!
//! What a check can give ([`Check`]):
//! - every program loaded;
//! - compiled, but the kernel refused its fentry/fexit programs with `EPERM` (this
//!   kernel does not load tracing programs; its other programs must still load);
//! - a record that expects an error (`WILL_FAIL`, a non-zero `RETURN_CODE`) got that
//!   error from `tracec`, its expectations met by the compiler's output;
//! - anything else fails, with its reason: a compile error, a verifier rejection, a
//!   compiled program where an error was expected, an `EXPECT_NONE` the compiler's own
//!   output already breaks (it is part of the run's output too).
//!
//! A failure the runner cannot fix here is listed in [`KNOWN_FAILURES`] with its reason;
//! every other failure fails the conformance test.

use std::path::Path;

use super::check::check_all;
use super::cli::{self, Action};
use super::parse::{ExpectMode, Record};
use super::pidns::PidNs;
use super::plan::{shell_programs, Exec, Plan, Source};
use super::proc::run_bounded;
use super::run::{command, compile, first_line, judge, test_env, Compile, Config, Outcome};
use super::scan::shell_words;

/// What became of a record that was compiled and loaded instead of run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Compiled, and every program loaded.
    Loaded,
    /// Compiled; the kernel refused to load the fentry/fexit programs (`EPERM`), and
    /// loaded the others.
    LoadRefused,
    /// The record expects an error, and `tracec` gave it.
    ExpectedError,
    /// Why the check failed.
    Failed(String),
}

/// Records whose check fails for a reason outside the toolchain, by `suite/NAME`, each
/// with that reason. They are reported, but do not fail the conformance test.
pub const KNOWN_FAILURES: &[(&str, &str)] = &[
    // This host's kernel has no `__module_get` (built without loadable modules).
    (
        "regression/fentry double pointer dereference",
        "this kernel has no __module_get (no loadable modules)",
    ),
    (
        "regression/fentry double pointer array access",
        "this kernel has no __module_get (no loadable modules)",
    ),
    (
        "regression/fentry array access via pointer",
        "this kernel has no __module_get (no loadable modules)",
    ),
    // The RUN line first starts another program (`runtime/scripts/bpf_attach.bt &`),
    // whose BPF programs the fentry probe names; a static check starts nothing.
    (
        "probe/attach_to_bpf_program",
        "needs the BPF programs of another, running, program",
    ),
    // The expected errors are attach failures (bpftrace's `Unable to attach probe`),
    // which only attaching gives.
    (
        "probe/kprobe_func_missing_unsafe",
        "the expected error is an attach failure",
    ),
    (
        "probe/kprobe_addr_invalid",
        "the expected error is an attach failure",
    ),
    // A kprobe function the build host lacks is kept, with bpftrace's warning: the
    // object may run on a kernel that has it, and tracerun applies `missing_probes`
    // when it attaches. bpftrace, compiling on the host that runs it, fails at once.
    (
        "probe/kprobe_func_missing",
        "a missing kprobe function is decided when tracerun attaches (AOT)",
    ),
    (
        "probe/missing_probes_multiple_attach_points_default_error",
        "a missing kprobe function is decided when tracerun attaches (AOT)",
    ),
    (
        "probe/all_missing_probes_warn",
        "a missing kprobe function is decided when tracerun attaches (AOT)",
    ),
    (
        "probe/all_missing_probes_ignore",
        "a missing kprobe function is decided when tracerun attaches (AOT)",
    ),
    // tracec's design differs.
    (
        "probe/bpf_programs_limit",
        "tracec compiles the wildcard into one program (probe is an attach cookie), \
         so bpftrace's limit on generated programs is not reached",
    ),
];

/// The documented reason why the check of record `id` may fail.
pub fn known_failure(id: &str) -> Option<&'static str> {
    KNOWN_FAILURES
        .iter()
        .find(|(k, _)| *k == id)
        .map(|(_, why)| *why)
}

/// One compilation a record's run would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub source: Source,
    pub flags: Vec<String>,
    pub args: Vec<String>,
    /// `tracerun --verify` flags: the run's `--probe-filter`.
    pub verify_flags: Vec<String>,
}

/// The `--probe-filter REGEX` of `tracerun` flags, which `--verify` honours too.
fn verify_flags(tracerun_flags: &[String]) -> Vec<String> {
    tracerun_flags
        .windows(2)
        .find(|w| w[0] == "--probe-filter")
        .map(<[String]>::to_vec)
        .unwrap_or_default()
}

/// The compilations of a planned record: its one program (a `PROG`, or a `RUN` line
/// that is one bpftrace command), or every `-e` program of a shell line. `Err` is the
/// error the `bpftrace-shim` prints for a command line it refuses.
pub fn units(p: &Plan) -> Result<Vec<Unit>, String> {
    let line = match &p.exec {
        Exec::Direct {
            source,
            tracec_flags,
            tracerun_flags,
        } => {
            return Ok(vec![Unit {
                source: source.clone(),
                flags: tracec_flags.clone(),
                args: p.args.clone(),
                verify_flags: verify_flags(tracerun_flags),
            }])
        }
        Exec::Shell(line) => line,
    };
    if let Ok(words) = shell_words(line) {
        if words.first().map(String::as_str) == Some("{{BPFTRACE}}") {
            let inv = cli::parse(&words[1..]).map_err(|e| format!("ERROR: {e}"))?;
            if let Action::Run(source) = &inv.action {
                return Ok(vec![Unit {
                    source: inv.effective_source(source),
                    flags: inv.tracec_flags(),
                    args: inv.args.clone(),
                    verify_flags: verify_flags(&inv.tracerun_flags(false)),
                }]);
            }
        }
    }
    Ok(shell_programs(line)
        .into_iter()
        .map(|prog| Unit {
            source: Source::Inline(prog),
            flags: Vec::new(),
            args: Vec::new(),
            verify_flags: Vec::new(),
        })
        .collect())
}

/// Whether the record expects its invocation to fail.
pub fn expects_error(r: &Record) -> bool {
    r.will_fail || r.return_code != 0
}

/// The verdict of an expected error: `output` (exit `code`) judged as the run's.
fn judged_error(r: &Record, dir: &Path, output: &str, code: i32) -> Check {
    match judge(r, dir, output, Some(code)) {
        Outcome::Pass => Check::ExpectedError,
        Outcome::Fail(why) => Check::Failed(format!("expected error: {why}")),
        other => Check::Failed(format!("expected error: {other:?}")),
    }
}

/// The record's `EXPECT_NONE`/`EXPECT_REGEX_NONE` lines that the compiler's output
/// breaks already (the first one, as the run's verdict would name it).
fn broken_negative(r: &Record, output: &str, dir: &Path) -> Option<String> {
    let negatives: Vec<_> = r
        .expects
        .iter()
        .filter(|e| matches!(e.mode, ExpectMode::TextNone | ExpectMode::RegexNone))
        .cloned()
        .collect();
    let ts = r.localize_ts.filter(|t| *t >= 0);
    check_all(&negatives, output, dir, ts)
        .first()
        .map(|u| format!("tracec's output: {}: {}", u.expect.mode.directive(), u.why))
}

/// `tracerun --verify`'s verdict from its exit code and report. A rejection is a load
/// refusal only for programs that run fentry/fexit probes only, with `EPERM`.
pub fn classify_verify(code: Option<i32>, report: &str) -> Check {
    match code {
        Some(0) => return Check::Loaded,
        None => return Check::Failed("tracerun --verify timed out".into()),
        Some(_) => {}
    }
    let lines: Vec<&str> = report.lines().collect();
    let mut refused = 0;
    for (i, l) in lines.iter().enumerate() {
        let Some((who, error)) = l.split_once(": rejected (") else {
            continue;
        };
        let probes = who
            .split_once(" (")
            .map_or("", |(_, p)| p.trim_end_matches(')'));
        let tracing = !probes.is_empty()
            && probes
                .split(", ")
                .all(|p| p.starts_with("fentry:") || p.starts_with("fexit:"));
        if tracing && error.starts_with("Operation not permitted") {
            refused += 1;
            continue;
        }
        let reason = lines.get(i + 1).map_or("", |n| n.trim());
        return Check::Failed(format!("tracerun --verify: {l} {reason}").trim().into());
    }
    match refused {
        0 => Check::Failed(format!("tracerun --verify: {}", first_line(report))),
        _ => Check::LoadRefused,
    }
}

/// Compile (and load) a record whose probes cannot attach here.
pub fn check(
    r: &Record,
    cfg: &Config,
    p: &Plan,
    dir: &Path,
    ns: Option<&PidNs>,
    before_pid: Option<&str>,
) -> Outcome {
    let skip = p.unattachable.clone().unwrap_or_default();
    let check = check_units(r, cfg, p, dir, ns, before_pid);
    Outcome::Unattached { skip, check }
}

fn check_units(
    r: &Record,
    cfg: &Config,
    p: &Plan,
    dir: &Path,
    ns: Option<&PidNs>,
    before_pid: Option<&str>,
) -> Check {
    let want_error = expects_error(r);
    let units = match units(p) {
        Ok(u) => u,
        Err(shim_error) if want_error => return judged_error(r, dir, &shim_error, 1),
        Err(shim_error) => return Check::Failed(format!("bpftrace-shim: {shim_error}")),
    };
    if units.is_empty() {
        return Check::Failed("the RUN line has no program to compile".into());
    }
    let mut verdict = Check::Loaded;
    for (i, u) in units.iter().enumerate() {
        let object = dir.join(format!("unattached{i}.o"));
        let c = Compile {
            source: &u.source,
            flags: &u.flags,
            args: &u.args,
        };
        let (code, out) = match compile(r, cfg, &c, &object, dir, ns, before_pid) {
            Ok(x) => x,
            Err(e) => return Check::Failed(e),
        };
        if code != 0 {
            if want_error {
                return judged_error(r, dir, &out, code);
            }
            return Check::Failed(format!("tracec (exit {code}): {}", first_line(&out)));
        }
        if let Some(why) = broken_negative(r, &out, dir) {
            return Check::Failed(why);
        }
        let mut cmd = command(ns, &cfg.tracerun, dir);
        cmd.arg("--verify").args(&u.verify_flags).arg(&object);
        if !u.args.is_empty() {
            cmd.arg("--").args(&u.args);
        }
        test_env(&mut cmd, r);
        let (code, report) = match run_bounded(cmd, cfg.max_timeout) {
            Ok(x) => x,
            Err(e) => return Check::Failed(format!("cannot run tracerun --verify: {e}")),
        };
        if want_error {
            // An error before anything is loaded (`No probes to attach`, a bad
            // `--probe-filter`) is the run's error too.
            return match code {
                Some(c) if c != 0 => judged_error(r, dir, &format!("{out}{report}"), c),
                _ => Check::Failed(
                    "tracec compiled it and its programs load, but the record expects an \
                     error (WILL_FAIL or RETURN_CODE)"
                        .into(),
                ),
            };
        }
        let loaded = classify_verify(code, &report);
        match loaded {
            Check::Failed(_) => return loaded,
            Check::LoadRefused => verdict = Check::LoadRefused,
            _ => {}
        }
    }
    verdict
}
