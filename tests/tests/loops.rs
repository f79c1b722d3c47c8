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
