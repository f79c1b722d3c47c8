//! The two scripts of issue #2, end to end on the real kernel: compile the std-probe,
//! run it, trigger the event, read the line.

use std::process::Command;
use std::time::Duration;
use tracec_tests::*;

#[test]
fn procs_new_prints_header_then_argv_of_each_exec() {
    let Some(_k) = kernel_or_skip("procs_new") else {
        return;
    };
    let dir = scratch("procs-new");
    let obj = compile_file(&std_probe("procs-new.bt"), &dir.join("procs-new.o"));
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    assert!(
        run.err_lines.iter().any(|l| l == "Attached 2 probes"),
        "{:?}",
        run.err_lines
    );
    let marker = format!("marker-{}", std::process::id());
    let mut seen = false;
    for _ in 0..20 {
        let st = Command::new("/bin/echo")
            .args(["a", "b", &marker])
            .output()
            .unwrap();
        assert!(st.status.success());
        let want = format!("/bin/echo a b {marker}");
        if run.wait_stdout(Duration::from_millis(500), |l| l == want) {
            seen = true;
            break;
        }
    }
    run.signal(libc::SIGINT);
    let code = run.finish(Duration::from_secs(10));
    assert!(seen, "no exec line; stdout:\n{}", run.stdout_text());
    assert_eq!(code, Some(0), "stderr: {:?}", run.err_lines);
    assert_eq!(run.out_lines[0], "New processes with arguments");
}

#[test]
fn opens_failed_prints_comm_and_path() {
    let Some(_k) = kernel_or_skip("opens_failed") else {
        return;
    };
    let dir = scratch("opens-failed");
    let obj = compile_file(&std_probe("opens-failed.bt"), &dir.join("opens-failed.o"));
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    let mut seen = false;
    for _ in 0..20 {
        let st = Command::new("cat").arg("/no/such/file").output().unwrap();
        assert!(!st.status.success());
        if run.wait_stdout(Duration::from_millis(500), |l| l == "cat /no/such/file") {
            seen = true;
            break;
        }
    }
    run.signal(libc::SIGTERM);
    let code = run.finish(Duration::from_secs(10));
    assert!(seen, "no line; stdout:\n{}", run.stdout_text());
    assert_eq!(code, Some(0), "stderr: {:?}", run.err_lines);
    // Successful opens print nothing: every printed event is a failed open
    // (`comm path`); map lines (`@filename[tid]: ...`) may follow at exit.
    assert!(
        run.out_lines
            .iter()
            .filter(|l| !l.is_empty() && !l.starts_with('@'))
            .all(|l| l.contains(' ')),
        "{:?}",
        run.out_lines
    );
}
