//! BTF and line info read from hand-built sections.

use super::*;

/// A tiny `.BTF` builder: types as raw words, and a string table.
struct Builder {
    types: Vec<u8>,
    strings: Vec<u8>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            types: Vec::new(),
            strings: vec![0],
        }
    }
    fn s(&mut self, text: &str) -> u32 {
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(text.as_bytes());
        self.strings.push(0);
        off
    }
    fn words(&mut self, ws: &[u32]) {
        for w in ws {
            self.types.extend_from_slice(&w.to_le_bytes());
        }
    }
    fn finish(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&0xeb9fu16.to_le_bytes());
        out.extend_from_slice(&[1, 0]);
        for w in [
            24u32,
            0,
            self.types.len() as u32,
            self.types.len() as u32,
            self.strings.len() as u32,
        ] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strings);
        out
    }
}

fn info(kind: u32, vlen: u32) -> u32 {
    (kind << 24) | vlen
}

/// `struct { int (*type)[27]; int (*max_entries)[4096]; } events SEC(".maps");` and a
/// hash with `u64 *key; u32 *value;`.
fn maps_btf() -> Vec<u8> {
    let mut b = Builder::new();
    let int = b.s("int");
    let n_type = b.s("type");
    let n_max = b.s("max_entries");
    let n_key = b.s("key");
    let n_value = b.s("value");
    let n_events = b.s("events");
    let n_hash = b.s("counts");
    let n_maps = b.s(".maps");
    b.words(&[int, info(1, 0), 4, 0x0100_0020]); // 1: int
    b.words(&[0, info(1, 0), 8, 0x40]); // 2: u64 (anonymous)
    b.words(&[0, info(3, 0), 0, 1, 1, 27]); // 3: int[27]
    b.words(&[0, info(2, 0), 3]); // 4: int (*)[27]
    b.words(&[0, info(3, 0), 0, 1, 1, 4096]); // 5: int[4096]
    b.words(&[0, info(2, 0), 5]); // 6: int (*)[4096]
    b.words(&[0, info(4, 2), 16, n_type, 4, 0, n_max, 6, 64]); // 7: struct
    b.words(&[n_events, info(14, 0), 7, 1]); // 8: var events
    b.words(&[0, info(3, 0), 0, 1, 1, 1]); // 9: int[1] (hash)
    b.words(&[0, info(2, 0), 9]); // 10: int (*)[1]
    b.words(&[0, info(2, 0), 2]); // 11: u64 *
    b.words(&[0, info(2, 0), 1]); // 12: int *
    b.words(&[0, info(10, 0), 7]); // 13: const (struct 7), to test aliases
    b.words(&[
        0,
        info(4, 3),
        24,
        n_type,
        10,
        0,
        n_key,
        11,
        64,
        n_value,
        12,
        128,
    ]); // 14: struct for the hash
    b.words(&[n_hash, info(14, 0), 14, 1]); // 15: var counts
    b.words(&[n_maps, info(15, 2), 0, 8, 0, 16, 15, 16, 24]); // 16: datasec
    b.finish()
}

#[test]
fn map_definitions_from_maps_datasec() {
    let btf = Btf::parse(&maps_btf()).unwrap();
    let defs = btf.map_defs();
    assert_eq!(
        defs["events"],
        MapDef {
            map_type: Some(27),
            max_entries: Some(4096),
            ..MapDef::default()
        }
    );
    let h = &defs["counts"];
    assert_eq!(h.map_type, Some(1));
    assert_eq!(h.key_size, Some(8));
    assert_eq!(h.value_size, Some(4));
    assert_eq!(btf.size_of(13), Some(16));
    assert_eq!(btf.string(1), Some("int"));
    assert_eq!(btf.string(10_000), None);
}

#[test]
fn malformed_btf_is_an_error_not_a_panic() {
    let good = maps_btf();
    for cut in [0, 3, 10, 24, 40, good.len() - 1] {
        let _ = Btf::parse(&good[..cut]);
    }
    assert!(Btf::parse(&good[..10]).is_err());
    let mut wrong = good.clone();
    wrong[0] = 0;
    assert!(Btf::parse(&wrong).is_err());
    // A string offset past the table.
    let mut b = Builder::new();
    b.words(&[999, info(14, 0), 0, 1]);
    assert!(Btf::parse(&b.finish()).is_err());
    // An unknown kind.
    let mut b = Builder::new();
    b.words(&[0, info(30, 0), 0]);
    assert!(Btf::parse(&b.finish()).is_err());
}

#[test]
fn self_referencing_aliases_terminate() {
    let mut b = Builder::new();
    b.words(&[0, info(8, 0), 1]); // 1: typedef of itself
    let btf = Btf::parse(&b.finish()).unwrap();
    assert_eq!(btf.resolve(1), None);
    assert_eq!(btf.size_of(1), None);
}

fn ext(records: &[(u32, u32, u32, u32, u32)], sec: u32) -> Vec<u8> {
    let mut block = Vec::new();
    block.extend_from_slice(&16u32.to_le_bytes());
    block.extend_from_slice(&sec.to_le_bytes());
    block.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for &(off, file, text, line, col) in records {
        for w in [off, file, text, (line << 10) | col] {
            block.extend_from_slice(&w.to_le_bytes());
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0xeb9fu16.to_le_bytes());
    out.extend_from_slice(&[1, 0]);
    for w in [32u32, 0, 0, 0, block.len() as u32, 0, 0] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(&block);
    out
}

#[test]
fn line_info_by_section() {
    let mut b = Builder::new();
    let sec = b.s("tracepoint/x/y");
    let file = b.s("a.bt");
    let l1 = b.s("BEGIN {");
    let l2 = b.s("  @x = 1;");
    let btf = Btf::parse(&b.finish()).unwrap();
    let bytes = ext(&[(16, file, l2, 2, 3), (0, file, l1, 1, 1)], sec);
    let lines = line_info(&bytes, &btf).unwrap();
    let recs = &lines["tracepoint/x/y"];
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].insn_off, 0, "sorted by offset");
    assert_eq!(
        recs[1],
        LineRecord {
            insn_off: 16,
            file: "a.bt".into(),
            text: "  @x = 1;".into(),
            line: 2,
            col: 3,
        }
    );
    for cut in 0..bytes.len() {
        let _ = line_info(&bytes[..cut], &btf);
    }
    assert!(line_info(&bytes[..bytes.len() - 4], &btf).is_err());
}
