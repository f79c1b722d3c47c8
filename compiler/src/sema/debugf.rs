//! `debugf(fmt, args...)`: a line in the kernel's trace buffer through
//! `bpf_trace_printk`, formatted by the kernel (bpftrace's `debugf`). The kernel's
//! printk takes at most three arguments and knows only `%d %i %u %x %p %s` (with
//! `l`/`ll`), so that is what is accepted. Lowering: `lower/debugf.rs`.

use super::printf::{self, ConvKind};
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::diag::Diagnostic;
use crate::front::ast::{self, ExprKind, Span};

/// Arguments `bpf_trace_printk` can take after its format.
pub const DEBUGF_MAX_ARGS: usize = 3;

/// bpftrace's warning on every `debugf` call.
pub const DEBUGF_WARNING: &str = "The debugf() builtin is not recommended for production use. For more information see bpf_trace_printk in bpf-helpers(7).";

/// What a `debugf` conversion consumes, if the kernel's printk knows it.
fn printk_kind(text: &str) -> Option<ConvKind> {
    let conv = text.chars().last()?;
    // The kernel's printk takes no `h`/`hh`/`z`/`j`/`t` length and no precision.
    let body = &text[1..text.len() - 1];
    if body.contains(['h', 'z', 'j', 't', '.']) {
        return None;
    }
    match conv {
        'd' | 'i' | 'u' | 'x' => Some(ConvKind::Int),
        'p' => Some(ConvKind::Ptr),
        's' => Some(ConvKind::Str),
        _ => None,
    }
}

impl Checker {
    /// `debugf("format", args...)`.
    pub(super) fn debugf(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TStmtKind {
        let bad = TStmtKind::Expr(poisoned(span));
        self.warning(Diagnostic::warning(span, DEBUGF_WARNING));
        let Some(first) = args.first() else {
            self.error(span, "debugf() needs a format string");
            return bad;
        };
        let ExprKind::Str(format) = &first.kind else {
            self.error(first.span, "debugf: the format must be a string literal");
            return bad;
        };
        if format.contains('\0') {
            self.error(first.span, "debugf: the format cannot contain a NUL byte");
            return bad;
        }
        let convs = match printf::parse(format) {
            Ok(c) => c,
            Err(m) => {
                self.error(first.span, m.replacen("printf", "debugf", 1));
                return bad;
            }
        };
        if args.len() - 1 > DEBUGF_MAX_ARGS {
            self.error(
                span,
                format!("debugf: cannot use more than {DEBUGF_MAX_ARGS} conversion specifiers"),
            );
            return bad;
        }
        let kinds: Vec<_> = convs.iter().map(|c| printk_kind(&c.text)).collect();
        let Some(targs) = self.format_args(cx, "debugf", args, &kinds, span) else {
            return bad;
        };
        let mut ok = true;
        for (i, (c, a)) in convs.iter().zip(&targs).enumerate() {
            let Some(kind) = printk_kind(&c.text) else {
                self.error(
                    first.span,
                    format!("Invalid format specifier for `debugf`: {}", c.text),
                );
                ok = false;
                continue;
            };
            let fits = match (kind, a.ty) {
                (_, Type::Unknown) => {
                    ok = false;
                    continue;
                }
                (ConvKind::Str, t) => t.is_str(),
                (_, Type::Int { .. } | Type::Ptr { .. } | Type::Bool) => true,
                _ => false,
            };
            if !fits {
                let want = if kind == ConvKind::Str {
                    "a string"
                } else {
                    "an integer"
                };
                self.error(
                    a.span,
                    format!(
                        "debugf: {} expects {want}, but argument {} is {}",
                        c.text,
                        i + 1,
                        a.ty.describe()
                    ),
                );
                ok = false;
            }
        }
        if !ok {
            return bad;
        }
        TStmtKind::Debugf {
            format: format.clone(),
            args: targs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::printk_kind;
    use crate::sema::printf::ConvKind;

    #[test]
    fn printk_conversions() {
        assert_eq!(printk_kind("%d"), Some(ConvKind::Int));
        assert_eq!(printk_kind("%llx"), Some(ConvKind::Int));
        assert_eq!(printk_kind("%-16s"), Some(ConvKind::Str));
        assert_eq!(printk_kind("%p"), Some(ConvKind::Ptr));
        assert_eq!(printk_kind("%hhd"), None);
        assert_eq!(printk_kind("%.3s"), None);
        assert_eq!(printk_kind("%X"), None);
        assert_eq!(printk_kind("%c"), None);
    }
}
