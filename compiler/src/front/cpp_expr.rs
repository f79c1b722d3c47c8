//! The C preprocessor's integer expressions: `#if`/`#elif` lines of scripts
//! ([`super::preprocess`]) and of the headers they include ([`super::headers`]), and
//! the values of header macros (`#define O_CREAT (1 << 6)`).
//!
//! Names are expanded as C does: object-like and function-like macros (arguments
//! expanded first, a macro is not expanded inside its own expansion), `defined X`
//! and `defined(X)`, clang's `__has_include(<h>)`; in `#if` lines a name that is no
//! macro is 0. Operators: `?:`, `|| &&`, `| ^ &`, `== !=`, `< <= > >=`, `<< >>`,
//! `+ -`, `* / %`, unary `! ~ - +`, parentheses; integer and character constants.
//! Arithmetic is on `i64` (wrapping), as intmax_t.

use super::headers;

/// A macro definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Macro {
    /// `#define NAME body`.
    Object(String),
    /// `#define NAME(a, b) body` (`...` is the parameter `__VA_ARGS__`).
    Function { params: Vec<String>, body: String },
}

/// What an expression may ask about its surroundings.
pub trait MacroEnv {
    fn macro_def(&self, name: &str) -> Option<&Macro>;
    /// Whether header `name` (as in `<name>`) can be included.
    fn has_include(&self, _name: &str) -> bool {
        false
    }
}

/// Clang's feature-test builtins: defined, and 0 for whatever they are asked.
const FEATURE_TESTS: &[&str] = &[
    "__has_builtin",
    "__has_attribute",
    "__has_feature",
    "__has_extension",
    "__has_c_attribute",
    "__has_cpp_attribute",
    "__has_declspec_attribute",
    "__has_warning",
    "__is_identifier",
];

/// Whether `defined(name)` holds for a name that is no macro (clang's builtins).
pub fn builtin_defined(name: &str) -> bool {
    name == "__has_include" || name == "__has_include_next" || FEATURE_TESTS.contains(&name)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Num(i64),
    Ident(String),
    Op(&'static str),
    /// `__has_include(...)` already answered.
    Known(i64),
}

const OPS: &[&str] = &[
    "||", "&&", "==", "!=", "<=", ">=", "<<", ">>", "##", "(", ")", ",", "!", "~", "<", ">", "+",
    "-", "*", "/", "%", "&", "|", "^", "?", ":", "#",
];

/// The value of `#if`/`#elif` expression `expr`.
pub fn eval_if(expr: &str, env: &dyn MacroEnv) -> Result<i64, String> {
    let toks = tokenize(expr, env)?;
    let toks = expand(&toks, env, &mut Expansion::new(), 0, false)?;
    parse_all(&toks)
}

/// The value of a macro body when it is an integer constant expression in which
/// every name is a macro (no `defined`); `None` otherwise.
pub fn eval_strict(expr: &str, env: &dyn MacroEnv) -> Option<i64> {
    let toks = tokenize(expr, env).ok()?;
    if toks.is_empty() {
        return None;
    }
    let toks = expand(&toks, env, &mut Expansion::new(), 0, true).ok()?;
    parse_all(&toks).ok()
}

fn parse_all(toks: &[Tok]) -> Result<i64, String> {
    if toks.is_empty() {
        return Err("expected a value".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let v = p.ternary()?;
    if p.pos != toks.len() {
        return Err("unexpected tokens at the end".into());
    }
    Ok(v)
}

fn tokenize(expr: &str, env: &dyn MacroEnv) -> Result<Vec<Tok>, String> {
    let b = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                j += 1;
            }
            let n = headers::numeric(&expr[i..j])
                .and_then(|s| s.parse::<i128>().ok())
                .ok_or_else(|| format!("bad number '{}'", &expr[i..j]))?;
            out.push(Tok::Num(n as i64));
            i = j;
        } else if c == b'\'' {
            let (v, len) = char_const(&expr[i..]).ok_or("bad character constant")?;
            out.push(Tok::Num(v));
            i += len;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            let word = &expr[i..j];
            i = j;
            let call = (word == "__has_include" || word == "__has_include_next")
                .then(|| has_include_arg(&expr[i..]))
                .flatten();
            match call {
                Some((name, used)) => {
                    out.push(Tok::Known(env.has_include(&name) as i64));
                    i += used;
                }
                // `defined(__has_include)`.
                None => out.push(Tok::Ident(word.to_string())),
            }
        } else {
            let op = OPS
                .iter()
                .find(|o| expr[i..].starts_with(**o))
                .ok_or_else(|| {
                    format!("unexpected '{}'", &expr[i..].chars().next().unwrap_or(' '))
                })?;
            out.push(Tok::Op(op));
            i += op.len();
        }
    }
    Ok(out)
}

/// `'a'`, `'\n'`, `'\0'`, `'\x41'`: value and length.
fn char_const(s: &str) -> Option<(i64, usize)> {
    let body = s.strip_prefix('\'')?;
    let end = body.find('\'')?;
    let inner = &body[..end];
    let v = match inner.strip_prefix('\\') {
        None => {
            let mut cs = inner.chars();
            let c = cs.next()?;
            cs.next().is_none().then_some(c as i64)?
        }
        Some("n") => 10,
        Some("t") => 9,
        Some("r") => 13,
        Some("\\") => 92,
        Some("'") => 39,
        Some(e) if e.starts_with('x') => i64::from_str_radix(&e[1..], 16).ok()?,
        Some(e) => i64::from_str_radix(e, 8).ok()?,
    };
    Some((v, end + 2))
}

/// `(<a/b.h>)` or `("a.h")` after `__has_include`: the name and the length used.
fn has_include_arg(s: &str) -> Option<(String, usize)> {
    let t = s.trim_start();
    let inner = t.strip_prefix('(')?;
    let close = inner.find(')')?;
    let name = headers::include_target(&inner[..close])?;
    Some((name, s.len() - t.len() + 1 + close + 1))
}

/// Most tokens one expression's macro expansion may go through: macros whose
/// bodies name other macros several times grow exponentially with their nesting.
const MAX_EXPANSION: usize = 1 << 20;

/// The state of one expression's expansion.
struct Expansion {
    /// The macros being expanded (not expanded again inside themselves).
    hide: Vec<String>,
    /// Tokens that may still be expanded, counting down from [`MAX_EXPANSION`].
    budget: usize,
}

impl Expansion {
    fn new() -> Expansion {
        Expansion {
            hide: Vec::new(),
            budget: MAX_EXPANSION,
        }
    }
}

/// Expand macros in `toks`; `st.hide` holds the macros being expanded.
fn expand(
    toks: &[Tok],
    env: &dyn MacroEnv,
    st: &mut Expansion,
    depth: u32,
    strict: bool,
) -> Result<Vec<Tok>, String> {
    if depth > 64 {
        return Err("macro expansion too deep".into());
    }
    st.budget = st
        .budget
        .checked_sub(toks.len())
        .ok_or("macro expansion too large")?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let Tok::Ident(name) = &toks[i] else {
            out.push(toks[i].clone());
            i += 1;
            continue;
        };
        i += 1;
        if name == "defined" {
            if strict {
                return Err("defined in a constant".into());
            }
            let (id, used) = match (toks.get(i), toks.get(i + 1), toks.get(i + 2)) {
                (Some(Tok::Op("(")), Some(Tok::Ident(id)), Some(Tok::Op(")"))) => (id, 3),
                (Some(Tok::Ident(id)), _, _) => (id, 1),
                _ => return Err("defined needs a name".into()),
            };
            let yes = env.macro_def(id).is_some() || builtin_defined(id);
            out.push(Tok::Known(yes as i64));
            i += used;
            continue;
        }
        if FEATURE_TESTS.contains(&name.as_str()) && !st.hide.contains(name) {
            let end = matching_paren(toks, i).ok_or_else(|| format!("bad {name}"))?;
            out.push(Tok::Known(0));
            i = end + 1;
            continue;
        }
        match env.macro_def(name) {
            Some(_) if st.hide.contains(name) => out.push(unknown(name, strict)?),
            Some(Macro::Object(body)) => {
                let body = tokenize(body, env)?;
                st.hide.push(name.clone());
                let r = expand(&body, env, st, depth + 1, strict);
                st.hide.pop();
                out.extend(r?);
            }
            Some(Macro::Function { params, body }) if toks.get(i) == Some(&Tok::Op("(")) => {
                let end = matching_paren(toks, i).ok_or("unterminated macro arguments")?;
                let args = split_args(&toks[i + 1..end]);
                i = end + 1;
                let mut body_toks = Vec::new();
                for t in tokenize(body, env)? {
                    let param = match &t {
                        Tok::Ident(p) => params
                            .iter()
                            .position(|q| q == p || (q == "..." && p == "__VA_ARGS__")),
                        _ => None,
                    };
                    match param {
                        Some(k) if k + 1 == params.len() && params[k] == "..." => {
                            for (n, a) in args.iter().enumerate().skip(k) {
                                if n > k {
                                    body_toks.push(Tok::Op(","));
                                }
                                body_toks.extend(expand(a, env, st, depth + 1, strict)?);
                            }
                        }
                        Some(k) => {
                            let arg = args.get(k).map(Vec::as_slice).unwrap_or(&[]);
                            body_toks.extend(expand(arg, env, st, depth + 1, strict)?);
                        }
                        None if matches!(t, Tok::Op("#") | Tok::Op("##")) => {
                            return Err("# and ## are not supported in #if".into())
                        }
                        None => body_toks.push(t),
                    }
                }
                st.hide.push(name.clone());
                let r = expand(&body_toks, env, st, depth + 1, strict);
                st.hide.pop();
                out.extend(r?);
            }
            _ => out.push(unknown(name, strict)?),
        }
    }
    Ok(out)
}

/// A name that is no macro: 0 in `#if`, an error in a constant.
fn unknown(name: &str, strict: bool) -> Result<Tok, String> {
    if strict {
        Err(format!("'{name}' is not a constant"))
    } else {
        Ok(Tok::Num(0))
    }
}

/// Index of the `)` matching the `(` at `open`.
fn matching_paren(toks: &[Tok], open: usize) -> Option<usize> {
    if toks.get(open) != Some(&Tok::Op("(")) {
        return None;
    }
    let mut depth = 0;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Op("(") => depth += 1,
            Tok::Op(")") => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// Macro arguments split at top-level commas.
fn split_args(toks: &[Tok]) -> Vec<Vec<Tok>> {
    let mut args = vec![Vec::new()];
    let mut depth = 0;
    for t in toks {
        match t {
            Tok::Op("(") => depth += 1,
            Tok::Op(")") => depth -= 1,
            Tok::Op(",") if depth == 0 => {
                args.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(a) = args.last_mut() {
            a.push(t.clone());
        }
    }
    args
}

/// Deepest nesting of parentheses, unary operators and `?:` in one expression
/// (clang's default `-fbracket-depth`).
const MAX_NESTING: u32 = 256;

/// Precedence climbing over expanded tokens.
struct Parser<'t> {
    toks: &'t [Tok],
    pos: usize,
    /// Nesting of the operand being parsed, bounded by [`MAX_NESTING`].
    depth: u32,
}

/// Binary operators by precedence level, loosest first (after `?:`).
const LEVELS: &[&[&str]] = &[
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<", ">", "<=", ">="],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

impl Parser<'_> {
    fn peek_op(&self) -> Option<&'static str> {
        match self.toks.get(self.pos) {
            Some(Tok::Op(o)) => Some(o),
            _ => None,
        }
    }

    /// Parse one nested operand with `f`, refusing nesting deeper than [`MAX_NESTING`].
    fn nested(&mut self, f: fn(&mut Self) -> Result<i64, String>) -> Result<i64, String> {
        if self.depth >= MAX_NESTING {
            return Err("expression nested too deeply".into());
        }
        self.depth += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn ternary(&mut self) -> Result<i64, String> {
        let c = self.binary(0)?;
        if self.peek_op() != Some("?") {
            return Ok(c);
        }
        self.pos += 1;
        let a = self.nested(Self::ternary)?;
        if self.peek_op() != Some(":") {
            return Err("expected ':'".into());
        }
        self.pos += 1;
        let b = self.nested(Self::ternary)?;
        Ok(if c != 0 { a } else { b })
    }

    fn binary(&mut self, level: usize) -> Result<i64, String> {
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut v = self.binary(level + 1)?;
        while let Some(op) = self.peek_op().filter(|o| ops.contains(o)) {
            self.pos += 1;
            let r = self.binary(level + 1)?;
            v = apply(op, v, r)?;
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<i64, String> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        match t {
            Some(Tok::Num(n) | Tok::Known(n)) => Ok(n),
            Some(Tok::Op("!")) => Ok((self.nested(Self::unary)? == 0) as i64),
            Some(Tok::Op("~")) => Ok(!self.nested(Self::unary)?),
            Some(Tok::Op("-")) => Ok(self.nested(Self::unary)?.wrapping_neg()),
            Some(Tok::Op("+")) => self.nested(Self::unary),
            Some(Tok::Op("(")) => {
                let v = self.nested(Self::ternary)?;
                if self.peek_op() != Some(")") {
                    return Err("missing )".into());
                }
                self.pos += 1;
                Ok(v)
            }
            _ => Err("expected a value".into()),
        }
    }
}

fn apply(op: &str, v: i64, r: i64) -> Result<i64, String> {
    Ok(match op {
        "||" => ((v != 0) || (r != 0)) as i64,
        "&&" => ((v != 0) && (r != 0)) as i64,
        "|" => v | r,
        "^" => v ^ r,
        "&" => v & r,
        "==" => (v == r) as i64,
        "!=" => (v != r) as i64,
        "<" => (v < r) as i64,
        ">" => (v > r) as i64,
        "<=" => (v <= r) as i64,
        ">=" => (v >= r) as i64,
        "<<" => v.wrapping_shl(r as u32),
        ">>" => v.wrapping_shr(r as u32),
        "+" => v.wrapping_add(r),
        "-" => v.wrapping_sub(r),
        "*" => v.wrapping_mul(r),
        // INT64_MIN / -1 overflows; clang warns and wraps.
        "/" if r != 0 => v.wrapping_div(r),
        "%" if r != 0 => v.wrapping_rem(r),
        _ => return Err("division by zero".into()),
    })
}

#[cfg(test)]
#[path = "cpp_expr_tests.rs"]
mod tests;
