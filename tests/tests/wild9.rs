//! Scripts from the wild, ninth corpus: `pton()` used as a value (an array of the
//! address's bytes), and `#` alone on a line (C's null directive) in a script's
//! header. The scripts here are our own, written after those patterns.

use tracec_tests::*;

#[test]
fn pton_is_an_array_of_the_address_bytes() {
    let Some(_k) = kernel_or_skip("wild9_pton_value") else {
        return;
    };
    // As bpftrace prints it: uint8 elements in network order, printed as arrays,
    // indexed, combined into an integer, and used as a map key and value.
    let script = r#"BEGIN {
  $a = pton("192.168.1.7");
  print($a);
  printf("%d %d\n", $a[0], $a[3]);
  $n = ($a[3] << 24) + ($a[2] << 16) + ($a[1] << 8) + $a[0];
  printf("%x\n", $n);
  @v6 = pton("fe80::1");
  @k[pton("10.0.0.1")] = 1;
  exit();
}
"#;
    let run = run_to_exit("wild9_pton_value", script, &[]);
    assert_eq!(
        run.stdout_text(),
        "[192,168,1,7]\n192 7\n701a8c0\n\n\n@k[[10,0,0,1]]: 1\n\
         @v6: [254,128,0,0,0,0,0,0,0,0,0,0,0,0,0,1]\n"
    );
}

#[test]
fn pton_of_no_address_is_an_error() {
    let err = compile_error("wild9_pton_bad", "BEGIN { $a = pton(\"1.2.3\"); }\n");
    assert!(err.contains("'1.2.3' is not an IP address"), "{err}");
}

#[test]
fn a_lone_hash_line_is_the_null_directive() {
    let Some(_k) = kernel_or_skip("wild9_null_directive") else {
        return;
    };
    let script = "#!/usr/bin/bpftrace\n#\n# \nBEGIN { printf(\"ok\\n\"); exit(); }\n";
    let run = run_to_exit("wild9_null_directive", script, &[]);
    assert_eq!(run.stdout_text(), "ok\n\n\n");
    // With a #define the preprocessor runs, and takes it the same way.
    let script = "#define N 7\n#\nBEGIN { printf(\"%d\\n\", N); exit(); }\n";
    let run = run_to_exit("wild9_null_directive_pp", script, &[]);
    assert_eq!(run.stdout_text(), "7\n\n\n");
}

#[test]
fn a_line_marker_is_still_an_error() {
    // `# 2021 notes` is a GNU line marker to clang, with no file name: an error in
    // bpftrace too.
    let err = compile_error("wild9_line_marker", "# 2021 notes\nBEGIN { exit(); }\n");
    assert!(err.contains("unknown preprocessor directive"), "{err}");
}

const UPTR_PROG: &str = r#"
#include <stdint.h>
__attribute__((noinline)) void probe_me(uint64_t *p) { asm volatile("" :: "r"(p) : "memory"); }
int main(void) {
    uint64_t v[2] = {0x1122334455667788ULL, 0x8877665544332211ULL};
    probe_me(v);
    return 0;
}
"#;

#[test]
fn uptr_of_an_integer_stays_an_integer_that_star_reads() {
    // `*uptr(*(arg0+8))`, `*uptr($1)`: bpftrace keeps uptr()'s integer operand an
    // integer (marked as a user address): `*` reads a uint64 there, arithmetic is on
    // bytes, and it prints as an integer.
    let dir = scratch("wild9_uptr_int");
    let Some(bin) = build_c(&dir, "uptr_prog", UPTR_PROG, &["-O1", "-no-pie"]) else {
        return;
    };
    let p = bin.to_str().unwrap();
    let script = format!(
        "uprobe:{p}:probe_me {{ $a = uptr(arg0); printf(\"%lx %lx\\n\", *uptr(arg0), *($a + 8)); \
         print(uptr(arg0) - arg0); @k[uptr(7)] = 1; exit(); }}"
    );
    let obj = compile_text(&dir, "uptr", &script);
    let Some(_k) = kernel_or_skip("wild9_uptr_int") else {
        return;
    };
    let run = run_object_to_exit(&obj, &["-c", p]);
    assert_eq!(
        run.stdout_text(),
        "1122334455667788 8877665544332211\n0\n\n\n@k[7]: 1\n"
    );
}
