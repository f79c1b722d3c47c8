//! A small JSON value with its own reader and writers, so that `tracerun` links no JSON
//! crate: the metadata reader (`decode.rs`) walks a [`Value`] parsed here, and
//! `tracerun --info -f json` prints one built here.
//!
//! It reads what `serde_json` reads and gives the same values for it: a non-negative
//! integer that fits is a `u64`, a negative one that fits an `i64`, every other number
//! (fractions, exponents, `-0`, integers too large) a float (kept as its text until
//! [`Number::as_f64`] asks, `number.rs`; too large for an `f64`, it is an error as in
//! `serde_json`); a repeated key keeps its
//! first position and its last value. Objects keep their keys in the order read (or
//! inserted). Nesting deeper than [`DEPTH_LIMIT`] arrays and objects is an error, as
//! are lone surrogate escapes, control characters in strings and invalid UTF-8.
//! Nothing here panics on any input.

mod number;
mod read;
mod write;

pub use number::Number;
pub use read::{parse, Error};
pub use write::to_string_pretty;

/// How deep arrays and objects may nest (`serde_json`'s limit too).
pub const DEPTH_LIMIT: usize = 127;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

/// A JSON object: keys in order, each once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    pub fn new() -> Map {
        Map::default()
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Set `key` to `value`: in place when it is there (the old value is returned),
    /// else at the end.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.get_mut(&key) {
            Some(old) => Some(std::mem::replace(old, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }
    /// The keys in byte order, as a sorted map (`serde_json`'s default) would hold them.
    pub fn sort_keys(&mut self) {
        // Insertion sort: objects here are small and this links no sort routine.
        for i in 1..self.entries.len() {
            let mut j = i;
            while j > 0 && self.entries[j - 1].0 > self.entries[j].0 {
                self.entries.swap(j - 1, j);
                j -= 1;
            }
        }
    }
    /// Entries read from text, where a repeated key keeps its first place and last value.
    fn from_entries(entries: Vec<(String, Value)>) -> Map {
        // For each entry, the index of the first entry with its key: equal keys are
        // neighbours in the stably sorted order, the first of them first.
        let mut firsts: Vec<usize> = (0..entries.len()).collect();
        let order = sorted_by_key(&entries);
        for pair in order.windows(2) {
            if entries[pair[0]].0 == entries[pair[1]].0 {
                firsts[pair[1]] = firsts[pair[0]];
            }
        }
        if firsts.iter().enumerate().all(|(i, &f)| i == f) {
            return Map { entries };
        }
        let mut place = vec![0; entries.len()];
        let mut kept: Vec<(String, Value)> = Vec::new();
        for (i, (k, v)) in entries.into_iter().enumerate() {
            let first = firsts[i];
            if first == i {
                place[i] = kept.len();
                kept.push((k, v));
            } else if let Some(slot) = kept.get_mut(place[first]) {
                slot.1 = v;
            }
        }
        Map { entries: kept }
    }
}

/// The indices of `entries` in the order of their keys, equal keys in their order:
/// a bottom-up merge sort, O(n log n) for objects of any size (a repeated key must not
/// make a large object quadratic) and a few hundred bytes of code.
fn sorted_by_key(entries: &[(String, Value)]) -> Vec<usize> {
    let n = entries.len();
    let mut from: Vec<usize> = (0..n).collect();
    let mut to = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut l, mut r) = (start, mid);
            for slot in &mut to[start..end] {
                let left = l < mid && (r >= end || entries[from[l]].0 <= entries[from[r]].0);
                if left {
                    *slot = from[l];
                    l += 1;
                } else {
                    *slot = from[r];
                    r += 1;
                }
            }
            start = end;
        }
        std::mem::swap(&mut from, &mut to);
        width *= 2;
    }
    from
}

impl<K: Into<String>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        let mut m = Map::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl Value {
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    /// The member `key` of an object (`None` for anything else).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::String(s.clone())
    }
}
impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Number(n.into())
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Number(u64::from(n).into())
    }
}
impl From<u16> for Value {
    fn from(n: u16) -> Self {
        Value::Number(u64::from(n).into())
    }
}
impl From<usize> for Value {
    fn from(n: usize) -> Self {
        Value::Number((n as u64).into())
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n.into())
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Number(i64::from(n).into())
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Object(m)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Self {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests;
