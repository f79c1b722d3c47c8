//! Symbol functions: `ksym(addr)` and `usym(addr)` (resolved by the runtime, see
//! `runtime/src/symbolize.rs`) and `kaddr("name")` (resolved at compile time from
//! `/proc/kallsyms`, as bpftrace does when it starts).

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use tracec_meta::StackMode;

/// The address of kernel symbol `name` in `/proc/kallsyms`-formatted `text`.
pub fn kallsyms_addr(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        let addr = it.next()?;
        let _kind = it.next()?;
        (it.next()? == name).then(|| u64::from_str_radix(addr, 16).ok())?
    })
}

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

    /// `kaddr("name")`: the symbol's address, a constant.
    pub(super) fn kaddr(&mut self, args: &[ast::Expr], span: Span) -> TExpr {
        let name = match args {
            [ast::Expr {
                kind: ExprKind::Str(s),
                ..
            }] => s.clone(),
            [a] => {
                self.error(a.span, "kaddr() expects a string literal");
                return poisoned(span);
            }
            _ => {
                self.error(
                    span,
                    format!("kaddr() takes 1 argument, got {}", args.len()),
                );
                return poisoned(span);
            }
        };
        let text = std::fs::read_to_string("/proc/kallsyms").unwrap_or_default();
        match kallsyms_addr(&text, &name).filter(|a| *a != 0) {
            Some(a) => TExpr {
                kind: TExprKind::Int(a as i64),
                ty: Type::U64,
                span,
            },
            None => {
                self.error(span, format!("Failed to resolve kernel symbol: {name}"));
                poisoned(span)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_symbols_by_exact_name() {
        let text =
            "ffffffff81000000 T _stext\nffffffff82000010 D avenrun\nffffffffc0000000 t f\t[m]\n";
        assert_eq!(kallsyms_addr(text, "avenrun"), Some(0xffffffff82000010));
        assert_eq!(kallsyms_addr(text, "f"), Some(0xffffffffc0000000));
        assert_eq!(kallsyms_addr(text, "aven"), None);
    }
}
