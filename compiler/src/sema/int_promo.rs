//! bpftrace's integer types and their promotion rules. Registers are 64 bits here;
//! what bpftrace's types change is what `sizeof`/`typeof` say, how values print
//! (signed or not) and which comparisons are signed:
//!
//! - a non-negative literal is *sign flexible*: it takes the signedness of the value
//!   it meets (`(uint32)5 + 1` is unsigned);
//! - arithmetic is 64 bits wide, signed when either side is signed and always for
//!   `-`; comparisons are signed when either side is;
//! - a variable, a map value or a `?:` unifies the types it holds: the same sign
//!   keeps the wider type; mixed signs give a signed type wide enough for both
//!   (`uint8` and `int8` make `int16`), `int64` when none is;
//! - builtins have their own widths (`pid` and `tid` are `uint32`).

/// bpftrace's type of an integer value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct IntTy {
    pub signed: bool,
    /// 1, 2, 4 or 8.
    pub bytes: u32,
    /// A non-negative literal (or only ever assigned those): its sign adapts.
    pub flexible: bool,
}

impl IntTy {
    /// A plain (not flexible) integer type.
    pub const fn new(signed: bool, bytes: u32) -> IntTy {
        IntTy {
            signed,
            bytes,
            flexible: false,
        }
    }

    /// The 64-bit integer of that signedness (arithmetic results).
    pub const fn wide(signed: bool) -> IntTy {
        IntTy::new(signed, 8)
    }

    /// The type of literal `v` (`-v` written as a negation): the smallest signed
    /// type holding it, flexible when not negative; above `int64` a `uint64`.
    pub fn literal(v: i128) -> IntTy {
        let bytes = if i8::try_from(v).is_ok() {
            1
        } else if i16::try_from(v).is_ok() {
            2
        } else if i32::try_from(v).is_ok() {
            4
        } else {
            8
        };
        if v > i128::from(i64::MAX) {
            return IntTy::new(false, 8);
        }
        IntTy {
            signed: true,
            bytes,
            flexible: v >= 0,
        }
    }

    /// The type a variable or map value holding `self` has once `new` is assigned
    /// too (bpftrace's integer promotion).
    pub fn promote(self, new: IntTy) -> IntTy {
        let bytes = self.bytes.max(new.bytes);
        let flexible = self.flexible && new.flexible;
        if self.signed == new.signed {
            return IntTy {
                signed: self.signed,
                bytes,
                flexible,
            };
        }
        if self.flexible || new.flexible {
            // The flexible side adopts the other's sign.
            let signed = (!self.flexible && self.signed) || (!new.flexible && new.signed);
            return IntTy {
                signed,
                bytes,
                flexible,
            };
        }
        if self.signed && self.bytes > new.bytes {
            return IntTy::new(true, self.bytes);
        }
        if new.signed && new.bytes > self.bytes {
            return IntTy::new(true, new.bytes);
        }
        IntTy::new(true, (bytes * 2).min(8))
    }

    /// `self` as it meets `other` in an operation: a flexible side takes the other's sign.
    fn adopt(self, other: IntTy) -> bool {
        if self.flexible && !other.flexible {
            other.signed
        } else {
            self.signed
        }
    }
}

/// Whether `l OP r` is signed: either side signed once flexible literals adopt the
/// other side's sign; a subtraction always is (`sub` true).
pub(super) fn op_signed(l: IntTy, r: IntTy, sub: bool) -> bool {
    sub || l.adopt(r) || r.adopt(l)
}

/// The width in bytes of builtin `name` (`pid`, `__builtin_tid`) where bpftrace's
/// type is narrower than 64 bits.
pub(super) fn builtin_bytes(name: &str) -> Option<u32> {
    match name.strip_prefix("__builtin_").unwrap_or(name) {
        "pid" | "tid" => Some(4),
        "usermode" => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I8: IntTy = IntTy::new(true, 1);
    const U8: IntTy = IntTy::new(false, 1);
    const I16: IntTy = IntTy::new(true, 2);
    const U32: IntTy = IntTy::new(false, 4);
    const I32: IntTy = IntTy::new(true, 4);
    const I64: IntTy = IntTy::new(true, 8);
    const U64: IntTy = IntTy::new(false, 8);

    #[test]
    fn literals() {
        assert_eq!(
            IntTy::literal(1),
            IntTy {
                signed: true,
                bytes: 1,
                flexible: true
            }
        );
        assert_eq!(IntTy::literal(-1), I8);
        assert_eq!(IntTy::literal(-1000), I16);
        assert_eq!(IntTy::literal(100_000).bytes, 4);
        assert_eq!(IntTy::literal(1 << 40).bytes, 8);
        assert_eq!(IntTy::literal(i128::from(u64::MAX)), U64);
    }

    #[test]
    fn same_sign_keeps_the_wider() {
        assert_eq!(I8.promote(I32), I32);
        assert_eq!(U64.promote(U8), U64);
        assert_eq!(U8.promote(U32), U32);
    }

    #[test]
    fn mixed_signs_widen_to_a_signed_type() {
        assert_eq!(U8.promote(I8), I16);
        assert_eq!(I8.promote(U8), I16);
        assert_eq!(U32.promote(I8), I64);
        assert_eq!(I32.promote(U8), I32);
        assert_eq!(U8.promote(I32), I32);
        // Nothing holds both a uint64 and an int64: int64.
        assert_eq!(U64.promote(I64), I64);
        assert_eq!(I64.promote(U64), I64);
    }

    #[test]
    fn flexible_literals_adopt_the_other_sign() {
        let one = IntTy::literal(1);
        assert_eq!(one.promote(U32), U32);
        assert_eq!(U64.promote(one), U64);
        assert_eq!(IntTy::literal(1000).promote(U8), IntTy::new(false, 2));
        // Two flexible values stay flexible.
        assert!(one.promote(IntTy::literal(300)).flexible);
        assert_eq!(one.promote(IntTy::literal(-1)), I8);
    }

    #[test]
    fn operation_signedness() {
        let one = IntTy::literal(1);
        assert!(!op_signed(U32, one, false));
        assert!(op_signed(U32, one, true));
        assert!(op_signed(U8, I8, false));
        assert!(op_signed(I8, U64, false));
        assert!(!op_signed(U8, U64, false));
        assert!(op_signed(one, one, false));
        assert!(op_signed(one, IntTy::literal(-1), false));
    }

    #[test]
    fn builtins() {
        assert_eq!(builtin_bytes("pid"), Some(4));
        assert_eq!(builtin_bytes("__builtin_tid"), Some(4));
        assert_eq!(builtin_bytes("nsecs"), None);
    }
}
