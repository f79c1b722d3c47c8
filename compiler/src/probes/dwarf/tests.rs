//! The DWARF reader on a program compiled here with `cc -g` (skipped without `cc`).

use super::*;
use crate::kbtf::LocalType;

const SOURCE: &str = r#"
typedef unsigned long ulong_t;
enum color { RED = 1, BLUE = -2 };
struct inner { short s; unsigned flag : 3; unsigned rest : 5; };
struct node { int a; char name[10]; int grid[2][3]; struct node *next; struct inner in; };
union u { int i; char c; };
int takes(int *n, char c, const char *str, struct node *node, ulong_t big, enum color col) {
    return *n + c + str[0] + node->a + (int)big + col;
}
__int128 wide(__int128 x, long y, double d, struct inner by_value) { return x + y + (long)d + by_value.s; }
int main(int argc, char **argv) {
    int n = 1; struct node nd = {0}; union u un = {0}; struct inner i = {0};
    (void)argv; (void)un;
    return takes(&n, 'x', "s", &nd, 2, RED) + (int)wide(1, 2, 3.0, i) + argc;
}
"#;

/// Compiles [`SOURCE`] with `cc -g -O0` into a scratch directory.
fn build(tag: &str) -> Option<std::path::PathBuf> {
    build_with(tag, &[])
}

/// [`build`] with extra compiler flags, run in the scratch directory.
fn build_with(tag: &str, flags: &[&str]) -> Option<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("tracec-dwarf-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let src = dir.join("prog.c");
    let bin = dir.join("prog");
    std::fs::write(&src, SOURCE).ok()?;
    let ok = std::process::Command::new("cc")
        .args(["-g", "-O0"])
        .args(flags)
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .current_dir(&dir)
        .status()
        .ok()?
        .success();
    ok.then_some(bin)
}

/// The `.dwo` files beside `bin`.
fn dwo_files(bin: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(bin.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dwo"))
        .collect()
}

#[test]
fn split_dwarf_from_dwo_files() {
    let Some(bin) = build_with("dwo", &["-gsplit-dwarf"]) else {
        eprintln!("skipped: no cc with -gsplit-dwarf");
        return;
    };
    let dwos = dwo_files(&bin);
    assert!(!dwos.is_empty(), "cc left no .dwo file");
    let f = function(&bin, "takes")
        .unwrap()
        .expect("takes found through the .dwo");
    assert_eq!(
        f.declarations()[..3],
        ["int* n", "char c", "const char* str"]
    );
    assert_eq!(spell(&f, f.ret), "int");
    // The .dwo moved away from the compile directory, into the binary's: still found.
    let moved = bin.parent().unwrap().join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    let bin2 = moved.join("prog");
    std::fs::copy(&bin, &bin2).unwrap();
    for d in &dwos {
        std::fs::rename(d, moved.join(d.file_name().unwrap())).unwrap();
    }
    let main = function(&bin2, "main")
        .unwrap()
        .expect("main, .dwo beside the binary");
    assert_eq!(main.declarations(), ["int argc", "char** argv"]);
    // Without its .dwo the skeleton describes no function.
    assert!(function(&bin, "main").unwrap().is_none());
    let _ = std::fs::remove_dir_all(bin.parent().unwrap());
}

#[test]
fn split_dwarf_from_a_package() {
    let Some(bin) = build_with("dwp", &["-gsplit-dwarf", "-gdwarf-4"]) else {
        eprintln!("skipped: no cc with -gsplit-dwarf");
        return;
    };
    let dir = bin.parent().unwrap().to_path_buf();
    let packed = std::process::Command::new("dwp")
        .args(["-e", "prog", "-o", "prog.dwp"])
        .current_dir(&dir)
        .status()
        .is_ok_and(|s| s.success());
    if !packed {
        eprintln!("skipped: no dwp");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    for d in dwo_files(&bin) {
        std::fs::remove_file(d).unwrap();
    }
    let f = function(&bin, "takes")
        .unwrap()
        .expect("takes found in prog.dwp");
    assert_eq!(
        f.declarations()[3..],
        ["struct node* node", "ulong_t big", "enum color col"]
    );
    let node = f.strip(f.params[3].ty);
    let DType::Ptr(rec) = f.ty(node) else {
        panic!("a pointer: {:?}", f.ty(node));
    };
    assert_eq!(f.size_of(*rec), f.size_of(f.strip(*rec)));
    assert!(
        f.size_of(*rec) >= 40,
        "struct node's size: {}",
        f.size_of(*rec)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn parameters_and_spellings() {
    let Some(bin) = build("params") else {
        eprintln!("skipped: no cc");
        return;
    };
    let f = function(&bin, "takes").unwrap().expect("takes has DWARF");
    assert_eq!(
        f.declarations(),
        [
            "int* n",
            "char c",
            "const char* str",
            "struct node* node",
            "ulong_t big",
            "enum color col"
        ]
    );
    assert_eq!(spell(&f, f.ret), "int");
    let main = function(&bin, "main").unwrap().unwrap();
    assert_eq!(main.declarations(), ["int argc", "char** argv"]);
    assert!(function(&bin, "no_such_function").unwrap().is_none());
    let many = functions(&bin, &|n| n == "takes" || n == "wide").unwrap();
    assert_eq!(many.len(), 2);
    let _ = std::fs::remove_dir_all(bin.parent().unwrap());
}

#[test]
fn struct_layout_bitfields_and_arrays() {
    let Some(bin) = build("layout") else {
        return;
    };
    let f = function(&bin, "takes").unwrap().unwrap();
    let node = f.strip(f.params[3].ty);
    let DType::Ptr(target) = f.ty(node) else {
        panic!("{:?}", f.ty(node))
    };
    let DType::Record {
        name,
        size,
        members,
        union,
        ..
    } = f.ty(*target)
    else {
        panic!()
    };
    assert_eq!((name.as_str(), *union), ("node", false));
    let names: Vec<(&str, u32)> = members
        .iter()
        .map(|m| (m.name.as_str(), m.bit_offset))
        .collect();
    assert_eq!(
        names,
        [
            ("a", 0),
            ("name", 32),
            ("grid", 128),
            ("next", 320),
            ("in", 384)
        ]
    );
    assert_eq!(*size, 56);
    assert_eq!(spell(&f, members[2].ty), "int[3][2]");
    assert_eq!(f.size_of(members[2].ty), 24);
    // The bitfields of `struct inner`.
    let inner = f.strip(members[4].ty);
    let DType::Record { members: im, .. } = f.ty(inner) else {
        panic!()
    };
    let bits: Vec<(u32, u32)> = im.iter().map(|m| (m.bit_offset, m.bit_size)).collect();
    assert_eq!(bits, [(0, 0), (16, 3), (19, 5)]);
    // The enum keeps its values.
    let DType::Enum { values, signed, .. } = f.ty(f.strip(f.params[5].ty)) else {
        panic!()
    };
    assert_eq!(values, &[("RED".to_string(), 1), ("BLUE".to_string(), -2)]);
    assert!(*signed);
    let _ = std::fs::remove_dir_all(bin.parent().unwrap());
}

#[test]
fn local_btf_ids_follow_the_table() {
    let Some(bin) = build("btf") else {
        return;
    };
    let f = function(&bin, "takes").unwrap().unwrap();
    let local = to_local(&f, 100, &|_, _| None);
    // Qualifiers and void take no id; everything else one, in order.
    assert_eq!(local.ids[VOID], 0);
    let const_char = f.strip(f.params[2].ty);
    let DType::Ptr(q) = f.ty(const_char) else {
        panic!()
    };
    assert!(matches!(f.ty(*q), DType::Qualified(Qual::Const, _)));
    // `const char` resolves to `char`'s id.
    let DType::Qualified(_, ch) = f.ty(*q) else {
        panic!()
    };
    assert_eq!(local.ids[*q], local.ids[*ch]);
    let btf = crate::kbtf::Btf::empty();
    let first = btf.len();
    let local = to_local(&f, first, &|_, _| None);
    let appended = btf.with_local(&local.types).expect("valid BTF");
    let node = appended.find_struct("node").expect("struct node appended");
    assert_eq!(appended.size_of(node).unwrap(), 56);
    assert!(local
        .types
        .iter()
        .any(|t| matches!(t, LocalType::Array { nelems: 2, .. })));
    let _ = std::fs::remove_dir_all(bin.parent().unwrap());
}

#[test]
fn no_dwarf_is_none() {
    let dir = std::env::temp_dir().join(format!("tracec-nodwarf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("not-elf");
    std::fs::write(&p, b"hello").unwrap();
    assert_eq!(function(&p, "main").unwrap(), None);
    assert!(function(&dir.join("missing"), "main").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `objcopy --compress-debug-sections` (zlib, the older `.zdebug_*` form, and zstd):
/// the same functions, types and lines as the uncompressed file.
#[test]
fn compressed_debug_sections() {
    let Some(bin) = build("compressed") else {
        eprintln!("skipped: no cc");
        return;
    };
    let dir = bin.parent().unwrap().to_path_buf();
    let want = functions(&bin, &|_| true).unwrap();
    assert!(want.iter().any(|f| f.name == "takes"));
    for kind in ["zlib", "zlib-gnu", "zstd"] {
        let out = dir.join(format!("prog-{kind}"));
        let ok = std::process::Command::new("objcopy")
            .arg(format!("--compress-debug-sections={kind}"))
            .arg(&bin)
            .arg(&out)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped {kind}: objcopy cannot");
            continue;
        }
        assert_ne!(std::fs::read(&out).unwrap(), std::fs::read(&bin).unwrap());
        let got = functions(&out, &|_| true).unwrap();
        assert_eq!(got, want, "{kind}");
        let src = lines::SourceLoc::parse("prog.c", &["8"]).unwrap();
        assert_eq!(line_address(&out, &src), line_address(&bin, &src), "{kind}");
        assert!(line_address(&out, &src).is_ok());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
