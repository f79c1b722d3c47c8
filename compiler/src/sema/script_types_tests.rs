use super::*;
use crate::front::ctypes;

fn defs(src: &str) -> Vec<CDefinition> {
    vec![CDefinition {
        text: src.into(),
        decls: ctypes::parse(src, 0).unwrap_or_else(|d| panic!("{}", d.message)),
        span: Span::default(),
    }]
}

fn built(src: &str) -> Btf {
    build(&Btf::empty(), &defs(src), false).unwrap_or_else(|d| panic!("{:?}", d[0].message))
}

fn size(btf: &Btf, name: &str) -> u32 {
    btf.size_of(btf.find_struct(name).expect(name)).unwrap()
}

fn offset(btf: &Btf, s: &str, field: &str) -> (u32, u32) {
    let m = btf
        .member(btf.find_struct(s).unwrap(), field)
        .unwrap()
        .unwrap();
    (m.bit_offset, m.bitfield_size)
}

#[test]
fn natural_alignment_and_padding() {
    let b = built("struct Foo { int x; char c; }");
    assert_eq!(size(&b, "Foo"), 8);
    let b = built("struct A {int32_t a; int32_t b; char c[28] }");
    assert_eq!(size(&b, "A"), 36);
    let b = built("struct P { char c; unsigned long long x; short s; }");
    assert_eq!(size(&b, "P"), 24);
    assert_eq!(offset(&b, "P", "x"), (64, 0));
    assert_eq!(offset(&b, "P", "s"), (128, 0));
}

#[test]
fn packed_structs_have_no_padding() {
    let b = built("struct bar { int x; char y; int z; } __attribute__((packed))");
    assert_eq!(size(&b, "bar"), 9);
    assert_eq!(offset(&b, "bar", "z"), (40, 0));
}

#[test]
fn nested_structs_unions_and_bitfields() {
    let b =
        built("struct Foo { int x; struct Bar { int x; } bar; union U { char c; long l; } u; }");
    assert_eq!(size(&b, "Bar"), 4);
    assert_eq!(size(&b, "U"), 8);
    assert_eq!(size(&b, "Foo"), 16);
    assert_eq!(offset(&b, "Foo", "u"), (64, 0));
    let b = built(
        "struct foo { unsigned long long x_0:1; unsigned long long x_1:1; unsigned long long x_2:2; }",
    );
    assert_eq!(size(&b, "foo"), 8);
    assert_eq!(offset(&b, "foo", "x_2"), (2, 2));
    let b = built("struct s { unsigned char a:7; unsigned char b:3; }");
    assert_eq!(offset(&b, "s", "b"), (8, 3));
    assert_eq!(size(&b, "s"), 2);
}

#[test]
fn enums_typedefs_and_self_reference() {
    let b = built(
        "enum E { A = -1, B }; typedef struct node node_t; struct node { node_t *next; int v; };",
    );
    let e = b.find_enum("E").unwrap();
    assert!(
        b.ty(e).unwrap().kind_flag(),
        "negative values make it signed"
    );
    assert_eq!(size(&b, "node"), 16);
    assert!(b.find_typedef("node_t").is_some());
}

#[test]
fn incomplete_and_unknown_types_are_errors() {
    let e = build(&Btf::empty(), &defs("struct foo { struct bar b; }"), false).unwrap_err();
    assert_eq!(e[0].message, "field has incomplete type 'struct bar'");
    let e = build(&Btf::empty(), &defs("struct foo { what_t w; }"), false).unwrap_err();
    assert_eq!(e[0].message, "unknown type name 'what_t'");
}

#[test]
fn script_types_win_over_the_base() {
    let base = built("struct task_struct { long a; long b; }");
    let b = build(&base, &defs("struct task_struct { int x; }"), false).unwrap();
    let id = b.find_struct("task_struct").unwrap();
    assert!(b.is_local(id));
    assert_eq!(b.size_of(id).unwrap(), 4);
}

#[test]
fn with_headers_a_redefinition_still_uses_base_types() {
    let base = built("struct path { long mnt; long dentry; }; struct nameidata { int z; };");
    let src = "struct nameidata { struct path path; int x; }";
    let e = build(&base, &defs(src), false).unwrap_err();
    assert_eq!(e[0].message, "field has incomplete type 'struct path'");
    let b = build(&base, &defs(src), true).unwrap();
    let id = b.find_struct("nameidata").unwrap();
    assert!(b.is_local(id));
    assert_eq!(b.size_of(id).unwrap(), 24);
    let e = build(&base, &defs("struct nameidata { struct qstr q; }"), true).unwrap_err();
    assert_eq!(e[0].message, "field has incomplete type 'struct qstr'");
}
