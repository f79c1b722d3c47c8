//! Expectation checkers, mirroring `check_expect` of bpftrace's `runner.py`.
//!
//! `output` is the merged stdout and stderr of the program under test (as the Python
//! engine captures it with `stderr=STDOUT`).

use std::path::Path;

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use super::parse::{Expect, ExpectMode};

/// Why an expectation did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmet {
    pub expect: Expect,
    /// One line, for reports.
    pub why: String,
}

fn one_line(s: &str) -> String {
    let flat = s.replace('\n', "\\n");
    if flat.chars().count() > 100 {
        let cut: String = flat.chars().take(100).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

/// Python's `re` reads a `{` that does not start a `{m}`, `{m,}` or `{m,n}` repetition (and
/// a `}` that closes none) as a literal; the `regex` crate rejects them. Escape those.
pub fn python_braces(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    let mut open_quantifier = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push(c);
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal member.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push(']');
                    i += 1;
                }
            }
            // Python takes a `[` inside a class as a member; the regex crate would
            // open a nested class.
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' if !in_class => {
                let rest: String = chars[i + 1..].iter().take_while(|&&c| c != '}').collect();
                let closed = chars.len() > i + 1 + rest.len();
                let (m, n) = rest.split_once(',').unwrap_or((rest.as_str(), ""));
                let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
                if closed && !m.is_empty() && digits(m) && digits(n) {
                    open_quantifier = true;
                    out.push('{');
                } else {
                    out.push_str("\\{");
                }
            }
            '}' if !in_class => {
                if open_quantifier {
                    open_quantifier = false;
                    out.push('}');
                } else {
                    out.push_str("\\}");
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&python_braces(pattern))
        .multi_line(true)
        .size_limit(1 << 24)
        .build()
}

/// The regex `EXPECT`/`EXPECT_NONE` use: the text is a whole line, surrounding whitespace
/// ignored (`^\s*TEXT\s*$` in multi-line mode; as in Python, `\s` may span lines).
pub fn text_regex(text: &str) -> Regex {
    build_regex(&format!(r"^\s*{}\s*$", regex::escape(text)))
        .expect("an escaped literal is a valid regex")
}

/// Whether an `EXPECT_REGEX` pattern can be evaluated by the `regex` crate (Python's `re`
/// has look-around and backreferences, which it lacks). `Err` carries the reason.
pub fn regex_supported(pattern: &str) -> Result<(), String> {
    build_regex(pattern)
        .map(|_| ())
        .map_err(|e| one_line(&e.to_string()))
}

/// `LOCALIZE_TIMESTAMPS`: the expected file is a `strftime` format, expanded for the given
/// Unix time in the local time zone (Python's `time.strftime(fmt, time.localtime(ts))`).
pub fn localize(format: &str, ts: i64) -> Result<String, String> {
    let fmt = std::ffi::CString::new(format).map_err(|_| "expected file has a NUL byte")?;
    let t: libc::time_t = ts as libc::time_t;
    // SAFETY: tm is plain data filled by localtime_r; strftime writes at most buf.len()
    // bytes and returns how many it wrote (0 when it did not fit).
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return Err(format!("localtime({ts}) failed"));
        }
        let mut buf = vec![0u8; format.len() * 4 + 4096];
        let n = libc::strftime(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), &tm);
        if n == 0 && !format.is_empty() {
            return Err("strftime result too long".into());
        }
        buf.truncate(n);
        String::from_utf8(buf).map_err(|_| "strftime produced invalid UTF-8".into())
    }
}

/// Compare output with expected JSON text (`.ndjson`: line by line; otherwise the output
/// must be a single line holding one JSON value).
pub fn json_matches(output: &str, expected: &str, ndjson: bool) -> Result<(), String> {
    let out_lines: Vec<&str> = output.trim().lines().collect();
    let parse = |s: &str, what: &str| {
        serde_json::from_str::<Value>(s).map_err(|e| format!("{what} is not JSON ({e})"))
    };
    if ndjson {
        let exp_lines: Vec<&str> = expected.trim().lines().collect();
        if exp_lines.len() != out_lines.len() {
            return Err(format!(
                "expected {} JSON lines, got {}",
                exp_lines.len(),
                out_lines.len()
            ));
        }
        for (i, (o, e)) in out_lines.iter().zip(&exp_lines).enumerate() {
            if parse(o, "output line")? != parse(e, "expected line")? {
                return Err(format!("JSON line {} differs: {}", i + 1, one_line(o)));
            }
        }
        return Ok(());
    }
    if out_lines.len() != 1 {
        return Err(format!(
            "expected a single line of JSON output, got {} lines",
            out_lines.len()
        ));
    }
    if parse(out_lines[0], "output")? != parse(expected, "expected file")? {
        return Err(format!("JSON differs: {}", one_line(out_lines[0])));
    }
    Ok(())
}

/// Check one expectation. Paths of `EXPECT_FILE`/`EXPECT_JSON` are relative to `cwd`.
pub fn check_one(
    expect: &Expect,
    output: &str,
    cwd: &Path,
    localize_ts: Option<i64>,
) -> Result<(), String> {
    let v = &expect.value;
    match expect.mode {
        ExpectMode::Text => {
            if text_regex(v).is_match(output) {
                Ok(())
            } else {
                Err(format!("no line {:?}", one_line(v)))
            }
        }
        ExpectMode::TextNone => match text_regex(v).find(output) {
            None => Ok(()),
            Some(m) => Err(format!("unexpected line {:?}", one_line(m.as_str().trim()))),
        },
        ExpectMode::Regex => {
            let re =
                build_regex(v).map_err(|e| format!("bad regex: {}", one_line(&e.to_string())))?;
            if re.is_match(output) {
                Ok(())
            } else {
                Err(format!("no match for /{}/", one_line(v)))
            }
        }
        ExpectMode::RegexNone => {
            let re =
                build_regex(v).map_err(|e| format!("bad regex: {}", one_line(&e.to_string())))?;
            match re.find(output) {
                None => Ok(()),
                Some(m) => Err(format!("unexpected match {:?}", one_line(m.as_str()))),
            }
        }
        ExpectMode::File => {
            let path = cwd.join(v);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let expected = match localize_ts {
                Some(ts) => localize(text.trim(), ts)?,
                None => text.trim().to_string(),
            };
            if output.trim() == expected.trim() {
                Ok(())
            } else {
                let first_diff = output
                    .trim()
                    .lines()
                    .zip(expected.lines())
                    .find(|(o, e)| o != e)
                    .map(|(o, e)| format!("got {:?}, want {:?}", one_line(o), one_line(e)))
                    .unwrap_or_else(|| "line counts differ".into());
                Err(format!("output differs from {v}: {first_diff}"))
            }
        }
        ExpectMode::Json => {
            let path = cwd.join(v);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            json_matches(output, &text, v.ends_with(".ndjson"))
        }
    }
}

/// Check every expectation; returns the unmet ones (empty: all hold).
pub fn check_all(
    expects: &[Expect],
    output: &str,
    cwd: &Path,
    localize_ts: Option<i64>,
) -> Vec<Unmet> {
    expects
        .iter()
        .filter_map(|e| {
            check_one(e, output, cwd, localize_ts)
                .err()
                .map(|why| Unmet {
                    expect: e.clone(),
                    why,
                })
        })
        .collect()
}
