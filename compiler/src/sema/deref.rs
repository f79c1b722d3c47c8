//! `&$var` (the address of a variable) and `*ptr` (reading what a typed pointer points
//! to, from kernel or user memory as the pointer's address space says). `*` of an
//! integer (`*kaddr("avenrun")`) reads an integer of the operand's size at that
//! kernel address, extended by the operand's signedness, typed `uint64` (bpftrace).

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};

impl Checker {
    /// `&e`: only variables have an address; integers and pointers are put on the stack
    /// for it, strings and tuples already live there.
    pub(super) fn addr_of(&mut self, cx: &mut ProbeCx, e: &ast::Expr, span: Span) -> TExpr {
        if matches!(e.kind, ExprKind::Field { .. } | ExprKind::Index { .. }) {
            // `&p->a[1]`: the address of a field read through a pointer.
            if let Some(addr) = self.kernel_place(cx, e, true) {
                return TExpr { span, ..addr };
            }
        }
        if !matches!(e.kind, ExprKind::Var(_)) {
            self.error(
                span,
                "the address-of operator ('&') can only be applied to a variable, e.g. &$x",
            );
            return poisoned(span);
        }
        let t = self.expr(cx, e);
        let TExprKind::Var(v) = t.kind else {
            // A parameter (`$1`) or an earlier error.
            if t.ty != Type::Unknown {
                self.error(span, "cannot take the address of a script parameter");
            }
            return poisoned(span);
        };
        let to = match t.ty {
            Type::Int { .. } | Type::Bool => Pointee::Sized { size: 8 },
            Type::Ptr { .. } => Pointee::Ptr,
            Type::Str { .. } => Pointee::Char,
            Type::Tuple(t) => Pointee::Tuple(t),
            Type::Fmt(f) => Pointee::Fmt(f),
            Type::Unknown => return poisoned(span),
            other => {
                self.error(
                    span,
                    format!(
                        "taking the address of {} is not supported by tracec yet",
                        other.kind_word_article()
                    ),
                );
                return poisoned(span);
            }
        };
        TExpr {
            kind: TExprKind::AddrOf(v),
            ty: Type::Ptr { user: false, to },
            span,
        }
    }

    /// `*ptr` of an integer pointer (`int32 *`, `char *`) or a pointer to pointers.
    pub(super) fn deref(&mut self, ptr: TExpr, span: Span) -> TExpr {
        if let Type::Int { signed, .. } = ptr.ty {
            return deref_int(ptr, signed, span);
        }
        let Type::Ptr { user, to } = ptr.ty else {
            if ptr.ty != Type::Unknown {
                self.error(
                    span,
                    format!(
                        "cannot dereference {}: '*' needs a pointer",
                        ptr.ty.kind_word_article()
                    ),
                );
            }
            return poisoned(span);
        };
        let whole = match to {
            Pointee::Tuple(t) => Some((t.size, Type::Tuple(t))),
            Pointee::Fmt(f) => Some((f.size(), Type::Fmt(f))),
            _ => None,
        };
        if let Pointee::Kernel { id } = to {
            return self.struct_value(ptr, id, user, span);
        }
        if let Some((size, ty)) = whole {
            return TExpr {
                kind: TExprKind::DerefMem {
                    ptr: Box::new(ptr),
                    size,
                    user,
                },
                ty,
                span,
            };
        }
        let (size, signed, ty) = match to {
            Pointee::Char => (1, true, Type::I64),
            Pointee::Sized { size } => (size, true, Type::I64),
            Pointee::Ptr => (
                8,
                false,
                Type::Ptr {
                    user,
                    to: Pointee::Other,
                },
            ),
            Pointee::PtrTo(inner) => (8, false, Type::Ptr { user, to: *inner }),
            // `*uptr(n)`: as `*n`, from the address space `uptr`/`kptr` gave it.
            Pointee::Addr => (8, false, Type::U64),
            Pointee::Kernel { .. } | Pointee::Other | Pointee::Tuple(_) | Pointee::Fmt(_) => {
                self.error(
                    span,
                    "cannot dereference this pointer: only integer pointers (int8 * .. int64 *) and pointers to pointers can be read with '*'; use -> for struct fields",
                );
                return poisoned(span);
            }
        };
        TExpr {
            kind: TExprKind::Deref {
                ptr: Box::new(ptr),
                size,
                signed,
                user,
            },
            ty,
            span,
        }
    }
}

/// `*n` of an integer: the operand is a kernel address; the integer of its size
/// there (every script integer is 8 bytes) is read with `bpf_probe_read_kernel`
/// (0 when unreadable). bpftrace types the result `uint64` whatever the operand.
fn deref_int(ptr: TExpr, signed: bool, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Deref {
            ptr: Box::new(ptr),
            size: 8,
            signed,
            user: false,
        },
        ty: Type::U64,
        span,
    }
}
