//! The `bpftrace-shim`: bpftrace's command line on top of tracec + tracerun. These cases
//! need no kernel (listing, usage and argument errors).

use std::process::{Command, Output};

use tracec_tests::bin;

fn shim(args: &[&str]) -> Output {
    // Make sure the binaries it finds next to itself exist.
    bin("tracec");
    Command::new(env!("CARGO_BIN_EXE_bpftrace-shim"))
        .args(args)
        .output()
        .expect("run bpftrace-shim")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn listing_goes_through_tracec() {
    let o = shim(&["-l", "software:cpu*"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "software:cpu-clock:\nsoftware:cpu-migrations:\nsoftware:cpu:\n"
    );
    let o = shim(&["-l", "-e", "BEGIN { } interval:s:1 { exit(); }"]);
    assert_eq!(text(&o.stdout), "interval:s:\n");
}

#[test]
fn a_missing_script_given_to_l_is_a_pattern_with_a_warning() {
    let o = shim(&["-l", "no_such_script.bt"]);
    assert!(o.status.success());
    assert!(text(&o.stderr).contains(
        "WARNING: It appears that 'no_such_script.bt' is a filename but the file does not exist."
    ));
}

#[test]
fn usage_and_argument_errors_are_bpftraces() {
    let o = shim(&["-h"]);
    assert!(o.status.success());
    assert!(text(&o.stdout).starts_with("USAGE:"));
    let o = shim(&["-idonotexist"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("USAGE:"));
    let o = shim(&["-p", "a1111", "-e", "begin { print(1); }"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr),
        "ERROR: Failed to parse pid: invalid integer: a1111\n"
    );
    let o = shim(&["-q", "-f", "jsonx", "-e", "begin { }"]);
    assert!(text(&o.stderr).starts_with("ERROR: Invalid output format \"jsonx\""));
    let o = shim(&["--no-feature", "x", "-e", "begin { }"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("--no-feature is not supported"));
}

#[test]
fn compile_errors_keep_tracecs_exit_status() {
    let o = shim(&["-e", "begin { nosuchfunction(); }"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("nosuchfunction"),
        "{}",
        text(&o.stderr)
    );
}
