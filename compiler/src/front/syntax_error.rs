//! Turning lalrpop's errors into diagnostics a user understands:
//! ``syntax error: unexpected `}`, expected an expression``.

use super::ast::Span;
use super::lexer::{LexError, Tok};
use crate::diag::Diagnostic;
use lalrpop_util::ParseError;

/// Tokens that can start an expression.
const EXPR_START: &[&str] = &[
    "integer",
    "string",
    "identifier",
    "variable",
    "map",
    "(",
    "-",
    "!",
    "~",
    "*",
    "&",
    "expression {",
    "expression if",
    "++",
    "--",
    "config",
];

/// Binary and postfix operators (what may follow a complete operand).
const OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "==", "!=", "<", "<=", ">", ">=", "&&",
    "||", "?", ".", "->", "[", "(", "++", "--",
];

const ASSIGN_OPS: &[&str] = &[
    "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "++", "--",
];

pub fn translate(source: &str, err: ParseError<usize, Tok, LexError>) -> Diagnostic {
    match err {
        ParseError::User { error } => error.0,
        ParseError::InvalidToken { location } => Diagnostic::error(
            Span::new(location, location + 1),
            "syntax error: invalid token",
        ),
        ParseError::UnrecognizedEof { location, expected } => {
            let span = Span::new(location, location);
            let mut msg = "syntax error: unexpected end of input".to_string();
            append_expected(&mut msg, &expected);
            Diagnostic::error(span, msg)
        }
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => {
            let mut msg = format!("syntax error: unexpected {}", describe(source, &tok, l, r));
            append_expected(&mut msg, &expected);
            let mut d = Diagnostic::error(Span::new(l, r), msg);
            let after_paren = source.get(..l).is_some_and(|s| s.trim_end().ends_with(')'));
            if after_paren && starts_operand(&tok) {
                d = d.with_note(
                    "casts name `int8`..`uint64`, `struct NAME *` or `union NAME *`; other type names are not supported",
                );
            }
            if let Some(note) = hint(&tok, &expected) {
                d = d.with_note(note);
            }
            d
        }
        ParseError::ExtraToken { token: (l, tok, r) } => Diagnostic::error(
            Span::new(l, r),
            format!("syntax error: unexpected {}", describe(source, &tok, l, r)),
        ),
    }
}

fn starts_operand(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Int(_) | Tok::Str(_) | Tok::Ident(_) | Tok::Var(_) | Tok::Map(_) | Tok::LParen
    )
}

fn hint(tok: &Tok, expected: &[String]) -> Option<String> {
    let expects = |name: &str| expected.iter().any(|e| unquote(e) == name);
    match tok {
        Tok::Reserved(kw) => Some(format!("`{kw}` is not supported by tracec yet")),
        Tok::AttachPoint(_) if expects("{") => {
            Some("separate the attach points of one probe with `,`".into())
        }
        _ => None,
    }
}

/// How the offending token is named in the message.
fn describe(source: &str, tok: &Tok, l: usize, r: usize) -> String {
    let text = source.get(l..r).unwrap_or("");
    let short = |kind: &str| {
        if text.chars().count() <= 32 && !text.contains('\n') {
            format!("{kind}`{text}`")
        } else {
            let cut: String = text.chars().take(29).take_while(|&c| c != '\n').collect();
            format!("{kind}`{cut}...`")
        }
    };
    match tok {
        Tok::Str(_) => short("string "),
        Tok::Int(_) => short("integer "),
        Tok::Ident(_) => short("identifier "),
        Tok::AttachPoint(_) => short("attach point "),
        Tok::CDefinition(_) => short("C definition "),
        Tok::Reserved(_) => short("keyword "),
        Tok::IntType(_) => short("type "),
        Tok::EndPred => "`/`".into(),
        _ => short(""),
    }
}

fn unquote(s: &str) -> String {
    let inner = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// `, expected a, b or c` built from lalrpop's expected terminals.
fn append_expected(msg: &mut String, expected: &[String]) {
    let mut names: Vec<String> = expected.iter().map(|e| unquote(e)).collect();
    let has = |names: &[String], n: &str| names.iter().any(|x| x == n);
    let mut groups: Vec<String> = Vec::new();

    let remove =
        |names: &mut Vec<String>, set: &[&str]| names.retain(|n| !set.contains(&n.as_str()));
    if has(&names, "if") && has(&names, "integer") {
        groups.push("a statement".into());
        remove(&mut names, EXPR_START);
        remove(
            &mut names,
            &[
                "if", "++", "--", "{", ";", "while", "for", "unroll", "let", "break", "continue",
                "return",
            ],
        );
    } else if has(&names, "integer") && has(&names, "variable") {
        groups.push("an expression".into());
        remove(&mut names, EXPR_START);
    }
    if has(&names, "attach point") {
        groups.push("a probe".into());
        remove(
            &mut names,
            &[
                "attach point",
                "C definition",
                "config",
                "macro",
                "let",
                "import",
            ],
        );
    }
    let had_ops = has(&names, "+") && has(&names, "==");
    let had_assign = has(&names, "=");
    let mut rest: Vec<String> = Vec::new();
    for n in &names {
        if (had_ops && OPERATORS.contains(&n.as_str()))
            || (had_assign && ASSIGN_OPS.contains(&n.as_str()))
        {
            continue;
        }
        rest.push(match n.as_str() {
            "end of predicate" => "`/` to end the predicate".into(),
            "/" if has(&names, "{") && has(&names, ",") => "a predicate".into(),
            "identifier" if has(&names, "integer") => "a field name".into(),
            "integer" if has(&names, "identifier") => continue,
            "identifier" => "an identifier".into(),
            "integer" => "an integer".into(),
            "string" => "a string".into(),
            "variable" => "a variable".into(),
            "map" => "a map".into(),
            "type name" => "a type".into(),
            other => format!("`{other}`"),
        });
    }
    groups.extend(rest);
    if had_assign {
        groups.push("an assignment".into());
    }
    if had_ops {
        groups.push("an operator".into());
    }
    match groups.len() {
        0 => {}
        1 => msg.push_str(&format!(", expected {}", groups[0])),
        n => {
            let head = groups[..n - 1].join(", ");
            msg.push_str(&format!(", expected {head} or {}", groups[n - 1]));
        }
    }
}
