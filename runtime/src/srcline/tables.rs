//! The tables of the units read so far: line rows, subprogram ranges, inline
//! entries and subprogram names, and the lookups of one address in them.

use super::{order, Func, Inline, InlinedFrame, Loc, SourceFrames, SrcRow};

/// The line tables and inline trees of the units read, by virtual address.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    /// File paths of each unit's line program, by the program's file index.
    pub units: Vec<Vec<String>>,
    pub rows: Vec<SrcRow>,
    pub funcs: Vec<Func>,
    pub inlines: Vec<Inline>,
    /// Subprogram DIEs in offset order: offset, name, and the DIE it refers to for
    /// one (`DW_AT_abstract_origin`, `DW_AT_specification`).
    pub names: Vec<(u64, Option<String>, Option<u64>)>,
}

impl Tables {
    /// Sorts what units appended: rows and functions by address, names by offset.
    pub fn finish(&mut self) {
        // Sequence ends sort before rows starting at the same address, so that the
        // last row at or before an address is the one that covers it; rows at one
        // address keep their order.
        let rows = &self.rows;
        self.rows = order(rows.iter().enumerate().map(|(i, r)| {
            let rank = (u64::from(!r.end) << 32) | i as u64;
            (r.addr, rank)
        }))
        .map(|i| rows[i])
        .collect();
        // Split units' DIEs are keyed apart from the binary's (`info.rs`), after them.
        let names = std::mem::take(&mut self.names);
        let mut names: Vec<_> = names.into_iter().map(Some).collect();
        let idx: Vec<usize> = order(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_ref().map_or(0, |n| n.0), i as u64)),
        )
        .collect();
        self.names = idx.into_iter().filter_map(|i| names[i].take()).collect();
        let funcs = &self.funcs;
        self.funcs = order(funcs.iter().enumerate().map(|(i, f)| (f.lo, i as u64)))
            .map(|i| funcs[i])
            .collect();
    }

    /// The DIE offset whose entry the name of `off` needs and the tables lack (it is
    /// in a unit not read yet).
    pub fn unresolved(&self, mut off: u64) -> Option<u64> {
        for _ in 0..8 {
            let Ok(i) = self.names.binary_search_by_key(&off, |n| n.0) else {
                return Some(off);
            };
            let (_, name, next) = &self.names[i];
            if name.is_some() {
                return None;
            }
            off = (*next)?;
        }
        None
    }

    /// The abstract origins of the inlined calls at `addr`.
    pub fn origins(&self, addr: u64) -> Vec<u64> {
        self.inline_chain(addr).iter().map(|e| e.origin).collect()
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
