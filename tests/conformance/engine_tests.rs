//! The engine end to end against shell-script stand-ins for `tracec` and `tracerun`
//! (no kernel needed). The fake `tracec` copies the program into the object file (and
//! fails on `syntax_error`); each test writes the fake `tracerun` it needs, which gets the
//! object path as `$1`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::run::{record_dir, run_record, Config, Outcome};
use super::{parse_suite, run_suites, Host, RunOptions};

const FAKE_TRACEC: &str = r#"#!/bin/sh
prog=""; out=""
while [ $# -gt 0 ]; do
  case "$1" in
    -e) prog="$2"; shift 2;;
    -o) out="$2"; shift 2;;
    --format) shift 2;;
    --) break;;
    *) prog="$(cat "$1")" || exit 2; shift;;
  esac
done
case "$prog" in *syntax_error*) echo "stdin:1:1: ERROR: syntax error" >&2; exit 1;; esac
printf '%s' "$prog" > "$out"
"#;

fn script(path: &Path, body: &str) {
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

pub(super) struct Fake {
    pub(super) cfg: Config,
    pub(super) root: PathBuf,
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A configuration whose tracerun runs `body` (a shell script; `$1` is the object).
pub(super) fn fake(name: &str, body: &str) -> Fake {
    let root = crate::scratch(&format!("conformance-engine-{name}"));
    let suite = root.join("suite");
    std::fs::create_dir_all(suite.join("outputs")).unwrap();
    script(&root.join("tracec"), FAKE_TRACEC);
    script(&root.join("tracerun"), &format!("#!/bin/sh\n{body}\n"));
    let mut cfg = Config::new(
        root.join("tracec"),
        root.join("tracerun"),
        suite,
        root.join("work"),
    );
    cfg.attach_timeout = Duration::from_secs(3);
    cfg.kill_grace = Duration::from_millis(500);
    Fake { cfg, root }
}

pub(super) fn run(f: &Fake, record: &str) -> Outcome {
    let r = parse_suite("fake", record).pop().unwrap().unwrap();
    let dir = record_dir(&f.cfg, 0).unwrap();
    run_record(&r, &f.cfg, &Host::detect(), &dir)
}

fn fail_reason(o: Outcome) -> String {
    match o {
        Outcome::Fail(why) => why,
        other => panic!("expected a failure, got {other:?}"),
    }
}

const PRINTS_HELLO: &str = "echo 'Attached 1 probe' >&2\necho hello\necho 'x = 5'";

#[test]
fn passing_record_checks_all_expectations_on_merged_output() {
    let f = fake("pass", PRINTS_HELLO);
    let o = run(&f, "NAME p\nPROG i:s:1 { exit(); }\nEXPECT hello\nEXPECT Attached 1 probe\nEXPECT_NONE bye\nEXPECT_REGEX ^x = \\d$\nEXPECT_REGEX_NONE ^y\n");
    assert_eq!(o, Outcome::Pass);
}

#[test]
fn unmet_expectations_fail_with_the_directive_named() {
    let f = fake("unmet", PRINTS_HELLO);
    let why = fail_reason(run(&f, "NAME p\nPROG i:s:1 { exit(); }\nEXPECT goodbye\n"));
    assert!(
        why.starts_with("EXPECT: ") && why.contains("goodbye"),
        "{why}"
    );
    let why = fail_reason(run(
        &f,
        "NAME p\nPROG i:s:1 { exit(); }\nEXPECT_NONE hello\n",
    ));
    assert!(why.starts_with("EXPECT_NONE"), "{why}");
    let why = fail_reason(run(
        &f,
        "NAME p\nPROG i:s:1 { exit(); }\nEXPECT_REGEX_NONE ^x\n",
    ));
    assert!(why.starts_with("EXPECT_REGEX_NONE"), "{why}");
}

#[test]
fn exit_codes_follow_will_fail_and_return_code() {
    let f = fake("codes", "echo 'Attached 1 probe' >&2\necho oops\nexit 3");
    let why = fail_reason(run(&f, "NAME p\nPROG i:s:1 { }\nEXPECT oops\n"));
    assert!(why.contains("exit code 3"), "{why}");
    assert_eq!(
        run(&f, "NAME p\nPROG i:s:1 { }\nEXPECT oops\nWILL_FAIL\n"),
        Outcome::Pass
    );
    let f = fake("codes0", PRINTS_HELLO);
    let why = fail_reason(run(&f, "NAME p\nPROG i:s:1 { }\nEXPECT hello\nWILL_FAIL\n"));
    assert!(why.contains("WILL_FAIL"), "{why}");
    let f = fake("codes69", "echo 'Attached 1 probe' >&2; exit 69");
    assert_eq!(
        run(&f, "NAME p\nPROG begin { exit(69); }\nRETURN_CODE 69\n"),
        Outcome::Pass
    );
    assert!(
        fail_reason(run(&f, "NAME p\nPROG begin { }\nRETURN_CODE 68\n")).contains("exit code 69")
    );
}

#[test]
fn compile_errors_fail_unless_the_record_expects_failure() {
    let f = fake("compile", PRINTS_HELLO);
    let why = fail_reason(run(
        &f,
        "NAME c\nPROG begin { syntax_error }\nEXPECT hello\n",
    ));
    assert!(
        why.starts_with("tracec (exit 1)") && why.contains("syntax error"),
        "{why}"
    );
    let o = run(
        &f,
        "NAME c\nPROG begin { syntax_error }\nEXPECT_REGEX ERROR: syntax\nWILL_FAIL\n",
    );
    assert_eq!(o, Outcome::Pass);
    let why = fail_reason(run(
        &f,
        "NAME c\nPROG begin { syntax_error }\nEXPECT nothing like it\nWILL_FAIL\n",
    ));
    assert!(why.starts_with("EXPECT"), "{why}");
}

#[test]
fn timeout_sends_sigterm_and_judges_the_output() {
    // Prints its maps on SIGTERM, like tracerun does.
    let f = fake(
        "timeout",
        "trap 'echo \"@x: 1\"; exit 0' TERM\necho 'Attached 1 probe' >&2\nwhile :; do sleep 0.05; done",
    );
    let t = Instant::now();
    assert_eq!(
        run(
            &f,
            "NAME t\nPROG i:s:1 { @x = 1; }\nEXPECT @x: 1\nTIMEOUT 1\n"
        ),
        Outcome::Pass
    );
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let why = fail_reason(run(&f, "NAME t\nPROG i:s:1 { }\nEXPECT @y: 1\nTIMEOUT 1\n"));
    assert!(why.starts_with("timed out after 1s"), "{why}");
}

#[test]
fn timeout_kills_a_runtime_that_ignores_sigterm() {
    let f = fake(
        "stubborn",
        "trap '' TERM\necho 'Attached 1 probe' >&2\necho partial\nwhile :; do sleep 0.05; done",
    );
    let t = Instant::now();
    assert_eq!(
        run(&f, "NAME t\nPROG i:s:1 { }\nEXPECT partial\nTIMEOUT 1\n"),
        Outcome::Pass
    );
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
}

#[test]
fn never_attaching_runtime_times_out_at_the_attach_limit() {
    let f = fake("noattach", "echo starting\nwhile :; do sleep 0.05; done");
    let t = Instant::now();
    let why = fail_reason(run(
        &f,
        "NAME t\nPROG i:s:1 { }\nEXPECT done\nAFTER echo never > after_ran\n",
    ));
    assert!(why.starts_with("timed out"), "{why}");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(6),
        "{took:?}"
    );
}

#[test]
fn after_starts_only_once_probes_are_attached() {
    // The runtime fails if the AFTER marker exists before it announced attachment, then
    // waits for it.
    let f = fake(
        "after",
        "[ -e marker ] && { echo early; exit 1; }\nsleep 0.3\n[ -e marker ] && { echo early; exit 1; }\necho 'Attached 2 probes' >&2\nfor i in $(seq 100); do [ -e marker ] && { echo saw marker; exit 0; }; sleep 0.02; done\nexit 2",
    );
    let o = run(
        &f,
        "NAME a\nPROG i:s:1 { }\nAFTER touch marker\nEXPECT saw marker\n",
    );
    assert_eq!(o, Outcome::Pass);
}

#[test]
fn after_can_signal_the_runtime_by_its_bpftrace_name() {
    // `end`-only program: no attach notice needed; AFTER starts after the grace period.
    let f = fake(
        "sigint",
        "trap 'echo \"SUCCESS 1\"; exit 0' INT\nwhile :; do sleep 0.02; done",
    );
    let o = run(&f, "NAME s\nPROG end { printf(\"%s %d\\n\", \"SUCCESS\", 1) }\nAFTER pkill -SIGINT bpftrace\nEXPECT SUCCESS 1\nTIMEOUT 2\n");
    assert_eq!(o, Outcome::Pass);
    let f = fake("usr1", "trap 'echo handled; exit 0' USR1\necho 'Attached 1 probe' >&2\nwhile :; do sleep 0.02; done");
    let o = run(&f, "NAME s\nPROG self:signal:SIGUSR1 { print(\"handled\"); exit(); }\nAFTER kill -s USR1 $(pidof bpftrace)\nEXPECT handled\n");
    assert_eq!(o, Outcome::Pass);
}

#[test]
fn quiet_flag_removes_the_attach_notice() {
    let f = fake("quiet", PRINTS_HELLO);
    let q = "NAME q\nRUN {{BPFTRACE}} -q -e 'i:s:1 { exit(); }'\nEXPECT hello\nEXPECT_NONE Attached 1 probe\n";
    assert_eq!(run(&f, q), Outcome::Pass);
    let loud = q.replace("-q ", "");
    assert!(fail_reason(run(&f, &loud)).starts_with("EXPECT_NONE"));
}

#[test]
fn expect_file_ignores_output_before_attachment() {
    let f = fake(
        "file",
        "echo 'noise before attach'\necho 'Attached 1 probe' >&2\nprintf '\\n@h:\\n[1]  1 |@|\\n\\n'",
    );
    std::fs::write(f.cfg.suite_dir.join("outputs/h.txt"), "@h:\n[1]  1 |@|\n").unwrap();
    let o = run(
        &f,
        "NAME f\nPROG i:s:1 { exit(); }\nEXPECT_FILE runtime/outputs/h.txt\n",
    );
    assert_eq!(o, Outcome::Pass);
    std::fs::write(f.cfg.suite_dir.join("outputs/h.txt"), "@h:\n[1]  2 |@|\n").unwrap();
    assert!(fail_reason(run(
        &f,
        "NAME f\nPROG i:s:1 { exit(); }\nEXPECT_FILE runtime/outputs/h.txt\n"
    ))
    .starts_with("EXPECT_FILE"));
}

#[test]
fn script_files_resolve_under_runtime() {
    let f = fake(
        "scriptfile",
        "cat \"$1\"; echo; echo 'Attached 1 probe' >&2",
    );
    std::fs::create_dir_all(f.cfg.suite_dir.join("scripts")).unwrap();
    std::fs::write(
        f.cfg.suite_dir.join("scripts/s.bt"),
        "i:s:1 { printf(\"from file\"); }",
    )
    .unwrap();
    let o = run(
        &f,
        "NAME s\nRUN {{BPFTRACE}} runtime/scripts/s.bt\nEXPECT_REGEX from file\n",
    );
    assert_eq!(o, Outcome::Pass);
}

#[test]
fn requires_setup_and_cleanup() {
    let f = fake("hooks", PRINTS_HELLO);
    let skip = run(
        &f,
        "NAME r\nPROG i:s:1 { }\nREQUIRES true\nREQUIRES exit 1\nEXPECT hello\n",
    );
    assert_eq!(
        skip,
        Outcome::Skip("requires: unmet condition 'exit 1'".into())
    );
    assert_eq!(
        run(&f, "NAME r\nPROG i:s:1 { }\nREQUIRES true\nEXPECT hello\n"),
        Outcome::Pass
    );
    let why = fail_reason(run(
        &f,
        "NAME r\nPROG i:s:1 { }\nSETUP echo nope; false\nEXPECT hello\n",
    ));
    assert!(why.starts_with("SETUP failed: nope"), "{why}");
    let why = fail_reason(run(
        &f,
        "NAME r\nPROG i:s:1 { }\nCLEANUP false\nEXPECT hello\n",
    ));
    assert!(why.starts_with("CLEANUP failed"), "{why}");
    let marker = f.root.join("cleaned");
    let rec = format!(
        "NAME r\nPROG i:s:1 {{ }}\nCLEANUP touch {}\nEXPECT hello\n",
        marker.display()
    );
    assert_eq!(run(&f, &rec), Outcome::Pass);
    assert!(marker.exists(), "CLEANUP ran");
}

#[test]
fn environment_is_minimal_plus_env_directive_names() {
    // Unsupported ENV settings are skipped before running; supported ones reach the
    // program.
    let f = fake(
        "env",
        "echo \"test=$test HOME=${HOME:-unset} CAT=${BPFTRACE_MAX_CAT_BYTES:-unset}\"; echo 'Attached 1 probe' >&2",
    );
    assert_eq!(
        run(
            &f,
            "NAME envname\nPROG i:s:1 { }\nEXPECT test=envname HOME=unset CAT=unset\n"
        ),
        Outcome::Pass
    );
    assert_eq!(
        run(
            &f,
            "NAME e\nPROG i:s:1 { }\nENV BPFTRACE_MAX_CAT_BYTES=1\nEXPECT test=e HOME=unset CAT=1\n"
        ),
        Outcome::Pass
    );
    let o = run(
        &f,
        "NAME e\nPROG i:s:1 { }\nENV BPFTRACE_NO_SUCH=1\nEXPECT x\n",
    );
    assert!(
        matches!(o, Outcome::Skip(ref w) if w.starts_with("env:")),
        "{o:?}"
    );
}

#[test]
fn run_suites_prints_per_suite_counts_and_the_final_line() {
    let f = fake("suites", PRINTS_HELLO);
    let suites = vec![
        (
            "alpha".to_string(),
            parse_suite("alpha", "NAME ok\nPROG i:s:1 { }\nEXPECT hello\n\nNAME bad\nPROG i:s:1 { }\nEXPECT nope\n\nNAME k\nPROG kprobe:f { }\nEXPECT hello\n"),
        ),
        (
            "beta".to_string(),
            parse_suite("beta", "NAME ok2\nPROG i:s:1 { }\nEXPECT hello\n\nNAME broken\nPROG i:s:1 { }\n"),
        ),
    ];
    let mut out = Vec::new();
    let opts = RunOptions {
        filter: None,
        jobs: 2,
        verbose: true,
    };
    let s = run_suites(&suites, &f.cfg, &Host::detect(), &opts, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        (s.total.passed, s.total.failed, s.total.skipped),
        (2, 2, 1),
        "{text}"
    );
    assert!(
        text.contains("alpha: 1 passed, 1 failed, 1 skipped\n"),
        "{text}"
    );
    assert!(
        text.contains("beta: 1 passed, 1 failed, 0 skipped\n"),
        "{text}"
    );
    assert!(text.contains("  FAIL alpha/bad: EXPECT"), "{text}");
    // The fake tracerun exits 0 for `--verify` too: compiled and loaded.
    assert!(
        text.contains(
            "  SKIP alpha/k: probe type: kprobe cannot attach on this kernel; compiled and loaded\n"
        ),
        "{text}"
    );
    assert!(text.contains("  FAIL beta/<line 5>: parse error"), "{text}");
    assert!(text.contains("skipped by reason: probe type 1\n"), "{text}");
    let tail: Vec<&str> = text.lines().rev().take(2).collect();
    assert_eq!(
        tail,
        [
            "unattachable: 1 compiled and loaded, 0 compiled (load refused: EPERM), \
             0 expected errors given, 0 failed",
            "2 passed, 2 failed, 1 skipped"
        ]
    );
    assert_eq!(s.unattached.loaded, 1);

    let re = regex::Regex::new("^alpha/ok$").unwrap();
    let opts = RunOptions {
        filter: Some(&re),
        jobs: 1,
        verbose: false,
    };
    let mut out = Vec::new();
    let s = run_suites(&suites, &f.cfg, &Host::detect(), &opts, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(s.results.len(), 1);
    assert_eq!(
        text,
        "alpha: 1 passed, 0 failed, 0 skipped\n1 passed, 0 failed, 0 skipped\n"
    );
}

#[test]
fn attach_notice_is_recognised_exactly() {
    use super::run::is_attached_line;
    assert!(is_attached_line("Attached 1 probe\n"));
    assert!(is_attached_line("Attached 12 probes"));
    assert!(!is_attached_line("Attached probes"));
    assert!(!is_attached_line("Attached 1 probe now"));
    assert!(!is_attached_line("xAttached 1 probe"));
    assert!(!is_attached_line("Attaching 1 probe..."));
}

#[test]
fn new_pidns_runs_before_program_and_after_in_one_namespace() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: creating a pid namespace needs root");
        return;
    }
    // The program reports the namespace's init, the BEFORE program by the pid the
    // record gives it (`{{BEFORE_PID}}`, copied into the object), and its own pid.
    let f = fake(
        "pidns",
        "echo 'Attached 1 probe' >&2\n\
         echo \"init=$(cat /proc/1/comm)\"\n\
         echo \"before=$(cat /proc/$(cat \"$1\")/comm)\"\n\
         echo \"me=$$\"\n\
         sleep 1",
    );
    // BEFORE: a copy of sleep named `infinity`, so that `./infinity infinity` runs a
    // program named by the command's last word (what the engine waits for).
    let before = f.root.join("infinity");
    std::fs::copy("/bin/sleep", &before).unwrap();
    let after = f.root.join("after.txt");
    let record = format!(
        "NAME ns\nPROG {{{{BEFORE_PID}}}}\nBEFORE {} infinity\nNEW_PIDNS\n\
         AFTER cat /proc/1/comm > {}\n\
         EXPECT init=sleep\nEXPECT before=infinity\nEXPECT_REGEX ^me=[2-9]$\n",
        before.display(),
        after.display()
    );
    assert_eq!(run(&f, &record), Outcome::Pass);
    // AFTER ran in the namespace too; and nothing of it is left running.
    assert_eq!(std::fs::read_to_string(&after).unwrap(), "sleep\n");
    let left = std::process::Command::new("pgrep")
        .args(["-f", &format!("^{} infinity", before.display())])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "{:?}", left);
}
