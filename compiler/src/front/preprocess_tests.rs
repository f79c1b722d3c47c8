use super::*;

fn pp(src: &str) -> String {
    let (out, diags) = run(src, &[]);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(out.len() >= src.len());
    out
}

#[test]
fn defines_are_substituted_keeping_lines() {
    let out = pp("#define LIMIT 5\nBEGIN { if ($x > LIMIT) { @LIMIT = 1; } printf(\"LIMIT\"); }\n");
    assert_eq!(out.lines().count(), 2);
    assert!(out.lines().next().unwrap().trim().is_empty());
    assert!(out.contains("($x > 5    )"), "{out}");
    assert!(out.contains("@LIMIT"), "{out}");
    assert!(out.contains("\"LIMIT\""), "{out}");
}

#[test]
fn conditionals() {
    let src = "#ifdef BPFTRACE_HAVE_BTF\na\n#else\nb\n#endif\n#ifndef NOPE\nc\n#endif\n#if defined(X) || 1 > 2\nd\n#elif 2 * 3 == 6\ne\n#else\nf\n#endif\n";
    let out = pp(src);
    let words: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(words, ["a", "c", "e"]);
}

#[test]
fn errors_are_reported() {
    let (_, d) = run("#if 1\nx\n", &[]);
    assert!(d[0].message.contains("unterminated"), "{d:?}");
    let (_, d) = run("#endif\n", &[]);
    assert!(d[0].message.contains("without #if"), "{d:?}");
    let (_, d) = run("#define F(x) x\n", &[]);
    assert!(d[0].message.contains("function-like"), "{d:?}");
    let (_, d) = run("#frob\n", &[]);
    assert!(
        d[0].message.contains("unknown preprocessor directive"),
        "{d:?}"
    );
}

#[test]
fn shebang_and_missing_headers_are_accepted() {
    let out = pp("#!/usr/bin/env bpftrace\n#include <linux/no_such_header_here.h>\nBEGIN {}\n");
    assert!(out.starts_with("#!/usr/bin/env bpftrace\n"));
}

#[test]
fn system_header_constants() {
    // /usr/include/linux/socket.h etc. are present on build hosts with libc headers.
    if !std::path::Path::new("/usr/include/sys/socket.h").exists() {
        return;
    }
    let out = pp("#include <sys/socket.h>\nBEGIN { @x = AF_INET6; }\n");
    assert!(out.contains("@x = 10"), "{out}");
}
