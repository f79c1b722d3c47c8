//! Maps keyed by a `dw_ustack` (alone or in a tuple): a key holds the snapshot id
//! (`tracec_meta::dwstack`, the time of the sample) and the pid, so the kernel map has
//! one entry per sample. bpftrace keys such maps by the stack itself, so before a map
//! is rendered, entries whose keys differ only in snapshots that unwound to the same
//! frames (to the key's limit, same pid) are merged into one:
//!
//! - per-CPU aggregations (`count`, `sum`, `min`, `max`, `avg`, `stats`, `hist`,
//!   `lhist`, `tseries`) concatenate their per-CPU slots, so [`UserMap::combine`] and
//!   the histogram and time-series renderers fold them exactly as they fold CPUs;
//! - plain integers of an additive map (every write is `++`, `--`, `+=`, `-=`; see
//!   [`UserMap::additive`]) add up (wrapping, as the kernel's atomic adds do), as
//!   the adds to one bpftrace key would;
//! - other plain values keep the latest sample's (the largest snapshot id), as the
//!   last assignment to one bpftrace key wins;
//! - the merged key keeps the earliest snapshot's id, so stack keys still sort in
//!   the order the stacks were first seen.

use crate::maps::{Entry, UserMap};
use crate::value::read_int;
use std::borrow::Cow;
use std::collections::HashMap;
use tracec_meta::Ty;

/// Where a key holds `dw_ustack` values: (offset of the snapshot id, frame limit).
fn dw_fields(ty: &Ty, base: u32, out: &mut Vec<(u32, u32)>) {
    match ty {
        Ty::DwStack { limit, .. } => out.push((base, *limit)),
        Ty::Tuple { fields } => {
            for f in fields {
                dw_fields(&f.ty, base.saturating_add(f.offset), out);
            }
        }
        Ty::Record { fields } => {
            for f in fields {
                dw_fields(&f.ty, base.saturating_add(f.offset), out);
            }
        }
        _ => {}
    }
}

/// [`merge_with`] on the frames this thread's unwinder found (`dwunwind.rs`).
pub fn merge<'a>(map: &UserMap, entries: &'a [Entry]) -> Cow<'a, [Entry]> {
    merge_with(map, entries, &mut crate::dwunwind::frames)
}

/// A merged entry and the snapshot ids of the entry whose plain value it keeps.
struct Merged {
    entry: Entry,
    last: Vec<u64>,
}

/// Merge the entries of `map` whose `dw_ustack` keys unwound to the same frames
/// (`frames`: the return addresses of a snapshot id). Maps without such keys are
/// returned as they are.
pub fn merge_with<'a>(
    map: &UserMap,
    entries: &'a [Entry],
    frames: &mut dyn FnMut(u64) -> Vec<u64>,
) -> Cow<'a, [Entry]> {
    let mut fields = Vec::new();
    if let Some(key) = &map.key {
        dw_fields(key, 0, &mut fields);
    }
    if fields.is_empty() || entries.len() < 2 {
        return Cow::Borrowed(entries);
    }
    let word = |key: &[u8], off: usize| key.get(off..).and_then(|b| read_int(b, 8, false));
    // Each stack (limit, frames kept, pid; as bytes) numbered, with its earliest
    // snapshot id: across buckets too, so a histogram's buckets of one stack share a key.
    let mut numbers: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut earliest: Vec<u64> = Vec::new();
    let mut stacks: Vec<Vec<Option<usize>>> = Vec::with_capacity(entries.len());
    for e in entries {
        let mut per_entry = Vec::with_capacity(fields.len());
        for &(off, limit) in &fields {
            let off = off as usize;
            let Some((id, pid)) = word(&e.key, off).zip(word(&e.key, off + 8)) else {
                per_entry.push(None);
                continue;
            };
            let fr = frames(id);
            let mut stack = Vec::with_capacity(8 * (fr.len() + 2));
            stack.extend_from_slice(&u64::from(limit).to_le_bytes());
            stack.extend_from_slice(&pid.to_le_bytes());
            for a in fr.iter().take(limit as usize) {
                stack.extend_from_slice(&a.to_le_bytes());
            }
            let n = match numbers.get(&stack) {
                Some(&n) => n,
                None => {
                    numbers.insert(stack, earliest.len());
                    earliest.push(id);
                    earliest.len() - 1
                }
            };
            earliest[n] = earliest[n].min(id);
            per_entry.push(Some(n));
        }
        stacks.push(per_entry);
    }
    let per_cpu = map.agg.per_cpu();
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut merged: Vec<Merged> = Vec::new();
    for (e, per_entry) in entries.iter().zip(stacks) {
        let mut key = e.key.clone();
        let mut ids = Vec::with_capacity(fields.len());
        for (&(off, _), s) in fields.iter().zip(per_entry) {
            let Some(s) = s else { continue };
            let off = off as usize;
            ids.push(word(&key, off).unwrap_or(0));
            if let (Some(&id), Some(slot)) = (earliest.get(s), key.get_mut(off..off + 8)) {
                slot.copy_from_slice(&id.to_le_bytes());
            }
        }
        match index.get(&key) {
            None => {
                index.insert(key.clone(), merged.len());
                merged.push(Merged {
                    entry: Entry {
                        key,
                        value: e.value.clone(),
                    },
                    last: ids,
                });
            }
            Some(&i) => {
                let m = &mut merged[i];
                if per_cpu {
                    m.entry.value.extend_from_slice(&e.value);
                } else if map.additive {
                    add_words(&mut m.entry.value, &e.value);
                } else if ids > m.last {
                    m.entry.value.clone_from(&e.value);
                    m.last = ids;
                }
            }
        }
    }
    Cow::Owned(merged.into_iter().map(|m| m.entry).collect())
}

/// `sum += x`, word by word (little-endian `u64`s, wrapping; a short tail is kept).
fn add_words(sum: &mut [u8], x: &[u8]) {
    for (s, x) in sum.chunks_exact_mut(8).zip(x.chunks_exact(8)) {
        let (Ok(a), Ok(b)) = (<[u8; 8]>::try_from(&*s), <[u8; 8]>::try_from(x)) else {
            continue;
        };
        let total = u64::from_le_bytes(a).wrapping_add(u64::from_le_bytes(b));
        s.copy_from_slice(&total.to_le_bytes());
    }
}

#[cfg(test)]
#[path = "dwmerge_tests.rs"]
mod tests;
