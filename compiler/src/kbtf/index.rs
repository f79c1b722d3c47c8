//! The by-name index: an open-addressing hash table of type ids keyed by the bytes
//! of each type's name, built in one pass over the records without allocating per
//! type. Names are not copied: a lookup compares against the string section.

use super::{Btf, TypeId};

pub(super) struct NameIndex {
    /// Type ids (0 = empty slot); the length is a power of two.
    slots: Vec<u32>,
}

/// FNV-1a (64 bits) of the bytes of `s` up to the first NUL (or the end).
fn hash(s: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s {
        if b == 0 {
            break;
        }
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The name offset of type `id`'s record (0 when anonymous or unreadable).
fn name_off(btf: &Btf, id: TypeId) -> u32 {
    let at = btf.offsets.get(id as usize).copied().unwrap_or(0) as usize;
    if id == 0 {
        return 0;
    }
    btf.reader().u32(at).unwrap_or(0)
}

impl NameIndex {
    pub fn build(btf: &Btf) -> NameIndex {
        let cap = (btf.offsets.len() * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut slots = vec![0u32; cap];
        let strings = &btf.data[btf.str_start..btf.str_end];
        for id in 1..btf.len() {
            let off = name_off(btf, id) as usize;
            if off == 0 {
                continue;
            }
            let mut i = hash(strings.get(off..).unwrap_or_default()) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = id;
        }
        NameIndex { slots }
    }

    /// Every type id named `name`, in no particular order.
    pub fn lookup(&self, btf: &Btf, name: &str) -> Vec<TypeId> {
        let mut out = Vec::new();
        if name.is_empty() || self.slots.is_empty() {
            return out;
        }
        let mask = self.slots.len() - 1;
        let mut i = hash(name.as_bytes()) as usize & mask;
        // The table is at most half full, so an empty slot always ends the probe.
        while let Some(&id) = self.slots.get(i).filter(|&&id| id != 0) {
            if btf.string(name_off(btf, id)) == name {
                out.push(id);
            }
            i = (i + 1) & mask;
        }
        out
    }
}
