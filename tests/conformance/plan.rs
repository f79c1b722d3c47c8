//! Static skip rules and the translation of a record into a `tracec` + `tracerun` run.
//!
//! A record is skipped only for a reason named here (each reason starts with a short
//! category, e.g. `probe type:`, `flag:`); everything else is run and counted. The
//! `REQUIRES` commands are the one dynamic skip rule; the runner evaluates them after these.

use std::collections::BTreeSet;
use std::path::Path;

use regex::Regex;

use super::check::regex_supported;
use super::cli::Action;
use super::parse::{ExpectMode, Record};
use super::scan::{attaches_nothing, probe_types, shell_words, UNATTACHABLE};

/// `ENV` variables the toolchain honours (the runner gives them to `tracec` and
/// `tracerun` alike; each reads its own): `BPFTRACE_DUMMY_TS_MAP` and the
/// compile-time config variables are `tracec`'s (`compiler/src/env.rs`), the run-time
/// ones `tracerun`'s. Records setting any other variable are skipped.
pub const SUPPORTED_ENV: &[&str] = &[
    "BPFTRACE_CACHE_USER_SYMBOLS",
    "BPFTRACE_DUMMY_TS_MAP",
    "BPFTRACE_LOG_SIZE",
    "BPFTRACE_MAX_CAT_BYTES",
    "BPFTRACE_MAX_MAP_KEYS",
    "BPFTRACE_MAX_STRLEN",
    "BPFTRACE_MISSING_PROBES",
    "BPFTRACE_PRINT_MAPS_ON_EXIT",
    "BPFTRACE_STACK_MODE",
    "BPFTRACE_STR_TRUNC_TRAILER",
];

/// Features of `REQUIRES_FEATURE` (bpftrace `--info` names) that this toolchain on this
/// kind of kernel has. `btf` is decided at run time from `/sys/kernel/btf/vmlinux`.
pub const FEATURES_AVAILABLE: &[&str] = &[
    "loop",
    "probe_read_kernel",
    "dpath",
    "signal",
    "iter",
    "get_tai_ns",
    "get_func_ip",
    "jiffies64",
    "lookup_percpu_elem",
    "skboutput",
    "uprobe_multi",
    "dwarf",
    "dwunwind",
    // Bare library names (`uprobe:libc:fread`) resolve through `/etc/ld.so.cache`.
    "libpath_resolv",
    // tracerun's own symbolizer does what bpftrace gets from blazesym: symbols of
    // exited processes from a per-pid cache, source lines and inlined frames in stacks.
    "blazesym",
];

/// Features that are unavailable: kernel ones this machine lacks (no kprobes, hence no
/// multi-kprobes or fentry for us), and bpftrace build options tracec has no
/// equivalent of (bpftrace's AOT).
pub const FEATURES_UNAVAILABLE: &[&str] = &["fentry", "kprobe_multi", "kprobe_session", "aot"];

/// Facts about the host the rules depend on.
#[derive(Debug, Clone)]
pub struct Host {
    /// `uname -m`, lower case.
    pub machine: String,
    pub big_endian: bool,
    /// `uname -r`.
    pub kernel: String,
    pub btf: bool,
    /// The test programs built from `tests/testprogs/` (names as in `testprogs/NAME`).
    pub testprogs: BTreeSet<String>,
    /// The libraries built from `tests/testlibs/` (file names as in `testlibs/libNAME.so`).
    pub testlibs: BTreeSet<String>,
}

impl Host {
    /// The machine this runs on.
    pub fn detect() -> Host {
        // SAFETY: uname fills a plain struct.
        let (machine, kernel) = unsafe {
            let mut u: libc::utsname = std::mem::zeroed();
            if libc::uname(&mut u) == 0 {
                let s = |f: &[libc::c_char]| {
                    std::ffi::CStr::from_ptr(f.as_ptr())
                        .to_string_lossy()
                        .into_owned()
                };
                (s(&u.machine[..]), s(&u.release[..]))
            } else {
                (String::new(), String::new())
            }
        };
        Host {
            machine: machine.to_lowercase(),
            big_endian: cfg!(target_endian = "big"),
            kernel,
            btf: Path::new("/sys/kernel/btf/vmlinux").exists(),
            testprogs: BTreeSet::new(),
            testlibs: BTreeSet::new(),
        }
    }
}

pub use super::cli::Source;

/// How a record's program is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exec {
    /// `tracec` (source and flags), then `tracerun` (flags, object, `-- ARGS`), both
    /// driven by the runner.
    Direct {
        source: Source,
        tracec_flags: Vec<String>,
        tracerun_flags: Vec<String>,
    },
    /// `sh -c LINE` with `{{BPFTRACE}}` replaced by the `bpftrace-shim` (a `RUN` line that
    /// needs a shell, or asks for more than compile-and-run: `-l`, `--version`, ...).
    Shell(String),
}

/// How to run a record that is not skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub exec: Exec,
    /// bpftrace `-q`: the `Attached N probes` line is removed from the output (the engine
    /// never passes `-q` on, because it needs that line to know when probes are attached).
    pub quiet: bool,
    /// The program has only `begin`/`end` probes.
    pub attaches_nothing: bool,
    /// `AFTER` with references to the bpftrace process rewritten to `{{TRACERUN_PID}}`.
    pub after: String,
    /// The program's arguments (positional parameters and `--name=value` options), passed
    /// as `tracerun OBJECT -- ARGS`.
    pub args: Vec<String>,
    /// `tracerun -f json`: the `RUN` line asks for it (`-f json`), or the record expects
    /// JSON (`EXPECT_JSON`; bpftrace's runner adds `-q -f json` then).
    pub json: bool,
    /// The skip reason (`probe type: ...`) when the program uses a provider this kernel
    /// cannot attach ([`UNATTACHABLE`]) and nothing else stops the record: it is then not
    /// run but compiled and loaded ([`super::unattachable`]).
    pub unattachable: Option<String>,
}

/// Placeholder in `AFTER`/`BEFORE` for the pid of the `tracerun` under test.
pub const TRACERUN_PID: &str = "{{TRACERUN_PID}}";

/// Loose version comparison (Python `LooseVersion` on kernel releases): the numeric
/// components, in order.
pub fn version_key(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .take_while(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect()
}

fn arch_matches(arch: &[String], host: &Host) -> bool {
    let ids = [
        host.machine.as_str(),
        if host.big_endian { "be" } else { "le" },
    ];
    let (neg, pos): (Vec<&String>, Vec<&String>) = arch.iter().partition(|a| a.starts_with('!'));
    let mut ok = true;
    if !pos.is_empty() {
        ok = pos.iter().any(|a| ids.contains(&a.as_str()));
    }
    if ok && !neg.is_empty() {
        ok = !neg.iter().any(|a| ids.contains(&&a[1..]));
    }
    ok
}

/// Rewrite references to the bpftrace process in a helper command (`$(pidof bpftrace)`,
/// `pkill -SIG bpftrace`) to the `tracerun` pid. Other references cannot be translated.
pub fn rewrite_process_refs(cmd: &str) -> Result<String, String> {
    let pidof = Regex::new(r"\$\(\s*pidof\s+bpftrace\s*\)").expect("valid regex");
    // `pkill -SIGINT bpftrace` -> `kill -INT PID` (sh's kill does not take `-SIGINT`).
    let pkill =
        Regex::new(r"\bpkill(?:\s+-(?:SIG)?([A-Z0-9]+))?\s+bpftrace\b").expect("valid regex");
    let out = pidof.replace_all(cmd, TRACERUN_PID);
    let out = pkill.replace_all(&out, |c: &regex::Captures<'_>| match c.get(1) {
        Some(sig) => format!("kill -{} {TRACERUN_PID}", sig.as_str()),
        None => format!("kill {TRACERUN_PID}"),
    });
    let other = Regex::new(r"\b(pidof|pgrep|pkill|killall)\b[^;&|]*\bbpftrace\b").expect("valid");
    if other.is_match(&out) {
        return Err(format!("command refers to the bpftrace process: {cmd}"));
    }
    Ok(out.into_owned())
}

/// A translated `RUN` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLine {
    pub exec: Exec,
    /// bpftrace `-q` (only for [`Exec::Direct`]; the shim passes it on itself).
    pub quiet: bool,
    /// `-f json` (only for [`Exec::Direct`]).
    pub json: bool,
    /// The program's arguments (only for [`Exec::Direct`]).
    pub args: Vec<String>,
}

/// Translate a `RUN` line. A plain `{{BPFTRACE}} [flags] (-e PROG | FILE) [ARGS] [-- ARGS]`
/// that only compiles and runs becomes an [`Exec::Direct`] run (the flags translated by
/// [`super::cli`]); everything else (shell syntax, `-l`, `--version`, flags tracec does
/// not implement, `-` for standard input) runs in a shell with the shim, so that it fails
/// or passes on its merits.
pub fn translate_run(run: &str) -> RunLine {
    let shell = || RunLine {
        exec: Exec::Shell(run.to_string()),
        quiet: false,
        json: false,
        args: Vec::new(),
    };
    let Ok(words) = shell_words(run) else {
        return shell();
    };
    if words.first().map(String::as_str) != Some("{{BPFTRACE}}") {
        return shell();
    }
    let Ok(inv) = super::cli::parse(&words[1..]) else {
        return shell();
    };
    match &inv.action {
        Action::Run(source @ (Source::Inline(_) | Source::File(_)))
            if !inv.dry_run && !inv.verbose && inv.pid.is_none() =>
        {
            RunLine {
                exec: Exec::Direct {
                    source: inv.effective_source(source),
                    tracec_flags: inv.tracec_flags(),
                    tracerun_flags: inv.tracerun_flags(false),
                },
                quiet: inv.quiet,
                json: inv.json,
                args: inv.args.clone(),
            }
        }
        _ => shell(),
    }
}

/// The programs (`-e '...'`) of a shell line, for the probe-type skip rules.
pub fn shell_programs(run: &str) -> Vec<String> {
    let re = Regex::new(r#"-[a-zA-Z]*e\s+(?:'([^']*)'|"((?:[^"\\]|\\.)*)")"#).expect("valid regex");
    re.captures_iter(run)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().to_string())
        .collect()
}

/// The first bpftrace test program or library `s` names that the host does not have:
/// `testprogs/NAME` must be among [`Host::testprogs`], `testlibs/FILE` among
/// [`Host::testlibs`].
fn missing_testprog(s: &str, host: &Host) -> Option<String> {
    for (i, _) in s.match_indices("testlibs/") {
        let name: String = s[i + "testlibs/".len()..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != ':' && *c != '\'' && *c != '"')
            .collect();
        if !host.testlibs.contains(&name) {
            return Some(format!("testlibs/{name}"));
        }
    }
    super::testprogs::referenced(s)
        .into_iter()
        .find(|n| !super::testprogs::provides(&host.testprogs, n))
        .map(|n| format!("testprogs/{n}"))
}

fn testprog_skip(missing: String) -> String {
    format!("testprogs: needs bpftrace's {missing}, which tests/testprogs/ does not provide")
}

/// Decide whether a record runs, and how. `cwd` is the engine's working directory (where
/// `runtime/` names the suite directory), used to read script files for their probe types.
pub fn plan(r: &Record, host: &Host, cwd: &Path) -> Result<Plan, String> {
    if !r.arch.is_empty() && !arch_matches(&r.arch, host) {
        return Err(format!(
            "arch: ARCH {} does not match {}",
            r.arch.join("|"),
            host.machine
        ));
    }
    let kernel = version_key(&host.kernel);
    if !r.min_kernel.is_empty() && version_key(&r.min_kernel) > kernel {
        return Err(format!("kernel: needs kernel >= {}", r.min_kernel));
    }
    if !r.max_kernel.is_empty() && version_key(&r.max_kernel) < kernel {
        return Err(format!("kernel: needs kernel <= {}", r.max_kernel));
    }
    if let Some((k, v)) = &r.skip_if_env_has {
        if std::env::var(k).is_ok_and(|x| &x == v) {
            return Err(format!("env: skipped when {k}={v}"));
        }
    }
    // The runner creates the namespace ([`super::pidns`]); something must run in it.
    if r.new_pidns && r.befores.is_empty() {
        return Err("pidns: NEW_PIDNS without a BEFORE (the suite requires one)".into());
    }
    let helpers = r
        .befores
        .iter()
        .chain([&r.after, &r.setup, &r.cleanup, &r.run, &r.prog])
        .chain(&r.requires);
    if let Some(m) = helpers.clone().find_map(|c| missing_testprog(c, host)) {
        return Err(testprog_skip(m));
    }
    let line = if r.prog.is_empty() {
        translate_run(&r.run)
    } else {
        RunLine {
            exec: Exec::Direct {
                source: Source::Inline(r.prog.clone()),
                tracec_flags: Vec::new(),
                tracerun_flags: Vec::new(),
            },
            quiet: false,
            json: false,
            args: Vec::new(),
        }
    };
    for e in &r.expects {
        if matches!(e.mode, ExpectMode::Regex | ExpectMode::RegexNone) {
            regex_supported(&e.value).map_err(|why| {
                format!("regex: Python regex the regex crate cannot evaluate ({why})")
            })?;
        }
    }
    for f in &r.features {
        let have = match f.as_str() {
            "btf" => host.btf,
            f if FEATURES_AVAILABLE.contains(&f) => true,
            f if FEATURES_UNAVAILABLE.contains(&f) => false,
            f => return Err(format!("feature: unknown feature {f}")),
        };
        if !have {
            return Err(format!("feature: {f} unavailable"));
        }
    }
    for f in &r.neg_features {
        let have = match f.as_str() {
            "btf" => host.btf,
            f => FEATURES_AVAILABLE.contains(&f),
        };
        if have {
            return Err(format!("feature: requires !{f}"));
        }
    }
    let text = match &line.exec {
        Exec::Direct {
            source: Source::Inline(t),
            ..
        } => t.clone(),
        // A missing script is the compiler's error to report, not a skip.
        Exec::Direct {
            source: Source::File(p),
            ..
        } => std::fs::read_to_string(cwd.join(p)).unwrap_or_default(),
        Exec::Direct {
            source: Source::Stdin,
            ..
        } => String::new(),
        Exec::Shell(l) => shell_programs(l).join("\n"),
    };
    if let Some(m) = missing_testprog(&text, host) {
        return Err(testprog_skip(m));
    }
    let types = probe_types(&text);
    // Decided last: a record skipped for another reason too is not checked statically.
    // A plain `-l` listing attaches nothing, whatever its program's probes.
    let unattachable = types
        .iter()
        .find(|t| UNATTACHABLE.contains(&t.as_str()))
        .filter(|_| !lists_only(&line.exec))
        .map(|t| format!("probe type: {t} cannot attach on this kernel"));
    if let Some(k) = r.env.keys().find(|k| !SUPPORTED_ENV.contains(&k.as_str())) {
        return Err(format!("env: ENV {k} not supported yet"));
    }
    for b in &r.befores {
        rewrite_process_refs(b).map_err(|e| format!("process: {e}"))?;
    }
    let after = rewrite_process_refs(&r.after).map_err(|e| format!("process: {e}"))?;
    let json = line.json || r.expects.iter().any(|e| e.mode == ExpectMode::Json);
    Ok(Plan {
        exec: line.exec,
        quiet: line.quiet
            || r.expects
                .first()
                .is_some_and(|e| e.mode == ExpectMode::Json),
        attaches_nothing: attaches_nothing(&types),
        after,
        args: line.args,
        json,
        unattachable,
    })
}

/// Whether a shell line is one plain `{{BPFTRACE}} -l ...` invocation (a listing).
fn lists_only(exec: &Exec) -> bool {
    let Exec::Shell(line) = exec else {
        return false;
    };
    let Ok(words) = shell_words(line) else {
        return false;
    };
    words.first().map(String::as_str) == Some("{{BPFTRACE}}")
        && matches!(
            super::cli::parse(&words[1..]),
            Ok(super::cli::Invocation {
                action: Action::List { .. },
                ..
            })
        )
}

/// The category of a skip reason (text before the first `:`).
pub fn category(reason: &str) -> &str {
    reason.split(':').next().unwrap_or(reason)
}
