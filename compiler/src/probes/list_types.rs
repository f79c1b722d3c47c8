//! `-l 'struct NAME'`, `-l 'union NAME'`, `-l 'enum NAME'`: kernel types from BTF.
//!
//! A piece of a `-l` pattern that starts with one of those keywords names types rather
//! than probes (`*`/`?` allowed in the name). Without `-v` each match is listed by its
//! C name (`struct task_struct`); with `-v` its definition is printed as bpftrace
//! prints it: `vmlinux: struct task_struct {`, one member per line indented by a tab
//! (anonymous struct/union members inline, one tab deeper), and `};`.

use super::glob::{has_wildcard, matches};
use crate::kbtf::{Btf, Kind, TypeId};

/// The keyword of a type piece and the C kinds it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TypeKeyword {
    Struct,
    Union,
    Enum,
}

impl TypeKeyword {
    fn word(self) -> &'static str {
        match self {
            TypeKeyword::Struct => "struct",
            TypeKeyword::Union => "union",
            TypeKeyword::Enum => "enum",
        }
    }

    fn kinds(self) -> &'static [Kind] {
        match self {
            TypeKeyword::Struct => &[Kind::Struct],
            TypeKeyword::Union => &[Kind::Union],
            TypeKeyword::Enum => &[Kind::Enum, Kind::Enum64],
        }
    }
}

/// A `struct NAME` piece of a pattern: the keyword and the (glob) name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TypePiece<'a> {
    pub keyword: TypeKeyword,
    pub name: &'a str,
}

/// `piece` as a type piece (`struct task_struct`, `enum  cpu_usage_stat`), if it is one.
pub(super) fn parse_piece(piece: &str) -> Option<TypePiece<'_>> {
    let piece = piece.trim();
    let (word, rest) = piece.split_once(char::is_whitespace)?;
    let keyword = match word {
        "struct" => TypeKeyword::Struct,
        "union" => TypeKeyword::Union,
        "enum" => TypeKeyword::Enum,
        _ => return None,
    };
    let name = rest.trim();
    (!name.is_empty() && !name.contains(char::is_whitespace)).then_some(TypePiece { keyword, name })
}

/// Split a `-l` pattern into its probe pieces (joined again with `,`; `None` when there
/// are none) and its type pieces.
pub(super) fn split_pattern(pattern: &str) -> (Option<String>, Vec<TypePiece<'_>>) {
    let mut probes = Vec::new();
    let mut types = Vec::new();
    for piece in pattern.split(',') {
        match parse_piece(piece) {
            Some(t) => types.push(t),
            None if piece.trim().is_empty() => {}
            None => probes.push(piece.trim()),
        }
    }
    let probes = (!probes.is_empty()).then(|| probes.join(","));
    (probes, types)
}

/// The types selected by `pieces`: their C names, or with `verbose` their definitions
/// (several lines each, no trailing newline). Sorted by name within each piece.
pub(super) fn entries(btf: &Btf, pieces: &[TypePiece<'_>], verbose: bool) -> Vec<String> {
    let mut out = Vec::new();
    for piece in pieces {
        let mut ids: Vec<(String, TypeId)> = if has_wildcard(piece.name) {
            btf.types()
                .filter(|t| piece.keyword.kinds().contains(&t.kind()))
                .filter(|t| !t.name().is_empty() && matches(piece.name, t.name()))
                .map(|t| (t.name().to_string(), t.id()))
                .collect()
        } else {
            btf.find_all(piece.name)
                .into_iter()
                .filter(|&id| {
                    btf.ty(id)
                        .is_ok_and(|t| piece.keyword.kinds().contains(&t.kind()))
                })
                .map(|id| (piece.name.to_string(), id))
                .collect()
        };
        ids.sort();
        ids.dedup_by(|a, b| a.0 == b.0);
        for (name, id) in ids {
            let entry = if verbose {
                definition(btf, piece.keyword, &name, id)
            } else {
                format!("{} {name}", piece.keyword.word())
            };
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
    }
    out
}

/// `vmlinux: struct NAME { ... };` for type `id`.
fn definition(btf: &Btf, keyword: TypeKeyword, name: &str, id: TypeId) -> String {
    let mut text = format!("vmlinux: {} {name} {{\n", keyword.word());
    match keyword {
        TypeKeyword::Enum => enumerators(btf, id, &mut text),
        TypeKeyword::Struct | TypeKeyword::Union => members(btf, id, 1, &mut text),
    }
    text.push_str("};");
    text
}

/// One line per enumerator: `\tNAME = VALUE,`.
fn enumerators(btf: &Btf, id: TypeId, text: &mut String) {
    let Ok(t) = btf.ty(id) else { return };
    for v in t.enum_values() {
        text.push_str(&format!("\t{} = {},\n", v.name, v.value));
    }
}

/// Deepest nesting of anonymous members printed inline (BTF forbids cycles among
/// them, but a malformed blob must not recurse without bound).
const MAX_DEPTH: usize = 16;

/// The members of struct/union `id`, one per line at `depth` tabs.
fn members(btf: &Btf, id: TypeId, depth: usize, text: &mut String) {
    let Ok(t) = btf.ty(id) else { return };
    let indent = "\t".repeat(depth);
    for m in t.members() {
        let inline = btf
            .skip_qualifiers(m.ty)
            .ok()
            .and_then(|r| btf.ty(r).ok())
            .filter(|r| r.name().is_empty() && matches!(r.kind(), Kind::Struct | Kind::Union));
        match inline {
            Some(anon) if depth < MAX_DEPTH => {
                let word = if anon.kind() == Kind::Union {
                    "union"
                } else {
                    "struct"
                };
                text.push_str(&format!("{indent}{word} {{\n"));
                members(btf, anon.id(), depth + 1, text);
                if m.name.is_empty() {
                    text.push_str(&format!("{indent}}};\n"));
                } else {
                    text.push_str(&format!("{indent}}} {};\n", m.name));
                }
            }
            _ => {
                let mut decl = btf.declaration(m.ty, m.name);
                if m.bitfield_size != 0 {
                    decl.push_str(&format!(": {}", m.bitfield_size));
                }
                text.push_str(&format!("{indent}{decl};\n"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_pieces_are_recognised() {
        assert_eq!(
            parse_piece(" struct task_struct "),
            Some(TypePiece {
                keyword: TypeKeyword::Struct,
                name: "task_struct"
            })
        );
        assert_eq!(
            parse_piece("enum cpu_*").map(|p| p.keyword),
            Some(TypeKeyword::Enum)
        );
        assert_eq!(parse_piece("kprobe:vfs_read"), None);
        assert_eq!(parse_piece("struct"), None);
        assert_eq!(parse_piece("structure x"), None);
    }

    #[test]
    fn patterns_split_into_probes_and_types() {
        let (probes, types) = split_pattern("kprobe:vfs_read,struct file, union u");
        assert_eq!(probes.as_deref(), Some("kprobe:vfs_read"));
        assert_eq!(
            types.iter().map(|t| t.name).collect::<Vec<_>>(),
            ["file", "u"]
        );
        let (probes, types) = split_pattern("struct task_struct,struct fd");
        assert_eq!(probes, None);
        assert_eq!(types.len(), 2);
    }

    #[test]
    fn definitions_from_the_running_kernel() {
        let Some(path) = crate::kbtf::default_btf() else {
            return; // no kernel BTF on this machine
        };
        let btf = Btf::load(&path).expect("kernel BTF parses");
        let pieces = [parse_piece("struct list_head").unwrap()];
        let defs = entries(&btf, &pieces, true);
        assert_eq!(
            defs,
            ["vmlinux: struct list_head {\n\tstruct list_head *next;\n\tstruct list_head *prev;\n};"]
        );
        let names = entries(&btf, &[parse_piece("struct list_hea?").unwrap()], false);
        assert_eq!(names, ["struct list_head"]);
        assert!(entries(&btf, &[parse_piece("struct no_such_type_x").unwrap()], true).is_empty());
    }
}
