//! Lays out the ELF file: program sections, `.maps`, `.rodata`, `license`, `.BTF`,
//! `.BTF.ext`, the metadata section and, when asked, an empty signature section, with
//! symbols and `R_BPF_64_64` relocations.

use std::collections::HashMap;

use object::write::{Object, Relocation, SectionId, Symbol, SymbolId, SymbolSection};
use object::{
    elf, Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags,
    SymbolKind, SymbolScope,
};

use super::btf::{Btf, BtfType, Member, VarLinkage, VarSecInfo};
use super::btf_ext::{BtfExt, CoreRelo, FuncInfo, LineInfo};
use super::core::CoreTypes;
use super::ObjectInput;
use crate::back::{CompiledFunction, RelocTarget};
use crate::ir::{Loc, MapDef, SUBPROGRAM_SECTION};

/// Parameters of a subprogram: `bpf_for_each_map_elem`'s callback
/// `long cb(void *map, void *key, void *value, void *ctx)`.
const CALLBACK_PARAMS: &[&str] = &["map", "key", "value", "ctx"];

/// Size of one instruction slot.
const INSN: u32 = 8;

pub fn write(input: &ObjectInput, signature_slot: bool) -> Result<Vec<u8>, String> {
    super::check::check(input)?;
    let mut w = Writer {
        obj: Object::new(BinaryFormat::Elf, Architecture::Bpf, Endianness::Little),
        btf: Btf::new(),
        ext: BtfExt::new(),
        lines: input.source.lines().map(|l| l.trim_end()).collect(),
        input,
    };

    let programs = w.programs();
    w.core_relocs(&programs)?;
    let map_syms = w.maps()?;
    let global_syms = w.globals()?;
    w.license();
    for &(section, offset, f) in &programs {
        for r in &f.relocs {
            let symbol = match r.target {
                RelocTarget::Map(id) => map_syms[id.0 as usize],
                RelocTarget::Global(id) => global_syms[id.0 as usize],
                // Against the `.text` section symbol, the function's offset in
                // `imm`: what clang emits for a static function, and the form libbpf
                // (`sym_is_subprog`) and aya both resolve.
                RelocTarget::Func(id) => {
                    let text = programs[id.0 as usize].0;
                    w.obj.section_symbol(text)
                }
            };
            w.obj
                .add_relocation(
                    section,
                    Relocation {
                        offset: offset + r.insn as u64 * u64::from(INSN),
                        symbol,
                        addend: 0,
                        flags: RelocationFlags::Elf {
                            r_type: elf::R_BPF_64_64,
                        },
                    },
                )
                .map_err(|e| format!("relocation in `{}`: {e}", f.name))?;
        }
    }

    let btf = w.btf.encode();
    let ext = w.ext.encode();
    w.section(".BTF", SectionKind::Other, btf, 4);
    w.section(".BTF.ext", SectionKind::Other, ext, 4);
    w.section(
        tracec_meta::SECTION,
        SectionKind::Other,
        input.metadata.to_vec(),
        8,
    );
    if signature_slot {
        w.section(
            tracec_meta::SIGNATURE_SECTION,
            SectionKind::Other,
            vec![0; tracec_meta::sign::SIGNATURE_SIZE],
            tracec_meta::sign::SIGNATURE_ALIGN,
        );
    }
    w.obj
        .write()
        .map_err(|e| format!("writing the ELF file: {e}"))
}

/// The byte offset of each subprogram in `.text` (subprograms are concatenated in
/// order); `None` for programs.
fn subprogram_offsets(functions: &[CompiledFunction]) -> Vec<Option<u64>> {
    let mut next = 0u64;
    functions
        .iter()
        .map(|f| {
            (f.section == SUBPROGRAM_SECTION).then(|| {
                let at = next;
                next += f.insns.len() as u64 * u64::from(INSN);
                at
            })
        })
        .collect()
}

struct Writer<'a> {
    obj: Object<'static>,
    btf: Btf,
    ext: BtfExt,
    lines: Vec<&'a str>,
    input: &'a ObjectInput<'a>,
}

impl<'a> Writer<'a> {
    fn section(&mut self, name: &str, kind: SectionKind, data: Vec<u8>, align: u64) -> SectionId {
        let id = self
            .obj
            .add_section(Vec::new(), name.as_bytes().to_vec(), kind);
        self.obj.set_section_data(id, data, align);
        id
    }

    fn symbol(
        &mut self,
        name: &str,
        kind: SymbolKind,
        section: SectionId,
        value: u64,
        size: u64,
    ) -> SymbolId {
        self.symbol_scoped(name, kind, section, value, size, SymbolScope::Dynamic)
    }

    /// A symbol with `scope`: `Dynamic` is `STB_GLOBAL`, `Compilation` `STB_LOCAL`.
    fn symbol_scoped(
        &mut self,
        name: &str,
        kind: SymbolKind,
        section: SectionId,
        value: u64,
        size: u64,
        scope: SymbolScope,
    ) -> SymbolId {
        self.obj.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value,
            size,
            kind,
            scope,
            weak: false,
            section: SymbolSection::Section(section),
            flags: SymbolFlags::None,
        })
    }

    /// One executable section per distinct `section`, programs concatenated, with
    /// their FUNC, func_info and line_info. Subprograms go to `.text` with local
    /// symbols and static BTF linkage (what libbpf and aya link into the programs
    /// that reference them). Returns where each function landed and its symbol.
    fn programs(&mut self) -> Vec<(SectionId, u64, &'a CompiledFunction)> {
        let mut sections: HashMap<&str, SectionId> = HashMap::new();
        let mut placed = Vec::new();
        let text_offsets = subprogram_offsets(self.input.functions);
        for f in self.input.functions {
            let section = match sections.get(f.section.as_str()) {
                Some(&s) => s,
                None => {
                    let s = self.obj.add_section(
                        Vec::new(),
                        f.section.as_bytes().to_vec(),
                        SectionKind::Text,
                    );
                    sections.insert(&f.section, s);
                    s
                }
            };
            let mut insns = f.insns.clone();
            for r in &f.relocs {
                if let RelocTarget::Func(id) = r.target {
                    let off = text_offsets.get(id.0 as usize).copied().flatten();
                    insns[r.insn].imm = off.unwrap_or(0) as i32;
                }
            }
            let code: Vec<u8> = insns.iter().flat_map(|i| i.encode()).collect();
            let size = code.len() as u64;
            let offset = self
                .obj
                .append_section_data(section, &code, u64::from(INSN));
            let sub = f.section == SUBPROGRAM_SECTION;
            let scope = if sub {
                SymbolScope::Compilation
            } else {
                SymbolScope::Dynamic
            };
            self.symbol_scoped(&f.name, SymbolKind::Text, section, offset, size, scope);

            let sec_name = self.btf.strings.add(&f.section);
            let func = if sub {
                self.btf.subprogram_func(&f.name, CALLBACK_PARAMS)
            } else {
                self.btf.program_func(&f.name)
            };
            self.ext.add_func_info(
                sec_name,
                FuncInfo {
                    insn_off: offset as u32,
                    type_id: func,
                },
            );
            if f.lines.first().is_none_or(|l| l.insn != 0) {
                self.line_info(sec_name, offset as u32, f.loc);
            }
            for l in &f.lines {
                self.line_info(sec_name, offset as u32 + l.insn as u32 * INSN, l.loc);
            }
            placed.push((section, offset, f));
        }
        placed
    }

    fn line_info(&mut self, sec_name: u32, insn_off: u32, loc: Loc) {
        let text = (loc.line as usize)
            .checked_sub(1)
            .and_then(|i| self.lines.get(i))
            .copied()
            .unwrap_or("");
        let rec = LineInfo {
            insn_off,
            file_name_off: self.btf.strings.add(self.input.source_name),
            line_off: self.btf.strings.add(text),
            line: loc.line,
            col: loc.col,
        };
        self.ext.add_line_info(sec_name, rec);
    }

    /// The CO-RE relocations of all programs: local types and `.BTF.ext` records.
    fn core_relocs(
        &mut self,
        programs: &[(SectionId, u64, &CompiledFunction)],
    ) -> Result<(), String> {
        let mut types = CoreTypes::new();
        let mut records = Vec::new();
        for (_, offset, f) in programs {
            let sec_name = self.btf.strings.add(&f.section);
            for r in &f.core_relocs {
                types
                    .add(&r.access)
                    .map_err(|e| format!("program `{}`: {e}", f.name))?;
                let insn_off = *offset as u32 + r.insn as u32 * INSN;
                records.push((sec_name, insn_off, r.access.kind.number()));
            }
        }
        let resolved = types.finish(&mut self.btf)?;
        for ((sec_name, insn_off, kind), (type_id, access)) in records.into_iter().zip(resolved) {
            let access_str_off = self.btf.strings.add(&access);
            self.ext.add_core_relo(
                sec_name,
                CoreRelo {
                    insn_off,
                    type_id,
                    access_str_off,
                    kind,
                },
            );
        }
        Ok(())
    }

    /// `.maps`: a zeroed struct per map, described by BTF. Returns the map symbols.
    fn maps(&mut self) -> Result<Vec<SymbolId>, String> {
        if self.input.maps.is_empty() {
            return Ok(Vec::new());
        }
        let mut defs = Vec::new();
        let mut size = 0u32;
        for m in self.input.maps {
            let ty = self
                .map_struct(m)
                .map_err(|e| format!("map `{}`: {e}", m.symbol))?;
            let var = self.btf.add(BtfType::Var {
                name: m.symbol.clone(),
                ty,
                linkage: VarLinkage::GlobalAllocated,
            });
            let var_size = self.btf.size_of(ty).unwrap_or(0);
            defs.push(VarSecInfo {
                var,
                offset: size,
                size: var_size,
            });
            size += var_size;
        }
        let section = self.section(".maps", SectionKind::Data, vec![0; size as usize], 8);
        let syms = self
            .input
            .maps
            .iter()
            .zip(&defs)
            .map(|(m, d)| {
                self.symbol(
                    &m.symbol,
                    SymbolKind::Data,
                    section,
                    u64::from(d.offset),
                    u64::from(d.size),
                )
            })
            .collect();
        self.btf.add(BtfType::DataSec {
            name: ".maps".into(),
            size,
            vars: defs,
        });
        Ok(syms)
    }

    /// The libbpf map definition struct: `type`, `key`, `value`, `max_entries`.
    fn map_struct(&mut self, m: &MapDef) -> Result<u32, String> {
        let mut members = Vec::new();
        let mut member = |name: &str, ty: u32| {
            let bit_offset = members.len() as u32 * 64;
            members.push(Member {
                name: name.into(),
                ty,
                bit_offset,
            });
        };
        member("type", self.btf.map_attr(m.kind.bpf_type()));
        if let Some(key) = &m.key {
            let k = self.btf.data_type(key)?;
            member("key", self.btf.ptr(k));
        }
        if let Some(value) = &m.value {
            let v = self.btf.data_type(value)?;
            member("value", self.btf.ptr(v));
        }
        member("max_entries", self.btf.map_attr(m.max_entries));
        if m.kind.map_flags() != 0 {
            member("map_flags", self.btf.map_attr(m.kind.map_flags()));
        }
        let size = members.len() as u32 * 8;
        Ok(self.btf.add(BtfType::Struct {
            name: String::new(),
            size,
            members,
        }))
    }

    /// The globals: constant ones in `.rodata` (as `const` BTF VARs), writable ones in
    /// `.bss`, each at its alignment. Returns the global symbols, in `GlobalId` order.
    fn globals(&mut self) -> Result<Vec<SymbolId>, String> {
        let mut syms = vec![None; self.input.globals.len()];
        for writable in [false, true] {
            let ids: Vec<usize> = (0..self.input.globals.len())
                .filter(|&i| self.input.globals[i].writable == writable)
                .collect();
            for (i, sym) in self.data_section(&ids, writable)? {
                syms[i] = Some(sym);
            }
        }
        Ok(syms.into_iter().flatten().collect())
    }

    /// One data section holding the globals `ids`, with its BTF DATASEC.
    fn data_section(
        &mut self,
        ids: &[usize],
        writable: bool,
    ) -> Result<Vec<(usize, SymbolId)>, String> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let name = if writable { ".bss" } else { ".rodata" };
        let mut data = Vec::new();
        let mut align = 1u32;
        let mut vars = Vec::new();
        let mut placed = Vec::new();
        for &i in ids {
            let g = &self.input.globals[i];
            let a = g.ty.align().max(1);
            align = align.max(a);
            let offset = data.len().next_multiple_of(a as usize);
            data.resize(offset, 0);
            data.extend_from_slice(&g.init);
            let mut ty = self
                .btf
                .data_type(&g.ty)
                .map_err(|e| format!("global `{}`: {e}", g.symbol))?;
            if !writable {
                ty = self.btf.add(BtfType::Const { target: ty });
            }
            let var = self.btf.add(BtfType::Var {
                name: g.symbol.clone(),
                ty,
                linkage: VarLinkage::GlobalAllocated,
            });
            vars.push(VarSecInfo {
                var,
                offset: offset as u32,
                size: g.ty.size(),
            });
            placed.push((i, offset as u64, u64::from(g.ty.size())));
        }
        let size = data.len() as u32;
        let section = if writable {
            let section = self.obj.add_section(
                Vec::new(),
                name.as_bytes().to_vec(),
                SectionKind::UninitializedData,
            );
            self.obj
                .append_section_bss(section, u64::from(size), u64::from(align));
            section
        } else {
            self.section(name, SectionKind::ReadOnlyData, data, u64::from(align))
        };
        let syms = placed
            .into_iter()
            .map(|(i, offset, size)| {
                let symbol = self.input.globals[i].symbol.clone();
                (
                    i,
                    self.symbol(&symbol, SymbolKind::Data, section, offset, size),
                )
            })
            .collect();
        self.btf.add(BtfType::DataSec {
            name: name.into(),
            size,
            vars,
        });
        Ok(syms)
    }

    fn license(&mut self) {
        let license = b"GPL\0".to_vec();
        let len = license.len() as u64;
        let section = self.section("license", SectionKind::Data, license, 1);
        self.symbol(super::LICENSE_SYMBOL, SymbolKind::Data, section, 0, len);
    }
}
