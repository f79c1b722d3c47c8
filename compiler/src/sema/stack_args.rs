//! `ustack($1)` / `kstack(perf, $2)`: bpftrace takes a positional parameter as a
//! stack's frame limit, a value it knows when it compiles. The limit sizes the stack
//! map, so `tracec` needs the argument at compile time too (`tracec ... -- ARGS`, as
//! for attach points, [`super::attach_args`]): the parameter is replaced by the
//! argument's integer before checking, and the object records the argument it bound
//! ([`tracec_meta::Metadata::bound_args`]), so `tracerun` refuses other values.

use crate::diag::Diagnostic;
use crate::front::ast::{visit_exprs_mut, Expr, ExprKind, Program};
use tracec_meta::BoundArg;

/// Replace the positional parameters used as stack limits in `program` by the
/// integers `args` (the positional arguments, `$1` first) give. Returns the arguments
/// bound; a missing argument or one that is no integer is an error.
pub fn bind(program: &mut Program, args: &[String]) -> Result<Vec<BoundArg>, Vec<Diagnostic>> {
    let mut b = Binder {
        args,
        bound: Vec::new(),
        errors: Vec::new(),
    };
    visit_exprs_mut(program, &mut |e| {
        if let Some(l) = Binder::stack_limit(e) {
            b.bind_limit(l);
        }
    });
    if b.errors.is_empty() {
        b.bound.sort_by_key(|a| a.index);
        Ok(b.bound)
    } else {
        Err(b.errors)
    }
}

struct Binder<'a> {
    args: &'a [String],
    bound: Vec<BoundArg>,
    errors: Vec<Diagnostic>,
}

/// The parameter number of `$N` (N from 1).
fn positional(e: &Expr) -> Option<u32> {
    match &e.kind {
        ExprKind::Var(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse().ok().filter(|n| *n > 0)
        }
        _ => None,
    }
}

impl Binder<'_> {
    /// The limit argument of a `ustack`/`kstack` call: its last argument, unless that
    /// is the only one and names a stack mode.
    fn stack_limit(e: &mut Expr) -> Option<&mut Expr> {
        match &mut e.kind {
            ExprKind::Call { name, args } if matches!(name.as_str(), "ustack" | "kstack") => {
                match args.as_mut_slice() {
                    [l] | [_, l] => Some(l),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn bind_limit(&mut self, limit: &mut Expr) {
        let Some(n) = positional(limit) else {
            return;
        };
        let Some(value) = self.args.get(n as usize - 1) else {
            self.errors.push(Diagnostic::error(
                limit.span,
                format!(
                    "the stack limit ${n} needs the script's arguments at compile time: {} positional argument{} given to tracec (tracec ... -- ARGS)",
                    self.args.len(),
                    if self.args.len() == 1 { " was" } else { "s were" }
                ),
            ));
            return;
        };
        let Some(v) = parse_int(value) else {
            self.errors.push(Diagnostic::error(
                limit.span,
                format!("the stack limit ${n} must be an integer, got '{value}'"),
            ));
            return;
        };
        limit.kind = ExprKind::Int(v);
        if !self.bound.iter().any(|b| b.index == n) {
            self.bound.push(BoundArg {
                index: n,
                value: value.clone(),
            });
        }
    }
}

/// A positional argument as an integer, as bpftrace reads one (decimal, or `0x` hex).
fn parse_int(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::ast::StmtKind;

    fn bound(src: &str, args: &[&str]) -> Result<(Program, Vec<BoundArg>), Vec<Diagnostic>> {
        let mut p = crate::front::parse(src).expect("parses");
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let b = bind(&mut p, &args)?;
        Ok((p, b))
    }

    fn limits(p: &Program) -> Vec<ExprKind> {
        let mut out = Vec::new();
        fn walk(e: &Expr, out: &mut Vec<ExprKind>) {
            if let ExprKind::Call { name, args } = &e.kind {
                if name.ends_with("stack") {
                    out.extend(args.last().map(|a| a.kind.clone()));
                }
            }
            e.children().into_iter().for_each(|c| walk(c, out));
        }
        for probe in &p.probes {
            for s in &probe.body.stmts {
                if let StmtKind::Expr(e) = &s.kind {
                    walk(e, &mut out);
                }
            }
        }
        out
    }

    #[test]
    fn limits_become_integers() {
        let (p, b) = bound(
            "BEGIN { print(ustack($1)); print(kstack(perf, $2)); print(ustack(perf)); }",
            &["3", "0x10"],
        )
        .unwrap();
        assert_eq!(
            limits(&p),
            [
                ExprKind::Int(3),
                ExprKind::Int(16),
                ExprKind::Ident("perf".into())
            ]
        );
        assert_eq!(
            b,
            [
                BoundArg {
                    index: 1,
                    value: "3".into()
                },
                BoundArg {
                    index: 2,
                    value: "0x10".into()
                }
            ]
        );
    }

    #[test]
    fn other_parameters_stay() {
        let (p, b) = bound("BEGIN { print($1 + 1); print(ustack(5)); }", &["3"]).unwrap();
        assert!(b.is_empty());
        assert_eq!(limits(&p), [ExprKind::Int(5)]);
    }

    #[test]
    fn missing_or_bad_arguments() {
        let e = bound("BEGIN { print(ustack($2)); }", &["3"]).unwrap_err();
        assert!(
            e[0].message.contains("1 positional argument was given"),
            "{}",
            e[0].message
        );
        let e = bound("BEGIN { print(ustack($1)); }", &["x"]).unwrap_err();
        assert_eq!(
            e[0].message,
            "the stack limit $1 must be an integer, got 'x'"
        );
    }
}
