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

#[test]
fn shebang_lines_after_the_first_are_comments() {
    let Some(_k) = kernel_or_skip("wild3_shebangs") else {
        return;
    };
    // Scripts pasted one after another keep each one's `#!` line.
    let script = "// first tool\n#!/usr/bin/env bpftrace\nBEGIN { printf(\"a\\n\"); }\n\n\
                  #!/usr/bin/env bpftrace\nBEGIN {\n#!inside a block too\n  printf(\"b\\n\");\n  exit();\n}\n";
    let run = run_to_exit("wild3_shebangs", script, &[]);
    assert_eq!(run.stdout_text(), "a\nb\n\n\n");
}

#[test]
fn an_indented_shebang_is_still_an_error() {
    let err = compile_error("wild3_indented_shebang", "BEGIN { exit(); }\n  #!x\n");
    assert!(err.contains("preprocessor directive"), "{err}");
}

#[test]
fn a_trailing_comma_after_the_last_attach_point_is_allowed() {
    let Some(_k) = kernel_or_skip("wild3_trailing_comma") else {
        return;
    };
    let script = "BEGIN,\n{ printf(\"begin\\n\"); }\n\
                  interval:ms:10, interval:ms:500,\n/@n == 0/\n{ @n = 1; printf(\"%s\\n\", probe); exit(); }\n";
    let run = run_to_exit("wild3_trailing_comma", script, &[]);
    assert_eq!(run.stdout_text(), "begin\ninterval:ms:10\n\n\n@n: 1\n");
}

#[test]
fn a_comma_alone_is_no_attach_point() {
    let err = compile_error("wild3_lone_comma", "BEGIN,, { exit(); }\n");
    assert!(err.contains("syntax error"), "{err}");
}
