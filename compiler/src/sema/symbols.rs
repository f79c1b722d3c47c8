//! Symbol functions: `ksym(addr)` and `usym(addr)` (resolved by the runtime, see
//! `runtime/src/symbolize.rs`). `kaddr`/`uaddr` are in `fmtvals.rs`.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, Span};
use tracec_meta::StackMode;

impl Checker {
    /// `ksym(addr)` / `usym(addr)` (`name`).
    pub(super) fn sym_call(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> TExpr {
        let [arg] = args else {
            self.error(
                span,
                format!("{name}() takes 1 argument, got {}", args.len()),
            );
            return poisoned(span);
        };
        let addr = self.expr(cx, arg);
        match addr.ty {
            Type::Int { .. } | Type::Ptr { .. } => {}
            Type::Unknown => return poisoned(span),
            other => {
                self.error(
                    addr.span,
                    format!(
                        "{name}() expects an integer address, got {}",
                        other.describe()
                    ),
                );
                return poisoned(span);
            }
        }
        let user = name == "usym";
        let st = StackTy {
            user,
            mode: StackMode::Bpftrace,
            limit: 1,
            sym: true,
            dwarf: false,
        };
        TExpr {
            kind: TExprKind::Sym {
                user,
                addr: Box::new(addr),
            },
            ty: Type::Stack(st),
            span,
        }
    }
}
