//! Scripts from the wild, third corpus: programs larger than a 16-bit jump reaches
//! (unrolled games), `#!` lines after the first, a trailing comma after the last
//! attach point. The scripts here are our own, written after those patterns.

use tracec_tests::*;

/// `n` statements that keep `$a` changing, so nothing folds away.
fn long_body(n: usize) -> String {
    (0..n)
        .map(|i| format!("      $a = ($a * 33) ^ {};\n", i % 97))
        .collect()
}

/// What the script of `long_jumps_reach_across_a_program_over_32767_instructions`
/// prints.
fn long_body_result(n: usize, rounds: usize) -> i64 {
    let mut a: i64 = 3;
    for _ in 0..rounds {
        if a & 1 != 0 {
            for i in 0..n {
                a = a.wrapping_mul(33) ^ (i % 97) as i64;
            }
        }
    }
    a
}

#[test]
fn long_jumps_reach_across_a_program_over_32767_instructions() {
    let Some(_k) = kernel_or_skip("wild3_long_jumps") else {
        return;
    };
    // 18000 statements of 2 instructions: the `jset` over the body, the loop's exit
    // test and its back edge all jump farther than 32767 instructions.
    let n = 18_000;
    let script = format!(
        r#"BEGIN {{
  @seed = 3;
  $a = @seed;
  $i = 0;
  while ($i < 2) {{
    if ($a & 1) {{
{}    }}
    $i++;
  }}
  printf("%lld\n", $a);
  clear(@seed);
  exit();
}}
"#,
        long_body(n)
    );
    let dir = scratch("wild3_long_jumps");
    let src = dir.join("long.bt");
    std::fs::write(&src, &script).unwrap();
    let asm = tracec(&[src.to_str().unwrap(), "--emit", "asm"]);
    let asm = String::from_utf8_lossy(&asm.stdout);
    assert!(asm.contains("gotol"), "no long jump in:\n{}", &asm[..2000]);
    let obj = compile_file(&src, &dir.join("long.o"));
    verify_ok(&obj);
    let run = run_object_to_exit(&obj, &[]);
    assert_eq!(
        run.stdout_text(),
        format!("{}\n\n\n", long_body_result(n, 2))
    );
}
