//! Stdlib functions bpftrace answers when it compiles, on the host it runs on:
//! `cgroupid(path)`, `kfunc_exist(name)` and `kfunc_allowed(name)`. A tracec object
//! runs on another host, so each is a `.rodata` `u64` global that `tracerun` sets
//! before loading (`tracec_meta::SymbolGlobal` of kind `CgroupId` or
//! `KfuncExists`, resolved in `runtime/src/symaddr.rs`); the verifier then prunes
//! the branch a frozen value cannot take. `kfunc_allowed` also names the section of
//! the program calling it (`SymbolGlobal::allowed_in`): the runtime answers with a
//! trial load of that program type (`runtime/src/kfunc_trial.rs`), as bpftrace asks
//! the kernel. Lowering: `TExprKind::SymbolAddr`.

use super::fmtvals::SymbolUse;
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use tracec_meta::SymbolKind;

/// The string literal a call's only argument must be; `Err` is bpftrace's message.
fn literal_arg<'a>(f: &str, args: &'a [ast::Expr]) -> Result<&'a str, String> {
    match args {
        [ast::Expr {
            kind: ExprKind::Str(s),
            ..
        }] => Ok(s),
        [_] => Err(format!("{f}() accepts a string literal only")),
        _ => Err(super::functions::arity_error(f, "1 argument", args.len())),
    }
}

impl Checker {
    /// The calls of this module; `None`: not ours.
    pub(super) fn stdlib_host_expr(
        &mut self,
        cx: &mut ProbeCx,
        base: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        let (kind, ty) = match base {
            "cgroupid" => (SymbolKind::CgroupId, Type::U64),
            "kfunc_exist" | "kfunc_allowed" => (SymbolKind::KfuncExists, Type::Bool),
            _ => return None,
        };
        let name = match literal_arg(base, args) {
            Ok(n) => n.to_string(),
            Err(msg) => {
                self.error(span, msg);
                return Some(poisoned(span));
            }
        };
        // kfunc_allowed: the runtime asks the kernel about this program's type.
        let allowed_in = (base == "kfunc_allowed").then(|| cx.probe.section.clone());
        Some(TExpr {
            kind: TExprKind::SymbolAddr(self.host_global(kind, name, allowed_in, span)),
            ty,
            span,
        })
    }

    /// The index of the global holding `kind` of `name`, shared by equal uses: for
    /// `kfunc_allowed` (`allowed_in`), by the programs of one section kind (the part
    /// before the first `/`, which sets the program type), so that probes sharing a
    /// program still compile to equal code.
    fn host_global(
        &mut self,
        kind: SymbolKind,
        name: String,
        allowed_in: Option<String>,
        span: Span,
    ) -> u32 {
        let section_kind = |s: &Option<String>| {
            s.as_deref()
                .map(|s| s.split('/').next().unwrap_or(s).to_string())
        };
        let class = section_kind(&allowed_in);
        let found = self
            .symbol_globals
            .iter()
            .position(|s| s.kind == kind && s.name == name && section_kind(&s.allowed_in) == class);
        let index = found.unwrap_or_else(|| {
            self.symbol_globals.push(SymbolUse {
                name,
                param: None,
                path: None,
                span,
                kind,
                allowed_in,
            });
            self.symbol_globals.len() - 1
        });
        index as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(args: Vec<ExprKind>) -> Vec<ast::Expr> {
        args.into_iter()
            .map(|kind| ast::Expr {
                kind,
                span: Span::new(0, 1),
            })
            .collect()
    }

    #[test]
    fn only_a_string_literal_names_the_kfunc() {
        let ok = call(vec![ExprKind::Str("bpf_task_from_pid".into())]);
        assert_eq!(literal_arg("kfunc_exist", &ok), Ok("bpf_task_from_pid"));
        let var = call(vec![ExprKind::Int(1)]);
        assert_eq!(
            literal_arg("kfunc_exist", &var),
            Err("kfunc_exist() accepts a string literal only".to_string())
        );
        assert_eq!(
            literal_arg("cgroupid", &[]),
            Err("cgroupid() takes 1 argument, got 0 arguments".to_string())
        );
    }
}
