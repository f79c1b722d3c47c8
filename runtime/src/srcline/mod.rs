//! Source locations of user code from its DWARF, for stacks printed with bpftrace's
//! `show_debug_info`: an address to `file:line` through the `.debug_line` line table,
//! and the chain of functions inlined at it (`DW_TAG_inlined_subroutine`, named by
//! their abstract origins, located by their call sites). DWARF 2 to 5; a small reader
//! of our own (tracerun cannot carry gimli), see `read.rs`, `form.rs`, `line.rs`,
//! `info.rs`. Compressed debug sections are decompressed (`tracec_meta::debugsec`;
//! zstd is refused); split units (`.dwo`, `.dwp`) are read for their inlined calls,
//! `split.rs`.

mod form;
mod info;
mod line;
pub(crate) mod read;
mod split;
#[cfg(test)]
mod split_tests;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
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
}

/// The sections [`Sections`] holds, in the order of [`Sections::from_list`].
pub(crate) const NAMES: [&str; 9] = [
    ".debug_info",
    ".debug_abbrev",
    ".debug_line",
    ".debug_line_str",
    ".debug_str",
    ".debug_str_offsets",
    ".debug_addr",
    ".debug_ranges",
    ".debug_rnglists",
];

/// The contents of the [`NAMES`] sections (each name followed by `suffix`: `.dwo` in
/// split DWARF files) of an ELF image, decompressed (empty when absent or unreadable),
/// and the first error met (a zstd-compressed section).
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

/// The line tables and inline trees of one ELF file, by virtual address.
#[derive(Debug, Default)]
pub struct SourceInfo {
    /// File paths of each unit's line program, by the program's file index.
    units: Vec<Vec<String>>,
    rows: Vec<SrcRow>,
    funcs: Vec<Func>,
    inlines: Vec<Inline>,
    /// Subprogram DIEs in offset order: offset, name, and the DIE it refers to for
    /// one (`DW_AT_abstract_origin`, `DW_AT_specification`).
    names: Vec<(u64, Option<String>, Option<u64>)>,
}

impl SourceInfo {
    /// The source information of an ELF image; `None` without DWARF line tables.
    #[cfg(test)]
    pub fn from_elf(bytes: &[u8]) -> Option<SourceInfo> {
        SourceInfo::read(bytes, None).ok().flatten()
    }

    /// The source information of the ELF image `bytes`, whose split units are looked
    /// up from `binary` (`split.rs`); `Ok(None)` without DWARF line tables, `Err` when
    /// a debug section could not be decompressed (zstd).
    pub fn read(
        bytes: &[u8],
        binary: Option<&Path>,
    ) -> Result<Option<SourceInfo>, debugsec::Error> {
        let Ok(elf) = Elf::parse(bytes) else {
            return Ok(None);
        };
        let (secs, error) = load(&elf, bytes, "");
        let list: Vec<&[u8]> = secs.iter().map(|c| &c[..]).collect();
        let mut finder = split::Finder::new(binary);
        let si = SourceInfo::walk(&Sections::from_list(&list), &mut finder);
        // A section left unread is reported even when others gave some information.
        match error.or(finder.error) {
            Some(e) => Err(e),
            None => Ok(si),
        }
    }

    /// The source information in DWARF sections (split units looked up from the
    /// current directory and their compilation directories).
    #[cfg(test)]
    pub fn from_sections(s: &Sections<'_>) -> Option<SourceInfo> {
        SourceInfo::walk(s, &mut split::Finder::new(None))
    }

    fn walk(s: &Sections<'_>, finder: &mut split::Finder<'_>) -> Option<SourceInfo> {
        if !s.has_lines() {
            return None;
        }
        let mut out = SourceInfo::default();
        info::walk(s, &mut out, finder);
        // Sequence ends sort before rows starting at the same address, so that the
        // last row at or before an address is the one that covers it; rows at one
        // address keep their order.
        let rows = &out.rows;
        out.rows = order(rows.iter().enumerate().map(|(i, r)| {
            let rank = (u64::from(!r.end) << 32) | i as u64;
            (r.addr, rank)
        }))
        .map(|i| rows[i])
        .collect();
        // Split units' DIEs are keyed apart from the binary's (`info.rs`), after them.
        let names = std::mem::take(&mut out.names);
        let mut names: Vec<_> = names.into_iter().map(Some).collect();
        let idx: Vec<usize> = order(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_ref().map_or(0, |n| n.0), i as u64)),
        )
        .collect();
        out.names = idx.into_iter().filter_map(|i| names[i].take()).collect();
        let funcs = &out.funcs;
        out.funcs = order(funcs.iter().enumerate().map(|(i, f)| (f.lo, i as u64)))
            .map(|i| funcs[i])
            .collect();
        (!out.rows.is_empty()).then_some(out)
    }

    fn file(&self, unit: u32, file: u32) -> Option<&String> {
        self.units.get(unit as usize)?.get(file as usize)
    }

    /// The line-table location of `addr`.
    pub fn location(&self, addr: u64) -> Option<Loc> {
        let i = self.rows.partition_point(|r| r.addr <= addr);
        let row = self.rows.get(i.checked_sub(1)?)?;
        if row.end {
            return None;
        }
        Some(Loc {
            file: self.file(row.unit, row.file)?.clone(),
            line: row.line,
        })
    }

    /// The name of the subprogram DIE at `off`, through abstract origins and
    /// specifications.
    fn name(&self, mut off: u64) -> Option<String> {
        for _ in 0..8 {
            let i = self.names.binary_search_by_key(&off, |n| n.0).ok()?;
            let (_, name, next) = &self.names[i];
            if let Some(n) = name {
                return Some(n.clone());
            }
            off = (*next)?;
        }
        None
    }

    /// The inline entries at `addr`, outermost first.
    fn inline_chain(&self, addr: u64) -> Vec<&Inline> {
        let i = self.funcs.partition_point(|f| f.lo <= addr);
        let Some(f) = self.funcs[..i].iter().rev().take(8).find(|f| addr < f.hi) else {
            return Vec::new();
        };
        let (a, b) = (f.inlines.0 as usize, f.inlines.1 as usize);
        let mut chain: Vec<&Inline> = self
            .inlines
            .get(a..b)
            .unwrap_or_default()
            .iter()
            .filter(|e| e.lo <= addr && addr < e.hi)
            .collect();
        // Entries are in DIE order, so an inlined call comes before those inside it:
        // the chain is already outermost first.
        chain.dedup_by_key(|e| e.depth);
        chain
    }

    /// The inlined functions and source locations of `addr`.
    pub fn frames(&self, addr: u64) -> SourceFrames {
        let here = self.location(addr);
        let chain = self.inline_chain(addr);
        let call_site = |e: &Inline| {
            Some(Loc {
                file: self.file(e.unit, e.call_file)?.clone(),
                line: e.call_line,
            })
        };
        // Each inlined function is located at its callee's call site, the innermost
        // at the address's own line; the real function at the outermost call site.
        let mut inlined = Vec::with_capacity(chain.len());
        for (k, e) in chain.iter().enumerate().rev() {
            let loc = match chain.get(k + 1) {
                Some(inner) => call_site(inner),
                None => here.clone(),
            };
            inlined.push(InlinedFrame {
                name: self.name(e.origin).unwrap_or_default(),
                loc,
            });
        }
        let loc = match chain.first() {
            Some(outer) => call_site(outer),
            None => here,
        };
        SourceFrames { inlined, loc }
    }
}
