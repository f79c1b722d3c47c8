//! The object writer against its consumers: goblin parses the ELF file, bpftool
//! dumps its BTF, and both bpftool (libbpf) and aya 0.14 load every program into the
//! kernel.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use tracec::back::{CompiledFunction, Insn, LineEntry, Reloc, RelocTarget};
use tracec::ir::types::StructField;
use tracec::ir::{DataType, Global, GlobalId, Loc, MapDef, MapId, MapKind};
use tracec::obj::{write, ObjectInput};

const SOURCE: &str = "BEGIN { @start = nsecs; }\n\
END { @counts[0]++; }\n\
tracepoint:syscalls:sys_enter_getpid { @events = 42; }\n\
profile:hz:99 { $x = 1; }\n";

const PROGRAMS: [&str; 4] = ["objt_begin", "objt_end", "objt_getpid", "objt_profile"];

fn ins(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        dst,
        src,
        off,
        imm,
    }
}

/// `dst = ld_imm64 imm` (two slots), to be relocated.
fn ld_imm64(dst: u8, imm: i32) -> [Insn; 2] {
    [ins(0x18, dst, 0, 0, imm), ins(0, 0, 0, 0, 0)]
}

const MOV_IMM: u8 = 0xb7;
const MOV_REG: u8 = 0xbf;
const ADD_IMM: u8 = 0x07;
const STX_DW: u8 = 0x7b;
const LDX_DW: u8 = 0x79;
const LDX_W: u8 = 0x61;
const JEQ_IMM: u8 = 0x15;
const CALL: u8 = 0x85;
const EXIT: u8 = 0x95;
const ATOMIC_DW: u8 = 0xdb;

fn loc(line: u32, col: u32) -> Loc {
    Loc { line, col }
}

fn func(
    name: &str,
    section: &str,
    insns: Vec<Insn>,
    relocs: Vec<Reloc>,
    lines: Vec<LineEntry>,
    at: Loc,
) -> CompiledFunction {
    CompiledFunction {
        name: name.into(),
        section: section.into(),
        insns,
        relocs,
        core_relocs: Vec::new(),
        ksyms: Vec::new(),
        lines,
        loc: at,
    }
}

/// `struct objt_key { unsigned long long id; char comm[16]; }`
fn key_type() -> DataType {
    DataType::Struct {
        name: "objt_key".into(),
        size: 24,
        fields: vec![
            StructField {
                name: "id".into(),
                offset: 0,
                ty: DataType::U64,
            },
            StructField {
                name: "comm".into(),
                offset: 8,
                ty: DataType::Str { size: 16 },
            },
        ],
    }
}

fn fixture() -> (Vec<CompiledFunction>, Vec<MapDef>, Vec<Global>) {
    let maps = vec![
        MapDef {
            symbol: "counts".into(),
            kind: MapKind::Hash,
            max_entries: 64,
            key: Some(key_type()),
            value: Some(DataType::U64),
        },
        MapDef {
            symbol: "events".into(),
            kind: MapKind::RingBuf,
            max_entries: 4096 * 4,
            key: None,
            value: None,
        },
    ];
    let globals = vec![
        Global {
            symbol: tracec_meta::GLOBAL_START_NS.into(),
            ty: DataType::U64,
            init: vec![0; 8],
            writable: false,
        },
        Global {
            symbol: "objt_pair".into(),
            ty: DataType::Array {
                elem: Box::new(DataType::U32),
                len: 2,
            },
            init: vec![1, 0, 0, 0, 2, 0, 0, 0],
            writable: false,
        },
        // A writable global: `.bss`, no `const`.
        Global {
            symbol: "objt_count".into(),
            ty: DataType::U64,
            init: vec![0; 8],
            writable: true,
        },
    ];

    // BEGIN: r1 = &tracec_start_ns; r0 = *r1; return 0.
    let mut begin = ld_imm64(1, 0).to_vec();
    begin.extend([
        ins(LDX_DW, 0, 1, 0, 0),
        ins(MOV_IMM, 0, 0, 0, 0),
        ins(EXIT, 0, 0, 0, 0),
    ]);
    let begin = func(
        PROGRAMS[0],
        "raw_tp",
        begin,
        vec![Reloc {
            insn: 0,
            target: RelocTarget::Global(GlobalId(0)),
        }],
        vec![LineEntry {
            insn: 2,
            loc: loc(1, 19),
        }],
        loc(1, 1),
    );

    // END: a zeroed 24-byte key on the stack; lookup; if found, atomically add 1.
    let mut end = vec![
        ins(MOV_IMM, 1, 0, 0, 0),
        ins(STX_DW, 10, 1, -8, 0),
        ins(STX_DW, 10, 1, -16, 0),
        ins(STX_DW, 10, 1, -24, 0),
        ins(MOV_REG, 2, 10, 0, 0),
        ins(ADD_IMM, 2, 0, 0, -24),
    ];
    end.extend(ld_imm64(1, 0));
    end.extend([
        ins(CALL, 0, 0, 0, 1),
        ins(JEQ_IMM, 0, 0, 2, 0),
        ins(MOV_IMM, 1, 0, 0, 1),
        ins(ATOMIC_DW, 0, 1, 0, 0),
        ins(MOV_IMM, 0, 0, 0, 0),
        ins(EXIT, 0, 0, 0, 0),
    ]);
    let end = func(
        PROGRAMS[1],
        "raw_tp",
        end,
        vec![Reloc {
            insn: 6,
            target: RelocTarget::Map(MapId(0)),
        }],
        vec![
            LineEntry {
                insn: 0,
                loc: loc(2, 1),
            },
            LineEntry {
                insn: 6,
                loc: loc(2, 7),
            },
        ],
        loc(2, 1),
    );

    // getpid: reserve 8 bytes in the ringbuf; if granted, write 42 and submit.
    let mut getpid = ld_imm64(1, 0).to_vec();
    getpid.extend([
        ins(MOV_IMM, 2, 0, 0, 8),
        ins(MOV_IMM, 3, 0, 0, 0),
        ins(CALL, 0, 0, 0, 131),
        ins(JEQ_IMM, 0, 0, 5, 0),
        ins(MOV_IMM, 1, 0, 0, 42),
        ins(STX_DW, 0, 1, 0, 0),
        ins(MOV_REG, 1, 0, 0, 0),
        ins(MOV_IMM, 2, 0, 0, 0),
        ins(CALL, 0, 0, 0, 132),
        ins(MOV_IMM, 0, 0, 0, 0),
        ins(EXIT, 0, 0, 0, 0),
    ]);
    let getpid = func(
        PROGRAMS[2],
        "tracepoint/syscalls/sys_enter_getpid",
        getpid,
        vec![Reloc {
            insn: 0,
            target: RelocTarget::Map(MapId(1)),
        }],
        vec![],
        loc(3, 1),
    );

    // profile: r1 = &objt_pair + 4; r0 = *(u32 *)r1; return 0.
    let mut profile = ld_imm64(1, 4).to_vec();
    profile.extend([
        ins(LDX_W, 0, 1, 0, 0),
        ins(MOV_IMM, 0, 0, 0, 0),
        ins(EXIT, 0, 0, 0, 0),
    ]);
    let profile = func(
        PROGRAMS[3],
        "perf_event",
        profile,
        vec![Reloc {
            insn: 0,
            target: RelocTarget::Global(GlobalId(1)),
        }],
        vec![LineEntry {
            insn: 0,
            loc: loc(4, 17),
        }],
        loc(4, 1),
    );
    (vec![begin, end, getpid, profile], maps, globals)
}

fn build() -> Vec<u8> {
    let (functions, maps, globals) = fixture();
    write(&ObjectInput {
        functions: &functions,
        maps: &maps,
        globals: &globals,
        source_name: "fixture.bt",
        source: SOURCE,
        metadata: b"TRCMtest",
    })
    .expect("object writes")
}

/// Writes the fixture object to a scratch file.
fn object_file(tag: &str) -> common::ScratchFile {
    let file = common::ScratchFile::new(tag, "o");
    std::fs::write(&file.0, build()).expect("write object");
    file
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn goblin_sees_sections_symbols_and_relocations() {
    use goblin::elf::{header, reloc, section_header, sym, Elf};
    let bytes = build();
    let elf = Elf::parse(&bytes).expect("goblin parses");
    assert_eq!(elf.header.e_type, header::ET_REL);
    assert_eq!(elf.header.e_machine, header::EM_BPF);
    assert!(elf.is_64 && elf.little_endian);

    let section = |name: &str| {
        elf.section_headers
            .iter()
            .position(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(name))
            .unwrap_or_else(|| panic!("no section {name}"))
    };
    for name in [
        "raw_tp",
        "tracepoint/syscalls/sys_enter_getpid",
        "perf_event",
    ] {
        let s = &elf.section_headers[section(name)];
        assert_eq!(s.sh_type, section_header::SHT_PROGBITS);
        assert_eq!(
            s.sh_flags,
            u64::from(section_header::SHF_ALLOC | section_header::SHF_EXECINSTR),
            "{name}"
        );
        assert_eq!(s.sh_addralign, 8);
    }
    for name in [".maps", ".rodata", "license", ".BTF", ".BTF.ext"] {
        section(name);
    }
    let bss = &elf.section_headers[section(".bss")];
    assert_eq!(bss.sh_type, section_header::SHT_NOBITS);
    assert_eq!(bss.sh_size, 8);
    assert_eq!(
        bss.sh_flags,
        u64::from(section_header::SHF_ALLOC | section_header::SHF_WRITE)
    );
    let meta = &elf.section_headers[section(tracec_meta::SECTION)];
    assert_eq!(meta.sh_flags & u64::from(section_header::SHF_ALLOC), 0);
    let range = meta.sh_offset as usize..(meta.sh_offset + meta.sh_size) as usize;
    assert_eq!(&bytes[range], b"TRCMtest");
    let license = &elf.section_headers[section("license")];
    let range = license.sh_offset as usize..(license.sh_offset + license.sh_size) as usize;
    assert_eq!(&bytes[range], b"GPL\0");

    let (functions, ..) = fixture();
    let symbol = |name: &str| {
        elf.syms
            .iter()
            .find(|s| elf.strtab.get_at(s.st_name) == Some(name))
            .unwrap_or_else(|| panic!("no symbol {name}"))
    };
    let begin_len = functions[0].insns.len() as u64 * 8;
    for (name, value, size) in [
        ("objt_begin", 0, begin_len),
        ("objt_end", begin_len, functions[1].insns.len() as u64 * 8),
    ] {
        let s = symbol(name);
        assert_eq!(s.st_type(), sym::STT_FUNC, "{name}");
        assert_eq!(s.st_bind(), sym::STB_GLOBAL, "{name}");
        assert_eq!((s.st_value, s.st_size), (value, size), "{name}");
        assert_eq!(s.st_shndx, section("raw_tp"), "{name}");
    }
    for (name, sec) in [
        ("counts", ".maps"),
        ("events", ".maps"),
        ("tracec_start_ns", ".rodata"),
        ("objt_pair", ".rodata"),
        ("objt_count", ".bss"),
        ("_license", "license"),
    ] {
        let s = symbol(name);
        assert_eq!(s.st_type(), sym::STT_OBJECT, "{name}");
        assert_eq!(s.st_bind(), sym::STB_GLOBAL, "{name}");
        assert_eq!(s.st_shndx, section(sec), "{name}");
    }
    assert_eq!(symbol("objt_pair").st_value, 8);
    assert_eq!(symbol("objt_pair").st_size, 8);
    assert_eq!(symbol("objt_count").st_value, 0);
    assert_eq!(symbol("objt_count").st_size, 8);
    assert_eq!(symbol("events").st_value, 32, "counts has 4 members");

    // raw_tp's relocations: begin's ld_imm64 against the global, end's (7th slot)
    // against `counts`.
    let raw_tp = section("raw_tp");
    let (rel_idx, relocs) = elf
        .shdr_relocs
        .iter()
        .find(|(idx, _)| elf.section_headers[*idx].sh_info as usize == raw_tp)
        .expect("raw_tp has relocations");
    let rel_shdr = &elf.section_headers[*rel_idx];
    assert_eq!(rel_shdr.sh_type, section_header::SHT_REL);
    assert_eq!(elf.shdr_strtab.get_at(rel_shdr.sh_name), Some(".relraw_tp"));
    let relocs: Vec<_> = relocs.iter().collect();
    assert_eq!(relocs.len(), 2);
    let rel_name = |r: &reloc::Reloc| elf.strtab.get_at(elf.syms.get(r.r_sym).unwrap().st_name);
    assert_eq!(relocs[0].r_offset, 0);
    assert_eq!(rel_name(&relocs[0]), Some("tracec_start_ns"));
    assert_eq!(relocs[1].r_offset, begin_len + 6 * 8);
    assert_eq!(rel_name(&relocs[1]), Some("counts"));
    for r in &relocs {
        assert_eq!(r.r_type, 1, "R_BPF_64_64");
    }
}

#[test]
fn bpftool_dumps_btf() {
    if !common::tool_available("bpftool_dumps_btf", "bpftool") {
        return;
    }
    let file = object_file("btf_dump");
    let path = &file.0;
    let raw = run(Command::new("bpftool")
        .args(["btf", "dump", "file"])
        .arg(path));
    for want in [
        "FUNC 'objt_begin' type_id=",
        "FUNC 'objt_end' type_id=",
        "FUNC 'objt_getpid' type_id=",
        "FUNC 'objt_profile' type_id=",
        "linkage=global",
        "'ctx' type_id=",
        "'type' type_id=",
        "'key' type_id=",
        "'value' type_id=",
        "'max_entries' type_id=",
        "VAR 'counts' type_id=",
        "VAR 'events' type_id=",
        "VAR 'tracec_start_ns' type_id=",
        "DATASEC '.maps' size=48 vlen=2",
        "DATASEC '.rodata' size=16 vlen=2",
        "DATASEC '.bss' size=8 vlen=1",
        "VAR 'objt_count' type_id=",
        "nr_elems=64",
        "nr_elems=16384",
        "CONST '(anon)'",
    ] {
        assert!(raw.contains(want), "missing {want:?} in:\n{raw}");
    }
    let c = run(Command::new("bpftool")
        .args(["btf", "dump", "file"])
        .arg(path)
        .args(["format", "c"]));
    for want in [
        "struct objt_key {",
        "unsigned long long id;",
        "char comm[16];",
    ] {
        assert!(c.contains(want), "missing {want:?} in:\n{c}");
    }
}

/// Program ids whose name is one of ours.
fn loaded_fixture_programs() -> BTreeSet<String> {
    let out = run(Command::new("bpftool").args(["prog", "show"]));
    out.lines()
        .filter_map(|l| {
            PROGRAMS
                .iter()
                .find(|p| l.contains(&format!(" name {p} ")))
                .map(|p| (*p).to_string())
        })
        .collect()
}

#[test]
fn bpftool_loads_every_program() {
    if !common::kernel_available("bpftool_loads_every_program")
        || !common::tool_available("bpftool_loads_every_program", "bpftool")
    {
        return;
    }
    let file = object_file("loadall");
    let path = &file.0;
    let pins = common::PinDir::new("obj_loadall");
    let out = Command::new("bpftool")
        .args(["-d", "prog", "loadall"])
        .arg(path)
        .arg(&pins.0)
        .output()
        .expect("spawn bpftool");
    assert!(
        out.status.success(),
        "bpftool prog loadall failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        !log.contains("Error loading .BTF") && !log.contains("BTF is optional"),
        "the kernel rejected our BTF:\n{log}"
    );
    let pinned: BTreeSet<String> = std::fs::read_dir(&pins.0)
        .expect("pin dir")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let want: BTreeSet<String> = PROGRAMS.iter().map(|p| p.to_string()).collect();
    assert_eq!(pinned, want);
    let shown = run(Command::new("bpftool")
        .args(["prog", "show", "pinned"])
        .arg(pins.0.join("objt_end")));
    assert!(shown.contains("raw_tracepoint"), "{shown}");
    let shown = run(Command::new("bpftool")
        .args(["prog", "show", "pinned"])
        .arg(pins.0.join("objt_profile")));
    assert!(shown.contains("perf_event"), "{shown}");
    // func_info and line_info made it into the kernel.
    let xlated = |name: &str| {
        run(Command::new("bpftool")
            .args(["prog", "dump", "xlated", "pinned"])
            .arg(pins.0.join(name)))
    };
    let end = xlated("objt_end");
    assert!(end.contains("int objt_end(void * ctx):"), "{end}");
    assert!(end.contains("; END { @counts[0]++; }"), "{end}");
    let getpid = xlated("objt_getpid");
    assert!(
        getpid.contains("; tracepoint:syscalls:sys_enter_getpid { @events = 42; }"),
        "{getpid}"
    );
    // The global relocation: objt_pair is at 8 in .rodata, the load is 4 into it.
    let profile = xlated("objt_profile");
    assert!(profile.contains("][0]+12"), "{profile}");
    drop(pins);
    // Unpinned programs are freed asynchronously; give the kernel a moment.
    let mut left = loaded_fixture_programs();
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        left = loaded_fixture_programs();
    }
    assert!(left.is_empty(), "programs still loaded: {left:?}");
}

#[test]
fn aya_loads_every_program_with_global_override() {
    use aya::maps::Array;
    use aya::programs::{PerfEvent, RawTracePoint, TracePoint};
    if !common::kernel_available("aya_loads_every_program_with_global_override") {
        return;
    }
    let bytes = build();
    let start: u64 = 0x1122_3344_5566_7788;
    let mut ebpf = aya::EbpfLoader::new()
        .override_global(tracec_meta::GLOBAL_START_NS, &start, true)
        .load(&bytes)
        .expect("aya loads the object");
    for name in ["objt_begin", "objt_end"] {
        let p: &mut RawTracePoint = ebpf.program_mut(name).unwrap().try_into().unwrap();
        p.load().unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let p: &mut TracePoint = ebpf.program_mut("objt_getpid").unwrap().try_into().unwrap();
    p.load().expect("objt_getpid loads");
    let p: &mut PerfEvent = ebpf
        .program_mut("objt_profile")
        .unwrap()
        .try_into()
        .unwrap();
    p.load().expect("objt_profile loads");
    for name in PROGRAMS {
        let info = ebpf.program(name).unwrap().info().expect("program info");
        assert!(info.btf_id().is_some(), "{name} was loaded with BTF");
    }
    if common::tool_available("aya_loads_every_program_with_global_override", "bpftool") {
        // aya resolved the global relocation to objt_pair (offset 8) + 4.
        let id = ebpf.program("objt_profile").unwrap().info().unwrap().id();
        let xlated = run(Command::new("bpftool")
            .args(["prog", "dump", "xlated", "id"])
            .arg(id.to_string()));
        assert!(xlated.contains("][0]+12"), "{xlated}");
    }

    let rodata: Array<_, [u8; 16]> =
        Array::try_from(ebpf.map(".rodata").expect(".rodata map")).expect("array");
    let value = rodata.get(&0, 0).expect("read .rodata");
    assert_eq!(
        &value[..8],
        &start.to_le_bytes(),
        "override_global took effect"
    );
    assert_eq!(&value[8..], &[1, 0, 0, 0, 2, 0, 0, 0]);
    let names: BTreeSet<&str> = ebpf.maps().map(|(n, _)| n).collect();
    assert!(
        names.contains("counts") && names.contains("events"),
        "{names:?}"
    );
}
