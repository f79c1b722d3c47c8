//! `skboutput(path, skb, length, offset)`: the first `length` bytes of a socket
//! buffer's data sent with `bpf_skb_output` through a perf event array
//! (`MapRole::SkbOutput`) to the runtime, which writes them, minus the first `offset`
//! bytes, into the PCAP file `path` (lowered in `lower/skb.rs`; the sample layout is
//! `tracec_meta::SKB_OUTPUT_HEADER_SIZE`).
//!
//! The helper exists for BPF_PROG_TYPE_TRACING programs (fentry/fexit,
//! rawtracepoint) and takes only an `sk_buff` pointer whose BTF type the verifier
//! knows: a probe argument read straight from the context (see
//! [`ctx_arg_struct`](super::socket::ctx_arg_struct), shared with `socket_cookie`).

use super::stdlib::{const_int, StdlibExpr};
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, Span};
use tracec_meta::{Attach, SkbOutputSpec};

/// One `skboutput` call site: where it is in the source and what the runtime does
/// with its packets. Its index is the id its samples carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkbCall {
    pub span: Span,
    pub spec: SkbOutputSpec,
}

impl Checker {
    /// `skboutput(path, skb, length, offset)`: `bpf_skb_output`'s result.
    pub(super) fn skboutput(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        let [path, skb, len, offset] = args else {
            self.error(
                span,
                super::functions::arity_error("skboutput", "4 arguments", args.len()),
            );
            return poisoned(span);
        };
        if !matches!(
            cx.probe.attach,
            Attach::Fentry { .. } | Attach::RawTracepoint { .. }
        ) {
            self.wrong_probe_type("skboutput()", &cx.probe.attach, span);
            return poisoned(span);
        }
        let path_e = self.expr(cx, path);
        let skb_e = self.expr(cx, skb);
        let len_e = self.expr(cx, len);
        let offset_e = self.expr(cx, offset);
        if [&path_e, &skb_e, &len_e, &offset_e]
            .iter()
            .any(|e| e.ty == Type::Unknown)
        {
            return poisoned(span);
        }
        let TExprKind::Str(file) = &path_e.kind else {
            self.error(
                path_e.span,
                "skboutput() expects a string literal as its first argument (the PCAP file)",
            );
            return poisoned(span);
        };
        if file.is_empty() {
            self.error(path_e.span, "skboutput() needs a file name");
            return poisoned(span);
        }
        if !matches!(len_e.ty, Type::Int { .. }) {
            self.error(
                len_e.span,
                format!(
                    "skboutput() expects an integer length, got {}",
                    len_e.ty.describe()
                ),
            );
            return poisoned(span);
        }
        let offset = match (offset_e.ty, const_int(&offset_e)) {
            (Type::Int { .. }, Some(v)) if v >= 0 => v as u64,
            _ => {
                self.error(
                    offset_e.span,
                    "skboutput() expects a constant, non-negative offset as its fourth argument",
                );
                return poisoned(span);
            }
        };
        let Some(btf) = self.btf(span, "skboutput()") else {
            return poisoned(span);
        };
        let is_skb = super::socket::ctx_arg_struct(&btf, cx, &skb_e)
            .and_then(|id| btf.ty(id).ok())
            .is_some_and(|t| t.name() == "sk_buff");
        if !is_skb {
            self.diag_note(
                skb_e.span,
                "skboutput() expects a socket buffer argument of the probe (struct sk_buff *)".into(),
                "the kernel accepts only a probe argument declared as struct sk_buff *, e.g. args.skb".into(),
            );
            return poisoned(span);
        }
        let spec = SkbOutputSpec {
            path: file.clone(),
            offset,
            perf_rb_pages: 0,
        };
        let id = match self.skb_calls.iter().position(|c| c.span == span) {
            Some(i) => i,
            None => {
                self.skb_calls.push(SkbCall { span, spec });
                self.skb_calls.len() - 1
            }
        };
        TExpr {
            kind: TExprKind::Stdlib(Box::new(StdlibExpr::SkbOutput {
                skb: skb_e,
                len: len_e,
                id: id as u32,
            })),
            ty: Type::U64,
            span,
        }
    }
}
