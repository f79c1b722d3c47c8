//! Checking the run-time formatted values, runtime-resolved symbols and map functions.

use super::tests::test_ast::chk;
use super::types::*;
use super::Checked;
use tracec_meta::FmtKind;

fn check(src: &str) -> Checked {
    let p = crate::front::parse(src).expect("parses");
    chk(&p).unwrap_or_else(|d| panic!("{src}: {:?}", d))
}

use super::tests::test_ast::src_errors as errors;

/// The type of `$v` in the (only) probe.
fn var_ty(c: &Checked) -> Type {
    c.probes[0].vars[0].ty
}

#[test]
fn values_have_their_kinds() {
    for (expr, kind) in [
        ("ntop(1)", FmtKind::Inet),
        ("ntop(10, pton(\"::1\"))", FmtKind::Inet),
        ("ntop(2, args.dfd)", FmtKind::Inet),
        ("strftime(\"%H\", nsecs)", FmtKind::Timestamp),
        ("buf(\"abcdef\", 3)", FmtKind::Buf { size: 3 }),
        ("buf(comm)", FmtKind::Buf { size: 16 }),
        ("buf(args.filename, 1000)", FmtKind::Buf { size: 64 }),
        ("cgroup_path(cgroup)", FmtKind::CgroupPath),
        ("username", FmtKind::Username),
        ("strerror(1)", FmtKind::Strerror),
        ("signal_name(9)", FmtKind::SignalName),
        ("macaddr(comm)", FmtKind::MacAddr),
    ] {
        let c = check(&format!(
            "tracepoint:syscalls:sys_enter_openat {{ $v = {expr}; }}"
        ));
        assert_eq!(var_ty(&c), Type::Fmt(kind), "{expr}");
    }
}

#[test]
fn variables_of_one_kind_merge() {
    let c =
        check("BEGIN { $v = ntop(0); $v = ntop(pid); $b = buf(\"a\", 1); $b = buf(\"abc\", 3); }");
    assert_eq!(var_ty(&c), Type::Fmt(FmtKind::Inet));
    assert_eq!(c.probes[0].vars[1].ty, Type::Fmt(FmtKind::Buf { size: 3 }));
    let e = errors("BEGIN { $v = ntop(0); $v = strerror(1); }");
    assert_eq!(e.len(), 1, "{e:?}");
}

#[test]
fn strftime_formats_are_shared() {
    let c = check(
        "BEGIN { printf(\"%s %s %s\", strftime(\"%H\", 1), strftime(\"%M\", 2), strftime(\"%H\", 3)); }",
    );
    assert_eq!(c.strftime_formats, vec!["%H".to_string(), "%M".to_string()]);
}

#[test]
fn symbols_wait_for_the_runtime() {
    // No compile-time lookup: any name compiles, each once.
    let c = check("BEGIN { $a = kaddr(\"no_such_thing\"); $b = kaddr(\"x\"); $c = kaddr(\"no_such_thing\"); }");
    let names: Vec<&str> = c.symbol_globals.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["no_such_thing", "x"]);
    assert!(c.symbol_globals.iter().all(|s| s.path.is_none()));
    let c = check("BEGIN { $a = kaddr(str($1)); }");
    let g = &c.symbol_globals[0];
    assert!(g.name.is_empty() && g.param.as_deref() == Some(c.params[0].symbol.as_str()));
    assert_eq!(
        errors("BEGIN { $a = uaddr(\"environ\"); }"),
        ["uaddr() can only be used in uprobes and USDT probes"]
    );
}

#[test]
fn misuse_is_reported() {
    for (src, want) in [
        ("BEGIN { $v = ntop(10, 1); }", "does not match the address"),
        (
            "BEGIN { $v = ntop(\"ab\"); }",
            "ntop() expects an integer or an array",
        ),
        (
            "BEGIN { $v = buf(curtask); }",
            "buf() of a pointer needs a length",
        ),
        ("BEGIN { $v = buf(\"a\", -1); }", "must not be negative"),
        (
            "BEGIN { $v = strftime(\"%H\", -1); }",
            "must not be negative",
        ),
        (
            "BEGIN { $v = strftime(comm, 1); }",
            "expects a string literal",
        ),
        ("BEGIN { printf(\"%r\", comm); }", "a buffer"),
        (
            "BEGIN { printf(\"%s\", buf(\"a\", 1)); }",
            "is a buffer (print it with %r)",
        ),
        (
            "BEGIN { @m = 1; $v = len(@m); }",
            "call to len() expects a map with explicit keys (non-scalar map)",
        ),
        (
            "BEGIN { @m = 1; $v = has_key(@m, 1); }",
            "call to has_key() expects a map with explicit keys",
        ),
        ("BEGIN { $v = len(1); }", "len() expects a map"),
    ] {
        let e = errors(src);
        assert!(e.iter().any(|m| m.contains(want)), "{src}: {e:?}");
    }
}

#[test]
fn map_functions_type_as_integers() {
    let c = check("BEGIN { @m[1, \"a\"] = 1; $n = len(@m); $h = has_key(@m, (1, \"a\")); }");
    assert_eq!(c.probes[0].vars[0].ty, Type::I64);
    assert_eq!(c.probes[0].vars[1].ty, Type::Bool);
}
