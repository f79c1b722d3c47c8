//! Run-time output of the asynchronous functions (`cat`, `system`, `time`) in `-f json`
//! and to `-o FILE`, and run-time warnings.

use std::time::Duration;
use tracec_tests::*;

#[test]
fn cat_and_time_are_json_events() {
    let Some(_k) = kernel_or_skip("rtout_json_cat_time") else {
        return;
    };
    let dir = scratch("rtout-json");
    let file = dir.join("hello.txt");
    std::fs::write(&file, "two\nlines\n").unwrap();
    let script = format!(
        "BEGIN {{ cat(\"{}\"); time(\"%Y\\n\"); exit(); }}",
        file.display()
    );
    let run = run_to_exit("rtout-json-cat", &script, &["-q", "-f", "json"]);
    let date = run_cmd("date", &["+%Y"]);
    let year = String::from_utf8_lossy(&date.stdout).trim().to_string();
    assert_eq!(
        run.stdout_text(),
        format!(
            "{{\"type\": \"cat\", \"data\": \"two\\nlines\\n\"}}\n\
             {{\"type\": \"time\", \"data\": \"{year}\\n\"}}\n"
        )
    );
}

#[test]
fn system_is_a_syscall_json_event_and_goes_to_the_output_file() {
    let Some(_k) = kernel_or_skip("rtout_json_system") else {
        return;
    };
    let dir = scratch("rtout-system");
    let src = dir.join("sys.bt");
    std::fs::write(&src, "BEGIN { system(\"echo a b c\"); exit(); }").unwrap();
    let obj = dir.join("sys.o");
    let o = tracec(&[
        src.to_str().unwrap(),
        "--unsafe",
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut run = Run::start(&obj, &["-q", "--unsafe", "-f", "json"]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    assert_eq!(
        run.stdout_text(),
        "{\"type\": \"syscall\", \"data\": \"a b c\\n\"}\n"
    );
    let out = dir.join("out.txt");
    let mut run = Run::start(&obj, &["-q", "--unsafe", "-o", out.to_str().unwrap()]);
    assert_eq!(run.finish(Duration::from_secs(20)), Some(0));
    assert_eq!(run.stdout_text(), "");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("a b c\n"), "{text:?}");
}

#[test]
fn no_warnings_silences_warnf_but_not_errorf() {
    let Some(_k) = kernel_or_skip("rtout_no_warnings") else {
        return;
    };
    let script =
        r#"BEGIN { warnf("careful %d", 1); errorf("broken %d", 2); printf("done\n"); exit(); }"#;
    let run = run_to_exit("rtout-warn", script, &["-q"]);
    let warned = run
        .err_lines
        .iter()
        .any(|l| l.contains("WARNING: careful 1"));
    assert!(warned, "{:?}", run.err_lines);
    let run = run_to_exit("rtout-nowarn", script, &["-q", "--no-warnings"]);
    assert_eq!(run.stdout_text(), "done\n\n\n");
    assert!(
        !run.err_lines.iter().any(|l| l.contains("careful")),
        "{:?}",
        run.err_lines
    );
    assert!(
        run.err_lines.iter().any(|l| l.contains("ERROR: broken 2")),
        "{:?}",
        run.err_lines
    );
}
