//! `pid(curr_ns)`, `pid(init)`, `tid(curr_ns)`, `tid(init)` (stdlib.md): the process
//! or thread id as seen from the runtime's pid namespace or from the initial one.
//! Plain `pid`/`tid` are the ids seen from the runtime's namespace too, at no cost
//! when the runtime runs in the initial one (`lower/pid_plain.rs`).

use super::types::{Builtin, TExpr, TExprKind, Type};
use super::{poisoned, Checker};
use crate::front::ast::{self, ExprKind, Span};

/// The builtin for `pid(ns)` / `tid(ns)` (`tid`), `None` for an unknown namespace.
pub(super) fn pid_builtin(tid: bool, ns: &str) -> Option<Builtin> {
    Some(match (ns, tid) {
        ("curr_ns", false) => Builtin::PidCurrNs,
        ("curr_ns", true) => Builtin::TidCurrNs,
        ("init", false) => Builtin::PidInit,
        ("init", true) => Builtin::TidInit,
        _ => return None,
    })
}

impl Checker {
    /// `pid(ns)` or `tid(ns)` (`tid`).
    pub(super) fn pid_ns_call(&mut self, tid: bool, ns: &ast::Expr, span: Span) -> TExpr {
        let b = match &ns.kind {
            ExprKind::Ident(n) => pid_builtin(tid, n),
            _ => None,
        };
        match b {
            Some(b) => TExpr {
                kind: TExprKind::Builtin(b),
                ty: Type::U64,
                span,
            },
            None => {
                let f = if tid { "tid" } else { "pid" };
                self.error(
                    ns.span,
                    format!("{f}(): the namespace must be curr_ns or init"),
                );
                poisoned(span)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_name_their_builtins() {
        assert_eq!(pid_builtin(false, "curr_ns"), Some(Builtin::PidCurrNs));
        assert_eq!(pid_builtin(true, "curr_ns"), Some(Builtin::TidCurrNs));
        assert_eq!(pid_builtin(false, "init"), Some(Builtin::PidInit));
        assert_eq!(pid_builtin(true, "init"), Some(Builtin::TidInit));
        assert_eq!(pid_builtin(true, "other"), None);
    }

    #[test]
    fn pid_takes_a_namespace() {
        let src = "BEGIN { @a = pid(curr_ns); @b = tid(init); $c = pid(host); }";
        let program = crate::front::parse(src).unwrap();
        let msgs = crate::sema::tests::test_ast::errors(&program);
        assert_eq!(msgs, ["pid(): the namespace must be curr_ns or init"]);
    }
}
