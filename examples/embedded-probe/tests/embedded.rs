//! The objects compiled by `build.rs` are in the crate; they load in the kernel with
//! aya and run with tracerun's library. Kernel tests need root; they skip without
//! it unless `TRACEC_REQUIRE_KERNEL=1`, which makes them fail instead.

use aya::programs::Program;
use aya::Ebpf;

fn required() -> bool {
    std::env::var("TRACEC_REQUIRE_KERNEL").as_deref() == Ok("1")
}

/// Whether a kernel test may go on (root); otherwise skip or, when required, fail.
fn kernel(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        !required(),
        "{test}: needs root, and TRACEC_REQUIRE_KERNEL=1 requires it"
    );
    eprintln!("skipping {test}: needs root");
    false
}

#[test]
fn embedded_objects_are_bpf_elf_files() {
    for (name, bytes) in embedded_probe::all() {
        assert_eq!(&bytes[..4], b"\x7fELF", "{name}");
        // e_machine (offset 18, little endian) is EM_BPF.
        assert_eq!(u16::from_le_bytes([bytes[18], bytes[19]]), 247, "{name}");
        let meta = tracerun::object::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            meta.source_name.ends_with(".bt"),
            "{name}: {}",
            meta.source_name
        );
        assert!(!meta.probes.is_empty(), "{name}");
    }
    // The CI machine (root, tracefs mounted) always embeds procs-new.
    if required() {
        assert!(
            embedded_probe::PROCS_NEW.is_some(),
            "procs-new.bt was not embedded"
        );
    }
}

#[test]
fn every_program_loads_with_aya() {
    if !kernel("every_program_loads_with_aya") {
        return;
    }
    for (name, bytes) in embedded_probe::all() {
        let mut ebpf = Ebpf::load(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut count = 0;
        for (prog_name, prog) in ebpf.programs_mut() {
            let r = match prog {
                Program::RawTracePoint(p) => p.load(),
                Program::TracePoint(p) => p.load(),
                Program::PerfEvent(p) => p.load(),
                other => panic!(
                    "{name}: {prog_name}: unexpected type {:?}",
                    other.prog_type()
                ),
            };
            r.unwrap_or_else(|e| panic!("{name}: {prog_name}: {e}"));
            count += 1;
        }
        assert!(count > 0, "{name}: no programs");
    }
}

#[test]
fn hello_runs_through_tracerun() {
    if !kernel("hello_runs_through_tracerun") {
        return;
    }
    let out = std::env::temp_dir().join(format!("embedded-probe-{}.out", std::process::id()));
    let opts = tracerun::Options {
        object: "hello.o".into(),
        output: Some(out.clone()),
        quiet: true,
        ..Default::default()
    };
    tracerun::run_bytes(embedded_probe::HELLO, &opts).expect("run the embedded object");
    let text = std::fs::read_to_string(&out).expect("tracerun output");
    let _ = std::fs::remove_file(&out);
    assert_eq!(
        text, "hello from an embedded probe\n\n\n@greetings: 1\n",
        "{text:?}"
    );
}

#[test]
fn run_bytes_rejects_what_is_not_an_object() {
    let opts = tracerun::Options {
        object: "garbage.o".into(),
        output: None,
        quiet: true,
        ..Default::default()
    };
    let err = tracerun::run_bytes(b"not an ELF file", &opts).unwrap_err();
    assert!(err.to_string().starts_with("garbage.o: "), "{err}");
}
