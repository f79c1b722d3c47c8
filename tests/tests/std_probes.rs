//! The std-probes library (`std-probes/*.bt`): every script has its header (name, usage,
//! example output), compiles, and passes the kernel verifier; the scripts whose probes
//! attach here run end to end (in `std_probes/`): the test triggers the event and checks
//! the output.

#[path = "std_probes/common.rs"]
mod common;
#[path = "std_probes/net_mem.rs"]
mod net_mem;
#[path = "std_probes/procs_files.rs"]
mod procs_files;
#[path = "std_probes/sched_io.rs"]
mod sched_io;

use std::path::PathBuf;
use tracec_tests::*;

/// Every script in `std-probes/`, sorted by name.
fn scripts() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(workspace().join("std-probes"))
        .expect("std-probes/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "bt"))
        .collect();
    v.sort();
    v
}

fn stem(p: &std::path::Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Problems with a script's header comment (empty when it is well formed).
fn header_problems(name: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    // The header is the first comment block; its lines start with " *".
    let Some(start) = text.find("/*") else {
        return vec!["no /* ... */ header comment".into()];
    };
    let Some(len) = text[start..].find("*/") else {
        return vec!["the header comment is not closed".into()];
    };
    let before = &text[..start];
    if before
        .lines()
        .any(|l| !l.trim().is_empty() && !l.starts_with("#!"))
    {
        problems.push("code comes before the header comment".into());
    }
    let header: Vec<&str> = text[start..start + len].lines().collect();
    let title = format!(" * {name}.bt - ");
    if !header.iter().any(|l| l.starts_with(&title)) {
        problems.push(format!("no title line `{title}<what it shows>`"));
    }
    if !header.iter().any(|l| l.starts_with(" * Shows ")) {
        problems.push("no ` * Shows ...` description".into());
    }
    let usage = format!(" * Usage: tracec {name}.bt -o {name}.o && tracerun {name}.o");
    if !header.iter().any(|l| l.starts_with(&usage)) {
        problems.push(format!("no usage line `{usage}`"));
    }
    match header.iter().position(|l| *l == " * Example output:") {
        None => problems.push("no ` * Example output:` section".into()),
        Some(i) => {
            let example: Vec<&&str> = header[i + 1..]
                .iter()
                .take_while(|l| l.starts_with(" *"))
                .filter(|l| l.starts_with(" *   ") && !l.trim_start_matches(" *").trim().is_empty())
                .collect();
            if example.is_empty() {
                problems.push("the example output is empty".into());
            }
            if example
                .iter()
                .any(|l| l.contains("TBD") || l.trim_start_matches(" *").trim() == "...")
            {
                problems.push("the example output has a placeholder".into());
            }
        }
    }
    problems
}

#[test]
fn the_library_has_at_least_twenty_scripts_beyond_the_first_three() {
    let names: Vec<String> = scripts().iter().map(|p| stem(p)).collect();
    for first in ["procs-new", "opens-failed", "oncpu-comm"] {
        assert!(names.iter().any(|n| n == first), "{first}.bt is missing");
    }
    assert!(names.len() >= 23, "only {} scripts: {names:?}", names.len());
}

#[test]
fn every_script_has_a_header_with_usage_and_example() {
    let mut bad = Vec::new();
    for p in scripts() {
        let text = std::fs::read_to_string(&p).unwrap();
        for why in header_problems(&stem(&p), &text) {
            bad.push(format!("{}: {why}", p.display()));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_header_check_rejects_bad_headers() {
    let good = "/*\n * x.bt - a thing.\n *\n * Shows a thing.\n *\n * Usage: tracec x.bt -o x.o && tracerun x.o\n *\n * Example output:\n *   @a: 1\n */\nBEGIN {}\n";
    assert_eq!(header_problems("x", good), Vec::<String>::new());
    assert_eq!(header_problems("x", "BEGIN {}\n").len(), 1);
    let no_example = good.replace(" *   @a: 1\n", "");
    assert!(header_problems("x", &no_example)
        .iter()
        .any(|p| p.contains("empty")));
    let wrong_name = header_problems("y", good);
    assert!(
        wrong_name.iter().any(|p| p.contains("title")),
        "{wrong_name:?}"
    );
    assert!(
        wrong_name.iter().any(|p| p.contains("usage")),
        "{wrong_name:?}"
    );
    let late = format!("BEGIN {{}}\n{good}");
    assert!(header_problems("x", &late)
        .iter()
        .any(|p| p.contains("before")));
}

#[test]
fn every_script_compiles_and_passes_the_verifier() {
    let Some(_k) = kernel_or_skip("std_probes_verify") else {
        return;
    };
    let dir = scratch("std-probes-verify");
    let mut bad = Vec::new();
    for p in scripts() {
        let name = stem(&p);
        let obj = dir.join(format!("{name}.o"));
        let c = tracec(&[p.to_str().unwrap(), "-o", obj.to_str().unwrap()]);
        if !c.status.success() {
            bad.push(format!(
                "{name}: tracec failed:\n{}",
                String::from_utf8_lossy(&c.stderr)
            ));
            continue;
        }
        let v = std::process::Command::new(bin("tracerun"))
            .arg("--verify")
            .arg(&obj)
            .output()
            .unwrap();
        let out =
            String::from_utf8_lossy(&v.stdout).into_owned() + &String::from_utf8_lossy(&v.stderr);
        let all_loaded = out.lines().any(|l| {
            l.contains(" loaded, 0 rejected")
                && l.split(' ').next() == l.split(": ").nth(1).and_then(|r| r.split(' ').next())
        });
        if !v.status.success() || !all_loaded {
            bad.push(format!("{name}: tracerun --verify:\n{out}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
