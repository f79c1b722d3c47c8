//! Map key and value inference: every use of a map adds to what is known about it; the
//! first use fixes the kind of each key and of the value, later conflicting uses are
//! errors. Strings of different sizes merge to the largest.

use super::types::{MapIdx, Pointee, Type};
use crate::front::ast::Span;
use std::collections::HashMap;
use tracec_meta::AggKind;

/// The end of the error for a map that is read but never written (`@m is used but
/// never assigned a value`). After a syntax error the assignment may sit in the part
/// that did not parse, so `tracec --check` leaves such errors out then.
pub const NEVER_ASSIGNED: &str = "is used but never assigned a value";

/// What a map's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapValueType {
    /// `@m = expr`.
    Plain(Type),
    /// `@m = count()` etc.; `signed` is the signedness of the aggregated expression.
    Agg { kind: AggKind, signed: bool },
}

/// A resolved script map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapInfo {
    /// As written with the `@`: `@`, `@filename`.
    pub name: String,
    /// ELF symbol: `AT_` + name.
    pub symbol: String,
    /// Key parts (integers and strings); empty for a scalar map.
    pub keys: Vec<Type>,
    pub value: MapValueType,
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    /// `None` until a use with or without keys is seen.
    keys: Option<Vec<Type>>,
    value: Option<MapValueType>,
    first_span: Span,
    /// bpftrace's spelling of the keys' type at the first use that had one (for
    /// bpftrace's "Argument mismatch" message).
    key_spelling: Option<String>,
}

/// All maps of a script, by name, in order of first appearance.
#[derive(Debug, Clone, Default)]
pub struct MapTable {
    entries: Vec<Entry>,
    by_name: HashMap<String, MapIdx>,
}

fn key_part(t: Type) -> Type {
    match t {
        // `uptr(n)`/`kptr(n)` of an integer stays an integer, as in `Type::meta`;
        // other pointers stay pointers, printed in hex (`@[0xffffffff81476c30]`).
        Type::Ptr {
            to: Pointee::Addr, ..
        } => Type::U64,
        other => other,
    }
}

fn merge_str(a: Type, b: Type) -> Type {
    match (a, b) {
        (Type::Str { size: x }, Type::Str { size: y }) => Type::Str { size: x.max(y) },
        _ => a,
    }
}

fn agg_name(kind: AggKind) -> &'static str {
    match kind {
        AggKind::Assign => "a plain value",
        AggKind::Count => "count()",
        AggKind::Sum => "sum()",
        AggKind::Min => "min()",
        AggKind::Max => "max()",
        AggKind::Avg => "avg()",
        AggKind::Stats => "stats()",
        AggKind::Hist { .. } => "hist()",
        AggKind::Lhist { .. } | AggKind::LhistParam { .. } => "lhist()",
        AggKind::Tseries { .. } => "tseries()",
    }
}

fn describe_value(v: MapValueType) -> String {
    match v {
        MapValueType::Plain(t) => t.describe(),
        MapValueType::Agg { kind, .. } => format!("the {} aggregation", agg_name(kind)),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl MapTable {
    /// The map called `name` (without `@`), created on first mention.
    pub fn get(&mut self, name: &str, span: Span) -> MapIdx {
        if let Some(i) = self.by_name.get(name) {
            return *i;
        }
        let idx = MapIdx(self.entries.len() as u32);
        self.entries.push(Entry {
            name: format!("@{name}"),
            keys: None,
            value: None,
            first_span: span,
            key_spelling: None,
        });
        self.by_name.insert(name.to_string(), idx);
        idx
    }

    pub fn name(&self, idx: MapIdx) -> &str {
        &self.entries[idx.0 as usize].name
    }

    /// bpftrace's spelling of the keys' type, from the first use that gave one.
    pub fn key_spelling(&self, idx: MapIdx) -> Option<&str> {
        self.entries[idx.0 as usize].key_spelling.as_deref()
    }

    /// Records bpftrace's spelling of the keys' type, unless an earlier use gave one.
    pub fn note_key_spelling(&mut self, idx: MapIdx, spelling: String) {
        let e = &mut self.entries[idx.0 as usize];
        if e.key_spelling.is_none() {
            e.key_spelling = Some(spelling);
        }
    }

    /// Record a use with these key types (empty: no keys). Unknown parts are skipped.
    pub fn use_keys(&mut self, idx: MapIdx, keys: &[Type]) -> Result<(), String> {
        let e = &mut self.entries[idx.0 as usize];
        let keys: Vec<Type> = keys.iter().map(|t| key_part(*t)).collect();
        let Some(known) = &mut e.keys else {
            if !keys.contains(&Type::Unknown) {
                e.keys = Some(keys);
            }
            return Ok(());
        };
        if known.len() != keys.len() {
            return Err(if known.is_empty() {
                format!(
                    "{} is used with {} key{} here, but without keys elsewhere",
                    e.name,
                    keys.len(),
                    plural(keys.len())
                )
            } else if keys.is_empty() {
                format!(
                    "{} is used without keys here, but with {} key{} elsewhere",
                    e.name,
                    known.len(),
                    plural(known.len())
                )
            } else {
                format!(
                    "{} is used with {} key{} here, but with {} elsewhere",
                    e.name,
                    keys.len(),
                    plural(keys.len()),
                    known.len()
                )
            });
        }
        for (i, (k, t)) in known.iter_mut().zip(keys).enumerate() {
            match (*k, t) {
                (_, Type::Unknown) => {}
                (Type::Unknown, t) => *k = t,
                (Type::Int { .. }, Type::Int { .. }) => {}
                // Pointers of any pointee, or a pointer and an integer: one 8-byte
                // key, printed as the first use types it.
                (Type::Ptr { .. } | Type::Int { .. }, Type::Ptr { .. } | Type::Int { .. }) => {}
                (Type::Str { .. }, Type::Str { .. }) => *k = merge_str(*k, t),
                (Type::Bool, Type::Bool) => {}
                (Type::Stack(a), Type::Stack(b)) if a == b => {}
                (Type::Fmt(a), Type::Fmt(b)) if super::fmtvals::merge(a, b).is_some() => {
                    *k = super::fmtvals::merge(a, b).map_or(*k, Type::Fmt)
                }
                (Type::Tuple(_), Type::Tuple(_)) if k.merge(t).is_some() => {
                    *k = k.merge(t).unwrap_or(*k)
                }
                (a, b) => {
                    return Err(format!(
                        "{} key {} is {} here, but {} elsewhere",
                        e.name,
                        i + 1,
                        b.kind_word(),
                        a.kind_word()
                    ));
                }
            }
        }
        Ok(())
    }

    /// Record an assignment of `value`.
    pub fn assign(&mut self, idx: MapIdx, value: MapValueType) -> Result<(), String> {
        let e = &mut self.entries[idx.0 as usize];
        if value == MapValueType::Plain(Type::Unknown) {
            return Ok(());
        }
        let Some(known) = &mut e.value else {
            e.value = Some(value);
            return Ok(());
        };
        match (*known, value) {
            (MapValueType::Plain(a), MapValueType::Plain(b)) => match (a, b) {
                (Type::Str { .. }, Type::Str { .. }) => {
                    *known = MapValueType::Plain(merge_str(a, b))
                }
                // `probe`/`func` then a string: a string map (`name_str`).
                (t, Type::Str { .. }) if super::name_str::is_name_type(t) => {
                    *known = MapValueType::Plain(b)
                }
                // `func` of kernel probes is a ksym (`func_sym`).
                (a, b) if super::func_sym::merges_to_ksym(a, b) => {
                    *known = MapValueType::Plain(super::func_sym::KSYM)
                }
                (Type::Tuple(_), Type::Tuple(_)) if a.merge(b).is_some() => {
                    *known = MapValueType::Plain(a.merge(b).unwrap_or(a))
                }
                (a, b) if a.is_scalar() && b.is_scalar() => {}
                (Type::Stack(x), Type::Stack(y)) if x == y => {}
                (Type::Fmt(x), Type::Fmt(y)) if super::fmtvals::merge(x, y).is_some() => {
                    *known = MapValueType::Plain(super::fmtvals::merge(x, y).map_or(a, Type::Fmt))
                }
                _ => {
                    return Err(format!(
                        "cannot assign {} to {}, which holds {}",
                        b.describe(),
                        e.name,
                        a.describe()
                    ))
                }
            },
            (MapValueType::Agg { kind: a, .. }, MapValueType::Agg { kind: b, .. }) if a == b => {}
            // The same function with other bounds (bpftrace's message).
            (MapValueType::Agg { kind: a, .. }, MapValueType::Agg { kind: b, .. })
                if agg_name(a) == agg_name(b) =>
            {
                return Err(format!(
                    "Different {} bounds in a single map unsupported",
                    agg_name(a).trim_end_matches("()")
                ))
            }
            (a, b) => {
                return Err(format!(
                    "cannot assign {} to {}, which holds {}",
                    describe_value(b),
                    e.name,
                    describe_value(a)
                ))
            }
        }
        Ok(())
    }

    /// Gives a map of plain integer values the sign its values' promoted type has
    /// (`int_promo`); other maps are left alone.
    pub fn set_int_sign(&mut self, idx: MapIdx, signed: bool) {
        let e = &mut self.entries[idx.0 as usize];
        if let Some(MapValueType::Plain(Type::Int { enum_id, .. })) = e.value {
            e.value = Some(MapValueType::Plain(Type::Int { signed, enum_id }));
        }
    }

    /// Gives integer key `pos` of a map the sign its keys' promoted type has.
    pub fn set_key_int_sign(&mut self, idx: MapIdx, pos: usize, signed: bool) {
        let e = &mut self.entries[idx.0 as usize];
        if let Some(Type::Int { enum_id, .. }) = e.keys.as_ref().and_then(|k| k.get(pos)).copied() {
            if let Some(k) = e.keys.as_mut().and_then(|k| k.get_mut(pos)) {
                *k = Type::Int { signed, enum_id };
            }
        }
    }

    pub fn value(&self, idx: MapIdx) -> Option<MapValueType> {
        self.entries[idx.0 as usize].value
    }

    pub fn keys(&self, idx: MapIdx) -> Option<&[Type]> {
        self.entries[idx.0 as usize].keys.as_deref()
    }

    /// Resolve every map; maps never given a value are reported.
    pub fn finish(&self) -> Result<Vec<MapInfo>, Vec<(Span, String)>> {
        let mut out = Vec::new();
        let mut errs = Vec::new();
        for e in &self.entries {
            let Some(value) = e.value else {
                errs.push((e.first_span, format!("{} {NEVER_ASSIGNED}", e.name)));
                continue;
            };
            let keys = e.keys.clone().unwrap_or_default();
            out.push(MapInfo {
                symbol: format!("AT_{}", &e.name[1..]),
                name: e.name.clone(),
                keys,
                value,
            });
        }
        if errs.is_empty() {
            Ok(out)
        } else {
            Err(errs)
        }
    }
}
