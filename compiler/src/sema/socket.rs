//! Socket functions: `socket_cookie(sk)` (`bpf_get_socket_cookie`). Lowered as a
//! plain helper call ([`StdlibExpr::Helper`], `lower/stdlib.rs`).
//!
//! In the probes that may call it (fentry/fexit, rawtracepoint: BPF_PROG_TYPE_TRACING)
//! the kernel only accepts a socket pointer whose BTF type it knows, i.e. a probe
//! argument read straight from the context ([`ctx_arg_struct`], which `skboutput`
//! shares), of a struct that starts with `struct sock_common` (`struct sock`,
//! `struct tcp_sock`...). Anything else would be a verifier rejection, so it is
//! refused here.

use super::stdlib::StdlibExpr;
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, Span};
use crate::ir::Helper;
use crate::kbtf::{Btf, Kind};
use crate::probes::Context;
use tracec_meta::Attach;

/// The kernel struct that `e` points to when `e` is a pointer argument of a
/// BTF-typed probe (fentry/fexit, rawtracepoint) read straight from the context
/// (`args.skb`, `arg0`, or such an argument cast to another pointer type): by the
/// argument's declared type, which is what the verifier knows, whatever the cast
/// says. `None` for anything else.
pub(super) fn ctx_arg_struct(btf: &Btf, cx: &ProbeCx, e: &TExpr) -> Option<u32> {
    let TExprKind::TpField {
        offset, size: 8, ..
    } = e.kind
    else {
        return None;
    };
    if !matches!(e.ty, Type::Ptr { user: false, .. }) || offset % 8 != 0 {
        return None;
    }
    let Context::BtfArgs(a) = &cx.probe.context else {
        return None;
    };
    let slot = (offset / 8) as usize;
    let declared = match a.args.get(slot) {
        Some(arg) => arg.ty,
        None if slot == a.args.len() => a.retval?,
        None => return None,
    };
    let ptr = btf.ty(btf.resolve(declared).ok()?).ok()?;
    if ptr.kind() != Kind::Ptr {
        return None;
    }
    let target = btf.resolve(ptr.raw_type()).ok()?;
    (btf.ty(target).ok()?.kind() == Kind::Struct).then_some(target)
}

/// Deepest chain of first members followed to find `struct sock_common`.
const MAX_NESTING: usize = 8;

/// Whether kernel struct `id` is `struct sock_common` or starts with one (as its
/// first member, at any depth).
pub fn is_sock_common(btf: &Btf, mut id: u32) -> bool {
    for _ in 0..MAX_NESTING {
        let Ok(t) = btf.resolve(id).and_then(|r| btf.ty(r)) else {
            return false;
        };
        if t.kind() != Kind::Struct {
            return false;
        }
        if t.name() == "sock_common" {
            return true;
        }
        match t.members().next() {
            Some(m) if m.bit_offset == 0 => id = m.ty,
            _ => return false,
        }
    }
    false
}

impl Checker {
    /// `socket_cookie(sk)`: the socket's cookie, a `uint64`.
    pub(super) fn socket_cookie(
        &mut self,
        cx: &mut ProbeCx,
        args: &[ast::Expr],
        span: Span,
    ) -> TExpr {
        let [arg] = args else {
            self.error(
                span,
                super::functions::arity_error("socket_cookie", "1 argument", args.len()),
            );
            return poisoned(span);
        };
        if !matches!(
            cx.probe.attach,
            Attach::Fentry { .. } | Attach::RawTracepoint { .. }
        ) {
            self.wrong_probe_type("socket_cookie()", &cx.probe.attach, span);
            return poisoned(span);
        }
        let sk = self.expr(cx, arg);
        if sk.ty == Type::Unknown {
            return poisoned(span);
        }
        let Some(btf) = self.btf(span, "socket_cookie()") else {
            return poisoned(span);
        };
        let ok = ctx_arg_struct(&btf, cx, &sk).is_some_and(|id| is_sock_common(&btf, id));
        if !ok {
            self.diag_note(
                sk.span,
                "socket_cookie() expects a socket argument of the probe (struct sock *)".into(),
                "the kernel accepts only a probe argument whose type starts with struct sock_common, e.g. args.sk".into(),
            );
            return poisoned(span);
        }
        TExpr {
            kind: TExprKind::Stdlib(Box::new(StdlibExpr::Helper {
                helper: Helper::GetSocketCookie,
                args: vec![sk],
            })),
            ty: Type::U64,
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sock_common_first_members() {
        let Some(path) = crate::kbtf::default_btf() else {
            return;
        };
        let btf = Btf::load(&path).expect("kernel BTF");
        let id = |n: &str| btf.find_struct(n).expect(n);
        assert!(is_sock_common(&btf, id("sock_common")));
        assert!(is_sock_common(&btf, id("sock")));
        assert!(is_sock_common(&btf, id("tcp_sock")));
        assert!(!is_sock_common(&btf, id("socket")));
        assert!(!is_sock_common(&btf, id("sk_buff")));
    }
}
