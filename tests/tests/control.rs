//! Control flow, declarations and top-level items end to end: `let` and block scoping,
//! `while`, `unroll`, `for` over ranges, `break`/`continue`/`return`, block
//! expressions, macros, config blocks and map declarations. Output is compared byte
//! for byte with what the reference language (language.md) specifies.

use std::time::Duration;
use tracec_tests::*;

const LOOPS: &str = r#"
config = { max_map_keys = 16; BPFTRACE_STACK_MODE = raw }
let @lru = lruhash(2);
macro add_one(x) { x + 1 }
macro add_two(x) { add_one(x) + 1 }
macro inc($v) { $v += 1; }
macro bump(@m) { @m = @m + 1; }
macro twice(x) { x; x; }
macro scoped(x) { let $y = x + 1; $y }
BEGIN
{
  $a = 0; while ($a <= 100) { @avg = avg($a); $a++; }
  $i = 0; while ($i < 3) { $j = 0; while ($j < 2) { @count = count(); $j++; } $i++; }
  for ($k : 0..5) { if ($k == 3) { continue; } printf("k=%d\n", $k); }
  $s = 2; $e = 7; for ($k : $s..$e) { if ($k == 5) { break; } printf("r=%d\n", $k); }
  $n = 3; for ($k : (-1)..$n) { $n = 0; printf("neg=%d\n", $k); }
  for ($k : 5..5) { printf("never\n"); }
  let $z; if ($z) { $z = 1; } printf("z=%d\n", $z);
  if (1) { $x = 1; }
  if (1) { let $x; printf("inner x=%d\n", $x); }
  unroll(3) { printf("u\n"); }
  $v = { let $q = 4; $q + 1 }; printf("v=%d\n", $v);
  if ({ let $t = 1; $t }) { printf("block cond\n"); }
  _ = { printf("discarded\n"); 1 };
  printf("macros %d %d %d\n", add_one(1 + 1), add_two($v), scoped(5));
  inc($v); printf("inc %d\n", $v);
  @b = 1; bump(@b);
  twice({ printf("hi ") });
  printf("\n");
  @lru[1] = 1; @lru[2] = 2; @lru[3] = 3;
  for ($p : 1..4) { for ($q : 1..$p) { printf("q=%d\n", $q); if ($q == 2) { return; } } }
  printf("not reached\n");
}
"#;

const LOOPS_OUT: &str = "k=0
k=1
k=2
k=4
r=2
r=3
r=4
neg=-1
neg=0
neg=1
neg=2
z=0
inner x=0
u
u
u
v=5
block cond
discarded
macros 3 7 6
inc 6
hi hi 
q=1
q=1
q=2
";

#[test]
fn control_flow_macros_and_declarations() {
    let Some(_k) = kernel_or_skip("control_flow") else {
        return;
    };
    let dir = scratch("control");
    let obj = compile_text(&dir, "control", LOOPS);
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    run.signal(libc::SIGINT);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    let out = run.stdout_text();
    assert!(out.starts_with(LOOPS_OUT), "{out}");
    assert!(out.contains("@avg: 50\n"), "{out}");
    assert!(out.contains("@count: 6\n"), "{out}");
    assert!(out.contains("@b: 2\n"), "{out}");
    // lruhash(2): three inserts leave two entries.
    assert_eq!(out.matches("@lru[").count(), 2, "{out}");
}

#[test]
fn config_can_hide_maps_at_exit() {
    let Some(_k) = kernel_or_skip("config_maps") else {
        return;
    };
    let dir = scratch("config_maps");
    let obj = compile_text(
        &dir,
        "hide",
        "config = { print_maps_on_exit=0 } BEGIN { @[\"test\"] = count(); exit(); }",
    );
    let mut run = Run::start(&obj, &[]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    assert!(
        !run.stdout_text().contains("@[test]"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn control_errors_point_at_the_source() {
    let cases = [
        (
            "config = { bad_config=raw } BEGIN {}",
            "bad_config: not a known configuration option",
        ),
        ("BEGIN { break; }", "`break` is only allowed inside a loop"),
        (
            "BEGIN { unroll(0) { } }",
            "unroll minimum value is 1, got 0",
        ),
        (
            "BEGIN { unroll(101) { } }",
            "unroll maximum value is 100, got 101",
        ),
        (
            "BEGIN { let $x = 1; if (1) { let $x = 2; } }",
            "variable shadowing is not allowed",
        ),
        (
            "BEGIN { printf(\"%d\", $x); if (1) { $x = 1; } }",
            "variable '$x' is used before it is assigned",
        ),
        (
            "macro bad() { @x++ } BEGIN { bad(); }",
            "macro `bad` uses map @x, which is not one of its parameters",
        ),
        (
            "macro inc($x) { $x += 1; } BEGIN { inc(1); }",
            "macro `inc` expects a scratch variable for $x",
        ),
        (
            "let @a = bighash(3); BEGIN { @a[1] = 1; }",
            "unknown map type `bighash`",
        ),
    ];
    let dir = scratch("control_errors");
    for (src, want) in cases {
        let out = tracec(&["-e", src, "-o", dir.join("x.o").to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{src}");
        assert!(err.contains(want), "{src}: {err}");
    }
    let out = tracec(&[
        "-e",
        "let @a = percpuhash(1); BEGIN { return; printf(\"x\"); }",
        "-o",
        dir.join("w.o").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Unused map: @a"), "{err}");
    assert!(err.contains("Unreachable statement"), "{err}");
}

/// Scripts of the probe-wide variable era (Debian's tcpconnect.bt): a variable
/// assigned in the branches of an `if` and read after it is declared for the whole
/// probe, with a warning, and starts as 0 / "" where no branch assigned it.
#[test]
fn probe_wide_variables_of_older_scripts() {
    let Some(_g) = kernel_or_skip("probe_wide_variables_of_older_scripts") else {
        return;
    };
    let dir = scratch("legacy_scope");
    let src = "BEGIN { if (1) { $s = \"yes\"; $n = 7; } else { $s = \"no\"; } \
               if (0) { $z = 5; } printf(\"%s %d %d\\n\", $s, $n, $z); exit(); }";
    let out = tracec(&["-e", src, "-o", dir.join("l.o").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for v in ["$s", "$n", "$z"] {
        assert!(
            err.contains(&format!(
                "warning: variable '{v}' is used outside the block that assigns it"
            )),
            "{v}: {err}"
        );
    }
    let run = run_object_to_exit(&dir.join("l.o"), &[]);
    assert_eq!(run.stdout_text().trim(), "yes 7 0");
}
