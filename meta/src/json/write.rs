//! The writers: compact ([`Value`]'s `Display`) and indented ([`to_string_pretty`]),
//! both as `serde_json` writes them.

use super::Value;
use std::fmt;

/// Write `s` as a JSON string, escaped as `serde_json` escapes it.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push_str(short);
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Write `v`; `indent` is `None` for the compact form, else the current depth.
fn write(out: &mut String, v: &Value, indent: Option<usize>) {
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => n.write(out),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(d) = indent {
                    newline(out, d + 1);
                }
                write(out, item, indent.map(|d| d + 1));
            }
            if let (Some(d), false) = (indent, items.is_empty()) {
                newline(out, d);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(d) = indent {
                    newline(out, d + 1);
                }
                write_str(out, k);
                out.push_str(if indent.is_some() { ": " } else { ":" });
                write(out, item, indent.map(|d| d + 1));
            }
            if let (Some(d), false) = (indent, m.is_empty()) {
                newline(out, d);
            }
            out.push('}');
        }
    }
}

/// The compact form: no whitespace.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write(&mut s, self, None);
        f.write_str(&s)
    }
}

/// The indented form `serde_json::to_string_pretty` writes: two spaces per level.
pub fn to_string_pretty(v: &Value) -> String {
    let mut s = String::new();
    write(&mut s, v, Some(0));
    s
}
