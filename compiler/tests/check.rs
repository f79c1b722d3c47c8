//! `tracec --check`: several files, every error of each, text and JSON output,
//! exit codes, `--deny-warnings`, nothing written, no privileges needed.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn tracec_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracec"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run tracec")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory holding `files`.
fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tracec-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, source) in files {
        std::fs::write(dir.join(file), source).unwrap();
    }
    dir
}

/// The NDJSON lines of `--format json`, parsed.
fn json_lines(o: &Output) -> Vec<Value> {
    text(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A syntax error in one probe, type errors in another, and a clean probe with a
/// warning.
const BROKEN: &str = "BEGIN
{
  $x = (1 + ;
  printf(\"%d\\n\", $x);
}

interval:s:1
{
  nosuchfn();
  @m = \"a\";
  @m = 1;
}

END { 1 + 2; }
";

/// Two semantic errors, no syntax error.
const TYPES: &str = "BEGIN { printf(\"%s\\n\", 5); $z = $undefined; }\n";

const WARNS: &str = "BEGIN { pid; exit(); }\n";

const CLEAN: &str = "BEGIN { printf(\"hi\\n\"); exit(); }\n";

fn at(v: &Value, file: &str, line: u64) -> bool {
    v["file"] == file && v["line"] == line
}

#[test]
fn json_reports_every_error_of_every_file() {
    let dir = scratch(
        "json",
        &[
            ("broken.bt", BROKEN),
            ("types.bt", TYPES),
            ("clean.bt", CLEAN),
        ],
    );
    let before = listing(&dir);
    let o = tracec_in(
        &dir,
        &[
            "--check",
            "--format",
            "json",
            "broken.bt",
            "types.bt",
            "clean.bt",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let diags = json_lines(&o);
    assert_eq!(diags.len(), 6, "{diags:#?}");

    // broken.bt: the syntax error, and the errors of the probe that parsed.
    let syntax = &diags[0];
    assert!(at(syntax, "broken.bt", 3), "{syntax}");
    assert_eq!(syntax["column"], 13);
    assert_eq!(syntax["end_line"], 3);
    assert_eq!(syntax["end_column"], 14);
    assert_eq!(syntax["severity"], "error");
    assert!(syntax["message"]
        .as_str()
        .unwrap()
        .starts_with("syntax error"));
    assert!(at(&diags[1], "broken.bt", 9), "{}", diags[1]);
    assert_eq!(diags[1]["message"], "unknown function 'nosuchfn'");
    assert_eq!(
        (diags[1]["column"].as_u64(), diags[1]["end_column"].as_u64()),
        (Some(3), Some(13))
    );
    assert!(at(&diags[2], "broken.bt", 11), "{}", diags[2]);
    assert!(diags[2]["message"].as_str().unwrap().contains("@m"));
    let warning = &diags[3];
    assert!(at(warning, "broken.bt", 14), "{warning}");
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["column"], 7);
    assert_eq!(warning["label"], "unused value");
    assert!(warning["notes"].as_array().is_some_and(|n| !n.is_empty()));

    // types.bt: both errors.
    assert!(
        at(&diags[4], "types.bt", 1) && diags[4]["column"] == 24,
        "{}",
        diags[4]
    );
    assert!(diags[4]["message"].as_str().unwrap().contains("%s"));
    assert!(
        at(&diags[5], "types.bt", 1) && diags[5]["column"] == 33,
        "{}",
        diags[5]
    );
    assert!(diags[5]["message"].as_str().unwrap().contains("$undefined"));
    // Every diagnostic has every field; optional ones only when not empty.
    for d in &diags {
        for key in [
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "severity",
            "message",
        ] {
            assert!(!d[key].is_null(), "{key} missing in {d}");
        }
        assert!(d.get("label").is_none_or(|l| l != ""), "{d}");
    }
    // JSON goes to stdout; nothing else is said; nothing is written.
    assert_eq!(text(&o.stderr), "");
    assert_eq!(listing(&dir), before);
}

#[test]
fn text_output_and_exit_codes() {
    let dir = scratch(
        "text",
        &[
            ("types.bt", TYPES),
            ("warns.bt", WARNS),
            ("clean.bt", CLEAN),
        ],
    );
    let o = tracec_in(&dir, &["--check", "types.bt", "clean.bt"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("types.bt:1:24"), "{err}");
    assert!(err.contains("types.bt:1:33"), "{err}");
    assert!(err.contains("tracec: 2 errors, 0 warnings"), "{err}");
    assert_eq!(text(&o.stdout), "");

    let o = tracec_in(&dir, &["--check", "clean.bt", "warns.bt"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("warning: the value of this expression is discarded"));

    let o = tracec_in(&dir, &["--check", "clean.bt"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        (text(&o.stdout), text(&o.stderr)),
        (String::new(), String::new())
    );
    let o = tracec_in(&dir, &["--check", "--format", "json", "clean.bt"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), "");
    assert_eq!(listing(&dir), ["clean.bt", "types.bt", "warns.bt"]);
}

#[test]
fn deny_warnings_fails_on_warnings_only() {
    let dir = scratch("deny", &[("warns.bt", WARNS), ("clean.bt", CLEAN)]);
    let o = tracec_in(
        &dir,
        &["--check", "--deny-warnings", "--format", "json", "warns.bt"],
    );
    assert_eq!(o.status.code(), Some(1));
    let diags = json_lines(&o);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["severity"], "warning");
    let o = tracec_in(&dir, &["--check", "--deny-warnings", "clean.bt"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // Compiling with --deny-warnings writes no object when there are warnings.
    let o = tracec_in(&dir, &["--deny-warnings", "warns.bt", "-o", "w.o"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!dir.join("w.o").exists());
    let o = tracec_in(&dir, &["warns.bt", "-o", "w.o"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(dir.join("w.o").exists());
}

#[test]
fn unreadable_files_and_usage_errors() {
    let dir = scratch("usage", &[("clean.bt", CLEAN)]);
    let o = tracec_in(
        &dir,
        &["--check", "--format", "json", "clean.bt", "missing.bt"],
    );
    assert_eq!(o.status.code(), Some(1));
    let diags = json_lines(&o);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0]["file"], "missing.bt");
    assert!(diags[0]["line"].is_null());
    assert!(diags[0]["message"]
        .as_str()
        .unwrap()
        .contains("cannot read"));

    for args in [
        &["clean.bt", "clean.bt"][..],     // several files without --check
        &["--format", "json", "clean.bt"], // --format without --check
        &["--check", "--format", "xml", "clean.bt"], // unknown format
        &["--check", "-o", "x.o", "clean.bt"], // nothing to write
        &["--check", "-e", "BEGIN {}", "clean.bt"], // FILE and -e
        &["--check"],                      // nothing to check
    ] {
        let o = tracec_in(&dir, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
    }
    let o = tracec_in(&dir, &["--check", "-e", "BEGIN { exit(); }"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

/// The back end runs too: a script whose stack frame does not fit in 512 bytes is an
/// error a CI check must catch, although parsing and types are fine. (Big values move
/// to scratch maps, but a loop callback's context, which holds the variables its body
/// uses, must be on the stack.)
#[test]
fn code_generation_errors_are_reported() {
    let vars: String = (0..12)
        .map(|i| {
            format!(
                "$v{i} = \"{}{i}\"; ",
                "abcdefghijklmnopqrstuvwxyz0123456789".repeat(2)
            )
        })
        .collect();
    let args: String = (0..12).map(|i| format!(", $v{i}")).collect();
    let big = format!(
        "BEGIN {{ {vars}for ($i : 0..100) {{ printf(\"{}\\n\"{args}); }} exit(); }}\n",
        "%s".repeat(12)
    );
    let dir = scratch("codegen", &[("big.bt", &big)]);
    let o = tracec_in(&dir, &["--check", "--format", "json", "big.bt"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let diags = json_lines(&o);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let msg = diags[0]["message"].as_str().unwrap();
    assert!(msg.contains("stack") && msg.contains("512"), "{msg}");
    assert_eq!(listing(&dir), ["big.bt"]);
}

/// As an unprivileged user, with no tracefs, a script without tracepoints checks.
#[test]
fn works_unprivileged_without_tracefs() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let dir = scratch("unpriv", &[("clean.bt", CLEAN)]);
        let o = tracec_in(&dir, &["--check", "--tracefs", "/nonexistent", "clean.bt"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        return;
    }
    let dir = scratch("unpriv", &[("clean.bt", CLEAN), ("types.bt", TYPES)]);
    use std::os::unix::fs::PermissionsExt;
    for p in [dir.clone(), dir.join("clean.bt"), dir.join("types.bt")] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = |file: &str| {
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ])
            .arg(env!("CARGO_BIN_EXE_tracec"))
            .args([
                "--check",
                "--format",
                "json",
                "--tracefs",
                "/nonexistent",
                file,
            ])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .expect("setpriv (util-linux)")
    };
    let o = run("clean.bt");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "");
    let o = run("types.bt");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(json_lines(&o).len(), 2);
}
