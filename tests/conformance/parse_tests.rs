use super::parse::*;

fn one(text: &str) -> Record {
    let mut v = parse_suite("s", text);
    assert_eq!(v.len(), 1, "{v:?}");
    v.pop().unwrap().unwrap()
}

#[test]
fn records_are_separated_by_blank_lines_and_comments_are_ignored() {
    let text = "# header comment\nNAME a\nPROG begin { exit(); }\nEXPECT x\n\n\nNAME b\n# inside\nRUN {{BPFTRACE}} -e 'begin {}'\nEXPECT y";
    let v: Vec<Record> = parse_suite("s", text)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].name, "a");
    assert_eq!(v[0].line, 2);
    assert_eq!(v[0].prog, "begin { exit(); }");
    assert_eq!(v[1].name, "b");
    assert_eq!(v[1].run, "{{BPFTRACE}} -e 'begin {}'");
    assert_eq!(v[1].id(), "s/b");
    assert_eq!(v[1].line, 7);
}

#[test]
fn multi_line_prog_and_expect_keep_relative_indentation() {
    let r = one(
        "NAME m\nPROG begin { printf(\"hello \") }\n       end {\n         exit();\n     }\nEXPECT hello\n       world!\nEXPECT_REGEX ^a\n             b$\nTIMEOUT 3\n",
    );
    assert_eq!(
        r.prog,
        "begin { printf(\"hello \") }\n  end {\n    exit();\n}"
    );
    assert_eq!(r.expects.len(), 2);
    assert_eq!(
        r.expects[0],
        Expect {
            mode: ExpectMode::Text,
            value: "hello\nworld!".into()
        }
    );
    assert_eq!(
        r.expects[1],
        Expect {
            mode: ExpectMode::Regex,
            value: "^a\nb$".into()
        }
    );
    assert_eq!(r.timeout, 3);
}

#[test]
fn every_directive_is_read() {
    let r = one(concat!(
        "NAME all\n",
        "PROG i:s:1 { exit(); }\n",
        "EXPECT_NONE bad\n",
        "EXPECT_REGEX_NONE ^x+$\n",
        "EXPECT ok\n",
        "TIMEOUT 7\n",
        "BEFORE sleep 10\n",
        "BEFORE sleep 20\n",
        "AFTER echo first\n",
        "AFTER echo second\n",
        "SETUP touch /tmp/x\n",
        "CLEANUP rm -f /tmp/x\n",
        "MIN_KERNEL 5.10\n",
        "MAX_KERNEL 7.0\n",
        "REQUIRES true\n",
        "REQUIRES ls /\n",
        "ENV A=1 B=two\n",
        "ARCH x86_64| aarch64\n",
        "REQUIRES_FEATURE btf !dwarf\n",
        "NEW_PIDNS\n",
        "SKIP_IF_ENV_HAS CI=true\n",
        "LOCALIZE_TIMESTAMPS 1700000000\n",
    ));
    assert_eq!(r.timeout, 7);
    assert_eq!(r.befores, ["sleep 10", "sleep 20"]);
    assert_eq!(
        r.after, "echo second",
        "the last AFTER wins, as in the Python engine"
    );
    assert_eq!(r.setup, "touch /tmp/x");
    assert_eq!(r.cleanup, "rm -f /tmp/x");
    assert_eq!(
        (r.min_kernel.as_str(), r.max_kernel.as_str()),
        ("5.10", "7.0")
    );
    assert_eq!(r.requires, ["true", "ls /"]);
    assert_eq!(r.env.get("A").map(String::as_str), Some("1"));
    assert_eq!(r.env.get("B").map(String::as_str), Some("two"));
    assert_eq!(r.arch, ["x86_64", "aarch64"]);
    assert_eq!(r.features, ["btf"]);
    assert_eq!(r.neg_features, ["dwarf"]);
    assert!(r.new_pidns);
    assert!(!r.will_fail);
    assert_eq!(r.skip_if_env_has, Some(("CI".into(), "true".into())));
    assert_eq!(r.localize_ts, Some(1_700_000_000));
    let modes: Vec<ExpectMode> = r.expects.iter().map(|e| e.mode).collect();
    assert_eq!(
        modes,
        [
            ExpectMode::TextNone,
            ExpectMode::RegexNone,
            ExpectMode::Text
        ]
    );
    assert!(!r.has_exact_expect());
}

#[test]
fn defaults_and_value_trimming() {
    let r = one(
        "NAME  spaced name  \nPROG begin {}\nEXPECT_FILE   runtime/outputs/x.txt  \nWILL_FAIL\n",
    );
    assert_eq!(r.name, "spaced name");
    assert_eq!(r.timeout, DEFAULT_TIMEOUT);
    assert_eq!(r.return_code, 0);
    assert!(r.will_fail);
    assert_eq!(r.expects[0].value, "runtime/outputs/x.txt");
    assert!(r.has_exact_expect());
}

#[test]
fn return_code_alone_is_an_expectation() {
    let r = one("NAME rc\nPROG begin { exit(69); }\nRETURN_CODE 69\n");
    assert_eq!(r.return_code, 69);
    assert!(r.expects.is_empty());
}

#[test]
fn malformed_records_are_errors_that_do_not_hide_others() {
    let text = "NAME no expect\nPROG begin {}\n\nNAME both\nPROG begin {}\nRUN x\nEXPECT a\n\nNAME bogus\nPROG begin {}\nEXPECT a\nFROB 1\n\nNAME exact plus\nPROG begin {}\nEXPECT_JSON a.json\nEXPECT b\n\nNAME wf\nPROG begin {}\nEXPECT a\nWILL_FAIL\nRETURN_CODE 3\n\nNAME t\nPROG begin {}\nEXPECT a\nTIMEOUT soon\n\nPROG begin {}\nEXPECT a\n\nNAME good\nPROG begin {}\nEXPECT a\n";
    let v = parse_suite("s", text);
    assert_eq!(v.len(), 8);
    let errs: Vec<String> = v
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|e| e.message.clone())
        .collect();
    assert_eq!(errs.len(), 7, "{errs:?}");
    assert!(errs[0].contains("EXPECT"));
    assert!(errs[1].contains("both"));
    assert!(errs[2].contains("FROB"));
    assert!(errs[3].contains("EXPECT_FILE or EXPECT_JSON"));
    assert!(errs[4].contains("WILL_FAIL and RETURN_CODE"));
    assert!(errs[5].contains("TIMEOUT"));
    assert!(errs[6].contains("NAME"));
    assert_eq!(v[7].as_ref().unwrap().name, "good");
    assert_eq!(v[2].as_ref().unwrap_err().line, 12);
}

#[test]
fn continuation_of_other_directives_is_not_special() {
    // Only PROG, EXPECT and EXPECT_REGEX continue; an indented line after EXPECT_NONE is a
    // directive of its own (here an unknown one), as in the Python engine.
    let v = parse_suite("s", "NAME n\nPROG begin {}\nEXPECT_NONE a\n            b\n");
    assert!(v[0].as_ref().unwrap_err().message.contains("\"b\""));
}

#[test]
fn the_shared_suite_parses_without_errors() {
    let dir = crate::workspace().join("../shared/conformance/bpftrace-runtime");
    if !dir.is_dir() {
        eprintln!("suite not present at {}; skipping", dir.display());
        return;
    }
    let suites = super::load_suites(&dir).unwrap();
    assert!(suites.len() > 20);
    let mut n = 0;
    for (_, records) in &suites {
        for r in records {
            let r = r.as_ref().unwrap_or_else(|e| panic!("{e}"));
            assert!(!r.name.is_empty());
            n += 1;
        }
    }
    assert!(n > 500, "{n} records");
}
