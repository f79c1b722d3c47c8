//! User maps: reading them from the kernel, combining per-CPU slots, sorting and
//! printing them in bpftrace's text format.
//!
//! The text and JSON forms are in [`crate::print`]. Maps are printed in name order, with
//! nothing between them; empty maps print nothing.
//!
//! Order within a map (bpftrace `format()` in `types_format.cpp`): maps whose value is an
//! integer (`count`, `sum`, integer assignments, `min`, `max`, `avg`, `stats`) are
//! sorted by that value, ascending; all other maps by key: integers as signed numbers
//! of their size, strings bytewise, tuples field by field. bpftrace's value sort is not
//! stable; here entries are first put in key order, then stably sorted by value, so
//! ties come out in key order (as bpftrace 0.17 prints them).

use crate::print;
use crate::sys;
use crate::value::{read_int, Value};
use std::cmp::Ordering;
use std::io;
use std::os::fd::RawFd;
use tracec_meta::{AggKind, Ty};

/// What the runtime knows about one user map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMap {
    pub name: String,
    pub key: Option<Ty>,
    pub value: Ty,
    pub agg: AggKind,
    /// Plain integer values only ever added to (`MapRole::User::additive`): merged
    /// entries add them.
    pub additive: bool,
}

/// One raw entry: key bytes, and value bytes (for per-CPU maps, one 8-byte-aligned
/// slot per possible CPU).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

impl UserMap {
    /// Bytes of a key: the key type, or the `u64` 0 of a scalar map.
    pub fn key_size(&self) -> usize {
        self.key.as_ref().map_or(8, |k| k.size() as usize)
    }

    /// Stride between per-CPU slots (the kernel rounds each up to 8 bytes).
    pub fn slot_stride(&self) -> usize {
        (self.agg.slot_size(&self.value) as usize).div_ceil(8) * 8
    }

    /// Bytes a lookup returns.
    pub fn lookup_size(&self, ncpus: usize) -> usize {
        if self.agg.per_cpu() {
            self.slot_stride() * ncpus
        } else {
            self.agg.slot_size(&self.value) as usize
        }
    }

    fn signed(&self) -> bool {
        matches!(self.value, Ty::Int { signed: true, .. })
    }

    /// The value of one entry as the script sees it, per-CPU slots combined.
    pub fn combine(&self, raw: &[u8]) -> Option<Value> {
        if self.agg.per_cpu() && raw.len() < self.slot_stride() {
            return None;
        }
        let slots = || raw.chunks_exact(self.slot_stride());
        let word = |slot: &[u8], i: usize| read_int(slot.get(i * 8..)?, 8, false);
        let signed = self.signed();
        let int = |bits: u64| {
            if signed {
                Value::Int(bits as i64)
            } else {
                Value::UInt(bits)
            }
        };
        match self.agg {
            AggKind::Assign => Value::decode(&self.value, raw),
            AggKind::Count
            | AggKind::Sum
            | AggKind::Hist { .. }
            | AggKind::Lhist { .. }
            | AggKind::LhistParam { .. } => {
                let mut total = 0u64;
                for slot in slots() {
                    total = total.wrapping_add(word(slot, 0)?);
                }
                Some(int(total))
            }
            AggKind::Min | AggKind::Max => {
                let mut best: Option<u64> = None;
                for slot in slots() {
                    let (v, set) = (word(slot, 0)?, word(slot, 1)?);
                    if set == 0 {
                        continue;
                    }
                    let better = |a: u64, b: u64| {
                        let ord = if signed {
                            (a as i64).cmp(&(b as i64))
                        } else {
                            a.cmp(&b)
                        };
                        if self.agg == AggKind::Max {
                            ord == Ordering::Greater
                        } else {
                            ord == Ordering::Less
                        }
                    };
                    best = Some(match best {
                        Some(b) if !better(v, b) => b,
                        _ => v,
                    });
                }
                Some(int(best.unwrap_or(0)))
            }
            // A bucket of a time series is no single value (see `print::tseries`).
            AggKind::Tseries { .. } => None,
            AggKind::Avg | AggKind::Stats => {
                let (total, count) = self.total_count(raw)?;
                Some(if count == 0 {
                    int(0)
                } else if signed {
                    Value::Int((total as i64).wrapping_div(count as i64))
                } else {
                    Value::UInt(total / count)
                })
            }
        }
    }

    /// `stats`/`avg`: the totals and counts of every CPU, summed.
    pub fn total_count(&self, raw: &[u8]) -> Option<(u64, u64)> {
        let (mut total, mut count) = (0u64, 0u64);
        for slot in raw.chunks_exact(self.slot_stride()) {
            total = total.wrapping_add(read_int(slot, 8, false)?);
            count = count.wrapping_add(read_int(slot.get(8..)?, 8, false)?);
        }
        Some((total, count))
    }

    /// Whether the values are signed integers.
    pub fn signed_values(&self) -> bool {
        self.signed()
    }

    /// Whether entries are ordered by value (else by key).
    fn sorted_by_value(&self) -> bool {
        self.agg != AggKind::Assign || matches!(self.value, Ty::Int { .. })
    }

    /// Sort combined entries the way bpftrace prints them.
    pub fn sort(&self, entries: &mut [(Vec<u8>, Value)]) {
        if let Some(key) = &self.key {
            sort_keys(key, entries);
        }
        if self.sorted_by_value() {
            let value = |v: &Value| match v {
                Value::Int(i) => i128::from(*i),
                Value::UInt(u) => i128::from(*u),
                _ => 0,
            };
            sort_entries(entries, &mut |(_, a), (_, b)| value(a).cmp(&value(b)));
        }
    }

    /// The printed form of the whole map at exit (empty if the map has no entries).
    pub fn format(&self, entries: &[Entry]) -> Vec<u8> {
        let rendered = print::render(self, entries, 0, 0);
        print::text::map(&self.name, &rendered)
    }

    /// Read every entry from the kernel map behind `fd`.
    pub fn read(&self, fd: RawFd, ncpus: usize) -> io::Result<Vec<Entry>> {
        let size = self.lookup_size(ncpus);
        let mut entries = Vec::new();
        for key in sys::map_keys(fd, self.bpf_key_size())? {
            if let Some(value) = sys::map_lookup(fd, &key, size)? {
                entries.push(Entry { key, value });
            }
        }
        Ok(entries)
    }

    /// Set every value to zero, keeping the keys (`zero(@m)`).
    pub fn zero(&self, fd: RawFd, ncpus: usize) -> io::Result<()> {
        let zeros = vec![0u8; self.lookup_size(ncpus)];
        for key in sys::map_keys(fd, self.bpf_key_size())? {
            sys::map_update_existing(fd, &key, &zeros)?;
        }
        Ok(())
    }

    /// Bytes of a key in the kernel map: [`UserMap::key_size`], plus the `u64` bucket
    /// index of hist and lhist maps.
    pub fn bpf_key_size(&self) -> usize {
        if self.agg.bucketed() {
            self.key_size().div_ceil(8) * 8 + 8
        } else {
            self.key_size()
        }
    }

    /// Delete every entry (`clear(@m)`).
    pub fn clear(&self, fd: RawFd) -> io::Result<()> {
        for key in sys::map_keys(fd, self.bpf_key_size())? {
            sys::map_delete(fd, &key)?;
        }
        Ok(())
    }
}

fn int_at(bytes: &[u8], offset: u32, size: u8) -> i64 {
    bytes
        .get(offset as usize..)
        .and_then(|b| read_int(b, size, true))
        .unwrap_or(0) as i64
}

fn bytes_at(bytes: &[u8], offset: u32, size: u32) -> &[u8] {
    let start = (offset as usize).min(bytes.len());
    let end = start.saturating_add(size as usize).min(bytes.len());
    &bytes[start..end]
}

/// A map entry's key bytes and combined value.
pub type KeyValue = (Vec<u8>, Value);

/// A stable sort of map entries: every order goes through this one instance of the
/// standard library's sort (a comparator behind `dyn` instead of a sort per closure,
/// which would each be monomorphised: several KB of tracerun apiece).
pub fn sort_entries(
    entries: &mut [KeyValue],
    cmp: &mut dyn FnMut(&KeyValue, &KeyValue) -> Ordering,
) {
    crate::sorting::sort_by(entries, cmp);
}

/// bpftrace's `sort_by_key`: stable sorts, last tuple field first, so the first field
/// ends up the primary order. Integers compare as signed values of their size, strings
/// (the whole buffer) bytewise; pointers as unsigned addresses.
pub fn sort_keys(key: &Ty, entries: &mut [(Vec<u8>, Value)]) {
    let sort_field = |entries: &mut [(Vec<u8>, Value)], offset: u32, ty: &Ty| match ty {
        Ty::Int { size, .. } | Ty::Enum { size, .. } => {
            sort_entries(entries, &mut |(a, _), (b, _)| {
                int_at(a, offset, *size).cmp(&int_at(b, offset, *size))
            })
        }
        Ty::Str { size } => sort_entries(entries, &mut |(a, _), (b, _)| {
            bytes_at(a, offset, *size).cmp(bytes_at(b, offset, *size))
        }),
        Ty::Ptr => sort_entries(entries, &mut |(a, _), (b, _)| {
            (int_at(a, offset, 8) as u64).cmp(&(int_at(b, offset, 8) as u64))
        }),
        Ty::Bool { .. } => sort_entries(entries, &mut |(a, _), (b, _)| {
            bytes_at(a, offset, 1).cmp(bytes_at(b, offset, 1))
        }),
        // bpftrace keeps stacks in the order of their ids.
        Ty::Stack { .. } | Ty::Sym { .. } | Ty::DwStack { .. } => {
            sort_entries(entries, &mut |(a, _), (b, _)| {
                int_at(a, offset, 8).cmp(&int_at(b, offset, 8))
            })
        }
        Ty::Fmt { fmt } => {
            let size = fmt.size();
            sort_entries(entries, &mut |(a, _), (b, _)| {
                bytes_at(a, offset, size).cmp(bytes_at(b, offset, size))
            })
        }
        Ty::Tuple { .. } | Ty::Record { .. } | Ty::Array { .. } => {}
    };
    match key {
        Ty::Tuple { fields } => {
            for f in fields.iter().rev() {
                sort_field(entries, f.offset, &f.ty);
            }
        }
        ty => sort_field(entries, 0, ty),
    }
}

/// Print all maps in name order, skipping empty ones.
pub fn format_all(maps: &[(UserMap, Vec<Entry>)]) -> Vec<u8> {
    format_all_as(maps, print::Format::Text)
}

/// [`format_all`] in either output format.
pub fn format_all_as(maps: &[(UserMap, Vec<Entry>)], format: print::Format) -> Vec<u8> {
    let mut order: Vec<&(UserMap, Vec<Entry>)> = maps.iter().collect();
    crate::sorting::sort_by(&mut order, |a, b| a.0.name.cmp(&b.0.name));
    let mut out = Vec::new();
    for (map, entries) in order {
        let rendered = print::render(map, entries, 0, 0);
        out.extend_from_slice(&match format {
            print::Format::Text => print::text::map(&map.name, &rendered),
            print::Format::Json => print::json::map(&map.name, &rendered, map.agg),
        });
    }
    out
}

#[cfg(test)]
#[path = "maps_tests.rs"]
mod tests;
