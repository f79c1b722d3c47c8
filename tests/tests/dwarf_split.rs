//! DWARF found elsewhere than in the binary: split DWARF (`.dwo` files, a `.dwp`
//! package), and a stripped binary's debug file in a `--debuginfo` directory. Also
//! declared arrays of pointers (`let $x: struct Foo *[2]`) in uprobes.

use std::path::{Path, PathBuf};
use std::process::Command;
use tracec_tests::*;

const PROG: &str = r#"
struct Foo { int a; char b[10]; };
struct Bar { int x; struct Foo *foos[2]; };
__attribute__((noinline)) int fn1(int *n, char c) { return *n + c; }
__attribute__((noinline)) int bar(struct Bar *b) { return b->x; }
volatile int sink;
int main(int argc, char **argv) {
  (void)argv;
  int n = 13;
  struct Foo f1 = { 123, "one" }, f2 = { 456, "two" };
  struct Bar b = { 7, { &f1, &f2 } };
  sink = fn1(&n, 'x');
  sink = bar(&b) + argc;
  return 0;
}
"#;

/// Builds [`PROG`] as `dir/prog` with `flags`, in `dir` (so that split DWARF's `.dwo`
/// lands there). `None` without a C compiler.
fn build(dir: &Path, flags: &[&str]) -> Option<PathBuf> {
    std::fs::write(dir.join("prog.c"), PROG).expect("write the C source");
    let o = Command::new("cc")
        .args(["-g", "-O0", "-no-pie"])
        .args(flags)
        .args(["-o", "prog", "prog.c"])
        .current_dir(dir)
        .output();
    match o {
        Ok(o) if o.status.success() => Some(dir.join("prog")),
        Ok(o) => panic!("cc failed:\n{}", String::from_utf8_lossy(&o.stderr)),
        Err(e) if kernel_required() => panic!("a C compiler is needed: {e}"),
        Err(_) => None,
    }
}

fn tool(dir: &Path, name: &str, args: &[&str]) -> bool {
    Command::new(name)
        .args(args)
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn list(pattern: &str, extra: &[&str]) -> String {
    let mut args = vec!["-v", "-l", pattern];
    args.extend_from_slice(extra);
    String::from_utf8_lossy(&tracec(&args).stdout).into_owned()
}

fn remove_dwo(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "dwo") {
            std::fs::remove_file(p).unwrap();
        }
    }
}

#[test]
fn dwo_files_give_the_arguments() {
    let dir = scratch("dwarf_split_dwo");
    let Some(bin) = build(&dir, &["-gsplit-dwarf"]) else {
        return;
    };
    let p = bin.display();
    let text = list(&format!("uprobe:{p}:fn1"), &[]);
    assert_eq!(text, format!("uprobe:{p}:fn1\n    int* n\n    char c\n"));
    // Without the .dwo, only the names.
    remove_dwo(&dir);
    let text = list(&format!("uprobe:{p}:fn1"), &[]);
    assert_eq!(text, format!("uprobe:{p}:fn1\n"));
}

#[test]
fn a_dwp_package_gives_the_arguments() {
    let dir = scratch("dwarf_split_dwp");
    let Some(bin) = build(&dir, &["-gsplit-dwarf", "-gdwarf-4"]) else {
        return;
    };
    if !tool(&dir, "dwp", &["-e", "prog", "-o", "prog.dwp"]) {
        eprintln!("skipping: no dwp");
        return;
    }
    remove_dwo(&dir);
    let p = bin.display();
    let text = list(&format!("uprobe:{p}:bar"), &[]);
    assert_eq!(text, format!("uprobe:{p}:bar\n    struct Bar* b\n"));
}

/// `dir/prog-stripped` with its debug file at `dir/dbg/prog-stripped.debug`.
fn stripped(dir: &Path) -> Option<PathBuf> {
    build(dir, &[])?;
    std::fs::create_dir_all(dir.join("dbg")).unwrap();
    let steps: [&[&str]; 3] = [
        &["--only-keep-debug", "prog", "dbg/prog-stripped.debug"],
        &[
            "--strip-all",
            "--keep-section=.note.gnu.build-id",
            "prog",
            "prog-stripped",
        ],
        &[
            "--add-gnu-debuglink=dbg/prog-stripped.debug",
            "prog-stripped",
        ],
    ];
    for args in steps {
        assert!(tool(dir, "objcopy", args), "objcopy {args:?}");
    }
    Some(dir.join("prog-stripped"))
}

#[test]
fn debuginfo_directories_are_searched() {
    let dir = scratch("dwarf_debuginfo_list");
    let Some(bin) = stripped(&dir) else {
        return;
    };
    let p = bin.display();
    let pattern = format!("uprobe:{p}:fn1");
    // Not in a standard place: no symbols, so nothing to list.
    assert_eq!(list(&pattern, &[]), "");
    let want = format!("uprobe:{p}:fn1\n    int* n\n    char c\n");
    // Relative to the binary, not to the current directory.
    assert_eq!(list(&pattern, &["--debuginfo=./dbg"]), want);
    assert_eq!(list(&pattern, &["--debuginfo=/nonexistent:dbg"]), want);
    let abs = dir.join("dbg");
    assert_eq!(
        list(
            &pattern,
            &["--debuginfo=/x", "--debuginfo", abs.to_str().unwrap()]
        ),
        want
    );
    // A debug file of another build (its build ID differs) is skipped.
    let other = scratch("dwarf_debuginfo_other");
    build(&other, &["-DOTHER=1", "-O1"]).unwrap();
    std::fs::create_dir_all(other.join("dbg")).unwrap();
    assert!(tool(
        &other,
        "objcopy",
        &["--only-keep-debug", "prog", "dbg/prog-stripped.debug"]
    ));
    std::fs::copy(&bin, other.join("prog-stripped")).unwrap();
    let pattern = format!("uprobe:{}:fn1", other.join("prog-stripped").display());
    assert_eq!(list(&pattern, &["--debuginfo=dbg"]), "");
}

#[test]
fn debuginfo_functions_attach_by_address() {
    let dir = scratch("dwarf_debuginfo_attach");
    let Some(bin) = stripped(&dir) else {
        return;
    };
    let p = bin.to_str().unwrap();
    let script = format!(r#"uprobe:{p}:fn1 {{ printf("c=%c n=%d\n", args.c, *args.n); exit(); }}"#);
    let obj = dir.join("attach.o");
    let o = tracec(&[
        "-e",
        &script,
        "-o",
        obj.to_str().unwrap(),
        "--debuginfo=dbg",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let meta = object_metadata(&std::fs::read(&obj).unwrap());
    let attach = &meta.probes[0].attach;
    let tracec_meta::Attach::Uprobe { symbol, offset, .. } = attach else {
        panic!("{attach:?}");
    };
    assert!(symbol.is_empty() && *offset > 0x400000, "{attach:?}");
    assert_eq!(meta.probes[0].name, format!("uprobe:{p}:fn1"));
    // Without the option the function has no DWARF here.
    let err =
        String::from_utf8_lossy(&tracec(&["-e", &script, "-o", "/dev/null"]).stderr).into_owned();
    assert!(err.contains("'args' is not available"), "{err}");
    let Some(_k) = kernel_or_skip("debuginfo_functions_attach_by_address") else {
        return;
    };
    let out = run_object_to_exit(&obj, &["-c", p]).stdout_text();
    assert!(out.contains("c=x n=13\n"), "{out}");
}

#[test]
fn declared_array_of_pointers() {
    let dir = scratch("dwarf_ptr_array");
    let Some(bin) = build(&dir, &[]) else {
        return;
    };
    let p = bin.to_str().unwrap();
    let script = format!(
        r#"uprobe:{p}:bar {{
  let $x: struct Foo *[2] = args.b->foos;
  $y = args.b->foos;
  printf("%d %d %s %d\n", $x[0]->a, $x[1]->a, $x[1]->b, $y[1]->a);
  exit();
}}"#
    );
    let obj = compile_text(&dir, "ptr_array", &script);
    let Some(_k) = kernel_or_skip("declared_array_of_pointers") else {
        return;
    };
    let out = run_object_to_exit(&obj, &["-c", p]).stdout_text();
    assert!(out.contains("123 456 two 456\n"), "{out}");
}

#[test]
fn debuginfo_directories_serve_binaries_that_kept_their_symbols() {
    let dir = scratch("dwarf_debuginfo_symbols");
    let Some(_) = build(&dir, &[]) else {
        return;
    };
    std::fs::create_dir_all(dir.join("dbg")).unwrap();
    let steps: [&[&str]; 3] = [
        &["--only-keep-debug", "prog", "dbg/prog-nodwarf.debug"],
        &["--strip-debug", "prog", "prog-nodwarf"],
        &["--add-gnu-debuglink=dbg/prog-nodwarf.debug", "prog-nodwarf"],
    ];
    for args in steps {
        assert!(tool(&dir, "objcopy", args), "objcopy {args:?}");
    }
    let bin = dir.join("prog-nodwarf");
    let pattern = format!("uprobe:{}:fn1", bin.display());
    // The symbols are the binary's own; the arguments need the debug file.
    assert_eq!(list(&pattern, &[]), format!("{pattern}\n"));
    assert_eq!(
        list(&pattern, &["--debuginfo=dbg"]),
        format!("{pattern}\n    int* n\n    char c\n")
    );
}
