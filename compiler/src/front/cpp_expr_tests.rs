use super::*;
use std::collections::HashMap;

struct Env(HashMap<String, Macro>);

impl MacroEnv for Env {
    fn macro_def(&self, name: &str) -> Option<&Macro> {
        self.0.get(name)
    }
    fn has_include(&self, name: &str) -> bool {
        name == "yes.h"
    }
}

fn env(defs: &[(&str, &str)]) -> Env {
    let mut m = HashMap::new();
    for (n, v) in defs {
        match super::super::cpp::parse_define(&format!(" {n} {v}")) {
            Some((name, mac)) => m.insert(name, mac),
            None => panic!("bad define {n}"),
        };
    }
    Env(m)
}

fn eval(e: &Env, expr: &str) -> i64 {
    eval_if(expr, e).unwrap_or_else(|err| panic!("{expr}: {err}"))
}

#[test]
fn operators_and_precedence() {
    let e = env(&[]);
    assert_eq!(eval(&e, "1 + 2 * 3"), 7);
    assert_eq!(eval(&e, "(1 + 2) * 3"), 9);
    assert_eq!(eval(&e, "1 << 4 | 1"), 17);
    assert_eq!(eval(&e, "7 & 3 ^ 1"), 2);
    assert_eq!(eval(&e, "~0 == -1"), 1);
    assert_eq!(eval(&e, "10 % 4 - 5 / 2"), 0);
    assert_eq!(eval(&e, "!0 && 2 > 1 || 0"), 1);
    assert_eq!(eval(&e, "1 ? 2 : 3"), 2);
    assert_eq!(eval(&e, "0 ? 2 : 0 ? 3 : 4"), 4);
    assert_eq!(eval(&e, "201710L >= 199901L"), 1);
    assert_eq!(eval(&e, "0x10 + 010 + 'A'"), 16 + 8 + 65);
    assert_eq!(eval(&e, "-3 < -2 && 2 <= 2 && 3 >= 4 == 0"), 1);
    assert!(eval_if("1 / 0", &e).is_err());
    assert!(eval_if("(1", &e).is_err());
    assert!(eval_if("1 2", &e).is_err());
    assert!(eval_if("", &e).is_err());
    assert!(eval_if("\"s\"", &e).is_err());
}

#[test]
fn names_defined_and_functions() {
    let e = env(&[
        ("A", "(B + 1)"),
        ("B", "2"),
        ("SELF", "SELF + 1"),
        ("MAX(a, b)", "((a) > (b) ? (a) : (b))"),
        (
            "PREREQ(maj, min)",
            "((B << 16) + 0 >= ((maj) << 16) + (min))",
        ),
        ("REST(a, ...)", "__VA_ARGS__"),
    ]);
    assert_eq!(eval(&e, "A"), 3);
    assert_eq!(eval(&e, "defined(A) && !defined C && defined MAX"), 1);
    assert_eq!(eval(&e, "UNKNOWN == 0"), 1);
    assert_eq!(eval(&e, "SELF"), 1, "a macro is not expanded in itself");
    assert_eq!(eval(&e, "MAX(A, 7) + MAX(1, (2))"), 9);
    assert_eq!(eval(&e, "PREREQ(2, 0) && !PREREQ(3, 0)"), 1);
    assert_eq!(eval(&e, "MAX"), 0, "a function-like name without arguments");
    assert_eq!(eval(&e, "REST(1, 4) + REST(1, (2)) * 2"), 8);
    assert_eq!(
        eval(&e, "__has_include(<yes.h>) + __has_include(\"no.h\")"),
        1
    );
    assert_eq!(
        eval(
            &e,
            "defined(__has_include) && __has_builtin(__builtin_x) == 0"
        ),
        1
    );
    assert!(eval_if("defined", &e).is_err());
}

#[test]
fn strict_constants() {
    let e = env(&[
        ("A", "(1 << 3)"),
        ("B", "A | 1"),
        ("F", "f(1)"),
        ("D", "defined(A)"),
    ]);
    assert_eq!(eval_strict("A", &e), Some(8));
    assert_eq!(eval_strict("B", &e), Some(9));
    assert_eq!(eval_strict("F", &e), None);
    assert_eq!(eval_strict("D", &e), None);
    assert_eq!(eval_strict("(int)1", &e), None);
    assert_eq!(eval_strict("", &e), None);
}
