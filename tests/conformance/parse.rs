//! Parser for bpftrace runtime-test suite files.
//!
//! Mirrors `tests/runtime/engine/parser.py` of bpftrace (as described in the suite's
//! `TESTS-README.md`):
//!
//! - a line starting with `#` (column 0) is a comment and is ignored, even inside a record;
//! - an empty line ends a record (so does the end of the file);
//! - a directive line is `NAME value`; the value is trimmed on both sides;
//! - a line whose first `len(previous directive) + 1` characters are all whitespace continues
//!   the previous `PROG`, `EXPECT` or `EXPECT_REGEX` (the values are joined with `\n`, and
//!   exactly that many leading characters are removed, so deeper indentation is kept);
//! - `TIMEOUT` defaults to 5 seconds; `RETURN_CODE` to 0.
//!
//! Unlike the Python engine, records whose `ARCH` does not match are kept (the runner
//! reports them as skipped with a reason instead of dropping them silently), and
//! `REQUIRES_FEATURE` names are validated by the runner, not the parser.

use std::collections::BTreeMap;
use std::fmt;

/// Timeout of a record without `TIMEOUT`, in seconds (bpftrace's `DEFAULT_TIMEOUT`).
pub const DEFAULT_TIMEOUT: u64 = 5;

/// How an expectation is matched against the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectMode {
    /// `EXPECT`: a whole line (modulo surrounding whitespace) equals the text.
    Text,
    /// `EXPECT_NONE`: no line equals the text.
    TextNone,
    /// `EXPECT_REGEX`: the regex matches somewhere (multi-line mode).
    Regex,
    /// `EXPECT_REGEX_NONE`: the regex matches nowhere.
    RegexNone,
    /// `EXPECT_FILE`: the whole output equals the file, both trimmed.
    File,
    /// `EXPECT_JSON`: the output and the file are equal as JSON values.
    Json,
}

impl ExpectMode {
    /// The directive that produces this mode.
    pub fn directive(self) -> &'static str {
        match self {
            ExpectMode::Text => "EXPECT",
            ExpectMode::TextNone => "EXPECT_NONE",
            ExpectMode::Regex => "EXPECT_REGEX",
            ExpectMode::RegexNone => "EXPECT_REGEX_NONE",
            ExpectMode::File => "EXPECT_FILE",
            ExpectMode::Json => "EXPECT_JSON",
        }
    }
}

/// One expectation of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    pub mode: ExpectMode,
    /// The text, regex, or path (relative to the engine's working directory).
    pub value: String,
}

/// One test case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    /// Suite (file) name.
    pub suite: String,
    pub name: String,
    /// 1-based line of the record's first line in its suite file.
    pub line: usize,
    pub run: String,
    pub prog: String,
    pub expects: Vec<Expect>,
    /// Seconds.
    pub timeout: u64,
    pub befores: Vec<String>,
    pub after: String,
    pub setup: String,
    pub cleanup: String,
    pub min_kernel: String,
    pub max_kernel: String,
    pub requires: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub arch: Vec<String>,
    pub features: Vec<String>,
    pub neg_features: Vec<String>,
    pub will_fail: bool,
    pub new_pidns: bool,
    pub skip_if_env_has: Option<(String, String)>,
    pub return_code: i32,
    /// `LOCALIZE_TIMESTAMPS` value (a Unix time), if given.
    pub localize_ts: Option<i64>,
}

impl Record {
    /// `suite/NAME`, the key filters match against.
    pub fn id(&self) -> String {
        format!("{}/{}", self.suite, self.name)
    }

    /// Whether the record uses `EXPECT_FILE` or `EXPECT_JSON` (the output seen before the
    /// probes attached is then discarded).
    pub fn has_exact_expect(&self) -> bool {
        self.expects
            .iter()
            .any(|e| matches!(e.mode, ExpectMode::File | ExpectMode::Json))
    }
}

/// A malformed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub suite: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.suite, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parse a whole suite file. Every record is returned, each either parsed or with the
/// reason it is malformed (one bad record does not hide the others).
pub fn parse_suite(suite: &str, text: &str) -> Vec<Result<Record, ParseError>> {
    let mut out = Vec::new();
    let mut block: Vec<(usize, &str)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !block.is_empty() {
                out.push(parse_record(suite, &block));
                block.clear();
            }
            continue;
        }
        block.push((i + 1, line));
    }
    if !block.is_empty() {
        out.push(parse_record(suite, &block));
    }
    out
}

fn parse_int<T: std::str::FromStr>(
    suite: &str,
    line: usize,
    what: &str,
    v: &str,
) -> Result<T, ParseError> {
    v.trim().parse().map_err(|_| ParseError {
        suite: suite.into(),
        line,
        message: format!("{what} needs an integer, got {v:?}"),
    })
}

/// Parse one record from its non-comment, non-empty lines.
pub fn parse_record(suite: &str, lines: &[(usize, &str)]) -> Result<Record, ParseError> {
    let first_line = lines.first().map_or(0, |l| l.0);
    let err = |line: usize, message: String| ParseError {
        suite: suite.into(),
        line,
        message,
    };
    let mut r = Record {
        suite: suite.into(),
        line: first_line,
        ..Record::default()
    };
    let mut timeout = None;
    let mut return_code = None;
    let mut prev = String::new();

    for &(ln, raw) in lines {
        let indent = prev.len() + 1;
        let is_continuation = !prev.is_empty()
            && raw.len() >= indent
            && raw.is_char_boundary(indent)
            && raw[..indent].chars().all(char::is_whitespace);
        if is_continuation {
            let rest = &raw[indent..];
            match prev.as_str() {
                "PROG" => {
                    r.prog.push('\n');
                    r.prog.push_str(rest);
                    continue;
                }
                "EXPECT" | "EXPECT_REGEX" => {
                    if let Some(e) = r.expects.last_mut() {
                        e.value.push('\n');
                        e.value.push_str(rest);
                    }
                    continue;
                }
                _ => {}
            }
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            // A whitespace-only line that continues nothing carries nothing.
            continue;
        }
        let (name, value) = match trimmed.split_once(char::is_whitespace) {
            Some((n, v)) => (n, v.trim_start()),
            None => (trimmed, ""),
        };
        prev = name.to_string();
        let value = value.to_string();
        match name {
            "NAME" => r.name = value,
            "RUN" => r.run = value,
            "PROG" => r.prog = value,
            "EXPECT" => r.expects.push(Expect {
                mode: ExpectMode::Text,
                value,
            }),
            "EXPECT_NONE" => r.expects.push(Expect {
                mode: ExpectMode::TextNone,
                value,
            }),
            "EXPECT_REGEX" => r.expects.push(Expect {
                mode: ExpectMode::Regex,
                value,
            }),
            "EXPECT_REGEX_NONE" => r.expects.push(Expect {
                mode: ExpectMode::RegexNone,
                value,
            }),
            "EXPECT_FILE" => r.expects.push(Expect {
                mode: ExpectMode::File,
                value,
            }),
            "EXPECT_JSON" => r.expects.push(Expect {
                mode: ExpectMode::Json,
                value,
            }),
            "TIMEOUT" => timeout = Some(parse_int(suite, ln, "TIMEOUT", &value)?),
            "BEFORE" => r.befores.push(value),
            "AFTER" => r.after = value,
            "SETUP" => r.setup = value,
            "CLEANUP" => r.cleanup = value,
            "MIN_KERNEL" => r.min_kernel = value,
            "MAX_KERNEL" => r.max_kernel = value,
            "REQUIRES" => r.requires.push(value),
            "ENV" => {
                for kv in value.split_whitespace() {
                    let Some((k, v)) = kv.split_once('=') else {
                        return Err(err(ln, format!("ENV entry {kv:?} is not NAME=VALUE")));
                    };
                    r.env.insert(k.to_string(), v.to_string());
                }
            }
            "ARCH" => r.arch = value.split('|').map(|a| a.trim().to_string()).collect(),
            "REQUIRES_FEATURE" => {
                for f in value.split(' ').map(str::trim).filter(|f| !f.is_empty()) {
                    match f.strip_prefix('!') {
                        Some(neg) => r.neg_features.push(neg.to_string()),
                        None => r.features.push(f.to_string()),
                    }
                }
            }
            "WILL_FAIL" => r.will_fail = true,
            "NEW_PIDNS" => r.new_pidns = true,
            "SKIP_IF_ENV_HAS" => {
                let Some((k, v)) = value.split_once('=') else {
                    return Err(err(
                        ln,
                        format!("SKIP_IF_ENV_HAS {value:?} is not KEY=VALUE"),
                    ));
                };
                r.skip_if_env_has = Some((k.to_string(), v.to_string()));
            }
            "RETURN_CODE" => return_code = Some(parse_int(suite, ln, "RETURN_CODE", &value)?),
            "LOCALIZE_TIMESTAMPS" => {
                r.localize_ts = Some(parse_int(suite, ln, "LOCALIZE_TIMESTAMPS", &value)?)
            }
            other => {
                return Err(err(
                    ln,
                    format!("{other:?} is not a runtime test directive"),
                ))
            }
        }
    }

    if r.name.is_empty() {
        return Err(err(first_line, "test NAME is required".into()));
    }
    let named = |m: &str| err(first_line, format!("{}: {m}", r.name));
    if r.run.is_empty() && r.prog.is_empty() {
        return Err(named("RUN or PROG is required"));
    }
    if !r.run.is_empty() && !r.prog.is_empty() {
        return Err(named("RUN and PROG are both given"));
    }
    if r.expects.is_empty() && return_code.is_none() {
        return Err(named("at least one EXPECT (or variation) is required"));
    }
    if r.expects.len() > 1 && r.has_exact_expect() {
        return Err(named(
            "EXPECT_FILE or EXPECT_JSON cannot be used with other EXPECTs",
        ));
    }
    let return_code = return_code.unwrap_or(0);
    if return_code != 0 && r.will_fail {
        return Err(named("WILL_FAIL and RETURN_CODE cannot be used together"));
    }
    r.return_code = return_code;
    r.timeout = timeout.unwrap_or(DEFAULT_TIMEOUT);
    Ok(r)
}
