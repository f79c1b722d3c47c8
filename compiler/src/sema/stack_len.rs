//! `len(STACK)`: the number of frames of a `kstack`/`ustack` value, e.g.
//! `$x = ustack(3); len($x)`. The length is that of the probe's current stack of the
//! value's kind and depth (`bpf_get_stack`, `lower/stack_len.rs`): the stack a
//! `ustack`/`kstack` expression or a variable assigned one in the probe holds. A stack
//! read back from a map may come from another event and is refused. (A stack value is
//! now the hash its frames are stored under in a hash map, `lower/stacks.rs`, which a
//! program could read: that would lift the refusal; build-id stacks keep stack ids.)

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};

impl Checker {
    /// `len(arg)` when `arg` is no map: the length of a stack (reporting any other
    /// value). `None` when `arg` is a map, for `len(@m)`.
    pub(super) fn stack_len(
        &mut self,
        cx: &mut ProbeCx,
        arg: &ast::Expr,
        span: Span,
    ) -> Option<TExpr> {
        if matches!(arg.kind, ExprKind::Map { .. }) {
            return None;
        }
        let t = self.expr(cx, arg);
        Some(match t.ty {
            // The frames of a dw_ustack are only known to the runtime.
            Type::Stack(st) if st.dwarf => {
                self.error(arg.span, "len() of a dw_ustack is not supported by tracec");
                poisoned(span)
            }
            Type::Stack(st) if !st.sym => {
                if !matches!(
                    arg.kind,
                    ExprKind::Var(_) | ExprKind::Ident(_) | ExprKind::Call { .. }
                ) {
                    self.error(
                        arg.span,
                        "len() of a stack needs the stack itself (kstack, ustack or a variable holding one)",
                    );
                    return Some(poisoned(span));
                }
                TExpr {
                    kind: TExprKind::StackLen(st),
                    ty: Type::I64,
                    span,
                }
            }
            Type::Unknown => poisoned(span),
            other => {
                self.error(
                    arg.span,
                    format!(
                        "len() expects a map or a stack (kstack, ustack), got {}",
                        other.describe()
                    ),
                );
                poisoned(span)
            }
        })
    }
}
