//! Root-level `import "path";` end to end: a script importing a directory with a
//! `.bt` (macro, probe, map declaration, a nested import), a `.h` (a struct) and a
//! `.bpf.c` (functions with loops), run under tracerun; errors located in the
//! imported files.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tracec_tests::*;

const HELPERS: &str = r#"import "nested.bt";
let @seen = hash(16);
macro twice(x) { x * 2 }
BEGIN { printf("helpers begin\n"); }
"#;

const NESTED: &str = r#"import "helpers.bt";
BEGIN { printf("nested begin\n"); }
"#;

const TYPES: &str = r#"#ifndef TYPES_H
#define TYPES_H
struct point { int x; int y; };
#endif
"#;

const MATH: &str = r#"#include <linux/types.h>
#define LIMIT 10

// Sum of the odd numbers up to n (at most LIMIT).
static int sum_odd(int n) {
  int total = 0;
  for (int i = 1; i <= n && i <= LIMIT; i++) {
    if ((i & 1) == 0)
      continue;
    total += i;
  }
  return total;
}

int first_square_above(int n) {
  for (int i = 0; i < 100; i++) {
    if (i * i > n)
      return i;
  }
  return -1;
}

unsigned char wrap(unsigned int v) { return v + 1; }

_Bool is_even(long v) { return (v & 1) == 0; }
"#;

const MAIN: &str = r#"import "lib";
BEGIN {
  @seen[1] = sum_odd(7);
  printf("%d %d %d %d %d %d\n", sum_odd(7), first_square_above(50),
         first_square_above(100000), twice(21), wrap(255), is_even(4));
  printf("%d\n", sizeof(struct point));
  exit();
}
"#;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A scratch tree that bpftrace's permission rule accepts (mode 0755).
fn tree(test: &str) -> std::path::PathBuf {
    let dir = scratch(test);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn imported_bt_header_and_c_run() {
    let dir = tree("imports_run");
    write(&dir, "lib/helpers.bt", HELPERS);
    write(&dir, "lib/nested.bt", NESTED);
    write(&dir, "lib/types.h", TYPES);
    write(&dir, "lib/math.bpf.c", MATH);
    write(&dir, "main.bt", MAIN);
    // Compiles without privileges.
    let obj = compile_file(&dir.join("main.bt"), &dir.join("main.o"));
    let Some(_k) = kernel_or_skip("imports_run") else {
        return;
    };
    let run = run_object_to_exit(&obj, &[]);
    assert_eq!(
        run.stdout_text(),
        "nested begin\nhelpers begin\n16 8 -1 42 0 1\n8\n\n\n@seen[1]: 16\n"
    );
}

#[test]
fn stdlib_test_module() {
    let Some(_k) = kernel_or_skip("imports_stdlib") else {
        return;
    };
    let dir = tree("imports_stdlib");
    let obj = compile_text(
        &dir,
        "s",
        "import \"stdlib/test\";\nBEGIN { print(__always_true()); exit(); }\n",
    );
    let run = run_object_to_exit(&obj, &[]);
    assert_eq!(run.stdout_text().trim(), "1");
}

#[test]
fn errors_name_the_imported_file() {
    let dir = tree("imports_errors");
    write(&dir, "bad.bpf.c", "int f(int x) {\n  return x->y;\n}\n");
    write(&dir, "main.bt", "import \"bad.bpf.c\";\nBEGIN { f(1); }\n");
    let o = tracec(&[
        dir.join("main.bt").to_str().unwrap(),
        "-o",
        dir.join("x.o").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("member reference type 'int' is not a pointer"),
        "{err}"
    );
    assert!(err.contains("bad.bpf.c:2:11"), "{err}");

    write(&dir, "m2.bt", "import \"missing.bt\";\nBEGIN { }\n");
    let o = tracec(&[
        dir.join("m2.bt").to_str().unwrap(),
        "-o",
        dir.join("x.o").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Unable to find suitable path for import"),
        "{err}"
    );
    assert!(err.contains("m2.bt:1:1"), "{err}");
}
