use super::super::usyms::test_elf;
use super::super::{expand, Env};
use super::*;
use crate::front::ast::Span;
use std::path::{Path, PathBuf};

fn ap(raw: &str) -> AttachPoint {
    AttachPoint {
        raw: raw.to_string(),
        parts: raw.split(':').map(str::to_string).collect(),
        span: Span::new(0, raw.len()),
    }
}

fn run(raw: &str) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let env = Env {
        tracefs: PathBuf::from("/nonexistent/tracefs"),
        btf: None,
    };
    expand(&ap(raw), &env)
}

/// A directory with two ELF "binaries" and a script.
fn fixture(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tracec-uwild-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = test_elf(&["uprobeFunction1", "uprobeFunction2", "main", "helper"]);
    std::fs::write(dir.join("prog_one"), prog).unwrap();
    std::fs::write(dir.join("prog_two"), test_elf(&["uprobeFunction9"])).unwrap();
    std::fs::write(dir.join("prog_sh"), "#!/bin/sh\n").unwrap();
    dir
}

fn names(v: &[ExpandedProbe]) -> Vec<&str> {
    v.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn function_wildcards() {
    let dir = fixture("fn");
    let d = dir.display();
    let v = run(&format!("uprobe:{d}/prog_one:uprobeFunction*")).unwrap();
    assert_eq!(
        names(&v),
        [
            format!("uprobe:{d}/prog_one:uprobeFunction1"),
            format!("uprobe:{d}/prog_one:uprobeFunction2"),
        ]
    );
    assert_eq!(
        v[1].attach,
        Attach::Uprobe {
            path: format!("{d}/prog_one"),
            symbol: "uprobeFunction2".into(),
            offset: 0,
            ret: false,
        }
    );
    assert_eq!(
        v[0].context,
        Context::Regs {
            ret: false,
            function: "uprobeFunction1".into()
        }
    );
    assert_eq!(v[0].section, format!("uprobe/{d}/prog_one:uprobeFunction1"));
    assert!(v[0].symbol_stem.ends_with("_prog_one_uprobeFunction1"));
    // `?`, quotes, the short name and uretprobe.
    let v = run(&format!("ur:{d}/prog_one:\"uprobeFunction?\"")).unwrap();
    assert_eq!(v.len(), 2);
    assert!(v[0].name.starts_with("uretprobe:"));
    assert!(matches!(v[0].attach, Attach::Uprobe { ret: true, .. }));
    // Data objects, undefined and zero-address symbols never match.
    let v = run(&format!("uprobe:{d}/prog_one:*")).unwrap();
    let syms: Vec<&str> = v
        .iter()
        .map(|p| p.name.rsplit(':').next().unwrap())
        .collect();
    assert_eq!(
        syms,
        [
            "alias_of_first",
            "helper",
            "main",
            "uprobeFunction1",
            "uprobeFunction2"
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn path_wildcards() {
    let dir = fixture("path");
    let d = dir.display();
    let v = run(&format!("uprobe:{d}/prog_*:uprobeFunction*")).unwrap();
    assert_eq!(
        names(&v),
        [
            format!("uprobe:{d}/prog_one:uprobeFunction1"),
            format!("uprobe:{d}/prog_one:uprobeFunction2"),
            format!("uprobe:{d}/prog_two:uprobeFunction9"),
        ]
    );
    // A wildcard path alone, with an exact function.
    let v = run(&format!("uprobe:{d}/prog_*:main")).unwrap();
    assert_eq!(names(&v), [format!("uprobe:{d}/prog_one:main")]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors() {
    let dir = fixture("err");
    let d = dir.display();
    let raw = format!("uprobe:{d}/prog_one:nothing*");
    let e = run(&raw).unwrap_err();
    assert_eq!(
        e.message,
        format!("No matches for uprobe {d}/prog_one:nothing*.")
    );
    let e = run(&format!("uprobe:{d}/none*:f*")).unwrap_err();
    assert!(
        e.message.starts_with("No matches for uprobe"),
        "{}",
        e.message
    );
    let e = run("uprobe:/nonexistent/bin:f*").unwrap_err();
    assert_eq!(
        e.message,
        "uprobe target file '/nonexistent/bin' does not exist or is not executable"
    );
    let e = run(&format!("uprobe:{d}/prog_sh:f*")).unwrap_err();
    assert!(e.message.contains("not an ELF file"), "{}", e.message);
    let e = run(&format!("uprobe:{d}/prog_one:f*+4")).unwrap_err();
    assert!(e.message.contains("offset cannot be used"), "{}", e.message);
    let e = run("uprobe:*:f*").unwrap_err();
    assert!(e.message.contains("not supported yet"), "{}", e.message);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn library_names_resolve() {
    // A bare library name is looked up in ld.so.cache, as bpftrace does.
    let files = upath::resolve("libc");
    if files.is_empty() || !Path::new("/etc/ld.so.cache").exists() {
        return;
    }
    let v = run("uprobe:libc:malloc_usable_s*").unwrap();
    assert_eq!(v.len(), 1);
    assert!(
        v[0].name.starts_with("uprobe:/") && v[0].name.ends_with(":malloc_usable_size"),
        "{}",
        v[0].name
    );
}
