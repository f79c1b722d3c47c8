//! Snapshot tests of the IR text and the BPF assembly for representative scripts: the
//! std-probes of issue #2 and the scripts in `tests/scripts/`. They document what the
//! compiler emits; a change in codegen shows up here as a reviewed snapshot diff
//! (`cargo insta review`).

use std::path::{Path, PathBuf};

fn fixture_tracefs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tracefs")
}

fn compile(path: &Path) -> tracec::Compiled {
    let source = std::fs::read_to_string(path).unwrap();
    let opts = tracec::Options {
        source_name: path.file_name().unwrap().to_string_lossy().into_owned(),
        tracefs: fixture_tracefs(),
        ..Default::default()
    };
    tracec::compile(&source, &opts).unwrap_or_else(|d| {
        panic!(
            "{}",
            tracec::diag::render(&opts.source_name, &source, &d, false)
        )
    })
}

fn snapshot(name: &str, path: PathBuf) {
    let c = compile(&path);
    insta::assert_snapshot!(format!("{name}_ir"), c.ir.to_string());
    let asm: String = c
        .functions
        .iter()
        .map(|f| tracec::back::asm::format(f, &c.ir) + "\n")
        .collect();
    insta::assert_snapshot!(format!("{name}_asm"), asm);
}

fn std_probe(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../std-probes")
        .join(name)
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scripts")
        .join(name)
}

#[test]
fn procs_new() {
    snapshot("procs_new", std_probe("procs-new.bt"));
}

#[test]
fn opens_failed() {
    snapshot("opens_failed", std_probe("opens-failed.bt"));
}

#[test]
fn predicate_ternary() {
    snapshot("predicate_ternary", script("predicate-ternary.bt"));
}

#[test]
fn aggregations() {
    snapshot("aggregations", script("aggregations.bt"));
}

#[test]
fn strings() {
    snapshot("strings", script("strings.bt"));
}

#[test]
fn shared_probe() {
    let c = compile(&script("shared-probe.bt"));
    // Five attach points, three programs: the wildcard's and the comma list's are shared.
    assert_eq!(c.metadata.probes.len(), 5);
    let programs: std::collections::BTreeSet<_> = c
        .metadata
        .probes
        .iter()
        .map(|p| p.program.as_str())
        .collect();
    assert_eq!(programs.len(), 3);
    assert_eq!(c.functions.len(), 3);
    let cookies: Vec<_> = c.metadata.probes.iter().map(|p| p.cookie).collect();
    assert!(cookies[..4].iter().all(Option::is_some), "{cookies:?}");
    assert_eq!(cookies[4], None);
    for p in &c.metadata.probes {
        let i = p.cookie.unwrap_or(0) as usize;
        if p.cookie.is_some() {
            assert_eq!(c.metadata.attach_names[i].probe, p.name);
        }
    }
    snapshot("shared_probe", script("shared-probe.bt"));
}

#[test]
fn begin_end() {
    snapshot("begin_end", script("begin-end.bt"));
}

#[test]
fn map_increments() {
    snapshot("map_increments", script("map-increments.bt"));
}

#[test]
fn stacks() {
    snapshot("stacks", script("stacks.bt"));
}
