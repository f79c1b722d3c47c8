//! End to end: USDT probes on a test program built here with gcc from
//! `tests/fixtures/usdt_test.c` (it writes its `.note.stapsdt` notes itself):
//! arguments in registers, in memory and constants; a semaphore-gated probe; the
//! `-c` child and `-p PID` limiting probes to one process; wildcards.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tracec_tests::*;

/// The test program, built into `dir` (`None`, after saying why, without gcc).
fn build(dir: &Path) -> Option<PathBuf> {
    let src = workspace().join("tests/fixtures/usdt_test.c");
    build_c_file(&src, &dir.join("usdt_test"), &["-O1"])
}

/// The program looping forever, 100 ms apart.
struct Looping(Child);

impl Looping {
    fn start(bin: &Path) -> Looping {
        let child = Command::new(bin)
            .arg("0")
            .stdout(Stdio::null())
            .spawn()
            .expect("start the usdt test program");
        // Let it map its binary before probes are resolved through /proc/PID/maps.
        std::thread::sleep(Duration::from_millis(200));
        Looping(child)
    }
    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Looping {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn arguments_of_a_child_in_registers_memory_and_constants() {
    let Some(_k) = kernel_or_skip("usdt_arguments") else {
        return;
    };
    let dir = scratch("usdt-args-bin");
    let Some(bin) = build(&dir) else { return };
    let script = format!(
        "usdt:{}:tracectest:args {{ printf(\"%d %ld %d %s %s\\n\", arg0, arg1, arg2, str(arg3), probe); }}",
        bin.display()
    );
    let cmd = format!("{} 3", bin.display());
    let run = run_to_exit("usdt-args", &script, &["-c", &cmd]);
    let probe = format!("usdt:{}:tracectest:args", bin.display());
    let want: String = (1..=3)
        .map(|i| format!("-{i} {}0000000000 -3 hello usdt {i} {probe}\n", i))
        .collect();
    assert!(
        run.stdout_text().starts_with(&want),
        "{}",
        run.stdout_text()
    );
    assert!(run.err_lines.iter().any(|l| l == "Attached 1 probe"));
}

#[test]
fn a_semaphore_is_activated_while_traced() {
    let Some(_k) = kernel_or_skip("usdt_semaphore") else {
        return;
    };
    let dir = scratch("usdt-sema-bin");
    let Some(bin) = build(&dir) else { return };
    // Untraced, the program skips the gated probe; traced, the semaphore is 1 and
    // the probe passes it as arg0.
    let script = format!(
        "usdt:{}:tracectest:gated {{ printf(\"semaphore %d\\n\", arg0); exit(); }}",
        bin.display()
    );
    let cmd = format!("{} 0", bin.display());
    let run = run_to_exit("usdt-sema", &script, &["-c", &cmd]);
    assert!(
        run.stdout_text().starts_with("semaphore 1\n"),
        "{}",
        run.stdout_text()
    );
}

#[test]
fn dash_p_limits_probes_to_that_process() {
    let Some(_k) = kernel_or_skip("usdt_pid") else {
        return;
    };
    let dir = scratch("usdt-pid-bin");
    let Some(bin) = build(&dir) else { return };
    let (a, b) = (Looping::start(&bin), Looping::start(&bin));
    // With the binary named, and without (found through /proc/PID/maps).
    for (name, path) in [
        ("usdt-pid-path", bin.display().to_string()),
        ("usdt-pid-nopath", String::new()),
    ] {
        let script = format!(
            "usdt:{path}:tracectest:noargs {{ @[pid] = count(); if (@[pid] == 3) {{ exit(); }} }}"
        );
        let run = run_to_exit(name, &script, &["-p", &b.pid()]);
        let out = run.stdout_text();
        assert!(out.contains(&format!("@[{}]: 3\n", b.pid())), "{out}");
        assert!(!out.contains(&format!("@[{}]", a.pid())), "{out}");
    }
}

#[test]
fn wildcards_attach_every_matching_probe() {
    let Some(_k) = kernel_or_skip("usdt_wildcards") else {
        return;
    };
    let dir = scratch("usdt-wild-bin");
    let Some(bin) = build(&dir) else { return };
    // `args` under both providers, and `noargs`; the gated probe never fires.
    let script = format!("usdt:{}:*:*args {{ @[probe] = count(); }}", bin.display());
    let cmd = format!("{} 2", bin.display());
    let run = run_to_exit("usdt-wild", &script, &["-c", &cmd]);
    assert!(
        run.err_lines.iter().any(|l| l == "Attached 3 probes"),
        "{:?}",
        run.err_lines
    );
    let out = run.stdout_text();
    let p = bin.display();
    for probe in ["other:args", "tracectest:args", "tracectest:noargs"] {
        assert!(out.contains(&format!("@[usdt:{p}:{probe}]: 2\n")), "{out}");
    }
}

#[test]
fn a_missing_probe_is_a_compile_error() {
    let dir = scratch("usdt-missing-bin");
    let Some(bin) = build(&dir) else { return };
    let script = format!("usdt:{}:tracectest:nosuch {{ }}", bin.display());
    let o = tracec(&["-e", &script, "-o", dir.join("x.o").to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no usdt probe matches 'tracectest:nosuch'"),
        "{err}"
    );
}
