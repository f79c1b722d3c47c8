//! Compressed debug sections of an ELF file (`tracec_meta::debugsec`): any host file
//! read as ELF; every section is read by name, compressed or not, and all of them at
//! once, without a panic.
#![no_main]

use goblin::elf::Elf;
use libfuzzer_sys::fuzz_target;
use tracec_meta::debugsec;

fuzz_target!(|data: &[u8]| {
    let Ok(elf) = Elf::parse(data) else {
        return;
    };
    let all = debugsec::All::read(&elf, data);
    for name in [
        ".debug_info",
        ".debug_line",
        ".debug_abbrev",
        ".debug_str",
        ".debug_info.dwo",
        ".BTF",
    ] {
        let single = debugsec::read(&elf, data, name);
        if let Ok(Some(bytes)) = &single {
            if name.starts_with(".debug_") {
                // What `All` keeps under a name is what `read` gives for it.
                let got = all.get(name);
                assert!(got.is_empty() || got == &bytes[..], "{name}");
            }
        }
    }
});
