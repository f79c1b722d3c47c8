//! `probe`, `func` and `syscall_name()` inside tuples that also hold strings at the
//! same position: `@u = ("x", 2); @u = (func, 3)`. bpftrace's names are strings, so
//! the field is a string: such a field of two tuple types merges to the string
//! (`Type::merge`), and a tuple literal assigned where the variable or map holds a
//! string at a name's position has that element converted (`name_str.rs`).

use super::name_str::is_name_type;
use super::tuple::{field_size, layout};
use super::types::{TExpr, TExprKind, Type};
use super::{Checker, ProbeCx};

/// The merged type of tuple fields `a` and `b` when one is a name and the other a
/// string: the string (its size grows when the converted name is longer).
pub(super) fn merge_name_field(a: Type, b: Type) -> Option<Type> {
    match (a, b) {
        (n, s @ Type::Str { .. }) | (s @ Type::Str { .. }, n) if is_name_type(n) => Some(s),
        _ => None,
    }
}

impl Checker {
    /// The tuple literal `v` assigned where a value of type `known` is held, with
    /// each name element converted to a string where `known` has a string.
    pub(super) fn names_in_tuple(&mut self, cx: &ProbeCx, known: Type, v: TExpr) -> TExpr {
        let (Type::Tuple(kt), Type::Tuple(vt)) = (known, v.ty) else {
            return v;
        };
        let TExprKind::Tuple(items) = &v.kind else {
            return v;
        };
        if kt.record
            || vt.record
            || kt.fields.len() != items.len()
            || vt.fields.len() != items.len()
        {
            return v;
        }
        let convert = |i: usize| is_name_type(items[i].ty) && kt.fields[i].ty.is_str();
        if !(0..items.len()).any(convert) {
            return v;
        }
        let mut new_items = Vec::with_capacity(items.len());
        let mut fields = Vec::with_capacity(items.len());
        for (i, (item, f)) in items.iter().zip(&vt.fields).enumerate() {
            if convert(i) {
                let s = self.name_as_str(cx, item.clone());
                fields.push((None, s.ty, field_size(s.ty, f.size)));
                new_items.push(s);
            } else {
                fields.push((None, f.ty, f.size));
                new_items.push(item.clone());
            }
        }
        TExpr {
            kind: TExprKind::Tuple(new_items),
            ty: Type::Tuple(layout(fields)),
            span: v.span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sema::attach_names::tests::check;
    use crate::sema::maps::MapValueType;

    /// The type of tuple field `i` of map `m`'s values.
    fn map_field(c: &crate::sema::Checked, m: usize, i: usize) -> Type {
        match c.maps[m].value {
            MapValueType::Plain(Type::Tuple(t)) => t.fields[i].ty,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_name_and_a_string_in_one_position_make_a_string() {
        let c = check("kprobe:abcd { @u = (\"x\", 2); @u = (func, 3); }");
        assert_eq!(map_field(&c, 0, 0), Type::Str { size: 5 });
        let c = check("kprobe:abcd { @v = (probe, 1); @v = (\"abc\", 4); }");
        assert_eq!(map_field(&c, 0, 0), Type::Str { size: 12 });
        let c = check("kprobe:ab { $t = (\"s\", 1); $t = (probe, 2); @t = $t; }");
        assert_eq!(map_field(&c, 0, 0), Type::Str { size: 10 });
    }

    #[test]
    fn names_alone_stay_numbers() {
        let c = check("kprobe:a,kprobe:b { @u = (probe, 1); @u = (probe, 2); }");
        assert!(matches!(
            map_field(&c, 0, 0),
            Type::Fmt(tracec_meta::FmtKind::ProbeName)
        ));
        assert!(!format!("{:?}", c.probes).contains("NameStr"));
    }

    #[test]
    fn only_names_and_strings_merge() {
        assert_eq!(
            merge_name_field(
                Type::Fmt(tracec_meta::FmtKind::FuncName),
                Type::Str { size: 3 }
            ),
            Some(Type::Str { size: 3 })
        );
        assert_eq!(merge_name_field(Type::U64, Type::Str { size: 3 }), None);
        assert_eq!(
            merge_name_field(Type::Str { size: 3 }, Type::Str { size: 4 }),
            None
        );
    }
}
