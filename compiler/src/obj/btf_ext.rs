//! The `.BTF.ext` encoder: func_info, line_info and CO-RE relocation records,
//! grouped per ELF section.
//!
//! Layout (little-endian): a 32-byte header (`magic 0xeB9F, version 1, flags 0,
//! hdr_len 32, func_info_off/len, line_info_off/len, core_relo_off/len`, offsets
//! relative to the end of the header). Each non-empty info block is a `u32` record
//! size followed by, per section, `sec_name_off, num_info` and the records. Record
//! `insn_off`s are byte offsets within the section; string offsets point into `.BTF`'s
//! string table.

use super::btf::{put, BTF_MAGIC};

pub const BTF_EXT_VERSION: u8 = 1;
pub const BTF_EXT_HEADER_LEN: u32 = 32;

/// A `bpf_func_info`: the function starting at `insn_off` has BTF FUNC `type_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuncInfo {
    pub insn_off: u32,
    pub type_id: u32,
}

/// A `bpf_line_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    pub insn_off: u32,
    pub file_name_off: u32,
    /// The text of the source line.
    pub line_off: u32,
    pub line: u32,
    /// At most 1023.
    pub col: u32,
}

/// A `bpf_core_relo`: the instruction at `insn_off` accesses `access_str` (e.g.
/// `"0:1:2"`, string offset) of BTF type `type_id`; `kind` is a `bpf_core_relo_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreRelo {
    pub insn_off: u32,
    pub type_id: u32,
    pub access_str_off: u32,
    pub kind: u32,
}

/// A fixed-size `.BTF.ext` record.
trait Record {
    const SIZE: u32;
    fn insn_off(&self) -> u32;
    fn encode(&self, out: &mut Vec<u8>);
}

impl Record for FuncInfo {
    const SIZE: u32 = 8;
    fn insn_off(&self) -> u32 {
        self.insn_off
    }
    fn encode(&self, out: &mut Vec<u8>) {
        put(out, self.insn_off);
        put(out, self.type_id);
    }
}

impl Record for LineInfo {
    const SIZE: u32 = 16;
    fn insn_off(&self) -> u32 {
        self.insn_off
    }
    fn encode(&self, out: &mut Vec<u8>) {
        put(out, self.insn_off);
        put(out, self.file_name_off);
        put(out, self.line_off);
        put(out, (self.line << 10) | self.col.min(0x3ff));
    }
}

impl Record for CoreRelo {
    const SIZE: u32 = 16;
    fn insn_off(&self) -> u32 {
        self.insn_off
    }
    fn encode(&self, out: &mut Vec<u8>) {
        put(out, self.insn_off);
        put(out, self.type_id);
        put(out, self.access_str_off);
        put(out, self.kind);
    }
}

/// Records of one kind, grouped by section name (a `.BTF` string offset), in the
/// order the sections were first seen.
#[derive(Debug, Clone)]
struct Groups<R> {
    groups: Vec<(u32, Vec<R>)>,
}

impl<R> Default for Groups<R> {
    fn default() -> Groups<R> {
        Groups { groups: Vec::new() }
    }
}

impl<R: Record + Clone> Groups<R> {
    fn push(&mut self, sec_name_off: u32, rec: R) {
        match self.groups.iter_mut().find(|(s, _)| *s == sec_name_off) {
            Some((_, recs)) => recs.push(rec),
            None => self.groups.push((sec_name_off, vec![rec])),
        }
    }

    /// Empty when there are no records (libbpf rejects sections with no records).
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.groups.is_empty() {
            return out;
        }
        put(&mut out, R::SIZE);
        for (sec, recs) in &self.groups {
            let mut recs = recs.clone();
            recs.sort_by_key(|r| r.insn_off());
            put(&mut out, *sec);
            put(&mut out, recs.len() as u32);
            for r in &recs {
                r.encode(&mut out);
            }
        }
        out
    }
}

/// Builds `.BTF.ext`.
#[derive(Debug, Clone, Default)]
pub struct BtfExt {
    func_info: Groups<FuncInfo>,
    line_info: Groups<LineInfo>,
    core_relo: Groups<CoreRelo>,
}

impl BtfExt {
    pub fn new() -> BtfExt {
        BtfExt::default()
    }

    pub fn add_func_info(&mut self, sec_name_off: u32, rec: FuncInfo) {
        self.func_info.push(sec_name_off, rec);
    }

    pub fn add_line_info(&mut self, sec_name_off: u32, rec: LineInfo) {
        self.line_info.push(sec_name_off, rec);
    }

    pub fn add_core_relo(&mut self, sec_name_off: u32, rec: CoreRelo) {
        self.core_relo.push(sec_name_off, rec);
    }

    /// The whole `.BTF.ext` section.
    pub fn encode(&self) -> Vec<u8> {
        let func = self.func_info.encode();
        let line = self.line_info.encode();
        let core = self.core_relo.encode();
        let mut out = Vec::new();
        out.extend_from_slice(&BTF_MAGIC.to_le_bytes());
        out.push(BTF_EXT_VERSION);
        out.push(0); // flags
        put(&mut out, BTF_EXT_HEADER_LEN);
        put(&mut out, 0);
        put(&mut out, func.len() as u32);
        put(&mut out, func.len() as u32);
        put(&mut out, line.len() as u32);
        put(&mut out, (func.len() + line.len()) as u32);
        put(&mut out, core.len() as u32);
        out.extend_from_slice(&func);
        out.extend_from_slice(&line);
        out.extend_from_slice(&core);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], off: usize) -> u32 {
        u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
    }

    #[test]
    fn empty_has_header_only() {
        let b = BtfExt::new().encode();
        assert_eq!(b.len(), 32);
        assert_eq!(&b[0..4], &[0x9f, 0xeb, 1, 0]);
        assert_eq!(u32_at(&b, 4), 32);
        for off in (8..32).step_by(4) {
            assert_eq!(u32_at(&b, off), 0, "header word at {off}");
        }
    }

    #[test]
    fn groups_records_per_section_in_order() {
        let mut e = BtfExt::new();
        e.add_func_info(
            10,
            FuncInfo {
                insn_off: 0,
                type_id: 3,
            },
        );
        e.add_func_info(
            20,
            FuncInfo {
                insn_off: 0,
                type_id: 4,
            },
        );
        e.add_func_info(
            10,
            FuncInfo {
                insn_off: 64,
                type_id: 5,
            },
        );
        e.add_line_info(
            10,
            LineInfo {
                insn_off: 8,
                file_name_off: 1,
                line_off: 2,
                line: 3,
                col: 4,
            },
        );
        let b = e.encode();
        let h = 32;
        // func_info: rec_size + (sec, n, 2 recs) + (sec, n, 1 rec)
        let func_len = 4 + 8 + 16 + 8 + 8;
        assert_eq!(u32_at(&b, 8), 0);
        assert_eq!(u32_at(&b, 12), func_len as u32);
        assert_eq!(u32_at(&b, 16), func_len as u32);
        assert_eq!(u32_at(&b, 20), 4 + 8 + 16);
        assert_eq!(u32_at(&b, 24), func_len as u32 + 28);
        assert_eq!(u32_at(&b, 28), 0);
        assert_eq!(u32_at(&b, h), 8);
        assert_eq!(
            [u32_at(&b, h + 4), u32_at(&b, h + 8)],
            [10, 2],
            "first section"
        );
        assert_eq!([u32_at(&b, h + 12), u32_at(&b, h + 16)], [0, 3]);
        assert_eq!([u32_at(&b, h + 20), u32_at(&b, h + 24)], [64, 5]);
        assert_eq!([u32_at(&b, h + 28), u32_at(&b, h + 32)], [20, 1]);
        let l = h + func_len;
        assert_eq!(u32_at(&b, l), 16);
        assert_eq!([u32_at(&b, l + 4), u32_at(&b, l + 8)], [10, 1]);
        assert_eq!(u32_at(&b, l + 12), 8);
        assert_eq!(u32_at(&b, l + 24), (3 << 10) | 4);
        assert_eq!(b.len(), l + 28);
    }

    #[test]
    fn records_are_sorted_and_core_relo_is_encoded() {
        let mut e = BtfExt::new();
        for off in [16, 0] {
            e.add_core_relo(
                7,
                CoreRelo {
                    insn_off: off,
                    type_id: 2,
                    access_str_off: 9,
                    kind: 0,
                },
            );
        }
        let b = e.encode();
        assert_eq!(u32_at(&b, 24), 0, "core_relo right after empty blocks");
        assert_eq!(u32_at(&b, 28), 4 + 8 + 32);
        let c = 32;
        assert_eq!(u32_at(&b, c), 16);
        assert_eq!(u32_at(&b, c + 12), 0, "sorted by insn_off");
        assert_eq!(u32_at(&b, c + 28), 16);
    }

    #[test]
    fn column_is_clamped() {
        let mut out = Vec::new();
        LineInfo {
            insn_off: 0,
            file_name_off: 0,
            line_off: 0,
            line: 1,
            col: 5000,
        }
        .encode(&mut out);
        assert_eq!(u32_at(&out, 12), (1 << 10) | 0x3ff);
    }
}
