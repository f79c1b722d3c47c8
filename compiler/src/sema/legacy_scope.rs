//! Scripts written for probe-wide variables.
//!
//! Scratch variables are block scoped (the reference: "cannot be accessed outside of
//! their lexical block"), but bpftrace before block scoping gave every `$var` the whole
//! probe, and scripts of that time (Debian's `tcpconnect.bt`, `tcpdrop.bt`) assign a
//! variable in both branches of an `if` and read it after. Under block scoping that read
//! is an error; here it is accepted with a warning: a variable read where no declaration
//! is visible, after a block that assigned it has closed, is declared for the whole
//! probe (`let $name;` at the top of its body, so it starts as 0 as it did then).
//! Scripts valid under block scoping are never changed.

use crate::diag::Diagnostic;
use crate::front::ast::{Block, Expr, ExprKind, ForIter, Program, Span, Stmt, StmtKind};
use std::collections::HashSet;

/// A copy of `program` with the probe-wide variables declared, and a warning for each;
/// `None` when the script needs none.
pub fn hoist(program: &Program) -> Option<(Program, Vec<Diagnostic>)> {
    let mut out: Option<Program> = None;
    let mut warnings = Vec::new();
    for (i, probe) in program.probes.iter().enumerate() {
        let mut w = Walk::default();
        if let Some(p) = &probe.predicate {
            w.expr(p);
        }
        w.block(&probe.body);
        // A name the probe declares itself (`let`, a loop variable) is block scoped
        // by intent: left to the ordinary checks.
        w.hoisted.retain(|(n, _)| !w.declared.contains(n));
        if w.hoisted.is_empty() {
            continue;
        }
        let prog = out.get_or_insert_with(|| program.clone());
        let body = &mut prog.probes[i].body;
        let lets = w.hoisted.iter().map(|(name, _)| Stmt {
            kind: StmtKind::Let {
                name: name.clone(),
                ty: None,
                value: None,
            },
            span: Span::new(body.span.start as usize, body.span.start as usize),
        });
        body.stmts.splice(0..0, lets);
        for (name, span) in w.hoisted {
            warnings.push(
                Diagnostic::warning(
                    span,
                    format!("variable '${name}' is used outside the block that assigns it"),
                )
                .with_note(format!(
                    "variables are block scoped; as in older bpftrace, '${name}' is declared for the whole probe (write `let ${name};` at the top of the probe to say so)"
                )),
            );
        }
    }
    out.map(|p| (p, warnings))
}

/// One probe's walk: the names visible per block, and those assigned in blocks that
/// have closed.
#[derive(Default)]
struct Walk {
    scopes: Vec<Vec<String>>,
    closed: HashSet<String>,
    /// Names to declare for the whole probe, with their first out-of-scope read.
    hoisted: Vec<(String, Span)>,
    /// Names declared with `let` or as loop variables.
    declared: HashSet<String>,
}

impl Walk {
    fn visible(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.iter().any(|n| n == name))
    }

    fn declare(&mut self, name: &str) {
        if !self.visible(name) {
            if let Some(s) = self.scopes.last_mut() {
                s.push(name.to_string());
            }
        }
    }

    fn read(&mut self, name: &str, span: Span) {
        if !self.visible(name)
            && self.closed.contains(name)
            && !self.hoisted.iter().any(|(n, _)| n == name)
        {
            self.hoisted.push((name.to_string(), span));
        }
    }

    fn scoped(&mut self, f: impl FnOnce(&mut Walk)) {
        self.scopes.push(Vec::new());
        f(self);
        if let Some(names) = self.scopes.pop() {
            self.closed.extend(names);
        }
    }

    fn block(&mut self, b: &Block) {
        self.scoped(|w| w.stmts(&b.stmts));
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Assign { target, op, value } => {
                self.expr(value);
                match &target.kind {
                    ExprKind::Var(name) => {
                        if op.is_some() {
                            self.read(name, target.span);
                        }
                        self.declare(name);
                    }
                    _ => self.expr(target),
                }
            }
            StmtKind::Incr { target, .. } => self.expr(target),
            StmtKind::If { cond, then, els } => {
                self.expr(cond);
                self.block(then);
                if let Some(b) = els {
                    self.block(b);
                }
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::Let { name, value, .. } => {
                if let Some(v) = value {
                    self.expr(v);
                }
                self.declared.insert(name.clone());
                if let Some(s) = self.scopes.last_mut() {
                    s.push(name.clone());
                }
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.block(body);
            }
            StmtKind::Unroll { count, body } => {
                self.expr(count);
                self.block(body);
            }
            StmtKind::For { var, iter, body } => {
                match iter {
                    ForIter::Range { start, end } => {
                        self.expr(start);
                        self.expr(end);
                    }
                    ForIter::Map(m) => self.expr(m),
                }
                self.declared.insert(var.clone());
                self.scoped(|w| {
                    w.declare(var);
                    w.stmts(&body.stmts);
                });
            }
            StmtKind::Break | StmtKind::Continue => {}
            StmtKind::Return(v) => {
                if let Some(v) = v {
                    self.expr(v);
                }
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Var(name) => self.read(name, e.span),
            ExprKind::Block { stmts, value } => self.scoped(|w| {
                w.stmts(stmts);
                w.expr(value);
            }),
            _ => e.children().into_iter().for_each(|c| self.expr(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hoisted(src: &str) -> Vec<String> {
        let program = crate::front::parse(src).expect("parses");
        match hoist(&program) {
            None => Vec::new(),
            Some((p, warnings)) => {
                let lets: Vec<String> = p.probes[0]
                    .body
                    .stmts
                    .iter()
                    .map_while(|s| match &s.kind {
                        StmtKind::Let {
                            name, value: None, ..
                        } => Some(name.clone()),
                        _ => None,
                    })
                    .collect();
                assert_eq!(lets.len(), warnings.len());
                lets
            }
        }
    }

    #[test]
    fn reads_after_the_assigning_block_are_declared_for_the_probe() {
        let src = "BEGIN { if (1) { $a = 1; $b = 2; } else { $a = 3; } print($a); }";
        assert_eq!(hoisted(src), ["a"]);
        let nested = "BEGIN { if (1) { if (2) { $s = \"x\"; } printf(\"%s\", $s); } }";
        assert_eq!(hoisted(nested), ["s"]);
        let compound = "BEGIN { while (1) { $n = 1; } $n += 1; }";
        assert_eq!(hoisted(compound), ["n"]);
    }

    #[test]
    fn block_scoped_scripts_are_untouched() {
        for src in [
            "BEGIN { $a = 1; if (1) { $a = 2; } print($a); }",
            "BEGIN { let $a; if (1) { $a = 2; } print($a); }",
            "BEGIN { if (1) { $a = 1; print($a); } else { $a = \"s\"; print($a); } }",
            // Never assigned anywhere: stays the ordinary error.
            "BEGIN { print($nowhere); }",
            "BEGIN { for ($i : 0..3) { print($i); } }",
            // Loop variables and `let`s are block scoped by intent.
            "BEGIN { @m[1] = 1; for ($kv : @m) { } print($kv); }",
            "BEGIN { if (1) { let $x = 1; } print($x); }",
        ] {
            assert!(hoisted(src).is_empty(), "{src}");
        }
    }
}
