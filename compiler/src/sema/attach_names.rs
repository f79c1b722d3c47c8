//! `probe` and `func`, and one program per probe shared by its attach points.
//!
//! `probe` and `func` are values the runtime names ([`FmtKind::ProbeName`],
//! [`FmtKind::FuncName`]): a `u64` index into the object's table of attach names
//! (`Metadata::attach_names`). A probe that names one attach point stores that
//! index as a constant. A probe whose attach points (a wildcard, a comma list) are
//! kprobes, uprobes or tracepoints reads it from the BPF attach cookie instead, which
//! the runtime sets per attach point; its programs then no longer differ by name, and
//! [`share`] keeps one program for every group of them whose checked code is the
//! same, attached to all of their attach points. `fentry:bpf`/`fexit:bpf` probes always
//! read the cookie: their targets (running BPF programs) are found by tracerun, which
//! names each `fentry:bpf:ID:FUNC` at run time and links it with that name's index.

use super::types::{Arith, Builtin, FmtExpr, TExpr, TExprKind, Type};
use super::{CheckedProbe, ProbeCx};
use crate::front::ast::Span;
use crate::ir::Cond;
use crate::probes::{BtfArgs, Context, ExpandedProbe};
use std::collections::HashMap;
use tracec_meta::{Attach, AttachName, FmtKind};

/// The attach names of the object, each once.
#[derive(Debug, Clone, Default)]
pub(super) struct NameTable {
    pub(super) names: Vec<AttachName>,
    index: HashMap<(String, String), u64>,
}

impl NameTable {
    /// The index of `(probe, func)`, added if new.
    fn intern(&mut self, probe: &str, func: &str) -> u64 {
        let key = (probe.to_string(), func.to_string());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.names.len() as u64;
        self.names.push(AttachName {
            probe: key.0.clone(),
            func: key.1.clone(),
        });
        self.index.insert(key, i);
        i
    }
}

/// How a concrete probe knows its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NamePlan {
    /// Its index in the [`NameTable`].
    pub(super) index: u64,
    /// Whether `probe`/`func` read the attach cookie (which the runtime sets to
    /// `index`) rather than the constant `index`.
    pub(super) cookie: bool,
}

/// What `func` prints for `ep`: the traced function (kprobe, uprobe, fentry).
fn func_of(ep: &ExpandedProbe) -> &str {
    match &ep.context {
        Context::Regs { function, .. } => function,
        Context::BtfArgs(BtfArgs {
            function: Some(f), ..
        }) => f,
        _ => "",
    }
}

/// Whether the runtime attaches `attach` through a perf event link that can carry a
/// cookie.
pub(super) fn cookie_capable(attach: &Attach) -> bool {
    matches!(
        attach,
        Attach::Kprobe { .. } | Attach::Uprobe { .. } | Attach::Tracepoint { .. }
    )
}

/// One plan per concrete probe (`(AST probe index, probe)`, grouped by AST probe):
/// probes of an AST probe with several cookie-capable attach points read the cookie.
pub(super) fn plan(concrete: &[(usize, ExpandedProbe)], table: &mut NameTable) -> Vec<NamePlan> {
    // Cookie-capable attach points per AST probe.
    let mut capable: HashMap<usize, usize> = HashMap::new();
    for (pi, ep) in concrete {
        if cookie_capable(&ep.attach) {
            *capable.entry(*pi).or_default() += 1;
        }
    }
    concrete
        .iter()
        .map(|(pi, ep)| NamePlan {
            index: table.intern(&ep.name, func_of(ep)),
            cookie: (cookie_capable(&ep.attach) && capable.get(pi).is_some_and(|&n| n > 1))
                || matches!(ep.attach, Attach::FentryBpf { .. }),
        })
        .collect()
}

/// The `u64` that indexes the current probe's names.
fn name_index(cx: &ProbeCx, span: Span) -> TExpr {
    let kind = if cx.names.cookie {
        TExprKind::Builtin(Builtin::AttachCookie)
    } else {
        TExprKind::Int(cx.names.index as i64)
    };
    TExpr {
        kind,
        ty: Type::U64,
        span,
    }
}

fn named(kind: FmtKind, cx: &ProbeCx, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::FmtValue(FmtExpr::Word(Box::new(name_index(cx, span)))),
        ty: Type::Fmt(kind),
        span,
    }
}

/// `probe`: the attach point that fired, as bpftrace spells it.
pub(super) fn probe_expr(cx: &ProbeCx, span: Span) -> TExpr {
    named(FmtKind::ProbeName, cx, span)
}

/// `func`: the traced function of the attach point that fired.
pub(super) fn func_expr(cx: &ProbeCx, span: Span) -> TExpr {
    named(FmtKind::FuncName, cx, span)
}

/// `probe`/`func` compared (`==`, `!=`) with a string literal: whether the index is
/// one of the attach names of that text, a constant when the index is. `None` when
/// the operands are not such a pair (the caller reports what is wrong).
pub(super) fn compare(
    table: &NameTable,
    negate: bool,
    lhs: &TExpr,
    rhs: &TExpr,
    span: Span,
) -> Option<TExpr> {
    let named = |e: &TExpr| match (&e.ty, &e.kind) {
        (
            Type::Fmt(k @ (FmtKind::ProbeName | FmtKind::FuncName)),
            TExprKind::FmtValue(FmtExpr::Word(i)),
        ) => Some((*k, i.as_ref().clone())),
        _ => None,
    };
    let ((kind, index), text) = match (&lhs.kind, &rhs.kind) {
        (_, TExprKind::Str(t)) => (named(lhs)?, t),
        (TExprKind::Str(t), _) => (named(rhs)?, t),
        _ => return None,
    };
    let matching: Vec<u64> = table
        .names
        .iter()
        .enumerate()
        .filter(|(_, n)| match kind {
            FmtKind::ProbeName => n.probe == *text,
            _ => n.func == *text,
        })
        .map(|(i, _)| i as u64)
        .collect();
    let u64_expr = |kind| TExpr {
        kind,
        ty: Type::U64,
        span,
    };
    if let TExprKind::Int(k) = index.kind {
        let hit = matching.contains(&(k as u64));
        return Some(u64_expr(TExprKind::Int(i64::from(hit != negate))));
    }
    let eq = |i: u64| {
        u64_expr(TExprKind::Cmp {
            cond: Cond::Eq,
            lhs: Box::new(index.clone()),
            rhs: Box::new(u64_expr(TExprKind::Int(i as i64))),
        })
    };
    // Equal to any of them: the comparisons' 0/1 results or'ed together.
    let any = matching.iter().map(|&i| eq(i)).reduce(|a, b| {
        u64_expr(TExprKind::Arith {
            op: Arith::Or,
            lhs: Box::new(a),
            rhs: Box::new(b),
        })
    });
    Some(match (any, negate) {
        (None, _) => u64_expr(TExprKind::Int(i64::from(negate))),
        (Some(e), false) => e,
        (Some(e), true) => u64_expr(TExprKind::Cmp {
            cond: Cond::Eq,
            lhs: Box::new(e),
            rhs: Box::new(u64_expr(TExprKind::Int(0))),
        }),
    })
}

/// The part of a section name that decides the program type (`kprobe`, `tracepoint`).
fn section_kind(section: &str) -> &str {
    section.split('/').next().unwrap_or(section)
}

/// Whether `b` can run as `a`'s program: the same AST probe, both reading the
/// cookie, the same program type and the same checked code.
fn same_program(a: &CheckedProbe, b: &CheckedProbe) -> bool {
    a.cookie.is_some()
        && b.cookie.is_some()
        && a.span == b.span
        && section_kind(&a.probe.section) == section_kind(&b.probe.section)
        && a.predicate == b.predicate
        && a.body == b.body
        && a.vars == b.vars
}

/// Fold every probe into the first earlier one it can share a program with (see
/// [`same_program`]), which then attaches to its attach point too.
pub(super) fn share(probes: Vec<CheckedProbe>) -> Vec<CheckedProbe> {
    let mut out: Vec<CheckedProbe> = Vec::with_capacity(probes.len());
    for p in probes {
        match out.iter_mut().find(|q| same_program(q, &p)) {
            Some(q) => {
                let cookie = p.cookie.unwrap_or_default();
                q.shared.push((p.probe, cookie));
            }
            None => out.push(p),
        }
    }
    out
}

#[cfg(test)]
pub(in crate::sema) mod tests {
    use super::*;

    fn kprobe(f: &str) -> ExpandedProbe {
        ExpandedProbe {
            name: format!("kprobe:{f}"),
            section: format!("kprobe/{f}"),
            symbol_stem: format!("kprobe_{f}"),
            attach: Attach::Kprobe {
                function: f.into(),
                offset: 0,
                ret: false,
            },
            context: Context::Regs {
                ret: false,
                function: f.into(),
            },
        }
    }

    /// Check `src` with every attach point a kprobe (or kretprobe) on its last part.
    pub(in crate::sema) fn check(src: &str) -> crate::sema::Checked {
        let program = crate::front::parse(src).unwrap();
        crate::sema::check_with(&program, &mut |ap| {
            let f = ap.parts.last().unwrap();
            let mut p = kprobe(f);
            if ap.parts[0] == "kretprobe" {
                p.name = format!("kretprobe:{f}");
                p.section = format!("kretprobe/{f}");
                p.attach = Attach::Kprobe {
                    function: f.clone(),
                    offset: 0,
                    ret: true,
                };
            }
            Ok(vec![p])
        })
        .unwrap()
    }

    #[test]
    fn a_list_shares_one_program_with_a_cookie_per_attach_point() {
        let c = check(
            "kprobe:a,kprobe:b,kprobe:c { @[func] = count(); } kprobe:d { @x[probe] = count(); }",
        );
        assert_eq!(c.probes.len(), 2);
        let list = &c.probes[0];
        assert_eq!(list.cookie, Some(0));
        let shared: Vec<_> = list
            .shared
            .iter()
            .map(|(e, cookie)| (e.name.as_str(), *cookie))
            .collect();
        assert_eq!(shared, [("kprobe:b", 1), ("kprobe:c", 2)]);
        // A single attach point names itself with a constant.
        assert_eq!(c.probes[1].cookie, None);
        assert!(c.probes[1].shared.is_empty());
        assert_eq!(c.attach_names[3].probe, "kprobe:d");
        assert_eq!(c.attach_names[1].func, "b");
    }

    #[test]
    fn names_compare_with_string_literals() {
        let mut t = NameTable::default();
        t.intern("kprobe:a", "a");
        t.intern("kretprobe:a", "a");
        let span = Span::default();
        let idx = |kind| TExpr {
            kind,
            ty: Type::U64,
            span,
        };
        let value = |kind, index| TExpr {
            kind: TExprKind::FmtValue(FmtExpr::Word(Box::new(idx(index)))),
            ty: Type::Fmt(kind),
            span,
        };
        let text = |s: &str| TExpr {
            kind: TExprKind::Str(s.into()),
            ty: Type::Str {
                size: s.len() as u32 + 1,
            },
            span,
        };
        // A constant index folds.
        let probe1 = value(FmtKind::ProbeName, TExprKind::Int(1));
        let r = compare(&t, false, &probe1, &text("kprobe:a"), span).unwrap();
        assert_eq!(r.kind, TExprKind::Int(0));
        let r = compare(&t, true, &text("kprobe:a"), &probe1, span).unwrap();
        assert_eq!(r.kind, TExprKind::Int(1));
        // The cookie is compared with every index of that name.
        let cookie = TExprKind::Builtin(Builtin::AttachCookie);
        let func = value(FmtKind::FuncName, cookie.clone());
        let r = compare(&t, false, &func, &text("a"), span).unwrap();
        let TExprKind::Arith {
            op: Arith::Or,
            lhs,
            rhs,
        } = r.kind
        else {
            panic!("{r:?}");
        };
        for (side, want) in [(lhs, 0), (rhs, 1)] {
            let TExprKind::Cmp { cond, lhs, rhs } = side.kind else {
                panic!("{side:?}");
            };
            assert_eq!(cond, Cond::Eq);
            assert_eq!(lhs.kind, cookie);
            assert_eq!(rhs.kind, TExprKind::Int(want));
        }
        // No attach point has that name.
        let r = compare(&t, true, &func, &text("b"), span).unwrap();
        assert_eq!(r.kind, TExprKind::Int(1));
        // Not a name and a literal.
        assert!(compare(&t, false, &text("a"), &text("a"), span).is_none());
    }

    #[test]
    fn a_comparison_keeps_the_program_shared() {
        let c = check(
            "kprobe:a,kprobe:b { if (probe == \"kprobe:b\") { @x = 1; } } kprobe:c { @y = func == \"c\"; }",
        );
        assert_eq!(c.probes.len(), 2);
        assert_eq!(c.probes[0].shared.len(), 1);
    }

    #[test]
    fn different_program_types_do_not_share() {
        let c = check("kprobe:a,kretprobe:b { @[probe] = count(); }");
        assert_eq!(c.probes.len(), 2);
        assert!(c.probes.iter().all(|p| p.shared.is_empty()));
        assert_eq!(c.probes[0].cookie, Some(0));
        assert_eq!(c.probes[1].cookie, Some(1));
    }

    #[test]
    fn names_are_interned_and_lists_read_the_cookie() {
        let mut t = NameTable::default();
        let begin = ExpandedProbe {
            name: "BEGIN".into(),
            section: "raw_tp".into(),
            symbol_stem: "BEGIN".into(),
            attach: Attach::Begin,
            context: Context::None,
        };
        let concrete = vec![
            (0, begin),
            (1, kprobe("a")),
            (1, kprobe("b")),
            (2, kprobe("a")),
        ];
        let plans = plan(&concrete, &mut t);
        assert_eq!(
            plans,
            vec![
                NamePlan {
                    index: 0,
                    cookie: false
                },
                NamePlan {
                    index: 1,
                    cookie: true
                },
                NamePlan {
                    index: 2,
                    cookie: true
                },
                NamePlan {
                    index: 1,
                    cookie: false
                },
            ]
        );
        assert_eq!(t.names.len(), 3);
        assert_eq!(t.names[2].probe, "kprobe:b");
        assert_eq!(t.names[2].func, "b");
        assert_eq!(t.names[0].func, "");
    }
}
