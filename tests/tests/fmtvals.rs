//! Values the runtime formats (`ntop`, `macaddr`, `strftime`, `buf`, `username`,
//! `strerror`, `signal_name`, `cgroup_path`), symbols resolved by the runtime
//! (`kaddr`), and the map functions `len` / `has_key`, end to end.

use std::time::Duration;
use tracec_tests::*;

#[test]
fn addresses_from_run_time_values() {
    let Some(_k) = kernel_or_skip("fmt_inet") else {
        return;
    };
    let run = run_to_exit(
        "fmt_inet",
        r#"begin {
  $a = ntop(0);
  $a = ntop(nsecs > 0 ? 0x0100007f : 0);
  printf("[%s] [%s] [%s]\n", $a, ntop(10, pton("fe80::1")), ntop(2, pton("10.1.2.3")));
  @[ntop(0x0200000a)] = 1;
  @v = ntop(0x0300000a);
  @t = (1, ntop(0x0400000a));
  @m = macaddr("\x05\x04\x03\x02\x01\x7b");
  exit();
}"#,
        &[],
    );
    let text = run.out_lines.join("\n");
    assert!(
        run.out_lines
            .contains(&"[127.0.0.1] [fe80::1] [10.1.2.3]".to_string()),
        "{text}"
    );
    for want in [
        "@[10.0.0.2]: 1",
        "@v: 10.0.0.3",
        "@t: (1, 10.0.0.4)",
        "@m: 05:04:03:02:01:7B",
    ] {
        assert!(run.out_lines.iter().any(|l| l == want), "{want}\n{text}");
    }
}

#[test]
fn times_buffers_and_names() {
    let Some(_k) = kernel_or_skip("fmt_misc") else {
        return;
    };
    let run = run_to_exit(
        "fmt_misc",
        r#"begin {
  printf("%s|%s\n", strftime("%s.%f", 1000123000), strftime("%s.%f", 0));
  @s = strftime("%Y", nsecs);
  printf("%r|%rx|%rh\n", buf("Hello\0", 6), buf("Hi", 2), buf("Hi\0", 3));
  @b[buf("ok_key", 7), 1] = 1;
  $b = nsecs ? buf("hi", 2) : buf("bye", 3);
  print($b);
  printf("%s|%s|%s|%s\n", strerror(22), signal_name(2), signal_name(1024), username);
  exit();
}"#,
        &[],
    );
    let text = run.out_lines.join("\n");
    let times = run
        .out_lines
        .iter()
        .find(|l| l.contains('|') && l.contains('.'))
        .expect(&text);
    let (a, b) = times.split_once('|').expect(&text);
    let micros = |s: &str| -> i128 {
        let (sec, us) = s.split_once('.').unwrap();
        sec.parse::<i128>().unwrap() * 1_000_000 + us.parse::<i128>().unwrap()
    };
    assert_eq!(micros(a) - micros(b), 1_000_123, "{text}");
    let year = std::process::Command::new("date")
        .arg("+%Y")
        .output()
        .unwrap();
    let year = String::from_utf8_lossy(&year.stdout).trim().to_string();
    for want in [
        "Hello\\x00|\\x48\\x69|48 69 00".to_string(),
        "@b[ok_key\\x00, 1]: 1".to_string(),
        "hi".to_string(),
        format!("@s: {year}"),
        "Invalid argument|Interrupt|N/A|root".to_string(),
    ] {
        assert!(run.out_lines.contains(&want), "{want}\n{text}");
    }
}

#[test]
fn map_functions() {
    let Some(_k) = kernel_or_skip("fmt_mapfuncs") else {
        return;
    };
    let run = run_to_exit(
        "fmt_mapfuncs",
        r#"begin {
  @[0] = 0; @[1] = 1; @[7] = 2;
  @a[1, "x"] = 1;
  $n = len(@);
  if ($n > 2) { printf("len %d\n", $n); }
  printf("%d %d\n", has_key(@a, (1, "x")), has_key(@a, (1, "y")));
  for ($kv : @) { if (has_key(@, $kv.0)) { @seen++; } }
  @n[ntop(0x0100007f), 2] = strftime("%Y", nsecs);
  for ($kv : @n) { printf("k %s %d %s\n", $kv.0.0, $kv.0.1, $kv.1); }
  clear(@); clear(@a); clear(@n);
  exit();
}"#,
        &[],
    );
    let text = run.out_lines.join("\n");
    let year = std::process::Command::new("date")
        .arg("+%Y")
        .output()
        .unwrap();
    let year = String::from_utf8_lossy(&year.stdout).trim().to_string();
    let key = format!("k 127.0.0.1 2 {year}");
    for want in ["len 3", "1 0", "@seen: 3", key.as_str()] {
        assert!(run.out_lines.iter().any(|l| l == want), "{want}\n{text}");
    }
}

#[test]
fn scalar_maps_have_no_length() {
    let dir = scratch("fmt_len_scalar");
    let src = dir.join("s.bt");
    std::fs::write(&src, "begin { @ = 0; printf(\"%d\\n\", len(@)); }").unwrap();
    let out = tracec(&[
        src.to_str().unwrap(),
        "-o",
        dir.join("s.o").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("call to len() expects a map with explicit keys (non-scalar map)"),
        "{err}"
    );
}

#[test]
fn kernel_symbols_are_resolved_by_the_runtime() {
    let Some(_k) = kernel_or_skip("fmt_kaddr") else {
        return;
    };
    // Compiling needs no kernel symbols: an unknown one compiles...
    let dir = scratch("fmt_kaddr");
    let obj = compile_text(
        &dir,
        "missing",
        r#"begin { print(kaddr("no_such_symbol_x")) }"#,
    );
    // ...and fails at start, as bpftrace reports it.
    let mut run = Run::start(&obj, &[]);
    let code = run.finish(Duration::from_secs(20));
    assert_ne!(code, Some(0));
    let err = run.err_lines.join("\n");
    assert!(
        err.contains(": ERROR: Failed to resolve kernel symbol: no_such_symbol_x"),
        "{err}"
    );
    assert!(
        run.err_lines.iter().any(|l| l.trim() == "~".repeat(25)),
        "{err}"
    );
    // A name given on the command line.
    let obj = compile_text(
        &dir,
        "param",
        r#"begin { printf("%d\n", kaddr(str($1)) != 0); exit(); }"#,
    );
    let mut run = Run::start_with_params(&obj, &[], &["vfs_read"]);
    assert_eq!(
        run.finish(Duration::from_secs(20)),
        Some(0),
        "{:?}",
        run.err_lines
    );
    assert!(
        run.out_lines.contains(&"1".to_string()),
        "{:?}",
        run.out_lines
    );
    let run = run_to_exit(
        "fmt_kaddr_ok",
        r#"begin { printf("%d\n", kaddr("vfs_read") != 0); exit(); }"#,
        &[],
    );
    assert!(
        run.out_lines.contains(&"1".to_string()),
        "{:?}",
        run.out_lines
    );
}

#[test]
fn addresses_of_a_tracepoint_record() {
    let Some(_k) = kernel_or_skip("fmt_tp_inet") else {
        return;
    };
    let dir = scratch("fmt_tp_inet");
    let obj = compile_text(
        &dir,
        "tp",
        r#"tracepoint:sock:inet_sock_set_state /args.family == 2 && args.dport == $1/ {
  printf("%s -> %s\n", ntop(args.saddr), ntop(args.daddr));
  exit();
}"#,
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut run = Run::start_with_params(&obj, &[], &[&port.to_string()]);
    assert!(
        run.wait_stderr(Duration::from_secs(20), |l| l.starts_with("Attached")),
        "{:?}",
        run.err_lines
    );
    let _c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert_eq!(
        run.finish(Duration::from_secs(20)),
        Some(0),
        "{:?}",
        run.err_lines
    );
    assert!(
        run.out_lines
            .contains(&"127.0.0.1 -> 127.0.0.1".to_string()),
        "{:?}",
        run.out_lines
    );
}
