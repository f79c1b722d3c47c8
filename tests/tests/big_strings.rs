//! End to end: strings larger than the 512-byte BPF stack (a `max_strlen` in the
//! thousands) live in per-CPU scratch maps, and reach printf, print, tuples, map keys
//! and values and map loops whole.

use tracec_tests::*;

/// `/bin/./././…/true`: a path of more than 1,200 characters that runs `true`.
fn long_path() -> String {
    format!("/bin/{}true", "./".repeat(600))
}

#[test]
fn big_strings_reach_every_output_whole() {
    let Some(_g) = kernel_or_skip("big_strings_reach_every_output_whole") else {
        return;
    };
    let dir = scratch("big_strings_outputs");
    let obj = compile_text(
        &dir,
        "t",
        "config = { max_strlen = 2000 } \
         t:syscalls:sys_enter_execve /pid == cpid/ { \
         printf(\"<%s>\\n\", str(args.filename)); print((1, (2, str(args.filename)))); \
         $s = str(args.filename); @k[$s] = count(); @v = $s; exit() }",
    );
    verify_ok(&obj);
    let path = long_path();
    let run = run_object_to_exit(&obj, &["-c", &path]);
    let text = run.stdout_text();
    assert!(text.contains(&format!("<{path}>\n")), "{text}");
    assert!(text.contains(&format!("(1, (2, {path}))\n")), "{text}");
    assert!(text.contains(&format!("@k[{path}]: 1\n")), "{text}");
    assert!(text.contains(&format!("@v: {path}\n")), "{text}");
}

#[test]
fn map_loops_over_big_strings() {
    let Some(_g) = kernel_or_skip("map_loops_over_big_strings") else {
        return;
    };
    let dir = scratch("big_strings_loop");
    let obj = compile_text(
        &dir,
        "t",
        "config = { max_strlen = 3000 } \
         t:syscalls:sys_enter_execve /pid == cpid/ { \
         @m[str(args.filename)] = str(args.filename); \
         for ($kv : @m) { print($kv); } clear(@m); exit() }",
    );
    let path = long_path();
    let run = run_object_to_exit(&obj, &["-c", &path]);
    let text = run.stdout_text();
    assert!(text.contains(&format!("({path}, {path})\n")), "{text}");
}

#[test]
fn small_strings_need_no_scratch_map() {
    let dir = scratch("big_strings_small");
    let obj = compile_text(
        &dir,
        "t",
        "t:syscalls:sys_enter_execve { @[str(args.filename)] = count(); \
         printf(\"%s\\n\", str(args.filename)) }",
    );
    let meta = object_metadata(&std::fs::read(&obj).expect("read object"));
    assert!(
        !meta
            .maps
            .iter()
            .any(|m| m.role == tracec_meta::MapRole::Scratch),
        "{:?}",
        meta.maps
    );
    let obj = compile_text(
        &dir,
        "big",
        "config = { max_strlen = 5000 } \
         t:syscalls:sys_enter_execve { @[str(args.filename)] = count() }",
    );
    let meta = object_metadata(&std::fs::read(&obj).expect("read object"));
    assert!(
        meta.maps
            .iter()
            .any(|m| m.role == tracec_meta::MapRole::Scratch),
        "{:?}",
        meta.maps
    );
}
