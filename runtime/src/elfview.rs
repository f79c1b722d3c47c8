//! Sections, program code and line info of an object, read straight from the ELF
//! (no kernel needed): what `--info` reports and what `--verify` maps errors through.

use crate::btf::{self, Btf, LineRecord};
use goblin::elf::{section_header::SHT_NOBITS, sym::STT_FUNC, Elf};

/// Size of one BPF instruction.
pub const INSN_SIZE: usize = 8;

/// A parsed ELF over its bytes.
pub struct ElfView<'a> {
    elf: Elf<'a>,
    bytes: &'a [u8],
}

/// Where a program's code lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramCode<'a> {
    /// Its ELF section (libbpf SEC name).
    pub section: String,
    /// Byte offset of its first instruction within the section.
    pub offset: usize,
    pub code: &'a [u8],
}

impl<'a> ElfView<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<ElfView<'a>, String> {
        let elf = Elf::parse(bytes).map_err(|e| format!("malformed ELF: {e}"))?;
        Ok(ElfView { elf, bytes })
    }

    /// Section names in file order.
    pub fn section_names(&self) -> Vec<&'a str> {
        self.elf
            .section_headers
            .iter()
            .filter_map(|sh| self.elf.shdr_strtab.get_at(sh.sh_name))
            .filter(|n| !n.is_empty())
            .collect()
    }

    pub fn has_section(&self, name: &str) -> bool {
        self.section_index(name).is_some()
    }

    fn section_index(&self, name: &str) -> Option<usize> {
        self.elf
            .section_headers
            .iter()
            .position(|sh| self.elf.shdr_strtab.get_at(sh.sh_name) == Some(name))
    }

    fn section_data(&self, index: usize) -> Option<&'a [u8]> {
        let sh = self.elf.section_headers.get(index)?;
        if sh.sh_type == SHT_NOBITS {
            return Some(&[]);
        }
        self.bytes.get(sh.file_range()?)
    }

    /// The bytes of section `name`, if it exists and lies inside the file.
    pub fn section(&self, name: &str) -> Option<&'a [u8]> {
        self.section_data(self.section_index(name)?)
    }

    /// The code of the function symbol `symbol`.
    pub fn program(&self, symbol: &str) -> Result<ProgramCode<'a>, String> {
        let sym = self
            .elf
            .syms
            .iter()
            .find(|s| s.st_type() == STT_FUNC && self.elf.strtab.get_at(s.st_name) == Some(symbol))
            .ok_or_else(|| format!("program {symbol} has no function symbol"))?;
        let section = self
            .elf
            .section_headers
            .get(sym.st_shndx)
            .and_then(|sh| self.elf.shdr_strtab.get_at(sh.sh_name))
            .ok_or_else(|| format!("program {symbol} is in no named section"))?;
        let data = self
            .section_data(sym.st_shndx)
            .ok_or_else(|| format!("section {section} lies outside the file"))?;
        let offset = usize::try_from(sym.st_value).map_err(|e| e.to_string())?;
        let size = usize::try_from(sym.st_size).map_err(|e| e.to_string())?;
        let code = offset
            .checked_add(size)
            .and_then(|end| data.get(offset..end))
            .ok_or_else(|| format!("program {symbol} lies outside section {section}"))?;
        if offset % INSN_SIZE != 0 || size % INSN_SIZE != 0 {
            return Err(format!(
                "program {symbol} is not made of whole 8-byte instructions"
            ));
        }
        Ok(ProgramCode {
            section: section.to_owned(),
            offset,
            code,
        })
    }

    /// The parsed `.BTF` section, if any.
    pub fn btf(&self) -> Option<Result<Btf, String>> {
        self.section(".BTF")
            .map(|d| Btf::parse(d).map_err(|e| e.to_string()))
    }

    /// The line table of program `symbol`: its `.BTF.ext` line info with instruction
    /// offsets turned into instruction indices from the program's start, which is how
    /// the kernel (and its verifier log) numbers instructions.
    pub fn line_table(&self, symbol: &str) -> Result<LineTable, String> {
        let prog = self.program(symbol)?;
        let btf = self
            .btf()
            .ok_or("the object has no .BTF section, so no line info")??;
        let ext = self
            .section(".BTF.ext")
            .ok_or("the object has no .BTF.ext section, so no line info")?;
        let mut by_section = btf::line_info(ext, &btf).map_err(|e| e.to_string())?;
        let records = by_section.remove(&prog.section).unwrap_or_default();
        let end = prog.offset + prog.code.len();
        let rows = records
            .into_iter()
            .filter(|r| (prog.offset..end).contains(&(r.insn_off as usize)))
            .map(|r| ((r.insn_off as usize - prog.offset) / INSN_SIZE, r))
            .collect();
        Ok(LineTable {
            rows,
            insns: Some(prog.code.len() / INSN_SIZE),
        })
    }
}

/// Line info of one program, sorted by instruction index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineTable {
    rows: Vec<(usize, LineRecord)>,
    /// The program's length; instructions past it (BPF functions the loader appends)
    /// are not covered.
    insns: Option<usize>,
}

impl LineTable {
    /// A table from `(instruction index, record)` rows in any order.
    pub fn from_rows(mut rows: Vec<(usize, LineRecord)>) -> LineTable {
        crate::sorting::sort_by_key(&mut rows, |r| r.0);
        LineTable { rows, insns: None }
    }

    /// The record covering instruction `insn`: the last one starting at or before it.
    pub fn at(&self, insn: usize) -> Option<&LineRecord> {
        if self.insns.is_some_and(|n| insn >= n) {
            return None;
        }
        let n = self.rows.partition_point(|(i, _)| *i <= insn);
        n.checked_sub(1).map(|k| &self.rows[k].1)
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// A decoded BPF instruction (the fields `--info` and `--verify` look at).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    pub src: u8,
    pub imm: i32,
}

/// The instructions of `code` (8 bytes each; a trailing partial one is ignored).
pub fn insns(code: &[u8]) -> impl Iterator<Item = Insn> + '_ {
    code.chunks_exact(INSN_SIZE).map(|c| Insn {
        code: c[0],
        src: c[1] >> 4,
        imm: i32::from_le_bytes([c[4], c[5], c[6], c[7]]),
    })
}

/// The helper ids called by `code` (`BPF_JMP | BPF_CALL` with `src_reg` 0), in order
/// of first use. Calls to BPF functions (`src_reg` 1) and kfuncs (2) are not helpers.
pub fn helper_calls(code: &[u8]) -> Vec<i32> {
    let mut out = Vec::new();
    for i in insns(code) {
        if i.code == 0x85 && i.src == 0 && !out.contains(&i.imm) {
            out.push(i.imm);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insn(code: u8, regs: u8, imm: i32) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = code;
        b[1] = regs;
        b[4..].copy_from_slice(&imm.to_le_bytes());
        b
    }

    #[test]
    fn helper_calls_skip_bpf_to_bpf_calls_and_repeat_calls() {
        let code: Vec<u8> = [
            insn(0x85, 0, 131),
            insn(0x85, 0x10, 5), // call to a BPF function (src_reg 1)
            insn(0x18, 0x10, 0x85),
            insn(0, 0, 0),
            insn(0x85, 0, 1),
            insn(0x85, 0, 131),
            insn(0x95, 0, 0),
        ]
        .concat();
        assert_eq!(helper_calls(&code), vec![131, 1]);
        assert_eq!(helper_calls(&code[..12]), vec![131], "partial insn ignored");
    }

    #[test]
    fn line_table_lookup() {
        let rec = |line| LineRecord {
            insn_off: 0,
            file: "f".into(),
            text: String::new(),
            line,
            col: 1,
        };
        let mut t = LineTable::from_rows(vec![(4, rec(3)), (0, rec(1))]);
        assert_eq!(t.at(0).map(|r| r.line), Some(1));
        assert_eq!(t.at(3).map(|r| r.line), Some(1));
        assert_eq!(t.at(4).map(|r| r.line), Some(3));
        assert_eq!(t.at(100).map(|r| r.line), Some(3));
        t.insns = Some(10);
        assert_eq!(t.at(10), None, "past the program: an appended function");
        assert_eq!(LineTable::default().at(0), None);
    }
}
