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

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let e = env(&[]);
    let ok = format!("{}1{}", "(".repeat(200), ")".repeat(200));
    assert_eq!(eval(&e, &ok), 1);
    for deep in [
        format!("{}1{}", "(".repeat(5000), ")".repeat(5000)),
        format!("{}1", "-".repeat(100_000)),
        format!("{}1", "!".repeat(100_000)),
        format!("{}1{}", "1?".repeat(50_000), ":1".repeat(50_000)),
    ] {
        let err = eval_if(&deep, &e).unwrap_err();
        assert!(err.contains("nested too deeply"), "{err}");
        assert_eq!(eval_strict(&deep, &e), None);
    }
}

#[test]
fn exponential_macro_expansion_is_bounded() {
    // A40 names A39 twice, and so on: 2^40 tokens if expanded in full.
    let defs: Vec<(String, String)> = (1..=40)
        .map(|k| (format!("A{k}"), format!("A{} + A{}", k - 1, k - 1)))
        .chain([("A0".to_string(), "1".to_string())])
        .collect();
    let refs: Vec<(&str, &str)> = defs.iter().map(|(n, v)| (&**n, &**v)).collect();
    let e = env(&refs);
    assert_eq!(eval(&e, "A10"), 1024);
    let err = eval_if("A40", &e).unwrap_err();
    assert!(err.contains("too large"), "{err}");
    assert_eq!(eval_strict("A40", &e), None);
    // Mutually recursive macros stop at themselves (0 in #if).
    let e = env(&[("A", "B"), ("B", "A"), ("F(x)", "F(x) + A")]);
    assert_eq!(eval(&e, "A + B"), 0);
    // `F(1) + A` leaves `F` unexpanded: 0, then `(1)`, an error as in clang.
    assert!(eval_if("F(1)", &e).is_err());
    assert_eq!(eval_strict("A", &e), None);
}

#[test]
fn overflowing_arithmetic_wraps() {
    let e = env(&[]);
    assert_eq!(eval(&e, "(-9223372036854775807 - 1) / -1"), i64::MIN);
    assert_eq!(eval(&e, "(-9223372036854775807 - 1) % -1"), 0);
    assert_eq!(eval(&e, "(1 << 63) < 0"), 1);
    assert!(eval_if("1 / 0", &e)
        .unwrap_err()
        .contains("division by zero"));
    assert!(eval_if("1 % (2 - 2)", &e).is_err());
}
