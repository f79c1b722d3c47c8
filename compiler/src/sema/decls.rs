//! Top-level map declarations: `let @m = lruhash(100);` (language.md, "Map
//! Declarations"). A declaration picks the BPF map type and its `max_entries`.

use super::maps::{MapInfo, MapValueType};
use super::types::MapIdx;
use crate::diag::Diagnostic;
use crate::front::ast::{ExprKind, MapDecl, Span};

/// The map types a declaration may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclKind {
    Hash,
    LruHash,
    PerCpuHash,
    PerCpuLruHash,
}

impl DeclKind {
    fn parse(name: &str) -> Option<DeclKind> {
        Some(match name {
            "hash" => DeclKind::Hash,
            "lruhash" => DeclKind::LruHash,
            "percpuhash" => DeclKind::PerCpuHash,
            "percpulruhash" => DeclKind::PerCpuLruHash,
            _ => return None,
        })
    }
    pub fn lru(self) -> bool {
        matches!(self, DeclKind::LruHash | DeclKind::PerCpuLruHash)
    }
    pub fn per_cpu(self) -> bool {
        matches!(self, DeclKind::PerCpuHash | DeclKind::PerCpuLruHash)
    }
}

/// A checked declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredMap {
    /// Without the `@`.
    pub name: String,
    pub kind: DeclKind,
    pub max_entries: u32,
    pub span: Span,
}

/// Check the declarations (kinds, sizes, duplicates).
pub fn check(decls: &[MapDecl], diags: &mut Vec<Diagnostic>) -> Vec<DeclaredMap> {
    let mut out: Vec<DeclaredMap> = Vec::new();
    for d in decls {
        let Some(kind) = DeclKind::parse(&d.kind) else {
            diags.push(Diagnostic::error(
                d.span,
                format!(
                    "unknown map type `{}`; expected hash, lruhash, percpuhash or percpulruhash",
                    d.kind
                ),
            ));
            continue;
        };
        let max_entries = match d.args.as_slice() {
            [a] => match a.kind {
                ExprKind::Int(n) if (1..=u32::MAX as u64).contains(&n) => n as u32,
                _ => {
                    diags.push(Diagnostic::error(
                        a.span,
                        "max entries must be a positive integer constant",
                    ));
                    continue;
                }
            },
            args => {
                diags.push(Diagnostic::error(
                    d.span,
                    format!(
                        "{}() takes one argument (max entries), got {}",
                        d.kind,
                        args.len()
                    ),
                ));
                continue;
            }
        };
        if out.iter().any(|o| o.name == d.name) {
            diags.push(Diagnostic::error(
                d.span,
                format!("map @{} is already declared", d.name),
            ));
            continue;
        }
        out.push(DeclaredMap {
            name: d.name.clone(),
            kind,
            max_entries,
            span: d.span,
        });
    }
    out
}

/// Match declarations with the script's maps: warn about unused ones, and check that
/// per-CPU maps hold aggregations.
pub fn resolve(
    decls: &[DeclaredMap],
    maps: &[MapInfo],
    diags: &mut Vec<Diagnostic>,
) -> Vec<(MapIdx, DeclaredMap)> {
    let mut out = Vec::new();
    for d in decls {
        let at = format!("@{}", d.name);
        let Some(i) = maps.iter().position(|m| m.name == at) else {
            diags.push(
                Diagnostic::warning(d.span, format!("Unused map: {at}"))
                    .with_label("declared here, never used"),
            );
            continue;
        };
        if d.kind.per_cpu() && matches!(maps[i].value, MapValueType::Plain(_)) {
            diags.push(Diagnostic::error(
                d.span,
                format!(
                    "{at} is declared per-CPU, so its values must be aggregations such as count() or sum()"
                ),
            ));
            continue;
        }
        out.push((MapIdx(i as u32), d.clone()));
    }
    out
}
