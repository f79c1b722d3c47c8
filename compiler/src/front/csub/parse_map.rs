//! BPF map definitions of a `.bpf.c` file (libbpf's BTF-defined maps):
//!
//! ```c
//! struct {
//!     __uint(type, BPF_MAP_TYPE_HASH);
//!     __uint(max_entries, 1024);
//!     __type(key, u32);
//!     __type(value, u64);
//! } counts SEC(".maps");
//! ```
//!
//! A hash or array map of integer keys and integer values is the script map
//! `@counts` (`helpers_map.rs` translates the C functions' lookups, updates and
//! deletes); a struct value (of integer members) is a record value of the script
//! map (`helpers_map_record.rs`), printed as bpftrace prints a struct,
//! `{ .count = 1, .bytes = 2 }`. An LRU hash map is the script's `lruhash(N)`.
//! Per-CPU maps (`PERCPU_HASH`, `PERCPU_ARRAY`, `LRU_PERCPU_HASH`) are the same
//! script maps with one element per key, not one per CPU: the script's per-CPU
//! maps hold only aggregations, and a C per-CPU counter read by user space is
//! summed over the CPUs anyway, which is what the single element holds (the C
//! code then sees that total, not its CPU's share). Anything else stays a
//! located diagnostic, since the script's maps hold only what they can print.

use super::lex::Tok;
use super::parse::{PResult, Parser};
use super::parse_type::const_value;
use super::{unsupported, CMap, CType};

impl Parser {
    /// The map definition starting here (`map_definition` saw its `.maps`).
    pub(super) fn map_decl(&mut self) -> PResult<CMap> {
        let start = self.here();
        if !self.is_word("struct") || !matches!(self.peek_at(1), Some(Tok::Punct("{"))) {
            return Err(unsupported(
                start,
                "this map definition (only `struct { __uint(...); __type(...); } name SEC(\".maps\");`)",
            ));
        }
        self.pos += 2;
        let mut kind = None;
        let mut max_entries = None;
        let mut key = None;
        let mut value = None;
        while !self.eat("}") {
            let at = self.here();
            let (word, _) = self.ident()?;
            self.expect("(")?;
            let (attr, attr_span) = self.ident()?;
            self.expect(",")?;
            match (word.as_str(), attr.as_str()) {
                ("__uint", "type") => {
                    let (k, ks) = self.ident()?;
                    // (array, lru): per-CPU maps are one element per key for the
                    // script, see the module docs.
                    kind = Some(match k.as_str() {
                        "BPF_MAP_TYPE_HASH" | "BPF_MAP_TYPE_PERCPU_HASH" => (false, false),
                        "BPF_MAP_TYPE_LRU_HASH" | "BPF_MAP_TYPE_LRU_PERCPU_HASH" => (false, true),
                        "BPF_MAP_TYPE_ARRAY" | "BPF_MAP_TYPE_PERCPU_ARRAY" => (true, false),
                        _ => {
                            return Err(unsupported(
                                ks,
                                &format!(
                                    "a map of type `{k}` (only hash and array maps, plain, LRU or per-CPU, which are script maps)"
                                ),
                            ))
                        }
                    });
                }
                ("__uint", "max_entries") => {
                    let e = self.expr()?;
                    max_entries = Some(const_value(&e).ok_or_else(|| {
                        unsupported(e.span, "a max_entries that is not a constant")
                    })?);
                }
                ("__type", "key" | "value") => {
                    let ts = self.here();
                    let t = self.abstract_type()?;
                    let record = matches!(t, CType::Record { union: false, .. });
                    if !matches!(t, CType::Int { .. } | CType::Bool) && !record {
                        return Err(unsupported(
                            self.since(ts),
                            &format!(
                                "a map {attr} of type `{}` (only integers, and structs of \
                                 integers)",
                                t.spelling()
                            ),
                        ));
                    }
                    if attr == "key" {
                        key = Some(t);
                    } else {
                        value = Some(t);
                    }
                }
                _ => {
                    return Err(unsupported(
                        at.to(attr_span),
                        &format!("the map attribute `{word}({attr}, ...)`"),
                    ))
                }
            }
            self.expect(")")?;
            self.expect(";")?;
        }
        let (name, name_span) = self.ident()?;
        // `SEC(".maps")` and attributes.
        while !self.eat(";") {
            if self.peek().is_none() {
                return Err(self.unexpected("`;`"));
            }
            self.pos += 1;
        }
        let span = self.since(start);
        let missing = |what: &str| unsupported(name_span, &format!("a map without {what}"));
        let (array, lru) = kind.ok_or_else(|| missing("`__uint(type, ...)`"))?;
        if array && matches!(key, Some(CType::Record { .. })) {
            return Err(unsupported(
                span,
                "an array map with struct keys (array maps are indexed by integers)",
            ));
        }
        Ok(CMap {
            name,
            array,
            lru,
            key: key.ok_or_else(|| missing("`__type(key, ...)`"))?,
            value: value.ok_or_else(|| missing("`__type(value, ...)`"))?,
            max_entries: max_entries.ok_or_else(|| missing("`__uint(max_entries, ...)`"))?,
            span,
        })
    }
}
