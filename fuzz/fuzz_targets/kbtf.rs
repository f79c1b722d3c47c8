//! The kernel BTF reader (`tracec::kbtf`): a base blob (`Btf::from_bytes`), or a
//! kernel module's split BTF stacked on the host's vmlinux BTF (`Btf::with_module`),
//! as the compiler reads `/sys/kernel/btf/<module>`. Loading checks the records;
//! whatever loads must answer every query (names, sizes, members, C spellings)
//! without a panic or a hang.
//!
//! Input: one byte of mode (even: a base blob; odd: a module blob, twice stacked when
//! bit 1 is set), then the blob (raw BTF or an ELF file with `.BTF`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use tracec::kbtf::{Btf, Kind};

/// How many types of a blob are queried (the rest only loaded).
const QUERIED: u32 = 300;

fn query(btf: &Btf, first: u32) {
    let end = btf.len().min(first.saturating_add(QUERIED));
    for id in first..end {
        let Ok(ty) = btf.ty(id) else { continue };
        let name = ty.name().to_string();
        let _ = btf.type_name(id);
        let _ = btf.declaration(id, "x");
        let _ = btf.size_of(id);
        let _ = btf.resolve(id);
        let _ = btf.skip_qualifiers(id);
        let _ = ty.array();
        for m in ty.members().take(64) {
            let _ = btf.member(id, m.name);
        }
        let _ = ty.enum_values().take(64).count();
        let _ = ty.params().take(64).count();
        let _ = ty.var_secinfos().take(64).count();
        if !name.is_empty() {
            let _ = btf.find_all(&name);
            let _ = btf.find(&name, ty.kind());
            let _ = btf.find_struct(&name);
            let _ = btf.find_typedef(&name);
        }
        if ty.kind() == Kind::Enum {
            for v in ty.enum_values().take(4) {
                let _ = btf.find_enumerator(v.name);
            }
        }
        let _ = btf.module_of(id);
    }
}

fn vmlinux() -> Option<Btf> {
    Btf::load_shared(Path::new("/sys/kernel/btf/vmlinux")).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, blob)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(btf) = Btf::from_bytes(blob.to_vec()) {
            query(&btf, 0);
        }
        return;
    }
    let Some(base) = vmlinux() else { return };
    let Ok(one) = base.with_module("fuzz_a", blob) else {
        return;
    };
    let ids = one.module_ids("fuzz_a").expect("the module just added");
    assert_eq!(ids.start, base.base_len());
    query(&one, ids.start);
    if mode & 2 != 0 {
        // A second module's ids and string offsets are moved past the first's.
        if let Ok(two) = one.with_module("fuzz_b", blob) {
            let b = two.module_ids("fuzz_b").expect("the module just added");
            assert_eq!(b.start, ids.end);
            query(&two, b.start);
        }
    }
});
