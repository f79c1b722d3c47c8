//! More of bpftrace's standard library: `is_err(ptr)` (the kernel's `IS_ERR`),
//! `assert_str(x)` (a compile-time check that `x` is string-like) and
//! `container_of(ptr, type, member)`. Host-resolved values (`cgroupid`,
//! `kfunc_exist`, `kfunc_allowed`) are in `stdlib_host.rs`.

use super::stdlib::StdlibExpr;
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span, TypeBase};

/// The lowest address `IS_ERR` treats as an error code: `(unsigned long)-4095`.
pub const MAX_ERRNO: i64 = 4095;

/// Whether a value of type `ty` is string-like for `assert_str`; `Err` is
/// bpftrace's message when it is not.
pub fn string_like(ty: Type) -> Result<(), &'static str> {
    match ty {
        Type::Str { .. } | Type::Unknown => Ok(()),
        Type::Ptr {
            to: Pointee::Char | Pointee::Sized { size: 1 },
            ..
        } => Ok(()),
        Type::Ptr { .. } => Err("string-like pointers must point to a char-like type"),
        _ => Err("string-like values must be either strings, arrays or pointers"),
    }
}

impl Checker {
    /// The calls of this module for their value; `None`: not ours.
    pub(super) fn stdlib_more_expr(
        &mut self,
        cx: &mut ProbeCx,
        base: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        Some(match base {
            "is_err" => self.is_err(cx, args, span),
            "container_of" => self.container_of(cx, args, span),
            "find" => self.find(cx, args, span),
            "assert_str" => {
                self.error(
                    span,
                    "assert_str() returns no value and cannot be used in an expression",
                );
                poisoned(span)
            }
            _ => return None,
        })
    }

    /// The calls of this module as statements; `None`: not ours.
    pub(super) fn stdlib_more_stmt(
        &mut self,
        cx: &mut ProbeCx,
        base: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TStmtKind> {
        if base != "assert_str" {
            return None;
        }
        let nothing = TStmtKind::Expr(TExpr {
            kind: TExprKind::Int(0),
            ty: Type::Void,
            span,
        });
        let [a] = args else {
            self.error(
                span,
                super::functions::arity_error("assert_str", "1 argument", args.len()),
            );
            return Some(nothing);
        };
        let t = self.expr(cx, a);
        if let Err(msg) = string_like(t.ty) {
            self.error(span, msg);
        }
        Some(nothing)
    }

    /// `is_err(ptr)`: `ptr` as an unsigned 64-bit value is at least `-4095`.
    fn is_err(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        let [a] = args else {
            self.error(
                span,
                super::functions::arity_error("is_err", "1 argument", args.len()),
            );
            return poisoned(span);
        };
        let mut t = self.expr(cx, a);
        match t.ty {
            Type::Int { .. } | Type::Ptr { .. } => {}
            Type::Unknown => return poisoned(span),
            other => {
                self.error(
                    t.span,
                    format!(
                        "is_err() expects a pointer or an integer, got {}",
                        other.describe()
                    ),
                );
                return poisoned(span);
            }
        }
        t.ty = Type::U64;
        TExpr {
            kind: TExprKind::Cmp {
                cond: crate::ir::Cond::Uge,
                lhs: Box::new(t),
                rhs: Box::new(TExpr {
                    kind: TExprKind::Int(-MAX_ERRNO),
                    ty: Type::U64,
                    span,
                }),
            },
            ty: Type::Bool,
            span,
        }
    }

    /// `find(@map, key, $var)`: whether `@map` holds `key`; on a hit `$var` is set
    /// to the value (one lookup; see [`StdlibExpr::Find`]).
    fn find(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        let [map, key, var] = args else {
            self.error(
                span,
                super::functions::arity_error("find", "3 arguments", args.len()),
            );
            return poisoned(span);
        };
        if !matches!(var.kind, ExprKind::Var(_)) {
            self.error(
                var.span,
                "find() expects a scratch variable as its third argument, e.g. $v",
            );
            return poisoned(span);
        }
        let Some(name) = self.keyed_map("find", Some(map), span) else {
            return poisoned(span);
        };
        let (idx, keys) = self.map_keys(cx, name, std::slice::from_ref(key), map.span);
        // `$var = @map[key]`: declares and types the variable as an assignment does.
        let read = ast::Expr {
            kind: ExprKind::Map {
                name: name.to_string(),
                keys: vec![key.clone()],
            },
            span: map.span,
        };
        let assign = ast::Stmt {
            kind: ast::StmtKind::Assign {
                target: var.clone(),
                op: None,
                value: read,
            },
            span,
        };
        let mut out = Vec::new();
        self.stmt(cx, &assign, &mut out);
        let assign = match out.pop() {
            Some(
                s @ TStmt {
                    kind: TStmtKind::AssignVar { .. },
                    ..
                },
            ) if out.is_empty() => s,
            _ => return poisoned(span),
        };
        let TStmtKind::AssignVar { var, .. } = assign.kind else {
            return poisoned(span);
        };
        TExpr {
            kind: TExprKind::Stdlib(Box::new(StdlibExpr::Find {
                map: idx,
                keys,
                var,
                assign: Box::new(assign),
            })),
            ty: Type::Bool,
            span,
        }
    }

    /// `container_of(ptr, type, member)`: `(type *)((uint64)ptr - offsetof(type,
    /// member))`. The type is written as a type (`struct task_struct`) or
    /// `typeof(struct task_struct)`.
    fn container_of(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        let [ptr, ty, member] = args else {
            self.error(
                span,
                super::functions::arity_error("container_of", "3 arguments", args.len()),
            );
            return poisoned(span);
        };
        let ty = match &ty.kind {
            ExprKind::Call { name, args } if name == "typeof" && args.len() == 1 => &args[0],
            _ => ty,
        };
        let ExprKind::Cast { ty: tname, .. } = &ty.kind else {
            self.error(
                ty.span,
                "container_of() expects a struct or union type as its second argument",
            );
            return poisoned(span);
        };
        let TypeBase::Record { name, union } = &tname.base else {
            self.error(
                ty.span,
                "container_of() expects a struct or union type as its second argument",
            );
            return poisoned(span);
        };
        if tname.pointers != 0 {
            self.error(
                ty.span,
                "container_of() expects a struct or union type, not a pointer",
            );
            return poisoned(span);
        }
        let mut p = self.expr(cx, ptr);
        let user = match p.ty {
            Type::Ptr { user, .. } => user,
            Type::Int { .. } => cx.user_default,
            Type::Unknown => return poisoned(span),
            other => {
                self.error(
                    p.span,
                    format!("container_of() expects a pointer, got {}", other.describe()),
                );
                return poisoned(span);
            }
        };
        let Some(id) = self.record(name, *union, ty.span) else {
            return poisoned(span);
        };
        let off = self.offsetof(cx, &[ty.clone(), member.clone()], span);
        if off.ty == Type::Unknown {
            return poisoned(span);
        }
        p.ty = Type::U64;
        TExpr {
            kind: TExprKind::Arith {
                op: Arith::Sub,
                lhs: Box::new(p),
                rhs: Box::new(off),
            },
            ty: Type::Ptr {
                user,
                to: Pointee::Kernel { id },
            },
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_char_pointers_are_string_like() {
        assert!(string_like(Type::Str { size: 16 }).is_ok());
        let cp = Type::Ptr {
            user: false,
            to: Pointee::Char,
        };
        assert!(string_like(cp).is_ok());
        let ip = Type::Ptr {
            user: false,
            to: Pointee::Sized { size: 4 },
        };
        assert_eq!(
            string_like(ip),
            Err("string-like pointers must point to a char-like type")
        );
        assert_eq!(
            string_like(Type::U64),
            Err("string-like values must be either strings, arrays or pointers")
        );
    }
}
