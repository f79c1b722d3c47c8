//! Scripts from the wild, tenth corpus: one-liners from READMEs, runbooks and shell
//! scripts (`bpftrace -e '...'`). The scripts here are our own, written after the
//! patterns those showed.

use std::time::Duration;
use tracec_tests::*;

const LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";

/// A uprobe on libc's `malloc` fires for tracerun's own allocations: every record it
/// reads makes another, so the ring never empties. SIGINT must still end the session
/// promptly, with the events printed so far.
#[test]
fn sigint_ends_a_probe_that_feeds_on_tracerun_itself() {
    let Some(_k) = kernel_or_skip("wild10_malloc_flood") else {
        return;
    };
    if !std::path::Path::new(LIBC).exists() {
        eprintln!("skipped: no {LIBC}");
        return;
    }
    let dir = scratch("wild10_malloc_flood");
    let script = format!(
        "uprobe:{LIBC}:malloc /comm == \"tracerun\"/ {{ printf(\"malloc(%d) by %s\\n\", arg0, comm); }}\n"
    );
    let obj = compile_text(&dir, "flood", &script);
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    assert!(
        run.wait_stdout(Duration::from_secs(10), |l| l.starts_with("malloc(")
            && l.ends_with(") by tracerun")),
        "no malloc event printed; stderr:\n{}",
        run.stderr_text()
    );
    run.signal(libc::SIGINT);
    // Before the event loop bounded its reads, this never returned.
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    let out = run.stdout_text();
    assert!(out.lines().any(|l| l.starts_with("malloc(")), "{out}");
}

/// A pointer used as a map key prints in hex, as bpftrace prints it (the one-liner
/// `tracepoint:timer:hrtimer_start { @[args->function] = count(); }` counts by the
/// timer callback's address); `uptr(n)` of an integer stays an integer, and a key an
/// integer typed first stays decimal.
#[test]
fn pointer_map_keys_print_in_hex() {
    let Some(_k) = kernel_or_skip("wild10_pointer_keys") else {
        return;
    };
    let script = "BEGIN { @k[(int8 *)0x10] = 1; @t[(uint32 *)0x20, 3] = 2; \
                  @m[5] = 1; @m[(int8 *)0x30] = 2; @u[uptr(7)] = 1; exit(); }\n";
    let run = run_to_exit("wild10_pointer_keys", script, &[]);
    assert_eq!(
        run.stdout_text(),
        "\n\n@k[0x10]: 1\n@m[5]: 1\n@m[48]: 2\n@t[0x20, 3]: 2\n@u[7]: 1\n"
    );
}

#[test]
fn tracepoint_pointer_fields_key_maps_in_hex() {
    let Some(_k) = kernel_or_skip("wild10_tracepoint_pointer_keys") else {
        return;
    };
    // hrtimers start all the time; the key is the callback's kernel address (other
    // CPUs may count a few more before exit() is seen).
    let script = "tracepoint:timer:hrtimer_start { @[args->function] = count(); exit(); }\n";
    let run = run_to_exit("wild10_tracepoint_pointer_keys", script, &[]);
    let out = run.stdout_text();
    assert!(
        out.lines()
            .any(|l| l.starts_with("@[0xffff") && l.contains("]: ")),
        "{out}"
    );
}

/// `uprobe:bash:readline`, as READMEs write it: a bare name is an executable of
/// `$PATH` (the compiler names the probe `uprobe:/usr/bin/bash:...`), and tracerun
/// finds the same file when it attaches (it looked in the library cache only).
#[test]
fn a_bare_executable_name_attaches_through_path() {
    let Some(_k) = kernel_or_skip("wild10_bare_executable") else {
        return;
    };
    let o = tracec(&["-l", "uprobe:bash:main"]);
    let listed = String::from_utf8_lossy(&o.stdout).to_string();
    let Some(bash) = listed
        .lines()
        .find_map(|l| l.strip_prefix("uprobe:")?.strip_suffix(":main"))
    else {
        eprintln!("skipped: no bash with a main symbol in $PATH");
        return;
    };
    let script = "uprobe:bash:main { printf(\"%s %s\\n\", probe, comm); exit(); }\n";
    let run = run_to_exit("wild10_bare_executable", script, &["-c", "bash -c true"]);
    assert_eq!(
        run.stdout_text(),
        format!("uprobe:{bash}:main bash\n\n\n"),
        "{}",
        run.stderr_text()
    );
}

/// `uprobe:libc:str* { @[func] = count(); }`: a wildcard naming ~100 functions of
/// libc, whose separate debug file is compressed DWARF. The compiler read that DWARF
/// once per function (about a second each; `uprobe:libc:*` took over ten minutes);
/// it reads it once per file now (timings in BENCHMARKS.md, "Compile time and memory"; a timed
/// test would depend on the machine). Here: every function becomes a probe.
#[test]
fn a_wildcard_uprobe_on_libc_compiles_every_function() {
    let dir = scratch("wild10_wildcard_dwarf");
    let src = dir.join("w.bt");
    std::fs::write(&src, "uprobe:libc:str* { @[func] = count(); }\n").unwrap();
    let listed = tracec(&["-l", "uprobe:libc:str*"]);
    let n = String::from_utf8_lossy(&listed.stdout).lines().count();
    if n < 20 {
        eprintln!("skipped: libc has {n} str* functions here");
        return;
    }
    let out = dir.join("w.o");
    let o = tracec(&[src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let meta = object_metadata(&std::fs::read(&out).unwrap());
    assert_eq!(meta.probes.len(), n, "{:?}", meta.probes.first());
}
