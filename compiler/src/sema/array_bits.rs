//! Casts of integer arrays to integers (language.md, "Array Casts"): `(uint32)a` of a
//! `uint8_t a[4]` reads the array's bytes as one integer, as the machine stores it
//! (little-endian here). Both sides must have one size. `(uint32)pton("...")`, an
//! array of constant bytes, folds to its integer.

use super::calls::pton;
use super::cast::int_cast;
use super::types::*;
use super::{poisoned, Checker};
use crate::front::ast::{self, ExprKind, Span, TypeBase, TypeName};

/// Bytes of an integer or bool array value; `None` for other values.
fn array_size(ty: Type) -> Option<u32> {
    let Type::Tuple(t) = ty else {
        return None;
    };
    let first = t.fields.first()?;
    (t.array && matches!(first.ty, Type::Int { .. } | Type::Bool)).then_some(t.size)
}

/// The bits and signedness of an integer cast target.
fn int_target(ty: &TypeName) -> Option<(u8, bool)> {
    match (&ty.base, ty.pointers) {
        (TypeBase::Int { bits, signed }, 0) => Some((*bits, *signed)),
        _ => None,
    }
}

/// Little-endian integer of `bytes` (at most 8).
fn le_value(bytes: &[u8]) -> i64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |v, b| (v << 8) | u64::from(*b)) as i64
}

impl Checker {
    /// `pton("text")` as a value: bpftrace's `uint8[4]` (IPv4) or `uint8[16]` (IPv6)
    /// of the address's bytes in network order, an array of constants.
    pub(super) fn pton_value(&mut self, args: &[ast::Expr], span: Span) -> TExpr {
        let Some(bytes) = self.pton_const(args, span) else {
            return poisoned(span);
        };
        let items = bytes
            .iter()
            .map(|b| TExpr {
                kind: TExprKind::Int(i64::from(*b)),
                ty: Type::int(false),
                span,
            })
            .collect();
        TExpr {
            kind: TExprKind::Tuple(items),
            ty: Type::Tuple(super::tuple::array_layout(
                Type::int(false),
                1,
                bytes.len() as u32,
            )),
            span,
        }
    }

    /// `(intN)pton("text")`: the address's bytes as a constant; `None` when `e` is
    /// no `pton` of a literal or `ty` no integer.
    pub(super) fn pton_int_cast(
        &mut self,
        ty: &TypeName,
        e: &ast::Expr,
        span: Span,
    ) -> Option<TExpr> {
        let (bits, signed) = int_target(ty)?;
        let ExprKind::Call { name, args } = &e.kind else {
            return None;
        };
        let [ast::Expr {
            kind: ExprKind::Str(text),
            ..
        }] = args.as_slice()
        else {
            return None;
        };
        if name != "pton" {
            return None;
        }
        let Some(bytes) = pton(text) else {
            self.error(e.span, format!("pton(): '{text}' is not an IP address"));
            return Some(poisoned(span));
        };
        let want = u32::from(bits / 8);
        if bytes.len() as u32 != want {
            self.error(
                span,
                format!(
                    "cannot cast a value of {} bytes to {} ({want} bytes)",
                    bytes.len(),
                    ty.spelling()
                ),
            );
            return Some(poisoned(span));
        }
        let v = TExpr {
            kind: TExprKind::Int(le_value(&bytes)),
            ty: Type::U64,
            span,
        };
        Some(int_cast(v, bits, signed, span))
    }

    /// `(intN)array`: its bytes as an integer; the array back when it is no array
    /// or `ty` no integer.
    pub(super) fn array_int_cast(
        &mut self,
        ty: &TypeName,
        inner: TExpr,
        span: Span,
    ) -> Result<TExpr, TExpr> {
        let (Some((bits, signed)), Some(size)) = (int_target(ty), array_size(inner.ty)) else {
            return Err(inner);
        };
        let want = u32::from(bits / 8);
        if size != want {
            self.error(
                span,
                format!(
                    "cannot cast a value of {size} bytes to {} ({want} bytes)",
                    ty.spelling()
                ),
            );
            return Ok(poisoned(span));
        }
        Ok(TExpr {
            kind: TExprKind::ArrayBits {
                array: Box::new(inner),
                size,
                signed,
            },
            ty: Type::int(signed),
            span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::le_value;

    use super::super::tests::test_ast::src_errors as errors;

    #[test]
    fn bytes_are_little_endian() {
        assert_eq!(le_value(&[0x7f, 0, 0, 1]), 0x0100_007f);
        assert_eq!(le_value(&[0xff; 8]), -1);
    }

    #[test]
    fn casts_need_equal_sizes() {
        let ok = "struct A { unsigned char y[4]; } BEGIN { $a = (struct A *)0; \
                  $x = (int32)$a->y; $p = (uint32)pton(\"127.0.0.1\"); $b = (uint64)(int8[8])5; }";
        assert_eq!(errors(ok), Vec::<String>::new());
        let bad =
            "struct A { unsigned char y[4]; } BEGIN { $a = (struct A *)0; $x = (int64)$a->y; }";
        assert_eq!(
            errors(bad),
            vec!["cannot cast a value of 4 bytes to int64 (8 bytes)".to_string()]
        );
        let bad = "BEGIN { $x = (uint32)pton(\"::1\"); }";
        assert_eq!(
            errors(bad),
            vec!["cannot cast a value of 16 bytes to uint32 (4 bytes)".to_string()]
        );
    }

    #[test]
    fn pton_is_a_value_of_bytes() {
        let ok = "BEGIN { $a = pton(\"10.1.2.3\"); $b = $a[3] << 24; @v6 = pton(\"::1\"); \
                  @k[pton(\"1.2.3.4\")] = 1; }";
        assert_eq!(errors(ok), Vec::<String>::new());
        assert_eq!(
            errors("BEGIN { $a = pton(\"1.2.3\"); }"),
            vec!["pton(): '1.2.3' is not an IP address".to_string()]
        );
        assert_eq!(
            errors("BEGIN { $s = \"::1\"; $a = pton($s); }"),
            vec!["pton() takes one string literal".to_string()]
        );
    }
}
