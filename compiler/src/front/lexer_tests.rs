use super::*;

/// Tokens of `src` with their text, failing on fatal errors.
fn lex(src: &str) -> Vec<(Tok, &str)> {
    let mut lexer = Lexer::new(src);
    let toks: Vec<_> = lexer
        .by_ref()
        .map(|t| {
            let (l, tok, r) = t.expect("no fatal error");
            (tok, &src[l..r])
        })
        .collect();
    assert!(lexer.diags.is_empty(), "{:?}", lexer.diags);
    toks
}

fn attach_points(src: &str) -> Vec<String> {
    lex(src)
        .into_iter()
        .filter_map(|(t, _)| match t {
            Tok::AttachPoint(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn diags(src: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut lexer = Lexer::new(src);
    let fatal: Vec<_> = lexer.by_ref().filter_map(Result::err).collect();
    let mut out: Vec<_> = lexer
        .diags
        .iter()
        .chain(fatal.iter().map(|e| &e.0))
        .map(|d| (d.span.range(), d.message.clone()))
        .collect();
    out.sort_by_key(|d| d.0.start);
    out
}

#[test]
fn attach_points_are_single_tokens() {
    for ap in [
        "BEGIN",
        "end",
        "tracepoint:syscalls:sys_enter_openat",
        "tracepoint:syscalls:sys_enter_*",
        "t:sched:*",
        "interval:s:1",
        "profile:hz:99",
        "kprobe:vfs_read+10",
        "uprobe:/bin/bash:readline",
        "uretprobe:/lib/x86_64-linux-gnu/libc.so.6:malloc",
    ] {
        let src = format!("{ap} {{ }}");
        assert_eq!(
            lex(&src),
            vec![
                (Tok::AttachPoint(ap.into()), ap),
                (Tok::LBrace, "{"),
                (Tok::RBrace, "}")
            ],
            "{src}"
        );
        // no space before the brace
        assert_eq!(attach_points(&format!("{ap}{{}}")), vec![ap.to_string()]);
    }
}

#[test]
fn probe_lists() {
    assert_eq!(
        attach_points("a:b:c, d:e:f { }"),
        vec!["a:b:c".to_string(), "d:e:f".to_string()]
    );
    assert_eq!(
        attach_points("a:b:c,\n  d:e:f,g\n{ }"),
        vec!["a:b:c", "d:e:f", "g"]
    );
    let toks = lex("a,b{}");
    assert_eq!(toks[1], (Tok::Comma, ","));
}

#[test]
fn top_level_comments_end_attach_points() {
    assert_eq!(attach_points("BEGIN// x\n{}"), vec!["BEGIN"]);
    assert_eq!(attach_points("BEGIN/* x */{}"), vec!["BEGIN"]);
    assert_eq!(attach_points("/* a */ BEGIN /* b */ { }"), vec!["BEGIN"]);
}

#[test]
fn blanks_after_a_colon_stay_in_the_attach_point() {
    assert_eq!(
        attach_points("kprobe: nfs4_proc_statfs {}"),
        vec!["kprobe:nfs4_proc_statfs"]
    );
    assert_eq!(
        attach_points("uprobe:\t/bin/bash: readline, t: syscalls:sys_enter_read\n{}"),
        vec!["uprobe:/bin/bash:readline", "t:syscalls:sys_enter_read"]
    );
    // What ends an attach point still ends it after the blanks.
    assert_eq!(attach_points("a:b: {}"), vec!["a:b:"]);
    assert_eq!(attach_points("a:b: , c {}"), vec!["a:b:", "c"]);
    assert_eq!(attach_points("a:b: // x\n{}"), vec!["a:b:"]);
    // A newline after the colon ends it, as any newline does.
    assert_eq!(attach_points("a:\nb {}"), vec!["a:", "b"]);
}

#[test]
fn tokens_inside_blocks_are_not_attach_points() {
    let toks = lex("BEGIN { @x[1] = $y + a:b; } END { }");
    let kinds: Vec<Tok> = toks.into_iter().map(|t| t.0).collect();
    assert_eq!(
        kinds,
        vec![
            Tok::AttachPoint("BEGIN".into()),
            Tok::LBrace,
            Tok::Map("x".into()),
            Tok::LBracket,
            Tok::Int(1),
            Tok::RBracket,
            Tok::Assign,
            Tok::Var("y".into()),
            Tok::Plus,
            Tok::Ident("a".into()),
            Tok::Colon,
            Tok::Ident("b".into()),
            Tok::Semi,
            Tok::RBrace,
            Tok::AttachPoint("END".into()),
            Tok::LBrace,
            Tok::RBrace,
        ]
    );
}

#[test]
fn nested_braces_return_to_top_level_only_at_depth_zero() {
    let aps = attach_points("BEGIN { if (x) { a:b } c:d } e:f { }");
    assert_eq!(aps, vec!["BEGIN", "e:f"]);
}

#[test]
fn predicates() {
    let toks: Vec<Tok> = lex("k:f / $x / 2 > 1 / { }")
        .into_iter()
        .map(|t| t.0)
        .collect();
    assert_eq!(
        toks,
        vec![
            Tok::AttachPoint("k:f".into()),
            Tok::Slash,
            Tok::Var("x".into()),
            Tok::Slash,
            Tok::Int(2),
            Tok::Gt,
            Tok::Int(1),
            Tok::EndPred,
            Tok::LBrace,
            Tok::RBrace,
        ]
    );
    // end of predicate followed by a newline and a comment
    let toks: Vec<Tok> = lex("k:f\n  / pid /\n // c\n{ }")
        .into_iter()
        .map(|t| t.0)
        .collect();
    assert_eq!(toks[3], Tok::EndPred);
    assert_eq!(toks[4], Tok::LBrace);
}

#[test]
fn variables_maps_and_positionals() {
    let toks: Vec<Tok> = lex("x { $a $1 $42 $# @ @m @_x }")
        .into_iter()
        .map(|t| t.0)
        .collect();
    assert_eq!(
        &toks[2..9],
        &[
            Tok::Var("a".into()),
            Tok::Var("1".into()),
            Tok::Var("42".into()),
            Tok::Var("#".into()),
            Tok::Map(String::new()),
            Tok::Map("m".into()),
            Tok::Map("_x".into()),
        ]
    );
}

#[test]
fn operators_longest_match() {
    let src = "x { <<= >>= << >> <= >= == != && || ++ -- += -= -> ! ~ ? : . % ^ | & }";
    let texts: Vec<&str> = lex(src).into_iter().map(|t| t.1).collect();
    let expected: Vec<&str> = src.split_whitespace().collect();
    assert_eq!(texts, expected);
}

#[test]
fn keywords_and_literals() {
    let toks: Vec<Tok> = lex(r#"x { if else while ifx 0x10 1_000 "a\tb" }"#)
        .into_iter()
        .map(|t| t.0)
        .collect();
    assert_eq!(
        &toks[2..9],
        &[
            Tok::If,
            Tok::Else,
            Tok::While,
            Tok::Ident("ifx".into()),
            Tok::Int(16),
            Tok::Int(1000),
            Tok::Str("a\tb".into()),
        ]
    );
}

#[test]
fn shebang_and_preprocessor_lines_are_skipped() {
    let src = "#!/usr/bin/bpftrace\n#include <linux/sched.h>\n#include \"x.h\"\nBEGIN { }";
    assert_eq!(attach_points(src), vec!["BEGIN"]);
}

#[test]
fn unsupported_directives_are_reported() {
    assert_eq!(
        diags("#define X 1\nBEGIN { }"),
        vec![(
            0..7,
            "preprocessor directive `#define` is not supported yet".to_string()
        )]
    );
    assert_eq!(
        diags("#pragma once\nBEGIN { }"),
        vec![(0..7, "unknown preprocessor directive `#pragma`".to_string())]
    );
    // `#!` at the start of any line is a comment; indented it is a directive
    assert_eq!(diags("\n#!/bin/x\nBEGIN { }"), vec![]);
    assert_eq!(diags("\n  #!/bin/x\n").len(), 1);
    // `#` alone is C's null directive; `# 2021` is not
    assert_eq!(diags("#\n#  \nBEGIN { }"), vec![]);
    assert_eq!(diags("# 2021\nBEGIN { }").len(), 1);
}

#[test]
fn lexical_errors_have_spans() {
    assert_eq!(
        diags("BEGIN { $x = `; }"),
        vec![(13..14, "invalid character ``` ".trim_end().to_string())]
    );
    assert_eq!(
        diags("BEGIN { \"abc\n }"),
        vec![(8..9, "unterminated string literal".to_string())]
    );
    assert_eq!(
        diags("BEGIN { 99999999999999999999 }"),
        vec![(
            8..28,
            "integer literal `99999999999999999999` is too large".to_string()
        )]
    );
    assert_eq!(
        diags("BEGIN { \"a\\qb\" }"),
        vec![(10..12, "unknown escape sequence `\\q`".to_string())]
    );
    assert_eq!(
        diags("BEGIN { /* never closed"),
        vec![(8..10, "unterminated comment".to_string())]
    );
    assert_eq!(
        diags("/* never closed"),
        vec![(0..2, "unterminated comment".to_string())]
    );
    assert_eq!(
        diags("BEGIN { é }"),
        vec![(8..10, "invalid character `é`".to_string())]
    );
}

#[test]
fn nesting_limit_is_fatal() {
    let src = format!("BEGIN {{ {} }}", "(".repeat(MAX_BRACKET_DEPTH + 10));
    let d = diags(&src);
    assert_eq!(d.len(), 1);
    assert!(d[0].1.contains("nested too deeply"), "{d:?}");
}

#[test]
fn statement_token_limit_is_fatal() {
    let src = format!("BEGIN {{ 1{} }}", "+1".repeat(MAX_STATEMENT_TOKENS));
    let d = diags(&src);
    assert_eq!(d.len(), 1);
    assert!(d[0].1.contains("statement is too long"), "{d:?}");
}

#[test]
fn path_globs_with_slash_star_are_not_comments() {
    assert_eq!(
        attach_points("uprobe:/usr/bin/*sh:main { }"),
        ["uprobe:/usr/bin/*sh:main"]
    );
    assert_eq!(
        attach_points("uprobe:/work/*:* /* c */ { }"),
        ["uprobe:/work/*:*"]
    );
    // Before any `:`, `/*` still starts a comment.
    assert_eq!(attach_points("BEGIN/* c */{ }"), ["BEGIN"]);
}

#[test]
fn a_brace_after_a_trailing_attach_point_comma_opens_the_body() {
    let toks = lex("BEGIN,\n{ $x = 1; }");
    assert_eq!(toks[1].0, Tok::Comma);
    assert_eq!(toks[2].0, Tok::LBrace);
    // Inside a block, `{` after a comma still opens a block expression.
    let toks = lex("BEGIN { f(1, { 2 }); }");
    assert!(toks.iter().any(|(t, _)| *t == Tok::ExprLBrace), "{toks:?}");
}
