//! Light lexical helpers: shell words of a `RUN` line and the probe types of a program.
//!
//! Neither is a full parser. Shell words are accepted only for plain command lines (words,
//! single and double quotes without expansions); anything else is reported so the record can
//! be skipped. Probe types are read from the top-level headers of a bpftrace program (the
//! text before each top-level `{`), which is enough to tell which probe providers a record
//! needs.

/// Split a command line into words like `sh` would, refusing anything but plain words and
/// quotes: unquoted `| ; & < > ( ) $ \``, and `$`/`` ` `` inside double quotes, are errors
/// (the command then needs a real shell, which this engine does not emulate).
pub fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => cur.push(e),
                            Some('\n') => {}
                            Some(e) => {
                                cur.push('\\');
                                cur.push(e);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(ch @ ('$' | '`')) => {
                            return Err(format!("shell expansion `{ch}` in double quotes"))
                        }
                        Some(ch) => cur.push(ch),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') | None => {}
                    Some(e) => cur.push(e),
                }
            }
            '|' | ';' | '&' | '<' | '>' | '(' | ')' | '$' | '`' => {
                return Err(format!("shell syntax `{c}`"));
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Skip a comment or string starting at `i` (which holds `/` or `"`); returns the index
/// after it, or `None` when `i` starts neither.
fn skip_trivia(b: &[u8], i: usize) -> Option<usize> {
    match (b[i], b.get(i + 1)) {
        (b'/', Some(b'/')) => {
            let mut j = i;
            while j < b.len() && b[j] != b'\n' {
                j += 1;
            }
            Some(j)
        }
        (b'/', Some(b'*')) => {
            let mut j = i + 2;
            while j + 1 < b.len() && !(b[j] == b'*' && b[j + 1] == b'/') {
                j += 1;
            }
            Some((j + 2).min(b.len()))
        }
        (b'"', _) => {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                if b[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            Some((j + 1).min(b.len()))
        }
        _ => None,
    }
}

/// The top-level headers of a program: the text before each top-level `{`, from the end of
/// the previous top-level block or `;`. Comments are dropped; strings are kept.
pub fn headers(src: &str) -> Vec<String> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    let mut i = 0usize;
    while i < b.len() {
        if let Some(next) = skip_trivia(b, i) {
            // A predicate `/.../` is not a comment; only `//` and `/*` are skipped here.
            if depth == 0 {
                if b[i] == b'"' {
                    cur.push_str(&src[i..next]);
                } else {
                    cur.push(' ');
                }
            }
            i = next;
            continue;
        }
        let c = b[i];
        match c {
            b'{' => {
                if depth == 0 {
                    out.push(cur.trim().to_string());
                    cur.clear();
                }
                depth += 1;
            }
            b'}' => depth = depth.saturating_sub(1),
            b';' if depth == 0 => cur.clear(),
            _ if depth == 0 => {
                // Copy the whole (possibly multi-byte) character.
                let len = src[i..].chars().next().map_or(1, char::len_utf8);
                cur.push_str(&src[i..i + len]);
                i += len;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Canonical provider name of a probe type or its alias (bpftrace's short forms).
pub fn canonical_probe_type(t: &str) -> &str {
    match t {
        "k" => "kprobe",
        "kr" => "kretprobe",
        "u" => "uprobe",
        "ur" => "uretprobe",
        "U" => "usdt",
        "t" => "tracepoint",
        "rt" => "rawtracepoint",
        "p" => "profile",
        "i" => "interval",
        "s" => "software",
        "h" => "hardware",
        "w" => "watchpoint",
        "aw" => "asyncwatchpoint",
        "f" | "kfunc" => "fentry",
        "fr" | "kretfunc" => "fexit",
        "it" => "iter",
        "BEGIN" => "begin",
        "END" => "end",
        other => other,
    }
}

fn ident_prefix(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Split a header at commas outside parentheses, brackets and quotes.
fn split_top_commas(h: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote = false;
    let mut start = 0;
    for (i, c) in h.char_indices() {
        match c {
            '"' => quote = !quote,
            '(' | '[' if !quote => depth += 1,
            ')' | ']' if !quote => depth -= 1,
            ',' if !quote && depth == 0 => {
                parts.push(&h[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&h[start..]);
    parts
}

/// Probe types (canonical names, in order, with repeats removed) used by a program.
/// Headers that are not probes (`config =`, `macro`, `fn`, `struct`, `enum`, ...) are
/// ignored.
pub fn probe_types(src: &str) -> Vec<String> {
    let mut types: Vec<String> = Vec::new();
    for h in headers(src) {
        // Preprocessor lines (`#include`, `#define`) precede the first probe.
        let h: String = h
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        for part in split_top_commas(&h) {
            let part = part.trim();
            let id = ident_prefix(part);
            if id.is_empty() {
                continue;
            }
            let rest = &part[id.len()..];
            let is_probe = if rest.starts_with(':') {
                true
            } else {
                // A bare `begin`/`end` (maybe with a predicate).
                matches!(id, "begin" | "end" | "BEGIN" | "END")
                    && (rest.trim().is_empty() || rest.trim_start().starts_with('/'))
            };
            if !is_probe {
                continue;
            }
            let t = canonical_probe_type(id).to_string();
            if !types.contains(&t) {
                types.push(t);
            }
        }
    }
    types
}

/// Probe providers this machine's kernel cannot attach (no kprobes, hence no fentry/fexit
/// trampolines for our purposes). USDT probes and watchpoints attach; their records
/// skip only for needing bpftrace's testprogs.
pub const UNATTACHABLE: &[&str] = &["kprobe", "kretprobe", "fentry", "fexit"];

/// Whether every probe of the program runs without attaching to the kernel
/// (`begin`/`end` only), so no `Attached N probes` notice needs to be awaited.
pub fn attaches_nothing(types: &[String]) -> bool {
    types.iter().all(|t| t == "begin" || t == "end")
}
