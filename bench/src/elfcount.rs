//! Instruction counts of BPF objects: 8-byte slots in executable sections (an
//! `ld_imm64` is two slots, for both compilers alike).

use goblin::elf::section_header::{SHF_EXECINSTR, SHT_PROGBITS};
use goblin::elf::Elf;

/// One program section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub section: String,
    pub insns: u64,
}

/// The non-empty executable sections of a BPF ELF object.
pub fn programs(bytes: &[u8]) -> Result<Vec<Program>, String> {
    let elf = Elf::parse(bytes).map_err(|e| format!("not an ELF object: {e}"))?;
    let mut out = Vec::new();
    for sh in &elf.section_headers {
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
        out.push(Program {
            section,
            insns: sh.sh_size / 8,
        });
    }
    Ok(out)
}

/// The total instruction count of an object.
pub fn total(bytes: &[u8]) -> Result<u64, String> {
    Ok(programs(bytes)?.iter().map(|p| p.insns).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        assert!(programs(b"not an elf").is_err());
    }
}
