//! Kernel enum constants by name: an identifier that is no builtin, variable or
//! probe-specific name (`TCP_FIN_WAIT1`, `SKB_DROP_REASON_NOT_SPECIFIED`) is looked up
//! among the enumerators of the kernel BTF and becomes an integer constant, as in
//! bpftrace. Macros (`TASK_RUNNING` is a `#define` in the kernel) are not in BTF;
//! they come from `#include`d headers through the preprocessor, if at all.

use std::collections::HashMap;

use super::types::{TExpr, TExprKind, Type};
use super::Checker;
use crate::front::ast::Span;
use crate::kbtf::{self, Kind};

/// A named enumerator of the kernel BTF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumConst {
    /// The value as a 64-bit integer (two's complement for negative values).
    pub value: i64,
    /// Whether the value is used as signed: its enum is signed, or it is negative.
    pub signed: bool,
    /// The BTF id of the enum.
    pub enum_id: u32,
}

/// Every enumerator of `btf` by name; the first enum (by type id) defining a name
/// wins, as the kernel's BTF has one definition per enumerator in practice.
pub fn enum_constants(btf: &kbtf::Btf) -> HashMap<String, EnumConst> {
    let mut out = HashMap::new();
    for t in btf.types() {
        if !matches!(t.kind(), Kind::Enum | Kind::Enum64) {
            continue;
        }
        let signed = t.kind_flag();
        for v in t.enum_values() {
            if v.name.is_empty() {
                continue;
            }
            let c = EnumConst {
                value: v.value as i64,
                signed: signed || v.value < 0,
                enum_id: t.id(),
            };
            // The script's own enums (appended last) win over the kernel's.
            if btf.is_local(t.id()) {
                out.insert(v.name.to_string(), c);
            } else {
                out.entry(v.name.to_string()).or_insert(c);
            }
        }
    }
    out
}

/// The enumerator `name` of `btf`, chosen as [`enum_constants`] would (the script's
/// own enums win, the last one defining it; otherwise the first kernel enum by id),
/// without reading every enumerator.
pub fn enum_constant_named(btf: &kbtf::Btf, name: &str) -> Option<EnumConst> {
    let found = btf.find_enumerator(name);
    let (id, index) = found
        .iter()
        .rev()
        .find(|(id, _)| btf.is_local(*id))
        .or(found.first())
        .copied()?;
    let t = btf.ty(id).ok()?;
    let v = t.enum_values().nth(index as usize)?;
    Some(EnumConst {
        value: v.value as i64,
        signed: t.kind_flag() || v.value < 0,
        enum_id: id,
    })
}

impl Checker {
    /// The kernel enumerator `name` as an integer constant, if the kernel BTF can be
    /// read and defines it.
    pub(super) fn enum_constant(&mut self, name: &str, span: Span) -> Option<TExpr> {
        let c = self.kernel.enum_constant(name)?;
        self.use_enum(c.enum_id);
        Some(TExpr {
            kind: TExprKind::Int(c.value),
            ty: Type::Int {
                signed: c.signed,
                enum_id: Some(c.enum_id),
            },
            span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_kernel_enumerators_have_their_values() {
        let Ok(btf) = kbtf::Btf::load(std::path::Path::new(kbtf::VMLINUX_BTF)) else {
            eprintln!("skipping: no kernel BTF");
            return;
        };
        let all = enum_constants(&btf);
        // include/net/tcp_states.h and enum skb_drop_reason's first entries are ABI.
        let fin = all.get("TCP_FIN_WAIT1").copied();
        assert_eq!(fin.map(|c| (c.value, c.signed)), Some((4, false)));
        let id = fin.map_or(0, |c| c.enum_id);
        assert!(btf.ty(id).is_ok_and(|t| t.kind() == Kind::Enum));
        assert_eq!(all.get("TCP_CLOSE").map(|c| c.value), Some(7));
        assert_eq!(
            all.get("SKB_DROP_REASON_NOT_SPECIFIED").map(|c| c.value),
            Some(2)
        );
        assert_eq!(all.get("tcp_fin_wait1"), None);
        // The lookup by name agrees with the table of every enumerator.
        let mut names: Vec<&String> = all.keys().collect();
        names.sort();
        for name in names.iter().step_by(names.len() / 200 + 1) {
            assert_eq!(
                enum_constant_named(&btf, name),
                all.get(*name).copied(),
                "{name}"
            );
        }
        assert_eq!(enum_constant_named(&btf, "tcp_fin_wait1"), None);
        assert_eq!(enum_constant_named(&btf, "task_struct"), None);
    }
}
