//! End to end: `fentry:bpf:...`/`fexit:bpf:...` on a running tracerun's program
//! (tracerun B resolves tracerun A's tracepoint program by name, then by id), and a
//! module probe whose module is not loaded here. This kernel refuses every
//! `BPF_PROG_TYPE_TRACING` load with `EPERM` (vmlinux functions and BPF targets
//! alike), so B must either run (a kernel that allows it) or fail on exactly that
//! errno, naming A's program as the target it resolved.

use regex::Regex;
use std::time::Duration;
use tracec_tests::*;

/// B's outcome: the lines it printed, or its error (which must be the kernel's
/// `EPERM` on a target matching `target`).
fn run_b(obj: &std::path::Path, target: &Regex) -> Result<String, String> {
    let mut b = Run::start(obj, &[]);
    let code = b.finish(Duration::from_secs(15));
    let (out, err) = (b.stdout_text(), b.stderr_text());
    if code == Some(0) {
        return Ok(out);
    }
    assert!(
        err.contains("Operation not permitted") && target.is_match(&err),
        "want the kernel's EPERM on {target}, got:\n{err}"
    );
    Err(err)
}

#[test]
fn fexit_on_a_running_bpf_program() {
    let Some(_g) = kernel_or_skip("fexit_on_a_running_bpf_program") else {
        return;
    };
    let dir = scratch("btf_targets_bpf");
    let a = compile_text(
        &dir,
        "a",
        "tracepoint:syscalls:sys_enter_getpgid { @n = count(); }",
    );
    let mut run_a = Run::start(&a, &[]);
    run_a.wait_attached();
    // Listed as bpftrace lists running programs, by name and by id.
    let listed = tracec(&["-l", "fexit:bpf:*sys_enter_getpgid*"]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let entry =
        Regex::new(r"(?m)^fexit:bpf:(\d+):tracepoint_syscalls_sys_enter_getpgid_0$").unwrap();
    let id = entry
        .captures(&listed)
        .unwrap_or_else(|| panic!("{listed}"))[1]
        .to_string();
    let by_id = tracec(&["-l", &format!("fentry:bpf:{id}:*")]);
    assert!(
        String::from_utf8_lossy(&by_id.stdout)
            .lines()
            .any(|l| l == format!("fentry:bpf:{id}:tracepoint_syscalls_sys_enter_getpgid_0")),
        "{by_id:?}"
    );
    let by_name = compile_text(
        &dir,
        "b",
        "fexit:bpf:tracepoint_syscalls_sys_enter_getpgid_* { printf(\"bye %s %s\\n\", probe, func); exit(); }",
    );
    let target = Regex::new(r"on bpf:(\d+):tracepoint_syscalls_sys_enter_getpgid_\d+:").unwrap();
    let outcome = run_b(&by_name, &target);
    // The same program by id.
    if let Err(err) = &outcome {
        let id = &target.captures(err).expect("target named")[1];
        let by_id = compile_text(&dir, "c", &format!("fentry:bpf:{id}:* {{ exit(); }}"));
        let exact = Regex::new(&format!(
            r"on bpf:{id}:tracepoint_syscalls_sys_enter_getpgid_\d+:"
        ))
        .unwrap();
        assert!(
            run_b(&by_id, &exact).is_err(),
            "EPERM for one target, not the other"
        );
    }
    run_a.signal(libc::SIGINT);
    run_a.finish(Duration::from_secs(10));
    // Named as bpftrace names the probe it expands to: the program's id and function.
    if let Ok(out) = outcome {
        let fired = Regex::new(
            r"(?m)^bye fexit:bpf:(\d+):(tracepoint_syscalls_sys_enter_getpgid_\d+) (\S+)$",
        )
        .unwrap();
        let c = fired.captures(&out).unwrap_or_else(|| panic!("{out}"));
        assert_eq!(&c[2], &c[3], "func is the target function: {out}");
    }
}

#[test]
fn no_matching_bpf_program_is_an_error() {
    let Some(_g) = kernel_or_skip("no_matching_bpf_program_is_an_error") else {
        return;
    };
    let dir = scratch("btf_targets_none");
    let b = compile_text(&dir, "b", "fentry:bpf:no_program_has_this_name { }");
    let mut run = Run::start(&b, &[]);
    assert_eq!(run.finish(Duration::from_secs(10)), Some(1));
    let err = run.stderr_text();
    assert!(
        err.contains("no running BPF program or subprogram matches no_program_has_this_name"),
        "{err}"
    );
}

/// The kernel's BTF: (number of types with `void`, string section length, id of `int`).
fn vmlinux_facts(v: &[u8]) -> (u32, u32, u32) {
    let u = |at: usize| u32::from_le_bytes(v[at..at + 4].try_into().unwrap());
    let (hdr, toff, tlen, slen) = (u(4) as usize, u(8) as usize, u(12) as usize, u(20));
    let strs = &v[hdr + u(16) as usize..];
    let (mut at, end, mut n, mut int) = (hdr + toff, hdr + toff + tlen, 0u32, 0u32);
    while at < end {
        let (name, info) = (u(at) as usize, u(at + 4));
        let (kind, vlen) = ((info >> 24) & 0x1f, (info & 0xffff) as usize);
        n += 1;
        if kind == 1 && int == 0 && strs[name..].starts_with(b"int\0") {
            int = n;
        }
        at += 12
            + match kind {
                1 | 14 | 17 => 4,
                3 => 12,
                4 | 5 | 15 | 19 => 12 * vlen,
                6 | 13 => 8 * vlen,
                _ => 0,
            };
    }
    (n + 1, slen, int)
}

/// Split BTF of a module `mymod` on top of `vmlinux`: `struct mydev { int id; }` and
/// `int mydev_open(struct mydev *dev)`.
fn module_btf(vmlinux: &[u8]) -> Vec<u8> {
    let (first, base_strs, int) = vmlinux_facts(vmlinux);
    let mut strs = Vec::new();
    let mut s = |x: &str| {
        let off = base_strs + strs.len() as u32;
        strs.extend_from_slice(x.as_bytes());
        strs.push(0);
        off
    };
    let (mydev, id, dev, open) = (s("mydev"), s("id"), s("dev"), s("mydev_open"));
    let words = [
        mydev,
        4 << 24 | 1,
        8,
        id,
        int,
        0, // struct mydev
        0,
        2 << 24,
        first, // struct mydev *
        0,
        13 << 24 | 1,
        int,
        dev,
        first + 1, // int (struct mydev *dev)
        open,
        12 << 24 | 1,
        first + 2, // mydev_open
    ];
    let types: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut out = vec![0x9f, 0xeb, 1, 0];
    for v in [
        24,
        0,
        types.len() as u32,
        types.len() as u32,
        strs.len() as u32,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&types);
    out.extend_from_slice(&strs);
    out
}

#[test]
fn a_module_probe_compiles_and_needs_its_module_loaded() {
    let Some(_g) = kernel_or_skip("a_module_probe_compiles_and_needs_its_module_loaded") else {
        return;
    };
    let Ok(vmlinux) = std::fs::read("/sys/kernel/btf/vmlinux") else {
        return;
    };
    let dir = scratch("btf_targets_module");
    let kdir = dir.join("btf");
    std::fs::create_dir_all(&kdir).unwrap();
    let _ = std::fs::remove_file(kdir.join("vmlinux"));
    std::os::unix::fs::symlink("/sys/kernel/btf/vmlinux", kdir.join("vmlinux")).unwrap();
    std::fs::write(kdir.join("mymod"), module_btf(&vmlinux)).unwrap();
    let src = dir.join("m.bt");
    std::fs::write(
        &src,
        "fentry:mymod:mydev_open { printf(\"%d\\n\", args.dev->id); }",
    )
    .unwrap();
    let obj = dir.join("m.o");
    let btf = kdir.join("vmlinux");
    let out = tracec(&[
        "--btf",
        btf.to_str().unwrap(),
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta = object_metadata(&std::fs::read(&obj).unwrap());
    assert!(
        matches!(&meta.probes[0].attach, tracec_meta::Attach::Fentry { module, .. } if module == "mymod")
    );
    let mut run = Run::start(&obj, &[]);
    assert_eq!(run.finish(Duration::from_secs(10)), Some(1));
    let err = run.stderr_text();
    assert!(
        err.contains("fentry:mymod:mydev_open: kernel module mymod is not loaded"),
        "{err}"
    );
}
