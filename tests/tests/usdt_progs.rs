//! End to end: USDT probes on the conformance stand-ins of `tests/testprogs/` (built
//! here with the host's C compiler, their notes written by `usdt.h`'s typed macros):
//! constant, register and memory arguments of every size and signedness, twelve
//! arguments, probes sharing a location in script order, a name with quotes, an empty
//! path expanded against a `-p` process, and semaphores activated in every process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tracec_tests::*;

/// `tests/testprogs/NAME.c` built into `dir` with `-O{opt}` (`None` without a compiler).
fn build(dir: &Path, name: &str, opt: &str) -> Option<PathBuf> {
    let progs = workspace().join("tests/testprogs");
    let src = progs.join(format!("{name}.c"));
    let include = progs.display().to_string();
    build_c_file(
        &src,
        &dir.join(name),
        &["-g", opt, "-fno-omit-frame-pointer", "-I", &include],
    )
}

/// A test program running in the background until dropped.
struct Background(Child);

impl Background {
    fn start(bin: &Path) -> Background {
        let child = Command::new(bin)
            .stdout(Stdio::null())
            .spawn()
            .expect("start the test program");
        // Let it map its binary before probes are resolved through /proc/PID/maps.
        std::thread::sleep(Duration::from_millis(200));
        Background(child)
    }
    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Compile `script` with `tracec -p PID` (compile-time expansion against the process).
fn compile_for_pid(dir: &Path, script: &str, pid: &str) -> PathBuf {
    let out = dir.join("script.o");
    let o = tracec(&["-e", script, "-p", pid, "-o", out.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "tracec failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn constant_register_and_memory_arguments_of_every_size() {
    let Some(_k) = kernel_or_skip("usdt_progs_args") else {
        return;
    };
    let dir = scratch("usdt-progs-args-bin");
    let Some(bin) = build(&dir, "usdt_args", "-O1") else {
        return;
    };
    // 0xf7f6f5f4f3f2f1f0 as u64, i64, u32, i32, u16, i16, u8, i8.
    let want = "-579005069656919568 -579005069656919568 4092785136 -202182160 61936 -3600 240 -16 ";
    for group in ["const", "reg", "addr"] {
        let script = format!(
            "usdt:{}:usdt_args:{group}_* {{ printf(\"%lld \", arg0); }}",
            bin.display()
        );
        let name = format!("usdt-progs-args-{group}");
        let run = run_to_exit(&name, &script, &["-c", bin.to_str().unwrap()]);
        assert_eq!(run.stdout_text().trim_end_matches('\n'), want, "{group}");
        assert!(
            run.err_lines.iter().any(|l| l == "Attached 8 probes"),
            "{:?}",
            run.err_lines
        );
    }
}

#[test]
fn twelve_arguments_of_mixed_sizes() {
    let Some(_k) = kernel_or_skip("usdt_progs_multi") else {
        return;
    };
    let dir = scratch("usdt-progs-multi-bin");
    let Some(bin) = build(&dir, "usdt_multi_args", "-O0") else {
        return;
    };
    let fmt = ["%llx"; 12].join(" ");
    let args: Vec<String> = (0..12).map(|i| format!("arg{i}")).collect();
    let script = format!(
        "usdt:{}:usdt_multi_args:probe1 {{ printf(\"{fmt}\\n\", {}); exit(); }}",
        bin.display(),
        args.join(", ")
    );
    let run = run_to_exit("usdt-progs-multi", &script, &["-c", bin.to_str().unwrap()]);
    assert_eq!(
        run.out_lines.first().map(String::as_str),
        Some(
            "deadbeef 1 ffffffffffffffff cafebabe 8badf00d feedface 123456789abcdef 0 \
             7fffffffffffffff 5555555555555555 2a aaaaaaaaaaaaaaaa"
        )
    );
}

#[test]
fn probes_on_one_location_run_in_script_order() {
    let Some(_k) = kernel_or_skip("usdt_progs_order") else {
        return;
    };
    let dir = scratch("usdt-progs-order-bin");
    let Some(bin) = build(&dir, "usdt_sized_args", "-O0") else {
        return;
    };
    let p = bin.display();
    let script = format!(
        "usdt:{p}:test:probe1 {{ printf(\"first\"); }}\n\
         usdt:{p}:test:probe1 {{ printf(\" second\\n\"); if (++@n == 5) {{ exit(); }} }}"
    );
    let prog = Background::start(&bin);
    let run = run_to_exit("usdt-progs-order", &script, &["-p", &prog.pid()]);
    // Each firing runs both programs, first to last. The program fires every millisecond,
    // so a firing may land while only the later program is attached (they attach last to
    // first): then its line is the later program's alone, and only as the first line.
    let lines: Vec<&str> = run
        .out_lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.is_empty() && !l.starts_with('@'))
        .collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(
        lines[0] == "first second" || lines[0] == " second",
        "{lines:?}"
    );
    assert!(lines[1..].iter().all(|l| *l == "first second"), "{lines:?}");
}

#[test]
fn a_name_with_quotes_is_written_with_escapes() {
    let Some(_k) = kernel_or_skip("usdt_progs_quoted") else {
        return;
    };
    let dir = scratch("usdt-progs-quoted-bin");
    let Some(bin) = build(&dir, "usdt_quoted_probe", "-O0") else {
        return;
    };
    let script = format!(
        r#"usdt:{}:test:"\"probe1\"" {{ printf("%d %s\n", arg0, probe); exit(); }}"#,
        bin.display()
    );
    let prog = Background::start(&bin);
    let run = run_to_exit("usdt-progs-quoted", &script, &["-p", &prog.pid()]);
    assert_eq!(
        run.out_lines.first(),
        Some(&format!("1 usdt:{}:test:\"probe1\"", bin.display()))
    );
}

#[test]
fn an_empty_path_with_a_process_is_one_probe_per_provider_and_name() {
    let Some(_k) = kernel_or_skip("usdt_progs_pid_wild") else {
        return;
    };
    let dir = scratch("usdt-progs-pid-wild-bin");
    let Some(bin) = build(&dir, "usdt_test", "-O0") else {
        return;
    };
    let prog = Background::start(&bin);
    let obj = compile_for_pid(
        &dir,
        "usdt:::*probe2 { @[probe] = 1; if (len(@) == 2) { exit(); } }",
        &prog.pid(),
    );
    let run = run_object_to_exit(&obj, &["-p", &prog.pid()]);
    assert!(
        run.err_lines.iter().any(|l| l == "Attached 2 probes"),
        "{:?}",
        run.err_lines
    );
    let out = run.stdout_text();
    // Named after the process's file (its path as /proc/PID/maps shows it).
    let exe = std::fs::canonicalize(&bin).unwrap();
    // `usdt:*` is every probe of the process (its libraries' too, on hosts whose libc
    // has some).
    let all = compile_for_pid(&dir, "usdt:* { exit(); }", &prog.pid());
    let meta = object_metadata(&std::fs::read(&all).unwrap());
    for probe in [
        "tracetest:testprobe",
        "tracetest:testprobe2",
        "tracetest2:testprobe2",
    ] {
        let name = format!("usdt:{}:{probe}", exe.display());
        assert!(meta.probes.iter().any(|p| p.name == name), "{name}");
    }
    let run_all = run_object_to_exit(&all, &["-p", &prog.pid()]);
    let attached = format!("Attached {} probes", meta.probes.len());
    assert!(
        run_all.err_lines.contains(&attached),
        "{:?}",
        run_all.err_lines
    );
    for probe in ["tracetest:testprobe2", "tracetest2:testprobe2"] {
        let line = format!("@[usdt:{}:{probe}]: 1\n", exe.display());
        assert!(out.contains(&line), "{out}");
    }
}

#[test]
fn a_star_path_without_a_process_is_every_running_process() {
    let Some(_k) = kernel_or_skip("usdt_progs_star_host") else {
        return;
    };
    let dir = scratch("usdt-progs-star-host");
    let Some(bin) = build(&dir, "usdt_test", "-O0") else {
        return;
    };
    let _prog = Background::start(&bin);
    // Compiled and run without -p: the runtime finds the probe in the files the
    // running processes map (the test program's binary among them).
    let obj = compile_text(
        &dir,
        "star",
        "usdt:*:tracetest:testprobe { printf(\"here\\n\"); exit(); }",
    );
    let meta = object_metadata(&std::fs::read(&obj).unwrap());
    assert!(
        matches!(&meta.probes[0].attach, tracec_meta::Attach::Usdt { path, .. } if path == "*"),
        "{:?}",
        meta.probes[0].attach
    );
    // Listed the same way, each probe under its file's path.
    let exe = std::fs::canonicalize(&bin).unwrap();
    let listed = tracec(&["-l", "usdt:*:tracetest:*"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    for probe in ["testprobe", "testprobe2"] {
        let line = format!("usdt:{}:tracetest:{probe}", exe.display());
        assert!(listed.lines().any(|l| l == line), "{line} in {listed}");
    }
    let run = run_object_to_exit(&obj, &[]);
    assert_eq!(
        run.out_lines.first().map(String::as_str),
        Some("here"),
        "{:?}",
        run.err_lines
    );
}

#[test]
fn a_semaphore_is_raised_in_every_process_mapping_the_file() {
    let Some(_k) = kernel_or_skip("usdt_progs_semaphore") else {
        return;
    };
    let dir = scratch("usdt-progs-semaphore-bin");
    let Some(bin) = build(&dir, "usdt_semaphore_test", "-O0") else {
        return;
    };
    // The program fires its probe only while its semaphore is raised, and passes its
    // value as text.
    let (a, b) = (Background::start(&bin), Background::start(&bin));
    let script = format!(
        "usdt:{}:tracetest:testprobe {{ @text[pid] = str(arg1); if (len(@text) == 2) {{ exit(); }} }}",
        bin.display()
    );
    let run = run_to_exit("usdt-progs-semaphore", &script, &[]);
    let out = run.stdout_text();
    for p in [a.pid(), b.pid()] {
        assert!(
            out.contains(&format!("@text[{p}]: USDT semaphore: 1\n")),
            "{out}"
        );
    }
}

#[test]
fn without_a_binary_a_child_is_traced_in_its_program() {
    let Some(_k) = kernel_or_skip("usdt_progs_child") else {
        return;
    };
    let dir = scratch("usdt-progs-child-bin");
    let Some(bin) = build(&dir, "usdt_test", "-O0") else {
        return;
    };
    // The child has not exec'ed when the probes attach: its program is read instead.
    let script = "usdt::tracetest:testprobe2 { printf(\"%s\\n\", str(arg1)); exit(); }";
    let run = run_to_exit("usdt-progs-child", script, &["-c", bin.to_str().unwrap()]);
    assert_eq!(
        run.out_lines.first().map(String::as_str),
        Some("Hello World2"),
        "{:?}",
        run.err_lines
    );
}
