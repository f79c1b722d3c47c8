//! `max_strlen` (language.md, "Config Variables"): the size of the strings `str()`
//! reads, set by the config block or `BPFTRACE_MAX_STRLEN`.
//!
//! A `str()` without a length is a `string[max_strlen]` that holds up to `max_strlen`
//! characters: when the source string is at least that long the value carries no NUL,
//! which is how the runtime knows it was truncated and prints bpftrace's
//! `str_trunc_trailer` after it (`lower/strlen.rs` reads the last byte back after
//! `bpf_probe_read_str`, which always writes a NUL).

use crate::front::ast::ConfigValue;

/// The largest `max_strlen` tracec compiles. Strings too big for the 512-byte BPF
/// stack live in per-CPU scratch map values (`lower/scratch.rs`), whose values the
/// kernel limits to 32 KiB: a string and what holds it (a key, a tuple) must fit.
pub const MAX_STRLEN_LIMIT: u32 = 16 * 1024;

/// What a `max_strlen` setting gives: the size tracec uses, and a warning when it had
/// to lower it; `Err` for a value that is no positive integer.
pub fn config_value(v: &ConfigValue) -> Result<(u32, Option<String>), String> {
    match v {
        ConfigValue::Int(n) if *n >= 1 && *n <= u64::from(MAX_STRLEN_LIMIT) => {
            Ok((*n as u32, None))
        }
        ConfigValue::Int(0) => Err("expects a positive integer".to_string()),
        ConfigValue::Int(n) => Ok((
            MAX_STRLEN_LIMIT,
            Some(format!(
                "{n} is larger than tracec supports: strings live in per-CPU scratch maps \
                 of at most 32 KiB, so they are limited to {MAX_STRLEN_LIMIT} bytes"
            )),
        )),
        _ => Err("expects a positive integer".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_positive_sizes_and_lowers_large_ones() {
        assert_eq!(config_value(&ConfigValue::Int(8)), Ok((8, None)));
        assert_eq!(config_value(&ConfigValue::Int(200)), Ok((200, None)));
        assert_eq!(config_value(&ConfigValue::Int(9999)), Ok((9999, None)));
        assert!(config_value(&ConfigValue::Int(0)).is_err());
        let (n, w) = config_value(&ConfigValue::Int(99999)).unwrap();
        assert_eq!(n, MAX_STRLEN_LIMIT);
        assert!(w.unwrap().contains("larger than tracec supports"));
        assert!(config_value(&ConfigValue::Str("x".into())).is_err());
    }
}
