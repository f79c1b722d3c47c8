//! `syscall_name(n)`: a `FmtKind::SyscallName` value (the number, checked in
//! `fmtvals.rs`) that the runtime prints as the name. The names of the compiler's
//! architecture go into the object's metadata (`Metadata::syscall_names`) only
//! when the script calls `syscall_name`; the tables are generated from the kernel
//! UAPI headers by `scripts/gen-syscall-names`.

use super::name_str::NameStr;
use super::types::{FmtExpr, TExpr, TExprKind, Type};
use tracec_meta::FmtKind;

/// "NUMBER NAME" lines, by number.
#[cfg(target_arch = "aarch64")]
const TABLE: &str = include_str!("../../data/syscalls-aarch64.txt");
#[cfg(not(target_arch = "aarch64"))]
const TABLE: &str = include_str!("../../data/syscalls-x86_64.txt");

/// bpftrace's largest system call number plus one (its table's index mask,
/// `0x3ff`): larger numbers print as unknown.
pub const MAX_SYSCALLS: usize = 0x3ff;

/// The names of `table` ("NUMBER NAME" lines) indexed by number, empty where no
/// call has the number.
pub fn parse(table: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in table.lines() {
        let mut parts = line.split_whitespace();
        let (Some(nr), Some(name)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(nr) = nr.parse::<usize>() else {
            continue;
        };
        if nr >= MAX_SYSCALLS {
            continue;
        }
        if names.len() <= nr {
            names.resize(nr + 1, String::new());
        }
        names[nr] = name.to_string();
    }
    names
}

/// The system call names of the architecture the compiler runs on.
pub fn names() -> Vec<String> {
    parse(TABLE)
}

/// What `syscall_name` gives for a number without a name.
pub const UNKNOWN: &str = "Unknown syscall";

impl super::Checker {
    /// `e`, a `syscall_name()` value (or a variable or map value holding one), as a
    /// string where one is needed (see `name_str.rs`): a constant number becomes its
    /// name as a literal; otherwise the name is read from a `.rodata` table of all
    /// names at the number (as bpftrace, truncated to an `int32`) plus one, with
    /// [`UNKNOWN`] first, which a number outside the table reads. `None`: `e` is no
    /// such value.
    pub(super) fn syscall_as_str(&self, e: &TExpr) -> Option<TExpr> {
        let index = match (&e.ty, &e.kind) {
            (Type::Fmt(FmtKind::SyscallName), TExprKind::FmtValue(FmtExpr::Word(i))) => {
                i.as_ref().clone()
            }
            (Type::Fmt(FmtKind::SyscallName), _) => e.clone(),
            _ => return None,
        };
        let names = names();
        if let TExprKind::Int(k) = index.kind {
            let s = usize::try_from(k as i32)
                .ok()
                .and_then(|i| names.get(i))
                .filter(|n| !n.is_empty())
                .map_or(UNKNOWN, |n| n.as_str())
                .to_string();
            return Some(TExpr {
                ty: Type::Str {
                    size: s.len() as u32 + 1,
                },
                kind: TExprKind::Str(s),
                span: e.span,
            });
        }
        let index = match index.ty {
            Type::Fmt(_) => index,
            _ => super::cast::int_cast(index, 32, true, e.span),
        };
        let entries = std::iter::once(UNKNOWN)
            .chain(
                names
                    .iter()
                    .map(|n| if n.is_empty() { UNKNOWN } else { n.as_str() }),
            )
            .map(str::to_string)
            .collect();
        let ns = NameStr {
            index,
            // The table starts at -1: index n reads entry n + 1.
            first: u64::MAX,
            entries,
        };
        Some(TExpr {
            ty: Type::Str {
                size: ns.entry_size(),
            },
            kind: TExprKind::NameStr(Box::new(ns)),
            span: e.span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_indexed_by_number() {
        let names = parse("0 read\n1 write\n4 stat\nbad line\n5000 huge\n");
        assert_eq!(names, vec!["read", "write", "", "", "stat"]);
    }

    #[test]
    fn the_host_table_names_common_calls() {
        let names = names();
        assert!(names.len() > 200, "{}", names.len());
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(names[0], "read");
            assert_eq!(names[59], "execve");
            assert_eq!(names[231], "exit_group");
        }
        assert!(names.iter().any(|n| n == "openat"));
        assert!(names.iter().all(|n| !n.contains(' ')));
    }

    use crate::sema::attach_names::tests::check;
    use crate::sema::maps::MapValueType;
    use crate::sema::types::{MapValue, TStmtKind};

    /// The values assigned to maps in the first probe.
    fn map_values(src: &str) -> (Vec<TExpr>, Vec<MapValueType>) {
        let c = check(src);
        let values = c.probes[0]
            .body
            .iter()
            .filter_map(|s| match &s.kind {
                TStmtKind::AssignMap {
                    value: MapValue::Plain(v),
                    ..
                } => Some(v.clone()),
                _ => None,
            })
            .collect();
        (values, c.maps.iter().map(|m| m.value).collect())
    }

    #[test]
    fn numbers_stay_numbers_unless_a_string_is_needed() {
        let c = check("kprobe:x { @[syscall_name(arg0)] = count(); }");
        assert!(c.syscall_names);
        assert!(!format!("{:?}", c.probes).contains("NameStr"));
        let c = check("kprobe:x { @[arg0] = count(); }");
        assert!(!c.syscall_names);
    }

    #[test]
    fn constants_become_literals_and_run_time_numbers_read_the_table() {
        let (v, maps) = map_values(
            "kprobe:x { @a = str(syscall_name(100000)); \
             @b = str(syscall_name(-1)); @c = \"x\"; @c = syscall_name(arg0); }",
        );
        assert_eq!(v[0].kind, TExprKind::Str(UNKNOWN.into()));
        assert_eq!(v[1].kind, TExprKind::Str(UNKNOWN.into()));
        let TExprKind::NameStr(ns) = &v[3].kind else {
            panic!("{:?}", v[3]);
        };
        assert_eq!(ns.first, u64::MAX);
        assert_eq!(ns.entries[0], UNKNOWN);
        assert_eq!(ns.entries.len(), names().len() + 1);
        assert!(ns.entries.iter().all(|e| !e.is_empty()));
        assert!(matches!(maps[2], MapValueType::Plain(Type::Str { .. })));
    }

    #[test]
    fn comparisons_with_literals_compare_strings() {
        let (v, _) = map_values("kprobe:x { @e = syscall_name(arg0) == \"read\"; }");
        let TExprKind::StrEq { lhs, .. } = &v[0].kind else {
            panic!("{:?}", v[0]);
        };
        assert!(matches!(lhs.kind, TExprKind::NameStr(_)));
    }
}
