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
        pid: None,
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
    std::fs::remove_dir_all(&dir).unwrap();
}

fn run_pid(raw: &str, pid: u32) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let env = Env {
        tracefs: PathBuf::from("/nonexistent/tracefs"),
        btf: None,
        pid: Some(pid),
    };
    expand(&ap(raw), &env)
}

#[test]
fn star_path_names_the_files_of_the_process() {
    let Ok(mut child) = std::process::Command::new("sleep").arg("5").spawn() else {
        return;
    };
    // Wait until the child has exec'ed `sleep` and the loader has mapped libc.
    let maps = format!("/proc/{}/maps", child.id());
    let ready = (0..300).any(|_| {
        let loaded = std::fs::read_to_string(&maps).is_ok_and(|m| m.contains("libc"));
        if !loaded {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        loaded
    });
    assert!(ready, "sleep never mapped libc");
    let probes = run_pid("uretprobe:*:*", child.id()).unwrap();
    let files: std::collections::BTreeSet<&str> = probes
        .iter()
        .filter_map(|p| p.name.strip_prefix("uretprobe:")?.rsplit_once(':'))
        .map(|(file, _)| file)
        .collect();
    // The C library the process maps is among the files, each spelled in full.
    assert!(files.iter().any(|f| f.contains("libc")), "{files:?}");
    assert!(files.iter().all(|f| f.starts_with('/')), "{files:?}");
    assert!(files.len() >= 2, "{files:?}");
    let malloc = probes.iter().find(|p| p.name.ends_with(":malloc")).unwrap();
    assert!(
        matches!(&malloc.attach, Attach::Uprobe { symbol, ret: true, .. } if symbol == "malloc")
    );
    let _ = child.kill();
    let _ = child.wait();
    let e = run_pid("uprobe:*:f*", 4_000_000).unwrap_err();
    assert!(
        e.message.starts_with(
            "error finding uprobe target: cannot read the mappings of process 4000000"
        ),
        "{}",
        e.message
    );
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
