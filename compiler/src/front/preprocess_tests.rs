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
    assert!(out.starts_with(&format!("{}\n", " ".repeat(23))), "{out:?}");
    assert!(out.ends_with("\nBEGIN {}\n"), "{out:?}");
}

#[test]
fn shebang_lines_further_down_are_comments() {
    // bpftrace's lexer takes `#!` at column 0 as a comment on any line (scripts
    // pasted together keep their shebangs), even inside a block.
    let src = "// header\n#!/usr/bin/env bpftrace\nBEGIN {\n#!x\n exit(); }\n";
    let out = pp(src);
    assert_eq!(
        out,
        "// header\n                       \nBEGIN {\n   \n exit(); }\n"
    );
    // Indented, it is a directive like any other `#` line.
    let (_, diags) = run("BEGIN { }\n  #!x\n", &[]);
    assert_eq!(diags.len(), 1, "{diags:?}");
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

/// A header tree in a temp dir, removed on drop.
struct TempHeaders(std::path::PathBuf);

impl TempHeaders {
    fn new(tag: &str, files: &[(&str, &str)]) -> TempHeaders {
        let dir = std::env::temp_dir().join(format!("tracec-pp-{tag}-{}", std::process::id()));
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        TempHeaders(dir)
    }
}

impl Drop for TempHeaders {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn pp_with(src: &str, h: &TempHeaders) -> String {
    let (out, diags) = run(src, std::slice::from_ref(&h.0));
    assert!(diags.is_empty(), "{diags:?}");
    out
}

#[test]
fn header_conditionals() {
    let h = TempHeaders::new(
        "cond",
        &[
            (
                "t/top.h",
                "#ifndef T_TOP_H\n#define T_TOP_H\n#include <t/arch.h>\n\
                 #if defined(__i386__)\n# define ARCH 32\n#elif __SIZEOF_LONG__ == 8 && defined __LP64__\n\
                 # define ARCH 64\n#else\n# define ARCH 0\n#endif\n\
                 #ifdef SCRIPT_FLAG\n#define FLAGGED 1\n#endif\n\
                 #define GONE 5\n#undef GONE\n\
                 #if 0\n#include <t/missing.h>\n#define HIDDEN 1\n#endif\n\
                 #define SHIFTED (1 << ARCH_BITS)\n#define STR \"x\"\n#endif\n",
            ),
            (
                "t/arch.h",
                "#if defined(__x86_64__) || defined(__aarch64__)\n#define ARCH_BITS 6\n#endif\n",
            ),
        ],
    );
    let out = pp_with(
        "#define SCRIPT_FLAG\n#include <t/top.h>\n\
         BEGIN { @a = ARCH; @f = FLAGGED; @g = GONE; @h = HIDDEN; @s = SHIFTED; @t = STR; }\n",
        &h,
    );
    let code: Vec<&str> = out.lines().nth(2).unwrap().split_whitespace().collect();
    assert_eq!(
        code.join(" "),
        "BEGIN { @a = 64 ; @f = 1 ; @g = GONE; @h = HIDDEN; @s = 64 ; @t = STR; }",
        "{out}"
    );
}

#[test]
fn script_conditionals_use_header_macros_and_target() {
    let h = TempHeaders::new(
        "target",
        &[("v.h", "#define VERSION_CODE ((5 << 16) + (19 << 8))\n")],
    );
    let src = "#include \"v.h\"\n#if VERSION_CODE >= (5 << 16) && defined(__linux__)\nyes\n#else\nno\n#endif\n\
               #if __STDC_VERSION__ >= 201112L && !defined(__KERNEL__) || defined(__BPF_TRACING__)\nc11\n#endif\n";
    let words: Vec<String> = pp_with(src, &h)
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(words, ["yes", "c11"]);
}

#[test]
fn missing_headers() {
    // Not found and not a kernel header: clang's fatal error, at the `<`.
    let (_, d) = run("#include <lol/no.h>\nBEGIN {}\n", &[]);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].message, "'lol/no.h' file not found");
    assert_eq!(d[0].reporter, crate::diag::Reporter::ClangFatal);
    assert_eq!((d[0].span.start, d[0].span.end), (9, 19));
    let (_, d) = run("  #include \"nope.h\"\n", &[]);
    assert_eq!((d[0].span.start, d[0].span.end), (11, 19), "{d:?}");
    // In an inactive region, nothing is looked for.
    assert!(run("#if 0\n#include <lol/no.h>\n#endif\n", &[])
        .1
        .is_empty());
    // Kernel headers are excused while the kernel's header tree is not installed.
    let kernel = "#include <net/sock.h>\n#include <linux/no_such_header.h>\n";
    let (_, d) = run(kernel, &[]);
    if headers::kernel_include_dirs().is_empty() {
        assert!(d.is_empty(), "{d:?}");
    } else {
        assert_eq!(d.len(), 1, "{d:?}");
    }
}

#[test]
fn syscall_numbers_of_the_host() {
    if !cfg!(target_arch = "x86_64")
        || !std::path::Path::new("/usr/include/syscall.h").exists()
        || !headers::kernel_include_dirs().is_empty()
    {
        return;
    }
    let out = pp("#include <syscall.h>\nBEGIN { @ = __NR_read + __NR_openat * 1000 + SYS_write * 1000000; }\n");
    let code: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(
        code.join(" "),
        "BEGIN { @ = 0 + 257 * 1000 + 1 * 1000000; }",
        "{out}"
    );
}

#[test]
fn exponential_script_macros_are_an_error() {
    // X15 is 8^15 copies of X0 if substituted in full.
    let mut src = String::from("#define X0 1\n");
    for k in 1..=15 {
        let prev = format!("X{} ", k - 1);
        src.push_str(&format!("#define X{k} {}\n", prev.repeat(8)));
    }
    src.push_str("BEGIN { X15 }\n");
    let (out, diags) = run(&src, &[]);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].message.contains("too large"), "{diags:?}");
    assert!(out.len() < 64 << 20, "{}", out.len());
    // Self-reference stops at the depth limit.
    let (_, diags) = run("#define A B\n#define B A\nBEGIN { A }\n", &[]);
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn the_null_directive_is_accepted() {
    // `#` alone on a line is C's null directive: nothing, as clang takes it.
    let out = pp("#!/usr/bin/bpftrace\n#\n#   \nBEGIN {}\n");
    assert_eq!(out.lines().last(), Some("BEGIN {}"), "{out:?}");
    // A line marker (`# 2021 ...`) is not one.
    let (_, d) = run("# 2021 notes\nBEGIN {}\n", &[]);
    assert!(
        d[0].message.contains("unknown preprocessor directive"),
        "{d:?}"
    );
}
