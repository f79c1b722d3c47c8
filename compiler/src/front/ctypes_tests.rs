use super::*;

fn one(text: &str) -> Vec<CDecl> {
    parse(text, 0).unwrap_or_else(|d| panic!("{text}: {}", d.message))
}

fn int(name: &str, size: u32, signed: bool) -> CType {
    CType::Int {
        name: name.into(),
        size,
        signed,
    }
}

#[test]
fn struct_with_arrays_pointers_and_missing_last_semicolon() {
    let d = one("struct A {int32_t a; unsigned long long *p; char c[28] }");
    let [CDecl::Record(r)] = d.as_slice() else {
        panic!("{d:?}")
    };
    assert_eq!(r.name.as_deref(), Some("A"));
    let m = r.members.as_ref().unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(m[0].ty, CType::Named("int32_t".into()));
    assert_eq!(
        m[1].ty,
        CType::Ptr(Box::new(int("unsigned long long", 8, false)))
    );
    assert_eq!(m[2].ty, CType::Array(Box::new(int("char", 1, true)), 28));
}

#[test]
fn nested_definitions_come_out_too() {
    let d = one("struct Foo { int x; struct Bar { int x; } bar; };");
    assert_eq!(d.len(), 1);
    let CDecl::Record(r) = &d[0] else { panic!() };
    let m = r.members.as_ref().unwrap();
    assert!(matches!(&m[1].ty, CType::Record { name: Some(n), def: Some(_), .. } if n == "Bar"));
}

#[test]
fn enums_count_on_from_the_last_value() {
    let d = one("enum Foo { A, B = 5, C, D = B + 10, };");
    let [CDecl::Enum(e)] = d.as_slice() else {
        panic!("{d:?}")
    };
    assert_eq!(
        e.values,
        vec![
            ("A".into(), 0),
            ("B".into(), 5),
            ("C".into(), 6),
            ("D".into(), 15)
        ]
    );
    let anon = one("enum { FOO = 333, BAR }");
    assert!(matches!(&anon[0], CDecl::Enum(CEnum { name: None, .. })));
}

#[test]
fn attributes_bitfields_and_comments() {
    let d = one("struct foo { int x; char y; int z; } /**/ __attribute__ /**/ ((packed)) /**/");
    let CDecl::Record(r) = &d[0] else { panic!() };
    assert!(r.packed);
    let d = one("struct foo { unsigned long long x_0:1; unsigned long long x_1:1, x_2:2; }");
    let CDecl::Record(r) = &d[0] else { panic!() };
    let bits: Vec<_> = r.members.as_ref().unwrap().iter().map(|m| m.bits).collect();
    assert_eq!(bits, vec![Some(1), Some(1), Some(2)]);
}

#[test]
fn typedefs_and_function_pointers() {
    let d = one("typedef unsigned int u_t;");
    assert!(
        matches!(&d[0], CDecl::Typedef { name, ty, .. } if name == "u_t" && *ty == int("unsigned int", 4, false))
    );
    let d = one("struct cb { void (*fn)(int, char *); int (*many[2])(void); };");
    let CDecl::Record(r) = &d[0] else { panic!() };
    let m = r.members.as_ref().unwrap();
    assert_eq!(m[0].ty, CType::Ptr(Box::new(CType::Func)));
    assert_eq!(m[0].name.as_deref(), Some("fn"));
}

#[test]
fn errors_point_into_the_script() {
    let e = parse("struct A { int x y; }", 100).unwrap_err();
    assert!(e.span.start >= 100, "{e:?}");
    assert!(parse("enum E { A = }", 0).is_err());
    assert!(parse("struct A { int x[-1]; }", 0).is_err());
}
