//! Recognizing `typeof` as a cast's type: `(typeof($x))1`, `(typeof(uint64))-1`.
//!
//! The lexer asks, at an identifier `typeof` just after `(`, whether the text goes
//! on as `(...)` `)` and then the start of an operand. `typeof` names no value, so
//! `(typeof(x))` followed by an operand can only be a cast, and the parser gets a
//! token of its own for it instead of an LR conflict with a parenthesized call.

/// Whether the text of `src` at `at` (just after `typeof`) is `( ... ) )` followed
/// by something that starts a unary expression.
pub(crate) fn is_cast_typeof(src: &str, at: usize) -> bool {
    let bytes = src.as_bytes();
    let mut pos = skip_blank(src, at);
    if bytes.get(pos) != Some(&b'(') {
        return false;
    }
    let Some(end) = balanced_paren_end(src, pos) else {
        return false;
    };
    pos = skip_blank(src, end);
    if bytes.get(pos) != Some(&b')') {
        return false;
    }
    pos = skip_blank(src, pos + 1);
    bytes.get(pos).is_some_and(|&c| starts_operand(c))
}

/// Whether the text at `at` (just after `string`, itself after `(`) is `)` or
/// `[N])`: the type of a cast, `(string)e` or `(string[16])e`.
pub(crate) fn string_cast_follows(src: &str, at: usize) -> bool {
    let bytes = src.as_bytes();
    let mut pos = skip_blank(src, at);
    if bytes.get(pos) == Some(&b'[') {
        pos = skip_blank(src, pos + 1);
        let digits = bytes[pos.min(bytes.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return false;
        }
        pos = skip_blank(src, pos + digits);
        if bytes.get(pos) != Some(&b']') {
            return false;
        }
        pos = skip_blank(src, pos + 1);
    }
    bytes.get(pos) == Some(&b')')
}

/// Characters an operand can start with (after a cast's `)`).
fn starts_operand(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'_' | b'$' | b'@' | b'(' | b'-' | b'!' | b'~' | b'*' | b'&' | b'"' | b'{'
        )
}

/// The position after blanks and comments from `pos`.
fn skip_blank(src: &str, mut pos: usize) -> usize {
    loop {
        let rest = src.get(pos..).unwrap_or("");
        let trimmed = rest.trim_start();
        pos += rest.len() - trimmed.len();
        if trimmed.starts_with("//") {
            pos += trimmed.find('\n').unwrap_or(trimmed.len());
        } else if let Some(body) = trimmed.strip_prefix("/*") {
            pos += body.find("*/").map_or(trimmed.len(), |i| i + 4);
        } else {
            return pos;
        }
    }
}

/// The position after the `)` that closes the `(` at `open`, skipping string
/// literals; `None` when it is never closed.
fn balanced_paren_end(src: &str, open: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut pos = open;
    while pos < bytes.len() {
        match bytes[pos] {
            b'(' => depth += 1,
            b')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(pos + 1);
                }
            }
            b'"' => {
                pos += 1;
                while pos < bytes.len() && bytes[pos] != b'"' {
                    pos += if bytes[pos] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        pos += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::is_cast_typeof;

    fn at_typeof(src: &str) -> bool {
        let at = src.find("typeof").unwrap() + "typeof".len();
        is_cast_typeof(src, at)
    }

    #[test]
    fn casts_are_followed_by_an_operand() {
        assert!(at_typeof("(typeof($x))1"));
        assert!(at_typeof("(typeof($x)) -1"));
        assert!(at_typeof("(typeof(struct task_struct *))arg0"));
        assert!(at_typeof("(typeof(\")\"))$y"));
        assert!(at_typeof("(typeof( /* c */ @m[1])) /* x */ $v"));
    }

    #[test]
    fn string_cast_types() {
        let after = |src: &str| {
            let at = src.find("string").unwrap() + "string".len();
            super::string_cast_follows(src, at)
        };
        assert!(after("(string)arg0"));
        assert!(after("(string[64])arg0"));
        assert!(after("( string [ 10 ] ) \"hello\""));
        assert!(!after("(string[])x"));
        assert!(!after("(string[$i])"));
        assert!(!after("(string + 1)"));
    }

    #[test]
    fn calls_and_arguments_are_not_casts() {
        assert!(!at_typeof("f(typeof(uint64));"));
        assert!(!at_typeof("m(typeof(uint64), 1)"));
        assert!(!at_typeof("sizeof(typeof($x))"));
        assert!(!at_typeof("(typeof($x)"));
        assert!(!at_typeof("(typeof)"));
    }
}
