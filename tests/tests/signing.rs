//! Signed objects end to end: `tracec --keygen`, `tracec --sign`, `tracerun --trust`.
//!
//! Refusals need no kernel: tracerun checks the signature before anything else.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tracec_tests::*;

/// Prints, reads `.rodata` (`elapsed` uses `tracec_start_ns`) and exits.
const SCRIPT: &str = "BEGIN { printf(\"signed %d\\n\", 42); @t = elapsed > 0; exit(); }";

fn tracerun(args: &[&str]) -> Output {
    Command::new(bin("tracerun"))
        .args(args)
        .output()
        .expect("run tracerun")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A key pair NAME.key/NAME.pub in `dir`.
fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let base = dir.join(name);
    let o = tracec(&["--keygen", s(&base)]);
    assert!(o.status.success(), "keygen: {}", text(&o.stderr));
    assert!(text(&o.stdout).contains("key id"), "{}", text(&o.stdout));
    (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    )
}

/// The script compiled to `dir/NAME.o`, signed with `key` if given.
fn compile(dir: &Path, name: &str, key: Option<&Path>) -> PathBuf {
    let src = dir.join("script.bt");
    std::fs::write(&src, SCRIPT).unwrap();
    let out = dir.join(format!("{name}.o"));
    let mut args = vec![s(&src), "-o", s(&out)];
    if let Some(k) = key {
        args.extend(["--sign", s(k)]);
    }
    let o = tracec(&args);
    assert!(o.status.success(), "tracec: {}", text(&o.stderr));
    out
}

/// File range of the first section matching `pred` (by name and flags).
fn section(bytes: &[u8], pred: impl Fn(&str, u64) -> bool) -> std::ops::Range<usize> {
    let elf = goblin::elf::Elf::parse(bytes).expect("ELF");
    let sh = elf
        .section_headers
        .iter()
        .find(|sh| {
            pred(
                elf.shdr_strtab.get_at(sh.sh_name).unwrap_or(""),
                sh.sh_flags,
            )
        })
        .expect("section present");
    sh.sh_offset as usize..(sh.sh_offset + sh.sh_size) as usize
}

/// `tracerun --trust KEY OBJECT` refuses (exit 1, nothing on stdout) with `msg`.
fn assert_refused(key: &Path, object: &Path, msg: &str) {
    let o = tracerun(&["--trust", s(key), s(object)]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}: {err}", object.display());
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    assert!(
        err.contains(msg),
        "{}: expected `{msg}` in {err}",
        object.display()
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn keygen_refuses_to_overwrite_and_protects_the_secret_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("sign-keygen");
    let (key, public) = keygen(&dir, "ci");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read_to_string(&public)
        .unwrap()
        .starts_with("tracec public key v1\nalgorithm: ed25519\n"));
    let before = std::fs::read(&key).unwrap();
    let o = tracec(&["--keygen", s(&dir.join("ci"))]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("already exists"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read(&key).unwrap(), before);
    let o = tracec(&["--keygen", s(&dir.join("ci")), "--force"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_ne!(std::fs::read(&key).unwrap(), before);
    // --sign with a public key, and without an output file, are errors.
    let src = dir.join("x.bt");
    std::fs::write(&src, SCRIPT).unwrap();
    let o = tracec(&[s(&src), "-o", s(&dir.join("x.o")), "--sign", s(&public)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("not a secret key"),
        "{}",
        text(&o.stderr)
    );
    assert!(!dir.join("x.o").exists());
    let o = tracec(&["-e", "BEGIN {}", "--emit", "ir", "--sign", s(&key)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn unsigned_tampered_and_foreign_objects_are_refused() {
    let dir = scratch("sign-refuse");
    let (key, public) = keygen(&dir, "ci");
    let (_, other) = keygen(&dir, "other");
    let signed = compile(&dir, "signed", Some(&key));
    let unsigned = compile(&dir, "unsigned", None);
    let bytes = std::fs::read(&signed).unwrap();

    // The unsigned object is the signed one without the signature section.
    assert!(std::fs::read(&unsigned).unwrap().len() < bytes.len());
    assert_refused(
        &public,
        &unsigned,
        "object is not signed; sign it with `tracec --sign`",
    );
    assert_refused(&other, &signed, "which is not trusted");

    let code = section(&bytes, |_, flags| {
        flags & u64::from(goblin::elf::section_header::SHF_EXECINSTR) != 0
    });
    let rodata = section(&bytes, |n, _| n == ".rodata");
    let meta = section(&bytes, |n, _| n == tracec_meta::SECTION);
    // A byte inside the JSON: the `42` of the script text the metadata carries.
    let json_at = meta.start
        + bytes[meta.clone()]
            .windows(2)
            .position(|w| w == b"42")
            .expect("script text in the metadata");
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let shdrs = elf.header.e_shoff as usize;
    for (what, at) in [
        ("code", code.start + 4),
        ("rodata", rodata.start),
        ("metadata JSON", json_at),
        ("ELF header", 0x30),
        ("section headers", shdrs + 64 + 8),
        ("last byte", bytes.len() - 1),
    ] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x01;
        let path = dir.join(format!("tampered-{}.o", what.replace(' ', "-")));
        std::fs::write(&path, &bad).unwrap();
        let o = tracerun(&["--trust", s(&public), s(&path)]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "{what}");
        // A header flip may make the ELF unreadable instead; either way it is refused.
        if what != "ELF header" && what != "section headers" {
            assert_refused(
                &public,
                &path,
                "signature does not match: the object was modified or signed by another key",
            );
        }
    }
    // Several keys may be trusted; the signature then passes (whatever happens next
    // depends on privileges and is tested below).
    let o = tracerun(&["--trust", s(&other), "--trust", s(&public), s(&signed)]);
    let err = text(&o.stderr);
    assert!(
        !err.contains("signature") && !err.contains("trusted") && !err.contains("signed"),
        "{err}"
    );
    // A secret key or a missing file given to --trust.
    assert_refused(&key, &signed, "this is a secret key");
    assert_refused(&dir.join("missing.pub"), &signed, "cannot read trusted key");
}

#[test]
fn a_signed_object_runs_with_and_without_trust_and_loads_in_bpftool() {
    let Some(_guard) = kernel_or_skip("a_signed_object_runs_with_and_without_trust") else {
        return;
    };
    let dir = scratch("sign-run");
    let (key, public) = keygen(&dir, "ci");
    let signed = compile(&dir, "signed", Some(&key));
    let (_, other) = keygen(&dir, "other");
    for args in [
        vec!["--trust", s(&public), s(&signed)],
        vec!["--trust", s(&other), "--trust", s(&public), s(&signed)],
        vec![s(&signed)],
    ] {
        let o = tracerun(&args);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stdout).starts_with("signed 42\n"),
            "{args:?}: {}",
            text(&o.stdout)
        );
    }
    let pin = format!("/sys/fs/bpf/tracec-sign-{}", std::process::id());
    let o = run_cmd("bpftool", &["prog", "loadall", s(&signed), &pin]);
    let pinned = std::fs::read_dir(&pin).map(|d| d.count()).unwrap_or(0);
    let _ = std::fs::remove_dir_all(&pin);
    assert!(o.status.success(), "bpftool: {}", text(&o.stderr));
    assert_eq!(pinned, 1, "the BEGIN program is loaded and pinned");
}
