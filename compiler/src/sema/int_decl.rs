//! Integer declarations: `let $a: uint16 ...` fixes the variable's type. Every value
//! assigned to it is converted to that type (truncated, then zero- or sign-extended,
//! as a cast would), an integer literal that does not fit is an error (bpftrace wants
//! an explicit cast, `let $a: uint16 = (uint16)-1;`), and other values that may not
//! fit get the implicit-cast warning (`int_assign.rs`). The declared type is never
//! promoted by what is assigned.

use super::cast::int_cast;
use super::int_promo::IntTy;
use super::types::*;
use super::{Checker, ProbeCx, VarId};
use crate::front::ast::{TypeBase, TypeName};

/// The integer type a resolved declaration names (`uint16`, not `uint16 *`).
pub(super) fn declared_int(t: &TypeName) -> Option<IntTy> {
    match (&t.base, t.pointers) {
        (TypeBase::Int { bits, signed }, 0) => {
            Some(IntTy::new(*signed, (u32::from(*bits) / 8).clamp(1, 8)))
        }
        _ => None,
    }
}

/// Whether the constant `v` (unsigned when `unsigned`) is a value of `ty`.
fn literal_fits(v: i64, unsigned: bool, ty: IntTy) -> bool {
    let v = if unsigned {
        i128::from(v as u64)
    } else {
        i128::from(v)
    };
    let bits = ty.bytes * 8;
    if ty.signed {
        let half = 1i128 << (bits - 1);
        (-half..half).contains(&v)
    } else {
        (0..(1i128 << bits)).contains(&v)
    }
}

fn spelling(ty: IntTy) -> String {
    format!("{}int{}", if ty.signed { "" } else { "u" }, ty.bytes * 8)
}

impl Checker {
    /// Records (or forgets) `var`'s declared integer type.
    pub(super) fn declare_int(&mut self, cx: &mut ProbeCx, var: VarId, ty: Option<IntTy>) {
        match ty {
            Some(t) => {
                cx.vars.int_decls.insert(var.0, t);
                if let Some(slot) = cx.vars.widths.get_mut(var.0 as usize) {
                    *slot = Some(t);
                }
            }
            None => {
                cx.vars.int_decls.remove(&var.0);
            }
        }
    }

    /// `v` as assigned to `var`: converted to its declared integer type, if any.
    pub(super) fn convert_to_declared_int(&mut self, cx: &ProbeCx, var: VarId, v: TExpr) -> TExpr {
        let Some(&decl) = cx.vars.int_decls.get(&var.0) else {
            return v;
        };
        let Type::Int { .. } = v.ty else {
            return v;
        };
        if let TExprKind::Int(n) = v.kind {
            if !literal_fits(n, !v.ty.is_signed(), decl) {
                let shown = if v.ty.is_signed() {
                    n.to_string()
                } else {
                    (n as u64).to_string()
                };
                let name = &cx.vars.vars[var.0 as usize].0;
                let ty = spelling(decl);
                self.error(
                    v.span,
                    format!(
                        "{shown} does not fit in ${name}, declared {ty}; \
                         cast it explicitly, e.g. ({ty}){shown}"
                    ),
                );
            }
        }
        let span = v.span;
        int_cast(v, (decl.bytes * 8) as u8, decl.signed, span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_ranges() {
        let u16t = IntTy::new(false, 2);
        let i8t = IntTy::new(true, 1);
        assert!(literal_fits(65535, false, u16t));
        assert!(!literal_fits(65536, false, u16t));
        assert!(!literal_fits(-1, false, u16t));
        assert!(literal_fits(-128, false, i8t));
        assert!(!literal_fits(128, false, i8t));
        // 2^64 - 1 as an unsigned literal.
        assert!(literal_fits(-1, true, IntTy::new(false, 8)));
        assert!(!literal_fits(-1, true, IntTy::new(true, 8)));
    }
}
