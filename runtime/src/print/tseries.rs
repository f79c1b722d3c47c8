//! `tseries` maps: per-CPU buckets reduced to one value per interval, the window of
//! intervals printed (the last `num_intervals` up to the newest interval of any key),
//! and bpftrace's text graph and JSON list.
//!
//! Each map entry is one bucket of one key: per CPU `{ value, meta, epoch }`. A bucket
//! reports the newest epoch any CPU wrote, with the CPUs of that epoch combined by the
//! aggregation (the latest write by time, the sum, min, max, or sum / count for avg).
//! An entry no CPU wrote (epoch 0) stands for epoch 0 with the value 0, as in bpftrace.

use super::{Cell, Rendered};
use crate::maps::{Entry, UserMap};
use crate::value::{read_int, Value};
use std::collections::BTreeMap;
use tracec_meta::{AggKind, TseriesAgg};

/// A time series as printed: interval start (ns, on the TAI clock read as wall-clock
/// time) and its value, `None` for an interval nothing was written in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimeSeries {
    pub points: Vec<(u64, Option<Value>)>,
}

/// One CPU's slot of a bucket.
#[derive(Debug, Clone, Copy)]
struct Slot {
    value: u64,
    meta: u64,
    epoch: u64,
}

/// The (epoch, value) a bucket reports, over all CPUs' slots.
fn reduce(slots: &[Slot], agg: TseriesAgg, signed: bool) -> (u64, Value) {
    let int = |bits: u64| {
        if signed {
            Value::Int(bits as i64)
        } else {
            Value::UInt(bits)
        }
    };
    let latest = slots.iter().map(|s| s.epoch).max().unwrap_or(0);
    if latest == 0 {
        return (0, int(0));
    }
    let mut acc: Option<Slot> = None;
    for s in slots.iter().filter(|s| s.epoch == latest) {
        let Some(cur) = acc.as_mut() else {
            acc = Some(*s);
            continue;
        };
        match agg {
            TseriesAgg::Last => {
                if s.meta > cur.meta {
                    *cur = *s;
                }
            }
            TseriesAgg::Avg => {
                cur.value = cur.value.wrapping_add(s.value);
                cur.meta = cur.meta.wrapping_add(s.meta);
            }
            TseriesAgg::Sum => cur.value = cur.value.wrapping_add(s.value),
            TseriesAgg::Min | TseriesAgg::Max => {
                let less = if signed {
                    (s.value as i64) < (cur.value as i64)
                } else {
                    s.value < cur.value
                };
                if less == (agg == TseriesAgg::Min) && s.value != cur.value {
                    cur.value = s.value;
                }
            }
        }
    }
    let Some(mut r) = acc else {
        return (0, int(0));
    };
    if agg == TseriesAgg::Avg && r.meta != 0 {
        r.value = if signed {
            (r.value as i64).wrapping_div(r.meta as i64) as u64
        } else {
            r.value / r.meta
        };
    }
    (latest, int(r.value))
}

/// Render a tseries map: keys in byte order, each with the common window.
pub fn render(map: &UserMap, entries: &[Entry]) -> Rendered {
    let AggKind::Tseries {
        interval_ns,
        num_intervals,
        agg,
    } = map.agg
    else {
        return Rendered::Entries(Vec::new());
    };
    let signed = map.signed_values();
    let prefix = map.key_size().div_ceil(8) * 8;
    let stride = map.slot_stride();
    let mut by_key: BTreeMap<Vec<u8>, BTreeMap<u64, Value>> = BTreeMap::new();
    for e in entries {
        let Some(key) = e.key.get(..prefix) else {
            continue;
        };
        let word = |slot: &[u8], i: usize| slot.get(i * 8..).and_then(|b| read_int(b, 8, false));
        let slots: Option<Vec<Slot>> = e
            .value
            .chunks_exact(stride)
            .map(|s| {
                Some(Slot {
                    value: word(s, 0)?,
                    meta: word(s, 1)?,
                    epoch: word(s, 2)?,
                })
            })
            .collect();
        let Some(slots) = slots else {
            continue;
        };
        let (epoch, value) = reduce(&slots, agg, signed);
        by_key
            .entry(key.to_vec())
            .or_default()
            .entry(epoch)
            .or_insert(value);
    }
    let Some(last) = by_key
        .values()
        .filter_map(|values| values.keys().next_back().copied())
        .max()
    else {
        return Rendered::Entries(Vec::new());
    };
    let first = last.wrapping_sub(num_intervals).wrapping_add(1);
    let series = |values: &BTreeMap<u64, Value>| window(values, first, last, interval_ns);
    if map.key.is_none() {
        return match by_key.values().next() {
            Some(values) => Rendered::Scalar(Cell::Tseries(series(values))),
            None => Rendered::Entries(Vec::new()),
        };
    }
    Rendered::Entries(
        by_key
            .iter()
            .map(|(k, values)| (map.key_value(k), Cell::Tseries(series(values))))
            .collect(),
    )
}

/// The intervals `first..=last` from the first one with a value on.
fn window(values: &BTreeMap<u64, Value>, first: u64, last: u64, interval_ns: u64) -> TimeSeries {
    let start = values.range(first..).next().map_or(last, |(e, _)| *e);
    let mut points = Vec::new();
    if first <= last {
        for epoch in start.max(first)..=last {
            points.push((epoch.wrapping_mul(interval_ns), values.get(&epoch).cloned()));
        }
    }
    TimeSeries { points }
}

/// Width of the graph, bars included.
const GRAPH_WIDTH: usize = 53;
/// Width of the minimum's label above and below the graph.
const PADDING: usize = 21;

/// Fractional digits of the times: bpftrace's `duration_str` unit of the interval.
fn unit_digits(interval_ns: u64) -> usize {
    match interval_ns {
        n if n >= 1_000_000_000 => 0,
        n if n >= 1_000_000 => 3,
        n if n >= 1_000 => 6,
        _ => 9,
    }
}

fn as_i128(v: &Value) -> i128 {
    match v {
        Value::Int(i) => i128::from(*i),
        Value::UInt(u) => i128::from(*u),
        _ => 0,
    }
}

/// bpftrace's `distance(a, b)`: `a - b` in an `int64`.
fn distance(a: i128, b: i128) -> i64 {
    a.wrapping_sub(b) as i64
}

fn step(v: &Value, up: bool) -> Value {
    match *v {
        Value::Int(i) if up => Value::Int(i.saturating_add(1)),
        Value::Int(i) => Value::Int(i.saturating_sub(1)),
        Value::UInt(u) if up => Value::UInt(u.saturating_add(1)),
        Value::UInt(u) => Value::UInt(u.saturating_sub(1)),
        ref other => other.clone(),
    }
}

/// `HH:MM:SS` in local time, then the fraction to `digits` digits.
fn clock(ns: u64, digits: usize) -> Vec<u8> {
    let secs = (ns / 1_000_000_000) as libc::time_t;
    let mut out = crate::calls::strftime("%H:%M:%S", secs);
    if digits > 0 {
        let frac = ns % 1_000_000_000 / 10u64.pow(9 - digits as u32);
        out.extend_from_slice(format!(".{frac:0digits$}").as_bytes());
    }
    out
}

fn pad_right(out: &mut Vec<u8>, s: &[u8], width: usize) {
    out.extend_from_slice(s);
    out.resize(out.len() + width.saturating_sub(s.len()), b' ');
}

fn pad_left(out: &mut Vec<u8>, s: &[u8], width: usize) {
    out.resize(out.len() + width.saturating_sub(s.len()), b' ');
    out.extend_from_slice(s);
}

/// The text graph, each line ending in a newline.
pub fn text(ts: &TimeSeries, out: &mut Vec<u8>) {
    let (Some(front), Some(back)) = (ts.points.first(), ts.points.last()) else {
        out.extend_from_slice(b"<no data>");
        return;
    };
    let mut min = front.1.clone();
    let mut max = front.1.clone();
    for v in ts.points.iter().filter_map(|(_, v)| v.as_ref()) {
        if min.as_ref().is_none_or(|m| as_i128(v) < as_i128(m)) {
            min = Some(v.clone());
        }
        if max.as_ref().is_none_or(|m| as_i128(v) > as_i128(m)) {
            max = Some(v.clone());
        }
    }
    if min == max {
        min = min.map(|m| step(&m, false));
        max = max.map(|m| step(&m, true));
    }
    let label = |v: &Option<Value>| v.as_ref().map(Value::text).unwrap_or_default();
    let (min_text, max_text) = (label(&min), label(&max));
    let (lo, hi) = (
        min.as_ref().map_or(0, as_i128),
        max.as_ref().map_or(0, as_i128),
    );
    let n = ts.points.len() as u64;
    let interval = back.0.wrapping_sub(front.0) / if n > 1 { n - 1 } else { 1 };
    let digits = unit_digits(interval);
    let mut time_fmt = b"hh:mm:ss".to_vec();
    let mut time_size = time_fmt.len();
    if digits > 0 {
        time_fmt.extend_from_slice(match digits {
            3 => ".ms".as_bytes(),
            6 => ".μs".as_bytes(),
            _ => ".ns".as_bytes(),
        });
        time_size += 1 + digits;
    }
    let bounds = |out: &mut Vec<u8>| {
        pad_right(out, &min_text, PADDING);
        pad_left(out, &max_text, GRAPH_WIDTH - PADDING);
        out.push(b'\n');
    };
    out.resize(out.len() + time_size + 1, b' ');
    bounds(out);
    pad_right(out, &time_fmt, time_size + 1);
    out.push(b'|');
    out.resize(out.len() + GRAPH_WIDTH - 2, b'_');
    out.extend_from_slice(b"|\n");
    let span = distance(lo, hi) as f32;
    let zero_offset = if distance(lo, 0) < 0 && distance(0, hi) < 0 {
        (GRAPH_WIDTH as f32 * distance(lo, 0) as f32 / span) as i64
    } else {
        0
    };
    for (ns, v) in &ts.points {
        out.extend_from_slice(&clock(*ns, digits));
        out.push(b' ');
        let mut line = vec![b' '; GRAPH_WIDTH];
        line[0] = b'|';
        line[GRAPH_WIDTH - 1] = b'|';
        if zero_offset > 0 && (zero_offset as usize) < GRAPH_WIDTH {
            line[zero_offset as usize] = b'.';
        }
        match v {
            Some(v) => {
                let offset = if min == max {
                    (GRAPH_WIDTH / 2) as i64
                } else {
                    ((GRAPH_WIDTH - 1) as f32 * distance(lo, as_i128(v)) as f32 / span) as i64
                };
                line[offset.clamp(0, GRAPH_WIDTH as i64 - 1) as usize] = b'*';
                out.extend_from_slice(&line);
                out.push(b' ');
                out.extend_from_slice(&v.text());
            }
            None => {
                out.extend_from_slice(&line);
                out.extend_from_slice(b" -");
            }
        }
        out.push(b'\n');
    }
    out.resize(out.len() + time_size + 1, b' ');
    out.push(b'v');
    out.resize(out.len() + GRAPH_WIDTH - 2, b'_');
    out.extend_from_slice(b"v\n");
    out.resize(out.len() + time_size + 1, b' ');
    bounds(out);
}

/// `YYYY-MM-DD HH:MM:SS.NNNNNNNNN` in UTC (C++'s `sys_time` output).
fn utc(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:09}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ns % 1_000_000_000
    )
}

/// The JSON list: `[{"interval_start":"...","value":V},...]`, empty intervals left out.
pub fn json(ts: &TimeSeries) -> String {
    let parts: Vec<String> = ts
        .points
        .iter()
        .filter_map(|(ns, v)| {
            let v = v.as_ref()?;
            Some(format!(
                "{{\"interval_start\":\"{}\",\"value\":{}}}",
                utc(*ns),
                super::json::value(v)
            ))
        })
        .collect();
    format!("[{}]", parts.join(","))
}

#[cfg(test)]
#[path = "tseries_tests.rs"]
mod tests;
