//! `string` and `string[N]` as declared types: `let $s: string;` holds strings of
//! any size (its size grows with what is assigned, as an undeclared variable's does),
//! `let $s: string[N] = ...` holds strings of at most `N` bytes (the terminating NUL
//! included), and assigning a larger one is an error. `typeof($s)` of a string
//! variable is `string[N]` of its size.

use super::types::{TExpr, Type};
use super::{poisoned, Checker, ProbeCx, VarId};
use crate::front::ast::{Span, TypeBase, TypeName};

/// The type name `string`.
const STRING: &str = "string";

/// Whether `t` is the bare name `string`.
pub(super) fn is_string_name(t: &TypeName) -> bool {
    matches!(&t.base, TypeBase::Named(n) if n == STRING) && t.pointers == 0
}

/// The string a declared type names: `Some(None)` for `string`, `Some(Some(n))` for
/// `string[n]`, `None` for any other type.
pub(super) fn string_decl(t: &TypeName) -> Option<Option<u32>> {
    if t.pointers != 0 {
        return None;
    }
    match &t.base {
        TypeBase::Named(n) if n == STRING => Some(None),
        TypeBase::Array { elem, len } if is_string_name(elem) => Some(Some(len.unwrap_or(0))),
        _ => None,
    }
}

/// The type name of a string of `size` bytes, `string[size]`.
pub(super) fn string_type_name(size: u32, span: Span) -> TypeName {
    let elem = TypeName {
        base: TypeBase::Named(STRING.into()),
        pointers: 0,
        span,
    };
    TypeName {
        base: TypeBase::Array {
            elem: Box::new(elem),
            len: Some(size),
        },
        pointers: 0,
        span,
    }
}

impl Checker {
    /// `(string)e` / `(string[N])e`: a string as a string of `N` bytes (at least its
    /// own size); nothing else converts to a string.
    pub(super) fn string_cast(
        &mut self,
        cx: &mut ProbeCx,
        size: Option<u32>,
        e: &crate::front::ast::Expr,
        span: Span,
    ) -> TExpr {
        let inner = self.expr(cx, e);
        match (inner.ty, size) {
            (Type::Unknown, _) => poisoned(span),
            (Type::Str { .. }, None) => TExpr { span, ..inner },
            (Type::Str { size: have }, Some(n)) if have <= n && n > 0 => TExpr {
                ty: Type::Str { size: n },
                span,
                ..inner
            },
            (other, _) => {
                let to = size.map_or("string".to_string(), |n| format!("string[{n}]"));
                self.error(span, format!("cannot cast {} to {to}", other.describe()));
                poisoned(span)
            }
        }
    }

    /// The variable type a `string`/`string[N]` declaration gives, with its capacity.
    pub(super) fn declared_string(&mut self, t: &TypeName) -> Option<(Type, Option<u32>)> {
        match string_decl(t)? {
            None => Some((Type::Str { size: 1 }, None)),
            Some(0) => {
                self.error(
                    t.span,
                    "a string type needs a size of at least 1, e.g. string[16]",
                );
                None
            }
            Some(n) => Some((Type::Str { size: n }, Some(n))),
        }
    }

    /// The type a string assignment leaves `var` with: at most its declared capacity,
    /// with an error when `value` does not fit.
    pub(super) fn capped_string(
        &mut self,
        cx: &ProbeCx,
        var: VarId,
        new: Type,
        value: &Type,
        span: Span,
    ) -> Type {
        let Some(&cap) = cx.vars.str_caps.get(&var.0) else {
            return new;
        };
        match (new, value) {
            (Type::Str { .. }, Type::Str { size }) => {
                if *size > cap {
                    let name = cx.vars.vars[var.0 as usize].0.clone();
                    self.error(
                        span,
                        format!(
                            "cannot assign a string[{size}] to ${name}, declared string[{cap}]"
                        ),
                    );
                }
                Type::Str { size: cap }
            }
            (other, _) => other,
        }
    }
}
