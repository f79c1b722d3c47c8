//! Aggregations read as values (combined over CPUs in BPF) and `for` loops over maps
//! (`bpf_for_each_map_elem` with a BPF-to-BPF callback), end to end.

use std::time::Duration;
use tracec_tests::*;

fn run_script(test: &str, script: &str) -> String {
    let dir = scratch(test);
    let obj = compile_text(&dir, test, script);
    let mut run = Run::start(&obj, &[]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    run.stdout_text()
}

#[test]
fn aggregations_read_as_values() {
    let Some(_k) = kernel_or_skip("agg_read") else {
        return;
    };
    let out = run_script(
        "agg_read",
        r#"BEGIN {
  @c = count(); @c = count();
  @s = sum(-5); @s = sum(-7);
  @mn = min(3); @mn = min(-2);
  @mx = max(4); @mx = max(1);
  @a = avg(-1); @a = avg(-11);
  @u = avg((uint64)9); @u = avg((uint64)2);
  printf("%d %d %d %d %d %d\n", @c, @s, @mn, @mx, @a, @u);
  printf("%d %d\n", @c > 1, @k[1] + 0);
  @k[2] = count();
  printf("%d %d\n", @k[1], @k[2]);
  clear(@c); clear(@s); clear(@mn); clear(@mx); clear(@a); clear(@u); clear(@k);
  exit();
}"#,
    );
    assert!(out.starts_with("2 -12 -2 4 -6 5\n1 0\n0 1\n"), "{out}");
}

/// Sorted lines, for output whose order is the map's iteration order.
fn sorted(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn for_over_map_reads_and_writes_probe_variables() {
    let Some(_k) = kernel_or_skip("for_map_vars") else {
        return;
    };
    let out = run_script(
        "for_map_vars",
        r#"BEGIN {
  @m[16] = 32; @m[64] = 128;
  $n = 1; $s = "abc";
  for ($kv : @m) {
    printf("%d=%d %s\n", $kv.0, $kv.1, $s);
    $n *= 2; $s = "def";
    @copy[$kv.1] = $kv.0;
  }
  printf("after %d %s %d %d\n", $n, $s, @copy[32], @copy[128]);
  clear(@m); clear(@copy);
  exit();
}"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    let mut first_two = lines[..2].to_vec();
    first_two.sort();
    assert!(
        first_two == ["16=32 abc", "64=128 def"] || first_two == ["16=32 def", "64=128 abc"],
        "{out}"
    );
    assert_eq!(lines[2], "after 4 def 16 64", "{out}");
}

#[test]
fn for_over_map_control_flow_keys_and_aggregations() {
    let Some(_k) = kernel_or_skip("for_map_flow") else {
        return;
    };
    let out = run_script(
        "for_map_flow",
        r#"BEGIN {
  @s["foo"] = "x"; @s["bar"] = "y";
  @k[1, "a"] = 10; @k[2, "b"] = 20;
  @c[7] = count(); @c[7] = count(); @c[8] = count(); @t[8] = sum(-3);
  $n = 0;
  for ($kv : @s) { $n++; break; }
  printf("break %d\n", $n);
  for ($kv : @s) { if ($kv.0 == "bar") { continue; } printf("cont %s %s\n", $kv.0, $kv.1); }
  for ($kv : @k) { printf("keys %d %s %d\n", $kv.0.0, $kv.0.1, $kv.1); }
  for ($kv : @c) { printf("agg %d %d\n", $kv.0, $kv.1); }
  for ($kv : @t) { printf("sum %d %d\n", $kv.0, $kv.1); }
  for ($a : @s) { for ($b : @k) { printf("nested %s %d\n", $a.0, $b.0.0); } }
  for ($kv : @k) { for ($i : 0..3) { if ($kv.0.0 == 2 && $i == 1) { printf("return\n"); return; } } }
  printf("not reached\n");
}
interval:ms:10 { exit(); }
END { clear(@s); clear(@k); clear(@c); clear(@t); }"#,
    );
    let mut got = sorted(&out);
    got.retain(|l| !l.is_empty());
    assert_eq!(
        got,
        [
            "agg 7 2",
            "agg 8 1",
            "break 1",
            "cont foo x",
            "keys 1 a 10",
            "keys 2 b 20",
            "nested bar 1",
            "nested bar 2",
            "nested foo 1",
            "nested foo 2",
            "return",
            "sum 8 -3",
        ],
        "{out}"
    );
}

#[test]
fn for_over_map_in_a_tracepoint_uses_the_probe_context() {
    let Some(_k) = kernel_or_skip("for_map_ctx") else {
        return;
    };
    let dir = scratch("for_map_ctx");
    let obj = compile_text(
        &dir,
        "for_map_ctx",
        r#"BEGIN { @m[1] = 1; }
tracepoint:syscalls:sys_enter_openat {
  for ($kv : @m) { printf("flags %d\n", args.flags >= 0); }
  exit();
}
END { clear(@m); }"#,
    );
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    let _ = std::fs::File::open("/proc/self/status");
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    assert!(
        run.stdout_text().contains("flags 1\n"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn libbpf_loads_the_callback_subprogram() {
    let Some(_k) = kernel_or_skip("for_map_bpftool") else {
        return;
    };
    let dir = scratch("for_map_bpftool");
    let obj = compile_text(
        &dir,
        "for_map_bpftool",
        r#"BEGIN { @m[1] = 2; $x = 1; for ($kv : @m) { $x += $kv.1; for ($j : @m) { $x++; } } printf("%d\n", $x); }"#,
    );
    let o = run_cmd("bpftool", &["btf", "dump", "file", obj.to_str().unwrap()]);
    let btf = String::from_utf8_lossy(&o.stdout);
    assert!(
        btf.contains("FUNC 'tracec_loop_0' type_id=") && btf.contains("linkage=static"),
        "{btf}"
    );
    let pin = format!("/sys/fs/bpf/tracec-test-for-map-{}", std::process::id());
    let o = run_cmd("bpftool", &["prog", "loadall", obj.to_str().unwrap(), &pin]);
    let loaded = std::fs::read_dir(&pin).map(|d| d.count()).unwrap_or(0);
    let _ = std::fs::remove_dir_all(&pin);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // One program; the callbacks are linked into it, not programs of their own.
    assert_eq!(loaded, 1);
}

#[test]
fn range_loops_with_run_time_bounds_use_bpf_loop() {
    let Some(_k) = kernel_or_skip("for_range_callback") else {
        return;
    };
    let out = run_script(
        "for_range_callback",
        r#"BEGIN {
  @a = 3; $sum = 0; $s = "x";
  for ($i : 0..@a) { $sum += $i; @a += 1; $s = "y"; }
  printf("sum %d a %d s %s\n", $sum, @a, $s);
  $n = 0;
  for ($i : (-2)..1000) { if ($i == 2) { break; } if ($i == 0) { continue; } $n++; }
  printf("n %d\n", $n);
  $lo = 5; $hi = 2;
  for ($i : $lo..$hi) { printf("never\n"); }
  for ($i : 0..$lo) { for ($kv : @a) { if ($i == 1) { printf("leave %d\n", $kv.1); exit(); } } }
  printf("not reached\n");
}"#,
    );
    assert!(out.starts_with("sum 3 a 6 s y\nn 3\nleave 6\n"), "{out}");
}
