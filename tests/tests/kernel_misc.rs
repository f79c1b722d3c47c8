//! End to end: kprobes at a bare address (`--unsafe`, bpftrace's names and messages).

use tracec_tests::*;

#[test]
fn a_kprobe_address_needs_unsafe() {
    let err = compile_error("kprobe-addr-safe", "kprobe:0x12345678 {}");
    assert!(
        err.contains("Probing by address requires --unsafe"),
        "{err}"
    );
}

#[test]
fn a_kprobe_address_compiles_with_unsafe_and_fails_to_attach_clearly() {
    let dir = scratch("kprobe-addr");
    let src = dir.join("a.bt");
    std::fs::write(&src, "kretprobe:0x12345678 { printf(\"%s\\n\", probe); }").unwrap();
    let obj = dir.join("a.o");
    let o = tracec(&[
        "--unsafe",
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let meta = object_metadata(&std::fs::read(&obj).unwrap());
    let p = &meta.probes[0];
    assert_eq!(p.name, "kretprobe:305419896");
    assert_eq!(p.section, "kretprobe");
    assert_eq!(
        p.attach,
        tracec_meta::Attach::Kprobe {
            function: String::new(),
            offset: 0x1234_5678,
            ret: true
        }
    );
    let Some(_k) = kernel_or_skip("kprobe_addr_attach") else {
        return;
    };
    // No kernel code at that address (and no kprobes on some hosts): bpftrace's line.
    let o = run_cmd(bin("tracerun").to_str().unwrap(), &[obj.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Unable to attach probe: kretprobe:305419896."),
        "{err}"
    );
    assert!(err.contains("address 0x12345678"), "{err}");
}
