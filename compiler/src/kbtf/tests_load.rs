//! Loading (mapped or read), lookup by name against a hash of every name, and
//! script types appended without copying the base.

use super::tests::sample;
use super::*;

/// A file under the temporary directory, removed on drop.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn with(name: &str, bytes: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!("tracec-kbtf-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Every type's kind and name.
fn summary(btf: &Btf) -> Vec<(Kind, String)> {
    btf.types()
        .map(|t| (t.kind(), t.name().to_string()))
        .collect()
}

#[test]
fn a_file_is_mapped_or_read_with_the_same_result() {
    let (blob, _) = sample();
    let file = TempFile::with("sample.btf", &blob);
    let mapped = Btf::load_with(&file.0, true).unwrap();
    let read = Btf::load_with(&file.0, false).unwrap();
    assert!(mapped.is_mapped(), "a regular file can be mapped");
    assert!(!read.is_mapped());
    assert_eq!(summary(&mapped), summary(&read));
    assert_eq!(summary(&mapped), summary(&Btf::from_bytes(blob).unwrap()));
    assert_eq!(mapped.find_struct("task"), read.find_struct("task"));
    assert!(mapped.find_struct("task").is_some());
}

#[test]
fn files_that_cannot_be_mapped_are_read() {
    // procfs files report a size of 0: nothing to map, the contents are read.
    let b = blob::Blob::open(Path::new("/proc/self/status"), true).unwrap();
    assert!(!b.is_mapped());
    assert!(b.starts_with(b"Name:"));
    // An empty file cannot be mapped either; it is not BTF.
    let empty = TempFile::with("empty.btf", b"");
    assert!(!blob::Blob::open(&empty.0, true).unwrap().is_mapped());
    assert!(Btf::load(&empty.0).is_err());
    let missing = Btf::load(Path::new("/nonexistent/btf")).unwrap_err();
    assert!(
        missing.0.contains("cannot read /nonexistent/btf"),
        "{missing}"
    );
}

#[test]
fn shared_loads_share_one_parse() {
    let (blob, _) = sample();
    let file = TempFile::with("shared.btf", &blob);
    let a = Btf::load_shared(&file.0).unwrap();
    let b = Btf::load_shared(&file.0).unwrap();
    assert!(Arc::ptr_eq(&a.base, &b.base));
    assert_eq!(summary(&a), summary(&b));
}

/// [`index::lookup`] finds exactly what hashing every name finds, for every name
/// (`limit`: at most that many names, spread over the type ids).
fn lookup_matches_hashing(btf: &Btf, limit: usize) {
    let all = index::ids_by_hashing(btf);
    let mut names: Vec<&&str> = all.keys().collect();
    names.sort();
    let step = (names.len() / limit.max(1)).max(1);
    for name in names.iter().step_by(step) {
        assert_eq!(&index::lookup(btf, name), &all[**name], "{name}");
    }
    for absent in ["", "no_such_type_anywhere", "task\0x"] {
        assert!(index::lookup(btf, absent).is_empty(), "{absent:?}");
    }
    // Through the cache: the first lookups scan, later ones use the complete index
    // (listing every kernel function looks up tens of thousands of names).
    let mut cache = index::NameCache::default();
    for name in names.iter().step_by(step).chain(names.iter().step_by(step)) {
        assert_eq!(&cache.lookup(btf, name), &all[**name], "{name}");
    }
    for absent in ["", "no_such_type_anywhere", "task\0x"] {
        assert!(cache.lookup(btf, absent).is_empty(), "{absent:?}");
    }
}

#[test]
fn lookup_by_name_agrees_with_a_hash_of_every_name() {
    let (blob, _) = sample();
    let btf = Btf::from_bytes(blob).unwrap();
    lookup_matches_hashing(&btf, usize::MAX);
    // A suffix of a name is not that name.
    assert!(btf.find_all("ask").is_empty());
    assert!(!btf.find_all("task").is_empty());
}

#[test]
fn lookup_by_name_on_the_running_kernel() {
    let path = Path::new(VMLINUX_BTF);
    let Ok(btf) = Btf::load(path) else {
        eprintln!("skipping: {VMLINUX_BTF} is not readable");
        return;
    };
    eprintln!("vmlinux mapped: {}", btf.is_mapped());
    let read = Btf::load_with(path, false).unwrap();
    assert_eq!(btf.len(), read.len());
    lookup_matches_hashing(&btf, 200);
    for name in [
        "task_struct",
        "u32",
        "sk_buff",
        "trace_event_raw_sched_switch",
    ] {
        assert_eq!(btf.find_all(name), read.find_all(name), "{name}");
        assert!(!btf.find_all(name).is_empty(), "{name}");
    }
}

#[test]
fn appended_types_share_the_base_and_win_lookups() {
    let (blob, names) = sample();
    let base = Btf::from_bytes(blob).unwrap();
    let int = names.iter().find(|(n, _)| *n == "int").unwrap().1;
    let local = base
        .with_local(&[LocalType::Record {
            name: "task".into(),
            union: false,
            size: 4,
            members: vec![("only".into(), int, 0, 0)],
        }])
        .unwrap();
    assert!(Arc::ptr_eq(&base.base, &local.base));
    assert_eq!(local.len(), base.len() + 1);
    let task = local.find_struct("task").unwrap();
    assert_eq!(task, base.len());
    assert!(local.is_local(task));
    assert_eq!(local.ty(task).unwrap().name(), "task");
    assert!(local.member(task, "only").unwrap().is_some());
    // The kernel's `task` is still there, second.
    assert_eq!(local.find_all("task")[1], base.find_struct("task").unwrap());
    lookup_matches_hashing(&local, usize::MAX);
    // Appending again keeps the earlier types (no longer counted as local).
    let again = local
        .with_local(&[LocalType::Typedef {
            name: "task_t".into(),
            target: task,
        }])
        .unwrap();
    assert_eq!(again.find_typedef("task_t"), Some(base.len() + 1));
    let mut expect = base.find_all("task");
    expect.push(task);
    assert_eq!(again.find_all("task"), expect);
    assert_eq!(again.type_name(base.len() + 1), "task_t");
    // A reference past the end is refused.
    let bad = base.with_local(&[LocalType::Ptr { target: 9999 }]);
    assert!(bad.unwrap_err().0.contains("missing type"));
}

/// Every type whose name starts with `prefix`, the slow way.
fn prefixed_by_scanning(btf: &Btf, prefix: &str) -> Vec<TypeId> {
    btf.types()
        .filter(|t| t.name().starts_with(prefix))
        .map(|t| t.id())
        .collect()
}

#[test]
fn finds_names_by_prefix() {
    let (blob, _) = sample();
    let base = Btf::from_bytes(blob).unwrap();
    let btf = base
        .with_local(&[LocalType::Fwd {
            name: "taskette".into(),
            union: false,
        }])
        .unwrap();
    for prefix in ["t", "task", "td_", "pid", "zzz", "int"] {
        assert_eq!(
            btf.find_prefixed(prefix),
            prefixed_by_scanning(&btf, prefix),
            "{prefix}"
        );
    }
    assert_eq!(btf.find_prefixed("taskette"), vec![base.len()]);
    assert!(btf.find_prefixed("").is_empty());
    let Ok(vmlinux) = Btf::load(Path::new(VMLINUX_BTF)) else {
        return;
    };
    for prefix in ["trace_event_raw_event_", "btf_trace_sched", "tcp_v4_"] {
        let found = vmlinux.find_prefixed(prefix);
        assert!(!found.is_empty(), "{prefix}");
        assert_eq!(found, prefixed_by_scanning(&vmlinux, prefix), "{prefix}");
    }
}

#[test]
fn finds_enumerators_by_name() {
    let (blob, _) = sample();
    let base = Btf::from_bytes(blob).unwrap();
    let btf = base
        .with_local(&[LocalType::Enum {
            name: "mine".into(),
            size: 8,
            signed: true,
            values: vec![("MINE_A".into(), -1), ("WIDE".into(), 1 << 40)],
        }])
        .unwrap();
    let mut every: Vec<(String, TypeId, u32)> = Vec::new();
    for t in btf.types() {
        for (i, v) in t.enum_values().enumerate() {
            every.push((v.name.to_string(), t.id(), i as u32));
        }
    }
    assert!(every.len() > 2, "the sample has enumerators");
    for (name, _, _) in &every {
        let expect: Vec<(TypeId, u32)> = every
            .iter()
            .filter(|(n, _, _)| n == name)
            .map(|&(_, id, i)| (id, i))
            .collect();
        assert_eq!(btf.find_enumerator(name), expect, "{name}");
    }
    let (id, i) = btf.find_enumerator("WIDE")[0];
    let v = btf.ty(id).unwrap().enum_values().nth(i as usize).unwrap();
    assert_eq!(v.value, 1 << 40);
    assert!(btf.find_enumerator("MINE").is_empty());
    assert!(btf.find_enumerator("").is_empty());
}
