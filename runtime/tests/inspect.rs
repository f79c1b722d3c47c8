//! `--info` and `--verify` on hand-assembled objects (no line info, legacy maps): the
//! paths real tracec objects do not take.

mod common;

use common::{MapDef, Prog};
use std::path::PathBuf;
use std::process::{Command, Output};
use tracec_meta::{Attach, MapRole, MapSpec, ProbeSpec};

fn probe(program: &str, section: &str, name: &str, attach: Attach) -> ProbeSpec {
    ProbeSpec {
        program: program.into(),
        section: section.into(),
        name: name.into(),
        attach,
        cookie: None,
    }
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tracerun-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn tracerun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracerun"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// BEGIN calls ringbuf_output and a helper id no kernel has; the object is "signed".
fn signed_object() -> PathBuf {
    let mut p = Prog::default();
    p.st_w(-8, 1).st_w(-4, 0).ringbuf_output("ev", -8, 8);
    p.call(7777);
    p.exit();
    let mut meta = common::metadata();
    meta.probes = vec![probe("prog_begin", "raw_tp", "BEGIN", Attach::Begin)];
    meta.maps = vec![MapSpec {
        symbol: "ev".into(),
        role: MapRole::Events,
    }];
    let maps = [MapDef {
        name: "ev".into(),
        ty: 27,
        key: 0,
        value: 0,
        max: 4096,
    }];
    let bytes = common::build_with(
        &[("prog_begin", "raw_tp", &p)],
        &maps,
        Some(&meta),
        &[(tracec_meta::SIGNATURE_SECTION, b"signature bytes")],
    );
    write("signed.o", &bytes)
}

#[test]
fn info_reports_signature_helpers_and_legacy_maps_without_privileges() {
    let path = signed_object();
    let path_str = path.to_str().unwrap();
    // SAFETY: geteuid has no preconditions.
    let o = if unsafe { libc::geteuid() } == 0 {
        // Prove --info needs no privileges: run it as nobody.
        use std::os::unix::fs::PermissionsExt;
        let dir = path.parent().unwrap();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_tracerun"))
            .args(["--info", path_str])
            .output()
            .unwrap()
    } else {
        tracerun(&["--info", path_str])
    };
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("signed    yes (.tracec.sig section)"), "{out}");
    assert!(out.contains("compiler  tracec test"), "{out}");
    assert!(out.contains("script    not embedded"), "{out}");
    assert!(
        out.contains("helpers  bpf_ringbuf_output, helper #7777"),
        "{out}"
    );
    assert!(out.contains("runs once at start"), "{out}");
    assert!(out.contains("raw_tracepoint (4.17+)"), "{out}");
    // Legacy `maps` section: no BTF, so the kind is unknown, but the role is known.
    assert!(out.contains("ev  unknown  events"), "{out}");
    assert!(out.contains("kernel         5.10 or newer"), "{out}");

    let o = tracerun(&["--info", "--format", "json", path_str]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["signed"], true);
    assert_eq!(v["probes"][0]["program_type"], "raw_tracepoint");
    assert_eq!(v["requires"]["helpers"][1]["id"], 7777);
    assert_eq!(v["requires"]["helpers"][1]["name"], serde_json::Value::Null);
}

#[test]
fn format_and_info_conflict_with_verify() {
    let path = signed_object();
    let p = path.to_str().unwrap();
    for args in [
        vec!["--verify", "--format", "json", p],
        vec!["--info", "--verify", p],
        vec!["-f", "yaml", p],
    ] {
        let o = tracerun(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn info_refuses_what_run_refuses() {
    let path = write("garbage.o", b"not an elf");
    let o = tracerun(&["--info", path.to_str().unwrap()]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("not an ELF"), "{err}");
}

#[test]
fn verify_without_line_info_shows_the_log() {
    if !common::kernel_available("verify_without_line_info_shows_the_log") {
        return;
    }
    // r10 is read-only: `r10 = 0` is rejected at instruction 1.
    let mut p = Prog::default();
    p.mov_imm(0, 0).mov_imm(10, 0).exit();
    let mut meta = common::metadata();
    meta.probes = vec![probe("tr_bad_fp", "raw_tp", "BEGIN", Attach::Begin)];
    let bytes = common::build(&[("tr_bad_fp", "raw_tp", &p)], &[], Some(&meta));
    let path = write("bad-fp.o", &bytes);
    let o = tracerun(&["--verify", path.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("tr_bad_fp (BEGIN): rejected"), "{out}");
    assert!(out.contains("error: frame pointer is read only"), "{out}");
    assert!(out.contains("at instruction 1: (b7) r10 = 0"), "{out}");
    assert!(out.contains("cannot place it in the script"), "{out}");
    assert!(out.contains("verifier log (last lines):"), "{out}");
    assert!(out.contains("1 program: 0 loaded, 1 rejected"), "{out}");
}
