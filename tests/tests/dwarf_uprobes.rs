//! uprobes on a binary with DWARF, end to end: `args.NAME` typed by the binary's
//! debug information (integers, chars, int pointers, struct pointers with string and
//! array fields), the binary's struct types in casts, and `-lv` listing the arguments.

use std::path::PathBuf;
use tracec_tests::*;

const PROG: &str = r#"
struct Foo { int a; char b[10]; int c[3]; };
__attribute__((noinline)) int fn1(int *n, char c) { return *n + c; }
__attribute__((noinline)) int fn2(struct Foo *foo1, long count) { return foo1->a + (int)count; }
volatile int sink;
int main(int argc, char **argv) {
  (void)argv;
  int n = 13;
  struct Foo f = { 123, "hello", { 1, 2, 3 } };
  sink = fn1(&n, 'x');
  sink = fn2(&f, -5 + argc);
  return 0;
}
"#;

/// The program compiled with `cc -g -O0` into `dir`; `None` without a C compiler.
fn test_program(dir: &std::path::Path) -> Option<PathBuf> {
    build_c(dir, "dwarf_prog", PROG, &["-g", "-O0"])
}

#[test]
fn lists_arguments_from_dwarf() {
    let dir = scratch("dwarf_list");
    let Some(bin) = test_program(&dir) else {
        eprintln!("skipping: no C compiler");
        return;
    };
    let pattern = format!("uprobe:{}:fn*", bin.display());
    let out = tracec(&["-v", "-l", &pattern]);
    let text = String::from_utf8_lossy(&out.stdout);
    let p = bin.display();
    assert!(
        text.contains(&format!(
            "uprobe:{p}:fn1\n    int* n\n    char c\nuprobe:{p}:fn2\n    struct Foo* foo1\n    long int count\n"
        )),
        "{text}"
    );
    // Without -v, names only.
    let out = tracec(&["-l", &pattern]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("int* n"));
}

#[test]
fn unknown_argument_is_an_error() {
    let dir = scratch("dwarf_unknown");
    let Some(bin) = test_program(&dir) else {
        return;
    };
    let err = compile_error(
        "dwarf_unknown_arg",
        &format!("uprobe:{}:fn1 {{ print(args.nope); }}", bin.display()),
    );
    assert!(err.contains("has no argument 'nope'"), "{err}");
    assert!(err.contains("its arguments are: n, c"), "{err}");
}

#[test]
fn uprobe_args_from_dwarf() {
    let Some(_k) = kernel_or_skip("uprobe_args_from_dwarf") else {
        return;
    };
    let dir = scratch("dwarf_uprobe_prog");
    let Some(bin) = test_program(&dir) else {
        eprintln!("skipping: no C compiler");
        return;
    };
    let p = bin.to_str().unwrap();
    let script = format!(
        r#"uprobe:{p}:fn1 {{ printf("c=%c n=%d\n", args.c, *args.n); }}
uprobe:{p}:fn2 {{
  printf("a=%d b=%s count=%d\n", args.foo1.a, args.foo1->b, args.count);
  print(args.foo1.c);
  printf("cast=%d\n", ((struct Foo *)arg0)->a);
  exit();
}}"#
    );
    let out = run_to_exit("dwarf_args", &script, &["-c", p]).stdout_text();
    assert!(out.contains("c=x n=13\n"), "{out}");
    assert!(out.contains("a=123 b=hello count=-4\n"), "{out}");
    assert!(out.contains("[1,2,3]\n"), "{out}");
    assert!(out.contains("cast=123\n"), "{out}");
}

/// The functions' types are appended together (`sema/uprobe_args.rs`): a struct two
/// functions share is one type, so a map holds pointers from both.
#[test]
fn functions_share_their_struct_types() {
    let Some(_k) = kernel_or_skip("dwarf_shared_structs") else {
        return;
    };
    let dir = scratch("dwarf_shared_structs");
    let Some(bin) = build_c(
        &dir,
        "shared",
        "struct foo { int x; long y; };\nstruct bar { struct foo *f; char name[8]; };\n\
         __attribute__((noinline)) int fn_a(struct foo *p) { return p->x; }\n\
         __attribute__((noinline)) int fn_b(struct bar *b) { return b->f->x; }\n\
         int main(void) { struct foo f = {3, 4}; struct bar b = {&f, \"hi\"};\n\
         return fn_a(&f) + fn_b(&b) == 6 ? 0 : 1; }\n",
        &["-g", "-O0"],
    ) else {
        eprintln!("skipping: no C compiler");
        return;
    };
    let p = bin.to_str().unwrap();
    let script = format!(
        r#"uprobe:{p}:fn_* {{ @n++; }}
uprobe:{p}:fn_a {{ @p = args.p; }}
uprobe:{p}:fn_b {{ printf("%d %d %s\n", @p == args.b->f, @p->y, args.b->name); exit(); }}"#
    );
    let out = run_to_exit("dwarf_shared", &script, &["-c", p]).stdout_text();
    assert!(out.starts_with("1 4 hi\n"), "{out}");
}
