//! Integer arrays built from their elements, as imported C builds them (`csub`
//! turns a struct member `u32 slots[4]` of a map value into
//! `__tracec_array_u32(a, b, c, d)`): an array value ([`Type::Tuple`] with an array
//! layout) whose element `i` is argument `i`, stored as the element type (integers
//! truncated, bools 0 or 1). It prints as bpftrace prints an `int[N]`: `[1,2,3,4]`.
//! A `char[N]` member is a string, `__tracec_str(b0, ...)`: the bytes as a
//! `string[N]` (`lower/str_bytes.rs`).

use super::cast::bool_cast;
use super::tuple::array_layout;
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, Span};

/// The prefix of the builders' names; the suffix names the element type.
const PREFIX: &str = "__tracec_array_";

/// The element type and size of the builder `name` (`None`: not a builder).
fn element(name: &str) -> Option<(Type, u32)> {
    let suffix = name.strip_prefix(PREFIX)?;
    if suffix == "bool" {
        return Some((Type::Bool, 1));
    }
    let (signed, bits) = match suffix.split_at_checked(1)? {
        ("u", bits) => (false, bits),
        ("s", bits) => (true, bits),
        _ => return None,
    };
    let size = match bits {
        "8" => 1,
        "16" => 2,
        "32" => 4,
        "64" => 8,
        _ => return None,
    };
    Some((Type::int(signed), size))
}

/// The string builder: `__tracec_str(b0, ..., bN-1)` is the `string[N]` of those
/// bytes (a C `char[N]` member; bpftrace reads `char` arrays as strings).
pub const STR_BUILDER: &str = "__tracec_str";

/// Whether `name` is an array or string builder.
pub fn known(name: &str) -> bool {
    name == STR_BUILDER || element(name).is_some()
}

/// The builder's name for elements of `bits` bits (`signed`), or of `bool`s.
pub fn builder_name(bits: u8, signed: bool, is_bool: bool) -> String {
    if is_bool {
        format!("{PREFIX}bool")
    } else {
        format!("{PREFIX}{}{bits}", if signed { 's' } else { 'u' })
    }
}

impl Checker {
    /// `__tracec_array_T(e0, e1, ...)`; `None` for other names.
    pub(super) fn array_build(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        let string = name == STR_BUILDER;
        let (ety, esize) = if string {
            (Type::int(true), 1)
        } else {
            element(name)?
        };
        if args.is_empty() {
            self.error(span, "an array needs at least one element");
            return Some(poisoned(span));
        }
        let mut items = Vec::with_capacity(args.len());
        let mut bad = false;
        for a in args {
            let t = self.expr(cx, a);
            match t.ty {
                Type::Int { .. } | Type::Bool => {}
                Type::Unknown => bad = true,
                other => {
                    self.error(
                        a.span,
                        format!(
                            "an array element must be an integer, not {}",
                            other.describe()
                        ),
                    );
                    bad = true;
                }
            }
            items.push(match ety {
                Type::Bool => bool_cast(t, a.span),
                _ => TExpr { ty: ety, ..t },
            });
        }
        if bad {
            return Some(poisoned(span));
        }
        let len = u32::try_from(items.len()).unwrap_or(u32::MAX);
        // A string's bytes are lowered by `lower/str_bytes.rs`.
        let ty = if string {
            Type::Str { size: len }
        } else {
            Type::Tuple(array_layout(ety, esize, len))
        };
        Some(TExpr {
            kind: TExprKind::Tuple(items),
            ty,
            span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_element_types() {
        assert_eq!(element("__tracec_array_u32"), Some((Type::int(false), 4)));
        assert_eq!(element("__tracec_array_s8"), Some((Type::int(true), 1)));
        assert_eq!(element("__tracec_array_u64"), Some((Type::int(false), 8)));
        assert_eq!(element("__tracec_array_bool"), Some((Type::Bool, 1)));
        assert_eq!(element("__tracec_array_u24"), None);
        assert_eq!(element("__tracec_array_"), None);
        assert_eq!(element("__tracec_array_x32"), None);
        assert_eq!(element("array_u32"), None);
        assert_eq!(builder_name(16, true, false), "__tracec_array_s16");
        assert_eq!(builder_name(8, false, true), "__tracec_array_bool");
        assert!(known(&builder_name(32, false, false)));
        assert!(known(STR_BUILDER));
        assert!(!known("__tracec_string"));
    }
}
