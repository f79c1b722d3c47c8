//! C type names in casts, `sizeof` and declarations: bpftrace's own (`uint32`,
//! `bool`), C's integer spellings (`unsigned int`, `long long`, `char`), the fixed-width
//! `stdint.h` names (`uint64_t`) and the kernel's (`u64`, `__s32`), `void`. Other
//! names (typedefs such as `size_t`) stay [`TypeBase::Named`] for `sema` to resolve.

use super::ast::TypeBase;

/// Words the lexer reads as (parts of) type names rather than identifiers.
pub const TYPE_WORDS: &[&str] = &[
    "char", "short", "int", "long", "unsigned", "signed", "void", "int8_t", "int16_t", "int32_t",
    "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "u8", "u16", "u32", "u64", "s8",
    "s16", "s32", "s64", "__u8", "__u16", "__u32", "__u64", "__s8", "__s16", "__s32", "__s64",
];

/// Bits and signedness of an integer type spelled `name` (words joined by one space).
pub fn c_int(name: &str) -> Option<(u8, bool)> {
    let fixed = |s: &str| -> Option<(u8, bool)> {
        let (signed, rest) = if let Some(r) = s.strip_prefix("uint") {
            (false, r)
        } else if let Some(r) = s.strip_prefix("int") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("__u").or_else(|| s.strip_prefix('u')) {
            (false, r)
        } else if let Some(r) = s.strip_prefix("__s").or_else(|| s.strip_prefix('s')) {
            (true, r)
        } else {
            return None;
        };
        let bits: u8 = rest.strip_suffix("_t").unwrap_or(rest).parse().ok()?;
        matches!(bits, 8 | 16 | 32 | 64).then_some((bits, signed))
    };
    if let Some(t) = fixed(name) {
        return Some(t);
    }
    let words: Vec<&str> = name.split(' ').collect();
    let unsigned = words.contains(&"unsigned");
    let count = |w: &str| words.iter().filter(|x| **x == w).count();
    if words.iter().any(|w| {
        !matches!(
            *w,
            "unsigned" | "signed" | "char" | "short" | "int" | "long"
        )
    }) || (unsigned && words.contains(&"signed"))
    {
        return None;
    }
    let bits = if count("char") == 1 && words.len() <= 2 {
        8
    } else if count("char") > 0 {
        return None;
    } else if count("short") == 1 {
        16
    } else if count("long") >= 1 {
        64
    } else {
        32
    };
    Some((bits, !unsigned))
}

/// The type a sequence of type-name words spells.
pub fn type_words(words: Vec<String>) -> TypeBase {
    let name = words.join(" ");
    match name.as_str() {
        "bool" => TypeBase::Bool,
        "void" => TypeBase::Void,
        _ => match c_int(&name) {
            Some((bits, signed)) => TypeBase::Int { bits, signed },
            None => TypeBase::Named(name),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_spellings() {
        assert_eq!(c_int("uint64"), Some((64, false)));
        assert_eq!(c_int("int8"), Some((8, true)));
        assert_eq!(c_int("uint32_t"), Some((32, false)));
        assert_eq!(c_int("u16"), Some((16, false)));
        assert_eq!(c_int("__s32"), Some((32, true)));
        assert_eq!(c_int("char"), Some((8, true)));
        assert_eq!(c_int("unsigned char"), Some((8, false)));
        assert_eq!(c_int("unsigned"), Some((32, false)));
        assert_eq!(c_int("short int"), Some((16, true)));
        assert_eq!(c_int("unsigned long long"), Some((64, false)));
        assert_eq!(c_int("long"), Some((64, true)));
        assert_eq!(c_int("size_t"), None);
        assert_eq!(c_int("signed unsigned"), None);
        assert_eq!(c_int("u7"), None);
    }

    #[test]
    fn words_make_types() {
        assert_eq!(type_words(vec!["bool".into()]), TypeBase::Bool);
        assert_eq!(type_words(vec!["void".into()]), TypeBase::Void);
        assert_eq!(
            type_words(vec!["unsigned".into(), "int".into()]),
            TypeBase::Int {
                bits: 32,
                signed: false
            }
        );
        assert_eq!(
            type_words(vec!["size_t".into()]),
            TypeBase::Named("size_t".into())
        );
    }
}
