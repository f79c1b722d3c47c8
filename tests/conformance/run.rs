//! Running one record: REQUIRES, SETUP, BEFORE, compile, run, AFTER, TIMEOUT, CLEANUP,
//! and the verdict, following `Runner.run_test` of bpftrace's `runner.py`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::check::check_all;
use super::parse::Record;
use super::pidns::{inner_pid, PidNs};
use super::plan::{plan, Exec, Host, Plan, Source, TRACERUN_PID};
use super::proc::{
    drain_ready, drain_to_eof, exit_code, finish_helper, member_named, run_bounded, shell,
    signal_group, spawn_merged, spawn_quiet, wait_until,
};
use super::unattachable::{self, Check};

/// Where the binaries and the suite are, and the time limits.
#[derive(Debug, Clone)]
pub struct Config {
    pub tracec: PathBuf,
    pub tracerun: PathBuf,
    /// The suite directory (holding `basic`, `outputs/`, `scripts/`, ...).
    pub suite_dir: PathBuf,
    /// Per-record working directories are created under this.
    pub scratch: PathBuf,
    /// Longest wait for `tracec`, and for `Attached N probes` (bpftrace's engine waits 10 s
    /// for attachment; ahead-of-time objects attach much faster).
    pub attach_timeout: Duration,
    /// Cap on a record's `TIMEOUT`.
    pub max_timeout: Duration,
    /// For programs with only `begin`/`end` probes: how long to wait for an `Attached`
    /// line before treating the program as attached anyway.
    pub no_probe_grace: Duration,
    /// How long helpers (`AFTER`, `BEFORE`) get to finish after the run, and `tracerun`
    /// after SIGTERM, before SIGKILL (1 s in bpftrace's engine).
    pub kill_grace: Duration,
    /// The `bpftrace-shim` executable, for `RUN` lines that need a shell (without it,
    /// those records fail).
    pub shim: Option<PathBuf>,
    /// The built test programs (`tests/testprogs/`), linked as `testprogs` in every record's
    /// directory.
    pub testprogs: Option<PathBuf>,
    /// The built test libraries (`tests/testlibs/`), linked as `testlibs`.
    pub testlibs: Option<PathBuf>,
}

impl Config {
    pub fn new(tracec: PathBuf, tracerun: PathBuf, suite_dir: PathBuf, scratch: PathBuf) -> Self {
        Config {
            tracec,
            tracerun,
            suite_dir,
            scratch,
            attach_timeout: Duration::from_secs(5),
            max_timeout: Duration::from_secs(10),
            no_probe_grace: Duration::from_millis(300),
            kill_grace: Duration::from_secs(1),
            shim: None,
            testprogs: None,
            testlibs: None,
        }
    }

    /// The directory of `bpftrace`-named links: `bpftrace` (the shim), `run/bpftrace`
    /// (`tracerun`, so the traced process is called `bpftrace`), `tracec`, `tracerun`.
    pub fn bin_dir(&self) -> PathBuf {
        self.scratch.join("bin")
    }

    /// Create [`Config::bin_dir`] if needed (idempotent, safe from several threads).
    pub fn ensure_bin_dir(&self) -> std::io::Result<PathBuf> {
        let dir = self.bin_dir();
        std::fs::create_dir_all(dir.join("run"))?;
        let mut links = vec![
            (self.tracerun.clone(), dir.join("run/bpftrace")),
            (self.tracec.clone(), dir.join("tracec")),
            (self.tracerun.clone(), dir.join("tracerun")),
        ];
        if let Some(shim) = &self.shim {
            links.push((shim.clone(), dir.join("bpftrace")));
        }
        for (target, link) in links {
            match std::os::unix::fs::symlink(&target, &link) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
        }
        Ok(dir)
    }
}

/// The result of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
    /// Not run because its probes cannot attach here (`skip` is that reason; it counts
    /// as skipped), but compiled and loaded: `check` is what became of that.
    Unattached {
        skip: String,
        check: Check,
    },
}

/// Whether a line is the runtime's attach notice (`Attached 1 probe`, `Attached 3 probes`).
pub fn is_attached_line(line: &str) -> bool {
    let l = line.trim_end();
    // `-f json`: {"type": "attached_probes", "count": N, "data": {"probes": N}}
    if l.starts_with("{\"type\": \"attached_probes\"") {
        return true;
    }
    let Some(rest) = l.strip_prefix("Attached ") else {
        return false;
    };
    let mut parts = rest.split(' ');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(n), Some("probe" | "probes"), None) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    )
}

pub(super) fn first_line(s: &str) -> String {
    let l = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(no output)");
    l.chars().take(160).collect()
}

/// The environment the program under test sees (the Python engine passes only PATH,
/// `test`, and the record's ENV).
pub(super) fn test_env(cmd: &mut Command, r: &Record) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("test", &r.name)
        .envs(&r.env);
}

/// Working directory for a record: `runtime` there names the suite directory, as in
/// bpftrace's build tree (so `runtime/scripts/x.bt` and `runtime/outputs/y.txt` resolve),
/// and `testprogs` and `testlibs` the built test programs and libraries.
pub fn record_dir(cfg: &Config, index: usize) -> std::io::Result<PathBuf> {
    let dir = cfg.scratch.join(format!("r{index}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    std::os::unix::fs::symlink(&cfg.suite_dir, dir.join("runtime"))?;
    if let Some(t) = &cfg.testprogs {
        std::os::unix::fs::symlink(t, dir.join("testprogs"))?;
    }
    if let Some(t) = &cfg.testlibs {
        std::os::unix::fs::symlink(t, dir.join("testlibs"))?;
    }
    Ok(dir)
}

struct Helpers {
    befores: Vec<Child>,
    /// The pids of the BEFORE programs, as the program under test sees them
    /// (`{{BEFORE_PID}}`).
    before_pids: Vec<u32>,
    after: Option<Child>,
}

impl Helpers {
    fn finish(&mut self, grace: Duration) {
        for b in &mut self.befores {
            finish_helper(b, grace);
        }
        if let Some(a) = &mut self.after {
            finish_helper(a, grace);
        }
    }
}

/// `program` run in `dir`, inside the record's pid namespace if it has one.
pub(super) fn command(
    ns: Option<&PidNs>,
    program: impl AsRef<std::ffi::OsStr>,
    dir: &Path,
) -> Command {
    match ns {
        Some(ns) => ns.command(program, dir),
        None => {
            let mut c = Command::new(program);
            c.current_dir(dir);
            c
        }
    }
}

/// `sh -c CMD` in `dir`, inside the record's pid namespace if it has one.
fn ns_shell(ns: Option<&PidNs>, cmd: &str, dir: &Path) -> Command {
    match ns {
        Some(ns) => ns.shell(cmd, dir),
        None => shell(cmd, dir),
    }
}

/// Start the BEFORE commands (split on whitespace, no shell, as the Python engine does)
/// and wait until each runs the program named by its last word. Returns the children
/// and the programs' pids (in the pid namespace, with one: there the child is `nsenter`
/// and the program its child).
fn start_befores(
    r: &Record,
    dir: &Path,
    limit: Duration,
    ns: Option<&PidNs>,
) -> Result<(Vec<Child>, Vec<u32>), String> {
    let mut children = Vec::new();
    let mut pids = Vec::new();
    for b in &r.befores {
        let words: Vec<&str> = b.split_whitespace().collect();
        let Some((prog, args)) = words.split_first() else {
            continue;
        };
        let mut cmd = command(ns, prog, dir);
        cmd.args(args);
        let child = spawn_quiet(cmd).map_err(|e| format!("BEFORE {b}: {e}"))?;
        children.push(child);
    }
    let end = Instant::now() + limit;
    for (b, child) in r.befores.iter().zip(&children) {
        let last = b.split_whitespace().last().unwrap_or("");
        let want: String = Path::new(last)
            .file_name()
            .map(|f| f.to_string_lossy().chars().take(15).collect())
            .unwrap_or_default();
        loop {
            let running = match ns {
                Some(_) => member_named(child.id(), &want).and_then(inner_pid),
                None => {
                    let comm = std::fs::read_to_string(format!("/proc/{}/comm", child.id()))
                        .unwrap_or_default();
                    (comm.trim_end() == want).then(|| child.id())
                }
            };
            if let Some(pid) = running {
                pids.push(pid);
                break;
            }
            if Instant::now() >= end {
                return Err(format!("timed out waiting for BEFORE {b}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Ok((children, pids))
}

/// Run one planned record (already parsed) in its own working directory `dir`.
fn run_planned(r: &Record, cfg: &Config, p: &Plan, dir: &Path) -> Outcome {
    for req in &r.requires {
        let mut cmd = shell(req, dir);
        cmd.stdin(std::process::Stdio::null());
        match run_bounded(cmd, cfg.max_timeout) {
            Ok((Some(0), _)) => {}
            _ => return Outcome::Skip(format!("requires: unmet condition '{req}'")),
        }
    }
    if !r.setup.is_empty() {
        match run_bounded(shell(&r.setup, dir), cfg.max_timeout) {
            Ok((Some(0), _)) => {}
            Ok((_, out)) => return Outcome::Fail(format!("SETUP failed: {}", first_line(&out))),
            Err(e) => return Outcome::Fail(format!("SETUP failed: {e}")),
        }
    }
    let timeout = Duration::from_secs(r.timeout).min(cfg.max_timeout);
    let mut helpers = Helpers {
        befores: Vec::new(),
        before_pids: Vec::new(),
        after: None,
    };
    let ns = match r.new_pidns {
        true => match PidNs::start(cfg.attach_timeout) {
            Ok(ns) => Some(ns),
            Err(e) => return Outcome::Fail(e),
        },
        false => None,
    };
    let verdict = match start_befores(r, dir, timeout, ns.as_ref()) {
        Ok((b, pids)) => {
            helpers.befores = b;
            helpers.before_pids = pids;
            match &p.unattachable {
                // Compiled and loaded, never attached.
                Some(_) => {
                    let pid = helpers.before_pids.first().map(u32::to_string);
                    unattachable::check(r, cfg, p, dir, ns.as_ref(), pid.as_deref())
                }
                None => execute(r, cfg, p, dir, timeout, &mut helpers, ns.as_ref()),
            }
        }
        Err(e) => Outcome::Fail(e),
    };
    helpers.finish(cfg.kill_grace);
    // Ends whatever is left in the namespace.
    drop(ns);
    if !r.cleanup.is_empty() {
        match run_bounded(shell(&r.cleanup, dir), cfg.max_timeout) {
            Ok((Some(0), _)) => {}
            Ok((_, out)) => return Outcome::Fail(format!("CLEANUP failed: {}", first_line(&out))),
            Err(e) => return Outcome::Fail(format!("CLEANUP failed: {e}")),
        }
    }
    verdict
}

/// Run one record; one whose probes cannot attach here is compiled and loaded instead,
/// and whatever fails on its way (SETUP, BEFORE, CLEANUP) fails that check: it still
/// counts as skipped.
pub fn run_record(r: &Record, cfg: &Config, host: &Host, dir: &Path) -> Outcome {
    let p = match plan(r, host, dir) {
        Ok(p) => p,
        Err(why) => return Outcome::Skip(why),
    };
    let verdict = run_planned(r, cfg, &p, dir);
    match (p.unattachable, verdict) {
        (Some(skip), Outcome::Fail(why)) => Outcome::Unattached {
            skip,
            check: Check::Failed(why),
        },
        (_, v) => v,
    }
}

/// The line bpftrace prints (with `__BPFTRACE_NOTIFY_PROBES_ATTACHED` set in its
/// environment) once its probes are attached; `tracerun` does the same.
pub const NOTIFY_LINE: &str = "__BPFTRACE_NOTIFY_PROBES_ATTACHED";

/// The output of the program under test as it arrives.
struct Output {
    text: String,
    /// `EXPECT_FILE`/`EXPECT_JSON`: only what follows the attach notice counts.
    exact: bool,
    /// bpftrace `-q` prints no attach notice; ours is dropped.
    quiet: bool,
    /// Shell runs: the notice is [`NOTIFY_LINE`] and
    /// `Attached N probes` is ordinary output, as with bpftrace.
    notify: bool,
    notice_seen: bool,
}

impl Output {
    /// Add a raw line; true when it is the (first) attach notice.
    fn push(&mut self, raw: &[u8]) -> bool {
        let line = String::from_utf8_lossy(raw);
        if self.notify {
            if line.trim_end() == NOTIFY_LINE {
                // Kept in the output, as bpftrace's engine does (and cleared with what
                // came before it for exact expectations).
                let first = !self.notice_seen;
                self.notice_seen = true;
                self.text.push_str(&line);
                if first && self.exact {
                    self.text.clear();
                }
                return first;
            }
            self.text.push_str(&line);
            return false;
        }
        if !self.notice_seen && is_attached_line(&line) {
            self.notice_seen = true;
            if self.exact {
                self.text.clear();
            }
            if !self.exact && !self.quiet {
                self.text.push_str(&line);
            }
            return true;
        }
        self.text.push_str(&line);
        false
    }
}

/// Compile with `tracec` and start `tracerun` (through the `bpftrace` link), or start
/// the shell line with the shim; then watch, time, and judge.
fn execute(
    r: &Record,
    cfg: &Config,
    p: &Plan,
    dir: &Path,
    timeout: Duration,
    helpers: &mut Helpers,
    ns: Option<&PidNs>,
) -> Outcome {
    let bin_dir = match cfg.ensure_bin_dir() {
        Ok(d) => d,
        Err(e) => return Outcome::Fail(format!("cannot create {}: {e}", cfg.bin_dir().display())),
    };
    let before_pid = helpers.before_pids.first().map(|b| b.to_string());
    let (cmd, compile_out, notify) = match &p.exec {
        Exec::Direct {
            source,
            tracec_flags,
            tracerun_flags,
        } => {
            let object = dir.join("prog.o");
            let compiled = compile(
                r,
                cfg,
                &Compile {
                    source,
                    flags: tracec_flags,
                    args: &p.args,
                },
                &object,
                dir,
                ns,
                before_pid.as_deref(),
            );
            let (code, compile_out) = match compiled {
                Ok(x) => x,
                Err(e) => return Outcome::Fail(e),
            };
            if code != 0 {
                // The compile failure is the outcome of the "bpftrace invocation".
                if !r.will_fail {
                    return Outcome::Fail(format!(
                        "tracec (exit {code}): {}",
                        first_line(&compile_out)
                    ));
                }
                return judge(r, dir, &compile_out, Some(code));
            }
            let mut cmd = command(ns, bin_dir.join("run/bpftrace"), dir);
            // `--dwarf-pid {{BEFORE_PID}}`, `-p {{BEFORE_PID}}`.
            let tracerun_flags: Vec<String> = tracerun_flags
                .iter()
                .map(|f| match &before_pid {
                    Some(pid) => f.replace("{{BEFORE_PID}}", pid),
                    None => f.clone(),
                })
                .collect();
            cmd.args(&tracerun_flags).arg(&object).current_dir(dir);
            if p.json && !tracerun_flags.iter().any(|f| f == "json") {
                cmd.arg("-f").arg("json");
            }
            if !p.args.is_empty() {
                cmd.arg("--").args(&p.args);
            }
            test_env(&mut cmd, r);
            (cmd, compile_out, false)
        }
        Exec::Shell(line) => {
            if cfg.shim.is_none() {
                return Outcome::Fail(
                    "RUN needs a shell and no bpftrace-shim is configured".into(),
                );
            }
            let shim = bin_dir.join("bpftrace");
            let mut line = line.replace("{{BPFTRACE}}", &shim.to_string_lossy());
            if let Some(pid) = &before_pid {
                line = line.replace("{{BEFORE_PID}}", pid);
            }
            let mut cmd = ns_shell(ns, &line, dir);
            test_env(&mut cmd, r);
            cmd.env(NOTIFY_LINE, "1");
            (cmd, String::new(), true)
        }
    };
    watch(
        r,
        cfg,
        p,
        cmd,
        compile_out,
        notify,
        dir,
        timeout,
        helpers,
        ns,
    )
}

/// What to compile: the source, `tracec`'s flags, the program's arguments.
pub(super) struct Compile<'a> {
    pub source: &'a Source,
    pub flags: &'a [String],
    pub args: &'a [String],
}

/// Compile with `tracec` into `object` as a run does (bpftrace's diagnostics format, the
/// record's environment, `{{BEFORE_PID}}` replaced): the exit code and the compiler's
/// merged output, or why `tracec` could not be run to the end.
#[allow(clippy::too_many_arguments)]
pub(super) fn compile(
    r: &Record,
    cfg: &Config,
    c: &Compile<'_>,
    object: &Path,
    dir: &Path,
    ns: Option<&PidNs>,
    before_pid: Option<&str>,
) -> Result<(i32, String), String> {
    let mut cc = command(ns, &cfg.tracec, dir);
    let with_pid = |t: &str| match before_pid {
        Some(pid) => t.replace("{{BEFORE_PID}}", pid),
        None => t.to_string(),
    };
    match c.source {
        Source::Inline(text) => cc.arg("-e").arg(with_pid(text)),
        Source::File(path) => cc.arg(path),
        Source::Stdin => cc.arg("-"),
    };
    // Diagnostics as bpftrace prints them: records match their text.
    cc.arg("--format").arg("bpftrace");
    cc.arg("-o").arg(object).current_dir(dir);
    cc.args(c.flags.iter().map(|f| with_pid(f)));
    // The arguments too: attach points that use `$N` are bound at compile time.
    if !c.args.is_empty() {
        cc.arg("--").args(c.args);
    }
    test_env(&mut cc, r);
    match run_bounded(cc, cfg.attach_timeout) {
        Ok((Some(code), out)) => Ok((code, out)),
        Ok((None, _)) => Err(format!("tracec timed out after {:?}", cfg.attach_timeout)),
        Err(e) => Err(format!("cannot run tracec: {e}")),
    }
}

/// Run the program under test (`cmd`), start `AFTER` once it is attached, enforce the
/// timeout, and judge its output (`prefix` is output that came before it).
#[allow(clippy::too_many_arguments)]
fn watch(
    r: &Record,
    cfg: &Config,
    p: &Plan,
    cmd: Command,
    prefix: String,
    notify: bool,
    dir: &Path,
    timeout: Duration,
    helpers: &mut Helpers,
    ns: Option<&PidNs>,
) -> Outcome {
    let mut m = match spawn_merged(cmd) {
        Ok(m) => m,
        Err(e) => return Outcome::Fail(format!("cannot run the program under test: {e}")),
    };
    let mut out = Output {
        text: prefix,
        exact: r.has_exact_expect(),
        quiet: p.quiet,
        notify,
        notice_seen: false,
    };
    let mut lines = Vec::new();
    let mut attached = false;
    let mut timer_started = false;
    let start = Instant::now();
    let mut deadline = start + cfg.attach_timeout;
    let status = loop {
        lines.clear();
        drain_ready(&m.lines, &mut lines);
        for l in &lines {
            attached |= out.push(l);
        }
        let now = Instant::now();
        if !attached && p.attaches_nothing && !notify && now >= start + cfg.no_probe_grace {
            attached = true;
            if out.exact {
                out.text.clear();
            }
        }
        if attached && !timer_started {
            timer_started = true;
            deadline = now + timeout;
            if !p.after.is_empty() && helpers.after.is_none() {
                // The traced process: the child itself, or in a shell run the `bpftrace`
                // (tracerun) process of its group.
                // In a pid namespace the child is `nsenter`, and the pid is the one
                // inside.
                let leader = m.child.id();
                let pid = if notify || ns.is_some() {
                    member_named(leader, "bpftrace").unwrap_or(leader)
                } else {
                    leader
                };
                let pid = match ns {
                    Some(_) => inner_pid(pid).unwrap_or(pid),
                    None => pid,
                };
                let after = p.after.replace(TRACERUN_PID, &pid.to_string());
                match spawn_quiet(ns_shell(ns, &after, dir)) {
                    Ok(c) => helpers.after = Some(c),
                    Err(e) => return Outcome::Fail(format!("cannot start AFTER: {e}")),
                }
            }
        }
        if let Ok(Some(s)) = m.child.try_wait() {
            break Some(s);
        }
        if now >= deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let code = match status {
        Some(s) => Some(exit_code(s)),
        None => {
            // Timeout: SIGTERM (tracerun exits cleanly, printing maps), then SIGKILL.
            signal_group(&m.child, libc::SIGTERM);
            if wait_until(&mut m.child, Instant::now() + cfg.kill_grace).is_none() {
                signal_group(&m.child, libc::SIGKILL);
                let _ = m.child.wait();
            }
            None
        }
    };
    lines.clear();
    drain_to_eof(&m.lines, &mut lines, Duration::from_millis(500));
    for l in &lines {
        out.push(l);
    }
    judge(r, dir, &out.text, code)
}

/// The verdict for an output; `code` is `None` when the run timed out (exit codes are not
/// checked then, as in the Python engine: a timed-out run passes if its output does).
pub fn judge(r: &Record, dir: &Path, output: &str, code: Option<i32>) -> Outcome {
    if let Some(code) = code {
        if code != r.return_code && !r.will_fail {
            return Outcome::Fail(format!(
                "exit code {code} (expected {}): {}",
                r.return_code,
                first_line(output)
            ));
        }
        if code == 0 && r.will_fail {
            return Outcome::Fail("exit code 0 but WILL_FAIL".into());
        }
    }
    let ts = r.localize_ts.filter(|t| *t >= 0);
    let unmet = check_all(&r.expects, output, dir, ts);
    match unmet.first() {
        None => Outcome::Pass,
        Some(u) => {
            let prefix = if code.is_none() {
                format!("timed out after {}s; ", r.timeout)
            } else {
                String::new()
            };
            Outcome::Fail(format!("{prefix}{}: {}", u.expect.mode.directive(), u.why))
        }
    }
}
