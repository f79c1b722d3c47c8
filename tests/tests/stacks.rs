//! `kstack` / `ustack` end to end: stack trace maps filled by `bpf_get_stackid`,
//! symbolized by the runtime in bpftrace's three stack modes.

use tracec_tests::*;

fn is_frame(s: &str) -> bool {
    match s.rsplit_once('+') {
        Some((name, off)) => !name.is_empty() && off.parse::<u64>().is_ok(),
        None => false,
    }
}

#[test]
fn kernel_stacks_in_three_modes() {
    let Some(_k) = kernel_or_skip("kernel_stacks") else {
        return;
    };
    let run = run_to_exit(
        "kernel_stacks",
        r#"tracepoint:sched:sched_switch {
  printf("[%s]\n", kstack(3));
  @[kstack(perf, 2)] = count();
  print((kstack(raw, 2), "a"));
  exit();
}"#,
        &[],
    );
    let lines = run.out_lines.clone();
    let text = lines.join("\n");
    // printf: "[", then three indented `name+offset` frames, then "]".
    let open = lines.iter().position(|l| l == "[").expect(&text);
    for l in &lines[open + 1..open + 4] {
        let f = l.strip_prefix("        ").expect(&text);
        assert!(is_frame(f) && !f.starts_with(' '), "{text}");
    }
    assert_eq!(lines[open + 4], "]", "{text}");
    // The first frame is `__schedule` unless sched_switch has several consumers (any
    // enabled trace event, e.g. after a `debugf` program, adds one): then the
    // tracepoint's iterator `__traceiter_sched_switch` comes first.
    assert!(
        lines[open + 1..open + 3]
            .iter()
            .any(|l| l.starts_with("        __schedule+")),
        "{text}"
    );
    // print of a tuple: raw addresses (hex, no 0x), then the string.
    let tup = lines.iter().position(|l| l == "(").expect(&text);
    for l in &lines[tup + 1..tup + 3] {
        assert!(
            l.len() == 16 && l.chars().all(|c| c.is_ascii_hexdigit()),
            "{text}"
        );
    }
    assert_eq!(lines[tup + 3], ", a)", "{text}");
    // A map key in perf mode: tab, address, symbol.
    let key = lines.iter().position(|l| l == "@[").expect(&text);
    let (addr, sym) = lines[key + 1]
        .strip_prefix('\t')
        .and_then(|l| l.split_once(' '))
        .expect(&text);
    assert!(
        u64::from_str_radix(addr, 16).is_ok() && is_frame(sym),
        "{text}"
    );
    assert!(lines[key + 3].starts_with("]: "), "{text}");
}

#[test]
fn stacks_in_begin_and_variables() {
    let Some(_k) = kernel_or_skip("begin_stacks") else {
        return;
    };
    let run = run_to_exit(
        "begin_stacks",
        r#"BEGIN { $s = kstack; @s = $s; printf("%s|\n", ustack); print((ustack(2), "a")); exit(); }"#,
        &[],
    );
    let text = run.stdout_text();
    assert!(text.contains("|\n"), "{text}");
    assert!(text.contains(", a)\n"), "{text}");
}

#[test]
fn stack_argument_errors() {
    let out = tracec(&["-e", "BEGIN { @ = kstack(fast); }", "-o", "/dev/null"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("kstack(): unknown stack mode 'fast'"), "{err}");
    let out = tracec(&["-e", "BEGIN { @ = ustack(perf, 0); }", "-o", "/dev/null"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ustack() limit must be at least 1"), "{err}");
    let out = tracec(&["-e", "BEGIN { @ = kstack(1, 2, 3); }", "-o", "/dev/null"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kstack() takes at most 2 arguments"), "{err}");
}

#[test]
fn symbols_of_addresses() {
    let Some(_k) = kernel_or_skip("symbols") else {
        return;
    };
    let run = run_to_exit(
        "symbols",
        r#"BEGIN { @ = usym(1); @k[ksym(kaddr("vfs_read") + 3)] = count(); printf("%s %s\n", ksym(kaddr("vfs_read")), usym(2)); exit(); }"#,
        &[],
    );
    assert_eq!(
        run.stdout_text(),
        "vfs_read 0x2\n\n\n@: 0x1\n@k[vfs_read]: 1\n"
    );
}
