//! `percpu_kaddr(name[, cpu])` (stdlib.md): the address of a kernel percpu variable,
//! this CPU's copy or CPU `cpu`'s. The variable must be a `BTF_KIND_VAR` of the kernel
//! BTF; its id is resolved on the host by the runtime (`tracec_meta::KsymSpec`).
//! Lowering: `lower/percpu.rs`.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use crate::kbtf::Kind;

impl Checker {
    /// A call of `percpu_kaddr`.
    pub(super) fn percpu_kaddr(
        &mut self,
        cx: &mut ProbeCx,
        args: &[ast::Expr],
        span: Span,
    ) -> TExpr {
        if args.is_empty() || args.len() > 2 {
            self.error(
                span,
                format!(
                    "percpu_kaddr() requires 1 or 2 arguments ({} provided)",
                    args.len()
                ),
            );
            return poisoned(span);
        }
        let ExprKind::Str(name) = &args[0].kind else {
            self.error(
                args[0].span,
                "percpu_kaddr() expects a string literal as its first argument",
            );
            return poisoned(span);
        };
        let cpu = match args.get(1) {
            None => None,
            Some(a) => {
                let t = self.expr(cx, a);
                match t.ty {
                    Type::Int { .. } | Type::Bool => Some(Box::new(t)),
                    Type::Unknown => return poisoned(span),
                    other => {
                        self.error(
                            t.span,
                            format!(
                                "percpu_kaddr() needs an integer cpu, not {}",
                                other.describe()
                            ),
                        );
                        return poisoned(span);
                    }
                }
            }
        };
        // With the kernel BTF at hand, the variable must be in it (bpftrace's check);
        // without it the runtime finds out on the host.
        if let Ok(btf) = self.kernel.get() {
            if btf.find(name, Kind::Var).is_none() {
                self.error(
                    span,
                    format!("Could not resolve variable \"{name}\" from BTF"),
                );
                return poisoned(span);
            }
        }
        TExpr {
            kind: TExprKind::PercpuKaddr {
                name: name.clone(),
                cpu,
            },
            ty: Type::Ptr {
                user: false,
                to: Pointee::Sized { size: 8 },
            },
            span,
        }
    }
}
