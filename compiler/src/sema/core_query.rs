//! libbpf's CO-RE questions, as imported C files ask them (`csub` turns
//! `bpf_core_field_exists(p->f)` into `__tracec_core_field_exists(p->f)`, and so
//! on): whether a field or type exists on the running kernel, a field's size or
//! offset, a type's size. Each becomes a constant the loader computes for the
//! running kernel ([`TExprKind::CoreValue`], a `bpf_core_relo` of kind
//! `FIELD_EXISTS`, `FIELD_BYTE_SIZE`, `FIELD_BYTE_OFFSET`, `TYPE_EXISTS`,
//! `TYPE_SIZE`), so one object answers for every kernel. What the kernel the
//! compiler reads lacks has no local type to relocate against: it is absent (0),
//! as on kernels without it. Enumerators (`ENUMVAL_EXISTS`, `ENUMVAL_VALUE`) are
//! relocated against a local enum holding the enumerators asked about
//! (`obj/core.rs`). The script's own types are constants.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span, TypeBase};
use crate::ir::{CoreAccess, CoreKind, CoreStep, CoreStruct, CoreType};
use crate::kbtf::Kind;

/// The names of the questions (as `csub` calls them).
pub const QUERIES: &[&str] = &[
    "__tracec_core_field_exists",
    "__tracec_core_field_size",
    "__tracec_core_field_offset",
    "__tracec_core_type_exists",
    "__tracec_core_type_size",
    "__tracec_core_enum_value_exists",
    "__tracec_core_enum_value",
];

/// The C name of a question, for messages.
fn c_name(name: &str) -> String {
    format!(
        "bpf_core_{}",
        name.strip_prefix("__tracec_core_").unwrap_or(name)
    )
}

fn constant(v: i64, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Int(v),
        ty: Type::U64,
        span,
    }
}

/// The access a field expression's typed form reads through.
fn access_of(t: &TExpr) -> Option<&CoreAccess> {
    match &t.kind {
        TExprKind::KernelField { access, .. } | TExprKind::FieldAddr { access, .. } => Some(access),
        TExprKind::StructValue { ptr, .. } => access_of(ptr),
        _ => None,
    }
}

impl Checker {
    /// `__tracec_core_*(...)`; `None` for other names.
    pub(super) fn core_query(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        if !QUERIES.contains(&name) {
            return None;
        }
        let want = if name.ends_with("enum_value_exists") || name.ends_with("enum_value") {
            2
        } else {
            1
        };
        if args.len() != want {
            self.error(
                span,
                format!(
                    "{}() takes {want} argument{}, got {}",
                    c_name(name),
                    if want == 1 { "" } else { "s" },
                    args.len()
                ),
            );
            return Some(poisoned(span));
        }
        Some(match name {
            "__tracec_core_field_exists" => {
                self.core_field(cx, CoreKind::FieldExists, name, &args[0], span)
            }
            "__tracec_core_field_size" => {
                self.core_field(cx, CoreKind::FieldByteSize, name, &args[0], span)
            }
            "__tracec_core_field_offset" => {
                self.core_field(cx, CoreKind::FieldByteOffset, name, &args[0], span)
            }
            "__tracec_core_type_exists" => self.core_type(cx, true, &args[0], span),
            "__tracec_core_type_size" => self.core_type(cx, false, &args[0], span),
            "__tracec_core_enum_value_exists" => {
                self.core_enum_value(false, &args[0], &args[1], span)
            }
            _ => self.core_enum_value(true, &args[0], &args[1], span),
        })
    }

    /// Whether the members that `field` names after its last `->` exist in the
    /// struct it points to (on the kernel the compiler reads); `None` when `field`
    /// is no such access (then it is checked as written).
    fn field_known(&mut self, cx: &mut ProbeCx, field: &ast::Expr) -> Option<bool> {
        let mut names = Vec::new();
        let mut e = field;
        let ptr = loop {
            match &e.kind {
                ExprKind::Field { base, field, arrow } => {
                    names.push(field.as_str());
                    if *arrow {
                        break base;
                    }
                    e = base;
                }
                _ => return None,
            }
        };
        names.reverse();
        let Type::Ptr {
            to: Pointee::Kernel { id },
            ..
        } = self.expr(cx, ptr).ty
        else {
            return None;
        };
        let btf = self.btf(field.span, "CO-RE questions")?;
        let mut cur = id;
        for name in names {
            match btf.member(cur, name) {
                Ok(Some(m)) => cur = m.ty,
                _ => return Some(false),
            }
        }
        Some(true)
    }

    /// `bpf_core_field_exists/size/offset(p->f)`.
    fn core_field(
        &mut self,
        cx: &mut ProbeCx,
        kind: CoreKind,
        name: &str,
        field: &ast::Expr,
        span: Span,
    ) -> TExpr {
        if kind == CoreKind::FieldExists && self.field_known(cx, field) == Some(false) {
            return constant(0, span);
        }
        let t = self.expr(cx, field);
        if t.ty == Type::Unknown {
            return poisoned(span);
        }
        let Some(access) = access_of(&t) else {
            self.error(
                field.span,
                format!(
                    "{}() needs a field of a struct reached through a pointer (p->f)",
                    c_name(name)
                ),
            );
            return poisoned(span);
        };
        TExpr {
            kind: TExprKind::CoreValue {
                access: CoreAccess {
                    kind,
                    ..access.clone()
                },
            },
            ty: Type::U64,
            span,
        }
    }

    /// `bpf_core_type_exists/size(T)` (the type as a cast of 0, as in `sizeof`).
    fn core_type(&mut self, cx: &mut ProbeCx, exists: bool, ty: &ast::Expr, span: Span) -> TExpr {
        let record = match &ty.kind {
            ExprKind::Cast { ty: t, .. } if t.pointers == 0 => match &t.base {
                TypeBase::Record { name, union } => Some((name.clone(), *union, t.span)),
                TypeBase::Enum { name } if exists => {
                    let found = self
                        .btf(span, "CO-RE questions")
                        .is_some_and(|b| b.find_enum(name).is_some());
                    return constant(i64::from(found), span);
                }
                _ => None,
            },
            _ => None,
        };
        let Some((name, union, at)) = record else {
            // Integers, pointers, typedefs: as `sizeof` measures them (they exist
            // when it can).
            let size = self.sizeof(cx, std::slice::from_ref(ty), span);
            return match size.kind {
                TExprKind::Int(_) if exists => constant(1, span),
                _ => size,
            };
        };
        let Some(btf) = self.btf(span, "CO-RE questions") else {
            return poisoned(span);
        };
        let want = if union { Kind::Union } else { Kind::Struct };
        let found = btf
            .find_struct(&name)
            .filter(|&id| btf.ty(id).is_ok_and(|t| t.kind() == want));
        let Some(id) = found else {
            if exists {
                return constant(0, span);
            }
            // The checker's message for an unknown struct.
            self.record(&name, union, at);
            return poisoned(span);
        };
        let size = btf.ty(id).ok().and_then(|t| t.size()).unwrap_or(0);
        TExpr {
            kind: TExprKind::CoreValue {
                access: CoreAccess {
                    kind: if exists {
                        CoreKind::TypeExists
                    } else {
                        CoreKind::TypeSize
                    },
                    root: CoreStruct { name, union, size },
                    steps: Vec::new(),
                },
            },
            ty: Type::U64,
            span,
        }
    }

    /// `bpf_core_enum_value_exists(enum E, V)` and `bpf_core_enum_value(enum E, V)`
    /// (`value`): an `ENUMVAL_EXISTS` / `ENUMVAL_VALUE` relocation against the
    /// enumerator of the compile-time BTF. An enumerator that BTF lacks does not
    /// exist (0); its value is an error, as in C. A value beyond the 32-bit
    /// immediate the relocation patches, and an enum of the script's own types, is
    /// the compile-time value.
    fn core_enum_value(&mut self, value: bool, ty: &ast::Expr, v: &ast::Expr, span: Span) -> TExpr {
        let what = if value {
            "bpf_core_enum_value"
        } else {
            "bpf_core_enum_value_exists"
        };
        let name = match &ty.kind {
            ExprKind::Cast { ty: t, .. } => match &t.base {
                TypeBase::Enum { name } if t.pointers == 0 => Some(name),
                _ => None,
            },
            _ => None,
        };
        let (Some(name), ExprKind::Ident(v)) = (name, &v.kind) else {
            self.error(
                span,
                format!("{what}() takes an enum type and one of its enumerators"),
            );
            return poisoned(span);
        };
        let Some(btf) = self.btf(span, "CO-RE questions") else {
            return poisoned(span);
        };
        let found = btf.find_enum(name).and_then(|id| {
            let t = btf.ty(id).ok()?;
            let size = btf.size_of(id).ok()?;
            let (index, e) = t
                .enum_values()
                .enumerate()
                .find(|(_, e)| e.name == v.as_str())?;
            Some((index as u32, e.value, size, t.kind_flag(), btf.is_local(id)))
        });
        let Some((index, local, size, signed, script)) = found else {
            if value {
                self.error(
                    span,
                    format!("use of undeclared identifier '{v}' (no enumerator of enum {name})"),
                );
                return poisoned(span);
            }
            return constant(0, span);
        };
        // The script's (and the imported files') own enums are constants.
        let imm = i32::try_from(local).ok().filter(|_| !script);
        let Some(imm) = imm else {
            return match i64::try_from(local) {
                Ok(x) if value => constant(x, span),
                Ok(_) => constant(1, span),
                Err(_) => {
                    self.error(
                        span,
                        format!("{what}(): the value of {v} does not fit 64 bits"),
                    );
                    poisoned(span)
                }
            };
        };
        TExpr {
            kind: TExprKind::CoreValue {
                access: CoreAccess {
                    kind: if value {
                        CoreKind::EnumvalValue
                    } else {
                        CoreKind::EnumvalExists
                    },
                    root: CoreStruct {
                        name: name.clone(),
                        union: false,
                        size,
                    },
                    steps: vec![CoreStep {
                        name: v.clone(),
                        index,
                        bit_offset: 0,
                        ty: CoreType::Enumerator { value: imm, signed },
                    }],
                },
            },
            ty: if value && signed {
                Type::I64
            } else {
                Type::U64
            },
            span,
        }
    }
}
