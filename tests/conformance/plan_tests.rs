use std::path::Path;

use super::parse::parse_suite;
use super::plan::*;
use super::scan::*;

fn host() -> Host {
    Host {
        machine: "x86_64".into(),
        big_endian: false,
        kernel: "6.18.0-1-amd64".into(),
        btf: true,
        testprogs: ["syscall", "true"].map(String::from).into(),
        testlibs: ["libusdt_tp.so"].map(String::from).into(),
    }
}

fn rec(text: &str) -> super::Record {
    parse_suite("s", text).pop().unwrap().unwrap()
}

fn plan_of(text: &str) -> Result<Plan, String> {
    plan(&rec(text), &host(), Path::new("/nonexistent"))
}

#[test]
fn shell_words_handle_quotes_and_refuse_shell_syntax() {
    assert_eq!(
        shell_words(r#"{{BPFTRACE}} -e 'begin { printf("%d\n", 1); }' "a b" c\ d"#).unwrap(),
        [
            "{{BPFTRACE}}",
            "-e",
            "begin { printf(\"%d\\n\", 1); }",
            "a b",
            "c d"
        ]
    );
    assert_eq!(
        shell_words(r#"x "q\"uote\n""#).unwrap(),
        ["x", "q\"uote\\n"]
    );
    assert_eq!(shell_words("a 'it'\\''s'").unwrap(), ["a", "it's"]);
    for bad in [
        "a | b",
        "a; b",
        "a > f",
        "a < f",
        "a && b",
        "x $(y)",
        "x \"$(y)\"",
        "x 'open",
    ] {
        assert!(shell_words(bad).is_err(), "{bad}");
    }
}

#[test]
fn probe_types_come_from_top_level_headers() {
    let src = r#"#include <linux/sched.h>
config = { missing_probes = "warn" }
struct Foo { int a; };
macro add(x, y) { x + y }
BEGIN { @a = 2; } i:s:1 { exit() }
fentry:vfs_read, kprobe:vfs_open /@a != 0/ { if (1) { printf("t:x { }"); } }
// kretprobe:commented { }
/* uprobe:also { } */
end { }"#;
    assert_eq!(
        probe_types(src),
        ["begin", "interval", "fentry", "kprobe", "end"]
    );
    assert_eq!(
        probe_types("t:syscalls:sys_enter_openat /pid == 1/ { }"),
        ["tracepoint"]
    );
    assert_eq!(probe_types("uprobe:/bin/bash:readline { }"), ["uprobe"]);
    assert!(attaches_nothing(&probe_types("BEGIN { exit(); } END { }")));
    assert!(!attaches_nothing(&probe_types(
        "begin { } profile:hz:99 { }"
    )));
}

fn direct(source: Source, quiet: bool, args: &[&str]) -> RunLine {
    RunLine {
        exec: Exec::Direct {
            source,
            tracec_flags: vec![],
            tracerun_flags: vec![],
        },
        quiet,
        json: false,
        args: args.iter().map(|s| s.to_string()).collect(),
    }
}

fn is_shell(line: &str) -> bool {
    translate_run(line).exec == Exec::Shell(line.to_string())
}

#[test]
fn run_lines_translate_to_direct_runs_or_shell_runs() {
    let inline = |t: &str| Source::Inline(t.into());
    assert_eq!(
        translate_run("{{BPFTRACE}} -e 'begin { exit(); }'"),
        direct(inline("begin { exit(); }"), false, &[])
    );
    assert_eq!(
        translate_run("{{BPFTRACE}} -q -e 'begin { }'"),
        direct(inline("begin { }"), true, &[])
    );
    assert_eq!(
        translate_run("{{BPFTRACE}} -qe 'begin { }'"),
        direct(inline("begin { }"), true, &[])
    );
    assert_eq!(
        translate_run("{{BPFTRACE}} runtime/scripts/hello_world.bt"),
        direct(
            Source::File("runtime/scripts/hello_world.bt".into()),
            false,
            &[]
        )
    );
    let json = translate_run("{{BPFTRACE}} -q -f json -e 'begin {}'");
    assert!(json.json && json.quiet);
    assert!(translate_run("{{BPFTRACE}} -qfjson -e 'begin {}'").json);
    assert!(!translate_run("{{BPFTRACE}} -q -e 'begin { printf(\"-f json\") }'").json);
    assert_eq!(
        translate_run("{{BPFTRACE}} -e 'begin {}' 1 \"two words\""),
        direct(inline("begin {}"), false, &["1", "two words"])
    );
    assert_eq!(
        translate_run("{{BPFTRACE}} -e 'begin {}' pos1 -- --aa=20 pos2 --dd"),
        direct(
            inline("begin {}"),
            false,
            &["pos1", "--aa=20", "pos2", "--dd"]
        )
    );
    assert_eq!(
        translate_run("{{BPFTRACE}} runtime/scripts/named_params.bt -- --aa=20"),
        direct(
            Source::File("runtime/scripts/named_params.bt".into()),
            false,
            &["--aa=20"]
        )
    );
    // --unsafe and -o go to both programs / to tracerun.
    let unsafe_run = translate_run("{{BPFTRACE}} --unsafe -e 'begin {}' -o out.txt");
    assert_eq!(
        unsafe_run.exec,
        Exec::Direct {
            source: inline("begin {}"),
            tracec_flags: vec!["--unsafe".into()],
            tracerun_flags: vec!["--unsafe".into(), "-o".into(), "out.txt".into()],
        }
    );
    // --include becomes an #include before the program; --no-warnings goes to tracec
    // (compile-time warnings) and tracerun (warnf).
    assert_eq!(
        translate_run("{{BPFTRACE}} --no-warnings --include \"errno.h\" -e 'begin {}'").exec,
        Exec::Direct {
            source: inline("#include <errno.h>\nbegin {}"),
            tracec_flags: vec!["--no-warnings".into()],
            tracerun_flags: vec!["--no-warnings".into()],
        }
    );
    // -k goes to tracec, --probe-filter and --mode bench to tracerun.
    assert_eq!(
        translate_run("{{BPFTRACE}} -k --probe-filter ':200' --mode bench -e 'begin {}'").exec,
        Exec::Direct {
            source: inline("begin {}"),
            tracec_flags: vec!["-k".into()],
            tracerun_flags: vec!["--probe-filter".into(), ":200".into(), "--bench".into()],
        }
    );
    // Everything else runs in a shell with the shim, and fails or passes on its merits.
    for l in [
        "{{BPFTRACE}} -e 'begin {}' | grep x",
        "echo hi && {{BPFTRACE}} -e 'begin {}'",
        "{{BPFTRACE}} - < runtime/scripts/hello_world.bt",
        "{{BPFTRACE}} --version",
        "{{BPFTRACE}} -l 'kprobe:*'",
        "{{BPFTRACE}} -f jsonx -e 'begin {}'",
        "{{BPFTRACE}} -p 12 -e 'begin {}'",
        "{{BPFTRACE}} --dry-run -e 'begin {}'",
        "{{BPFTRACE}} -- -e 'begin {}'",
    ] {
        assert!(is_shell(l), "{l}");
    }
    assert_eq!(
        shell_programs(r#"{{BPFTRACE}} -e 'i:ms:1 { }' -o x; {{BPFTRACE}} -qe "k:f { }""#),
        ["i:ms:1 { }", "k:f { }"]
    );
}

#[test]
fn process_references_are_rewritten_to_the_tracerun_pid() {
    assert_eq!(
        rewrite_process_refs("kill -s USR1 $(pidof bpftrace)").unwrap(),
        "kill -s USR1 {{TRACERUN_PID}}"
    );
    assert_eq!(
        rewrite_process_refs("pkill -SIGINT bpftrace").unwrap(),
        "kill -INT {{TRACERUN_PID}}"
    );
    assert_eq!(
        rewrite_process_refs("pkill bpftrace").unwrap(),
        "kill {{TRACERUN_PID}}"
    );
    assert_eq!(
        rewrite_process_refs("pkill -9 bpftrace; true").unwrap(),
        "kill -9 {{TRACERUN_PID}}; true"
    );
    assert_eq!(
        rewrite_process_refs("nft add table bpftrace").unwrap(),
        "nft add table bpftrace",
        "a table named bpftrace is not the process"
    );
    assert!(rewrite_process_refs("pgrep -f bpftrace | xargs kill").is_err());
}

#[test]
fn skip_rules_name_their_reason() {
    let reason = |t: &str| plan_of(t).unwrap_err();
    let base = "NAME n\nPROG begin { exit(); }\nEXPECT x\n";
    assert!(plan_of(base).is_ok());
    assert!(reason(&format!("{base}ARCH aarch64\n")).starts_with("arch:"));
    assert!(plan_of(&format!("{base}ARCH x86_64|aarch64\n")).is_ok());
    assert!(plan_of(&format!("{base}ARCH le\n")).is_ok());
    assert!(reason(&format!("{base}ARCH !x86_64\n")).starts_with("arch:"));
    assert!(reason(&format!("{base}MIN_KERNEL 6.19\n")).starts_with("kernel:"));
    assert!(plan_of(&format!("{base}MIN_KERNEL 6.12\n")).is_ok());
    assert!(reason(&format!("{base}MAX_KERNEL 5.4\n")).starts_with("kernel:"));
    // NEW_PIDNS runs (in a namespace of the runner's), but needs a BEFORE.
    assert!(plan_of(&format!("{base}NEW_PIDNS\nBEFORE sleep 1\n")).is_ok());
    assert!(reason(&format!("{base}NEW_PIDNS\n")).starts_with("pidns:"));
    assert!(plan_of(&format!("{base}AFTER ./testprogs/syscall read\n")).is_ok());
    let missing = reason(&format!("{base}AFTER ./testprogs/uprobe_test\n"));
    assert!(missing.starts_with("testprogs:") && missing.contains("testprogs/uprobe_test"));
    let lib = reason(&format!(
        "{base}BEFORE ./testprogs/true ./testlibs/libsimple.so\n"
    ));
    assert!(lib.contains("testlibs/libsimple.so"), "{lib}");
    assert!(plan_of(&format!(
        "{base}BEFORE ./testprogs/true ./testlibs/libusdt_tp.so\n"
    ))
    .is_ok());
    // tracerun honours BPFTRACE_CACHE_USER_SYMBOLS; other variables are skipped.
    assert!(plan_of(&format!("{base}ENV BPFTRACE_CACHE_USER_SYMBOLS=PER_PID\n")).is_ok());
    assert!(reason(&format!("{base}ENV BPFTRACE_NO_SUCH=1\n")).contains("BPFTRACE_NO_SUCH"));
    assert!(reason(&format!("{base}REQUIRES_FEATURE aot\n")).starts_with("feature:"));
    assert!(plan_of(&format!("{base}REQUIRES_FEATURE blazesym\n")).is_ok());
    assert!(reason(&format!("{base}REQUIRES_FEATURE !blazesym\n")).starts_with("feature:"));
    assert!(reason(&format!("{base}REQUIRES_FEATURE frobnicate\n")).contains("unknown"));
    assert!(plan_of(&format!(
        "{base}REQUIRES_FEATURE btf lookup_percpu_elem !aot\n"
    ))
    .is_ok());
    assert!(reason(&format!("{base}REQUIRES_FEATURE !btf\n")).starts_with("feature:"));
    assert!(reason(&format!("{base}AFTER pgrep bpftrace\n")).starts_with("process:"));
    let json = plan_of("NAME n\nPROG begin {}\nEXPECT_JSON runtime/outputs/a.json\n").unwrap();
    assert!(json.json && json.quiet);
    assert!(reason("NAME n\nPROG begin {}\nEXPECT_REGEX a(?!b)\n").starts_with("regex:"));
    let list = plan_of("NAME n\nRUN {{BPFTRACE}} -l\nEXPECT x\n").unwrap();
    assert_eq!(list.exec, Exec::Shell("{{BPFTRACE}} -l".into()));
    let p = plan_of("NAME n\nPROG end { }\nAFTER pkill -SIGINT bpftrace\nEXPECT x\n").unwrap();
    assert!(p.attaches_nothing);
    assert_eq!(p.after, "kill -INT {{TRACERUN_PID}}");
}

#[test]
fn unattachable_probe_types_are_planned_for_a_static_check() {
    let unattachable = |t: &str| plan_of(t).unwrap().unattachable;
    let kr = unattachable("NAME n\nPROG kretprobe:vfs_read { exit(); }\nEXPECT x\n").unwrap();
    assert!(kr.starts_with("probe type: kretprobe"), "{kr}");
    let f = unattachable("NAME n\nPROG begin {} f:vfs_read { }\nEXPECT x\n").unwrap();
    assert!(f.starts_with("probe type: fentry"), "{f}");
    assert_eq!(unattachable("NAME n\nPROG begin {}\nEXPECT x\n"), None);
    let shell = "NAME n\nRUN {{BPFTRACE}} -e 'kprobe:f { }' | grep k\nEXPECT x\n";
    assert!(
        unattachable(shell).is_some_and(|r| r.starts_with("probe type:")),
        "the programs of shell lines are checked for unattachable probe types"
    );
    // A listing attaches nothing.
    let list = "NAME n\nRUN {{BPFTRACE}} -l -e 'fentry:vfs_read { }'\nEXPECT x\n";
    assert_eq!(unattachable(list), None);
    // Another skip reason wins: the record is not checked.
    let other = "NAME n\nPROG k:f { }\nENV BPFTRACE_NO_SUCH=1\nEXPECT x\n";
    assert!(plan_of(other).unwrap_err().starts_with("env:"));
    let arch = "NAME n\nPROG k:f { }\nARCH aarch64\nEXPECT x\n";
    assert!(plan_of(arch).unwrap_err().starts_with("arch:"));
}

#[test]
fn version_keys_compare_numerically() {
    assert!(version_key("6.18.0-rc1") > version_key("6.12"));
    assert!(version_key("6.9") < version_key("6.10"));
    assert_eq!(version_key("5.4.0-generic"), [5, 4, 0]);
}

#[test]
fn testprog_names_are_read_from_commands_and_programs() {
    use super::testprogs::referenced;
    assert_eq!(
        referenced("u:./testprogs/uprobe_test:f { } ./testprogs/uprobe_test-pie x testprogs/true"),
        ["uprobe_test", "uprobe_test-pie", "true"]
    );
    assert!(referenced("runtime/scripts/x.bt").is_empty());
}

#[test]
fn wildcarded_testprog_names_need_one_match() {
    use super::testprogs::{provides, referenced};
    assert_eq!(referenced("-l 'uprobe:./testprogs/uprobe*:*'"), ["uprobe*"]);
    let built: std::collections::BTreeSet<String> =
        ["true", "uprobe_test"].map(String::from).into();
    assert!(provides(&built, "uprobe*"));
    assert!(provides(&built, "tru?"));
    assert!(!provides(&built, "usdt*"));
    assert!(!provides(&built, "uprobe"));
    assert!(provides(&built, "true"));
}

#[test]
fn stored_zip_layout() {
    use super::testprog_extras::{crc32, stored_zip};
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    let zip = stored_zip(&[("true", b"abc")]);
    // Local header, name, contents at 30 + 4.
    assert_eq!(&zip[..4], b"PK\x03\x04");
    assert_eq!(&zip[30..34], b"true");
    assert_eq!(&zip[34..37], b"abc");
    // End of central directory: one entry, the directory right after the contents.
    let end = &zip[zip.len() - 22..];
    assert_eq!(&end[..4], b"PK\x05\x06");
    assert_eq!(u16::from_le_bytes([end[10], end[11]]), 1);
    assert_eq!(u32::from_le_bytes([end[16], end[17], end[18], end[19]]), 37);
}
