//! Shell-style wildcards in attach points. Part of the contract: an attach point the
//! compiler could not expand (a USDT probe in a binary it could not read) carries its
//! pattern in the metadata, and the runtime expands it with the same rules.

/// Whether `text` matches the glob `pattern`: `*` matches any run of characters
/// (including none), `?` exactly one; everything else matches itself.
pub fn matches(pattern: &str, text: &str) -> bool {
    // Byte by byte when both are ASCII (kernel and ELF symbol names, without
    // allocating); by characters otherwise, so that `?` is one character.
    if pattern.is_ascii() && text.is_ascii() {
        return glob(pattern.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob(&p, &t, '*', '?')
}

fn glob<T: Copy + PartialEq>(p: &[T], t: &[T], any: T, one: T) -> bool {
    let (mut pi, mut ti) = (0, 0);
    // Position after the last `*` seen, and the text position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == one || (p[pi] != any && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == any {
            star = Some((pi + 1, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            // Let the last `*` swallow one more character and retry.
            pi = sp;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == any)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("test*", "testprobe2"));
        assert!(matches("*probe?", "testprobe2"));
        assert!(!matches("*probe?", "testprobe"));
        assert!(matches("x", "x"));
        assert!(!matches("x", "xy"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("a*b*c", "aXbY"));
    }

    #[test]
    fn non_ascii_question_mark_is_one_character() {
        assert!(matches("caf?", "café"));
        assert!(!matches("caf??", "café"));
        assert!(matches("*é*", "xéy"));
        assert!(!matches("é", "e"));
    }
}
