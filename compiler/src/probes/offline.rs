//! Tracepoints without tracefs: names from the embedded table ([`super::table`]),
//! record layouts from kernel BTF, and the formats BTF cannot describe (syscalls)
//! from the table.
//!
//! A tracepoint's record is the BTF struct `trace_event_raw_<class>`, where the class
//! is the `TRACE_EVENT`/`DECLARE_EVENT_CLASS` the event was defined with. An event
//! made by `TRACE_EVENT(x)` has class `x`; one made by `DEFINE_EVENT(class, x)` does
//! not, and BTF does not record the link directly. It is recovered from the
//! prototypes: the event's `btf_trace_<event>` typedef (a pointer to a function
//! `(void *, TP_PROTO...)`) has the same parameter types as its class's
//! `trace_event_raw_event_<class>` function. When several classes share those
//! parameter types, the one whose name shares the longest prefix with the event wins;
//! a tie between classes whose records differ is unresolved (the table generator then
//! stores that event's format in the table).

use super::format::{self, FormatField};
use super::table::{self, Table};
use super::tracefs::{user_pointers, SourceError, TracepointSource};
use crate::kbtf::{Btf, Kind, TypeId};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Tracepoints from a BTF file and a table.
pub struct BtfSource {
    path: PathBuf,
    table: &'static Table<'static>,
    loaded: OnceLock<Result<Loaded, SourceError>>,
}

/// The BTF and its class index, loaded on first need (listing needs neither).
pub struct Loaded {
    pub btf: Btf,
    /// Event classes by the parameter types of their prototype (without `__data`),
    /// found on the first event whose class is not its own name.
    classes: OnceLock<HashMap<Vec<TypeId>, Vec<String>>>,
}

impl BtfSource {
    /// A source reading BTF from `path` (loaded lazily) and the embedded table.
    pub fn new(path: impl Into<PathBuf>) -> BtfSource {
        BtfSource::with_table(path, table::embedded())
    }

    pub fn with_table(path: impl Into<PathBuf>, table: &'static Table<'static>) -> BtfSource {
        BtfSource {
            path: path.into(),
            table,
            loaded: OnceLock::new(),
        }
    }

    /// The BTF, loading it on first use.
    pub fn loaded(&self) -> Result<&Loaded, SourceError> {
        self.loaded
            .get_or_init(|| {
                let btf = Btf::load_shared(&self.path).map_err(|e| SourceError::Btf {
                    path: self.path.clone(),
                    error: e.to_string(),
                })?;
                Ok(Loaded::new(btf))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl Loaded {
    pub fn new(btf: Btf) -> Loaded {
        Loaded {
            btf,
            classes: OnceLock::new(),
        }
    }

    fn classes(&self) -> &HashMap<Vec<TypeId>, Vec<String>> {
        self.classes.get_or_init(|| {
            let btf = &self.btf;
            let mut classes: HashMap<Vec<TypeId>, Vec<String>> = HashMap::new();
            for id in btf.find_prefixed("trace_event_raw_event_") {
                let Ok(t) = btf.ty(id) else { continue };
                if t.kind() != Kind::Func {
                    continue;
                }
                let Some(class) = t.name().strip_prefix("trace_event_raw_event_") else {
                    continue;
                };
                if let Some(params) = t.target().and_then(|p| params_after_data(btf, p)) {
                    classes.entry(params).or_default().push(class.to_string());
                }
            }
            classes
        })
    }

    /// The class of tracepoint `event` (see the module documentation).
    pub fn class_of(&self, event: &str) -> Option<String> {
        if self.record(event).is_some() {
            return Some(event.to_string());
        }
        let td = self.btf.find_typedef(&format!("btf_trace_{event}"))?;
        let ptr = self.btf.resolve(td).ok()?;
        let proto = self.btf.ty(ptr).ok()?.target()?;
        let candidates = self.classes().get(&params_after_data(&self.btf, proto)?)?;
        // Best first: a class whose name begins the event's (`block_rq` for
        // `block_rq_insert`), a class that is not also an event itself (a template
        // made by DECLARE_EVENT_CLASS), then the longest common prefix.
        let score = |c: &String| {
            let common = c
                .bytes()
                .zip(event.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let is_event = self.btf.find_typedef(&format!("btf_trace_{c}")).is_some();
            (event.starts_with(c.as_str()), !is_event, common)
        };
        let best = candidates.iter().map(score).max()?;
        let tied: Vec<&String> = candidates.iter().filter(|c| score(c) == best).collect();
        let first = self.fields_of_class(tied[0], false).ok()?;
        tied[1..]
            .iter()
            .all(|c| self.fields_of_class(c, false).ok().as_ref() == Some(&first))
            .then(|| tied[0].clone())
    }

    /// `struct trace_event_raw_<class>`.
    fn record(&self, class: &str) -> Option<TypeId> {
        self.btf
            .find_struct(&format!("trace_event_raw_{class}"))
            .filter(|&id| self.btf.ty(id).is_ok_and(|t| t.kind() == Kind::Struct))
    }

    /// The fields of tracepoint `event` as BTF describes them.
    pub fn fields(&self, event: &str, user: bool) -> Result<Vec<FormatField>, String> {
        let class = self
            .class_of(event)
            .ok_or_else(|| format!("no record layout for tracepoint {event} in BTF"))?;
        self.fields_of_class(&class, user)
    }

    fn fields_of_class(&self, class: &str, user: bool) -> Result<Vec<FormatField>, String> {
        let id = self
            .record(class)
            .ok_or_else(|| format!("no struct trace_event_raw_{class} in BTF"))?;
        let t = self.btf.ty(id).map_err(|e| e.to_string())?;
        let mut text = String::new();
        for m in t.members() {
            // The common header, and the flexible array where dynamic data goes.
            if m.name == "ent" || m.name == "__data" || m.name.is_empty() {
                continue;
            }
            text.push_str(&self.field_line(m.name, m.ty, m.bit_offset / 8)?);
        }
        format::parse(&text, user)
    }

    /// A field as a tracefs format line, so that it is classified exactly like one.
    fn field_line(&self, name: &str, ty: TypeId, offset: u32) -> Result<String, String> {
        let btf = &self.btf;
        let err = |e: crate::kbtf::BtfError| e.to_string();
        for (prefix, loc) in [("__data_loc_", "__data_loc"), ("__rel_loc_", "__rel_loc")] {
            if let Some(n) = name.strip_prefix(prefix) {
                let size = btf.size_of(ty).map_err(err)?;
                return Ok(table::format_line(
                    &format!("{loc} char[] {n}"),
                    offset,
                    size,
                    0,
                ));
            }
        }
        let size = btf.size_of(ty).map_err(err)?;
        // Innermost element of (nested) arrays, and their total length.
        let mut elem = btf.skip_qualifiers(ty).map_err(err)?;
        let mut len: Option<u64> = None;
        for _ in 0..16 {
            match btf.ty(elem).map_err(err)?.array() {
                Some(a) => {
                    len = Some(len.unwrap_or(1) * a.nelems as u64);
                    elem = btf.skip_qualifiers(a.elem).map_err(err)?;
                }
                None => break,
            }
        }
        let base = btf.ty(btf.resolve(elem).map_err(err)?).map_err(err)?;
        let signed = match base.kind() {
            Kind::Int => base.int().is_some_and(|i| i.signed),
            Kind::Enum | Kind::Enum64 => base.kind_flag(),
            _ => false,
        };
        // A function pointer spelled without a typedef: as tracefs, a `void *`.
        let mut ty_name = btf.type_name(elem);
        if ty_name.contains('(') {
            ty_name = "void *".to_string();
        }
        let decl = match len {
            Some(len) => format!("{ty_name} {name}[{len}]"),
            None => format!("{ty_name} {name}"),
        };
        Ok(table::format_line(&decl, offset, size, signed as u8))
    }
}

/// The parameter types of FUNC_PROTO `proto` after the leading `void *__data`.
fn params_after_data(btf: &Btf, proto: TypeId) -> Option<Vec<TypeId>> {
    let t = btf.ty(proto).ok()?;
    if t.kind() != Kind::FuncProto {
        return None;
    }
    Some(t.params().skip(1).map(|p| p.ty).collect())
}

impl TracepointSource for BtfSource {
    fn events(&self) -> Result<Vec<(String, String)>, SourceError> {
        Ok(self
            .table
            .entries()
            .iter()
            .map(|e| (e.category.to_string(), e.name.to_string()))
            .collect())
    }

    fn fields(&self, category: &str, name: &str) -> Result<Option<Vec<FormatField>>, SourceError> {
        let user = user_pointers(category);
        let bad = |error: String| SourceError::Btf {
            path: self.path.clone(),
            error,
        };
        match self.table.get(category, name) {
            Some(entry) => match entry.fields {
                Some(fields) => table::entry_fields(fields, user).map(Some).map_err(bad),
                None => self.loaded()?.fields(name, user).map(Some).map_err(bad),
            },
            // Not in the table: offline, the table is the list of tracepoints.
            None => Ok(None),
        }
    }
}

#[cfg(test)]
#[path = "offline_tests.rs"]
mod tests;
