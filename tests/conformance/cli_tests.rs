use super::cli::*;

fn p(args: &[&str]) -> Result<Invocation, CliError> {
    parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

#[test]
fn flags_combine_and_take_values_like_bpftrace() {
    let inv = p(&[
        "-qfjson", "-e", "begin {}", "--unsafe", "--pid=12", "-o", "f",
    ])
    .unwrap();
    assert_eq!(inv.action, Action::Run(Source::Inline("begin {}".into())));
    assert!(inv.quiet && inv.json && inv.allow_unsafe);
    assert_eq!(inv.pid.as_deref(), Some("12"));
    assert_eq!(inv.output.as_deref(), Some("f"));
    assert_eq!(
        inv.tracerun_flags(true),
        ["-q", "-f", "json", "--unsafe", "-p", "12", "-o", "f"]
    );
    assert_eq!(
        inv.tracerun_flags(false)[0],
        "-f",
        "-q stays with the runner"
    );
    let inv = p(&["-qe", "begin {}", "a", "--", "--x=1"]).unwrap();
    assert_eq!(inv.args, ["a", "--x=1"]);
    assert_eq!(inv.tracerun_args(), ["--", "a", "--x=1"]);
    assert_eq!(p(&["-", "x"]).unwrap().action, Action::Run(Source::Stdin));
    assert_eq!(
        p(&["-I", "inc", "-e", "x"]).unwrap().tracec_flags(),
        ["-I", "inc"]
    );
}

#[test]
fn listing_takes_a_pattern_or_a_program() {
    assert_eq!(
        p(&["-lv", "kprobe:*"]).unwrap().action,
        Action::List {
            pattern: Some("kprobe:*".into()),
            program: None,
            verbose: true
        }
    );
    assert_eq!(
        p(&["-l"]).unwrap().action,
        Action::List {
            pattern: None,
            program: None,
            verbose: false
        }
    );
    assert_eq!(
        p(&["-l", "-e", "i:s:1 {}"]).unwrap().action,
        Action::List {
            pattern: None,
            program: Some(Source::Inline("i:s:1 {}".into())),
            verbose: false
        }
    );
    // A file that does not exist is a pattern (the shim warns about it).
    assert_eq!(
        p(&["-l", "no_such_file_here.bt"]).unwrap().action,
        Action::List {
            pattern: Some("no_such_file_here.bt".into()),
            program: None,
            verbose: false
        }
    );
    assert_eq!(p(&["--list"]).unwrap().action, p(&["-l"]).unwrap().action);
}

#[test]
fn bad_and_unsupported_flags_are_errors() {
    assert!(matches!(p(&["-idonotexist"]), Err(CliError::Usage(_))));
    assert!(matches!(
        p(&["-e", "x", "--aa=20"]),
        Err(CliError::Usage(_))
    ));
    assert!(matches!(p(&[]), Err(CliError::Usage(_))));
    assert!(matches!(p(&["-e"]), Err(CliError::Usage(_))));
    assert_eq!(
        p(&["-f", "jsonx", "-e", "x"]).unwrap_err().to_string(),
        "Invalid output format \"jsonx\"\nValid formats: 'text', 'json'"
    );
    assert_eq!(
        p(&["--probe-filter", ":200", "-e", "x"])
            .unwrap()
            .probe_filter,
        Some(":200".to_string())
    );
    let bench = p(&["--mode", "bench", "-e", "x"]).unwrap();
    assert!(bench.bench);
    assert!(bench.tracerun_flags(false).contains(&"--bench".to_string()));
    assert!(!p(&["--mode=run", "-e", "x"]).unwrap().bench);
    assert!(matches!(
        p(&["--mode", "nosuch", "-e", "x"]),
        Err(CliError::Unsupported(f)) if f == "--mode nosuch"
    ));
    assert!(matches!(
        p(&["--no-feature", "x", "-e", "x"]),
        Err(CliError::Unsupported(f)) if f == "--no-feature"
    ));
    let traceable = p(&["--traceable-functions", "/dev/null", "-e", "x"]).unwrap();
    assert!(traceable
        .tracec_flags()
        .windows(2)
        .any(|w| w == ["--traceable-functions", "/dev/null"]));
    let file_activation = p(&["--usdt-file-activation", "-e", "x"]).unwrap();
    assert!(!file_activation
        .tracerun_flags(false)
        .iter()
        .any(|f| f.contains("usdt")));
    let k = p(&["-k", "-e", "x"]).unwrap();
    assert!(k.helper_checks);
    assert!(k.tracec_flags().contains(&"-k".to_string()));
    let c = p(&["-c", "ls -l", "-e", "x"]).unwrap();
    assert_eq!(c.cmd.as_deref(), Some("ls -l"));
    assert!(c
        .tracerun_flags(false)
        .windows(2)
        .any(|w| w == ["-c", "ls -l"]));
    assert_eq!(
        p(&["--cmd=true", "-e", "x"]).unwrap().cmd.as_deref(),
        Some("true")
    );
    assert_eq!(p(&["--version"]).unwrap().action, Action::Version);
    assert_eq!(p(&["-h"]).unwrap().action, Action::Help);
    assert_eq!(p(&["--info"]).unwrap().action, Action::Info);
}

#[test]
fn pids_are_validated_with_bpftraces_messages() {
    assert_eq!(parse_pid("1"), Ok(1));
    assert_eq!(
        parse_pid("a1111").unwrap_err(),
        "Failed to parse pid: invalid integer: a1111"
    );
    assert_eq!(
        parse_pid("111a1").unwrap_err(),
        "Failed to parse pid: invalid trailing bytes: 111a1"
    );
    assert_eq!(
        parse_pid("not_a_pid").unwrap_err(),
        "Failed to parse pid: invalid integer: not_a_pid"
    );
    assert_eq!(parse_pid("0").unwrap_err(), "Pid out of range: 0");
    assert_eq!(
        parse_pid("99999999999").unwrap_err(),
        "Pid out of range: 99999999999"
    );
}

#[test]
fn last_program_wins_and_aot_and_test_modes_parse() {
    let inv = p(&["-e", "begin { 1 }", "-e", "begin { 2 }"]).unwrap();
    assert_eq!(
        inv.action,
        Action::Run(Source::Inline("begin { 2 }".into()))
    );
    let inv = p(&["-e", "begin {}", "--aot", "/tmp/x.btaot"]).unwrap();
    assert_eq!(inv.aot.as_deref(), Some("/tmp/x.btaot"));
    let inv = p(&["--test", "t.bt"]).unwrap();
    assert!(inv.test);
    assert!(inv.tracerun_flags(true).contains(&"--test".to_string()));
    assert!(p(&["--mode", "test", "t.bt"]).unwrap().test);
}

#[test]
fn dwarf_pids_go_to_the_runtime() {
    let inv = p(&["--dwarf-pid", "5", "--dwarf-pid=6", "-e", "x"]).unwrap();
    assert_eq!(inv.dwarf_pids, ["5", "6"]);
    assert_eq!(
        inv.tracerun_flags(false),
        ["--dwarf-pid", "5", "--dwarf-pid", "6"]
    );
    assert!(inv.tracec_flags().is_empty());
}

#[test]
fn debuginfo_dirs_go_to_the_compiler() {
    let inv = p(&["--debuginfo=./a", "--debuginfo", "/b:c", "-e", "x"]).unwrap();
    assert_eq!(inv.debuginfo, ["./a", "/b:c"]);
    assert_eq!(inv.tracec_flags(), ["--debuginfo=./a", "--debuginfo=/b:c"]);
    assert!(inv.tracerun_flags(false).is_empty());
}

#[test]
fn verbose_runs_pass_v_to_tracerun() {
    let inv = p(&["-v", "-e", "begin {}"]).unwrap();
    assert!(inv.tracerun_flags(false).contains(&"-v".to_string()));
    let inv = p(&["-e", "begin {}"]).unwrap();
    assert!(!inv.tracerun_flags(false).contains(&"-v".to_string()));
}
