//! The body of a function-like macro with its arguments put in: parameters
//! replaced by their argument's tokens, `#param` by a string literal spelling the
//! argument, and `a ## b` by the one token the two spellings make together (an
//! empty argument pastes as nothing; GNU's `, ## __VA_ARGS__` drops the comma when
//! the variable arguments are empty). The arguments are not expanded first: their
//! macros are expanded when the result is scanned again, which gives the same
//! tokens except for operands of `#` and `##`, which C leaves unexpanded too.

use super::lex::{Tok, Token};
use crate::diag::Diagnostic;
use crate::front::ast::Span;

pub const VA_ARGS: &str = "__VA_ARGS__";

/// Why a macro body is malformed (`#` before no parameter, `##` at an end), if it
/// is. `params` is `None` for an object-like macro.
pub fn check_body(body: &[Token], params: Option<&[String]>, span: Span) -> Option<Diagnostic> {
    let is_param = |t: Option<&Token>| match (t.map(|t| &t.tok), params) {
        (Some(Tok::Ident(n)), Some(p)) => p.contains(n),
        _ => false,
    };
    let at_end = |t: Option<&Token>| t.is_some_and(|t| t.tok == Tok::Punct("##"));
    if at_end(body.first()) || at_end(body.last()) {
        return Some(Diagnostic::error(
            span,
            "'##' cannot appear at either end of a macro expansion",
        ));
    }
    for (i, t) in body.iter().enumerate() {
        if t.tok == Tok::Punct("#") && !is_param(body.get(i + 1)) {
            return Some(Diagnostic::error(
                span,
                "'#' is not followed by a macro parameter",
            ));
        }
    }
    None
}

/// The spelling of a token, as `#` writes it (a number in decimal).
fn spell(t: &Tok) -> String {
    match t {
        Tok::Str(s) => {
            let mut out = String::from('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        t => t.text(),
    }
}

/// `#arg`: a string holding the argument's tokens as written, one space where
/// the source had space between them.
fn stringize(arg: &[Token]) -> Tok {
    let mut s = String::new();
    for (i, t) in arg.iter().enumerate() {
        if i > 0 && arg[i - 1].span.end < t.span.start {
            s.push(' ');
        }
        s.push_str(&spell(&t.tok));
    }
    Tok::Str(s)
}

/// `l ## r`: the token their spellings make together.
fn paste(l: &Tok, r: &Tok, span: Span) -> Result<Tok, Diagnostic> {
    let text = format!("{}{}", spell(l), spell(r));
    let invalid = || {
        Diagnostic::error(
            span,
            format!("pasting formed '{text}', an invalid preprocessing token"),
        )
    };
    if text.starts_with('#') {
        return Err(invalid());
    }
    match super::lex::lex_raw(&text, 0) {
        Ok(mut toks) if toks.len() == 1 => Ok(toks.remove(0).tok),
        _ => Err(invalid()),
    }
}

/// `body` with `args` (one per parameter of `params`, as written) put in, every
/// token located at `span`: an operand of `#` or `##` as written, any other use as
/// `expanded` (the argument with its macros expanded). At most `limit` tokens
/// (else `None`: the file's macros made too many).
pub fn substitute(
    params: &[String],
    body: &[Token],
    args: &[Vec<Token>],
    expanded: &[Vec<Token>],
    span: Span,
    limit: usize,
) -> Result<Option<Vec<Token>>, Diagnostic> {
    let index = |t: &Token| match &t.tok {
        Tok::Ident(n) => params.iter().position(|p| p == n),
        _ => None,
    };
    let arg_of = |t: &Token| index(t).map(|i| &args[i]);
    let mut out: Vec<Token> = Vec::new();
    // Whether the last operand put in was an empty argument (pasting to it pastes
    // to nothing).
    let mut last_empty = false;
    let mut i = 0;
    while i < body.len() {
        let t = &body[i];
        let pasting = t.tok == Tok::Punct("##");
        if pasting {
            i += 1;
        }
        let Some(t) = body.get(i) else { break };
        // The operand's tokens.
        let (operand, consumed): (Vec<Tok>, usize) = if t.tok == Tok::Punct("#") {
            match body.get(i + 1).and_then(arg_of) {
                Some(a) => (vec![stringize(a)], 2),
                None => (vec![t.tok.clone()], 1),
            }
        } else {
            let operand = pasting || body.get(i + 1).is_some_and(|n| n.tok == Tok::Punct("##"));
            match index(t) {
                Some(k) if operand => (args[k].iter().map(|t| t.tok.clone()).collect(), 1),
                Some(k) => (expanded[k].iter().map(|t| t.tok.clone()).collect(), 1),
                None => (vec![t.tok.clone()], 1),
            }
        };
        i += consumed;
        let va = matches!(&t.tok, Tok::Ident(n) if n == VA_ARGS);
        let empty = operand.is_empty();
        let mut operand = operand.into_iter();
        if pasting && va && !last_empty && out.last().is_some_and(|t| t.tok == Tok::Punct(",")) {
            // GNU: `, ## __VA_ARGS__`.
            if empty {
                out.pop();
            }
        } else if pasting && !last_empty {
            if let Some(first) = operand.next() {
                if let Some(l) = out.pop() {
                    out.push(Token {
                        tok: paste(&l.tok, &first, span)?,
                        span,
                    });
                }
            }
        }
        // (`x ## empty` is `x`, `empty ## empty` empty.)
        last_empty = if pasting { last_empty && empty } else { empty };
        for tok in operand {
            if out.len() >= limit {
                return Ok(None);
            }
            out.push(Token { tok, span });
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::super::lex::{lex, Tok};

    /// The tokens of `src` as text, one space apart.
    fn toks(src: &str) -> String {
        let t = lex(src, 0).unwrap_or_else(|d| panic!("{d:?}"));
        t.iter().map(|t| t.tok.text()).collect::<Vec<_>>().join(" ")
    }

    fn error(src: &str) -> String {
        match lex(src, 0) {
            Ok(t) => panic!("{t:?}"),
            Err(d) => d[0].message.clone(),
        }
    }

    #[test]
    fn pasting_joins_spellings_into_one_token() {
        assert_eq!(
            toks("#define CAT(a, b) a ## b\nCAT(x, 1) CAT(1, 2) CAT(<, <=)"),
            "x1 12 <<="
        );
        // Three operands, empty ones pasting as nothing.
        assert_eq!(
            toks("#define C3(a, b, c) a##b##c\nC3(p, , q) C3(, , z) C3(, ,)"),
            "pq z"
        );
        // Operands are not expanded; the result is.
        assert_eq!(
            toks("#define N 7\n#define v_N 1\n#define CAT(a, b) a ## b\nCAT(v_, N)"),
            "1"
        );
        // An object-like macro pastes too.
        assert_eq!(toks("#define X 4 ## 2\nX"), "42");
    }

    #[test]
    fn arguments_are_expanded_unless_operands() {
        let defs = "#define N 12\n#define CAT(a, b) a ## b\n#define XCAT(a, b) CAT(a, b)\n";
        assert_eq!(toks(&format!("{defs}XCAT(v, N) CAT(v, N)")), "v12 vN");
    }

    #[test]
    fn stringizing_spells_the_argument() {
        let t = lex(
            "#define S(x) #x\n#define XS(x) S(x)\n#define N 3\nS(a  +\n b) S(\"q\\n\") S() XS(N) S(N)",
            0,
        )
        .unwrap();
        let strs: Vec<&str> = t
            .iter()
            .map(|t| match &t.tok {
                Tok::Str(s) => s.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(strs, ["a + b", "\"q\\n\"", "", "3", "N"]);
    }

    #[test]
    fn gnu_comma_paste_drops_the_comma_of_empty_variable_arguments() {
        let defs = "#define L(f, ...) g(f, ## __VA_ARGS__)\n#define M(f, ...) g(f,##__VA_ARGS__)\n";
        assert_eq!(
            toks(&format!("{defs}L(1) L(1, 2, 3) M(1) M(1, x)")),
            "g ( 1 ) g ( 1 , 2 , 3 ) g ( 1 ) g ( 1 , x )"
        );
    }

    #[test]
    fn malformed_operators_are_errors() {
        assert_eq!(
            error("#define S(x) #y\n"),
            "'#' is not followed by a macro parameter"
        );
        assert_eq!(
            error("#define P(x) ## x\n"),
            "'##' cannot appear at either end of a macro expansion"
        );
        assert_eq!(
            error("#define P(x, y) x ## y\nP(+, /)"),
            "pasting formed '+/', an invalid preprocessing token"
        );
        assert_eq!(
            error("#define P(x, y) x ## y\nP(/, /)"),
            "pasting formed '//', an invalid preprocessing token"
        );
    }
}
