//! The helpers taking string literals: `bpf_printk("fmt", args...)` becomes the
//! script's `debugf` (which writes to the trace pipe as bpf_printk does), and
//! `__builtin_memcmp(a, b, n)` compares `n` bytes (a constant count) of arrays,
//! pointers or string literals, giving C's result: the difference of the first
//! unequal bytes (as `unsigned char`), or 0.

use super::inline::{binary, cast, expr, int, let_, var, Frame, Inliner};
use super::{unsupported, CExpr, CExprKind};
use crate::front::ast::{BinOp, Expr, ExprKind, Span};

/// How many bytes `memcmp` may compare (each is a read and a variable).
const MAX_MEMCMP: u64 = 64;

impl<'a> Inliner<'a> {
    /// `bpf_printk(fmt, args...)`: `debugf(fmt, args...)`.
    pub(super) fn printk(&mut self, fr: &mut Frame<'a>, args: &[CExpr], sp: Span) -> Expr {
        let CExprKind::Str(fmt) = &args[0].kind else {
            self.diags.push(unsupported(
                args[0].span,
                "a bpf_printk format that is not a string literal",
            ));
            return int(0, sp);
        };
        let mut out = vec![expr(ExprKind::Str(fmt.clone()), args[0].span)];
        for a in &args[1..] {
            out.push(self.value(fr, a));
        }
        expr(
            ExprKind::Call {
                name: "debugf".into(),
                args: out,
            },
            sp,
        )
    }

    /// `memcmp(a, b, n)`.
    pub(super) fn memcmp(&mut self, fr: &mut Frame<'a>, args: &[CExpr], sp: Span) -> Expr {
        let n = match super::parse_type::const_value(&args[2]) {
            Some(n) if n <= MAX_MEMCMP => n,
            Some(_) => {
                self.diags.push(unsupported(
                    args[2].span,
                    &format!("comparing more than {MAX_MEMCMP} bytes"),
                ));
                return int(0, sp);
            }
            None => {
                self.diags.push(unsupported(
                    args[2].span,
                    "a memcmp length that is not a constant",
                ));
                return int(0, sp);
            }
        };
        let mut stmts = Vec::new();
        let mut bytes: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        for (side, a) in args[..2].iter().enumerate() {
            for i in 0..n {
                let b = match &a.kind {
                    CExprKind::Str(s) => {
                        let byte = s.as_bytes().get(i as usize).copied().unwrap_or(0);
                        cast(64, true, int(u64::from(byte), a.span))
                    }
                    _ => {
                        let at = CExpr {
                            kind: CExprKind::Index {
                                base: Box::new(a.clone()),
                                index: Box::new(CExpr {
                                    kind: CExprKind::Int(i),
                                    span: a.span,
                                }),
                            },
                            span: a.span,
                        };
                        let v = self.value(fr, &at);
                        cast(64, true, cast(8, false, v))
                    }
                };
                let t = fr.temp();
                stmts.push(let_(t.clone(), b, a.span));
                bytes[side].push(t);
            }
        }
        // From the last byte back: the first difference wins.
        let mut result = int(0, sp);
        for i in (0..n as usize).rev() {
            let (a, b) = (var(&bytes[0][i], sp), var(&bytes[1][i], sp));
            result = expr(
                ExprKind::Ternary {
                    cond: Box::new(binary(BinOp::Ne, a.clone(), b.clone())),
                    then: Box::new(cast(32, true, binary(BinOp::Sub, a, b))),
                    els: Box::new(cast(32, true, result)),
                },
                sp,
            );
        }
        expr(
            ExprKind::Block {
                stmts,
                value: Box::new(cast(32, true, result)),
            },
            sp,
        )
    }
}
