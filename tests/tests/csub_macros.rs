//! The preprocessor's `#` (stringizing) and `##` (token pasting) in imported
//! `.bpf.c` files, end to end: names, fields and functions made by pasting,
//! arguments expanded before substitution except as operands, string literals
//! spelled by `#` and compared with `memcmp`. The same file is built with the host's
//! C compiler; both print the same calls.

use tracec_tests::*;

const MACROS: &str = r#"
#define CAT(a, b) a ## b
#define CAT3(a, b, c) a ## b ## c
#define XCAT(a, b) CAT(a, b)
#define STR(x) #x
#define XSTR(x) STR(x)
#define N 12
#define FIELD(n) int CAT(f_, n)
#define GETTER(n) static int CAT(get_, n)(int v) { return v * n; }
#define LOG(fmt, ...) bpf_printk("tracec-paste " fmt, ## __VA_ARGS__)
#define TAIL(a, b) a ## b ## 1
#define FIFTEEN 1 ## 5
#define HEX(x) 0x ## x
#define MASK 0xff

GETTER(3)
GETTER(N)

struct rec { FIELD(1); FIELD(2); };

static int paste(int x)
{
  int CAT(loc, 1) = x, loc2 = 5;
  struct rec r = { .f_1 = 7, .f_2 = 9 };
  int v12 = 100;
  LOG("%d", x);
  LOG("plain");
  return CAT(loc, 1) * 1000 + CAT3(lo, c, 2) * 100 + CAT(r.f_, 2) + XCAT(v, N)
         + CAT(get_, 3)(x) + TAIL(, 2) + FIFTEEN + r.CAT(f_, 1);
}

static int strs(int x)
{
  int r = 0;
  if (__builtin_memcmp(STR(x + 1), "x + 1", 6) == 0)
    r += 1;
  if (memcmp(XSTR(N), "12", 3) == 0)
    r += 10;
  if (memcmp(STR(N), "N", 2) == 0)
    r += 100;
  if (memcmp(STR(a  +  "b\n"), "a + \"b\\n\"", 10) == 0)
    r += 1000;
  if (memcmp(STR(x), "y", 2) == 0)
    r += 10000;
  if (memcmp(XSTR(MASK), "0xff", 5) == 0)
    r += 100000;
  return r;
}

/* Numbers made by pasting keep their spelling: hex digits, prefixes, suffixes. */
static long numbers(int x)
{
  return HEX(1f) + CAT(0x, ff) * x + CAT(0x1, 0) * 1000 + CAT(10, UL) * 100000 + XCAT(N, 0);
}
"#;

const CALLS: &[&str] = &[
    "paste(4)",
    "paste(-3)",
    "get_12(2)",
    "get_3(5)",
    "strs(1)",
    "(int)numbers(3)",
];

#[test]
fn stringizing_and_pasting_match_c() {
    let dir = import_tree("csub_macros");
    write_in(&dir, "m.bpf.c", MACROS);
    let mut script = String::from("import \"m.bpf.c\";\nBEGIN {\n");
    let mut c = String::from(
        "#include <stdio.h>\n#include <string.h>\n#define bpf_printk(...) 0\n#include \"m.bpf.c\"\nint main(void)\n{\n",
    );
    for call in CALLS {
        script.push_str(&format!("  printf(\"%d\\n\", {call});\n"));
        c.push_str(&format!("  printf(\"%d\\n\", {call});\n"));
    }
    script.push_str("  exit();\n}\n");
    c.push_str("  return 0;\n}\n");
    write_in(&dir, "main.bt", &script);
    let obj = compile_file(&dir.join("main.bt"), &dir.join("main.o"));
    let Some(want) = native_output(&dir, &c) else {
        return;
    };
    assert_eq!(want.lines().count(), CALLS.len(), "{want}");
    let Some(_k) = kernel_or_skip("csub_macros") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    assert_eq!(
        run.stdout_text().trim_end(),
        want.trim_end(),
        "{:?}",
        run.err_lines
    );
}

#[test]
fn macro_operator_errors_are_located() {
    let dir = import_tree("csub_macros_errors");
    let cases = [
        (
            "#define S(x) #y\nstatic int f(int v) { return v; }\n",
            "'#' is not followed by a macro parameter",
            "1:1",
        ),
        (
            "#define P(x, y) x ## y\nstatic int f(int v) {\n  return P(v, +);\n}\n",
            "pasting formed 'v+', an invalid preprocessing token",
            "3:10",
        ),
        (
            "#define H(x) 0x ## x\nstatic int f(int v) {\n  return H(zz);\n}\n",
            "the number `0xzz`",
            "3:10",
        ),
    ];
    assert_c_errors_located(&dir, "f(1)", &cases);
}
