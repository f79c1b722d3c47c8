//! Integer and bool arrays (`int8[8]`, `uint32[]`, `bool[2]`): casts of an integer or a
//! string to an array reinterpret its bytes (little-endian, as the machine stores
//! them). An array is a [`Type::Tuple`] whose layout has `array` set: its elements
//! sit one after another, `a[i]` reads one, and it prints as `[1,2,3]`.

use super::cast::{bool_cast, int_cast};
use super::tuple::array_layout;
use super::types::*;
use super::{poisoned, Checker};
use crate::front::ast::{self, ExprKind, Span, TypeBase, TypeName};

fn konst(v: i64, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Int(v),
        ty: Type::U64,
        span,
    }
}

fn arith(op: Arith, lhs: TExpr, rhs: TExpr, span: Span) -> TExpr {
    if let (TExprKind::Int(a), TExprKind::Int(b)) = (&lhs.kind, &rhs.kind) {
        let (a, b) = (*a as u64, *b as u64);
        let v = match op {
            Arith::Shr { .. } => a.checked_shr(b as u32).unwrap_or(0),
            Arith::Shl => a.checked_shl(b as u32).unwrap_or(0),
            Arith::And => a & b,
            Arith::Or => a | b,
            _ => 0,
        };
        return konst(v as i64, span);
    }
    TExpr {
        kind: TExprKind::Arith {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        ty: Type::U64,
        span,
    }
}

/// Bytes of the integer `e` (checked as `t`) as bpftrace stores it: a cast's size, a
/// kernel field's size, else 8 (literals are 64-bit here).
fn source_int_size(e: &ast::Expr, t: &TExpr) -> u32 {
    match (&e.kind, &t.kind) {
        (ExprKind::Cast { ty, .. }, _) if ty.pointers == 0 => match ty.base {
            TypeBase::Int { bits, .. } => u32::from(bits / 8).clamp(1, 8),
            TypeBase::Bool => 1,
            _ => 8,
        },
        (
            _,
            TExprKind::KernelField {
                read: KernelRead::Int { size, .. },
                ..
            },
        ) => *size,
        _ => 8,
    }
}

impl Checker {
    /// `(elem[len])inner` (`len` `None`: as many elements as the value has bytes).
    pub(super) fn array_cast(
        &mut self,
        elem: &TypeName,
        len: Option<u32>,
        inner: TExpr,
        e: &ast::Expr,
        span: Span,
    ) -> TExpr {
        let (esize, ety) = match (&elem.base, elem.pointers) {
            (TypeBase::Int { bits, signed }, 0) => {
                (u32::from(*bits / 8).clamp(1, 8), Type::int(*signed))
            }
            (TypeBase::Bool, 0) => (1, Type::Bool),
            _ => {
                self.error(
                    elem.span,
                    format!(
                        "arrays of {} are not supported; use an integer or bool element type",
                        elem.spelling()
                    ),
                );
                return poisoned(span);
            }
        };
        let src_size = match inner.ty {
            Type::Int { .. } | Type::Bool => source_int_size(e, &inner),
            Type::Str { size } => size,
            other => {
                self.error(
                    span,
                    format!("cannot cast {} to an array", other.describe()),
                );
                return poisoned(span);
            }
        };
        let n = len.unwrap_or(src_size / esize);
        if n == 0 || n.saturating_mul(esize) != src_size {
            let want = match len {
                Some(l) => format!("{}[{l}]", elem.spelling()),
                None => format!("{}[]", elem.spelling()),
            };
            self.error(
                span,
                format!(
                    "cannot cast a value of {src_size} bytes to {want} ({} bytes)",
                    n.saturating_mul(esize)
                ),
            );
            return poisoned(span);
        }
        let bits = (esize * 8) as u8;
        let items = (0..n)
            .map(|i| {
                let raw = self.array_bytes(&inner, i * esize, esize, span);
                match ety {
                    Type::Bool => bool_cast(raw, span),
                    _ => int_cast(raw, bits, ety.is_signed(), span),
                }
            })
            .collect();
        TExpr {
            kind: TExprKind::Tuple(items),
            ty: Type::Tuple(array_layout(ety, esize, n)),
            span,
        }
    }

    /// The `len` bytes at byte `off` of integer or string `v`, as an unsigned integer.
    fn array_bytes(&mut self, v: &TExpr, off: u32, len: u32, span: Span) -> TExpr {
        if let Type::Str { .. } = v.ty {
            let mut acc: Option<TExpr> = None;
            for k in 0..len {
                let byte = match &v.kind {
                    TExprKind::Str(s) => {
                        let b = s.as_bytes().get((off + k) as usize).copied().unwrap_or(0);
                        konst(i64::from(b), span)
                    }
                    _ => {
                        let c = TExpr {
                            kind: TExprKind::StrIndex {
                                base: Box::new(v.clone()),
                                index: Box::new(konst(i64::from(off + k), span)),
                            },
                            ty: Type::I64,
                            span,
                        };
                        arith(Arith::And, c, konst(0xff, span), span)
                    }
                };
                let shifted = arith(Arith::Shl, byte, konst(i64::from(8 * k), span), span);
                acc = Some(match acc {
                    None => shifted,
                    Some(a) => arith(Arith::Or, a, shifted, span),
                });
            }
            return acc.unwrap_or_else(|| konst(0, span));
        }
        let plain = TExpr {
            ty: Type::U64,
            ..v.clone()
        };
        arith(
            Arith::Shr { signed: false },
            plain,
            konst(i64::from(off * 8), span),
            span,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_shifts_fold() {
        let s = Span::default();
        let v = arith(
            Arith::Shr { signed: false },
            konst(0x3039, s),
            konst(8, s),
            s,
        );
        assert_eq!(v.kind, TExprKind::Int(0x30));
        let v = arith(Arith::Shl, konst(0xff, s), konst(8, s), s);
        assert_eq!(v.kind, TExprKind::Int(0xff00));
        let v = arith(Arith::Shr { signed: false }, konst(-1, s), konst(64, s), s);
        assert_eq!(v.kind, TExprKind::Int(0));
    }
}
