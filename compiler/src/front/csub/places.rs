//! Locals and lvalues. A scalar local (an integer, `bool` or pointer) is one script
//! variable; a struct or array local is one script variable per scalar leaf
//! (`$__c0_3_s__a`, `$__c0_3_arr__2`), so that its members and elements can be
//! read, assigned and initialised one by one. Memory behind a pointer is read with
//! the script's field and element reads; it is never written. A pointer parameter
//! given a local's address (`fill(&v)`) names that local: `p->f`, `*p` and `p[0]`
//! in the callee are the caller's variables, so helpers can fill structs.

use super::inline::{assign, binary, expr, int, store, var, Frame, Inliner};
use super::parse_type::const_value;
use super::{unsupported, CExpr, CExprKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Expr, ExprKind, Span, Stmt, UnOp};

/// How many scalar leaves one local may have (each is a variable of the program,
/// whose stack is 512 bytes).
const MAX_LEAVES: usize = 48;

/// How deep records and arrays may nest in a local.
const MAX_NESTING: usize = 16;

/// A C local: its script name (the prefix of its leaves' names for an aggregate).
#[derive(Debug, Clone)]
pub struct Local {
    pub script: String,
    pub ty: CType,
    /// A pointer parameter given the address of a caller's local (`fill(&v)`):
    /// the local it points to, which `*p`, `p->f` and `p[0]` name.
    pub alias: Option<Place>,
}

/// An argument of an inlined call.
pub enum Arg {
    Value(Expr),
    /// The address of a local (for a pointer parameter).
    Alias(Place),
    /// A struct passed by value: the object copied into the parameter.
    Record(Place),
}

/// A step from an aggregate to one of its parts.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Field(String),
    Index(u32),
}

/// Where an lvalue lives.
#[derive(Debug, Clone)]
pub enum Place {
    /// A script variable: a scalar local or a leaf of an aggregate one.
    Var { name: String, ty: CType },
    /// A struct or array local, or an aggregate part of one: its leaves' prefix.
    Local { prefix: String, ty: CType },
    /// A scalar element of a local array chosen at run time: each element a
    /// variable ([`Place::Var`]) or the bits of a union's word ([`Place::Bits`]).
    Dyn {
        elems: Vec<Place>,
        elem: CType,
        index: Expr,
    },
    /// Memory: the script expression reading the object (`$p->f`, `*$p`, `$p[i]`),
    /// with its C type when the file's definitions give it.
    Mem { expr: Expr, ty: Option<CType> },
    /// A scalar inside a union local: bits `shift` up of the word variable `word`
    /// (`unions.rs`).
    Bits { word: String, shift: u32, ty: CType },
    /// A struct or array inside a union local: at byte `offset` of the union whose
    /// words are under `prefix`.
    Overlay {
        prefix: String,
        offset: u32,
        ty: CType,
    },
    /// The element of the script map `@map` (a C map) whose key the variable
    /// `key` holds, of type `ty` (`helpers_map.rs`).
    MapElem { map: String, key: String, ty: CType },
    /// Member `field` (of type `ty`) of the struct-valued element of `@map` whose
    /// key `key` holds; `record` is the struct (`helpers_map_record.rs`). With an
    /// `index`, element `index` of the array member `field`, `ty` the element's
    /// type (`helpers_map_array.rs`).
    MapField {
        map: String,
        key: String,
        field: String,
        ty: CType,
        record: CType,
        index: Option<Expr>,
    },
}

pub fn leaf_name(prefix: &str, seg: &Seg) -> String {
    match seg {
        Seg::Field(f) => format!("{prefix}__{f}"),
        Seg::Index(i) => format!("{prefix}__{i}"),
    }
}

/// The script expression reading part `seg` of the object `obj` in memory.
pub fn mem_part(obj: Expr, seg: &Seg, span: Span) -> Expr {
    match (seg, obj.kind) {
        (
            Seg::Field(f),
            ExprKind::Unary {
                op: UnOp::Deref,
                expr: p,
            },
        ) => expr(
            ExprKind::Field {
                base: p,
                field: f.clone(),
                arrow: true,
            },
            span,
        ),
        // An array in memory is read through (a pointer to) its elements.
        (
            Seg::Index(i),
            ExprKind::Unary {
                op: UnOp::Deref,
                expr: p,
            },
        ) => expr(
            ExprKind::Index {
                base: p,
                index: Box::new(int(u64::from(*i), span)),
            },
            span,
        ),
        (Seg::Field(f), kind) => expr(
            ExprKind::Field {
                base: Box::new(expr(kind, obj.span)),
                field: f.clone(),
                arrow: false,
            },
            span,
        ),
        (Seg::Index(i), kind) => expr(
            ExprKind::Index {
                base: Box::new(expr(kind, obj.span)),
                index: Box::new(int(u64::from(*i), span)),
            },
            span,
        ),
    }
}

impl<'a> Inliner<'a> {
    /// The scalar leaves of a local of type `ty`: paths and types.
    pub(super) fn leaves(
        &self,
        ty: &CType,
        span: Span,
    ) -> Result<Vec<(Vec<Seg>, CType)>, Diagnostic> {
        let mut out = Vec::new();
        self.collect_leaves(ty, &mut Vec::new(), &mut out, span)?;
        Ok(out)
    }

    fn collect_leaves(
        &self,
        ty: &CType,
        path: &mut Vec<Seg>,
        out: &mut Vec<(Vec<Seg>, CType)>,
        span: Span,
    ) -> Result<(), Diagnostic> {
        if out.len() > MAX_LEAVES || path.len() > MAX_NESTING {
            return Err(unsupported(
                span,
                &format!(
                    "a struct or array local of more than {MAX_LEAVES} scalars (each is a \
                     variable of the program, whose stack is 512 bytes)"
                ),
            ));
        }
        match ty {
            t if t.is_scalar() => out.push((path.clone(), t.clone())),
            CType::Array(elem, n) => {
                for i in 0..*n {
                    path.push(Seg::Index(i));
                    self.collect_leaves(elem, path, out, span)?;
                    path.pop();
                }
            }
            CType::Record { name, union: true } => {
                for w in 0..self.union_words(name, span)? {
                    path.push(Seg::Field(format!("__w{w}")));
                    out.push((path.clone(), CType::U64));
                    path.pop();
                }
            }
            CType::Record { name, .. } => {
                let members = self.table.members(name, false).ok_or_else(|| {
                    unsupported(
                        span,
                        &format!(
                            "a local `struct {name}`, which the imported C does not define \
                             (kernel types are read through pointers)"
                        ),
                    )
                })?;
                for (m, mty) in members {
                    let Some(mty) = mty else {
                        return Err(unsupported(
                            span,
                            &format!(
                                "a local `struct {name}`: its member `{m}` has a type \
                                 locals cannot hold (bitfields, floats, anonymous records)"
                            ),
                        ));
                    };
                    path.push(Seg::Field(m.clone()));
                    self.collect_leaves(mty, path, out, span)?;
                    path.pop();
                }
            }
            _ => return Err(unsupported(span, "`void` variables")),
        }
        Ok(())
    }

    /// Where the lvalue `e` lives; `None` when `e` is no lvalue.
    pub(super) fn place(
        &mut self,
        fr: &mut Frame<'a>,
        e: &CExpr,
    ) -> Option<Result<Place, Diagnostic>> {
        let sp = e.span;
        Some(match &e.kind {
            CExprKind::Var(name) => match fr.local(name) {
                Some(Local {
                    alias: Some(Place::MapElem { .. }),
                    ..
                }) => Err(unsupported(
                    sp,
                    "a map lookup's pointer used as a value (only `*p`, `p[0]`, testing it, \
                     passing it on and looking up again in the same map)",
                )),
                Some(Local { alias: Some(_), .. }) => Err(unsupported(
                    sp,
                    "a pointer to a local used as a value (only `*p`, `p->f`, `p[0]`, \
                     passing it on and testing it)",
                )),
                Some(l) if l.ty.is_scalar() => Ok(Place::Var {
                    name: l.script.clone(),
                    ty: l.ty.clone(),
                }),
                Some(l) => Ok(Place::Local {
                    prefix: l.script.clone(),
                    ty: l.ty.clone(),
                }),
                None => return None,
            },
            CExprKind::Member {
                base,
                field,
                arrow: false,
            } => match self.place(fr, base) {
                Some(Ok(p)) => self.member(p, field, sp),
                Some(Err(d)) => Err(d),
                None => Err(unsupported(
                    sp,
                    "a member of a value that is not a variable",
                )),
            },
            CExprKind::Member {
                base,
                field,
                arrow: true,
            } => {
                if let Some(target) = alias_of(fr, base) {
                    return Some(self.member(first_element(target), field, sp));
                }
                let bt = self.ty_of(fr, base);
                if let Some(t) = bt.as_ref().filter(|t| !t.is_ptr()) {
                    let at = base.span.end as usize;
                    return Some(Err(Diagnostic::error(
                        Span::new(at, at + 2),
                        format!("member reference type '{}' is not a pointer", t.spelling()),
                    )));
                }
                let pointee = bt.and_then(|t| t.pointee().cloned());
                let p = self.value(fr, base);
                let ty = pointee.and_then(|t| self.table.member_type(&t, field));
                Ok(Place::Mem {
                    expr: expr(
                        ExprKind::Field {
                            base: Box::new(p),
                            field: field.clone(),
                            arrow: true,
                        },
                        sp,
                    ),
                    ty,
                })
            }
            CExprKind::Index { base, index } => self.index_place(fr, base, index, sp),
            CExprKind::Unary {
                op: UnOp::Deref,
                expr: inner,
            } => {
                if let CExprKind::Unary {
                    op: UnOp::AddrOf,
                    expr: x,
                } = &inner.kind
                {
                    return self.place(fr, x);
                }
                if let Some(target) = alias_of(fr, inner) {
                    return Some(Ok(first_element(target)));
                }
                let ty = self.ty_of(fr, inner).and_then(|t| t.pointee().cloned());
                if ty == Some(CType::Void) {
                    return Some(Err(unsupported(sp, "dereferencing a `void *`")));
                }
                let p = self.value(fr, inner);
                Ok(Place::Mem {
                    expr: expr(
                        ExprKind::Unary {
                            op: UnOp::Deref,
                            expr: Box::new(p),
                        },
                        sp,
                    ),
                    ty,
                })
            }
            _ => return None,
        })
    }

    fn member(&mut self, p: Place, field: &str, sp: Span) -> Result<Place, Diagnostic> {
        let seg = Seg::Field(field.to_string());
        match p {
            Place::Local {
                prefix,
                ty: ty @ CType::Record { union: true, .. },
            } => self.overlay_member(&prefix, 0, &ty, field, sp),
            Place::Overlay { prefix, offset, ty } => {
                self.overlay_member(&prefix, offset, &ty, field, sp)
            }
            Place::MapElem {
                map,
                key,
                ty: ty @ CType::Record { union: false, .. },
            } => self.map_member(map, key, ty, field, sp),
            Place::Bits { ty, .. } | Place::MapElem { ty, .. } | Place::MapField { ty, .. } => {
                Err(not_a_record(&ty, sp))
            }
            Place::Local { prefix, ty } => {
                let CType::Record { .. } = &ty else {
                    return Err(not_a_record(&ty, sp));
                };
                let mty = self.table.member_type(&ty, field).ok_or_else(|| {
                    Diagnostic::error(
                        sp,
                        format!("no member named '{field}' in '{}'", ty.spelling()),
                    )
                })?;
                let name = leaf_name(&prefix, &seg);
                Ok(if mty.is_scalar() {
                    Place::Var { name, ty: mty }
                } else {
                    Place::Local {
                        prefix: name,
                        ty: mty,
                    }
                })
            }
            Place::Mem { expr: obj, ty } => {
                let mty = ty.as_ref().and_then(|t| self.table.member_type(t, field));
                Ok(Place::Mem {
                    expr: mem_part(obj, &seg, sp),
                    ty: mty,
                })
            }
            Place::Var { ty, .. } => Err(not_a_record(&ty, sp)),
            Place::Dyn { .. } => Err(unsupported(
                sp,
                "a member of an array element chosen at run time",
            )),
        }
    }

    fn index_place(
        &mut self,
        fr: &mut Frame<'a>,
        base: &CExpr,
        index: &CExpr,
        sp: Span,
    ) -> Result<Place, Diagnostic> {
        let bp = match alias_of(fr, base) {
            // A pointer to an array's first element (the array passed on).
            Some(
                t @ Place::Local {
                    ty: CType::Array(..),
                    ..
                },
            ) => Some(t),
            Some(target) => {
                return match const_value(index) {
                    Some(0) => Ok(target),
                    _ => Err(unsupported(
                        index.span,
                        "an index other than 0 on a pointer to a local that is no array",
                    )),
                }
            }
            None => self.place(fr, base).transpose()?,
        };
        match bp {
            Some(Place::Overlay { prefix, offset, ty }) => match const_value(index) {
                Some(i) => self.overlay_index(&prefix, offset, &ty, Some(i), index.span),
                None => {
                    let (elems, elem) = self.overlay_elems(&prefix, offset, &ty, index.span)?;
                    let index = self.value(fr, index);
                    Ok(Place::Dyn { elems, elem, index })
                }
            },
            Some(Place::MapField {
                map,
                key,
                field,
                ty: CType::Array(elem, n),
                record,
                index: None,
            }) => {
                let i = match const_value(index) {
                    Some(c) => int(c, index.span),
                    None => self.value(fr, index),
                };
                Self::map_field_elem((map, key, field, record), (*elem, n), i, index.span)
            }
            Some(
                Place::Bits { ty, .. } | Place::MapElem { ty, .. } | Place::MapField { ty, .. },
            ) => Err(Diagnostic::error(
                sp,
                format!("subscripted value '{}' is not an array", ty.spelling()),
            )),
            Some(Place::Local { prefix, ty }) => {
                let CType::Array(elem, n) = &ty else {
                    return Err(Diagnostic::error(
                        sp,
                        format!("subscripted value '{}' is not an array", ty.spelling()),
                    ));
                };
                if let Some(i) = const_value(index) {
                    if i >= u64::from(*n) {
                        return Err(Diagnostic::error(
                            index.span,
                            format!(
                                "array index {i} is past the end of the array (of {n} elements)"
                            ),
                        ));
                    }
                    let name = leaf_name(&prefix, &Seg::Index(i as u32));
                    return Ok(if elem.is_scalar() {
                        Place::Var {
                            name,
                            ty: (**elem).clone(),
                        }
                    } else {
                        Place::Local {
                            prefix: name,
                            ty: (**elem).clone(),
                        }
                    });
                }
                if !elem.is_scalar() {
                    return Err(unsupported(
                        index.span,
                        "an index chosen at run time into an array of structs or arrays",
                    ));
                }
                let elems = (0..*n)
                    .map(|i| Place::Var {
                        name: leaf_name(&prefix, &Seg::Index(i)),
                        ty: (**elem).clone(),
                    })
                    .collect();
                let index = self.value(fr, index);
                Ok(Place::Dyn {
                    elems,
                    elem: (**elem).clone(),
                    index,
                })
            }
            Some(Place::Mem { expr: obj, ty }) if !matches!(ty, Some(CType::Ptr(_))) => {
                let i = self.value(fr, index);
                Ok(Place::Mem {
                    expr: expr(
                        ExprKind::Index {
                            base: Box::new(obj),
                            index: Box::new(i),
                        },
                        sp,
                    ),
                    ty: ty.and_then(|t| t.pointee().cloned()),
                })
            }
            _ => {
                let ty = self.ty_of(fr, base).and_then(|t| t.pointee().cloned());
                let b = self.value(fr, base);
                let i = self.value(fr, index);
                Ok(Place::Mem {
                    expr: expr(
                        ExprKind::Index {
                            base: Box::new(b),
                            index: Box::new(i),
                        },
                        sp,
                    ),
                    ty,
                })
            }
        }
    }

    /// The value held at a scalar place.
    pub(super) fn read(&mut self, p: Place, sp: Span) -> Expr {
        match p {
            Place::Var { name, .. } => var(&name, sp),
            Place::Mem { expr, .. } => expr,
            Place::Dyn { elems, index, .. } => {
                // index == 0 ? e0 : index == 1 ? e1 : ... : 0
                let mut out = int(0, sp);
                for (i, e) in elems.iter().enumerate().rev() {
                    let cond = binary(BinOp::Eq, index.clone(), int(i as u64, sp));
                    let then = self.read(e.clone(), sp);
                    out = expr(
                        ExprKind::Ternary {
                            cond: Box::new(cond),
                            then: Box::new(then),
                            els: Box::new(out),
                        },
                        sp,
                    );
                }
                out
            }
            Place::Bits { word, shift, ty } => super::unions::read_bits(&word, shift, &ty, sp),
            Place::MapElem { map, key, ty } if ty.is_scalar() => {
                super::helpers_map::read_element(&map, &key, &ty, sp)
            }
            Place::MapField { ty, .. } if !ty.is_scalar() => {
                self.diags.push(unsupported(
                    sp,
                    &format!(
                        "a `{}` member of a map element used as a value (only its elements, \
                         `v->m[i]`, or a helper filling it)",
                        ty.spelling()
                    ),
                ));
                int(0, sp)
            }
            Place::MapField {
                map,
                key,
                field,
                ty,
                index,
                ..
            } => Self::read_map_field(&map, &key, &field, &ty, index, sp),
            Place::Local { ty, .. } | Place::Overlay { ty, .. } | Place::MapElem { ty, .. } => {
                self.diags.push(unsupported(
                    sp,
                    &format!("a `{}` local used as a value", ty.spelling()),
                ));
                int(0, sp)
            }
        }
    }

    /// Assignments copying the aggregate lvalue `src` into the leaves under `prefix`.
    pub(super) fn copy_from(
        &mut self,
        fr: &mut Frame<'a>,
        prefix: &str,
        ty: &CType,
        src: &CExpr,
        sp: Span,
    ) -> Vec<Stmt> {
        if let Some(stmts) = self.record_call(fr, src, prefix, ty, sp) {
            return stmts;
        }
        match self.place(fr, src) {
            Some(Ok(p)) => self.copy_place(prefix, ty, p, sp),
            Some(Err(d)) => {
                self.diags.push(d);
                Vec::new()
            }
            None => {
                self.diags.push(unsupported(
                    src.span,
                    &format!("this value assigned to a `{}` local", ty.spelling()),
                ));
                Vec::new()
            }
        }
    }

    /// Assignments copying the aggregate at `src` into the leaves under `prefix`.
    pub(super) fn copy_place(
        &mut self,
        prefix: &str,
        ty: &CType,
        src: Place,
        sp: Span,
    ) -> Vec<Stmt> {
        if let Place::Overlay { ty: from, .. } = &src {
            self.diags.push(unsupported(
                sp,
                &format!(
                    "copying a `{}` out of a union (read its scalar members)",
                    from.spelling()
                ),
            ));
            return Vec::new();
        }
        if let Place::MapElem {
            map,
            key,
            ty: from @ CType::Record { .. },
        } = &src
        {
            return self.copy_map_record(prefix, ty, (map, key, from), sp);
        }
        let leaves = match self.leaves(ty, sp) {
            Ok(l) => l,
            Err(d) => {
                self.diags.push(d);
                return Vec::new();
            }
        };
        if matches!(src, Place::Mem { .. }) && self.has_union(ty, 0) {
            self.diags.push(unsupported(
                sp,
                "copying a union from memory into a local (read its members)",
            ));
            return Vec::new();
        }
        let read = |path: &[Seg]| -> Option<Expr> {
            match &src {
                Place::Local { prefix: from, .. } => Some(var(
                    &path.iter().fold(from.clone(), |p, s| leaf_name(&p, s)),
                    sp,
                )),
                Place::Mem { expr: obj, .. } => {
                    Some(path.iter().fold(obj.clone(), |o, s| mem_part(o, s, sp)))
                }
                _ => None,
            }
        };
        let mismatch = match &src {
            Place::Local { ty: from, .. } | Place::Mem { ty: Some(from), .. } if from != ty => {
                Some(from)
            }
            Place::Var { ty: from, .. }
            | Place::Dyn { elem: from, .. }
            | Place::Bits { ty: from, .. }
            | Place::MapElem { ty: from, .. }
            | Place::MapField { ty: from, .. } => Some(from),
            _ => None,
        };
        if let Some(from) = mismatch {
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
        leaves
            .iter()
            .filter_map(|(path, lty)| {
                let v = read(path)?;
                let n = path
                    .iter()
                    .fold(prefix.to_string(), |p, s| leaf_name(&p, s));
                Some(assign(&n, store(lty, v), sp))
            })
            .collect()
    }
}

/// What a pointer to the local `target` reads through `*p` and `p->f`: an array's
/// first element (an array passed on decays to a pointer to it), else the local.
fn first_element(target: Place) -> Place {
    match target {
        Place::Local {
            prefix,
            ty: CType::Array(elem, n),
        } if n > 0 => {
            let name = leaf_name(&prefix, &Seg::Index(0));
            if elem.is_scalar() {
                Place::Var { name, ty: *elem }
            } else {
                Place::Local {
                    prefix: name,
                    ty: *elem,
                }
            }
        }
        t => t,
    }
}

/// The local `e` points to, when `e` names a pointer parameter given a local's
/// address.
pub fn alias_of(fr: &Frame<'_>, e: &CExpr) -> Option<Place> {
    match &e.kind {
        CExprKind::Var(name) => fr.local(name)?.alias.clone(),
        _ => None,
    }
}

fn not_a_record(ty: &CType, sp: Span) -> Diagnostic {
    Diagnostic::error(
        sp,
        format!(
            "member reference base type '{}' is not a structure or union",
            ty.spelling()
        ),
    )
}
