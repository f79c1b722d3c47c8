//! Compile bpftrace scripts with the `tracec` library and leave the objects in
//! `OUT_DIR`, where `src/lib.rs` embeds them with `include_bytes!`.
//!
//! * `std-probes/oncpu-comm.bt` and `probes/hello.bt` need no tracefs: they always
//!   build, as any user.
//! * `std-probes/procs-new.bt` has a tracepoint, whose argument layout is read from
//!   tracefs at build time. When tracefs cannot be read (a build without root, or in
//!   a container), the object is left out with a cargo warning, and
//!   `embedded_probe::PROCS_NEW` is `None`. `TRACEC_TRACEFS` points to another
//!   tracefs root.
//!
//! A script error fails the build with the compiler's own messages.

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let std_probes = manifest.join("../../std-probes");
    println!("cargo::rerun-if-env-changed=TRACEC_TRACEFS");
    println!("cargo::rustc-check-cfg=cfg(has_procs_new)");
    let tracefs = std::env::var_os("TRACEC_TRACEFS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/sys/kernel/tracing"));

    compile(
        &std_probes.join("oncpu-comm.bt"),
        &out.join("oncpu-comm.o"),
        &tracefs,
    );
    compile(
        &manifest.join("probes/hello.bt"),
        &out.join("hello.o"),
        &tracefs,
    );

    let execve = tracefs.join("events/syscalls/sys_enter_execve/format");
    if std::fs::read(&execve).is_ok() {
        compile(
            &std_probes.join("procs-new.bt"),
            &out.join("procs-new.o"),
            &tracefs,
        );
        println!("cargo::rustc-cfg=has_procs_new");
    } else {
        println!(
            "cargo::warning=cannot read {}: procs-new.bt is not embedded (build as root with tracefs mounted, or set TRACEC_TRACEFS)",
            execve.display()
        );
    }
}

/// Compile `script` into `object`, or fail the build with the diagnostics.
fn compile(script: &Path, object: &Path, tracefs: &Path) {
    println!("cargo::rerun-if-changed={}", script.display());
    let source = std::fs::read_to_string(script)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", script.display()));
    let options = tracec::Options::new(script.display().to_string()).with_tracefs(tracefs);
    let compiled = match tracec::compile(&source, &options) {
        Ok(c) => c,
        Err(diags) => panic!("\n{}", tracec::render(&source, &options, &diags)),
    };
    for line in tracec::render(&source, &options, &compiled.warnings).lines() {
        println!("cargo::warning={line}");
    }
    std::fs::write(object, &compiled.object)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", object.display()));
}
