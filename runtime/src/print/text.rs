//! bpftrace's text format (`TextOutput`): `@name: value`, `@name[key]: value` (a tuple
//! key loses its parentheses), stats as `{ .count = 3, .average = 2, .total = 6 }`,
//! histograms under an `@name:` / `@name[key]:` line and followed by a blank line.

use super::{hist, Cell, Rendered};
use crate::value::Value;

fn cell(c: &Cell, out: &mut Vec<u8>) {
    match c {
        Cell::Value(v) => v.write_text(out),
        Cell::Stats {
            count,
            average,
            total,
        } => {
            out.extend_from_slice(b"{ .count = ");
            count.write_text(out);
            out.extend_from_slice(b", .average = ");
            average.write_text(out);
            out.extend_from_slice(b", .total = ");
            total.write_text(out);
            out.extend_from_slice(b" }");
        }
        Cell::Hist(h) => hist::text(h, out),
        Cell::Tseries(ts) => super::tseries::text(ts, out),
    }
}

/// A key as printed between the brackets.
pub fn key_text(key: &Value) -> Vec<u8> {
    if let Value::Stack { indent, lines } = key {
        let mut out = Vec::new();
        crate::stacks::text(*indent, lines, 4, &mut out);
        return out;
    }
    let text = key.text();
    match text.as_slice() {
        [b'(', inner @ .., b')'] => inner.to_vec(),
        t => t.to_vec(),
    }
}

/// A whole map (nothing for a map without entries).
pub fn map(name: &str, r: &Rendered) -> Vec<u8> {
    let mut out = Vec::new();
    match r {
        Rendered::Scalar(c @ (Cell::Hist(_) | Cell::Tseries(_))) => {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b":\n");
            cell(c, &mut out);
            out.push(b'\n');
        }
        Rendered::Scalar(c) => {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            cell(c, &mut out);
            out.push(b'\n');
        }
        Rendered::Entries(entries) => {
            for (key, c) in entries {
                out.extend_from_slice(name.as_bytes());
                out.push(b'[');
                out.extend_from_slice(&key_text(key));
                if matches!(c, Cell::Hist(_) | Cell::Tseries(_)) {
                    out.extend_from_slice(b"]:\n");
                } else {
                    out.extend_from_slice(b"]: ");
                }
                cell(c, &mut out);
                out.push(b'\n');
            }
        }
    }
    out
}

/// `print(value)`: the value and a newline.
pub fn value(v: &Value) -> Vec<u8> {
    let mut out = v.text();
    out.push(b'\n');
    out
}
