//! The object writer's input validation and the layout of `.BTF.ext` in a written
//! object (no kernel needed).

use goblin::elf::Elf;
use tracec::back::{CompiledFunction, Insn, LineEntry, Reloc, RelocTarget};
use tracec::ir::{DataType, Global, GlobalId, Loc, MapDef, MapId, MapKind};
use tracec::obj::{write, ObjectInput};

fn ins(code: u8, dst: u8, imm: i32) -> Insn {
    Insn {
        code,
        dst,
        src: 0,
        off: 0,
        imm,
    }
}

/// `r1 = ld_imm64 <reloc>; r0 = 0; exit`.
fn prog(name: &str, section: &str, target: Option<RelocTarget>) -> CompiledFunction {
    CompiledFunction {
        name: name.into(),
        section: section.into(),
        insns: vec![
            ins(0x18, 1, 0),
            ins(0, 0, 0),
            ins(0xb7, 0, 0),
            ins(0x95, 0, 0),
        ],
        relocs: target
            .map(|target| vec![Reloc { insn: 0, target }])
            .unwrap_or_default(),
        core_relocs: vec![],
        ksyms: Vec::new(),
        lines: vec![],
        loc: Loc { line: 1, col: 1 },
    }
}

fn hash(symbol: &str) -> MapDef {
    MapDef {
        symbol: symbol.into(),
        kind: MapKind::Hash,
        max_entries: 8,
        key: Some(DataType::U64),
        value: Some(DataType::U64),
    }
}

fn global(symbol: &str) -> Global {
    Global {
        symbol: symbol.into(),
        ty: DataType::U64,
        init: vec![0; 8],
        writable: false,
    }
}

fn try_write(
    functions: &[CompiledFunction],
    maps: &[MapDef],
    globals: &[Global],
) -> Result<Vec<u8>, String> {
    write(&ObjectInput {
        functions,
        maps,
        globals,
        source_name: "t.bt",
        source: "BEGIN { 1 }\nEND { 2 }\n",
        metadata: &[],
    })
}

fn err(functions: &[CompiledFunction], maps: &[MapDef], globals: &[Global]) -> String {
    try_write(functions, maps, globals).expect_err("input is rejected")
}

#[test]
fn valid_input_writes() {
    let f = [
        prog("a", "raw_tp", Some(RelocTarget::Map(MapId(0)))),
        prog("b", "raw_tp", Some(RelocTarget::Global(GlobalId(0)))),
    ];
    assert!(try_write(&f, &[hash("m")], &[global("g")]).is_ok());
}

#[test]
fn rejects_duplicate_symbols() {
    let f = [prog("a", "raw_tp", None), prog("a", "perf_event", None)];
    assert!(err(&f, &[], &[]).contains("symbol `a` is defined twice"));
    let f = [prog("m", "raw_tp", None)];
    let e = err(&f, &[hash("m")], &[]);
    assert!(e.contains("as program and as map"), "{e}");
    assert!(err(&[], &[hash("m")], &[global("m")]).contains("defined twice"));
    assert!(err(&[], &[hash("_license")], &[]).contains("defined twice"));
}

#[test]
fn rejects_bad_names_and_sections() {
    assert!(err(&[prog("a-b", "raw_tp", None)], &[], &[]).contains("not a C identifier"));
    assert!(err(&[prog("a", ".maps", None)], &[], &[]).contains("reserved"));
    assert!(err(&[prog("a", tracec_meta::SECTION, None)], &[], &[]).contains("reserved"));
    assert!(err(&[prog("a", "", None)], &[], &[]).contains("invalid section"));
}

#[test]
fn rejects_bad_relocations() {
    let e = err(
        &[prog("a", "raw_tp", Some(RelocTarget::Map(MapId(3))))],
        &[],
        &[],
    );
    assert!(e.contains("unknown map #3"), "{e}");
    let e = err(
        &[prog("a", "raw_tp", Some(RelocTarget::Global(GlobalId(0))))],
        &[],
        &[],
    );
    assert!(e.contains("unknown global #0"), "{e}");

    let mut f = prog("a", "raw_tp", None);
    f.relocs = vec![Reloc {
        insn: 2,
        target: RelocTarget::Map(MapId(0)),
    }];
    let e = err(&[f.clone()], &[hash("m")], &[]);
    assert!(e.contains("not an ld_imm64"), "{e}");
    f.relocs[0].insn = 1;
    assert!(err(&[f.clone()], &[hash("m")], &[]).contains("not an ld_imm64"));
    f.relocs[0].insn = 9;
    assert!(err(&[f.clone()], &[hash("m")], &[]).contains("out of range"));
    f.relocs = vec![
        Reloc {
            insn: 0,
            target: RelocTarget::Map(MapId(0)),
        };
        2
    ];
    assert!(err(&[f], &[hash("m")], &[]).contains("two relocations"));

    let mut f = prog("a", "raw_tp", Some(RelocTarget::Global(GlobalId(0))));
    f.insns[0].imm = 8;
    let e = err(&[f], &[], &[global("g")]);
    assert!(e.contains("8 bytes into global `g` of 8 bytes"), "{e}");

    let mut f = prog("a", "raw_tp", Some(RelocTarget::Map(MapId(0))));
    f.insns[0].imm = 4;
    assert!(err(&[f], &[hash("m")], &[]).contains("has imm 4 (must be 0)"));
    let mut f = prog("a", "raw_tp", Some(RelocTarget::Global(GlobalId(0))));
    f.insns[1].imm = 4;
    assert!(err(&[f], &[], &[global("g")]).contains("second half"));

    let mut f = prog("a", "raw_tp", None);
    f.insns.truncate(1);
    assert!(err(&[f], &[], &[]).contains("lacks its second half"));
}

#[test]
fn rejects_bad_lines() {
    let at = |insn| LineEntry {
        insn,
        loc: Loc { line: 1, col: 1 },
    };
    let mut f = prog("a", "raw_tp", None);
    f.lines = vec![at(2), at(0)];
    assert!(err(&[f.clone()], &[], &[]).contains("not sorted"));
    f.lines = vec![at(1)];
    assert!(err(&[f.clone()], &[], &[]).contains("not at an instruction"));
    f.lines = vec![at(4)];
    assert!(err(&[f], &[], &[]).contains("not at an instruction"));
}

#[test]
fn rejects_inconsistent_maps_and_globals() {
    let mut ring = hash("r");
    ring.kind = MapKind::RingBuf;
    assert!(err(&[], &[ring.clone()], &[]).contains("no key or value"));
    ring.key = None;
    ring.value = None;
    ring.max_entries = 5000;
    assert!(err(&[], &[ring.clone()], &[]).contains("power of two"));
    ring.max_entries = 8192;
    assert!(try_write(&[], &[ring], &[]).is_ok());

    let mut m = hash("m");
    m.value = None;
    assert!(err(&[], &[m], &[]).contains("needs a key and a value"));
    let mut m = hash("m");
    m.max_entries = 0;
    assert!(err(&[], &[m], &[]).contains("max_entries is 0"));
    let mut m = hash("m");
    m.kind = MapKind::Array;
    assert!(err(&[], &[m], &[]).contains("key must be 4 bytes"));

    let mut g = global("g");
    g.init.pop();
    assert!(err(&[], &[], &[g]).contains("initial value has 7 bytes"));
}

fn section<'a>(elf: &Elf, bytes: &'a [u8], name: &str) -> &'a [u8] {
    let s = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(name))
        .unwrap_or_else(|| panic!("no section {name}"));
    &bytes[s.sh_offset as usize..(s.sh_offset + s.sh_size) as usize]
}

fn u32s(b: &[u8]) -> Vec<u32> {
    b.chunks(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// A string of `.BTF`'s string table.
fn btf_str(btf: &[u8], off: u32) -> String {
    let w = u32s(&btf[..24]);
    let start = 24 + w[4] as usize + off as usize;
    let end = start + btf[start..].iter().position(|&b| b == 0).unwrap();
    String::from_utf8(btf[start..end].to_vec()).unwrap()
}

#[test]
fn btf_ext_records_use_section_byte_offsets() {
    let mut b = prog("b", "raw_tp", None);
    b.lines = vec![
        LineEntry {
            insn: 2,
            loc: Loc { line: 2, col: 5 },
        },
        LineEntry {
            insn: 3,
            loc: Loc { line: 99, col: 1 },
        },
    ];
    let f = [prog("a", "raw_tp", None), b, prog("c", "perf_event", None)];
    let bytes = try_write(&f, &[], &[]).unwrap();
    let elf = Elf::parse(&bytes).unwrap();
    let btf = section(&elf, &bytes, ".BTF");
    let ext = u32s(section(&elf, &bytes, ".BTF.ext"));
    assert_eq!(ext[0], 0x0001_eb9f, "magic, version 1, flags 0");
    assert_eq!(ext[1], 32, "hdr_len");
    let body = &ext[8..];
    let (func, line) = body.split_at(ext[3] as usize / 4);
    // func_info: rec_size 8; raw_tp: a at 0, b at 32; perf_event: c at 0.
    assert_eq!(func[0], 8);
    assert_eq!(btf_str(btf, func[1]), "raw_tp");
    assert_eq!(func[2], 2);
    assert_eq!([func[3], func[5]], [0, 32]);
    assert_eq!(btf_str(btf, func[7]), "perf_event");
    assert_eq!([func[8], func[9]], [1, 0]);
    assert_eq!(func.len(), 11);
    // line_info: rec_size 16; raw_tp: a@0 (synthesized), b@32 (synthesized), b@48, b@56.
    assert_eq!(line[0], 16);
    assert_eq!(btf_str(btf, line[1]), "raw_tp");
    assert_eq!(line[2], 4);
    let recs: Vec<&[u32]> = line[3..3 + 16].chunks(4).collect();
    assert_eq!(
        recs.iter().map(|r| r[0]).collect::<Vec<_>>(),
        [0, 32, 48, 56]
    );
    assert_eq!(btf_str(btf, recs[0][1]), "t.bt");
    assert_eq!(btf_str(btf, recs[0][2]), "BEGIN { 1 }");
    assert_eq!(recs[0][3], (1 << 10) | 1);
    assert_eq!(btf_str(btf, recs[2][2]), "END { 2 }");
    assert_eq!(recs[2][3], (2 << 10) | 5);
    assert_eq!(
        btf_str(btf, recs[3][2]),
        "",
        "line past the end of the source"
    );
    assert_eq!(ext[7], 0, "no CO-RE relocations");
}

#[test]
fn minimal_object_has_no_map_or_data_sections() {
    let bytes = try_write(&[prog("a", "raw_tp", None)], &[], &[]).unwrap();
    let elf = Elf::parse(&bytes).unwrap();
    let names: Vec<_> = elf
        .section_headers
        .iter()
        .filter_map(|s| elf.shdr_strtab.get_at(s.sh_name))
        .collect();
    assert!(
        !names.contains(&".maps") && !names.contains(&".rodata"),
        "{names:?}"
    );
    assert!(names.contains(&"license") && names.contains(&tracec_meta::SECTION));
}
