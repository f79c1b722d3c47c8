//! Tuples `(1, "a", $x)` and records `(a = 1, b = "x")`: their types (field layout
//! as bpftrace lays them out: every field at its natural alignment, the whole rounded
//! up to the largest alignment), literals, and field access (`$t.0`, `$t[1 + 1]`,
//! `$r.name`).
//!
//! Tuple types are interned so that [`Type`] stays `Copy`: a [`TupleRef`] is a
//! reference to a shared, immutable [`TupleTy`].

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span, TypeBase, UnOp};
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use tracec_meta::{Field, RecordField, Ty};

/// One field of a tuple or record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TupleField {
    /// The record field's name; `None` in a tuple.
    pub name: Option<String>,
    pub ty: Type,
    /// Byte offset in the tuple.
    pub offset: u32,
    /// Bytes the field takes: integers 1, 2, 4 or 8, bools 1.
    pub size: u32,
}

/// The layout of a tuple or record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TupleTy {
    pub fields: Vec<TupleField>,
    /// Total size, a multiple of `align`.
    pub size: u32,
    pub align: u32,
    /// Whether the fields are named.
    pub record: bool,
    /// An integer or bool array (`int8[4]`): fields of one type, one after another,
    /// indexed `a[i]` and printed `[1,2,3]`.
    pub array: bool,
}

/// An interned [`TupleTy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TupleRef(&'static TupleTy);

impl std::ops::Deref for TupleRef {
    type Target = TupleTy;
    fn deref(&self) -> &TupleTy {
        self.0
    }
}

fn interned() -> &'static Mutex<HashSet<&'static TupleTy>> {
    static TABLE: OnceLock<Mutex<HashSet<&'static TupleTy>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashSet::new()))
}

impl TupleRef {
    /// The shared copy of `t` (each distinct layout is allocated once per process).
    fn intern(t: TupleTy) -> TupleRef {
        let mut table = interned()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(found) = table.get(&t) {
            return TupleRef(found);
        }
        let leaked: &'static TupleTy = Box::leak(Box::new(t));
        table.insert(leaked);
        TupleRef(leaked)
    }
}

/// Alignment of a field of type `ty` taking `size` bytes.
fn align_of(ty: Type, size: u32) -> u32 {
    match ty {
        Type::Int { .. } => size.max(1),
        Type::Ptr { .. } => 8,
        Type::Tuple(t) => t.align,
        // Stacks and run-time formatted values start with `u64` words.
        Type::Stack(_) | Type::Fmt(_) => 8,
        _ => 1,
    }
}

/// Lay out fields given as (name, type, size) in order.
pub fn layout(fields: Vec<(Option<String>, Type, u32)>) -> TupleRef {
    let record = fields.first().is_some_and(|f| f.0.is_some());
    let mut off = 0u32;
    let mut max_align = 1;
    let mut out = Vec::with_capacity(fields.len());
    for (name, ty, size) in fields {
        let a = align_of(ty, size);
        max_align = max_align.max(a);
        off = off.div_ceil(a) * a;
        out.push(TupleField {
            name,
            ty,
            offset: off,
            size,
        });
        off += size;
    }
    let size = off.div_ceil(max_align) * max_align;
    TupleRef::intern(TupleTy {
        fields: out,
        size,
        align: max_align,
        record,
        array: false,
    })
}

/// An array of `len` elements of type `elem` (an integer or bool), `size` bytes each.
pub fn array_layout(elem: Type, size: u32, len: u32) -> TupleRef {
    let size = size.clamp(1, 8);
    let fields = (0..len)
        .map(|i| TupleField {
            name: None,
            ty: elem,
            offset: i * size,
            size,
        })
        .collect();
    TupleRef::intern(TupleTy {
        fields,
        size: (len * size).div_ceil(size) * size,
        align: size,
        record: false,
        array: true,
    })
}

/// A tuple, record or array whose fields sit at the given offsets (a C struct's or
/// array's own layout, so that its bytes read from memory are the value).
pub fn fixed_layout(fields: Vec<TupleField>, size: u32, align: u32, array: bool) -> TupleRef {
    let record = !array && fields.first().is_some_and(|f| f.name.is_some());
    TupleRef::intern(TupleTy {
        fields,
        size,
        align: align.max(1),
        record,
        array,
    })
}

/// Bytes a field of type `ty` takes when its integer size is `int_size`.
pub(super) fn field_size(ty: Type, int_size: u32) -> u32 {
    match ty {
        Type::Int { .. } => int_size,
        Type::Bool => 1,
        other => other.storage_size(),
    }
}

impl TupleTy {
    /// For each field of `other` (the same shape), the index of the matching field
    /// here: by name in records, by position in tuples.
    pub fn matching(&self, other: &TupleTy) -> Vec<usize> {
        other
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| match &f.name {
                Some(n) => self
                    .fields
                    .iter()
                    .position(|g| g.name.as_ref() == Some(n))
                    .unwrap_or(i),
                None => i,
            })
            .collect()
    }

    pub fn describe(&self) -> String {
        if self.array {
            "an array".into()
        } else if self.record {
            "a record".into()
        } else {
            "a tuple".into()
        }
    }

    /// The layout as the runtime reads it.
    pub fn meta(&self) -> Ty {
        let field_ty = |f: &TupleField| match f.ty {
            Type::Int {
                signed,
                enum_id: Some(id),
            } => Ty::Enum {
                size: f.size as u8,
                signed,
                id,
                variants: Vec::new(),
            },
            Type::Int { signed, .. } => Ty::Int {
                size: f.size as u8,
                signed,
            },
            Type::Bool => Ty::Bool { size: 1 },
            other => other.meta(),
        };
        if self.array {
            let elem = self.fields.first().map(field_ty).unwrap_or(Ty::Int {
                size: 1,
                signed: true,
            });
            return Ty::Array {
                elem: Box::new(elem),
                len: self.fields.len() as u32,
            };
        }
        if self.record {
            Ty::Record {
                fields: self
                    .fields
                    .iter()
                    .map(|f| RecordField {
                        name: f.name.clone().unwrap_or_default(),
                        offset: f.offset,
                        ty: field_ty(f),
                    })
                    .collect(),
            }
        } else {
            Ty::Tuple {
                fields: self
                    .fields
                    .iter()
                    .map(|f| Field {
                        offset: f.offset,
                        ty: field_ty(f),
                    })
                    .collect(),
            }
        }
    }

    /// The index of the field called `name` (a record's name or a tuple's position).
    pub fn find(&self, name: &str) -> Option<u32> {
        if self.record {
            self.fields
                .iter()
                .position(|f| f.name.as_deref() == Some(name))
                .map(|i| i as u32)
        } else {
            name.parse::<u32>()
                .ok()
                .filter(|i| (*i as usize) < self.fields.len())
        }
    }
}

impl Type {
    /// The type that holds values of both `self` and `other` (strings widen, tuples merge
    /// field by field), or `None` when they are incompatible.
    pub fn merge(self, other: Type) -> Option<Type> {
        if self == other {
            return Some(self);
        }
        match (self, other) {
            (Type::Str { size: a }, Type::Str { size: b }) => Some(Type::Str { size: a.max(b) }),
            (Type::Int { .. }, Type::Int { .. }) => Some(self),
            (Type::Tuple(a), Type::Tuple(b)) => {
                if a.fields.len() != b.fields.len() || a.record != b.record {
                    return None;
                }
                let mut fields = Vec::with_capacity(a.fields.len());
                for (i, x) in a.fields.iter().enumerate() {
                    // Records match fields by name (in `self`'s order), tuples by position.
                    let y = match &x.name {
                        Some(n) => b.fields.iter().find(|f| f.name.as_ref() == Some(n))?,
                        None => &b.fields[i],
                    };
                    let ty = match super::name_tuple::merge_name_field(x.ty, y.ty) {
                        Some(t) => t,
                        None => x.ty.merge(y.ty)?,
                    };
                    let size = match ty {
                        Type::Int { .. } => x.size.max(y.size),
                        other => field_size(other, 8),
                    };
                    fields.push((x.name.clone(), ty, size));
                }
                Some(Type::Tuple(layout(fields)))
            }
            (a, b) if a.is_scalar() && b.is_scalar() && a != Type::Bool && b != Type::Bool => {
                Some(a)
            }
            _ => None,
        }
    }
}

/// The size of the integer `e` would have in bpftrace: a cast's type, or the smallest
/// signed type that holds a literal; 8 bytes otherwise.
pub(super) fn int_size(e: &ast::Expr) -> u32 {
    let literal = |v: i128| {
        if i8::try_from(v).is_ok() {
            1
        } else if i16::try_from(v).is_ok() {
            2
        } else if i32::try_from(v).is_ok() {
            4
        } else {
            8
        }
    };
    match &e.kind {
        ExprKind::Cast { ty, .. } if ty.pointers == 0 => match ty.base {
            TypeBase::Int { bits, .. } => u32::from(bits / 8).clamp(1, 8),
            _ => 8,
        },
        ExprKind::Int(v) => literal(i128::from(*v)),
        ExprKind::Unary {
            op: UnOp::Neg,
            expr,
        } => match expr.kind {
            ExprKind::Int(v) => literal(-i128::from(v)),
            _ => 8,
        },
        _ => 8,
    }
}

impl Checker {
    /// `(a, b, ...)` or, with `names`, `(name = a, ...)`.
    pub(super) fn tuple_expr(
        &mut self,
        cx: &mut ProbeCx,
        elems: &[ast::Expr],
        names: Option<&[String]>,
        span: Span,
    ) -> TExpr {
        self.tuple_of(cx, elems, names, span, Checker::expr)
    }

    /// [`Checker::tuple_expr`] with each element checked by `element`.
    pub(super) fn tuple_of(
        &mut self,
        cx: &mut ProbeCx,
        elems: &[ast::Expr],
        names: Option<&[String]>,
        span: Span,
        element: fn(&mut Checker, &mut ProbeCx, &ast::Expr) -> TExpr,
    ) -> TExpr {
        let mut items = Vec::with_capacity(elems.len());
        let mut fields: Vec<(Option<String>, Type, u32)> = Vec::with_capacity(elems.len());
        let mut bad = false;
        for (i, e) in elems.iter().enumerate() {
            let name = names.and_then(|n| n.get(i)).cloned();
            if let Some(n) = &name {
                if fields.iter().any(|(m, _, _)| m.as_ref() == Some(n)) {
                    self.error(e.span, format!("record field '{n}' is given twice"));
                    bad = true;
                }
            }
            let t = element(self, cx, e);
            match t.ty {
                Type::Unknown => bad = true,
                Type::Void => {
                    self.error(t.span, "this expression has no value to put in a tuple");
                    bad = true;
                }
                ty => fields.push((name, ty, field_size(ty, self.int_width(cx, e)))),
            }
            items.push(t);
        }
        if bad {
            return poisoned(span);
        }
        TExpr {
            kind: TExprKind::Tuple(items),
            ty: Type::Tuple(layout(fields)),
            span,
        }
    }

    /// `base.a.b...` where `base` is a tuple or record: `path` is each field name with
    /// its span.
    pub(super) fn tuple_fields(&mut self, base: TExpr, path: &[(&str, Span)]) -> TExpr {
        let mut cur = base;
        for (name, span) in path {
            let Type::Tuple(t) = cur.ty else {
                self.error(
                    *span,
                    format!("cannot read field '{name}' of {}", cur.ty.describe()),
                );
                return poisoned(*span);
            };
            let Some(index) = t.find(name) else {
                let what = if t.record {
                    format!("this record has no field '{name}'")
                } else {
                    format!(
                        "tuple index {name} is out of range: the tuple has {} fields",
                        t.fields.len()
                    )
                };
                self.error(*span, what);
                return poisoned(*span);
            };
            cur = get(cur, t, index, *span);
        }
        cur
    }

    /// `base[index]`: strings, arrays, tuples (a constant index), pointers, and
    /// arrays inside kernel struct field chains (`sema::kernel_walk`).
    pub(super) fn index_expr(
        &mut self,
        cx: &mut ProbeCx,
        base: &ast::Expr,
        index: &ast::Expr,
        span: Span,
    ) -> TExpr {
        let node = ast::Expr {
            kind: ExprKind::Index {
                base: Box::new(base.clone()),
                index: Box::new(index.clone()),
            },
            span,
        };
        if let Some(t) = self.kernel_place(cx, &node, false) {
            return t;
        }
        let b = self.expr(cx, base);
        if let Type::Str { .. } = b.ty {
            return self.str_index(cx, b, index, span);
        }
        let i = self.expr(cx, index);
        self.value_index(b, i, span)
    }
}

/// The elements of tuple `e`, each read from it.
pub(super) fn split(e: TExpr) -> Vec<TExpr> {
    let Type::Tuple(t) = e.ty else {
        return vec![e];
    };
    if let TExprKind::Tuple(items) = e.kind {
        return items;
    }
    (0..t.fields.len() as u32)
        .map(|i| get(e.clone(), t, i, e.span))
        .collect()
}

pub(super) fn get(base: TExpr, t: TupleRef, index: u32, span: Span) -> TExpr {
    // A literal's element is the element itself.
    if let TExprKind::Tuple(mut items) = base.kind {
        let item = items.swap_remove(index as usize);
        return TExpr { span, ..item };
    }
    TExpr {
        ty: t.fields[index as usize].ty,
        kind: TExprKind::TupleGet {
            base: Box::new(base),
            index,
        },
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(size: u32, signed: bool) -> (Option<String>, Type, u32) {
        (None, Type::int(signed), size)
    }

    #[test]
    fn fields_sit_at_natural_alignment() {
        let t = layout(vec![int(1, true), int(8, true), int(1, true), int(8, true)]);
        let offs: Vec<u32> = t.fields.iter().map(|f| f.offset).collect();
        assert_eq!(offs, [0, 8, 16, 24]);
        assert_eq!(t.size, 32);
        let t = layout(vec![int(4, true), int(2, true), int(1, true)]);
        assert_eq!(t.size, 8);
        let t = layout(vec![
            int(1, true),
            (None, Type::Str { size: 7 }, 7),
            int(1, true),
            int(4, true),
        ]);
        let offs: Vec<u32> = t.fields.iter().map(|f| f.offset).collect();
        assert_eq!(offs, [0, 1, 8, 12]);
        assert_eq!(t.size, 16);
    }

    #[test]
    fn interning_shares_equal_layouts() {
        let a = layout(vec![int(1, false), (None, Type::Bool, 1)]);
        let b = layout(vec![int(1, false), (None, Type::Bool, 1)]);
        assert!(std::ptr::eq(a.0, b.0));
        assert_ne!(a, layout(vec![int(2, false), (None, Type::Bool, 1)]));
    }

    #[test]
    fn merging_widens_strings_and_integers() {
        let a = Type::Tuple(layout(vec![int(1, true), (None, Type::Str { size: 3 }, 3)]));
        let b = Type::Tuple(layout(vec![int(4, true), (None, Type::Str { size: 9 }, 9)]));
        let Some(Type::Tuple(m)) = a.merge(b) else {
            panic!("tuples should merge")
        };
        assert_eq!(m.fields[0].size, 4);
        assert_eq!(m.fields[1].ty, Type::Str { size: 9 });
        assert_eq!(m.fields[1].offset, 4);
        let c = Type::Tuple(layout(vec![int(1, true)]));
        assert_eq!(a.merge(c), None);
        assert_eq!(Type::Bool.merge(Type::U64), None);
    }

    #[test]
    fn records_merge_by_name() {
        let named = |n: &str, size| (Some(n.to_string()), Type::int(true), size);
        let a = layout(vec![named("foo", 1), named("bar", 8)]);
        let b = layout(vec![named("bar", 1), named("foo", 8)]);
        let Some(Type::Tuple(m)) = Type::Tuple(a).merge(Type::Tuple(b)) else {
            panic!("records should merge")
        };
        assert_eq!(m.fields[0].name.as_deref(), Some("foo"));
        assert_eq!(m.fields[0].size, 8);
        assert_eq!(m.matching(&b), [1, 0]);
        let c = layout(vec![named("foo", 1), named("baz", 8)]);
        assert_eq!(Type::Tuple(a).merge(Type::Tuple(c)), None);
    }
}
