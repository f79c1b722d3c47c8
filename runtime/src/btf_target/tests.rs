//! Type lookups in hand-encoded base and split blobs, and the errors of targets
//! that do not exist on this host.

use super::*;
use tracec_meta::btf_names::{Blob, KIND_FUNC, KIND_TYPEDEF};

/// A little-endian blob: `types` records, `strings` (the caller's offsets).
fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
    let tl = (types.len() * 4) as u32;
    let mut out = vec![0x9f, 0xeb, 1, 0];
    for v in [24, 0, tl, tl, strings.len() as u32] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for t in types {
        out.extend_from_slice(&t.to_le_bytes());
    }
    out.extend_from_slice(strings);
    out
}

/// Base: 1 `int` (INT), 2 `f` (FUNC -> 3), 3 FUNC_PROTO returning 1 with one param.
fn base() -> Vec<u8> {
    blob(
        &[
            1,
            1 << 24,
            4,
            32, // int
            5,
            12 << 24 | 1,
            3, // FUNC f
            0,
            13 << 24 | 1,
            1,
            0,
            1, // proto (int)
        ],
        b"\0int\0f\0",
    )
}

#[test]
fn finds_types_in_a_blob_and_in_split_blobs() {
    let base_bytes = base();
    let b = Blob::parse(&base_bytes).unwrap();
    assert_eq!(b.count(), 4);
    assert_eq!(b.find("f", KIND_FUNC, None), Some(2));
    assert_eq!(b.find("int", KIND_FUNC, None), None);
    assert_eq!(b.name(2).as_deref(), Some("f"));
    assert_eq!(b.name(9), None);
    // Split: ids from 4, string offsets from 7 (the base's string section length).
    // 4 `m_open` (FUNC -> 3), 5 `btf_trace_ev` (TYPEDEF -> 1), 6 `f` (FUNC -> 3).
    let split_bytes = blob(
        &[
            7,
            12 << 24 | 1,
            3, // m_open
            14,
            8 << 24,
            1, // btf_trace_ev
            5,
            12 << 24 | 1,
            3, // f: a base name
        ],
        b"m_open\0btf_trace_ev\0",
    );
    let s = Blob::parse(&split_bytes).unwrap();
    assert_eq!(s.find("m_open", KIND_FUNC, Some(&b)), Some(4));
    assert_eq!(s.find("btf_trace_ev", KIND_TYPEDEF, Some(&b)), Some(5));
    assert_eq!(s.find("f", KIND_FUNC, Some(&b)), Some(6));
    assert_eq!(s.find("int", KIND_FUNC, Some(&b)), None);
    // Merged into one blob, the split ids and names stay what they were.
    let merged = tracec_meta::btf_names::merge(&b, &s);
    let m = Blob::parse(&merged).unwrap();
    assert_eq!(m.count(), 7);
    assert_eq!(m.find("m_open", KIND_FUNC, None), Some(4));
    assert_eq!(m.find("btf_trace_ev", KIND_TYPEDEF, None), Some(5));
    assert_eq!(m.name(2).as_deref(), Some("f"));
    assert!(aya::Btf::parse(&merged, aya::Endianness::default()).is_ok());
}

#[test]
fn malformed_blobs_are_errors() {
    let good = base();
    for len in 0..good.len() {
        let _ = Blob::parse(&good[..len]);
    }
    assert!(Blob::parse(b"\x9f\xeb").is_err());
    let mut bad = good.clone();
    bad[24 + 4 + 3] = 31; // an unknown kind
    assert!(Blob::parse(&bad).is_err());
}

#[test]
fn only_targeted_probes_are_loaded_here() {
    let fentry = |module: &str| Attach::Fentry {
        function: "f".into(),
        ret: false,
        module: module.into(),
    };
    assert!(!handles(&fentry("")));
    assert!(handles(&fentry("mymod")));
    assert!(handles(&Attach::FentryBpf {
        id: 0,
        pattern: "*".into(),
        ret: true
    }));
    assert!(!handles(&Attach::RawTracepoint {
        name: "x".into(),
        module: String::new()
    }));
}

#[test]
fn targets_that_do_not_exist_are_named() {
    let e = targets(&fentry_in("no_such_module_here")).err().unwrap();
    assert!(
        e.contains("kernel module no_such_module_here is not loaded"),
        "{e}"
    );
    let e = targets(&Attach::FentryBpf {
        id: u32::MAX,
        pattern: "*".into(),
        ret: false,
    })
    .err()
    .unwrap();
    assert!(
        e.contains(&format!("no running BPF program with id {}", u32::MAX)),
        "{e}"
    );
}

fn fentry_in(module: &str) -> Attach {
    Attach::Fentry {
        function: "f".into(),
        ret: false,
        module: module.into(),
    }
}

#[test]
fn bpf_targets_are_named_with_their_program_id() {
    let n = bpf_target_name("fexit", 42, "handle_exec");
    assert_eq!(n.probe, "fexit:bpf:42:handle_exec");
    assert_eq!(n.func, "handle_exec");
}

#[test]
fn run_time_names_follow_the_objects_own() {
    // Other tests may have named targets already: indices continue after them, and
    // a name given twice keeps its first index.
    let base = 1000;
    let a = bpf_target_name("fentry", 7, "run_time_names_test_a");
    let b = bpf_target_name("fentry", 8, "run_time_names_test_b");
    let ia = name_cookie(base, a.clone());
    let ib = name_cookie(base, b.clone());
    assert_eq!(ib, ia + 1);
    assert_eq!(name_cookie(base, a.clone()), ia);
    let names = run_time_names();
    assert_eq!(names[(ia - base as u64) as usize], a);
    assert_eq!(names[(ib - base as u64) as usize], b);
}
