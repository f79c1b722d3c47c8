//! Our JSON reader (`tracec_meta::json`) against `serde_json`: any bytes parse or are
//! an error, never a panic; both accept the same documents; integers read as the same
//! `u64`/`i64`, strings alike, objects with the same keys; and what we write reads back
//! as the same value, compact or indented.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracec_meta::json::{self, Value};

/// Whether our value is the one `serde_json` read (floats: both floats).
fn same(ours: &Value, theirs: &serde_json::Value) -> bool {
    use serde_json::Value as S;
    match (ours, theirs) {
        (Value::Null, S::Null) => true,
        (Value::Bool(a), S::Bool(b)) => a == b,
        (Value::String(a), S::String(b)) => a == b,
        (Value::Number(a), S::Number(b)) if a.is_f64() => b.is_f64(),
        (Value::Number(a), S::Number(b)) => a.as_u64() == b.as_u64() && a.as_i64() == b.as_i64(),
        (Value::Array(a), S::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), S::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| same(x, y)))
        }
        _ => false,
    }
}

/// Whether a float literal sits at the edge of `f64`'s range, where `serde_json`'s
/// quick float parser (no `float_roundtrip`) may round differently from ours.
fn near_float_limit(data: &[u8]) -> bool {
    data.windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"e308") || w.eq_ignore_ascii_case(b"e307"))
        || data.windows(5).any(|w| w.eq_ignore_ascii_case(b"e+308"))
        || data.iter().filter(|b| b.is_ascii_digit()).count() > 300
}

fuzz_target!(|data: &[u8]| {
    let ours = json::parse(data);
    let theirs = serde_json::from_slice::<serde_json::Value>(data);
    match (&ours, &theirs) {
        (Ok(v), Ok(t)) => assert!(same(v, t), "{v:?} / {t:?}"),
        (Err(_), Err(_)) => {}
        _ if near_float_limit(data) => {}
        _ => panic!("disagree: ours {ours:?}, serde_json {theirs:?}"),
    }
    if let Ok(v) = ours {
        let compact = v.to_string();
        assert_eq!(json::parse(compact.as_bytes()).as_ref(), Ok(&v));
        let pretty = json::to_string_pretty(&v);
        assert_eq!(json::parse(pretty.as_bytes()).as_ref(), Ok(&v));
    }
});
