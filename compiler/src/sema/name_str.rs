//! `probe` and `func` where a string is needed (`str(probe)`, `strcontains(func, "x")`,
//! a string variable or map value, a comparison with a non-literal string).
//!
//! A name index ([`super::attach_names`]) is converted to a string only there, so
//! scripts that print or key by `probe`/`func` pay nothing. A constant index becomes the
//! name as a literal. A cookie index reads the name from a `.rodata` table of the names
//! its program can see ([`NameStr`]), lowered in `lower/name_str.rs`.

use super::types::{FmtExpr, TExpr, TExprKind, Type};
use super::{Checker, ProbeCx};
use crate::probes::ExpandedProbe;
use std::collections::HashMap;
use tracec_meta::FmtKind;

/// A name read from a table indexed by a run-time index (the attach cookie).
#[derive(Debug, Clone, PartialEq)]
pub struct NameStr {
    /// The `u64` index into the object's attach names, or a value of type
    /// `Fmt(ProbeName | FuncName)` whose word is that index (a variable, a map value).
    pub index: TExpr,
    /// The attach-name index of `entries[0]`.
    pub first: u64,
    /// The names of the indices `first..first + entries.len()`; an index outside
    /// reads as the first entry.
    pub entries: Vec<String>,
}

impl NameStr {
    /// The size of one entry: the longest name and its NUL.
    pub fn entry_size(&self) -> u32 {
        self.entries
            .iter()
            .map(|e| e.len() as u32)
            .max()
            .unwrap_or(0)
            + 1
    }

    /// The table's bytes: each entry NUL-padded to [`NameStr::entry_size`].
    pub fn table(&self) -> Vec<u8> {
        let size = self.entry_size() as usize;
        let mut out = vec![0u8; size * self.entries.len()];
        for (i, e) in self.entries.iter().enumerate() {
            out[i * size..i * size + e.len()].copy_from_slice(e.as_bytes());
        }
        out
    }
}

/// Per concrete probe (grouped by AST probe as in `attach_names::plan`), the range of
/// attach-name indices its cookie can take: those of its AST probe's cookie readers.
pub(super) fn cookie_ranges(
    concrete: &[(usize, ExpandedProbe)],
    plans: &[super::attach_names::NamePlan],
) -> Vec<(u64, u64)> {
    let mut ranges: HashMap<usize, (u64, u64)> = HashMap::new();
    for ((pi, _), plan) in concrete.iter().zip(plans) {
        if plan.cookie {
            let r = ranges.entry(*pi).or_insert((plan.index, plan.index));
            r.0 = r.0.min(plan.index);
            r.1 = r.1.max(plan.index);
        }
    }
    concrete
        .iter()
        .zip(plans)
        .map(|((pi, _), plan)| ranges.get(pi).copied().unwrap_or((plan.index, plan.index)))
        .collect()
}

/// Whether `e` is `probe` or `func` (a name index).
pub(super) fn is_name(e: &TExpr) -> bool {
    matches!(
        (&e.ty, &e.kind),
        (
            Type::Fmt(FmtKind::ProbeName | FmtKind::FuncName),
            TExprKind::FmtValue(FmtExpr::Word(_))
        )
    )
}

/// Whether `t` is the type of `probe`, `func` or `syscall_name()` (numbers that
/// become strings where one is needed).
pub(super) fn is_name_type(t: Type) -> bool {
    matches!(
        t,
        Type::Fmt(FmtKind::ProbeName | FmtKind::FuncName | FmtKind::SyscallName)
    )
}

impl Checker {
    /// `e` as a string when it is `probe` or `func`; otherwise `e` itself.
    pub(super) fn name_as_str(&mut self, cx: &ProbeCx, e: TExpr) -> TExpr {
        if let Some(s) = self.syscall_as_str(&e) {
            return s;
        }
        let (kind, index) = match (&e.ty, &e.kind) {
            (
                Type::Fmt(k @ (FmtKind::ProbeName | FmtKind::FuncName)),
                TExprKind::FmtValue(FmtExpr::Word(i)),
            ) => (*k, i.as_ref().clone()),
            // A variable or map value that holds a name: its word is the index.
            (Type::Fmt(k @ (FmtKind::ProbeName | FmtKind::FuncName)), _) => (*k, e.clone()),
            _ => return e,
        };
        if self.runtime_name(&e, "used as a string") {
            return super::poisoned(e.span);
        }
        let names = &self.attach_names.names;
        let name_of = |i: u64| -> String {
            names
                .get(i as usize)
                .map(|n| match kind {
                    FmtKind::ProbeName => n.probe.clone(),
                    _ => n.func.clone(),
                })
                .unwrap_or_default()
        };
        if let TExprKind::Int(k) = index.kind {
            let s = name_of(k as u64);
            return TExpr {
                ty: Type::Str {
                    size: s.len() as u32 + 1,
                },
                kind: TExprKind::Str(s),
                span: e.span,
            };
        }
        // The cookie takes the indices of this probe's attach points; a stored name
        // (a map value) may be any of the object's.
        let (first, last) = if is_name(&e) {
            cx.name_range
        } else {
            (0, names.len().saturating_sub(1) as u64)
        };
        let ns = NameStr {
            index,
            first,
            entries: (first..=last).map(name_of).collect(),
        };
        TExpr {
            ty: Type::Str {
                size: ns.entry_size(),
            },
            kind: TExprKind::NameStr(Box::new(ns)),
            span: e.span,
        }
    }
}

impl Checker {
    /// The operands of a comparison, with `probe`/`func` converted to strings when
    /// compared with a string that is not a literal (a literal is compared with the
    /// index, see `attach_names::compare`) or with each other.
    pub(super) fn names_compared(
        &mut self,
        cx: &ProbeCx,
        lhs: TExpr,
        rhs: TExpr,
    ) -> (TExpr, TExpr) {
        let named = |e: &TExpr| is_name_type(e.ty);
        let literal = |e: &TExpr| matches!(e.kind, TExprKind::Str(_));
        // A name itself compared with a literal is left to `attach_names::compare`.
        let convert = |n: &TExpr, other: &TExpr| {
            named(n) && (named(other) || (other.ty.is_str() && !(literal(other) && is_name(n))))
        };
        if convert(&lhs, &rhs) || convert(&rhs, &lhs) {
            (self.name_as_str(cx, lhs), self.name_as_str(cx, rhs))
        } else {
            (lhs, rhs)
        }
    }
}

impl Checker {
    /// The branches of `?:`, with `probe`/`func` converted to strings when the other
    /// branch is a string.
    pub(super) fn names_in_branches(
        &mut self,
        cx: &ProbeCx,
        then: TExpr,
        els: TExpr,
    ) -> (TExpr, TExpr) {
        match (is_name_type(then.ty), is_name_type(els.ty)) {
            (true, false) if els.ty.is_str() => (self.name_as_str(cx, then), els),
            (false, true) if then.ty.is_str() => (then, self.name_as_str(cx, els)),
            _ => (then, els),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::ast::Span;

    #[test]
    fn the_table_pads_each_entry_to_the_longest_name() {
        let ns = NameStr {
            index: TExpr {
                kind: TExprKind::Int(0),
                ty: Type::U64,
                span: Span::default(),
            },
            first: 3,
            entries: vec!["ab".into(), "kprobe:x".into()],
        };
        assert_eq!(ns.entry_size(), 9);
        let t = ns.table();
        assert_eq!(t.len(), 18);
        assert_eq!(&t[..3], b"ab\0");
        assert_eq!(&t[9..17], b"kprobe:x");
        assert_eq!(t[17], 0);
    }

    use super::super::attach_names::tests::check;
    use crate::sema::maps::MapValueType;
    use crate::sema::types::{MapValue, TStmtKind};

    /// The value assigned by statement `i` of probe `p`.
    fn assigned(c: &crate::sema::Checked, p: usize, i: usize) -> TExpr {
        match &c.probes[p].body[i].kind {
            TStmtKind::AssignVar { value, .. } => value.clone(),
            TStmtKind::AssignMap {
                value: MapValue::Plain(v),
                ..
            } => v.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_cookie_index_reads_the_names_of_its_attach_points() {
        let c = check("kprobe:x { @y = 1; } kprobe:a,kprobe:bcd { @n = strlen(probe); }");
        let TExprKind::StrLen(s) = assigned(&c, 1, 0).kind else {
            panic!()
        };
        let TExprKind::NameStr(ns) = &s.kind else {
            panic!("{s:?}")
        };
        assert_eq!(ns.first, 1);
        assert_eq!(ns.entries, ["kprobe:a", "kprobe:bcd"]);
        assert_eq!(s.ty, Type::Str { size: 11 });
    }

    #[test]
    fn a_constant_index_is_the_name_as_a_literal() {
        let c = check("kprobe:d { $s = str(func); @c = strcontains(probe, \":d\"); }");
        assert_eq!(assigned(&c, 0, 0).kind, TExprKind::Str("d".into()));
        // Folded, as for any literal.
        assert_eq!(assigned(&c, 0, 1).kind, TExprKind::Int(1));
    }

    #[test]
    fn string_maps_and_variables_take_names_as_strings() {
        let c = check("kprobe:a { @t = probe; @t = \"xy\"; $v = \"x\"; $v = func; }");
        assert_eq!(assigned(&c, 0, 0).kind, TExprKind::Str("kprobe:a".into()));
        assert_eq!(assigned(&c, 0, 3).kind, TExprKind::Str("a".into()));
        assert_eq!(c.maps[0].value, MapValueType::Plain(Type::Str { size: 9 }));
    }

    #[test]
    fn names_compare_with_string_values() {
        let c = check("kprobe:a,kprobe:b { $x = \"kprobe:b\"; @eq = probe == $x; }");
        let TExprKind::StrEq { negate, lhs, .. } = assigned(&c, 0, 1).kind else {
            panic!()
        };
        assert!(!negate);
        assert!(matches!(lhs.kind, TExprKind::NameStr(_)));
    }

    #[test]
    fn a_branch_with_a_string_makes_names_strings() {
        let c = check("kprobe:a,kprobe:b { $x = pid ? probe : \"zz\"; }");
        let TExprKind::Ternary { then, .. } = assigned(&c, 0, 0).kind else {
            panic!()
        };
        assert!(matches!(then.kind, TExprKind::NameStr(_)));
        assert_eq!(then.ty, Type::Str { size: 9 });
    }

    #[test]
    fn printing_and_keys_keep_the_index() {
        let c =
            check("kprobe:a,kprobe:b { @[probe] = count(); printf(\"%s\\n\", func); @p = probe; }");
        assert!(!format!("{:?}", c.probes).contains("NameStr"));
        assert!(matches!(
            assigned(&c, 0, 2).ty,
            Type::Fmt(FmtKind::ProbeName)
        ));
    }
}
