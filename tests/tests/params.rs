//! Run-time parameters end to end: one object, run with different arguments after `--`.

use std::path::Path;
use std::process::{Command, Output};
use tracec_tests::*;

/// `tracerun OBJECT -- args...`, bounded by `timeout(1)`.
fn run_with(obj: &Path, args: &[&str]) -> Output {
    Command::new("timeout")
        .arg("30")
        .arg(bin("tracerun"))
        .arg(obj)
        .arg("--")
        .args(args)
        .output()
        .expect("run tracerun")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "tracerun failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn error_line(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    err.trim_end().to_string()
}

const POSITIONAL: &str = r#"
BEGIN
{
  printf("n=%d next=%d s=%s tail=%s raw=%s short=%s\n", $#, $1 + 1, str($2), str($2 + 1), $2, str($2, 3));
  if ($2 == "hello") { printf("greeted\n"); }
  @[$1 * 2] = count();
  exit();
}
"#;

#[test]
fn positional_parameters_without_recompiling() {
    let Some(_k) = kernel_or_skip("positional_parameters") else {
        return;
    };
    let dir = scratch("params_positional");
    let obj = compile_text(&dir, "pos", POSITIONAL);
    assert_eq!(
        stdout(&run_with(&obj, &["41", "hello"])),
        "n=2 next=42 s=hello tail=ello raw=hello short=he\ngreeted\n\n\n@[82]: 1\n"
    );
    assert_eq!(
        stdout(&run_with(&obj, &["-0x10", "x", "extra"])),
        "n=3 next=-15 s=x tail= raw=x short=x\n\n\n@[-32]: 1\n"
    );
    // Missing parameters are 0 and "".
    assert_eq!(
        stdout(&run_with(&obj, &[])),
        "n=0 next=1 s= tail= raw= short=\n\n\n@[0]: 1\n"
    );
    assert_eq!(
        error_line(&run_with(&obj, &["abc"])),
        "tracerun: error: $1 is used as a number, but its argument \"abc\" is not one; use str($1) to read it as text"
    );
}

const NAMED: &str = r#"
BEGIN
{
  printf("count=%d name=%s verbose=%d color=%d\n", getopt("count", 5), getopt("name", "bob", "who to greet"), getopt("verbose"), getopt("color", true));
  if (getopt("verbose")) { printf("loud %d\n", $1); }
  exit();
}
"#;

#[test]
fn named_parameters_with_and_without_values() {
    let Some(_k) = kernel_or_skip("named_parameters") else {
        return;
    };
    let dir = scratch("params_named");
    let obj = compile_text(&dir, "named", NAMED);
    assert_eq!(
        stdout(&run_with(&obj, &[])),
        "count=5 name=bob verbose=0 color=1\n\n\n"
    );
    assert_eq!(
        stdout(&run_with(
            &obj,
            &["--count=-7", "--name=al", "--verbose", "3", "--color=False"]
        )),
        "count=-7 name=al verbose=1 color=0\nloud 3\n\n\n"
    );
    assert_eq!(
        error_line(&run_with(&obj, &["--count=abc"])),
        "ERROR: program command line option --count invalid integer (value: abc)"
    );
    assert_eq!(
        error_line(&run_with(&obj, &["--name"])),
        "ERROR: program command line option --name requires a value (--name=VALUE)"
    );
    let o = run_with(&obj, &["--colour"]);
    assert!(!o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "ERROR: unexpected program command line options: --colour\n\
         HINT: expected program options: --count, --name, --verbose, --color\n"
    );
    let o = run_with(&obj, &["--help"]);
    assert!(!o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "HINT: expected program options:\n  --count\n  --name: who to greet\n  --verbose\n  --color\n"
    );
}

#[test]
fn attach_point_parameters_are_bound_at_compile_time() {
    let dir = scratch("attach_point_params");
    let obj = dir.join("ap.o");
    let o = tracec(&[
        "-e",
        "BEG$2 { printf(\"%s %d\\n\", str($2), $1 + 1); exit(); }",
        "-o",
        obj.to_str().unwrap(),
        "--",
        "--name=x",
        "41",
        "IN",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Too few arguments for the attach point: an error naming it.
    let o = tracec(&["-e", "i:ms:$2 { }", "-o", "/dev/null", "--", "1"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("uses $2, but 1 positional argument was given"),
        "{err}"
    );
    let Some(_guard) = kernel_or_skip("attach_point_parameters_are_bound_at_compile_time") else {
        return;
    };
    let o = run_with(&obj, &["41", "IN"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.lines().any(|l| l == "IN 42"), "{out}");
    // Another value for the bound $2 is refused before anything loads.
    let o = run_with(&obj, &["41", "OUT"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("compiled with $2 = 'IN'"), "{err}");
}

#[test]
fn attach_points_the_compiler_needs_cannot_use_run_time_parameters() {
    let o = tracec(&["-e", "BEG$1 { exit(); }", "-o", "/dev/null"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("positional parameter '$1' in attach point 'BEG$1'"),
        "{err}"
    );
}
