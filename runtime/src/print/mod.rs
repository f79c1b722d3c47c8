//! Printing maps and values: raw map entries are first *rendered* into a small value
//! model (like bpftrace's `output::Value`: a scalar, or key/value pairs, whose values
//! are plain values, stats or histograms), sorted and cut to `top`; `text` and `json`
//! then write that model in bpftrace's text and JSON formats.
//!
//! Order within a map (bpftrace `format()` in `types_format.cpp`): maps whose value is
//! an integer (`count`, `sum`, integer assignments, `min`, `max`, `avg`, `stats` by
//! average) are sorted by that value, ascending; hist and lhist maps by the total of
//! their counts; all other maps by key. Ties keep key order. `print(@m, top)` keeps the
//! last `top` entries of that order; `div` divides integer values, averages and
//! `hist` counts. Entries of maps keyed by `dw_ustack` are first merged by stack
//! (`dwmerge.rs`).

pub mod dwmerge;
pub mod hist;
pub mod json;
pub mod text;
pub mod tseries;

use crate::maps::{Entry, UserMap};
use crate::value::{read_int, Value};
use std::collections::HashMap;
use tracec_meta::{AggKind, Ty};

pub use hist::{Histogram, Label};

/// The value of one map entry as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Value(Value),
    /// `stats()`: printed `{ .count = C, .average = A, .total = T }`.
    Stats {
        count: Value,
        average: Value,
        total: Value,
    },
    Hist(Histogram),
    /// `tseries()`: printed as a graph over time.
    Tseries(tseries::TimeSeries),
}

/// A whole map as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    /// A map without keys that has a value.
    Scalar(Cell),
    /// Key/value pairs in print order (empty: nothing is printed).
    Entries(Vec<(Value, Cell)>),
}

/// Output format of the program's output (`tracerun -f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

fn divide(v: Value, div: u64) -> Value {
    match v {
        Value::Int(i) => Value::Int(i.wrapping_div(div as i64)),
        Value::UInt(u) => Value::UInt(u / div),
        other => other,
    }
}

/// Keep the last `top` items (all when `top` is 0).
fn keep_top<T>(items: &mut Vec<T>, top: u64) {
    let top = usize::try_from(top).unwrap_or(usize::MAX);
    if top > 0 && items.len() > top {
        items.drain(..items.len() - top);
    }
}

impl UserMap {
    /// `stats` of one entry: count, average (divided by `div`) and total.
    fn stats_cell(&self, raw: &[u8], div: u64) -> Option<Cell> {
        let (total, count) = self.total_count(raw)?;
        Some(if self.signed_values() {
            let avg = if count == 0 {
                0
            } else {
                (total as i64).wrapping_div(count as i64)
            };
            Cell::Stats {
                count: Value::Int(count as i64),
                average: Value::Int(avg.wrapping_div(div as i64)),
                total: Value::Int(total as i64),
            }
        } else {
            Cell::Stats {
                count: Value::UInt(count),
                average: Value::UInt(total.checked_div(count).unwrap_or(0) / div),
                total: Value::UInt(total),
            }
        })
    }

    /// The value printed for an empty scalar map by `print(@m)`: zero, or empty stats.
    pub fn zero_cell(&self) -> Cell {
        match self.agg {
            AggKind::Stats => Cell::Stats {
                count: Value::Int(0),
                average: Value::Int(0),
                total: Value::Int(0),
            },
            AggKind::Assign => Cell::Value(
                Value::decode(&self.value, &vec![0u8; self.value.size() as usize])
                    .unwrap_or(Value::Int(0)),
            ),
            _ => Cell::Value(if self.signed_values() {
                Value::Int(0)
            } else {
                Value::UInt(0)
            }),
        }
    }

    pub(crate) fn key_value(&self, key: &[u8]) -> Value {
        match &self.key {
            Some(k) => Value::decode(k, key).unwrap_or(Value::Str(Vec::new())),
            None => Value::Str(Vec::new()),
        }
    }
}

/// Render a map's entries for printing; `top` 0 keeps all, `div` 0 divides by 1.
pub fn render(map: &UserMap, entries: &[Entry], top: u64, div: u64) -> Rendered {
    let div = div.max(1);
    let merged = dwmerge::merge(map, entries);
    let entries = &merged[..];
    if matches!(map.agg, AggKind::Tseries { .. }) {
        return tseries::render(map, entries);
    }
    if map.agg.bucketed() {
        return render_hist(map, entries, top, div);
    }
    let raw: HashMap<&[u8], &[u8]> = entries
        .iter()
        .map(|e| (e.key.as_slice(), e.value.as_slice()))
        .collect();
    let mut combined: Vec<(Vec<u8>, Value)> = entries
        .iter()
        .filter_map(|e| Some((e.key.clone(), map.combine(&e.value)?)))
        .collect();
    map.sort(&mut combined);
    keep_top(&mut combined, top);
    let mut cells = Vec::new();
    for (key, value) in combined {
        let cell = if map.agg == AggKind::Stats {
            match raw.get(key.as_slice()).and_then(|r| map.stats_cell(r, div)) {
                Some(c) => c,
                None => continue,
            }
        } else {
            Cell::Value(divide(value, div))
        };
        if map.key.is_none() {
            return Rendered::Scalar(cell);
        }
        cells.push((map.key_value(&key), cell));
    }
    Rendered::Entries(cells)
}

/// hist/lhist maps: one entry per (key, bucket); grouped by key, sorted by total count.
fn render_hist(map: &UserMap, entries: &[Entry], top: u64, div: u64) -> Rendered {
    let prefix = map.key_size().div_ceil(8) * 8;
    let mut groups: Vec<(Vec<u8>, Vec<u64>)> = Vec::new();
    for e in entries {
        let (Some(key), Some(bucket)) = (
            e.key.get(..prefix),
            e.key.get(prefix..).and_then(|b| read_int(b, 8, false)),
        ) else {
            continue;
        };
        let Some(count) = map.combine(&e.value) else {
            continue;
        };
        let count = match count {
            Value::UInt(c) => c,
            Value::Int(c) => c as u64,
            _ => 0,
        };
        // Bucket indexes are bounded by the compiler (at most a few thousand).
        let Ok(bucket) = usize::try_from(bucket) else {
            continue;
        };
        if bucket > 1 << 16 {
            continue;
        }
        let i = match groups.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                groups.push((key.to_vec(), Vec::new()));
                groups.len() - 1
            }
        };
        let counts = &mut groups[i].1;
        if counts.len() <= bucket {
            counts.resize(bucket + 1, 0);
        }
        counts[bucket] = counts[bucket].wrapping_add(count);
    }
    if let Some(kty) = &map.key {
        let mut keyed: Vec<(Vec<u8>, Value)> = groups
            .iter()
            .map(|(k, _)| (k.clone(), Value::UInt(0)))
            .collect();
        crate::maps::sort_keys(kty, &mut keyed);
        let order: HashMap<Vec<u8>, usize> = keyed
            .into_iter()
            .enumerate()
            .map(|(i, (k, _))| (k, i))
            .collect();
        let rank = |k: &Vec<u8>| order.get(k).copied().unwrap_or(usize::MAX);
        sort_groups(&mut groups, &mut |(a, _), (b, _)| rank(a).cmp(&rank(b)));
    }
    let total = |counts: &[u64]| counts.iter().fold(0u64, |a, &c| a.wrapping_add(c));
    sort_groups(&mut groups, &mut |(_, a), (_, b)| total(a).cmp(&total(b)));
    keep_top(&mut groups, top);
    let build = |counts: &[u64]| match map.agg {
        AggKind::Lhist { min, max, step } => hist::linear(counts, min, max, step),
        AggKind::Hist { bits } => hist::log2(counts, div, bits),
        _ => Histogram::default(),
    };
    if map.key.is_none() {
        return match groups.first() {
            Some((_, counts)) => Rendered::Scalar(Cell::Hist(build(counts))),
            None => Rendered::Entries(Vec::new()),
        };
    }
    Rendered::Entries(
        groups
            .iter()
            .map(|(k, counts)| (map.key_value(k), Cell::Hist(build(counts))))
            .collect(),
    )
}

/// What `print(@m)` prints: like the exit-time map, but an empty map without keys
/// (other than hist/lhist) prints its zero value.
pub fn render_for_print(map: &UserMap, entries: &[Entry], top: u64, div: u64) -> Rendered {
    let r = render(map, entries, top, div);
    match r {
        Rendered::Entries(e) if e.is_empty() && map.key.is_none() && !map.agg.bucketed() => {
            Rendered::Scalar(map.zero_cell())
        }
        r => r,
    }
}

/// The type of a `print(value)` event's value, decoded.
pub fn decode_value(ty: &Ty, payload: &[u8]) -> Option<Value> {
    Value::decode(ty, payload)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

/// A key's bytes and its bucket counts.
type Group = (Vec<u8>, Vec<u64>);

/// A stable sort of bucketed groups with one instance of the standard sort (see
/// [`crate::maps::sort_entries`]).
fn sort_groups(groups: &mut [Group], cmp: &mut dyn FnMut(&Group, &Group) -> std::cmp::Ordering) {
    crate::sorting::sort_by(groups, cmp);
}
