use std::path::Path;

use super::check::*;
use super::parse::{Expect, ExpectMode};

fn e(mode: ExpectMode, v: &str) -> Expect {
    Expect {
        mode,
        value: v.into(),
    }
}

fn ok(mode: ExpectMode, v: &str, out: &str) -> bool {
    check_one(&e(mode, v), out, Path::new("/nonexistent"), None).is_ok()
}

#[test]
fn expect_matches_whole_lines_ignoring_surrounding_whitespace() {
    let out = "Attached 1 probe\n  hello world  \nbye\n";
    assert!(ok(ExpectMode::Text, "hello world", out));
    assert!(ok(ExpectMode::Text, "bye", out));
    assert!(
        !ok(ExpectMode::Text, "hello", out),
        "a prefix is not a line"
    );
    assert!(!ok(ExpectMode::Text, "world", out));
    assert!(
        ok(
            ExpectMode::Text,
            "@x[1]: (3, \"a.b\")",
            "@x[1]: (3, \"a.b\")\n"
        ),
        "metacharacters are literal"
    );
    assert!(!ok(ExpectMode::Text, "a.b", "axb\n"));
}

#[test]
fn multi_line_expect_matches_consecutive_lines() {
    let out = "x\n@a: 0\n@b: 0\n@c: 0\n";
    assert!(ok(ExpectMode::Text, "@a: 0\n@b: 0\n@c: 0", out));
    assert!(!ok(ExpectMode::Text, "@a: 0\n@c: 0", out));
}

#[test]
fn expect_none_is_the_negation() {
    let out = "good\nWARNING: thing\n";
    assert!(ok(ExpectMode::TextNone, "bad", out));
    assert!(!ok(ExpectMode::TextNone, "good", out));
    let err = check_one(&e(ExpectMode::TextNone, "good"), out, Path::new("/"), None).unwrap_err();
    assert!(err.contains("good"), "{err}");
}

#[test]
fn regex_is_multi_line_and_unanchored() {
    let out = "Attached 2 probes\nSUCCESS 1234\n";
    assert!(ok(ExpectMode::Regex, r"SUCCESS \d+", out));
    assert!(ok(ExpectMode::Regex, r"^SUCCESS [0-9][0-9]*$", out));
    assert!(!ok(ExpectMode::Regex, r"^\d+", out));
    assert!(ok(ExpectMode::Regex, "^first\nsecond$", "first\nsecond\n"));
    assert!(
        !ok(ExpectMode::Regex, "^first.second$", "first\nsecond\n"),
        "dot does not match newline"
    );
    assert!(ok(ExpectMode::RegexNone, r"^@", out));
    assert!(!ok(ExpectMode::RegexNone, r"\d{4}", out));
    assert!(
        !ok(ExpectMode::Regex, "(unclosed", out),
        "a bad regex fails the expectation"
    );
    assert!(
        regex_supported(r"(?=x)").is_err(),
        "look-ahead is not supported by the regex crate"
    );
    assert!(regex_supported(r"^a\s+b$").is_ok());
}

#[test]
fn expect_file_compares_trimmed_text() {
    let dir = crate::scratch("conformance-check-file");
    std::fs::create_dir_all(dir.join("runtime/outputs")).unwrap();
    std::fs::write(
        dir.join("runtime/outputs/h.txt"),
        "\n@: \n[0, 1)  1 |@@|\n\n",
    )
    .unwrap();
    let exp = e(ExpectMode::File, "runtime/outputs/h.txt");
    assert!(check_one(&exp, "\n\n@: \n[0, 1)  1 |@@|\n", &dir, None).is_ok());
    let err = check_one(&exp, "@: \n[0, 1)  2 |@@|\n", &dir, None).unwrap_err();
    assert!(err.contains("[0, 1)  2"), "{err}");
    assert!(check_one(&e(ExpectMode::File, "missing.txt"), "", &dir, None).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn localized_timestamps_expand_strftime_formats() {
    let s = localize("at %Y-%m-%d done", 0).unwrap();
    assert!(
        s == "at 1970-01-01 done" || s == "at 1969-12-31 done",
        "{s}"
    );
    let dir = crate::scratch("conformance-check-ts");
    std::fs::write(dir.join("t.txt"), "year %Y\n").unwrap();
    let exp = e(ExpectMode::File, "t.txt");
    assert!(check_one(&exp, "year 2023", &dir, Some(1_700_000_000)).is_ok());
    assert!(check_one(&exp, "year %Y", &dir, Some(1_700_000_000)).is_err());
    assert!(check_one(&exp, "year %Y", &dir, None).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn json_compares_values_not_text() {
    assert!(json_matches(r#"{"b": 2, "a": [1, 2]}"#, r#"{"a":[1,2],"b":2}"#, false).is_ok());
    assert!(json_matches(r#"{"a": [2, 1]}"#, r#"{"a":[1,2]}"#, false).is_err());
    assert!(json_matches("{}\n{}", "{}", false)
        .unwrap_err()
        .contains("single line"));
    assert!(json_matches("not json", "{}", false)
        .unwrap_err()
        .contains("not JSON"));
    let nd =
        "{\"type\": \"map\", \"data\": {\"@a\": 1}}\n{\"type\": \"map\", \"data\": {\"@b\": 2}}\n";
    assert!(json_matches(nd, nd, true).is_ok());
    assert!(json_matches("{\"data\": 1}", nd, true)
        .unwrap_err()
        .contains("2 JSON lines"));
    let dir = crate::scratch("conformance-check-json");
    std::fs::write(dir.join("x.json"), "{\"type\": \"value\", \"data\": 5}\n").unwrap();
    let exp = e(ExpectMode::Json, "x.json");
    assert!(check_one(&exp, "\n{\"data\":5,\"type\":\"value\"}\n", &dir, None).is_ok());
    assert!(check_one(&exp, "{\"data\":6,\"type\":\"value\"}", &dir, None).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_all_reports_every_unmet_expectation() {
    let exps = [
        e(ExpectMode::Text, "a"),
        e(ExpectMode::Text, "b"),
        e(ExpectMode::TextNone, "c"),
        e(ExpectMode::Regex, "^d"),
    ];
    let unmet = check_all(&exps, "a\nc\n", Path::new("/"), None);
    let dirs: Vec<&str> = unmet.iter().map(|u| u.expect.value.as_str()).collect();
    assert_eq!(dirs, ["b", "c", "^d"]);
    assert!(check_all(&exps[..1], "a\n", Path::new("/"), None).is_empty());
}

#[test]
fn python_literal_braces_are_escaped() {
    assert_eq!(
        python_braces(r"k:\* { @\[probe\] }"),
        r"k:\* \{ @\[probe\] \}"
    );
    assert_eq!(python_braces(r"a{2}b{1,}c{2,3}"), r"a{2}b{1,}c{2,3}");
    assert_eq!(python_braces(r"[{}]x\{"), r"[{}]x\{");
    assert_eq!(python_braces("{a}"), r"\{a\}");
    assert!(ok(
        ExpectMode::Regex,
        r"^begin { exit\(\); }$",
        "begin { exit(); }\n"
    ));
    assert!(ok(ExpectMode::Regex, r"^\d{3}$", "123\n"));
    assert!(!ok(ExpectMode::Regex, r"^\d{3}$", "12\n"));
    // A `[` inside a class is a member, as in Python (not a nested class).
    assert_eq!(python_braces("@[a[0-9]+]"), r"@[a\[0-9]+]");
    assert!(ok(
        ExpectMode::Regex,
        r"@[1, { .n = 0x[0-9a-f]+, .c = 1 }]: 1",
        "@[1, { .n = 0x1f, .c = 1 }]: 1\n"
    ));
}
