//! C maps whose values are structs of integers are script maps of record
//! values, which print as bpftrace prints a struct (`{ .count = 1, .bytes = 2 }`).
//! Records are immutable, so writing one member writes the whole element again:
//!
//! | C | script |
//! | --- | --- |
//! | `v->count` | `@m[$k].count` (as the member's C type) |
//! | `v->count += n` | `@m[$k] = (count = @m[$k].count + n, bytes = @m[$k].bytes)` |
//! | `bpf_map_update_elem(&m, &k, &init, f)` | `@m[k] = (count = $init__count, ...)` |
//! | `*v = init;` / `struct val x = *v;` | the same record / one read per member |
//!
//! A struct key (`__type(key, struct hkey)`, hash maps) is a record key of the
//! script map, built from the key argument's local the same way (`key_arg`), and
//! printed as bpftrace prints a struct key (`@m[{ .pid = 1, .cpu = 2 }]`).
//!
//! The members must be integers, `bool`s or arrays of them (`u32 slots[26]`, an
//! array field printed `[0,1,...]`, `helpers_map_array.rs`); a nested struct would
//! not print as C's value does, and anything else is a located diagnostic at the
//! map's use.

use super::inline::{expr, int, store, var, Frame, Inliner};
use super::places::{leaf_name, Place, Seg};
use super::types::RecordTable;
use super::{unsupported, CExpr, CExprKind, CMap, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{Expr, ExprKind, Span, Stmt, StmtKind, UnOp};

/// The members of the struct value type `ty` of a map, when all are integers.
pub fn value_members(
    table: &RecordTable,
    ty: &CType,
    sp: Span,
) -> Result<Vec<(String, CType)>, Diagnostic> {
    members_of(table, ty, sp, "value")
}

/// The members of the struct type `ty` of a map's keys or values (`what`), when
/// all are integers or arrays of integers.
pub fn members_of(
    table: &RecordTable,
    ty: &CType,
    sp: Span,
    what: &str,
) -> Result<Vec<(String, CType)>, Diagnostic> {
    let CType::Record { name, union } = ty else {
        return Err(unsupported(sp, &format!("a map {what} that is no struct")));
    };
    let Some(members) = table.members(name, *union) else {
        return Err(Diagnostic::error(
            sp,
            format!("map {what} has incomplete type '{}'", ty.spelling()),
        ));
    };
    let mut out = Vec::new();
    for (m, t) in members {
        match t {
            Some(t @ (CType::Int { .. } | CType::Bool)) => out.push((m.clone(), t.clone())),
            Some(t @ CType::Array(..)) => {
                super::helpers_map_array::check_member(ty, m, t, what, sp)?;
                out.push((m.clone(), t.clone()));
            }
            _ => {
                return Err(unsupported(
                    sp,
                    &format!(
                        "a map {what} `{}` whose member `{m}` is no integer (script maps hold \
                         records of integers and integer arrays)",
                        ty.spelling()
                    ),
                ))
            }
        }
    }
    if out.is_empty() {
        return Err(unsupported(
            sp,
            &format!("a map {what} struct without members"),
        ));
    }
    Ok(out)
}

/// `(a = v_a, b = v_b, ...)` with each value stored as its member's C type.
pub(super) fn record(
    members: &[(String, CType)],
    mut value: impl FnMut(&str, &CType) -> Expr,
    sp: Span,
) -> Expr {
    let (names, values) = members
        .iter()
        .map(|(m, t)| {
            let v = value(m, t);
            (m.clone(), if t.is_scalar() { store(t, v) } else { v })
        })
        .unzip();
    expr(ExprKind::Record { names, values }, sp)
}

/// The value of a member of type `t` whose scalars (the member itself, or each
/// element `i` of an array member) are `leaf(None)` / `leaf(Some(i))`; a `string`
/// member (`char[N]`) is the string of those bytes.
pub(super) fn built(
    t: &CType,
    string: bool,
    mut leaf: impl FnMut(Option<u32>) -> Expr,
    sp: Span,
) -> Expr {
    match t {
        CType::Array(elem, n) => {
            super::helpers_map_array::array_of(elem, *n, string, |i| leaf(Some(i)), sp)
        }
        _ => leaf(None),
    }
}

/// `@map[$key].field`.
pub(super) fn field_of(map: &str, key: &str, field: &str, sp: Span) -> Expr {
    expr(
        ExprKind::Field {
            base: Box::new(super::helpers_map::element(map, var(key, sp), sp)),
            field: field.to_string(),
            arrow: false,
        },
        sp,
    )
}

/// The record of zeros a map of struct values holds (what declares its type).
pub fn zero_record(table: &RecordTable, m: &CMap) -> Result<Expr, Diagnostic> {
    let members = value_members(table, &m.value, m.span)?;
    Ok(record(
        &members,
        |f, t| built(t, table.is_string(&m.value, f), |_| int(0, m.span), m.span),
        m.span,
    ))
}

/// A key of `m` of zeros: `0`, or the record of zeros of a struct key.
pub fn zero_key(table: &RecordTable, m: &CMap, sp: Span) -> Result<Expr, Diagnostic> {
    if m.key.is_scalar() {
        return Ok(super::helpers_map::script_key(m, int(0, sp)));
    }
    let members = members_of(table, &m.key, m.span, "key")?;
    Ok(record(
        &members,
        |f, t| built(t, table.is_string(&m.key, f), |_| int(0, sp), sp),
        sp,
    ))
}

impl<'a> Inliner<'a> {
    /// `v->field` of a map element of struct type `record`.
    pub(super) fn map_member(
        &self,
        map: String,
        key: String,
        record: CType,
        field: &str,
        sp: Span,
    ) -> Result<Place, Diagnostic> {
        let members = value_members(self.table, &record, sp)?;
        let Some((_, ty)) = members.iter().find(|(m, _)| m == field) else {
            return Err(Diagnostic::error(
                sp,
                format!("no member named '{field}' in '{}'", record.spelling()),
            ));
        };
        Ok(Place::MapField {
            map,
            key,
            field: field.to_string(),
            ty: ty.clone(),
            record,
            index: None,
        })
    }

    /// The value of a member of a map element (of element `index` of an array
    /// member).
    pub(super) fn read_map_field(
        map: &str,
        key: &str,
        field: &str,
        ty: &CType,
        index: Option<Expr>,
        sp: Span,
    ) -> Expr {
        let whole = field_of(map, key, field, sp);
        match index {
            Some(i) => store(
                ty,
                expr(
                    ExprKind::Index {
                        base: Box::new(whole),
                        index: Box::new(i),
                    },
                    sp,
                ),
            ),
            None => store(ty, whole),
        }
    }

    /// `@map[$key]` rewritten with `field` set to `value`, the other members kept.
    /// Each other member is one read of the element (whose copy is a temporary of
    /// the statement), or, in a struct with array members, read from one copy of
    /// the old element (`whole_copy`, as an element write needs).
    pub(super) fn write_map_field(
        &mut self,
        fr: &mut Frame<'a>,
        place: (&str, &str, &str, &CType),
        value: Expr,
        sp: Span,
    ) -> Vec<Stmt> {
        let (map, key, field, record_ty) = place;
        let members = match value_members(self.table, record_ty, sp) {
            Ok(m) => m,
            Err(d) => {
                self.diags.push(d);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        let whole = if members.iter().any(|(_, t)| matches!(t, CType::Array(..))) {
            let (w, copy) = self.whole_copy(fr, (map, key, record_ty), &members, sp);
            out.push(copy);
            Some(w)
        } else {
            None
        };
        let mut value = Some(value);
        let rec = record(
            &members,
            |m, _| match &whole {
                _ if m == field => value.take().unwrap_or_else(|| int(0, sp)),
                Some(w) => super::helpers_map_array::member(var(w, sp), m, sp),
                None => field_of(map, key, m, sp),
            },
            sp,
        );
        out.push(set_element(map, var(key, sp), rec, sp));
        out
    }

    /// The record an update's value argument (`&local`, or a pointer to a local or
    /// to an element of a map of the same struct) stands for.
    pub(super) fn record_arg(
        &mut self,
        fr: &mut Frame<'a>,
        m: &CMap,
        e: &CExpr,
    ) -> Result<Expr, Diagnostic> {
        let members = value_members(self.table, &m.value, e.span)?;
        if let Some(zero) = self.zero_global_arg(fr, &members, &m.value, e) {
            return Ok(zero);
        }
        let source = self.pointed_local(fr, e, "value")?;
        self.record_of(&members, &m.value, source, e.span)
    }

    /// The key a key argument (`&local`, or a pointer to a local or to a map
    /// element) stands for: the integer, or the record of a struct key.
    pub(super) fn key_arg(
        &mut self,
        fr: &mut Frame<'a>,
        m: &CMap,
        e: &CExpr,
    ) -> Result<Expr, Diagnostic> {
        if m.key.is_scalar() {
            let k = self.pointed(fr, e)?;
            return Ok(super::helpers_map::script_key(m, k));
        }
        let members = members_of(self.table, &m.key, e.span, "key")?;
        if let Some(zero) = self.zero_global_arg(fr, &members, &m.key, e) {
            return Ok(zero);
        }
        let source = self.pointed_local(fr, e, "key")?;
        self.record_of(&members, &m.key, source, e.span)
    }

    /// The record of zeros `&g` stands for, `g` a global aggregate of zeros of
    /// type `ty` (so that the global's copy is never read: its variables would be
    /// live from the start of the function).
    fn zero_global_arg(
        &self,
        fr: &Frame<'a>,
        members: &[(String, CType)],
        ty: &CType,
        e: &CExpr,
    ) -> Option<Expr> {
        let CExprKind::Unary {
            op: UnOp::AddrOf,
            expr: g,
        } = &e.kind
        else {
            return None;
        };
        let CExprKind::Var(name) = &g.kind else {
            return None;
        };
        if !fr.zero_global(name) || fr.local(name).map(|l| &l.ty) != Some(ty) {
            return None;
        }
        let sp = e.span;
        let table = self.table;
        Some(record(
            members,
            |m, t| built(t, table.is_string(ty, m), |_| int(0, sp), sp),
            sp,
        ))
    }

    /// The local a `what` argument (`&local`, or a pointer to a local) points to.
    fn pointed_local(
        &mut self,
        fr: &mut Frame<'a>,
        e: &CExpr,
        what: &str,
    ) -> Result<Place, Diagnostic> {
        match self.local_address(fr, e) {
            Some(r) => r,
            None => super::places::alias_of(fr, e).ok_or_else(|| {
                unsupported(
                    e.span,
                    &format!("this {what} argument (only `&local` or a pointer to one)"),
                )
            }),
        }
    }

    /// The record the struct at `source` holds, for a map of `ty` values.
    pub(super) fn record_of(
        &mut self,
        members: &[(String, CType)],
        ty: &CType,
        source: Place,
        sp: Span,
    ) -> Result<Expr, Diagnostic> {
        match source {
            Place::Local { prefix, ty: from } if &from == ty => Ok(record(
                members,
                |m, t| {
                    let name = leaf_name(&prefix, &Seg::Field(m.to_string()));
                    built(
                        t,
                        self.table.is_string(ty, m),
                        |i| match i {
                            Some(i) => var(&leaf_name(&name, &Seg::Index(i)), sp),
                            None => var(&name, sp),
                        },
                        sp,
                    )
                },
                sp,
            )),
            Place::MapElem { map, key, ty: from } if &from == ty => {
                Ok(super::helpers_map::element(&map, var(&key, sp), sp))
            }
            Place::Local { ty: from, .. } | Place::MapElem { ty: from, .. } => {
                Err(Diagnostic::error(
                    sp,
                    format!(
                        "assigning to '{}' from incompatible type '{}'",
                        ty.spelling(),
                        from.spelling()
                    ),
                ))
            }
            _ => Err(unsupported(
                sp,
                &format!(
                    "this `{}` value for a map element (only a local or another element)",
                    ty.spelling()
                ),
            )),
        }
    }

    /// `*v = src;` for a map element of struct type: the whole element.
    pub(super) fn assign_map_record(
        &mut self,
        fr: &mut Frame<'a>,
        (map, key, ty): (&str, &str, &CType),
        src: &CExpr,
        sp: Span,
    ) -> Vec<Stmt> {
        let r = value_members(self.table, ty, sp).and_then(|members| {
            let source = match self.place(fr, src) {
                Some(Ok(p)) => p,
                Some(Err(d)) => return Err(d),
                None => {
                    return Err(unsupported(
                        src.span,
                        &format!("this value assigned to a `{}` map element", ty.spelling()),
                    ))
                }
            };
            self.record_of(&members, ty, source, src.span)
        });
        match r {
            Ok(rec) => vec![set_element(map, var(key, sp), rec, sp)],
            Err(d) => {
                self.diags.push(d);
                Vec::new()
            }
        }
    }

    /// `struct val x = *v;`: the local's leaves from the element's members.
    pub(super) fn copy_map_record(
        &mut self,
        prefix: &str,
        ty: &CType,
        (map, key, from): (&str, &str, &CType),
        sp: Span,
    ) -> Vec<Stmt> {
        if from != ty {
            self.diags.push(Diagnostic::error(
                sp,
                format!(
                    "assigning to '{}' from incompatible type '{}'",
                    ty.spelling(),
                    from.spelling()
                ),
            ));
            return Vec::new();
        }
        match value_members(self.table, ty, sp) {
            Ok(members) => members
                .iter()
                .flat_map(|(m, t)| {
                    let name = leaf_name(prefix, &Seg::Field(m.clone()));
                    match t {
                        CType::Array(elem, n) => (0..*n)
                            .map(|i| {
                                let at = Some(int(u64::from(i), sp));
                                super::inline::assign(
                                    &leaf_name(&name, &Seg::Index(i)),
                                    Self::read_map_field(map, key, m, elem, at, sp),
                                    sp,
                                )
                            })
                            .collect::<Vec<_>>(),
                        _ => vec![super::inline::assign(
                            &name,
                            Self::read_map_field(map, key, m, t, None, sp),
                            sp,
                        )],
                    }
                })
                .collect(),
            Err(d) => {
                self.diags.push(d);
                Vec::new()
            }
        }
    }
}

/// `@map[key] = value`.
pub fn set_element(map: &str, key: Expr, value: Expr, sp: Span) -> Stmt {
    super::inline::stmt(
        StmtKind::Assign {
            target: super::helpers_map::element(map, key, sp),
            op: None,
            value,
        },
        sp,
    )
}
