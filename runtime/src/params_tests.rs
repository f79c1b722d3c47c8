use super::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn positional(index: u32, ty: ParamType) -> ParamSpec {
    ParamSpec {
        symbol: format!("p{index}"),
        kind: ParamKind::Positional { index },
        ty,
    }
}

fn named(name: &str, default: ParamValue, ty: ParamType) -> ParamSpec {
    ParamSpec {
        symbol: format!("o_{name}"),
        kind: ParamKind::Named {
            name: name.into(),
            default,
            description: Some(format!("about {name}")),
        },
        ty,
    }
}

const STR: ParamType = ParamType::Str { size: 8 };

fn int_of(g: &GlobalValue) -> i64 {
    i64::from_le_bytes(g.bytes[..8].try_into().unwrap())
}

fn specs() -> Vec<ParamSpec> {
    vec![
        positional(1, ParamType::Int),
        positional(2, STR),
        ParamSpec {
            symbol: "count".into(),
            kind: ParamKind::Count,
            ty: ParamType::Int,
        },
        named("n", ParamValue::Int(5), ParamType::Int),
        named("who", ParamValue::Str("bob".into()), STR),
        named("v", ParamValue::Bool(false), ParamType::Bool),
    ]
}

#[test]
fn ints_in_every_base() {
    assert_eq!(parse_int("42"), Some(42));
    assert_eq!(parse_int("-10"), Some(-10));
    assert_eq!(parse_int("0x123"), Some(0x123));
    assert_eq!(parse_int("0775"), Some(0o775));
    assert_eq!(parse_int("0"), Some(0));
    assert_eq!(parse_int("0xffffffffffffffff"), Some(-1));
    assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
    assert_eq!(parse_int("-9223372036854775809"), None);
    assert_eq!(parse_int("18446744073709551616"), None);
    for bad in ["", "-", "abc", "12abc", "0x", "--1", "089"] {
        assert_eq!(parse_int(bad), None, "{bad}");
    }
}

#[test]
fn split_named_and_positional() {
    let a = split(&s(&["pos1", "--aa=20", "-5", "--dd", "--", "--x=1"]));
    assert_eq!(a.positional, s(&["pos1", "-5", "--x=1"]));
    assert_eq!(
        a.named,
        vec![
            ("aa".to_string(), Some("20".to_string())),
            ("dd".to_string(), None)
        ]
    );
}

#[test]
fn defaults_when_nothing_is_given() {
    let g = resolve(&specs(), &[]).unwrap();
    assert_eq!(int_of(&g[0]), 0);
    assert_eq!(g[1].bytes, vec![0; 8]);
    assert_eq!(int_of(&g[2]), 0);
    assert_eq!(int_of(&g[3]), 5);
    assert_eq!(g[4].bytes, b"bob\0\0\0\0\0");
    assert_eq!(int_of(&g[5]), 0);
    assert_eq!(g[0].symbol, "p1");
}

#[test]
fn values_from_the_command_line() {
    let g = resolve(
        &specs(),
        &s(&["0x10", "--n=-3", "a-long-text", "--who=al", "--v", "extra"]),
    )
    .unwrap();
    assert_eq!(int_of(&g[0]), 16);
    // Cut to 7 bytes and a NUL.
    assert_eq!(g[1].bytes, b"a-long-\0");
    assert_eq!(int_of(&g[2]), 3);
    assert_eq!(int_of(&g[3]), -3);
    assert_eq!(g[4].bytes, b"al\0\0\0\0\0\0");
    assert_eq!(int_of(&g[5]), 1);
    for (arg, want) in [
        ("--v=False", 0),
        ("--v=1", 1),
        ("--v=TRUE", 1),
        ("--v=0", 0),
    ] {
        let g = resolve(&specs(), &s(&[arg])).unwrap();
        assert_eq!(int_of(&g[5]), want, "{arg}");
    }
    // The last occurrence wins.
    let g = resolve(&specs(), &s(&["--n=1", "--n=2"])).unwrap();
    assert_eq!(int_of(&g[3]), 2);
}

#[test]
fn bad_values_are_one_line_errors() {
    let err = |args: &[&str]| resolve(&specs(), &s(args)).unwrap_err().0;
    assert_eq!(err(&["--n=abc"]), "--n=abc: expected an integer");
    assert_eq!(err(&["--n"]), "--n needs a value: --n=VALUE");
    assert_eq!(err(&["--who"]), "--who needs a value: --who=VALUE");
    assert_eq!(
        err(&["--v=yes"]),
        "--v=yes: expected a boolean (true, false, 1 or 0)"
    );
    assert!(err(&["abc"]).starts_with("$1 is used as a number, but its argument \"abc\""));
    let e = err(&["--nope=1"]);
    assert!(e.starts_with("unexpected program option --nope: the script's options are: --n=INT (default 5): about n, "), "{e}");
    assert!(
        e.contains("--who=STRING (default \"bob\")") && e.contains("--v: about v"),
        "{e}"
    );
    assert!(err(&["--help"]).starts_with("program options: "));
    assert!(!err(&["--help"]).contains('\n'));
    let none = resolve(&[], &s(&["--x"])).unwrap_err().0;
    assert_eq!(
        none,
        "unexpected program option --x: the script takes no options"
    );
}

#[test]
fn string_positional_takes_any_text() {
    // A non-numeric argument is fine where the script only reads it as text.
    let g = resolve(&[positional(1, STR)], &s(&["héllo"])).unwrap();
    assert_eq!(&g[0].bytes[..6], "héllo".as_bytes());
    let g = resolve(&[positional(3, ParamType::Int)], &s(&["1"])).unwrap();
    assert_eq!(int_of(&g[0]), 0);
}
