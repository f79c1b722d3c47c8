//! String stdlib helpers: `strstr(hay, needle)`, `strcap(s)`, `memcmp(a, b, n)`,
//! `str_concat(a, b)`. Lowered by `lower/stdlib.rs` (unrolled loops over the
//! strings' fixed sizes, as `strcontains`).

use super::stdlib::StdlibExpr;
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};

/// bpftrace's `str_concat` result: a `string[1024]`, never larger.
pub const CONCAT_MAX: u32 = 1024;

/// `strstr` of two constant C strings: the byte index of `needle` in `hay`, or -1.
pub fn strstr_const(hay: &str, needle: &str) -> i64 {
    let cut = |s: &str| s.split('\0').next().unwrap_or("").to_string();
    let (h, n) = (cut(hay), cut(needle));
    h.find(&n).map_or(-1, |i| i as i64)
}

fn stdlib(e: StdlibExpr, ty: Type, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Stdlib(Box::new(e)),
        ty,
        span,
    }
}

impl Checker {
    pub(super) fn stdlib_str_expr(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        let want = match name {
            "strstr" | "str_concat" => 2,
            "strcap" => 1,
            "memcmp" => 3,
            _ => return None,
        };
        if args.len() != want {
            self.error(
                span,
                super::functions::arity_error(
                    name,
                    if want == 1 {
                        "1 argument"
                    } else if want == 2 {
                        "2 arguments"
                    } else {
                        "3 arguments"
                    },
                    args.len(),
                ),
            );
            return Some(poisoned(span));
        }
        let mut strs = Vec::new();
        for a in &args[..want.min(2)] {
            let t = self.expr(cx, a);
            match t.ty {
                Type::Str { .. } => strs.push(t),
                Type::Unknown => return Some(poisoned(span)),
                _ if name == "memcmp" && t.ty.is_mem() => strs.push(t),
                _ => {
                    self.error(
                        t.span,
                        "string-like values must be either strings, arrays or pointers",
                    );
                    return Some(poisoned(span));
                }
            }
        }
        Some(match name {
            "strcap" => {
                let size = strs[0].ty.storage_size();
                TExpr {
                    kind: TExprKind::Int(i64::from(size)),
                    ty: Type::I64,
                    span,
                }
            }
            "strstr" => {
                let needle = strs.pop().unwrap_or_else(|| poisoned(span));
                let hay = strs.pop().unwrap_or_else(|| poisoned(span));
                if let (TExprKind::Str(h), TExprKind::Str(n)) = (&hay.kind, &needle.kind) {
                    return Some(TExpr {
                        kind: TExprKind::Int(strstr_const(h, n)),
                        ty: Type::I64,
                        span,
                    });
                }
                stdlib(StdlibExpr::StrStr { hay, needle }, Type::I64, span)
            }
            "str_concat" => {
                let b = strs.pop().unwrap_or_else(|| poisoned(span));
                let a = strs.pop().unwrap_or_else(|| poisoned(span));
                let size = (a.ty.storage_size() + b.ty.storage_size()).min(CONCAT_MAX);
                stdlib(StdlibExpr::StrConcat { a, b }, Type::Str { size }, span)
            }
            _ => {
                let count = match args[2].kind {
                    ExprKind::Int(n) => n.min(u64::from(CONCAT_MAX)) as u32,
                    _ => {
                        self.error(
                            args[2].span,
                            "memcmp(): the count must be an integer literal",
                        );
                        return Some(poisoned(span));
                    }
                };
                let rhs = strs.pop().unwrap_or_else(|| poisoned(span));
                let lhs = strs.pop().unwrap_or_else(|| poisoned(span));
                stdlib(StdlibExpr::MemCmp { lhs, rhs, count }, Type::I64, span)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strstr_constants() {
        assert_eq!(strstr_const("hello", "ll"), 2);
        assert_eq!(strstr_const("hello", ""), 0);
        assert_eq!(strstr_const("hello", "x"), -1);
        assert_eq!(strstr_const("he\0llo", "ll"), -1);
    }
}
