//! bpftrace's JSON format (`-f json`): one object per line, `{"type": T, "data": D}`.
//!
//! Maps are `{"type": "map", "data": {"@name": V}}` (type `stats` or `hist` for those
//! values), where V is the scalar value or an object keyed by the key's text (tuple
//! parentheses and spaces removed). Integers that a double cannot hold exactly are
//! strings; pointers and suffixed bucket labels are numbers; histograms are arrays of
//! `{"min": a, "max": b, "count": n}` with closed bounds.

use super::hist::{Histogram, Label};
use super::text::key_text;
use super::{Cell, Rendered};
use crate::value::Value;
use std::fmt::Write;
use tracec_meta::AggKind;

/// A JSON string literal with bpftrace's escapes.
pub fn string(s: &[u8]) -> String {
    let text = String::from_utf8_lossy(s);
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn int(v: i64) -> String {
    if (v as f64) as i64 == v && (v as f64) < 9.3e18 {
        v.to_string()
    } else {
        string(v.to_string().as_bytes())
    }
}

fn uint(v: u64) -> String {
    if (v as f64) < 1.8e19 && (v as f64) as u64 == v {
        v.to_string()
    } else {
        string(v.to_string().as_bytes())
    }
}

/// A value.
pub fn value(v: &Value) -> String {
    match v {
        Value::Int(i) => int(*i),
        Value::UInt(u) => uint(*u),
        Value::Str(s) => string(s),
        Value::Buf(b) => string(&crate::fmtvals::buf_text(b, false, false)),
        Value::Null => "null".to_string(),
        Value::Ptr(p) => uint(*p),
        Value::Tuple(items) | Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Bool(b) => b.to_string(),
        // A stack is a list of its frames.
        Value::Stack { lines, .. } => {
            let parts: Vec<String> = lines.iter().map(|l| string(l.trim().as_bytes())).collect();
            format!("[{}]", parts.join(","))
        }
        // JSON output keeps enums as numbers (bpftrace's compatibility choice).
        Value::Enum {
            bits, signed: true, ..
        } => int(*bits as i64),
        Value::Enum { bits, .. } => uint(*bits),
        Value::Record(fields) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|(n, v)| format!("{}: {}", string(n.as_bytes()), value(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

fn label(l: &Label) -> String {
    int(l.value())
}

fn histogram(h: &Histogram) -> String {
    let mut parts = Vec::new();
    for (i, count) in h.counts.iter().enumerate() {
        let mut s = String::from("{");
        let min = if i == 0 {
            h.lower_bound.as_ref()
        } else {
            h.labels.get(i - 1)
        };
        if let Some(m) = min {
            let _ = write!(s, "\"min\": {}, ", label(m));
        }
        if let Some(l) = h.labels.get(i) {
            let _ = write!(s, "\"max\": {}, ", int(l.value().wrapping_sub(1)));
        }
        let _ = write!(s, "\"count\": {count}}}");
        parts.push(s);
    }
    format!("[{}]", parts.join(","))
}

fn cell(c: &Cell) -> String {
    match c {
        Cell::Value(v) => value(v),
        Cell::Stats {
            count,
            average,
            total,
        } => format!(
            "{{\"count\": {}, \"average\": {}, \"total\": {}}}",
            value(count),
            value(average),
            value(total)
        ),
        Cell::Hist(h) => histogram(h),
        Cell::Tseries(ts) => super::tseries::json(ts),
    }
}

/// One event line.
pub fn event(kind: &str, data: &str) -> Vec<u8> {
    format!("{{\"type\": \"{kind}\", \"data\": {data}}}\n").into_bytes()
}

/// A whole map as one line (nothing for a map without entries). `avg` maps are of type
/// `stats` too (bpftrace keeps their averages as stats values), with plain values.
pub fn map(name: &str, r: &Rendered, agg: AggKind) -> Vec<u8> {
    let (first, data) = match r {
        Rendered::Scalar(c) => (c, cell(c)),
        Rendered::Entries(entries) => {
            let Some((_, first)) = entries.first() else {
                return Vec::new();
            };
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, c)| {
                    let mut key = key_text(k);
                    key.retain(|&b| b != b' ');
                    format!("{}: {}", string(&key), cell(c))
                })
                .collect();
            (first, format!("{{{}}}", parts.join(", ")))
        }
    };
    let kind = match first {
        _ if agg == AggKind::Avg => "stats",
        Cell::Stats { .. } => "stats",
        Cell::Hist(_) => "hist",
        Cell::Tseries(_) => "tseries",
        Cell::Value(_) => "map",
    };
    event(kind, &format!("{{{}: {data}}}", string(name.as_bytes())))
}

/// `{"type": "attached_probes", ...}`.
pub fn attached(n: usize) -> Vec<u8> {
    format!("{{\"type\": \"attached_probes\", \"count\": {n}, \"data\": {{\"probes\": {n}}}}}\n")
        .into_bytes()
}

/// `{"type": "lost_events", ...}`.
pub fn lost(n: u64) -> Vec<u8> {
    format!("{{\"type\": \"lost_events\", \"count\": {n}, \"data\": {{\"events\": {n}}}}}\n")
        .into_bytes()
}
