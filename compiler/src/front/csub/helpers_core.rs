//! libbpf's CO-RE questions (`bpf_core_read.h`), answered by the loader for the
//! running kernel: the script calls `__tracec_core_*` that `sema/core_query.rs`
//! turns into relocated constants.
//!
//! | C | script |
//! | --- | --- |
//! | `bpf_core_field_exists(p->a.b)`, `bpf_core_field_exists(struct T, a)` | `__tracec_core_field_exists($p->a.b)`, `...(((struct T *)0)->a)` |
//! | `bpf_core_field_size(...)`, `bpf_core_field_offset(...)` | `__tracec_core_field_size(...)`, `__tracec_core_field_offset(...)` |
//! | `bpf_core_type_exists(struct T)`, `bpf_core_type_size(struct T)` | `__tracec_core_type_exists((struct T)0)`, `__tracec_core_type_size(...)` |
//! | `bpf_core_enum_value_exists(enum E, V)` | `__tracec_core_enum_value_exists((enum E)0, V)` |
//! | `bpf_core_enum_value(enum E, V)` | `__tracec_core_enum_value((enum E)0, V)` |
//!
//! A field of a local (a struct the function holds) exists; its size is the
//! file's.

use super::inline::{expr, int, Frame, Inliner};
use super::places::Place;
use super::{unsupported, CExpr, CExprKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{Expr, ExprKind, Span, TypeBase, TypeName};

/// The question a `bpf_core_*` name asks, if it is one.
pub fn query(name: &str) -> Option<&'static str> {
    Some(match name {
        "bpf_core_field_exists" => "field_exists",
        "bpf_core_field_size" => "field_size",
        "bpf_core_field_offset" => "field_offset",
        "bpf_core_type_exists" => "type_exists",
        "bpf_core_type_size" => "type_size",
        "bpf_core_enum_value_exists" => "enum_value_exists",
        "bpf_core_enum_value" => "enum_value",
        _ => return None,
    })
}

/// The prefix of the parser's stand-in for an `enum NAME` argument (a name no C
/// variable has).
pub const ENUM_ARG: &str = "enum ";

fn ask(q: &str, args: Vec<Expr>, sp: Span) -> Expr {
    expr(
        ExprKind::Call {
            name: format!("__tracec_core_{q}"),
            args,
        },
        sp,
    )
}

/// `(T)0`: a type as an argument (as `sizeof(T)` passes it).
fn type_arg(base: TypeBase, sp: Span) -> Expr {
    expr(
        ExprKind::Cast {
            ty: TypeName {
                base,
                pointers: 0,
                span: sp,
            },
            expr: Box::new(int(0, sp)),
        },
        sp,
    )
}

/// `((T *)0)->path` for the two-argument form `(T, path)`.
fn field_of_type(ty: &CType, path: &CExpr) -> Result<CExpr, Diagnostic> {
    let sp = path.span;
    let root = CExpr {
        kind: CExprKind::Cast {
            ty: CType::Ptr(Box::new(ty.clone())),
            expr: Box::new(CExpr {
                kind: CExprKind::Int(0),
                span: sp,
            }),
        },
        span: sp,
    };
    // `a.b.c` parsed as members of the variable `a`: rebuilt on the root.
    fn rebuild(e: &CExpr, root: CExpr) -> Option<CExpr> {
        Some(match &e.kind {
            CExprKind::Var(n) => CExpr {
                kind: CExprKind::Member {
                    base: Box::new(root),
                    field: n.clone(),
                    arrow: true,
                },
                span: e.span,
            },
            CExprKind::Member {
                base,
                field,
                arrow: false,
            } => CExpr {
                kind: CExprKind::Member {
                    base: Box::new(rebuild(base, root)?),
                    field: field.clone(),
                    arrow: false,
                },
                span: e.span,
            },
            _ => return None,
        })
    }
    rebuild(path, root).ok_or_else(|| unsupported(sp, "this field path (a name or a.b.c)"))
}

impl<'a> Inliner<'a> {
    /// A `bpf_core_*` question, or `None` when `name` asks none.
    pub(super) fn core_query(
        &mut self,
        fr: &mut Frame<'a>,
        name: &str,
        args: &[CExpr],
        sp: Span,
    ) -> Option<Expr> {
        let q = query(name)?;
        let want: &[usize] = match q {
            "field_exists" | "field_size" | "field_offset" => &[1, 2],
            "enum_value_exists" | "enum_value" => &[2],
            _ => &[1],
        };
        if !want.contains(&args.len()) {
            self.diags.push(super::arity(sp, name, want[0], args.len()));
            return Some(int(0, sp));
        }
        Some(match self.core_args(fr, q, args, sp) {
            Ok(e) => e,
            Err(d) => {
                self.diags.push(d);
                int(0, sp)
            }
        })
    }

    fn core_args(
        &mut self,
        fr: &mut Frame<'a>,
        q: &str,
        args: &[CExpr],
        sp: Span,
    ) -> Result<Expr, Diagnostic> {
        let type_of = |e: &CExpr| -> Result<TypeBase, Diagnostic> {
            match &e.kind {
                CExprKind::Var(n) if n.starts_with(ENUM_ARG) => Ok(TypeBase::Enum {
                    name: n[ENUM_ARG.len()..].to_string(),
                }),
                CExprKind::SizeofType(t) => match t.script_type(e.span) {
                    Some(t) if t.pointers == 0 => Ok(t.base),
                    _ => Err(unsupported(e.span, "this type in a CO-RE question")),
                },
                _ => Err(Diagnostic::error(e.span, "expected a type")),
            }
        };
        match q {
            "type_exists" | "type_size" => Ok(ask(q, vec![type_arg(type_of(&args[0])?, sp)], sp)),
            "enum_value_exists" | "enum_value" => {
                let ty = type_of(&args[0])?;
                let CExprKind::Var(v) = &args[1].kind else {
                    return Err(Diagnostic::error(args[1].span, "expected an enumerator"));
                };
                let value = expr(ExprKind::Ident(v.clone()), args[1].span);
                Ok(ask(q, vec![type_arg(ty, sp), value], sp))
            }
            _ => {
                let field = match args {
                    [ty, path] => match &ty.kind {
                        CExprKind::SizeofType(t) => field_of_type(t, path)?,
                        _ => return Err(Diagnostic::error(ty.span, "expected a type")),
                    },
                    _ => args[0].clone(),
                };
                if !matches!(field.kind, CExprKind::Member { .. }) {
                    return Err(unsupported(
                        field.span,
                        "a CO-RE question about something other than a field (p->f, s.f)",
                    ));
                }
                match self.place(fr, &field) {
                    Some(Ok(Place::Mem { expr: e, .. })) => Ok(ask(q, vec![e], sp)),
                    // A member of a local: the file's own type.
                    Some(Ok(_)) => match (q, self.ty_of(fr, &field)) {
                        ("field_exists", _) => Ok(int(1, sp)),
                        ("field_size", Some(t)) => Ok(self.size_of(&t, sp)),
                        _ => Err(unsupported(
                            sp,
                            "bpf_core_field_offset() of a member of a local",
                        )),
                    },
                    Some(Err(d)) => Err(d),
                    None => Ok(int(0, sp)),
                }
            }
        }
    }
}
