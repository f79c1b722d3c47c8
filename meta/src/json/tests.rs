use super::*;

/// What `serde_json` makes of `text`: its compact rewrite, or `None` for an error.
fn serde(text: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .map(|v| v.to_string())
}

/// Whether our value is the one `serde_json` read: integers alike, floats of the same
/// value, objects with the same keys (in any order) and values.
fn same(ours: &Value, theirs: &serde_json::Value) -> bool {
    use serde_json::Value as S;
    match (ours, theirs) {
        (Value::Null, S::Null) => true,
        (Value::Bool(a), S::Bool(b)) => a == b,
        (Value::String(a), S::String(b)) => a == b,
        (Value::Number(a), S::Number(b)) if a.is_f64() => {
            b.is_f64() && b.as_f64() == Some(a.as_f64())
        }
        (Value::Number(a), S::Number(b)) => a.as_u64() == b.as_u64() && a.as_i64() == b.as_i64(),
        (Value::Array(a), S::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), S::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| same(x, y)))
        }
        _ => false,
    }
}

/// Ours on `text`, compared with `serde_json`: both read the same value, or both refuse.
fn agree(text: &str) -> Option<Value> {
    let ours = parse(text.as_bytes());
    match (&ours, serde_json::from_str::<serde_json::Value>(text)) {
        (Ok(v), Ok(theirs)) => assert!(same(v, &theirs), "{text}: {v:?} / {theirs:?}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("{text:?}: ours {a:?}, serde_json {b:?}"),
    }
    ours.ok()
}

/// Ours and `serde_json` write the same compact text for `text`, whose objects list
/// their keys sorted (as `serde_json` keeps them) and whose floats are as it writes them.
fn same_text(text: &str) {
    let v = agree(text).expect("JSON");
    assert_eq!(v.to_string(), serde(text).unwrap());
}

#[test]
fn numbers_read_as_serde_json_reads_them() {
    let n = |text: &str| match agree(text) {
        Some(Value::Number(n)) => n,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(n("0").as_u64(), Some(0));
    assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(n("18446744073709551615").as_i64(), None);
    assert_eq!(n("9223372036854775807").as_i64(), Some(i64::MAX));
    assert_eq!(n("-9223372036854775808").as_i64(), Some(i64::MIN));
    assert_eq!(n("-1").as_i64(), Some(-1));
    assert_eq!(n("-1").as_u64(), None);
    // Too large for an integer, a fraction, an exponent, minus zero: floats.
    for text in [
        "18446744073709551616",
        "-9223372036854775809",
        "1.5",
        "1E2",
        "2e+3",
        "-0.25",
        "-0",
        "0e0",
    ] {
        let v = n(text);
        assert!(v.is_f64(), "{text}");
        assert_eq!(v.as_u64(), None, "{text}");
        assert_eq!(v.as_i64(), None, "{text}");
    }
    assert_eq!(n("18446744073709551616").as_f64(), 18446744073709551616.0);
    assert_eq!(n("-0.25").as_f64(), -0.25);
    assert!(n("-0").as_f64().is_sign_negative());
    for bad in [
        "01", "-", "-a", "1.", "1.e3", ".5", "1e", "1e+", "+1", "0x10", "1e400", "-1e400",
    ] {
        assert!(agree(bad).is_none(), "{bad} accepted");
    }
}

#[test]
fn strings_and_their_escapes() {
    let s = |text: &str| match agree(text) {
        Some(Value::String(s)) => s,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(s(r#""a\"b\\c\/d""#), "a\"b\\c/d");
    assert_eq!(s(r#""\b\f\n\r\t""#), "\u{8}\u{c}\n\r\t");
    assert_eq!(s(r#""\u0041\u00e9\u20AC""#), "Aé€");
    assert_eq!(s(r#""\ud83d\ude00""#), "😀");
    assert_eq!(s("\"héllo 😀\""), "héllo 😀");
    assert_eq!(s(r#""\u0000""#), "\0");
    for bad in [
        r#""\ud83d""#,
        r#""\ud83dx""#,
        r#""\ud83d\u0041""#,
        r#""\ude00""#,
        r#""\x""#,
        r#""\u12""#,
        r#""\u12g4""#,
        "\"a\nb\"",
        "\"a\u{1f}\"",
        "\"abc",
        "\"abc\\",
    ] {
        assert!(agree(bad).is_none(), "{bad:?} accepted");
    }
    // Invalid UTF-8 inside a string.
    assert!(parse(b"\"a\xff\"").is_err());
    assert!(parse(b"\"\xe2\x82\"").is_err());
}

#[test]
fn writes_what_serde_json_writes() {
    // Every control character, quotes, backslashes, DEL and non-ASCII.
    let all: String = (0u8..0x80).map(char::from).chain("é€😀".chars()).collect();
    let v = Value::Array(vec![
        Value::from(all.as_str()),
        Value::Null,
        true.into(),
        false.into(),
        u64::MAX.into(),
        i64::MIN.into(),
        (-5i32).into(),
        Value::Number(Number::from_f64(1.5).unwrap()),
        Value::Array(vec![]),
        Value::Object(Map::new()),
    ]);
    let text = v.to_string();
    let theirs = serde_json::from_str::<serde_json::Value>(&text).unwrap();
    assert_eq!(text, theirs.to_string());
    assert_eq!(parse(text.as_bytes()).unwrap(), v);
    assert_eq!(
        to_string_pretty(&v),
        serde_json::to_string_pretty(&theirs).unwrap()
    );
}

#[test]
fn pretty_output_matches_serde_json() {
    let text = r#"{"a":[1,{"b":[],"c":{}},[[2]]],"d":{"e":null,"f":"x\ny"},"g":[]}"#;
    let v = agree(text).unwrap();
    let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        to_string_pretty(&v),
        serde_json::to_string_pretty(&theirs).unwrap()
    );
    assert!(to_string_pretty(&v).starts_with("{\n  \"a\": [\n    1,\n    {\n"));
}

#[test]
fn objects_keep_their_order_and_the_last_of_a_repeated_key() {
    let v = parse(br#"{"z":1,"a":2,"z":3}"#).unwrap();
    let o = v.as_object().unwrap();
    assert_eq!(o.len(), 2);
    let keys: Vec<&String> = o.keys().collect();
    assert_eq!(keys, ["z", "a"]);
    assert_eq!(v.get("z").and_then(Value::as_u64), Some(3));
    assert_eq!(v.to_string(), r#"{"z":3,"a":2}"#);
    // The same through the hashed path for larger objects.
    let mut text = String::from("{");
    for i in 0..40 {
        text.push_str(&format!("\"k{}\":{i},", i % 30));
    }
    text.push_str("\"k0\":\"last\"}");
    let v = parse(text.as_bytes()).unwrap();
    let o = v.as_object().unwrap();
    assert_eq!(o.len(), 30);
    assert_eq!(o.keys().next().map(String::as_str), Some("k0"));
    assert_eq!(v.get("k0").and_then(Value::as_str), Some("last"));
    assert_eq!(v.get("k5").and_then(Value::as_u64), Some(35));
    assert_eq!(v.get("k29").and_then(Value::as_u64), Some(29));
    let mut sorted = o.clone();
    sorted.sort_keys();
    let keys: Vec<&String> = sorted.keys().collect();
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(keys, expected);
}

#[test]
fn map_edits() {
    let mut m: Map = [("a", Value::from(1u64)), ("b", Value::from("x"))]
        .into_iter()
        .collect();
    assert_eq!(m.insert("a", Value::Null), Some(Value::from(1u64)));
    assert_eq!(m.insert("c", true.into()), None);
    assert_eq!(m.remove("b"), Some(Value::from("x")));
    assert_eq!(m.remove("b"), None);
    assert!(m.contains_key("c") && !m.contains_key("b"));
    assert_eq!(Value::Object(m).to_string(), r#"{"a":null,"c":true}"#);
}

#[test]
fn nesting_is_bounded() {
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(agree(&nested(DEPTH_LIMIT)).is_some());
    assert!(agree(&nested(DEPTH_LIMIT + 1)).is_none());
    let objects = |n: usize| format!("{}{}", "{\"a\":".repeat(n), "}".repeat(n));
    let text = objects(DEPTH_LIMIT).replacen("{\"a\":}", "{}", 1);
    assert!(parse(text.as_bytes()).is_ok());
    // Far deeper than any stack would allow to recurse: an error, not a crash.
    let e = parse("[".repeat(1_000_000).as_bytes()).unwrap_err();
    assert_eq!(e.message, "recursion limit exceeded");
    assert_eq!(e.column, DEPTH_LIMIT + 1);
}

#[test]
fn structure_errors() {
    for bad in [
        "",
        " ",
        "[",
        "[1",
        "[1,",
        "[1,]",
        "[,1]",
        "{",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1,}",
        "{a:1}",
        "{\"a\" 1}",
        "[1 2]",
        "nul",
        "nulx",
        "truex",
        "tru",
        "1 2",
        "[]]",
        "}",
    ] {
        assert!(agree(bad).is_none(), "{bad:?} accepted");
    }
    for good in [" [ 1 , { \"a\" : [ ] } ] \n", "\t\r\nnull", "false", "{}"] {
        same_text(good);
    }
}

#[test]
fn errors_say_where() {
    let e = parse(b"{\n  \"a\": [1,\n    2 3]\n}").unwrap_err();
    assert_eq!((e.line, e.column), (3, 7));
    assert_eq!(e.to_string(), "expected `,` or `]` at line 3 column 7");
    let e = parse(b"[1] x").unwrap_err();
    assert_eq!(e.message, "trailing characters");
    assert_eq!((e.line, e.column), (1, 5));
}

#[test]
fn every_prefix_of_a_document_is_an_error_or_a_value() {
    let doc = r#"{"a":[1,-2,3.5e1,"x\u00e9\ud83d\ude00\n",true,false,null],"b":{"c":{}}}"#;
    for end in 0..doc.len() {
        let prefix = &doc.as_bytes()[..end];
        let ours = parse(prefix);
        let theirs = serde_json::from_slice::<serde_json::Value>(prefix);
        assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}", &doc[..end]);
    }
    assert!(agree(doc).is_some());
}

#[test]
fn accessors() {
    let v = parse(br#"{"u":7,"i":-7,"s":"x","b":true,"a":[1],"o":{"k":null}}"#).unwrap();
    assert_eq!(v.get("u").and_then(Value::as_u64), Some(7));
    assert_eq!(v.get("u").and_then(Value::as_i64), Some(7));
    assert_eq!(v.get("i").and_then(Value::as_i64), Some(-7));
    assert_eq!(v.get("i").and_then(Value::as_f64), Some(-7.0));
    assert_eq!(v.get("s").and_then(Value::as_str), Some("x"));
    assert_eq!(v.get("b").and_then(Value::as_bool), Some(true));
    assert_eq!(v.get("a").and_then(Value::as_array).map(Vec::len), Some(1));
    assert!(v
        .get("o")
        .and_then(|o| o.get("k"))
        .is_some_and(Value::is_null));
    assert_eq!(v.get("s").and_then(Value::as_u64), None);
    assert_eq!(v.get("missing"), None);
    assert_eq!(Value::from(3u64).get("u"), None);
    assert_eq!(Value::from(None::<u32>), Value::Null);
    assert_eq!(Value::from(vec!["a", "b"]).to_string(), r#"["a","b"]"#);
}

#[test]
fn built_floats_are_written_as_serde_json_writes_them() {
    let mut floats = vec![
        0.0,
        -0.0,
        1.0,
        0.1,
        1.5,
        123456789.0,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
    ];
    for e in -30..30 {
        floats.push(10f64.powi(e));
        floats.push(-1.2345 * 10f64.powi(e));
    }
    let mut x: u64 = 0x1234_5678;
    for _ in 0..2000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        floats.push(f64::from_bits(x));
    }
    for f in floats {
        let theirs = serde_json::Value::from(f);
        match Number::from_f64(f) {
            Some(n) => {
                let text = Value::Number(n.clone()).to_string();
                assert_eq!(text, theirs.to_string(), "{f:e}");
                // What is written reads back as the same number.
                assert_eq!(parse(text.as_bytes()).unwrap(), Value::Number(n));
                assert_eq!(text.parse::<f64>().unwrap().to_bits(), f.to_bits());
            }
            None => assert!(!f.is_finite() && theirs.is_null()),
        }
    }
}

#[test]
fn floats_too_large_are_errors() {
    // Rust's float parser rounds correctly: it is the oracle for where infinity begins.
    for text in [
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.79769313486231580793e308",
        "1.797693134862315807937289714053034150799341327100378269361737789804449682927647509466490179775872070963302864166928879109465555478519404026306574886715058206819089020007083836762738548458177115317644757302700698555713669596228429148198608349364752927190741684443655107043427115596995080930428801779041744977920e-1",
        "1.797693134862315807937289714053034150799341327100378269361737789804449682927647509466490179775872070963302864166928879109465555478519404026306574886715058206819089020007083836762738548458177115317644757302700698555713669596228429148198608349364752927190741684443655107043427115596995080930428801779041744977919e308",
        "1.797693134862315807937289714053034150799341327100378269361737789804449682927647509466490179775872070963302864166928879109465555478519404026306574886715058206819089020007083836762738548458177115317644757302700698555713669596228429148198608349364752927190741684443655107043427115596995080930428801779041744977920e308",
        "1.7976931348623159e308",
        "-1.7976931348623159e308",
        "17976931348623157e292",
        "0.00017976931348623159e312",
        "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.5",
        "1e308",
        "1e309",
        "0e999999999999999999999999",
        "1e-999999999999999999999999",
        "1e999999999999999999999999",
        "0.0",
    ] {
        let finite = text.parse::<f64>().unwrap().is_finite();
        let ours = parse(text.as_bytes());
        assert_eq!(ours.is_ok(), finite, "{text}");
        if let Err(e) = ours {
            assert_eq!((e.message, e.column), ("number out of range", 1));
        }
    }
}

#[test]
fn key_order_is_a_stable_sort() {
    // Keys drawn from a small set, so most repeat; indices of equal keys stay in order.
    let mut x: u32 = 7;
    for n in [0usize, 1, 2, 3, 17, 100, 257] {
        let entries: Vec<(String, Value)> = (0..n)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (format!("k{}", (x >> 16) % 13), Value::Null)
            })
            .collect();
        let order = super::sorted_by_key(&entries);
        let mut seen = vec![false; n];
        for &i in &order {
            assert!(!std::mem::replace(&mut seen[i], true), "{i} twice");
        }
        for pair in order.windows(2) {
            let (a, b) = (&entries[pair[0]].0, &entries[pair[1]].0);
            assert!(a < b || (a == b && pair[0] < pair[1]), "{n}: {pair:?}");
        }
    }
}
