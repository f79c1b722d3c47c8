//! The walk of `.debug_info` (DWARF 2 to 5): each compile unit's line program and,
//! under every subprogram with code, the `DW_TAG_inlined_subroutine` DIEs with their
//! address ranges, call sites and (through `DW_AT_abstract_origin`) names. Type units
//! and everything else are read past by their abbreviations.

use super::form::{self, Encoding, Value};
use super::line;
use super::read::{str_at, Reader};
use super::split::{Finder, SplitRef};
use super::tables::Tables;
use super::{Func, Inline, Sections, SrcRow};

const TAG_INLINED: u64 = 0x1d;
const TAG_SUBPROGRAM: u64 = 0x2e;
const AT_NAME: u64 = 0x03;
const AT_STMT_LIST: u64 = 0x10;
const AT_LOW_PC: u64 = 0x11;
const AT_HIGH_PC: u64 = 0x12;
const AT_COMP_DIR: u64 = 0x1b;
const AT_ABSTRACT_ORIGIN: u64 = 0x31;
const AT_SPECIFICATION: u64 = 0x47;
const AT_RANGES: u64 = 0x55;
const AT_CALL_FILE: u64 = 0x58;
const AT_CALL_LINE: u64 = 0x59;
const AT_STR_OFFSETS_BASE: u64 = 0x72;
const AT_ADDR_BASE: u64 = 0x73;
const AT_RNGLISTS_BASE: u64 = 0x74;
const AT_DWO_NAME: u64 = 0x76;
const AT_GNU_DWO_NAME: u64 = 0x2130;
const AT_GNU_DWO_ID: u64 = 0x2131;
const AT_GNU_RANGES_BASE: u64 = 0x2132;
const AT_GNU_ADDR_BASE: u64 = 0x2133;

struct Abbrev {
    code: u64,
    tag: u64,
    children: bool,
    /// (attribute, form, implicit constant)
    attrs: Vec<(u64, u64, i64)>,
}

/// An abbreviation table (codes are usually 1, 2, 3...: [`find`] looks there first).
type Abbrevs = Vec<Abbrev>;

fn find(abbrevs: &Abbrevs, code: u64) -> Option<&Abbrev> {
    let at = usize::try_from(code).ok()?.checked_sub(1)?;
    match abbrevs.get(at) {
        Some(a) if a.code == code => Some(a),
        _ => abbrevs.iter().find(|a| a.code == code),
    }
}

fn abbrevs(sec: &[u8], off: u64) -> Option<Abbrevs> {
    let mut r = Reader::at(sec, off);
    let mut out = Vec::new();
    loop {
        let code = r.uleb()?;
        if code == 0 {
            return Some(out);
        }
        let tag = r.uleb()?;
        let children = r.u8()? != 0;
        let mut attrs = Vec::new();
        loop {
            let (at, f) = (r.uleb()?, r.uleb()?);
            if at == 0 && f == 0 {
                break;
            }
            let implicit = if f == 0x21 { r.sleb()? } else { 0 };
            attrs.push((at, f, implicit));
        }
        out.push(Abbrev {
            code,
            tag,
            children,
            attrs,
        });
    }
}

/// The attributes of one DIE this reader uses.
#[derive(Default)]
struct Die<'a> {
    name: Option<Value<'a>>,
    low: Option<Value<'a>>,
    high: Option<Value<'a>>,
    ranges: Option<Value<'a>>,
    origin: Option<u64>,
    call_file: Option<u64>,
    call_line: Option<u64>,
    stmt_list: Option<u64>,
    comp_dir: Option<Value<'a>>,
    dwo_name: Option<Value<'a>>,
    dwo_id: Option<u64>,
}

/// A unit's bases and encoding, to resolve indexed values.
struct Unit {
    enc: Encoding,
    base: u64,
    str_offsets: u64,
    addr_base: u64,
    rnglists: u64,
    /// Added to DWARF 4 range list offsets (a GNU split unit's skeleton's
    /// `DW_AT_GNU_ranges_base`).
    ranges_base: u64,
}

impl Unit {
    fn offset_size(&self) -> u64 {
        if self.enc.dwarf64 {
            8
        } else {
            4
        }
    }

    fn string(&self, s: &Sections<'_>, v: Value<'_>) -> Option<String> {
        let b = match v {
            Value::Str(b) => b,
            Value::StrP(o) => str_at(s.str, o)?,
            Value::LineStrP(o) => str_at(s.line_str, o)?,
            Value::StrX(i) => {
                let at = self
                    .str_offsets
                    .checked_add(i.checked_mul(self.offset_size())?)?;
                let o = Reader::at(s.str_offsets, at).offset(self.enc.dwarf64)?;
                str_at(s.str, o)?
            }
            _ => return None,
        };
        Some(String::from_utf8_lossy(b).into_owned())
    }

    fn addr(&self, s: &Sections<'_>, v: Value<'_>) -> Option<u64> {
        match v {
            Value::Addr(a) => Some(a),
            Value::AddrX(i) => {
                let size = u64::from(self.enc.addr_size);
                let at = self.addr_base.checked_add(i.checked_mul(size)?)?;
                Reader::at(s.addr, at).uint(self.enc.addr_size)
            }
            _ => None,
        }
    }

    /// The address ranges of a DIE: `low_pc`/`high_pc` or `DW_AT_ranges`.
    fn ranges(&self, s: &Sections<'_>, d: &Die<'_>) -> Vec<(u64, u64)> {
        if let Some(r) = d.ranges {
            return self.range_list(s, r).unwrap_or_default();
        }
        let Some(lo) = d.low.and_then(|v| self.addr(s, v)) else {
            return Vec::new();
        };
        let hi = match d.high {
            Some(v @ (Value::Addr(_) | Value::AddrX(_))) => self.addr(s, v),
            Some(v) => v.udata().map(|n| lo.wrapping_add(n)),
            None => Some(lo.wrapping_add(1)),
        };
        hi.filter(|h| *h > lo)
            .map(|h| vec![(lo, h)])
            .unwrap_or_default()
    }

    fn range_list(&self, s: &Sections<'_>, v: Value<'_>) -> Option<Vec<(u64, u64)>> {
        let off = match v {
            Value::RngListX(i) => {
                let at = self
                    .rnglists
                    .checked_add(i.checked_mul(self.offset_size())?)?;
                let rel = Reader::at(s.rnglists, at).offset(self.enc.dwarf64)?;
                self.rnglists.checked_add(rel)?
            }
            v => v.udata()?,
        };
        if self.enc.version >= 5 {
            self.rnglist(s, off)
        } else {
            self.debug_ranges(s, off.checked_add(self.ranges_base)?)
        }
    }

    /// A DWARF 4 `.debug_ranges` list.
    fn debug_ranges(&self, s: &Sections<'_>, off: u64) -> Option<Vec<(u64, u64)>> {
        let mut r = Reader::at(s.ranges, off);
        let size = self.enc.addr_size;
        let max = if size == 8 {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
        let (mut base, mut out) = (self.base, Vec::new());
        loop {
            let (a, b) = (r.uint(size)?, r.uint(size)?);
            match (a, b) {
                (0, 0) => return Some(out),
                (a, b) if a == max => base = b,
                (a, b) => out.push((base.wrapping_add(a), base.wrapping_add(b))),
            }
        }
    }

    /// A DWARF 5 `.debug_rnglists` list.
    fn rnglist(&self, s: &Sections<'_>, off: u64) -> Option<Vec<(u64, u64)>> {
        let mut r = Reader::at(s.rnglists, off);
        let size = self.enc.addr_size;
        let x = |i: u64| self.addr(s, Value::AddrX(i));
        let (mut base, mut out) = (self.base, Vec::new());
        loop {
            match r.u8()? {
                0 => return Some(out),
                1 => base = x(r.uleb()?)?,
                2 => out.push((x(r.uleb()?)?, x(r.uleb()?)?)),
                3 => {
                    let a = x(r.uleb()?)?;
                    out.push((a, a.wrapping_add(r.uleb()?)));
                }
                4 => {
                    let (a, b) = (r.uleb()?, r.uleb()?);
                    out.push((base.wrapping_add(a), base.wrapping_add(b)));
                }
                5 => base = r.uint(size)?,
                6 => out.push((r.uint(size)?, r.uint(size)?)),
                7 => {
                    let a = r.uint(size)?;
                    out.push((a, a.wrapping_add(r.uleb()?)));
                }
                _ => return None,
            }
        }
    }
}

/// What a DIE's subtree is, while its children are read.
enum Open {
    Other,
    /// A subprogram with code: its ranges and the first inline entry under it.
    Func(Vec<(u64, u64)>, usize),
    Inline,
}

/// A skeleton unit's values that its split unit uses.
struct Skeleton {
    id: u64,
    unit_id: u32,
    addr_base: u64,
    base: u64,
    ranges_base: u64,
    /// Added to the split unit's DIE offsets, to keep them apart from others'.
    bias: u64,
}

/// Read the compile units of `s` whose offsets `pick` accepts into `out`; skeleton
/// units' split units are looked up with `finder`.
pub fn walk(
    s: &Sections<'_>,
    out: &mut Tables,
    finder: &mut Finder,
    pick: &mut dyn FnMut(u64) -> bool,
) {
    units(s, out, Some(finder), None, pick);
}

/// The offsets of the units of a `.debug_info` section, in order.
pub fn unit_offsets(info: &[u8]) -> Vec<u64> {
    let mut r = Reader::new(info);
    let mut out = Vec::new();
    while !r.is_empty() {
        let start = r.pos as u64;
        let Some((len, _)) = r.initial_length() else {
            break;
        };
        if r.skip(len).is_none() {
            break;
        }
        out.push(start);
    }
    out
}

/// The units of `s`: a binary's (with a `finder` for split units), or those of a
/// split file matching `skeleton`.
fn units(
    s: &Sections<'_>,
    out: &mut Tables,
    mut finder: Option<&mut Finder>,
    skeleton: Option<&Skeleton>,
    pick: &mut dyn FnMut(u64) -> bool,
) {
    let mut r = Reader::new(s.info);
    // Units usually share one table, or each have their own: remember the last.
    let mut abbrev_cache: (u64, Abbrevs) = (u64::MAX, Vec::new());
    while !r.is_empty() {
        let start = r.pos as u64;
        let Some((len, dwarf64)) = r.initial_length() else {
            return;
        };
        let Some(end) = usize::try_from(len).ok().and_then(|l| r.pos.checked_add(l)) else {
            return;
        };
        let Some(buf) = s.info.get(..end) else {
            return;
        };
        // DIE offsets are section offsets: the unit is read in the whole section.
        let mut u = Reader { buf, pos: r.pos };
        r.pos = end;
        if !pick(start) {
            continue;
        }
        let mut header = || -> Option<(u16, u64, u8, Option<u64>)> {
            let version = u.u16()?;
            if version >= 5 {
                let kind = u.u8()?;
                let addr_size = u.u8()?;
                let abbrev = u.offset(dwarf64)?;
                let id = match kind {
                    1 | 3 => None,
                    4 | 5 => Some(u.u64()?),
                    _ => return None,
                };
                Some((version, abbrev, addr_size, id))
            } else {
                let abbrev = u.offset(dwarf64)?;
                Some((version, abbrev, u.u8()?, None))
            }
        };
        let Some((version, abbrev_off, addr_size, dwo_id)) = header() else {
            continue;
        };
        if let (Some(k), Some(id)) = (skeleton, dwo_id) {
            if id != k.id {
                continue;
            }
        }
        if !(2..=5).contains(&version) || !matches!(addr_size, 4 | 8) {
            continue;
        }
        if abbrev_cache.0 != abbrev_off {
            abbrev_cache = (
                abbrev_off,
                abbrevs(s.abbrev, abbrev_off).unwrap_or_default(),
            );
        }
        let abbrevs = &abbrev_cache.1;
        let enc = Encoding {
            addr_size,
            dwarf64,
            version,
            unit: start,
        };
        let split = Split {
            finder: finder.as_deref_mut(),
            skeleton,
            dwo_id,
        };
        unit(s, u, enc, abbrevs, out, split);
    }
}

/// How a unit relates to split DWARF.
struct Split<'f, 's> {
    /// Looks up the split unit of a skeleton (none while reading a split file).
    finder: Option<&'f mut Finder>,
    /// The skeleton of the split unit being read.
    skeleton: Option<&'s Skeleton>,
    /// The unit header's DWO ID (DWARF 5).
    dwo_id: Option<u64>,
}

fn read_die<'a>(r: &mut Reader<'a>, ab: &Abbrev, enc: Encoding) -> Option<Die<'a>> {
    let mut d = Die::default();
    for &(at, f, implicit) in &ab.attrs {
        let v = form::read(r, f, enc, implicit)?;
        match at {
            AT_NAME => d.name = Some(v),
            AT_LOW_PC => d.low = Some(v),
            AT_HIGH_PC => d.high = Some(v),
            AT_RANGES => d.ranges = Some(v),
            AT_ABSTRACT_ORIGIN | AT_SPECIFICATION => {
                if let Value::Ref(o) = v {
                    d.origin = Some(o);
                }
            }
            AT_CALL_FILE => d.call_file = v.udata(),
            AT_CALL_LINE => d.call_line = v.udata(),
            AT_STMT_LIST => d.stmt_list = v.udata(),
            AT_COMP_DIR => d.comp_dir = Some(v),
            AT_DWO_NAME | AT_GNU_DWO_NAME => d.dwo_name = Some(v),
            AT_GNU_DWO_ID => d.dwo_id = v.udata(),
            _ => {}
        }
    }
    Some(d)
}

/// The bases a root DIE sets (`DW_AT_str_offsets_base`, `addr_base`, `rnglists_base`,
/// GNU `ranges_base`).
fn bases(r: Reader<'_>, ab: &Abbrev, enc: Encoding) -> Option<[Option<u64>; 4]> {
    let mut r = r;
    let mut out = [None; 4];
    for &(at, f, implicit) in &ab.attrs {
        let v = form::read(&mut r, f, enc, implicit)?;
        match at {
            AT_STR_OFFSETS_BASE => out[0] = v.udata(),
            AT_ADDR_BASE | AT_GNU_ADDR_BASE => out[1] = v.udata(),
            AT_RNGLISTS_BASE => out[2] = v.udata(),
            AT_GNU_RANGES_BASE => out[3] = v.udata(),
            _ => {}
        }
    }
    Some(out)
}

fn unit(
    s: &Sections<'_>,
    mut r: Reader<'_>,
    enc: Encoding,
    abbrevs: &Abbrevs,
    out: &mut Tables,
    split: Split<'_, '_>,
) -> Option<()> {
    // The root DIE: its bases first (attributes may use them before they appear).
    let code = r.uleb()?;
    let root_ab = find(abbrevs, code)?;
    let [so, ab, rl, gnu_rb] = bases(r, root_ab, enc)?;
    let header = if enc.dwarf64 { 16 } else { 8 };
    let mut cu = Unit {
        enc,
        base: 0,
        str_offsets: so.unwrap_or(header),
        addr_base: ab.unwrap_or(header),
        rnglists: rl.unwrap_or(if enc.dwarf64 { 20 } else { 12 }),
        ranges_base: 0,
    };
    let root = read_die(&mut r, root_ab, enc)?;
    cu.base = root.low.and_then(|v| cu.addr(s, v)).unwrap_or(0);
    let (unit_id, bias) = match split.skeleton {
        Some(k) => {
            if root.dwo_id.is_some_and(|id| id != k.id) {
                return Some(());
            }
            // A split unit: addresses, base and line table are its skeleton's.
            cu.addr_base = k.addr_base;
            cu.base = k.base;
            cu.ranges_base = k.ranges_base;
            if enc.version < 5 {
                cu.str_offsets = so.unwrap_or(0);
            }
            (k.unit_id, k.bias)
        }
        None => {
            let unit_id = skeleton_unit(s, &cu, &root, enc, out);
            if let (Some(id), Some(finder)) = (split.dwo_id.or(root.dwo_id), split.finder) {
                finder.count += 1;
                let sk = Skeleton {
                    id,
                    unit_id,
                    addr_base: cu.addr_base,
                    base: cu.base,
                    ranges_base: gnu_rb.unwrap_or(0),
                    bias: finder.count << 40,
                };
                let comp_dir = root
                    .comp_dir
                    .and_then(|v| cu.string(s, v))
                    .unwrap_or_default();
                let at = SplitRef {
                    id,
                    name: root.dwo_name.and_then(|v| cu.string(s, v)),
                    comp_dir: &comp_dir,
                };
                finder.with_unit(&at, s, |ss| units(ss, out, None, Some(&sk), &mut |_| true));
            }
            (unit_id, 0)
        }
    };
    if !root_ab.children {
        return Some(());
    }
    let mut stack: Vec<Open> = Vec::new();
    let depth_inline = |st: &[Open]| st.iter().filter(|o| matches!(o, Open::Inline)).count();
    loop {
        if r.is_empty() {
            break;
        }
        let die_off = bias + r.pos as u64;
        let code = r.uleb()?;
        if code == 0 {
            match stack.pop() {
                Some(Open::Func(ranges, first)) => {
                    let end = out.inlines.len();
                    for (lo, hi) in ranges {
                        out.funcs.push(Func {
                            lo,
                            hi,
                            inlines: (first as u32, end as u32),
                        });
                    }
                }
                Some(_) => {}
                None => break,
            }
            continue;
        }
        let ab = find(abbrevs, code)?;
        let mut d = read_die(&mut r, ab, enc)?;
        d.origin = d.origin.map(|o| o + bias);
        let open = match ab.tag {
            TAG_SUBPROGRAM => {
                let name = d.name.and_then(|v| cu.string(s, v));
                if name.is_some() || d.origin.is_some() {
                    out.names.push((die_off, name, d.origin));
                }
                let ranges = cu.ranges(s, &d);
                if ranges.is_empty() {
                    Open::Other
                } else {
                    Open::Func(ranges, out.inlines.len())
                }
            }
            TAG_INLINED => {
                let depth = depth_inline(&stack) as u32;
                let inside = stack.iter().any(|o| matches!(o, Open::Func(..)));
                if inside {
                    for (lo, hi) in cu.ranges(s, &d) {
                        out.inlines.push(Inline {
                            lo,
                            hi,
                            depth,
                            origin: d.origin.unwrap_or(die_off),
                            unit: unit_id,
                            call_file: d.call_file.unwrap_or(0) as u32,
                            call_line: d.call_line.unwrap_or(0) as u32,
                        });
                    }
                }
                Open::Inline
            }
            _ => Open::Other,
        };
        if ab.children {
            stack.push(open);
        } else if let Open::Func(ranges, first) = open {
            for (lo, hi) in ranges {
                out.funcs.push(Func {
                    lo,
                    hi,
                    inlines: (first as u32, first as u32),
                });
            }
        }
    }
    Some(())
}

/// The line program of a (non-split) unit's root DIE into `out`: the unit's index.
fn skeleton_unit(
    s: &Sections<'_>,
    cu: &Unit,
    root: &Die<'_>,
    enc: Encoding,
    out: &mut Tables,
) -> u32 {
    let comp_dir = root
        .comp_dir
        .and_then(|v| cu.string(s, v))
        .unwrap_or_default();
    let name = root.name.and_then(|v| cu.string(s, v)).unwrap_or_default();
    let program = root
        .stmt_list
        .and_then(|o| line::parse(s, o, &comp_dir, &name, enc.addr_size))
        .unwrap_or_default();
    let unit_id = out.units.len() as u32;
    out.rows.extend(program.rows.iter().map(|row| SrcRow {
        addr: row.addr,
        line: row.line,
        file: row.file,
        unit: unit_id,
        end: row.end,
    }));
    out.units.push(program.files);
    unit_id
}
