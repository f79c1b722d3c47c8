//! Records whose probes cannot attach here: compiled and loaded, never run (against the
//! fake `tracec` of [`super::engine_tests`], and fake `tracerun`s answering `--verify`).

use super::engine_tests::{fake, run};
use super::run::Outcome;
use super::unattachable::{classify_verify, Check};
use super::UnattachedCounts;

/// A fake tracerun that logs its arguments to `args.log` in its working directory and
/// answers `--verify` with `verify` (a shell fragment); run for real it leaves
/// `attached` behind.
fn verifier(name: &str, verify: &str) -> super::engine_tests::Fake {
    fake(
        name,
        &format!(
            "echo \"$@\" >> args.log\n\
             if [ \"$1\" = --verify ]; then {verify}; fi\n\
             touch attached; echo 'Attached 1 probe' >&2"
        ),
    )
}

fn check_of(o: Outcome) -> Check {
    match o {
        Outcome::Unattached { skip, check } => {
            assert!(skip.starts_with("probe type: "), "{skip}");
            check
        }
        other => panic!("expected a static check, got {other:?}"),
    }
}

const REFUSED: &str = "echo 'fentry_vfs_read_0 (fentry:vmlinux:vfs_read): rejected (Operation not permitted (os error 1))'; \
                       echo 'error: the verifier gave no reason'; exit 1";

#[test]
fn kprobe_records_are_compiled_and_verified_with_their_arguments() {
    let f = verifier("loaded", "exit 0");
    let rec = "NAME k\nRUN {{BPFTRACE}} -e 'k:f { printf(\"%d\", $1); }' 7\nEXPECT hello\n";
    assert_eq!(check_of(run(&f, rec)), Check::Loaded);
    let dir = f.cfg.scratch.join("r0");
    let log = std::fs::read_to_string(dir.join("args.log")).unwrap();
    assert_eq!(
        log,
        format!("--verify {}/unattached0.o -- 7\n", dir.display())
    );
    assert!(!dir.join("attached").exists(), "nothing may run for real");
}

#[test]
fn fentry_programs_refused_with_eperm_are_not_passes() {
    let f = verifier("refused", REFUSED);
    let rec = "NAME f\nPROG fentry:vfs_read { exit(); }\nEXPECT x\n";
    assert_eq!(check_of(run(&f, rec)), Check::LoadRefused);
    // A kprobe program refused the same way is a failure.
    let f = verifier(
        "krefused",
        "echo 'kprobe_f_0 (kprobe:f): rejected (Operation not permitted (os error 1))'; exit 1",
    );
    let rec = "NAME k\nPROG kprobe:f { exit(); }\nEXPECT x\n";
    match check_of(run(&f, rec)) {
        Check::Failed(why) => assert!(why.contains("kprobe_f_0 (kprobe:f): rejected"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn expected_errors_must_come_from_tracec() {
    let f = verifier("errors", "exit 0");
    let given = "NAME e\nPROG k:f { syntax_error }\nEXPECT_REGEX ERROR: syntax\nWILL_FAIL\n";
    assert_eq!(check_of(run(&f, given)), Check::ExpectedError);
    let other = "NAME e\nPROG k:f { syntax_error }\nEXPECT ERROR: something else\nWILL_FAIL\n";
    match check_of(run(&f, other)) {
        Check::Failed(why) => assert!(why.starts_with("expected error: EXPECT"), "{why}"),
        other => panic!("{other:?}"),
    }
    let compiled = "NAME e\nPROG k:f { exit(); }\nEXPECT ERROR: x\nRETURN_CODE 1\n";
    match check_of(run(&f, compiled)) {
        Check::Failed(why) => assert!(why.contains("expects an error"), "{why}"),
        other => panic!("{other:?}"),
    }
    let broken = "NAME e\nPROG k:f { syntax_error }\nEXPECT x\n";
    match check_of(run(&f, broken)) {
        Check::Failed(why) => assert!(why.starts_with("tracec (exit 1)"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn shell_lines_compile_their_programs_and_the_shims_errors_count() {
    let f = verifier("shell", REFUSED);
    // Two programs in a pipeline: each is compiled and verified.
    let rec = "NAME s\nRUN {{BPFTRACE}} -e 'f:a { }' & {{BPFTRACE}} -e 'k:b { }'\nEXPECT x\n";
    assert_eq!(check_of(run(&f, rec)), Check::LoadRefused);
    let log = std::fs::read_to_string(f.cfg.scratch.join("r0/args.log")).unwrap();
    assert_eq!(log.lines().count(), 2, "{log}");
    let rec = "NAME s\nRUN {{BPFTRACE}} --no-such-flag -e 'k:b { }'\nEXPECT x\n";
    match check_of(run(&f, rec)) {
        Check::Failed(why) => assert!(why.starts_with("bpftrace-shim: ERROR:"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn setup_failures_fail_the_check_not_the_run() {
    let f = verifier("setup", "exit 0");
    let rec = "NAME s\nPROG k:f { }\nSETUP false\nEXPECT x\n";
    match check_of(run(&f, rec)) {
        Check::Failed(why) => assert!(why.starts_with("SETUP failed"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn verify_reports_are_classified() {
    assert_eq!(classify_verify(Some(0), ""), Check::Loaded);
    let mixed = "rt_0 (rawtracepoint:x): loaded, 5 instructions processed\n\
                 f_1 (fentry:vmlinux:a, fexit:vmlinux:b): rejected (Operation not permitted (os error 1))\n\
                 error: the verifier gave no reason\n";
    assert_eq!(classify_verify(Some(1), mixed), Check::LoadRefused);
    let rejected = "k_0 (kprobe:a): rejected (Permission denied (os error 13))\n\
                    error: R0 invalid mem access 'map_value_or_null'\n";
    assert_eq!(
        classify_verify(Some(1), rejected),
        Check::Failed(
            "tracerun --verify: k_0 (kprobe:a): rejected (Permission denied (os error 13)) \
             error: R0 invalid mem access 'map_value_or_null'"
                .into()
        )
    );
    let other_error = "f_0 (fentry:vmlinux:a): rejected (Invalid argument (os error 22))\n";
    assert!(matches!(
        classify_verify(Some(1), other_error),
        Check::Failed(_)
    ));
    assert_eq!(
        classify_verify(Some(1), "tracerun: error: no such file\n"),
        Check::Failed("tracerun --verify: tracerun: error: no such file".into())
    );
    assert!(matches!(classify_verify(None, ""), Check::Failed(w) if w.contains("timed out")));
}

#[test]
fn the_summary_line_counts_each_kind() {
    let c = UnattachedCounts {
        loaded: 3,
        refused: 2,
        expected_errors: 1,
        failed: 0,
        known: 4,
    };
    assert_eq!(
        c.to_string(),
        "unattachable: 3 compiled and loaded, 2 compiled (load refused: EPERM), \
         1 expected errors given, 0 failed, 4 known failures"
    );
}

#[test]
fn errors_before_loading_count_and_probe_filters_reach_the_verifier() {
    let f = verifier("noprobes", "echo 'No probes to attach' >&2; exit 1");
    let rec = "NAME n\nRUN {{BPFTRACE}} --probe-filter 'xyz' -e 'kprobe:vfs_read { exit(); }'\n\
               EXPECT No probes to attach\nWILL_FAIL\n";
    assert_eq!(check_of(run(&f, rec)), Check::ExpectedError);
    let dir = f.cfg.scratch.join("r0");
    let log = std::fs::read_to_string(dir.join("args.log")).unwrap();
    assert_eq!(
        log,
        format!(
            "--verify --probe-filter xyz {}/unattached0.o\n",
            dir.display()
        )
    );
    // The same error where none is expected fails the check.
    let rec = "NAME n\nPROG kprobe:vfs_read { exit(); }\nEXPECT x\n";
    match check_of(run(&f, rec)) {
        Check::Failed(why) => assert!(why.contains("No probes to attach"), "{why}"),
        other => panic!("{other:?}"),
    }
}
