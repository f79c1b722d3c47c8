//! DWARF in compressed debug sections (`objcopy --compress-debug-sections`, as
//! distributions ship debug files): uprobe arguments and their types read as from
//! the uncompressed file, for zlib and zstd alike; a corrupt section is one warning
//! naming the file.

use std::path::{Path, PathBuf};
use std::process::Command;
use tracec_tests::*;

const PROG: &str = r#"
struct Foo { int a; char b[10]; };
__attribute__((noinline)) int fn1(int *n, char c) { return *n + c; }
__attribute__((noinline)) int foo(struct Foo *f) { return f->a; }
volatile int sink;
int main(void) {
  int n = 13;
  struct Foo f = { 123, "one" };
  sink = fn1(&n, 'x');
  sink = foo(&f);
  return 0;
}
"#;

fn tool(dir: &Path, name: &str, args: &[&str]) -> bool {
    Command::new(name)
        .args(args)
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `dir/prog` compressed as `kind` into `dir/prog-KIND`; `None` without the tools.
fn compressed(dir: &Path, kind: &str) -> Option<PathBuf> {
    build_c(dir, "prog", PROG, &["-g", "-O0", "-no-pie"])?;
    let out = format!("prog-{kind}");
    let arg = format!("--compress-debug-sections={kind}");
    if !tool(dir, "objcopy", &[&arg, "prog", &out]) {
        eprintln!("skipping: objcopy {arg} failed");
        return None;
    }
    Some(dir.join(out))
}

#[test]
fn listed_arguments_of_compressed_dwarf() {
    for kind in ["zlib", "zlib-gnu", "zstd"] {
        let dir = scratch(&format!("dwarf_compressed_list_{kind}"));
        let Some(bin) = compressed(&dir, kind) else {
            return;
        };
        let p = bin.display();
        let o = tracec(&["-v", "-l", &format!("uprobe:{p}:*")]);
        let text = String::from_utf8_lossy(&o.stdout);
        let want = format!("uprobe:{p}:fn1\n    int* n\n    char c\n");
        assert!(text.contains(&want), "{kind}:\n{text}");
        assert!(
            text.contains(&format!("uprobe:{p}:foo\n    struct Foo* f\n")),
            "{text}"
        );
        assert!(
            o.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn arguments_of_compressed_dwarf_at_run_time() {
    for kind in ["zlib", "zstd"] {
        let dir = scratch(&format!("dwarf_compressed_run_{kind}"));
        let Some(bin) = compressed(&dir, kind) else {
            return;
        };
        let p = bin.to_str().unwrap();
        let script = format!(
            r#"uprobe:{p}:fn1 {{ printf("c=%c n=%d\n", args.c, *args.n); }}
uprobe:{p}:foo {{ printf("a=%d b=%s\n", args.f->a, args.f->b); exit(); }}"#
        );
        let obj = dir.join("run.o");
        let o = tracec(&["-e", &script, "-o", obj.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let Some(_k) = kernel_or_skip("arguments_of_compressed_dwarf_at_run_time") else {
            return;
        };
        let out = run_object_to_exit(&obj, &["-c", p]).stdout_text();
        assert_eq!(out.trim_end(), "c=x n=13\na=123 b=one", "{kind}");
    }
}

/// Damages the zstd frame of `bin`'s `.debug_info` (its magic number, just after
/// the compression header).
fn corrupt_debug_info(bin: &Path) {
    let mut bytes = std::fs::read(bin).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let sh = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".debug_info"))
        .unwrap();
    assert!(sh.sh_flags & 0x800 != 0, "SHF_COMPRESSED");
    let magic = sh.sh_offset as usize + 24;
    assert_eq!(bytes[magic..magic + 4], [0x28, 0xb5, 0x2f, 0xfd]);
    bytes[magic] ^= 0xff;
    std::fs::write(bin, bytes).unwrap();
}

#[test]
fn corrupt_zstd_dwarf_is_one_warning() {
    let dir = scratch("dwarf_compressed_zstd_corrupt");
    let Some(bin) = compressed(&dir, "zstd") else {
        return;
    };
    corrupt_debug_info(&bin);
    let p = bin.display();
    let script = format!(
        r#"uprobe:{p}:fn1 {{ printf("%d\n", args.c); }} uprobe:{p}:foo {{ printf("%d\n", args.f->a); }}"#
    );
    let o = tracec(&["-e", &script, "-o", "/dev/null"]);
    let err = String::from_utf8_lossy(&o.stderr);
    let warning =
        format!("WARNING: {p}: zstd-compressed debug section: invalid zstd data: not a zstd frame");
    assert_eq!(err.matches(&warning).count(), 1, "{err}");
    assert!(!o.status.success(), "no DWARF, so no args: {err}");
}
