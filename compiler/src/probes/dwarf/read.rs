//! Reading `.debug_info` with gimli: the subprogram of a name, its parameters and
//! the types they reach, into a [`Function`] with its own type table.

use std::collections::HashMap;
use std::path::Path;

use gimli::{AttributeValue, EndianSlice, RunTimeEndian, UnitOffset};
use goblin::elf::Elf;

use super::split;
use super::{DType, Encoding, Function, Member, Param, Qual, TyIdx, VOID};
use tracec_meta::debugsec;

type R<'a> = EndianSlice<'a, RunTimeEndian>;
type Unit<'a> = gimli::Unit<R<'a>>;
type Entry<'a> = gimli::DebuggingInformationEntry<R<'a>>;

/// How deep type references are followed (pointers to structs to pointers...).
const MAX_DEPTH: u32 = 48;

/// The contents of section `name` of `elf` (empty when absent or `SHT_NOBITS`).
pub(super) fn section<'a>(elf: &Elf<'_>, bytes: &'a [u8], name: &str) -> &'a [u8] {
    use goblin::elf::section_header::SHT_NOBITS;
    let Some(sh) = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(name))
    else {
        return &[];
    };
    if sh.sh_type == SHT_NOBITS {
        return &[];
    }
    let start = usize::try_from(sh.sh_offset).unwrap_or(usize::MAX);
    let len = usize::try_from(sh.sh_size).unwrap_or(0);
    start
        .checked_add(len)
        .and_then(|end| bytes.get(start..end))
        .unwrap_or(&[])
}

/// Whether the ELF image `bytes` has a `.debug_info` section (compressed or not).
pub(super) fn has_dwarf(bytes: &[u8]) -> bool {
    Elf::parse(bytes).is_ok_and(|elf| {
        [".debug_info", ".zdebug_info"]
            .iter()
            .any(|n| !section(&elf, bytes, n).is_empty())
    })
}

/// The debug sections of an ELF image, decompressed; a section that cannot be
/// (corrupt) is reported once for the file `path` ([`super::warn_once`]).
pub(super) fn debug_sections<'a>(
    elf: &Elf<'_>,
    bytes: &'a [u8],
    path: Option<&Path>,
) -> debugsec::All<'a> {
    let all = debugsec::All::read(elf, bytes);
    if let Some(e) = &all.error {
        super::warn_once(path, e);
    }
    all
}

/// The functions described in the DWARF of the ELF image `bytes` whose names `want`
/// accepts (the first definition of each name); empty without DWARF. `binary` is where
/// the image was read from: split units are looked up from there ([`super::split`]).
pub(super) fn functions(
    bytes: &[u8],
    binary: Option<&Path>,
    want: &dyn Fn(&str) -> bool,
) -> Result<Vec<Function>, String> {
    let mut out: Vec<Function> = Vec::new();
    let Ok(elf) = Elf::parse(bytes) else {
        return Ok(out);
    };
    let endian = if elf.little_endian {
        RunTimeEndian::Little
    } else {
        RunTimeEndian::Big
    };
    if !has_dwarf(bytes) {
        return Ok(out);
    }
    let secs = debug_sections(&elf, bytes, binary);
    let dwarf = gimli::Dwarf::load(|id| -> Result<R<'_>, gimli::Error> {
        Ok(EndianSlice::new(secs.get(id.name()), endian))
    })
    .map_err(|e| format!("cannot read DWARF: {e}"))?;
    let package_bytes = binary.and_then(split::read_package);
    let package_elf = package_bytes.as_deref().and_then(|b| Elf::parse(b).ok());
    let package_secs = match (&package_bytes, &package_elf) {
        (Some(b), Some(pelf)) => Some(debug_sections(pelf, b, binary)),
        _ => None,
    };
    let package = match &package_secs {
        Some(psecs) => gimli::DwarfPackage::load(
            |id| -> Result<R<'_>, gimli::Error> {
                let name = split::dwo_section_name(id);
                Ok(EndianSlice::new(psecs.get(name), endian))
            },
            EndianSlice::new(&[], endian),
        )
        .ok(),
        _ => None,
    };
    let mut units = dwarf.units();
    while let Ok(Some(header)) = units.next() {
        let Ok(unit) = dwarf.unit(header) else {
            continue;
        };
        match unit.dwo_id {
            Some(id) => {
                let from_package = package
                    .as_ref()
                    .and_then(|p| p.find_cu(id, &dwarf).ok().flatten());
                if let Some(dwo) = from_package {
                    scan_split(&dwo, &unit, id, want, &mut out);
                    continue;
                }
                let Some(dwo_bytes) = dwo_file(&dwarf, &unit, binary) else {
                    continue;
                };
                let Ok(dwo_elf) = Elf::parse(&dwo_bytes) else {
                    continue;
                };
                let dwo_secs = debug_sections(&dwo_elf, &dwo_bytes, binary);
                let loaded = gimli::Dwarf::load(|id| -> Result<R<'_>, gimli::Error> {
                    let name = split::dwo_section_name(id);
                    Ok(EndianSlice::new(dwo_secs.get(name), endian))
                });
                if let Ok(mut dwo) = loaded {
                    dwo.make_dwo(&dwarf);
                    scan_split(&dwo, &unit, id, want, &mut out);
                }
            }
            None => scan_unit(&dwarf, &unit, want, &mut out),
        }
    }
    Ok(out)
}

/// The contents of the `.dwo` file of the skeleton unit `unit`.
fn dwo_file(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &Unit<'_>,
    binary: Option<&Path>,
) -> Option<Vec<u8>> {
    let name = unit.dwo_name().ok()??;
    let name = dwarf.attr_string(unit, name).ok()?;
    let name = name.to_string_lossy().into_owned();
    let comp_dir = unit.comp_dir.map(|d| d.to_string_lossy().into_owned());
    split::read_first(&split::dwo_candidates(&name, comp_dir.as_deref(), binary))
}

/// Scans the split unit `id` of `dwo` (a `.dwo` file or a package's contribution),
/// whose skeleton is `skeleton`.
fn scan_split<'a>(
    dwo: &gimli::Dwarf<R<'a>>,
    skeleton: &Unit<'a>,
    id: gimli::DwoId,
    want: &dyn Fn(&str) -> bool,
    out: &mut Vec<Function>,
) {
    let mut units = dwo.units();
    while let Ok(Some(header)) = units.next() {
        let Ok(mut unit) = dwo.unit(header) else {
            continue;
        };
        if unit.dwo_id.is_some_and(|u| u != id) {
            continue;
        }
        unit.copy_relocated_attributes(skeleton);
        scan_unit(dwo, &unit, want, out);
    }
}

/// Adds the functions of `unit` that `want` accepts and `out` does not hold yet.
fn scan_unit<'a>(
    dwarf: &gimli::Dwarf<R<'a>>,
    unit: &Unit<'a>,
    want: &dyn Fn(&str) -> bool,
    out: &mut Vec<Function>,
) {
    let mut entries = unit.entries();
    while let Ok(Some(e)) = entries.next_dfs() {
        if e.tag() != gimli::DW_TAG_subprogram
            || e.attr_value(gimli::DW_AT_declaration).is_some()
            || e.attr_value(gimli::DW_AT_low_pc).is_none()
        {
            continue;
        }
        let found = [gimli::DW_AT_linkage_name, gimli::DW_AT_name]
            .into_iter()
            .filter_map(|at| string(dwarf, unit, e, at))
            .find(|n| want(n) && !out.iter().any(|f| &f.name == n));
        let Some(name) = found else {
            continue;
        };
        let offset = e.offset();
        let mut tables = Tables {
            dwarf,
            unit,
            types: vec![DType::Void],
            seen: HashMap::new(),
        };
        out.push(tables.subprogram(&name, offset));
    }
}

/// Attribute `at` of `e` as a string.
fn string(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &Unit<'_>,
    e: &Entry<'_>,
    at: gimli::DwAt,
) -> Option<String> {
    let v = e.attr_value(at)?;
    let s = dwarf.attr_string(unit, v).ok()?;
    Some(s.to_string_lossy().into_owned())
}

struct Tables<'d, 'a> {
    dwarf: &'d gimli::Dwarf<R<'a>>,
    unit: &'d Unit<'a>,
    types: Vec<DType>,
    seen: HashMap<UnitOffset, TyIdx>,
}

impl<'a> Tables<'_, 'a> {
    fn subprogram(&mut self, name: &str, offset: UnitOffset) -> Function {
        let mut params = Vec::new();
        let mut ret = VOID;
        if let Ok(e) = self.unit.entry(offset) {
            ret = self.type_attr(&e, 0);
        }
        if let Ok(mut tree) = self.unit.entries_tree(Some(offset)) {
            if let Ok(root) = tree.root() {
                let mut children = root.children();
                while let Ok(Some(child)) = children.next() {
                    let e = child.entry();
                    if e.tag() != gimli::DW_TAG_formal_parameter {
                        continue;
                    }
                    let pname = self.name(e).unwrap_or_default();
                    let ty = self.type_attr(e, 0);
                    params.push(Param { name: pname, ty });
                }
            }
        }
        Function {
            name: name.to_string(),
            params,
            ret,
            types: std::mem::take(&mut self.types),
        }
    }

    fn name(&self, e: &Entry<'a>) -> Option<String> {
        string(self.dwarf, self.unit, e, gimli::DW_AT_name)
    }

    fn udata(e: &Entry<'a>, at: gimli::DwAt) -> Option<u64> {
        e.attr(at)?.udata_value()
    }

    /// The type `DW_AT_type` of `e` names ([`VOID`] without one).
    fn type_attr(&mut self, e: &Entry<'a>, depth: u32) -> TyIdx {
        let off = match e.attr_value(gimli::DW_AT_type) {
            Some(AttributeValue::UnitRef(o)) => o,
            Some(AttributeValue::DebugInfoRef(o)) => match o.to_unit_offset(&self.unit.header) {
                Some(o) => o,
                None => return VOID,
            },
            _ => return VOID,
        };
        self.ty(off, depth)
    }

    fn ty(&mut self, off: UnitOffset, depth: u32) -> TyIdx {
        if let Some(&i) = self.seen.get(&off) {
            return i;
        }
        if depth > MAX_DEPTH {
            return VOID;
        }
        let Ok(e) = self.unit.entry(off) else {
            return VOID;
        };
        // Reserve the slot first: records may point to themselves.
        let idx = self.types.len();
        self.types.push(DType::Void);
        self.seen.insert(off, idx);
        let t = self.describe(&e, off, depth + 1);
        self.types[idx] = t;
        idx
    }

    fn describe(&mut self, e: &Entry<'a>, off: UnitOffset, depth: u32) -> DType {
        let size = Self::udata(e, gimli::DW_AT_byte_size).unwrap_or(0) as u32;
        match e.tag() {
            gimli::DW_TAG_base_type => {
                let enc = e
                    .attr_value(gimli::DW_AT_encoding)
                    .and_then(|v| match v {
                        AttributeValue::Encoding(x) => Some(x),
                        other => other.udata_value().map(|n| gimli::DwAte(n as u8)),
                    })
                    .unwrap_or(gimli::DW_ATE_signed);
                let encoding = match enc {
                    gimli::DW_ATE_unsigned => Encoding::Unsigned,
                    gimli::DW_ATE_signed_char => Encoding::SignedChar,
                    gimli::DW_ATE_unsigned_char | gimli::DW_ATE_UTF => Encoding::UnsignedChar,
                    gimli::DW_ATE_boolean => Encoding::Bool,
                    gimli::DW_ATE_float => Encoding::Float,
                    _ => Encoding::Signed,
                };
                DType::Base {
                    name: self.name(e).unwrap_or_default(),
                    size,
                    encoding,
                }
            }
            gimli::DW_TAG_pointer_type
            | gimli::DW_TAG_reference_type
            | gimli::DW_TAG_rvalue_reference_type => DType::Ptr(self.type_attr(e, depth)),
            gimli::DW_TAG_const_type => DType::Qualified(Qual::Const, self.type_attr(e, depth)),
            gimli::DW_TAG_volatile_type => {
                DType::Qualified(Qual::Volatile, self.type_attr(e, depth))
            }
            gimli::DW_TAG_restrict_type => {
                DType::Qualified(Qual::Restrict, self.type_attr(e, depth))
            }
            gimli::DW_TAG_atomic_type => DType::Qualified(Qual::Atomic, self.type_attr(e, depth)),
            gimli::DW_TAG_typedef => DType::Typedef {
                name: self.name(e).unwrap_or_default(),
                target: self.type_attr(e, depth),
            },
            gimli::DW_TAG_structure_type | gimli::DW_TAG_class_type | gimli::DW_TAG_union_type => {
                let union = e.tag() == gimli::DW_TAG_union_type;
                let declaration = e.attr_value(gimli::DW_AT_declaration).is_some();
                let members = self.members(off, union, depth);
                DType::Record {
                    name: self.name(e).unwrap_or_default(),
                    union,
                    size,
                    members,
                    declaration,
                }
            }
            gimli::DW_TAG_array_type => self.array(e, off, depth),
            gimli::DW_TAG_enumeration_type => {
                let under = self.type_attr(e, depth);
                let signed = matches!(
                    self.types.get(under),
                    Some(DType::Base {
                        encoding: Encoding::Signed | Encoding::SignedChar,
                        ..
                    })
                );
                DType::Enum {
                    name: self.name(e).unwrap_or_default(),
                    size: if size == 0 { 4 } else { size },
                    signed,
                    values: self.enumerators(off),
                }
            }
            gimli::DW_TAG_subroutine_type => DType::Func {
                ret: self.type_attr(e, depth),
            },
            _ => DType::Void,
        }
    }

    /// The children of the DIE at `off`, as entries.
    fn children(&self, off: UnitOffset) -> Vec<Entry<'a>> {
        let mut out = Vec::new();
        if let Ok(mut tree) = self.unit.entries_tree(Some(off)) {
            if let Ok(root) = tree.root() {
                let mut children = root.children();
                while let Ok(Some(child)) = children.next() {
                    out.push(child.entry().clone());
                }
            }
        }
        out
    }

    fn members(&mut self, off: UnitOffset, union: bool, depth: u32) -> Vec<Member> {
        let mut out = Vec::new();
        for m in self.children(off) {
            if m.tag() != gimli::DW_TAG_member {
                continue;
            }
            // Static members (C++) have no location in the object.
            if m.attr_value(gimli::DW_AT_external).is_some() {
                continue;
            }
            let ty = self.type_attr(&m, depth);
            let bit_size = Self::udata(&m, gimli::DW_AT_bit_size).unwrap_or(0) as u32;
            let bit_offset = match Self::udata(&m, gimli::DW_AT_data_bit_offset) {
                Some(b) => b as u32,
                None => {
                    let bytes = match m.attr_value(gimli::DW_AT_data_member_location) {
                        Some(v) => v.udata_value().unwrap_or(0) as u32,
                        None if union => 0,
                        None => 0,
                    };
                    let mut bits = bytes * 8;
                    // DWARF 2/3 bitfields: DW_AT_bit_offset counts from the storage
                    // unit's most significant bit (little-endian hosts).
                    if let (Some(old), true) =
                        (Self::udata(&m, gimli::DW_AT_bit_offset), bit_size > 0)
                    {
                        let unit_bits = Self::udata(&m, gimli::DW_AT_byte_size)
                            .map(|b| b as u32 * 8)
                            .unwrap_or(32);
                        bits += unit_bits.saturating_sub(old as u32 + bit_size);
                    }
                    bits
                }
            };
            out.push(Member {
                name: self.name(&m).unwrap_or_default(),
                ty,
                bit_offset,
                bit_size,
            });
        }
        out
    }

    /// An array type; several subranges are nested arrays (`int x[2][3]`).
    fn array(&mut self, e: &Entry<'a>, off: UnitOffset, depth: u32) -> DType {
        let elem = self.type_attr(e, depth);
        let mut dims: Vec<Option<u32>> = Vec::new();
        for sub in self.children(off) {
            if sub.tag() != gimli::DW_TAG_subrange_type {
                continue;
            }
            let count = match Self::udata(&sub, gimli::DW_AT_count) {
                Some(c) => Some(c as u32),
                None => Self::udata(&sub, gimli::DW_AT_upper_bound).map(|u| u as u32 + 1),
            };
            dims.push(count);
        }
        let Some((first, rest)) = dims.split_first() else {
            return DType::Array { elem, count: None };
        };
        // Innermost dimension first.
        let mut inner = elem;
        for count in rest.iter().rev() {
            self.types.push(DType::Array {
                elem: inner,
                count: *count,
            });
            inner = self.types.len() - 1;
        }
        DType::Array {
            elem: inner,
            count: *first,
        }
    }

    fn enumerators(&self, off: UnitOffset) -> Vec<(String, i64)> {
        self.children(off)
            .iter()
            .filter(|c| c.tag() == gimli::DW_TAG_enumerator)
            .filter_map(|c| {
                let v = c.attr(gimli::DW_AT_const_value)?;
                let n = v
                    .sdata_value()
                    .or_else(|| v.udata_value().map(|u| u as i64))?;
                Some((self.name(c).unwrap_or_default(), n))
            })
            .collect()
    }
}
