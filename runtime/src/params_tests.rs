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
fn bad_values_are_bpftrace_errors() {
    let err = |args: &[&str]| resolve(&specs(), &s(args)).unwrap_err();
    let text = |args: &[&str]| err(args).0;
    assert_eq!(
        text(&["--n=False"]),
        "ERROR: program command line option --n invalid integer (value: False)"
    );
    assert!(err(&["--n=x"]).is_bpftrace());
    assert_eq!(
        text(&["--n"]),
        "ERROR: program command line option --n invalid integer (value: )"
    );
    assert_eq!(
        text(&["--who"]),
        "ERROR: program command line option --who requires a value (--who=VALUE)"
    );
    assert_eq!(
        text(&["--v=yes"]),
        "ERROR: program command line option --v invalid boolean (value: yes)"
    );
    // A positional misuse is worded by tracerun, not bpftrace.
    assert!(text(&["abc"]).starts_with("$1 is used as a number, but its argument \"abc\""));
    assert!(!err(&["abc"]).is_bpftrace());
}

#[test]
fn unexpected_options_and_help() {
    let text = |args: &[&str]| resolve(&specs(), &s(args)).unwrap_err().0;
    assert_eq!(
        text(&["--nope=1", "--n=2", "--zz", "--nope"]),
        "ERROR: unexpected program command line options: --nope, --zz\n\
         HINT: expected program options: --n, --who, --v"
    );
    assert_eq!(
        text(&["--help"]),
        "HINT: expected program options:\n  --n: about n\n  --who: about who\n  --v: about v"
    );
    // --help with an unknown option: the error, then the full list.
    assert!(text(&["--x", "--help"]).starts_with(
        "ERROR: unexpected program command line options: --x\nHINT: expected program options:\n  --n"
    ));
    assert_eq!(
        resolve(&[], &s(&["--x"])).unwrap_err().0,
        "ERROR: unexpected program command line options: --x\nHINT: no custom program options defined."
    );
    assert_eq!(
        resolve(&[], &s(&["--help"])).unwrap_err().0,
        "HINT: no custom program options defined."
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

#[test]
fn text_positionals_are_typed_by_their_argument() {
    assert_eq!(positional_text(None), "0");
    assert_eq!(positional_text(Some("pos1")), "pos1");
    assert_eq!(positional_text(Some("0x10")), "16");
    assert_eq!(positional_text(Some("-5")), "-5");
    assert_eq!(
        positional_text(Some("18446744073709551615")),
        "18446744073709551615"
    );
    let spec = ParamSpec {
        symbol: "t".into(),
        kind: ParamKind::PositionalText { index: 2 },
        ty: STR,
    };
    let g = resolve(&[spec], &s(&["1", "bye", "--", "--x"])).unwrap();
    assert_eq!(&g[0].bytes[..4], b"bye\0");
}
