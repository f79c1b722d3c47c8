//! The lexer's top-level scanning helpers ([`super::lexer`]): where attach points,
//! C definitions and declaration keywords begin and end outside any block.

use super::lexer::Tok;

/// Whether `rest`, after blanks that follow an attach point's `:`, goes on with the
/// attach point rather than with what ends it (`{`, `,`, a predicate, a comment).
pub(super) fn continues_attach_point(rest: &str) -> bool {
    let comment = rest.starts_with("//") || rest.starts_with("/*");
    !comment
        && rest
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && !matches!(c, ',' | '{' | '}' | ';'))
}

/// An attach point's text without the blanks [`Lexer::attach_point_end`] let through
/// after its colons.
pub(super) fn attach_point_text(raw: &str) -> String {
    let mut text = String::with_capacity(raw.len());
    for part in raw.split_inclusive(':') {
        let part = if text.ends_with(':') {
            part.trim_start_matches([' ', '\t'])
        } else {
            part
        };
        text.push_str(part);
    }
    text
}

/// Whether `rest` starts with the word `word` (not followed by an identifier
/// character or `:`, which would make it an attach point).
pub(super) fn starts_with_word(rest: &str, word: &str) -> bool {
    rest.strip_prefix(word).is_some_and(|after| {
        after
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
    })
}

/// The position after whitespace and comments from `pos` (comments may be
/// unterminated: then the end of `src`).
pub(super) fn skip_c_trivia(src: &str, mut pos: usize) -> usize {
    loop {
        let rest = &src[pos..];
        let trimmed = rest.trim_start();
        pos += rest.len() - trimmed.len();
        if trimmed.starts_with("//") {
            pos = src[pos..].find('\n').map_or(src.len(), |i| pos + i);
        } else if trimmed.starts_with("/*") {
            pos = src[pos + 2..]
                .find("*/")
                .map_or(src.len(), |i| pos + 2 + i + 2);
        } else {
            return pos;
        }
    }
}

/// The end of the bracketed group opening at `open` (`{` or `(`), after its matching
/// closer; the end of `src` when it is unterminated.
pub(super) fn balanced_end(src: &str, open: usize) -> usize {
    let mut depth = 0usize;
    let mut pos = open;
    while pos < src.len() {
        let next = skip_c_trivia(src, pos);
        if next != pos {
            pos = next;
            continue;
        }
        let c = src.as_bytes()[pos];
        match c {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return pos + 1;
                }
            }
            _ => {}
        }
        pos += src[pos..].chars().next().map_or(1, char::len_utf8);
    }
    src.len()
}

/// If a C type definition starts at `start` (`struct`, `union`, `enum` or `typedef`
/// at top level), the position after it: a `{...}` body followed by any
/// `__attribute__((...))` and an optional `;`, or everything up to a `;`.
pub(super) fn c_definition_end(src: &str, start: usize) -> Option<usize> {
    let rest = &src[start..];
    let kw = ["struct", "union", "enum", "typedef"]
        .into_iter()
        .find(|w| starts_with_word(rest, w))?;
    let mut pos = start + kw.len();
    if kw != "typedef" {
        // Up to the body or a `;` (a forward declaration).
        loop {
            pos = skip_c_trivia(src, pos);
            match src.as_bytes().get(pos) {
                None => return Some(src.len()),
                Some(b'{') => break,
                Some(b';') => return Some(pos + 1),
                Some(_) => pos += src[pos..].chars().next().map_or(1, char::len_utf8),
            }
        }
        pos = balanced_end(src, pos);
        loop {
            let at = skip_c_trivia(src, pos);
            let after = &src[at..];
            if starts_with_word(after, "__attribute__") {
                let open = skip_c_trivia(src, at + "__attribute__".len());
                if src.as_bytes().get(open) != Some(&b'(') {
                    return Some(open);
                }
                pos = balanced_end(src, open);
            } else if after.starts_with(';') {
                return Some(at + 1);
            } else {
                return Some(pos);
            }
        }
    }
    // typedef: up to the `;` outside brackets.
    while pos < src.len() {
        let next = skip_c_trivia(src, pos);
        if next != pos {
            pos = next;
            continue;
        }
        match src.as_bytes()[pos] {
            b';' => return Some(pos + 1),
            b'{' | b'(' | b'[' => pos = balanced_end(src, pos),
            _ => pos += src[pos..].chars().next().map_or(1, char::len_utf8),
        }
    }
    Some(src.len())
}

/// A top-level declaration keyword at the start of `rest` (`config`, `macro`, `let`),
/// not followed by an identifier character: its token and length.
pub(super) fn declaration_keyword(rest: &str) -> Option<(Tok, usize)> {
    for (word, tok) in [
        ("config", Tok::Config),
        ("macro", Tok::Macro),
        ("let", Tok::Let),
        ("import", Tok::Import),
    ] {
        if let Some(after) = rest.strip_prefix(word) {
            let boundary = after
                .chars()
                .next()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'));
            if boundary {
                return Some((tok, word.len()));
            }
        }
    }
    None
}
