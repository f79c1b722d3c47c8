//! Lookup by name without an index: find the name's offsets in the string section
//! (a substring search for `name\0` preceded by a NUL), then the type records whose
//! `name_off` is one of them. Both are linear scans of memory, cheaper than hashing
//! every type's name for a compile that looks up a handful of names.

use super::parse::RECORD_HEADER;
use super::{Btf, Kind, TypeId};
use memchr::memmem;
use std::collections::HashMap;

/// The offsets at which `name` (a whole, NUL-terminated string) occurs in
/// `strings`, plus `bias`. `strings` begins with a whole string unless `bias` is 0
/// (the base section, whose offset 0 is the empty string).
fn offsets_in(strings: &[u8], name: &str, bias: usize, out: &mut Vec<u32>) {
    let mut needle = Vec::with_capacity(name.len() + 1);
    needle.extend_from_slice(name.as_bytes());
    needle.push(0);
    for at in memmem::find_iter(strings, &needle) {
        // A whole string starts after a NUL, or at the start of appended strings.
        let whole = if at == 0 {
            bias > 0
        } else {
            strings[at - 1] == 0
        };
        if whole {
            if let Ok(off) = u32::try_from(at + bias) {
                out.push(off);
            }
        }
    }
}

/// Every offset of the string `name` (not empty) in the string sections.
fn name_offsets(btf: &Btf, name: &str) -> Vec<u32> {
    let mut offs = Vec::new();
    if name.is_empty() || name.contains('\0') {
        return offs;
    }
    let base = btf.base_strings();
    offsets_in(base, name, 0, &mut offs);
    if let Some(l) = &btf.local {
        offsets_in(&l.strings, name, base.len(), &mut offs);
    }
    offs
}

/// Every type id named `name`, in id order.
pub(super) fn lookup(btf: &Btf, name: &str) -> Vec<TypeId> {
    let mut ids = Vec::new();
    let offs = name_offsets(btf, name);
    if offs.is_empty() {
        return ids;
    }
    let r = btf.reader();
    for id in 1..btf.len() {
        let name_off = btf.offset(id).and_then(|at| r.u32(at));
        if name_off.is_some_and(|n| offs.contains(&n)) {
            ids.push(id);
        }
    }
    ids
}

/// Every enumerator named `name`: (ENUM or ENUM64 type id, index of the enumerator),
/// in id order.
pub(super) fn lookup_enumerator(btf: &Btf, name: &str) -> Vec<(TypeId, u32)> {
    let mut found = Vec::new();
    let offs = name_offsets(btf, name);
    if offs.is_empty() {
        return found;
    }
    let r = btf.reader();
    let appended = btf.local.as_ref().map(|l| &l.enum_ids[..]);
    for &id in btf.base.enum_ids.iter().chain(appended.unwrap_or_default()) {
        let Some(at) = btf.offset(id) else { continue };
        let Some(info) = r.u32(at + 4) else { continue };
        let stride = match super::parse::kind_of(info) {
            Some(Kind::Enum) => 8,
            Some(Kind::Enum64) => 12,
            _ => continue,
        };
        for i in 0..(info & 0xffff) {
            let entry = at + RECORD_HEADER + i as usize * stride;
            if r.u32(entry).is_some_and(|n| offs.contains(&n)) {
                found.push((id, i));
            }
        }
    }
    found
}

/// Every type id whose name starts with `prefix` (not empty), in id order.
pub(super) fn lookup_prefix(btf: &Btf, prefix: &str) -> Vec<TypeId> {
    let mut ids = Vec::new();
    if prefix.is_empty() || prefix.contains('\0') {
        return ids;
    }
    let mut needle = vec![0];
    needle.extend_from_slice(prefix.as_bytes());
    let base = btf.base_strings();
    // Offsets of the whole strings that start with `prefix`.
    let mut offs: Vec<u32> = memmem::find_iter(base, &needle)
        .filter_map(|at| u32::try_from(at + 1).ok())
        .collect();
    if let Some(l) = &btf.local {
        let first = l.strings.starts_with(prefix.as_bytes()).then_some(0);
        let rest = memmem::find_iter(&l.strings, &needle).map(|at| at + 1);
        offs.extend(
            first
                .into_iter()
                .chain(rest)
                .filter_map(|at| u32::try_from(at + base.len()).ok()),
        );
    }
    let Some(&last) = offs.last() else {
        return ids;
    };
    // A bit per string offset: one test per type instead of a search.
    let mut bits = vec![0u64; last as usize / 64 + 1];
    for &o in &offs {
        bits[o as usize / 64] |= 1 << (o % 64);
    }
    let r = btf.reader();
    for id in 1..btf.len() {
        let name_off = btf.offset(id).and_then(|at| r.u32(at)).unwrap_or(0) as usize;
        if bits
            .get(name_off / 64)
            .is_some_and(|w| w & (1 << (name_off % 64)) != 0)
        {
            ids.push(id);
        }
    }
    ids
}

/// Lookups by name already answered, and after [`FULL_INDEX_AFTER`] distinct names a
/// complete index: a compile looks up a handful of names, where a linear scan per name
/// is cheapest, but listing every kernel function looks up tens of thousands, which
/// would be quadratic.
#[derive(Default)]
pub(super) struct NameCache {
    answered: HashMap<String, Vec<TypeId>>,
    full: Option<FullIndex>,
}

/// Distinct names looked up by scanning before the complete index is built.
const FULL_INDEX_AFTER: usize = 8;

impl NameCache {
    /// Every type id named `name`, in id order.
    pub(super) fn lookup(&mut self, btf: &Btf, name: &str) -> Vec<TypeId> {
        if let Some(ids) = self.answered.get(name) {
            return ids.clone();
        }
        if self.full.is_none() && self.answered.len() >= FULL_INDEX_AFTER {
            self.full = Some(FullIndex::build(btf));
        }
        let ids = match &self.full {
            Some(full) => full.lookup(btf, name),
            None => lookup(btf, name),
        };
        if self.full.is_none() {
            self.answered.insert(name.to_string(), ids.clone());
        }
        ids
    }
}

/// Every named type in an open-addressing hash table keyed by the bytes of its name
/// (names are not copied: a probe compares against the string sections).
struct FullIndex {
    /// Type ids (0 = empty slot); the length is a power of two, at least twice the
    /// number of types, so an empty slot always ends a probe.
    slots: Vec<u32>,
}

/// FNV-1a (64 bits).
fn hash(s: &[u8]) -> u64 {
    s.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl FullIndex {
    fn build(btf: &Btf) -> FullIndex {
        let cap = (btf.len() as usize * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut slots = vec![0u32; cap];
        let r = btf.reader();
        for id in 1..btf.len() {
            let off = btf.offset(id).and_then(|at| r.u32(at)).unwrap_or(0);
            let name = btf.string(off);
            if name.is_empty() {
                continue;
            }
            let mut i = hash(name.as_bytes()) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = id;
        }
        FullIndex { slots }
    }

    fn lookup(&self, btf: &Btf, name: &str) -> Vec<TypeId> {
        let mut ids = Vec::new();
        if name.is_empty() {
            return ids;
        }
        let r = btf.reader();
        let mask = self.slots.len() - 1;
        let mut i = hash(name.as_bytes()) as usize & mask;
        while let Some(&id) = self.slots.get(i).filter(|&&id| id != 0) {
            let off = btf.offset(id).and_then(|at| r.u32(at)).unwrap_or(0);
            if btf.string(off) == name {
                ids.push(id);
            }
            i = (i + 1) & mask;
        }
        ids.sort_unstable();
        ids
    }
}

/// The reference implementation [`lookup`] replaced, to check that both agree: every
/// type id by name, from hashing every type's name.
#[cfg(test)]
pub(super) fn ids_by_hashing(btf: &Btf) -> std::collections::HashMap<&str, Vec<TypeId>> {
    let mut by_name: std::collections::HashMap<&str, Vec<TypeId>> = Default::default();
    for t in btf.types().filter(|t| !t.name().is_empty()) {
        by_name.entry(t.name()).or_default().push(t.id());
    }
    by_name
}
