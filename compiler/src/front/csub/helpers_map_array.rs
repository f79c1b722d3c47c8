//! Array members of the structs a C map holds (`struct hist { u32 slots[26]; }`):
//! the script record's field is an integer array, built from its elements with
//! `__tracec_array_u32(...)` (`sema/array_build.rs`) and printed as bpftrace
//! prints an `int[N]`, `[0,1,...]`.
//!
//! | C | script |
//! | --- | --- |
//! | `v->slots[i]` | `@m[$k].slots[$i]` |
//! | `v->slots[i] += n`, `__sync_fetch_and_add(&v->slots[i], n)` | `let $w = @m[$k]; @m[$k] = (slots = __tracec_array_u32($i == 0 ? $n : $w.slots[0], ...))` |
//! | `static struct hist zero;` as an update's value | `(slots = __tracec_array_u32(0, ...))` |
//! | `bpf_get_current_comm(&v->comm, n)` | the member is `comm` (`n` and the member at least 16 bytes) |
//! | `bpf_probe_read_kernel_str(&v->comm, n, p)`... | into a local `char[N]`, then the member from its bytes |
//!
//! Records are immutable, so writing one element writes the whole element of the
//! map again, from one copy of the old element; an index that is a constant
//! replaces that element only, one chosen at run time is compared with each
//! position (an index past the end writes nothing).

use super::helpers_map_record::{built, record, set_element, value_members};
use super::inline::{assign, binary, expr, int, let_, var, Frame, Inliner};
use super::places::{leaf_name, Place, Seg};
use super::{unsupported, CExpr, CExprKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Expr, ExprKind, Span, Stmt, UnOp};

/// Elements an array member may have (each is one argument of the array
/// builder, and a run-time index compares with each).
const MAX_ELEMENTS: u32 = 256;

/// Whether the array member `m` (of type `t`) of the struct `ty` of a map's keys
/// or values (`what`) can be a record field: integers or `bool`s, one dimension.
pub fn check_member(
    ty: &CType,
    m: &str,
    t: &CType,
    what: &str,
    sp: Span,
) -> Result<(), Diagnostic> {
    let CType::Array(elem, n) = t else {
        return Ok(());
    };
    if !matches!(**elem, CType::Int { .. } | CType::Bool) {
        return Err(unsupported(
            sp,
            &format!(
                "a map {what} `{}` whose member `{m}` is an array of `{}` (script maps hold \
                 records of integers and integer arrays)",
                ty.spelling(),
                elem.spelling()
            ),
        ));
    }
    if *n == 0 || *n > MAX_ELEMENTS {
        return Err(unsupported(
            sp,
            &format!(
                "a map {what} `{}` whose array member `{m}` has {n} elements (1 to \
                 {MAX_ELEMENTS})",
                ty.spelling()
            ),
        ));
    }
    Ok(())
}

/// The array of `n` elements of type `elem` whose element `i` is `value(i)`.
/// A `string` (a `char[N]` member) is the string of those bytes.
pub fn array_of(
    elem: &CType,
    n: u32,
    string: bool,
    mut value: impl FnMut(u32) -> Expr,
    sp: Span,
) -> Expr {
    let name = match elem {
        _ if string => crate::sema::array_build::STR_BUILDER.to_string(),
        CType::Int { bits, signed } => {
            crate::sema::array_build::builder_name(*bits, *signed, false)
        }
        _ => crate::sema::array_build::builder_name(8, false, true),
    };
    expr(
        ExprKind::Call {
            name,
            args: (0..n).map(&mut value).collect(),
        },
        sp,
    )
}

/// `e.field`.
pub(super) fn member(base: Expr, name: &str, sp: Span) -> Expr {
    expr(
        ExprKind::Field {
            base: Box::new(base),
            field: name.to_string(),
            arrow: false,
        },
        sp,
    )
}

/// `e[i]`.
fn index(base: Expr, i: u32, sp: Span) -> Expr {
    expr(
        ExprKind::Index {
            base: Box::new(base),
            index: Box::new(int(u64::from(i), sp)),
        },
        sp,
    )
}

/// The bytes of a task's name, `TASK_COMM_LEN`.
const COMM_LEN: u32 = 16;

/// Helpers whose first argument is a buffer they fill.
const FILLERS: &[&str] = &[
    "bpf_get_current_comm",
    "bpf_probe_read_kernel_str",
    "bpf_probe_read_str",
    "bpf_core_read_str",
    "bpf_probe_read_user_str",
    "bpf_core_read_user_str",
    "bpf_probe_read_kernel",
    "bpf_probe_read",
    "bpf_core_read",
    "bpf_probe_read_user",
    "bpf_core_read_user",
];

impl<'a> Inliner<'a> {
    /// A helper filling an array member of a map element (`&v->comm`): it fills a
    /// local array of the member's type, whose elements then make the member
    /// (the element written again); the value is the helper's. `None`: the first
    /// argument is no such member.
    pub(super) fn fill_map_member(
        &mut self,
        fr: &mut Frame<'a>,
        name: &str,
        args: &[CExpr],
        sp: Span,
    ) -> Option<Expr> {
        if !FILLERS.contains(&name) {
            return None;
        }
        let dst = args.first()?;
        let target = match &dst.kind {
            CExprKind::Unary {
                op: UnOp::AddrOf,
                expr: d,
            } => d,
            _ => dst,
        };
        let Some(Ok(Place::MapField {
            map,
            key,
            field,
            ty: ty @ CType::Array(..),
            record: record_ty,
            index: None,
        })) = self.place(fr, target)
        else {
            return None;
        };
        let CType::Array(elem, n) = &ty else {
            return None;
        };
        let string = self.table.is_string(&record_ty, &field);
        if name == "bpf_get_current_comm" && string && *n >= COMM_LEN {
            // The whole name fits: the member is `comm` itself (no bytes held in
            // variables across the reads).
            if let Some(size) = args.get(1) {
                if let ExprKind::Int(len) = self.value(fr, size).kind {
                    if len >= u64::from(COMM_LEN) {
                        let comm = expr(ExprKind::Ident("comm".into()), sp);
                        let out =
                            self.write_map_field(fr, (&map, &key, &field, &record_ty), comm, sp);
                        return Some(expr(
                            ExprKind::Block {
                                stmts: out,
                                value: Box::new(int(0, sp)),
                            },
                            sp,
                        ));
                    }
                }
            }
        }
        // A buffer declared here (its elements are variables, live from here to
        // the member's write only).
        let local = format!("{}buffer", fr.temp());
        let mut out = self.declare(fr, &local, &ty, None, sp);
        let prefix = fr.local(&local)?.script.clone();
        let mut with_local = args.to_vec();
        with_local[0] = CExpr {
            kind: CExprKind::Var(local),
            span: dst.span,
        };
        let call = self.helper(fr, name, &with_local, sp)?;
        let r = fr.temp();
        out.push(let_(r.clone(), call, sp));
        let value = array_of(
            elem,
            *n,
            string,
            |i| var(&leaf_name(&prefix, &Seg::Index(i)), sp),
            sp,
        );
        out.extend(self.write_map_field(fr, (&map, &key, &field, &record_ty), value, sp));
        Some(expr(
            ExprKind::Block {
                stmts: out,
                value: Box::new(var(&r, sp)),
            },
            sp,
        ))
    }

    /// Element `i` of the array member `field` of a map element (`v->slots[i]`).
    pub(super) fn map_field_elem(
        (map, key, field, record): (String, String, String, CType),
        (elem, n): (CType, u32),
        i: Expr,
        sp: Span,
    ) -> Result<Place, Diagnostic> {
        if !elem.is_scalar() {
            return Err(unsupported(
                sp,
                "an element of an array of structs or arrays in a map element",
            ));
        }
        if let ExprKind::Int(c) = i.kind {
            if c >= u64::from(n) {
                return Err(Diagnostic::error(
                    sp,
                    format!("array index {c} is past the end of the array (of {n} elements)"),
                ));
            }
        }
        Ok(Place::MapField {
            map,
            key,
            field,
            ty: elem,
            record,
            index: Some(i),
        })
    }

    /// The variable holding a copy of an element of `map` (of the struct
    /// `record_ty` with `members`) in this function, and the statement copying
    /// `@map[$key]` into it. The variable is declared once per inlined call (at
    /// its start, as a record of zeros): each copy takes as much of the 512-byte
    /// stack as the struct.
    pub(super) fn whole_copy(
        &mut self,
        fr: &mut Frame<'_>,
        (map, key, record_ty): (&str, &str, &CType),
        members: &[(String, CType)],
        sp: Span,
    ) -> (String, Stmt) {
        let purpose = format!("element of {map}");
        let name = match fr.shared.get(&purpose) {
            Some(name) => name.clone(),
            None => {
                let name = fr.temp();
                let table = self.table;
                let zero = record(
                    members,
                    |m, t| built(t, table.is_string(record_ty, m), |_| int(0, sp), sp),
                    sp,
                );
                fr.prelude.push(let_(name.clone(), zero, sp));
                fr.shared.insert(purpose, name.clone());
                name
            }
        };
        let old = super::helpers_map::element(map, var(key, sp), sp);
        let copy = assign(&name, old, sp);
        (name, copy)
    }

    /// `@map[$key]` rewritten with element `at` of its array member `field` set to
    /// `value` (a variable or constant), the rest from a copy of the old element.
    pub(super) fn write_map_elem(
        &mut self,
        fr: &mut Frame<'_>,
        (map, key, field, record_ty): (&str, &str, &str, &CType),
        at: Expr,
        value: Expr,
        sp: Span,
    ) -> Vec<Stmt> {
        let members = match value_members(self.table, record_ty, sp) {
            Ok(m) => m,
            Err(d) => {
                self.diags.push(d);
                return Vec::new();
            }
        };
        let (whole, copy) = self.whole_copy(fr, (map, key, record_ty), &members, sp);
        let whole = whole.as_str();
        let table = self.table;
        let rec = record(
            &members,
            |m, t| {
                let from = member(var(whole, sp), m, sp);
                match t {
                    CType::Array(elem, n) if m == field => array_of(
                        elem,
                        *n,
                        table.is_string(record_ty, m),
                        |i| replaced(&at, i, &value, index(from.clone(), i, sp), sp),
                        sp,
                    ),
                    _ => from,
                }
            },
            sp,
        );
        vec![copy, set_element(map, var(key, sp), rec, sp)]
    }
}

/// Element `i` of an array whose element `at` becomes `value` and whose other
/// elements are `old`.
fn replaced(at: &Expr, i: u32, value: &Expr, old: Expr, sp: Span) -> Expr {
    match at.kind {
        ExprKind::Int(c) if c == u64::from(i) => value.clone(),
        ExprKind::Int(_) => old,
        _ => expr(
            ExprKind::Ternary {
                cond: Box::new(binary(BinOp::Eq, at.clone(), int(u64::from(i), sp))),
                then: Box::new(value.clone()),
                els: Box::new(old),
            },
            sp,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_index_replaces_one_element() {
        let sp = Span::default();
        let at = int(2, sp);
        let v = var("v", sp);
        assert!(matches!(
            replaced(&at, 2, &v, int(7, sp), sp).kind,
            ExprKind::Var(_)
        ));
        assert!(matches!(
            replaced(&at, 1, &v, int(7, sp), sp).kind,
            ExprKind::Int(7)
        ));
        let at = var("i", sp);
        assert!(matches!(
            replaced(&at, 1, &v, int(7, sp), sp).kind,
            ExprKind::Ternary { .. }
        ));
    }

    #[test]
    fn arrays_name_their_element_type() {
        let sp = Span::default();
        let a = array_of(
            &CType::Int {
                bits: 16,
                signed: true,
            },
            3,
            false,
            |i| int(u64::from(i), sp),
            sp,
        );
        match a.kind {
            ExprKind::Call { name, args } => {
                assert_eq!(name, "__tracec_array_s16");
                assert_eq!(args.len(), 3);
            }
            other => panic!("not a call: {other:?}"),
        }
        let b = array_of(&CType::Bool, 2, false, |_| int(0, sp), sp);
        let c = array_of(
            &CType::Int {
                bits: 8,
                signed: true,
            },
            2,
            true,
            |_| int(0, sp),
            sp,
        );
        assert!(matches!(c.kind, ExprKind::Call { ref name, .. } if name == "__tracec_str"));
        assert!(matches!(b.kind, ExprKind::Call { ref name, .. } if name == "__tracec_array_bool"));
    }
}
