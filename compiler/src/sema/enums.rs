//! Values of enum type (`enum Foo { A, B }` in the script, or a kernel enum): their
//! enumerators for the runtime, which prints a value as its enumerator's name
//! (`print`, map keys and values, printf `%s`), and casts `(enum Foo)x`.
//!
//! A value keeps its enum type through variables, maps and tuples
//! ([`Type::Int`]'s `enum_id`); arithmetic drops it. Types in the metadata carry
//! only the enum's id ([`tracec_meta::Ty::Enum`]); [`fill_variants`] adds the
//! enumerators once the whole object is known.

use super::types::*;
use super::{poisoned, Checker};
use crate::front::ast::Span;
use crate::kbtf::{self, Kind};
use tracec_meta::{EnumVariant, MapRole, Metadata, Ty};

/// The enumerators of enum `id` of `btf`.
pub fn variants(btf: &kbtf::Btf, id: u32) -> Vec<EnumVariant> {
    match btf.ty(id) {
        Ok(t) if matches!(t.kind(), Kind::Enum | Kind::Enum64) => t
            .enum_values()
            .map(|v| EnumVariant {
                name: v.name.to_string(),
                value: v.value as i64,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Gives every [`Ty::Enum`] in `meta` its enumerators from `table` (enum id and
/// enumerators).
pub fn fill_variants(meta: &mut Metadata, table: &[(u32, Vec<EnumVariant>)]) {
    if table.is_empty() {
        return;
    }
    for m in &mut meta.maps {
        if let MapRole::User { key, value, .. } = &mut m.role {
            if let Some(k) = key {
                fill(k, table);
            }
            fill(value, table);
        }
    }
    for p in &mut meta.printfs {
        for a in &mut p.args {
            fill(&mut a.ty, table);
        }
    }
    for t in &mut meta.print_values {
        fill(t, table);
    }
}

fn fill(ty: &mut Ty, table: &[(u32, Vec<EnumVariant>)]) {
    match ty {
        Ty::Enum { id, variants, .. } => {
            if let Some((_, v)) = table.iter().find(|(i, _)| i == id) {
                variants.clone_from(v);
            }
        }
        Ty::Tuple { fields } => fields.iter_mut().for_each(|f| fill(&mut f.ty, table)),
        Ty::Record { fields } => fields.iter_mut().for_each(|f| fill(&mut f.ty, table)),
        _ => {}
    }
}

impl Checker {
    /// Notes that values of enum `id` may reach the runtime.
    pub(super) fn use_enum(&mut self, id: u32) {
        if !self.used_enums.contains(&id) {
            self.used_enums.push(id);
        }
    }

    /// The enumerators of every enum noted by [`Checker::use_enum`].
    pub(super) fn enum_table(&mut self) -> Vec<(u32, Vec<EnumVariant>)> {
        let ids = std::mem::take(&mut self.used_enums);
        let Some(btf) = self.kernel.loaded_btf() else {
            return Vec::new();
        };
        ids.into_iter().map(|id| (id, variants(&btf, id))).collect()
    }

    /// `(enum name)e`: `e` as a value of the enum (an integer constant or value).
    pub(super) fn enum_cast(
        &mut self,
        name: &str,
        inner: TExpr,
        span: Span,
        ty_span: Span,
    ) -> TExpr {
        let Some(btf) = self.btf(ty_span, &format!("`enum {name}`")) else {
            return poisoned(span);
        };
        let Some(id) = btf.find_enum(name) else {
            self.error(ty_span, format!("unknown enum `enum {name}`"));
            return poisoned(span);
        };
        if !matches!(inner.ty, Type::Int { .. } | Type::Bool) {
            self.error(
                span,
                format!("cannot cast {} to enum {name}", inner.ty.describe()),
            );
            return poisoned(span);
        }
        self.use_enum(id);
        let signed = btf.ty(id).is_ok_and(|t| t.kind_flag());
        TExpr {
            ty: Type::Int {
                signed,
                enum_id: Some(id),
            },
            span,
            ..inner
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracec_meta::{Field, PrintfSpec};

    #[test]
    fn variants_reach_nested_types() {
        let e = |id| Ty::Enum {
            size: 8,
            signed: false,
            id,
            variants: Vec::new(),
        };
        let mut meta = Metadata::default();
        meta.printfs.push(PrintfSpec {
            format: "%s".into(),
            args: vec![Field {
                offset: 0,
                ty: e(7),
            }],
        });
        meta.print_values.push(Ty::Tuple {
            fields: vec![
                Field {
                    offset: 0,
                    ty: e(7),
                },
                Field {
                    offset: 8,
                    ty: e(9),
                },
            ],
        });
        let one = vec![EnumVariant {
            name: "ONE".into(),
            value: 1,
        }];
        fill_variants(&mut meta, &[(7, one.clone())]);
        assert_eq!(meta.printfs[0].args[0].ty.enum_name(1), Some("ONE"));
        let Ty::Tuple { fields } = &meta.print_values[0] else {
            panic!()
        };
        assert_eq!(fields[0].ty.enum_name(1), Some("ONE"));
        assert_eq!(
            fields[1].ty.enum_name(1),
            None,
            "unknown enum stays numeric"
        );
    }
}
