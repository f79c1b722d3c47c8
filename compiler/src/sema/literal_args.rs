//! Positional parameters where bpftrace needs a literal (`ustack($1)`, `kstack($2)`):
//! bpftrace substitutes the argument when it compiles, so a stack's depth is fixed
//! by the command line. tracec binds such a `$N` at compile time as it binds those of
//! attach points (`sema/attach_args.rs`): the argument, an integer, replaces the
//! parameter in the tree, and the object records it so that `tracerun` refuses
//! other values. Everywhere else `$N` stays a run-time parameter.

use crate::front::ast::{Block, Expr, ExprKind, ForIter, Program, Stmt, StmtKind};
use tracec_meta::BoundArg;

/// Functions whose arguments bpftrace requires to be literals.
const LITERAL_ARGS: &[&str] = &["ustack", "kstack"];

/// `text` as bpftrace reads an integer argument: decimal, `0x` hex or `0` octal.
fn parse_int(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).ok();
    }
    if t.len() > 1 && t.starts_with('0') {
        return u64::from_str_radix(&t[1..], 8).ok();
    }
    t.parse().ok()
}

/// Replace the `$N` arguments of [`LITERAL_ARGS`] calls with the integers of `args`;
/// those bound are added to `bound` (each index once).
pub fn bind(program: &mut Program, args: &[String], bound: &mut Vec<BoundArg>) {
    let mut b = Binder { args, bound };
    for p in &mut program.probes {
        if let Some(pred) = &mut p.predicate {
            b.expr(pred, false);
        }
        b.block(&mut p.body);
    }
}

struct Binder<'a> {
    args: &'a [String],
    bound: &'a mut Vec<BoundArg>,
}

impl Binder<'_> {
    fn block(&mut self, b: &mut Block) {
        self.stmts(&mut b.stmts);
    }

    fn stmts(&mut self, stmts: &mut [Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &mut Stmt) {
        match &mut s.kind {
            StmtKind::Expr(e) | StmtKind::Return(Some(e)) => self.expr(e, false),
            StmtKind::Assign { target, value, .. } => {
                self.expr(target, false);
                self.expr(value, false);
            }
            StmtKind::Incr { target, .. } => self.expr(target, false),
            StmtKind::If { cond, then, els } => {
                self.expr(cond, false);
                self.block(then);
                if let Some(e) = els {
                    self.block(e);
                }
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::Let { value, .. } => {
                if let Some(v) = value {
                    self.expr(v, false);
                }
            }
            StmtKind::While { cond, body } | StmtKind::Unroll { count: cond, body } => {
                self.expr(cond, false);
                self.block(body);
            }
            StmtKind::For { iter, body, .. } => {
                match iter {
                    ForIter::Range { start, end } => {
                        self.expr(start, false);
                        self.expr(end, false);
                    }
                    ForIter::Map(m) => self.expr(m, false),
                }
                self.block(body);
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) => {}
        }
    }

    /// Walk `e`; `literal`: `e` is an argument that must be a literal.
    fn expr(&mut self, e: &mut Expr, literal: bool) {
        if literal {
            if let ExprKind::Var(name) = &e.kind {
                if let Some(v) = self.value(name) {
                    e.kind = ExprKind::Int(v);
                    return;
                }
            }
        }
        match &mut e.kind {
            ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Ident(_) | ExprKind::Var(_) => {}
            ExprKind::Call { name, args } => {
                let lit = LITERAL_ARGS.contains(&name.as_str());
                for a in args {
                    self.expr(a, lit);
                }
            }
            ExprKind::Map { keys: list, .. }
            | ExprKind::Tuple(list)
            | ExprKind::Record { values: list, .. } => {
                for a in list {
                    self.expr(a, false);
                }
            }
            ExprKind::Field { base, .. }
            | ExprKind::Unary { expr: base, .. }
            | ExprKind::Cast { expr: base, .. } => self.expr(base, false),
            ExprKind::Index { base: a, index: b } | ExprKind::Binary { lhs: a, rhs: b, .. } => {
                self.expr(a, false);
                self.expr(b, false);
            }
            ExprKind::Ternary { cond, then, els } => {
                self.expr(cond, false);
                self.expr(then, false);
                self.expr(els, false);
            }
            ExprKind::Block { stmts, value } => {
                self.stmts(stmts);
                self.expr(value, false);
            }
        }
    }

    /// The integer of positional parameter `name` (`1` for `$1`), bound.
    fn value(&mut self, name: &str) -> Option<u64> {
        let n: u32 = name.parse().ok().filter(|n| *n > 0)?;
        let text = self.args.get(n as usize - 1)?;
        let v = parse_int(text)?;
        if !self.bound.iter().any(|b| b.index == n) {
            self.bound.push(BoundArg {
                index: n,
                value: text.clone(),
            });
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(src: &str, args: &[&str]) -> (Program, Vec<BoundArg>) {
        let mut p = crate::front::parse(src).expect("parses");
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut b = Vec::new();
        bind(&mut p, &args, &mut b);
        (p, b)
    }

    fn first_call_args(p: &Program) -> Vec<ExprKind> {
        let StmtKind::Expr(Expr {
            kind: ExprKind::Call { args, .. },
            ..
        }) = &p.probes[0].body.stmts[0].kind
        else {
            panic!("no call")
        };
        args.iter().map(|a| a.kind.clone()).collect()
    }

    #[test]
    fn stack_limits_take_the_argument() {
        let (p, b) = bound("BEGIN { print(ustack($1)); print($1); }", &["0x10"]);
        let StmtKind::Expr(Expr {
            kind: ExprKind::Call { args, .. },
            ..
        }) = &p.probes[0].body.stmts[0].kind
        else {
            panic!("no call")
        };
        assert!(matches!(
            &args[0].kind,
            ExprKind::Call { args, .. } if args[0].kind == ExprKind::Int(16)
        ));
        // Other uses stay parameters.
        assert_eq!(first_call_args(&p).len(), 1);
        let StmtKind::Expr(e) = &p.probes[0].body.stmts[1].kind else {
            panic!()
        };
        assert!(
            matches!(&e.kind, ExprKind::Call { args, .. } if args[0].kind == ExprKind::Var("1".into()))
        );
        assert_eq!(
            b,
            vec![BoundArg {
                index: 1,
                value: "0x10".into()
            }]
        );
    }

    #[test]
    fn missing_or_non_integer_arguments_stay_parameters() {
        let (p, b) = bound("BEGIN { kstack(perf, $2); }", &["x", "y"]);
        assert_eq!(first_call_args(&p)[1], ExprKind::Var("2".into()));
        assert!(b.is_empty());
        let (p, _) = bound("BEGIN { kstack($3); }", &[]);
        assert_eq!(first_call_args(&p)[0], ExprKind::Var("3".into()));
    }

    #[test]
    fn integers_in_bpftrace_bases() {
        assert_eq!(parse_int("123"), Some(123));
        assert_eq!(parse_int("0775"), Some(0o775));
        assert_eq!(parse_int("0x1f"), Some(31));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("x"), None);
    }
}
