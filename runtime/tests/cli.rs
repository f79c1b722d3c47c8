//! Error paths of the command line: every bad input gives one line and a non-zero exit.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn tracerun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracerun"))
        .args(args)
        .output()
        .unwrap()
}

fn write_tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tracerun-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Run on `path` and return the single stderr line, checking the exit status.
fn error_line(path: &Path) -> String {
    let out = tracerun(&[path.to_str().unwrap()]);
    assert!(
        !out.status.success(),
        "expected failure for {}",
        path.display()
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(!err.contains("panicked"), "{err}");
    let prefix = format!("tracerun: error: {}: ", path.display());
    assert!(
        err.starts_with(&prefix),
        "{err:?} does not start with {prefix:?}"
    );
    err
}

#[test]
fn missing_file() {
    let err = error_line(Path::new("/nonexistent/x.o"));
    assert!(err.contains("no such file"), "{err}");
}

#[test]
fn directory() {
    let err = error_line(Path::new("/tmp"));
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn not_elf() {
    let p = write_tmp("text.o", b"BEGIN { printf(\"hi\\n\"); }\n");
    let err = error_line(&p);
    assert!(err.contains("not an ELF file"), "{err}");
}

#[test]
fn truncated_elf() {
    let p = write_tmp("trunc.o", b"\x7fELF\x02\x01\x01\x00");
    let err = error_line(&p);
    assert!(err.contains("malformed ELF"), "{err}");
}

#[test]
fn host_executable() {
    let err = error_line(Path::new("/bin/true"));
    assert!(err.contains("not BPF"), "{err}");
}

#[test]
fn bpf_object_without_metadata() {
    let mut p = common::Prog::default();
    p.exit();
    let bytes = common::build(&[("prog", "raw_tp", &p)], &[], None);
    let path = write_tmp("nometa.o", &bytes);
    let err = error_line(&path);
    assert!(
        err.contains(".tracec.meta") && err.contains("not written by tracec"),
        "{err}"
    );
}

fn with_meta_bytes(meta_bytes: Vec<u8>) -> Vec<u8> {
    // Build with a placeholder, then splice the given section content in its place.
    let meta = common::metadata();
    let good = tracec_meta::encode(&meta);
    let mut p = common::Prog::default();
    p.exit();
    let mut bytes = common::build(&[("prog", "raw_tp", &p)], &[], Some(&meta));
    let at = bytes.windows(good.len()).position(|w| w == good).unwrap();
    assert!(meta_bytes.len() <= good.len());
    let mut padded = meta_bytes;
    padded.resize(good.len(), b' ');
    bytes[at..at + good.len()].copy_from_slice(&padded);
    bytes
}

#[test]
fn newer_metadata_format() {
    let mut m = tracec_meta::encode(&common::metadata());
    m[4..6].copy_from_slice(&(tracec_meta::FORMAT_MAJOR + 1).to_le_bytes());
    let path = write_tmp("newer.o", &with_meta_bytes(m));
    let err = error_line(&path);
    assert!(err.contains("upgrade tracerun"), "{err}");
}

#[test]
fn malformed_metadata() {
    let mut m = tracec_meta::encode(&common::metadata());
    let n = m.len();
    m[n - 3..].copy_from_slice(b"@@@");
    let path = write_tmp("badmeta.o", &with_meta_bytes(m));
    let err = error_line(&path);
    assert!(err.contains("metadata is malformed"), "{err}");
    let path = write_tmp("badmagic.o", &with_meta_bytes(b"XXXXXXXXXXXXXXXX".to_vec()));
    let err = error_line(&path);
    assert!(err.contains("TRCM"), "{err}");
}

#[test]
fn metadata_naming_missing_program() {
    let mut meta = common::metadata();
    meta.probes.push(tracec_meta::ProbeSpec {
        program: "nosuch".into(),
        section: "raw_tp".into(),
        name: "BEGIN".into(),
        attach: tracec_meta::Attach::Begin,
        cookie: None,
    });
    let mut p = common::Prog::default();
    p.exit();
    let bytes = common::build(&[("prog", "raw_tp", &p)], &[], Some(&meta));
    let err = error_line(&write_tmp("missing.o", &bytes));
    assert!(err.contains("nosuch") && err.contains("recompile"), "{err}");
}

#[test]
fn metadata_naming_missing_parameter_global() {
    let mut meta = common::metadata();
    meta.params.push(tracec_meta::ParamSpec {
        symbol: "tracec_param_1_int".into(),
        kind: tracec_meta::ParamKind::Positional { index: 1 },
        ty: tracec_meta::ParamType::Int,
    });
    let mut p = common::Prog::default();
    p.exit();
    let bytes = common::build(&[("prog", "raw_tp", &p)], &[], Some(&meta));
    let err = error_line(&write_tmp("noparam.o", &bytes));
    assert!(
        err.contains("parameter global tracec_param_1_int is missing") && err.contains("recompile"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_non_zero() {
    let out = tracerun(&[]);
    assert!(!out.status.success());
    let out = tracerun(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("-o <FILE>") && help.contains("-q"), "{help}");
}
