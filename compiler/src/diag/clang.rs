//! Where clang puts a diagnostic on the script's C definitions in bpftrace.
//!
//! bpftrace hands clang a file `definitions.h`: a first line including its BTF
//! header, then each of the script's C statements on its own line(s), in order:
//! preprocessor lines and top-level `struct`/`union`/`enum` definitions (from
//! their keyword to the closing brace). This module finds those statements in the
//! script the way bpftrace's parser does, and maps a script offset inside one to
//! `definitions.h`'s line and column.

/// Byte ranges of the script's C statements.
fn c_statements(src: &str) -> Vec<(usize, usize)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        let c = b[i];
        if src[i..].starts_with("//") {
            i = src[i..].find('\n').map_or(b.len(), |e| i + e);
            continue;
        }
        if src[i..].starts_with("/*") {
            i = src[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            continue;
        }
        if c == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let at_line_start = std::mem::replace(&mut line_start, false);
        if c == b'#' && at_line_start && b.get(i + 1) != Some(&b'!') {
            let end = src[i..].find('\n').map_or(b.len(), |e| i + e);
            out.push((i, i + src[i..end].trim_end().len()));
            i = end;
        } else if c == b'{' {
            i = skip_block(src, i);
        } else if c == b'"' {
            i = skip_string(b, i);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let end = word_end(b, i);
            if matches!(&src[i..end], "struct" | "union" | "enum") {
                if let Some(open) = definition_brace(src, end) {
                    let close = skip_block(src, open);
                    out.push((i, close));
                    i = close;
                    continue;
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    i
}

/// After `struct`: `[NAME] {` makes a definition; the offset of its `{`.
fn definition_brace(src: &str, mut i: usize) -> Option<usize> {
    let b = src.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    i = skip_ws(i);
    if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
        i = skip_ws(word_end(b, i));
    }
    (b.get(i) == Some(&b'{')).then_some(i)
}

fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
        i += if b[i] == b'\\' { 2 } else { 1 };
    }
    (i + 1).min(b.len())
}

/// From the `{` at `open`: the offset after its matching `}`.
fn skip_block(src: &str, open: usize) -> usize {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        if src[i..].starts_with("//") {
            i = src[i..].find('\n').map_or(b.len(), |e| i + e);
            continue;
        }
        if src[i..].starts_with("/*") {
            i = src[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            continue;
        }
        match b[i] {
            b'"' => {
                i = skip_string(b, i);
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// `definitions.h` line and column of script byte `offset`, when it lies in one of
/// the script's C statements.
pub fn definitions_position(src: &str, offset: usize) -> Option<(usize, usize)> {
    let mut line = 2;
    for (start, end) in c_statements(src) {
        let text = &src[start..end];
        if (start..end.max(start + 1)).contains(&offset) {
            let before = &src[start..offset.min(end)];
            let line = line + before.matches('\n').count();
            let col_from = before.rfind('\n').map_or(0, |n| n + 1);
            return Some((line, before[col_from..].chars().count() + 1));
        }
        line += text.matches('\n').count() + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_and_positions() {
        let src = "#include <lol/no.h>\nbegin { }";
        assert_eq!(definitions_position(src, 9), Some((2, 10)));
        let src = "struct task_struct { struct thread_info x; } begin { printf(\"{\"); }";
        assert_eq!(definitions_position(src, 40), Some((2, 41)));
        assert_eq!(definitions_position(src, 50), None);
        // Statements follow each other whatever lies between them; a definition
        // keeps its own line breaks; casts in blocks are no definitions.
        let src = "#define A 1\n// c\nBEGIN { $x = (struct foo *)0; { } }\n\n  struct s {\n  int a;\n  struct bar b;\n}\n";
        let b = src.find("b;").unwrap();
        assert_eq!(definitions_position(src, b), Some((5, 14)));
        let s = src.find("struct s").unwrap();
        assert_eq!(definitions_position(src, s + 7), Some((3, 8)));
        assert_eq!(c_statements("#!/bin/bpftrace\nenum e { A }").len(), 1);
    }
}
