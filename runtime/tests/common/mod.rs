//! Hand-assembled BPF objects in tracec's format, for tests that run tracerun for real.

#![allow(dead_code)]

use object::write::{Object, Relocation, SectionId, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};
use tracec_meta::Metadata;

/// One BPF instruction.
pub fn insn(op: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[0] = op;
    b[1] = (src << 4) | (dst & 0xf);
    b[2..4].copy_from_slice(&off.to_le_bytes());
    b[4..8].copy_from_slice(&imm.to_le_bytes());
    b
}

/// A program under construction: code plus the map each `ld_imm64` refers to.
#[derive(Default)]
pub struct Prog {
    pub code: Vec<u8>,
    pub map_refs: Vec<(usize, String)>,
}

impl Prog {
    pub fn push(&mut self, i: [u8; 8]) -> &mut Self {
        self.code.extend_from_slice(&i);
        self
    }
    /// `*(u32 *)(r10 + off) = imm`
    pub fn st_w(&mut self, off: i16, imm: i32) -> &mut Self {
        self.push(insn(0x62, 10, 0, off, imm))
    }
    /// `*(u64 *)(r10 + off) = imm`
    pub fn st_dw(&mut self, off: i16, imm: i32) -> &mut Self {
        self.push(insn(0x7a, 10, 0, off, imm))
    }
    pub fn mov_imm(&mut self, dst: u8, imm: i32) -> &mut Self {
        self.push(insn(0xb7, dst, 0, 0, imm))
    }
    /// `dst = r10 + off`
    pub fn fp_addr(&mut self, dst: u8, off: i32) -> &mut Self {
        self.push(insn(0xbf, dst, 10, 0, 0));
        self.push(insn(0x07, dst, 0, 0, off))
    }
    /// `dst = &map` (relocated)
    pub fn ld_map(&mut self, dst: u8, map: &str) -> &mut Self {
        self.map_refs.push((self.code.len(), map.to_string()));
        self.push(insn(0x18, dst, 0, 0, 0));
        self.push(insn(0, 0, 0, 0, 0))
    }
    pub fn call(&mut self, helper: i32) -> &mut Self {
        self.push(insn(0x85, 0, 0, 0, helper))
    }
    pub fn exit(&mut self) -> &mut Self {
        self.mov_imm(0, 0);
        self.push(insn(0x95, 0, 0, 0, 0))
    }
    /// `bpf_ringbuf_output(&events, r10 + off, len, 0)`
    pub fn ringbuf_output(&mut self, events: &str, off: i32, len: i32) -> &mut Self {
        self.ld_map(1, events);
        self.fp_addr(2, off);
        self.mov_imm(3, len);
        self.mov_imm(4, 0);
        self.call(130)
    }
}

/// A legacy `maps`-section map: type, key size, value size, max entries.
pub struct MapDef {
    pub name: String,
    pub ty: u32,
    pub key: u32,
    pub value: u32,
    pub max: u32,
}

/// Build a relocatable BPF ELF with the given programs (symbol, section, code),
/// maps and metadata.
pub fn build(progs: &[(&str, &str, &Prog)], maps: &[MapDef], meta: Option<&Metadata>) -> Vec<u8> {
    build_with(progs, maps, meta, &[])
}

/// [`build`], plus extra data sections `(name, bytes)`.
pub fn build_with(
    progs: &[(&str, &str, &Prog)],
    maps: &[MapDef],
    meta: Option<&Metadata>,
    extra: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Bpf, Endianness::Little);
    let mut map_syms = std::collections::HashMap::new();
    if !maps.is_empty() {
        let sec = obj.add_section(Vec::new(), b"maps".to_vec(), SectionKind::Data);
        for m in maps {
            let mut def = Vec::new();
            for w in [m.ty, m.key, m.value, m.max, 0] {
                def.extend_from_slice(&w.to_le_bytes());
            }
            let off = obj.append_section_data(sec, &def, 4);
            let sym = obj.add_symbol(Symbol {
                name: m.name.as_bytes().to_vec(),
                value: off,
                size: 20,
                kind: SymbolKind::Data,
                scope: SymbolScope::Dynamic,
                weak: false,
                section: SymbolSection::Section(sec),
                flags: SymbolFlags::None,
            });
            map_syms.insert(m.name.clone(), sym);
        }
    }
    for (name, section, prog) in progs {
        let sec: SectionId =
            obj.add_section(Vec::new(), section.as_bytes().to_vec(), SectionKind::Text);
        let off = obj.append_section_data(sec, &prog.code, 8);
        obj.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value: off,
            size: prog.code.len() as u64,
            kind: SymbolKind::Text,
            scope: SymbolScope::Dynamic,
            weak: false,
            section: SymbolSection::Section(sec),
            flags: SymbolFlags::None,
        });
        for (at, map) in &prog.map_refs {
            obj.add_relocation(
                sec,
                Relocation {
                    offset: *at as u64,
                    symbol: map_syms[map],
                    addend: 0,
                    flags: object::RelocationFlags::Elf { r_type: 1 },
                },
            )
            .unwrap();
        }
    }
    let lic = obj.add_section(Vec::new(), b"license".to_vec(), SectionKind::Data);
    obj.append_section_data(lic, b"GPL\0", 1);
    if let Some(meta) = meta {
        let sec = obj.add_section(
            Vec::new(),
            tracec_meta::SECTION.as_bytes().to_vec(),
            SectionKind::Metadata,
        );
        obj.append_section_data(sec, &tracec_meta::encode(meta), 1);
    }
    for (name, bytes) in extra {
        let sec = obj.add_section(Vec::new(), name.as_bytes().to_vec(), SectionKind::Metadata);
        obj.append_section_data(sec, bytes, 1);
    }
    obj.write().unwrap()
}

pub fn metadata() -> Metadata {
    Metadata {
        core_relocs: Vec::new(),
        ksyms: Vec::new(),
        compiler_version: "test".into(),
        source_name: "test.bt".into(),
        source_hash: "0".into(),
        probes: vec![],
        maps: vec![],
        printfs: vec![],
        joins: vec![],
        unsafe_builtins: false,
        source: None,
        params: Vec::new(),
        print_values: Vec::new(),
        skip_maps_on_exit: false,
        strftime_formats: Vec::new(),
        symbol_globals: Vec::new(),
        attach_names: Vec::new(),
        missing_probes: Default::default(),
        syscall_names: Vec::new(),
        skb_outputs: Vec::new(),
        runtime_config: Vec::new(),
        bound_args: Vec::new(),
        attach_templates: Vec::new(),
    }
}

/// Whether kernel tests can run; prints why not, and panics if they must run.
pub fn kernel_available(test: &str) -> bool {
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        return true;
    }
    if std::env::var("TRACEC_REQUIRE_KERNEL").as_deref() == Ok("1") {
        panic!("{test}: TRACEC_REQUIRE_KERNEL=1 but not running as root");
    }
    eprintln!("skipping {test}: needs root to load BPF programs");
    false
}
