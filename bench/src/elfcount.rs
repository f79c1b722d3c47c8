//! Instruction counts of BPF objects: 8-byte slots in executable sections (an
//! `ld_imm64` is two slots, for both compilers alike).

use goblin::elf::section_header::{SHF_EXECINSTR, SHT_PROGBITS};
use goblin::elf::sym::STT_FUNC;
use goblin::elf::Elf;

/// One program: a function symbol in an executable section (several may share a
/// section), or a whole executable section that has no function symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub name: String,
    pub section: String,
    pub insns: u64,
}

/// The programs of a BPF ELF object.
pub fn programs(bytes: &[u8]) -> Result<Vec<Program>, String> {
    let elf = Elf::parse(bytes).map_err(|e| format!("not an ELF object: {e}"))?;
    let mut out = Vec::new();
    for (index, sh) in elf.section_headers.iter().enumerate() {
        if sh.sh_type != SHT_PROGBITS || sh.sh_flags & u64::from(SHF_EXECINSTR) == 0 {
            continue;
        }
        if sh.sh_size == 0 {
            continue;
        }
        let section = elf
            .shdr_strtab
            .get_at(sh.sh_name)
            .unwrap_or("?")
            .to_string();
        let before = out.len();
        for sym in elf.syms.iter() {
            if sym.st_type() == STT_FUNC && sym.st_shndx == index && sym.st_size > 0 {
                out.push(Program {
                    name: elf.strtab.get_at(sym.st_name).unwrap_or("?").to_string(),
                    section: section.clone(),
                    insns: sym.st_size / 8,
                });
            }
        }
        if out.len() == before {
            out.push(Program {
                name: section.clone(),
                section,
                insns: sh.sh_size / 8,
            });
        }
    }
    Ok(out)
}

/// The total instruction count of an object: every executable section's slots
/// (subprograms included).
pub fn total(bytes: &[u8]) -> Result<u64, String> {
    let elf = Elf::parse(bytes).map_err(|e| format!("not an ELF object: {e}"))?;
    Ok(elf
        .section_headers
        .iter()
        .filter(|sh| sh.sh_type == SHT_PROGBITS && sh.sh_flags & u64::from(SHF_EXECINSTR) != 0)
        .map(|sh| sh.sh_size / 8)
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        assert!(programs(b"not an elf").is_err());
    }
}
