//! Running one std-probe end to end: compile it, start it, trigger its event, stop it.

use std::process::{Command, Output};
use std::sync::MutexGuard;
use std::time::{Duration, Instant};
use tracec_tests::*;

/// A std-probe running under `tracerun`, holding the kernel-test lock.
pub struct Probe {
    pub run: Run,
    _kernel: MutexGuard<'static, ()>,
}

/// Compile `std-probes/NAME.bt` and start it with `params` (after `--`), once attached.
/// `None` when kernel tests are skipped here.
pub fn start(name: &str, params: &[&str]) -> Option<Probe> {
    let kernel = kernel_or_skip(name)?;
    let dir = scratch(&format!("std-{name}"));
    let obj = compile_file(
        &std_probe(&format!("{name}.bt")),
        &dir.join(format!("{name}.o")),
    );
    let mut run = Run::start_with_params(&obj, &[], params);
    run.wait_attached();
    Some(Probe {
        run,
        _kernel: kernel,
    })
}

impl Probe {
    /// Run `trigger` until a stdout line satisfies `pred` (a few attempts, ~2 s at most).
    pub fn trigger_until(&mut self, mut trigger: impl FnMut(), pred: impl Fn(&str) -> bool) {
        let end = Instant::now() + Duration::from_millis(2500);
        let mut seen = false;
        while !seen && Instant::now() < end {
            trigger();
            seen = self.run.wait_stdout(Duration::from_millis(400), &pred);
        }
        assert!(
            seen,
            "no expected line; stdout:\n{}\nstderr:\n{}",
            self.run.stdout_text(),
            self.run.err_lines.join("\n")
        );
    }

    /// Wait for a stdout line satisfying `pred` (interval output), `secs` at most.
    pub fn wait_for(&mut self, secs: f64, pred: impl Fn(&str) -> bool) {
        let seen = self.run.wait_stdout(Duration::from_secs_f64(secs), pred);
        assert!(
            seen,
            "no expected line; stdout:\n{}",
            self.run.stdout_text()
        );
    }

    /// SIGINT, wait for exit 0, and return every stdout line.
    pub fn stop(mut self) -> Vec<String> {
        self.run.signal(libc::SIGINT);
        let code = self.run.finish(Duration::from_secs(10));
        assert_eq!(
            code,
            Some(0),
            "stdout:\n{}\nstderr: {:?}",
            self.run.stdout_text(),
            self.run.err_lines
        );
        std::mem::take(&mut self.run.out_lines)
    }
}

/// Run a command to completion (its exit status is not checked).
pub fn sh(cmd: &str, args: &[&str]) -> Output {
    run_cmd(cmd, args)
}

/// Run a shell command line.
pub fn shell(line: &str) -> Output {
    Command::new("sh")
        .args(["-c", line])
        .output()
        .expect("run sh")
}

/// Whether any line starts with `prefix`.
pub fn has_prefix(lines: &[String], prefix: &str) -> bool {
    lines.iter().any(|l| l.starts_with(prefix))
}

/// Assert that some line starts with `prefix`.
pub fn assert_prefix(lines: &[String], prefix: &str) {
    assert!(
        has_prefix(lines, prefix),
        "no line starting with {prefix:?}:\n{}",
        lines.join("\n")
    );
}

/// Assert that no line starts with `prefix` (scratch maps END clears must not show).
pub fn assert_no_prefix(lines: &[String], prefix: &str) {
    assert!(
        !has_prefix(lines, prefix),
        "a line starts with {prefix:?}:\n{}",
        lines.join("\n")
    );
}

/// The value of the map line `KEY: N` that starts with `key`.
pub fn map_value(lines: &[String], key: &str) -> Option<u64> {
    lines
        .iter()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.rsplit(": ").next())
        .and_then(|v| v.trim().parse().ok())
}

/// A file on the workspace's disk (not tmpfs), for block I/O tests.
pub fn disk_file(name: &str) -> std::path::PathBuf {
    let dir = workspace().join("target").join("std-probes-io");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}-{}", std::process::id()))
}

/// Write 64 KiB with O_DIRECT through `dd`, so that it reaches the block layer now.
pub fn direct_write(path: &std::path::Path) {
    let of = format!("of={}", path.display());
    let o = sh(
        "dd",
        &["if=/dev/zero", &of, "bs=16k", "count=4", "oflag=direct"],
    );
    assert!(
        o.status.success(),
        "dd: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}
