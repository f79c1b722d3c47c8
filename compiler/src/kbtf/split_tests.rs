//! Split BTF: module blobs built with [`Btf::split_blob`] on a hand-encoded base,
//! read back, stacked, and refused when malformed.

use super::tests::sample;
use super::*;

fn base() -> Btf {
    Btf::from_bytes(sample().0).unwrap()
}

/// A module with `struct <prefix>_dev { int id; struct <prefix>_dev *next; task *t }`,
/// `int <prefix>_open(struct <prefix>_dev *dev, pid_t pid)` and the raw tracepoint
/// typedef `btf_trace_<prefix>_event`.
fn module_types(base: &Btf, prefix: &str) -> Vec<LocalType> {
    let first = base.len();
    let int = base.find("int", Kind::Int).unwrap();
    let pid_t = base.find_typedef("pid_t").unwrap();
    let task = base.find_struct("task").unwrap();
    let (dev, ptr_dev, ptr_task, proto, _func, tp_proto, tp_ptr) = (
        first,
        first + 1,
        first + 2,
        first + 3,
        first + 4,
        first + 5,
        first + 6,
    );
    vec![
        LocalType::Record {
            name: format!("{prefix}_dev"),
            union: false,
            size: 24,
            members: vec![
                ("id".into(), int, 0, 0),
                ("next".into(), ptr_dev, 64, 0),
                ("t".into(), ptr_task, 128, 0),
            ],
        },
        LocalType::Ptr { target: dev },
        LocalType::Ptr { target: task },
        LocalType::Proto {
            ret: int,
            params: vec![("dev".into(), ptr_dev), ("pid".into(), pid_t)],
        },
        LocalType::Func {
            name: format!("{prefix}_open"),
            proto,
        },
        LocalType::Proto {
            ret: 0,
            params: vec![("__data".into(), ptr_task), ("dev".into(), ptr_dev)],
        },
        LocalType::Ptr { target: tp_proto },
        LocalType::Typedef {
            name: format!("btf_trace_{prefix}_event"),
            target: tp_ptr,
        },
    ]
}

#[test]
fn a_module_continues_the_kernel_ids_and_strings() {
    let base = base();
    let blob = base.split_blob(&module_types(&base, "m")).unwrap();
    // The blob's own string section does not start with the empty string: its
    // offsets continue the base's.
    let btf = base.with_module("mmod", &blob).unwrap();
    let first = base.len();
    assert_eq!(btf.len(), first + 8);
    assert_eq!(btf.base_len(), first);
    assert_eq!(btf.module_ids("mmod"), Some(first..first + 8));
    assert_eq!(btf.module_of(first + 3), Some("mmod"));
    assert_eq!(btf.module_of(1), None);
    assert!(!btf.is_local(first), "module types are kernel types");

    let dev = btf.find_struct("m_dev").unwrap();
    assert_eq!(dev, first);
    let id = btf.member(dev, "id").unwrap().unwrap();
    assert_eq!(btf.type_name(id.ty), "int");
    let t = btf.member(dev, "t").unwrap().unwrap();
    assert_eq!(btf.type_name(t.ty), "struct task *");
    let next = btf.member(dev, "next").unwrap().unwrap();
    assert_eq!(btf.type_name(next.ty), "struct m_dev *");

    let f = btf.find("m_open", Kind::Func).unwrap();
    let proto = btf.ty(f).unwrap().raw_type();
    let params: Vec<(String, String)> = btf
        .ty(proto)
        .unwrap()
        .params()
        .map(|p| (p.name.to_string(), btf.type_name(p.ty)))
        .collect();
    assert_eq!(
        params,
        [
            ("dev".to_string(), "struct m_dev *".to_string()),
            ("pid".to_string(), "pid_t".to_string())
        ]
    );
    assert!(btf.find_typedef("btf_trace_m_event").is_some());
    // Kernel lookups still work, and find nothing in the module by mistake.
    assert!(btf.find_struct("task").is_some_and(|id| id < first));
    assert_eq!(btf.find("m_open", Kind::Struct), None);
}

#[test]
fn modules_stack_with_their_ids_moved() {
    let base = base();
    let a = base.split_blob(&module_types(&base, "a")).unwrap();
    let b = base.split_blob(&module_types(&base, "b")).unwrap();
    let btf = base.with_module("amod", &a).unwrap();
    let btf = btf.with_module("bmod", &b).unwrap();
    let first = base.len();
    assert_eq!(btf.module_ids("amod"), Some(first..first + 8));
    assert_eq!(btf.module_ids("bmod"), Some(first + 8..first + 16));
    let dev = btf.find_struct("b_dev").unwrap();
    assert_eq!(dev, first + 8);
    let next = btf.member(dev, "next").unwrap().unwrap();
    assert_eq!(btf.type_name(next.ty), "struct b_dev *");
    let t = btf.member(dev, "t").unwrap().unwrap();
    assert_eq!(btf.type_name(t.ty), "struct task *");
    let f = btf.find("b_open", Kind::Func).unwrap();
    assert_eq!(btf.module_of(f), Some("bmod"));
    let proto = btf.ty(f).unwrap().raw_type();
    let first_param = btf.ty(proto).unwrap().params().next().unwrap();
    assert_eq!(btf.type_name(first_param.ty), "struct b_dev *");
    // Adding a module again changes nothing.
    assert_eq!(btf.with_module("amod", &a).unwrap().len(), btf.len());
    // Script types come after the modules and are the only local ones.
    let s = btf
        .with_local(&[LocalType::Fwd {
            name: "mine".into(),
            union: false,
        }])
        .unwrap();
    assert!(s.is_local(first + 16));
    assert!(!s.is_local(first + 8));
    assert_eq!(s.modules(), btf.modules());
    assert!(s.with_module("cmod", &a).is_err(), "modules go first");
}

#[test]
fn malformed_module_blobs_are_refused() {
    let base = base();
    let good = base.split_blob(&module_types(&base, "m")).unwrap();
    // Every truncation is an error or a smaller valid blob, never a panic.
    for len in 0..good.len() {
        let _ = base.with_module("m", &good[..len]);
    }
    assert!(base.with_module("m", b"not btf").is_err());
    // A reference past the module's last type.
    let mut bad = base.split_blob(&[LocalType::Ptr { target: 1 }]).unwrap();
    let at = 24 + 8; // the pointer's target
    bad[at..at + 4].copy_from_slice(&(base.len() + 5).to_le_bytes());
    let e = base.with_module("m", &bad).unwrap_err();
    assert!(e.0.contains("missing type"), "{e}");
    // A name past the end of the strings.
    let mut bad = good.clone();
    bad[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(base.with_module("m", &bad).is_err());
}

#[test]
fn the_kernel_registry_reads_modules_beside_vmlinux() {
    let dir = std::env::temp_dir().join(format!("tracec-kbtf-split-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (blob, _) = sample();
    let vmlinux = dir.join("vmlinux");
    std::fs::write(&vmlinux, &blob).unwrap();
    let base = Btf::from_bytes(blob).unwrap();
    std::fs::write(
        dir.join("regmod"),
        base.split_blob(&module_types(&base, "r")).unwrap(),
    )
    .unwrap();
    assert_eq!(module_path(&vmlinux, "regmod"), dir.join("regmod"));
    assert!(kernel_with_module(&vmlinux, "nosuch").unwrap().is_none());
    assert!(kernel_with_module(&vmlinux, "../x").unwrap().is_none());
    let with = kernel_with_module(&vmlinux, "regmod").unwrap().unwrap();
    assert!(with.find("r_open", Kind::Func).is_some());
    // Later readers of the kernel's BTF see the module too.
    let k = kernel(&vmlinux).unwrap();
    assert_eq!(k.module_ids("regmod"), with.module_ids("regmod"));
    let _ = std::fs::remove_dir_all(&dir);
}
