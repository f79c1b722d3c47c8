//! `kstack` / `ustack` and their call forms `kstack([mode, ][limit])` (stdlib.md).
//! Lowering: `lower/stacks.rs`; the runtime symbolizes (`runtime/src/symbolize.rs`).

use super::types::*;
use super::{poisoned, Checker};
use crate::front::ast::{self, ExprKind, Span};
use tracec_meta::StackMode;

/// The stack mode called `name` (`stack_mode` config values and call arguments).
pub fn stack_mode(name: &str) -> Option<StackMode> {
    Some(match name {
        "bpftrace" => StackMode::Bpftrace,
        "perf" => StackMode::Perf,
        "raw" => StackMode::Raw,
        "build_id" => StackMode::BuildId,
        _ => return None,
    })
}

impl Checker {
    /// `kstack` / `ustack` (`name`) with the call's arguments (none for the bare
    /// builtin).
    pub(super) fn stack_expr(&mut self, name: &str, args: &[ast::Expr], span: Span) -> TExpr {
        let dwarf = name == "dw_ustack";
        let mut st = StackTy {
            user: name == "ustack" || dwarf,
            // A `build_id` default only applies to user stacks (as in bpftrace).
            mode: match self.stack_mode.unwrap_or(StackMode::Bpftrace) {
                StackMode::BuildId if name != "ustack" => StackMode::Bpftrace,
                m => m,
            },
            limit: MAX_STACK_FRAMES,
            sym: false,
            dwarf,
        };
        if args.len() > 2 {
            self.error(
                span,
                format!(
                    "{name}() takes at most 2 arguments ([mode, ][limit]), got {}",
                    args.len()
                ),
            );
            return poisoned(span);
        }
        let (mode, limit) = match args {
            [] => (None, None),
            [a] if matches!(a.kind, ExprKind::Ident(_)) => (Some(a), None),
            [a] => (None, Some(a)),
            [m, l] => (Some(m), Some(l)),
            _ => (None, None),
        };
        if let Some(m) = mode {
            match &m.kind {
                ExprKind::Ident(id) => match stack_mode(id) {
                    Some(StackMode::BuildId) if !st.user || dwarf => {
                        self.error(m.span, "'build_id' stack mode can only be used for ustack");
                        return poisoned(span);
                    }
                    Some(sm) => st.mode = sm,
                    None => {
                        self.error(
                            m.span,
                            format!(
                                "{name}(): unknown stack mode '{id}' (expected bpftrace, perf, raw or build_id)"
                            ),
                        );
                        return poisoned(span);
                    }
                },
                _ => {
                    self.error(
                        m.span,
                        format!("{name}() expects a stack mode literal as its first argument"),
                    );
                    return poisoned(span);
                }
            }
        }
        if let Some(l) = limit {
            match l.kind {
                ExprKind::Int(n) if (1..=u64::from(MAX_STACK_FRAMES)).contains(&n) => {
                    st.limit = n as u32
                }
                ExprKind::Int(0) => {
                    self.error(l.span, format!("{name}() limit must be at least 1"));
                    return poisoned(span);
                }
                ExprKind::Int(n) => {
                    self.error(
                        l.span,
                        format!(
                            "{name}() limit {n} is too large (at most {MAX_STACK_FRAMES} frames)"
                        ),
                    );
                    return poisoned(span);
                }
                ExprKind::Var(ref v) if v.bytes().all(|b| b.is_ascii_digit()) => {
                    self.error(
                        l.span,
                        format!(
                            "{name}() limit ${v} needs the script's arguments at compile time (tracec ... -- ARGS)"
                        ),
                    );
                    return poisoned(span);
                }
                _ => {
                    self.error(
                        l.span,
                        format!("{name}() expects an integer literal as the limit"),
                    );
                    return poisoned(span);
                }
            }
        }
        TExpr {
            kind: TExprKind::Stack(st),
            ty: Type::Stack(st),
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(stack_mode("perf"), Some(StackMode::Perf));
        assert_eq!(stack_mode("raw"), Some(StackMode::Raw));
        assert_eq!(stack_mode("bpftrace"), Some(StackMode::Bpftrace));
        assert_eq!(stack_mode("build_id"), Some(StackMode::BuildId));
        assert_eq!(stack_mode("build-id"), None);
    }
}
