//! The generated scaling script compiles to one program per probe and one map per
//! probe. Times and memory are recorded by the benchmark, not asserted here.

use tracec_bench::{elfcount, gen};

#[test]
fn thousand_probes_and_maps_compile() {
    let source = gen::many_probes(1000);
    let options = tracec::Options::new("gen-1000.bt");
    let compiled = match tracec::compile(&source, &options) {
        Ok(c) => c,
        Err(diags) => panic!("{}", tracec::render(&source, &options, &diags)),
    };
    let programs = elfcount::programs(&compiled.object).unwrap();
    assert_eq!(programs.len(), 1000);
    assert!(programs.iter().all(|p| p.insns > 0));
    let user_maps = compiled
        .metadata
        .maps
        .iter()
        .filter(|m| matches!(&m.role, tracec_meta::MapRole::User { name, .. } if name.starts_with("@m")))
        .count();
    assert_eq!(user_maps, 1000);
}
