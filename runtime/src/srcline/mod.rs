//! Source locations of user code from its DWARF, for stacks printed with bpftrace's
//! `show_debug_info`: an address to `file:line` through the `.debug_line` line table,
//! and the chain of functions inlined at it (`DW_TAG_inlined_subroutine`, named by
//! their abstract origins, located by their call sites). DWARF 2 to 5; a small reader
//! of our own (tracerun cannot carry gimli), see `read.rs`, `form.rs`, `line.rs`,
//! `info.rs`. Compressed debug sections (zlib or zstd) are decompressed
//! (`tracec_meta::debugsec`); split units (`.dwo`, `.dwp`) are read for their inlined calls,
//! `split.rs`.

mod form;
mod info;
mod line;
pub(crate) mod read;
mod split;
#[cfg(test)]
mod split_tests;
mod tables;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::Path;

use goblin::elf::Elf;
use tracec_meta::debugsec;

/// The DWARF sections read (empty when absent).
#[derive(Default, Clone, Copy)]
pub struct Sections<'a> {
    pub info: &'a [u8],
    pub abbrev: &'a [u8],
    pub line: &'a [u8],
    pub line_str: &'a [u8],
    pub str: &'a [u8],
    pub str_offsets: &'a [u8],
    pub addr: &'a [u8],
    pub ranges: &'a [u8],
    pub rnglists: &'a [u8],
    pub aranges: &'a [u8],
}

/// The sections [`Sections`] holds, in the order of [`Sections::from_list`].
pub(crate) const NAMES: [&str; 10] = [
    ".debug_info",
    ".debug_abbrev",
    ".debug_line",
    ".debug_line_str",
    ".debug_str",
    ".debug_str_offsets",
    ".debug_addr",
    ".debug_ranges",
    ".debug_rnglists",
    ".debug_aranges",
];

/// The contents of the [`NAMES`] sections (each name followed by `suffix`: `.dwo` in
/// split DWARF files) of an ELF image, decompressed (empty when absent or unreadable),
/// and the first error met (a section that does not decompress).
pub(crate) fn load<'a>(
    elf: &Elf<'_>,
    bytes: &'a [u8],
    suffix: &str,
) -> (Vec<Cow<'a, [u8]>>, Option<debugsec::Error>) {
    let mut error = None;
    let secs = NAMES
        .iter()
        .map(
            |n| match debugsec::read(elf, bytes, &format!("{n}{suffix}")) {
                Ok(s) => s.unwrap_or_default(),
                Err(e) => {
                    error.get_or_insert(e);
                    Cow::Borrowed(&[][..])
                }
            },
        )
        .collect();
    (secs, error)
}

impl<'a> Sections<'a> {
    /// The sections of contents listed in [`NAMES`] order.
    pub(crate) fn from_list(list: &[&'a [u8]]) -> Sections<'a> {
        let at = |i: usize| list.get(i).copied().unwrap_or_default();
        Sections {
            info: at(0),
            abbrev: at(1),
            line: at(2),
            line_str: at(3),
            str: at(4),
            str_offsets: at(5),
            addr: at(6),
            ranges: at(7),
            rnglists: at(8),
            aranges: at(9),
        }
    }

    /// Whether there is anything to read.
    pub fn has_lines(&self) -> bool {
        !self.info.is_empty() && !self.line.is_empty()
    }
}

/// A line-table row of one unit (see [`line::Row`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SrcRow {
    addr: u64,
    line: u32,
    file: u32,
    unit: u32,
    end: bool,
}

/// The code range of a subprogram and its inline entries (`SourceInfo::inlines`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Func {
    lo: u64,
    hi: u64,
    inlines: (u32, u32),
}

/// One range of an inlined call: its nesting depth under the subprogram, the DIE
/// naming it, and where it was called from (a file of its unit's line program).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Inline {
    lo: u64,
    hi: u64,
    depth: u32,
    origin: u64,
    unit: u32,
    call_file: u32,
    call_line: u32,
}

/// The indices (low 32 bits of each key's second half) of `keys` in key order: one
/// sort of `(u64, u64)` serves every table (tracerun's size).
fn order(keys: impl Iterator<Item = (u64, u64)>) -> impl Iterator<Item = usize> {
    let mut keys: Vec<(u64, u64)> = keys.collect();
    crate::sorting::sort(&mut keys);
    keys.into_iter().map(|k| (k.1 & 0xffff_ffff) as usize)
}

/// A source location: path (the line program's directory joined with the file name)
/// and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: String,
    pub line: u32,
}

/// A function inlined at an address, and the location within it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlinedFrame {
    pub name: String,
    pub loc: Option<Loc>,
}

/// What the debug information says about one address: the functions inlined there,
/// innermost first (the order stacks print them), and the location in the
/// (non-inlined) function that holds the address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceFrames {
    pub inlined: Vec<InlinedFrame>,
    pub loc: Option<Loc>,
}

/// The source information of one ELF file: its DWARF sections and the tables of the
/// units read so far. A unit is read when an address in it (by `.debug_aranges`) is
/// first asked for, so that a stack through a large library reads a few of its units;
/// without aranges, or for an address they do not cover, every unit not read yet is.
pub struct SourceInfo {
    /// The file's contents, and each [`NAMES`] section as a range of it or, when it was
    /// compressed, decompressed.
    bytes: Vec<u8>,
    secs: Vec<Sec>,
    state: RefCell<State>,
}

enum Sec {
    In(usize, usize),
    Owned(Vec<u8>),
}

struct State {
    tables: tables::Tables,
    finder: split::Finder,
    /// `.debug_aranges`: `(lo, hi, unit offset)` by `lo`.
    aranges: Vec<(u64, u64, u64)>,
    /// Every unit's offset in `.debug_info` and whether it was read.
    units: Vec<(u64, bool)>,
}

impl std::fmt::Debug for SourceInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourceInfo")
    }
}

impl SourceInfo {
    /// The source information of an ELF image; `None` without DWARF line tables.
    #[cfg(test)]
    pub fn from_elf(bytes: &[u8]) -> Option<SourceInfo> {
        SourceInfo::read(bytes.to_vec(), None).ok().flatten()
    }

    /// The source information of the ELF image `bytes`, whose split units are looked
    /// up from `binary` (`split.rs`); `Ok(None)` without DWARF line tables, `Err` when
    /// a debug section could not be decompressed (corrupt).
    pub fn read(
        bytes: Vec<u8>,
        binary: Option<&Path>,
    ) -> Result<Option<SourceInfo>, debugsec::Error> {
        let Ok(elf) = Elf::parse(&bytes) else {
            return Ok(None);
        };
        let (secs, error) = load(&elf, &bytes, "");
        if let Some(e) = error {
            return Err(e);
        }
        let base = bytes.as_ptr() as usize;
        let secs: Vec<Sec> = secs
            .into_iter()
            .map(|c| match c {
                Cow::Borrowed(b) => {
                    let at = (b.as_ptr() as usize)
                        .checked_sub(base)
                        .filter(|_| !b.is_empty());
                    at.map_or(Sec::In(0, 0), |at| Sec::In(at, at + b.len()))
                }
                Cow::Owned(v) => Sec::Owned(v),
            })
            .collect();
        drop(elf);
        Ok(SourceInfo::new(bytes, secs, binary))
    }

    /// Whether the ELF image `bytes` has DWARF line tables of its own (compressed or
    /// not), without reading them.
    pub fn has_dwarf(bytes: &[u8]) -> bool {
        let Ok(elf) = Elf::parse(bytes) else {
            return false;
        };
        let has = |names: [&str; 2]| {
            elf.section_headers.iter().any(|sh| {
                sh.sh_size > 0
                    && sh.sh_type != goblin::elf::section_header::SHT_NOBITS
                    && elf
                        .shdr_strtab
                        .get_at(sh.sh_name)
                        .is_some_and(|n| names.contains(&n))
            })
        };
        has([".debug_info", ".zdebug_info"]) && has([".debug_line", ".zdebug_line"])
    }

    /// The source information in DWARF sections (copied).
    #[cfg(test)]
    pub fn from_sections(s: &Sections<'_>) -> Option<SourceInfo> {
        let list = [
            s.info,
            s.abbrev,
            s.line,
            s.line_str,
            s.str,
            s.str_offsets,
            s.addr,
            s.ranges,
            s.rnglists,
            s.aranges,
        ];
        let secs = list.iter().map(|b| Sec::Owned(b.to_vec())).collect();
        SourceInfo::new(Vec::new(), secs, None)
    }

    fn new(bytes: Vec<u8>, secs: Vec<Sec>, binary: Option<&Path>) -> Option<SourceInfo> {
        let si = SourceInfo {
            bytes,
            secs,
            state: RefCell::new(State {
                tables: tables::Tables::default(),
                finder: split::Finder::new(binary),
                aranges: Vec::new(),
                units: Vec::new(),
            }),
        };
        let s = si.sections();
        if !s.has_lines() {
            return None;
        }
        let units = info::unit_offsets(s.info);
        let aranges = aranges(s.aranges);
        {
            let mut st = si.state.borrow_mut();
            st.units = units.into_iter().map(|u| (u, false)).collect();
            st.aranges = aranges;
        }
        Some(si)
    }

    fn sections(&self) -> Sections<'_> {
        let list: Vec<&[u8]> = self
            .secs
            .iter()
            .map(|s| match s {
                Sec::In(a, b) => self.bytes.get(*a..*b).unwrap_or_default(),
                Sec::Owned(v) => v.as_slice(),
            })
            .collect();
        Sections::from_list(&list)
    }

    /// The line-table location of `addr`.
    #[cfg(test)]
    pub fn location(&self, addr: u64) -> Option<Loc> {
        let mut st = self.state.borrow_mut();
        st.cover(&self.sections(), addr);
        st.tables.location(addr)
    }

    /// The inlined functions and source locations of `addr`.
    pub fn frames(&self, addr: u64) -> SourceFrames {
        let s = self.sections();
        let mut st = self.state.borrow_mut();
        st.cover(&s, addr);
        // Names through abstract origins in units not read yet (`DW_FORM_ref_addr`).
        for _ in 0..4 {
            let t = &st.tables;
            let missing: Vec<u64> = t
                .origins(addr)
                .into_iter()
                .filter_map(|o| t.unresolved(o))
                .collect();
            if missing.is_empty() || !st.read_holding(&s, &missing) {
                break;
            }
        }
        st.tables.frames(addr)
    }

    /// Every unit read; the line rows (tests).
    #[cfg(test)]
    pub(crate) fn rows(&self) -> Vec<SrcRow> {
        let mut st = self.state.borrow_mut();
        st.read(&self.sections(), &mut |_| true);
        st.tables.rows.clone()
    }

    /// Every unit read; how many rows, functions and inline entries (tests).
    #[cfg(test)]
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let _ = self.rows();
        let t = &self.state.borrow().tables;
        (t.rows.len(), t.funcs.len(), t.inlines.len())
    }
}

impl State {
    /// Reads the units `want` accepts among those not read yet.
    fn read(&mut self, s: &Sections<'_>, want: &mut dyn FnMut(u64) -> bool) -> bool {
        let units = &mut self.units;
        let mut any = false;
        let mut pick = |off: u64| match units.binary_search_by_key(&off, |u| u.0) {
            Ok(i) if !units[i].1 && want(off) => {
                units[i].1 = true;
                any = true;
                true
            }
            _ => false,
        };
        info::walk(s, &mut self.tables, &mut self.finder, &mut pick);
        if any {
            self.tables.finish();
        }
        any
    }

    /// Reads the unit holding `addr` (every unit not read yet when the aranges do not
    /// say).
    fn cover(&mut self, s: &Sections<'_>, addr: u64) {
        let i = self.aranges.partition_point(|r| r.0 <= addr);
        let unit = self.aranges[..i]
            .iter()
            .rev()
            .take(64)
            .find(|r| addr < r.1)
            .map(|r| r.2);
        // A unit the aranges name but `.debug_info` lacks: they cannot be trusted.
        let known = |u: &u64| self.units.binary_search_by_key(u, |x| x.0).is_ok();
        match unit.filter(known) {
            Some(u) => self.read(s, &mut |off| off == u),
            None => self.read(s, &mut |_| true),
        };
    }

    /// Reads the units holding the DIEs at `offs` (offsets in the binary's own
    /// `.debug_info`); whether any was read.
    fn read_holding(&mut self, s: &Sections<'_>, offs: &[u64]) -> bool {
        let starts: Vec<u64> = offs
            .iter()
            .filter(|o| **o < 1 << 40)
            .filter_map(|o| {
                let i = self.units.partition_point(|u| u.0 <= *o);
                Some(self.units.get(i.checked_sub(1)?)?.0)
            })
            .collect();
        self.read(s, &mut |off| starts.contains(&off))
    }
}

/// The address ranges of `.debug_aranges`: `(lo, hi, unit offset)` sorted by `lo`
/// (empty when the section is absent or malformed).
fn aranges(sec: &[u8]) -> Vec<(u64, u64, u64)> {
    let mut out = Vec::new();
    let mut r = read::Reader::new(sec);
    while !r.is_empty() {
        let set = r.pos;
        let Some((len, dwarf64)) = r.initial_length() else {
            break;
        };
        let Some(mut body) = r.split(len) else {
            break;
        };
        let head = r.pos - set - len as usize;
        let parsed = (|| {
            let _version = body.u16()?;
            let unit = body.offset(dwarf64)?;
            let size = body.u8()?;
            let _segment = body.u8()?;
            if !matches!(size, 4 | 8) {
                return None;
            }
            // Tuples start at a multiple of twice the address size from the set.
            let at = head + body.pos;
            let pad = (2 * size as usize - at % (2 * size as usize)) % (2 * size as usize);
            body.skip(pad as u64)?;
            loop {
                let (lo, n) = (body.uint(size)?, body.uint(size)?);
                if lo == 0 && n == 0 {
                    return Some(());
                }
                out.push((lo, lo.wrapping_add(n), unit));
            }
        })();
        if parsed.is_none() {
            break;
        }
    }
    let keys = out.iter().enumerate().map(|(i, r)| (r.0, i as u64));
    let idx: Vec<usize> = order(keys).collect();
    idx.into_iter().map(|i| out[i]).collect()
}
