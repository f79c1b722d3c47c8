//! `sizeof(type)` and `sizeof(expr)`: a compile-time constant. A type argument reaches
//! here as a cast of 0 (`sizeof(uint16)` parses as `sizeof((uint16)0)`, which has the
//! same size), so only the written type matters; struct types are measured in the
//! kernel BTF.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span, TypeBase, TypeName};

/// Whether `e` is a comparison, `&&`, `||` or `!`: a bool in bpftrace.
fn is_boolean(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Binary { op, .. } => {
            op.is_comparison() || matches!(op, ast::BinOp::LogAnd | ast::BinOp::LogOr)
        }
        ExprKind::Unary { op, .. } => *op == ast::UnOp::Not,
        _ => false,
    }
}

impl Checker {
    /// `sizeof(x)`.
    pub(super) fn sizeof(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        let [arg] = args else {
            self.error(
                span,
                format!("sizeof() takes 1 argument, got {}", args.len()),
            );
            return poisoned(span);
        };
        let typedef = match &arg.kind {
            ExprKind::Ident(n) if self.is_type_name(n) => Some(n.clone()),
            _ => None,
        };
        let size = if let Some(n) = typedef {
            self.named_type(&n, arg.span)
                .and_then(|t| self.type_size(&t))
        } else if super::typename::is_type_expr(arg) {
            self.type_of_expr(cx, arg, 0)
                .and_then(|t| self.type_size(&t))
        } else {
            {
                let t = self.expr(cx, arg);
                match t.ty {
                    Type::Unknown => None,
                    Type::Void => {
                        self.error(arg.span, "sizeof() of an expression without a value");
                        None
                    }
                    // Comparisons and logical operators are bools in bpftrace.
                    Type::Int { .. } if is_boolean(arg) => Some(1),
                    Type::Int { .. } => Some(match t.kind {
                        TExprKind::KernelField {
                            read: KernelRead::Int { size, .. },
                            ..
                        } => size,
                        _ => self.int_width(cx, arg),
                    }),
                    Type::Bool => Some(1),
                    other => Some(other.storage_size()),
                }
            }
        };
        match size {
            Some(n) => TExpr {
                kind: TExprKind::Int(i64::from(n)),
                ty: Type::U64,
                span,
            },
            None => poisoned(span),
        }
    }

    /// `offsetof(struct T, a.b)` / `offsetof(expr, a.b)` (`expr` a struct pointer
    /// dereference or a struct pointer): the byte offset of the field.
    pub(super) fn offsetof(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        let [target, path] = args else {
            self.error(
                span,
                format!("offsetof() takes 2 arguments, got {}", args.len()),
            );
            return poisoned(span);
        };
        let id = match &target.kind {
            ExprKind::Cast { ty, .. } if ty.pointers == 0 => match &ty.base {
                TypeBase::Record { name, union } => self.record(name, *union, ty.span),
                _ => {
                    self.error(ty.span, "offsetof() needs a struct or union type");
                    None
                }
            },
            // `typeof(struct T)`, as a macro's type parameter receives it.
            ExprKind::Call { name, .. } if name == "typeof" => {
                match self.type_of_expr(cx, target, 0) {
                    Some(TypeName {
                        base: TypeBase::Record { name, union },
                        pointers: 0,
                        span: tspan,
                    }) => self.record(&name, union, tspan),
                    Some(_) => {
                        self.error(target.span, "offsetof() needs a struct or union type");
                        None
                    }
                    None => None,
                }
            }
            _ => {
                let inner = match &target.kind {
                    ExprKind::Unary {
                        op: ast::UnOp::Deref,
                        expr,
                    } => expr,
                    _ => target,
                };
                match self.expr(cx, inner).ty {
                    Type::Ptr {
                        to: Pointee::Kernel { id },
                        ..
                    } => Some(id),
                    Type::Unknown => None,
                    other => {
                        self.error(
                            target.span,
                            format!("offsetof() needs a struct, not {}", other.describe()),
                        );
                        None
                    }
                }
            }
        };
        let Some(id) = id else {
            return poisoned(span);
        };
        let mut names = Vec::new();
        let mut e = path;
        loop {
            match &e.kind {
                ExprKind::Ident(n) => {
                    names.push(n.as_str());
                    break;
                }
                ExprKind::Field {
                    base,
                    field,
                    arrow: false,
                } => {
                    names.push(field.as_str());
                    e = base;
                }
                _ => {
                    self.error(path.span, "offsetof() needs a field name, e.g. a.b");
                    return poisoned(span);
                }
            }
        }
        names.reverse();
        let Some(btf) = self.btf(span, "offsetof") else {
            return poisoned(span);
        };
        let mut cur = id;
        let mut bits = 0u64;
        for name in names {
            match btf.member(cur, name) {
                Ok(Some(m)) => {
                    bits += u64::from(m.bit_offset);
                    cur = m.ty;
                }
                _ => {
                    let owner = btf.type_name(cur);
                    self.error(path.span, format!("`{owner}` has no field `{name}`"));
                    return poisoned(span);
                }
            }
        }
        TExpr {
            kind: TExprKind::Int((bits / 8) as i64),
            ty: Type::U64,
            span,
        }
    }
}
