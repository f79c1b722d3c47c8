//! Shared helpers for the cross-crate and kernel end-to-end tests.
//!
//! The tests drive the real binaries (`tracec`, `tracerun`) the way a user does. Build them
//! first (`cargo build --workspace`); the README's test command does.
//!
//! Kernel tests call [`kernel_or_skip`]: without root or BPF they print why and return,
//! unless `TRACEC_REQUIRE_KERNEL=1`, where that is a failure.

pub mod btf_rewrite;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Root of the workspace.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Path of a workspace binary in the same target profile directory as this test.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test runs from target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` before the tests",
        path.display()
    );
    path
}

/// A std-probe script by file name.
pub fn std_probe(name: &str) -> PathBuf {
    workspace().join("std-probes").join(name)
}

/// A fresh scratch directory for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tracec-test-{}-{}", test, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Write `text` to `dir/name`.
pub fn write_in(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write a test file");
}

/// A scratch tree for imports, which bpftrace's permission rule accepts (mode 0755:
/// not world-writable).
pub fn import_tree(test: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch(test);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
        .expect("chmod the scratch dir");
    dir
}

/// Compile `import "bad.bpf.c"; BEGIN { print(CALL); }` in `dir` once per case
/// `(C source, message, "line:col")`: each must fail with the message located in the
/// C file.
pub fn assert_c_errors_located(dir: &Path, call: &str, cases: &[(&str, &str, &str)]) {
    for (c, what, at) in cases {
        std::fs::write(dir.join("bad.bpf.c"), c).expect("write the C file");
        let main = format!("import \"bad.bpf.c\";\nBEGIN {{ print({call}); }}\n");
        std::fs::write(dir.join("main.bt"), main).expect("write the script");
        let o = tracec(&[
            dir.join("main.bt").to_str().unwrap(),
            "-o",
            dir.join("x.o").to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{c}");
        assert!(err.contains(what), "{c}\n{err}");
        assert!(err.contains(&format!("bad.bpf.c:{at}")), "{c}\n{err}");
    }
}

/// Whether kernel tests must run (CI sets `TRACEC_REQUIRE_KERNEL=1`).
pub fn kernel_required() -> bool {
    std::env::var("TRACEC_REQUIRE_KERNEL").is_ok_and(|v| v == "1")
}

/// Why BPF end-to-end tests cannot run here, if they cannot.
pub fn kernel_unavailable() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not running as root".into());
    }
    if !Path::new("/sys/kernel/btf/vmlinux").exists() && !Path::new("/sys/fs/bpf").exists() {
        return Some("no BPF support visible (/sys/fs/bpf, /sys/kernel/btf missing)".into());
    }
    if !Path::new("/sys/kernel/tracing/events").exists() {
        return Some("tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)".into());
    }
    None
}

/// Returns `None` (after printing why) when the calling test should skip; panics when it
/// may not skip. Holds a lock so kernel tests in one binary run one at a time (teardown
/// checks compare the kernel's program list before and after).
pub fn kernel_or_skip(test: &str) -> Option<MutexGuard<'static, ()>> {
    static LOCK: Mutex<()> = Mutex::new(());
    if let Some(why) = kernel_unavailable() {
        if kernel_required() {
            panic!("{test}: kernel test cannot run ({why}) and TRACEC_REQUIRE_KERNEL=1");
        }
        eprintln!("skipping {test}: {why}");
        return None;
    }
    Some(LOCK.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Run `tracec` with `args`.
pub fn tracec(args: &[&str]) -> Output {
    Command::new(bin("tracec"))
        .args(args)
        .output()
        .expect("run tracec")
}

/// Compile a script text to `dir/name.o`, panicking with the diagnostics on failure.
pub fn compile_text(dir: &Path, name: &str, script: &str) -> PathBuf {
    let src = dir.join(format!("{name}.bt"));
    std::fs::write(&src, script).expect("write script");
    compile_file(&src, &dir.join(format!("{name}.o")))
}

/// Compile a script text that must be refused; returns tracec's stderr.
pub fn compile_error(name: &str, script: &str) -> String {
    let dir = scratch(name);
    let src = dir.join(format!("{name}.bt"));
    std::fs::write(&src, script).expect("write script");
    let o = tracec(&[
        src.to_str().unwrap(),
        "-o",
        dir.join("x.o").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        !o.status.success(),
        "tracec accepted {name}:\n{script}\n{err}"
    );
    err
}

/// Compile a script file to `out`, panicking with the diagnostics on failure.
pub fn compile_file(src: &Path, out: &Path) -> PathBuf {
    let o = tracec(&[src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "tracec {} failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    out.to_path_buf()
}

/// Compile `script` as `name`, run it until it exits by itself (within 20 s), and
/// check that it exited with status 0.
pub fn run_to_exit(name: &str, script: &str, extra: &[&str]) -> Run {
    let dir = scratch(name);
    let obj = compile_text(&dir, name, script);
    run_object_to_exit(&obj, extra)
}

/// `tracerun --verify OBJ`: load every program into the verifier without attaching;
/// checks that it succeeded and returns its report (stdout).
pub fn verify_ok(obj: &Path) -> String {
    let o = Command::new(bin("tracerun"))
        .arg("--verify")
        .arg(obj)
        .output()
        .expect("run tracerun --verify");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "tracerun --verify {}:\n{out}{}",
        obj.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// Run `obj` with `args` until it exits by itself (within 20 s), and check that it
/// exited with status 0.
pub fn run_object_to_exit(obj: &Path, args: &[&str]) -> Run {
    let mut run = Run::start(obj, args);
    let code = run.finish(Duration::from_secs(20));
    assert_eq!(
        code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout_text(),
        run.err_lines.join("\n")
    );
    run
}

/// A running `tracerun`, with its stdout and stderr read line by line in the background.
pub struct Run {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// Every stdout line seen so far.
    pub out_lines: Vec<String>,
    /// Every stderr line seen so far.
    pub err_lines: Vec<String>,
}

fn pump(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Run {
    pub fn start(object: &Path, extra: &[&str]) -> Run {
        Run::start_with_params(object, extra, &[])
    }

    /// Like [`Run::start`], with the script's parameters after `--`.
    pub fn start_with_params(object: &Path, extra: &[&str], params: &[&str]) -> Run {
        let mut cmd = Command::new(bin("tracerun"));
        cmd.args(extra).arg(object);
        if !params.is_empty() {
            cmd.arg("--").args(params);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tracerun");
        let stdout = pump(child.stdout.take().unwrap());
        let stderr = pump(child.stderr.take().unwrap());
        Run {
            child,
            stdout,
            stderr,
            out_lines: Vec::new(),
            err_lines: Vec::new(),
        }
    }

    fn drain(&mut self) {
        while let Ok(l) = self.stdout.try_recv() {
            self.out_lines.push(l);
        }
        while let Ok(l) = self.stderr.try_recv() {
            self.err_lines.push(l);
        }
    }

    /// Wait until a stderr line satisfies `pred`.
    pub fn wait_stderr(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        let end = Instant::now() + timeout;
        loop {
            self.drain();
            if self.err_lines.iter().any(|l| pred(l)) {
                return true;
            }
            if Instant::now() >= end || self.exited() {
                self.drain();
                return self.err_lines.iter().any(|l| pred(l));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait until the program has attached (`Attached N probe(s)` on stderr).
    pub fn wait_attached(&mut self) {
        let ok = self.wait_stderr(Duration::from_secs(20), |l| l.starts_with("Attached "));
        assert!(
            ok,
            "tracerun did not attach; stderr:\n{}\nstdout:\n{}",
            self.err_lines.join("\n"),
            self.out_lines.join("\n")
        );
    }

    /// Wait until a stdout line satisfies `pred`.
    pub fn wait_stdout(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        let end = Instant::now() + timeout;
        loop {
            self.drain();
            if self.out_lines.iter().any(|l| pred(l)) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Send a signal.
    pub fn signal(&mut self, sig: i32) {
        // SAFETY: kill on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    /// Wait for exit (killing it after `timeout`) and collect the rest of the output.
    /// Returns the exit code (`None` when killed by a signal).
    pub fn finish(&mut self, timeout: Duration) -> Option<i32> {
        let end = Instant::now() + timeout;
        let status = loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                break s;
            }
            if Instant::now() >= end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.collect_rest();
                panic!(
                    "tracerun did not exit within {timeout:?}; stdout:\n{}\nstderr:\n{}",
                    self.out_lines.join("\n"),
                    self.err_lines.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.collect_rest();
        status.code()
    }

    fn collect_rest(&mut self) {
        // The pumps end when the pipes close; give them a moment.
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            match self.stdout.recv_timeout(Duration::from_millis(50)) {
                Ok(l) => self.out_lines.push(l),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(_) if Instant::now() >= end => break,
                Err(_) => {}
            }
        }
        while let Ok(l) = self.stderr.recv_timeout(Duration::from_millis(50)) {
            self.err_lines.push(l);
        }
    }

    /// All stdout so far as one string with a newline after each line.
    pub fn stdout_text(&self) -> String {
        self.out_lines.iter().map(|l| format!("{l}\n")).collect()
    }

    /// All stderr so far, as [`Run::stdout_text`].
    pub fn stderr_text(&self) -> String {
        self.err_lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One BPF object the kernel has loaded, as `bpftool <kind> show` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelObject {
    pub id: u64,
    /// The object's name (empty for links).
    pub name: String,
    /// For links: the id of the program they hold.
    pub prog: Option<u64>,
    /// For programs: the maps they use.
    pub map_ids: Vec<u64>,
}

/// BPF programs loaded in the kernel right now.
pub fn loaded_progs() -> Vec<KernelObject> {
    from_bpftool("prog")
}

/// BPF maps in the kernel right now.
pub fn loaded_maps() -> Vec<KernelObject> {
    from_bpftool("map")
}

/// BPF links in the kernel right now.
pub fn loaded_links() -> Vec<KernelObject> {
    from_bpftool("link")
}

/// Parse `bpftool KIND show`: header lines look like
/// `1162: hash  name AT_map  flags 0x0` or `7: perf_event  prog 42`.
fn from_bpftool(kind: &str) -> Vec<KernelObject> {
    let o = Command::new("bpftool")
        .args([kind, "show"])
        .output()
        .expect("bpftool is installed (apt-get install bpftool)");
    assert!(o.status.success(), "bpftool {kind} show failed");
    let text = String::from_utf8_lossy(&o.stdout);
    let mut out: Vec<KernelObject> = Vec::new();
    for l in text.lines() {
        let words: Vec<&str> = l.split_whitespace().collect();
        let after = |key: &str| {
            words
                .iter()
                .position(|w| *w == key)
                .and_then(|i| words.get(i + 1))
                .map(|w| w.to_string())
        };
        if l.starts_with(char::is_whitespace) {
            // A continuation line of the last object: `... map_ids 1,2,3`.
            if let (Some(last), Some(ids)) = (out.last_mut(), after("map_ids")) {
                last.map_ids = ids.split(',').filter_map(|i| i.parse().ok()).collect();
            }
            continue;
        }
        let Some((id, _)) = l.split_once(':') else {
            continue;
        };
        let Ok(id) = id.trim().parse() else { continue };
        out.push(KernelObject {
            id,
            name: after("name").unwrap_or_default(),
            prog: after("prog").and_then(|p| p.parse().ok()),
            map_ids: Vec::new(),
        });
    }
    out
}

/// Wait (a few seconds at most: the kernel frees BPF objects after an RCU grace period)
/// until `left()` finds nothing, and panic with what is left otherwise.
pub fn assert_eventually_none(left: impl Fn() -> Vec<KernelObject>, what: &str) {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let now = left();
        if now.is_empty() {
            return;
        }
        if Instant::now() >= end {
            panic!("{what} left behind: {now:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Run a command to completion, panicking if it cannot start.
pub fn run_cmd(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {cmd}: {e}"))
}

/// The metadata of a compiled object's bytes (its `.tracec.meta` section).
pub fn object_metadata(bytes: &[u8]) -> tracec_meta::Metadata {
    let elf = goblin::elf::Elf::parse(bytes).expect("an ELF object");
    let sh = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(tracec_meta::SECTION))
        .expect("metadata section");
    let start = sh.sh_offset as usize;
    tracec_meta::decode(&bytes[start..start + sh.sh_size as usize]).expect("metadata decodes")
}

/// The `len` bytes at instruction `insn` (8-byte slots) of function `symbol` in a
/// compiled object's bytes.
pub fn insn_bytes<'a>(bytes: &'a [u8], symbol: &str, insn: u32, len: usize) -> &'a [u8] {
    let elf = goblin::elf::Elf::parse(bytes).expect("an ELF object");
    let sym = elf
        .syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some(symbol))
        .unwrap_or_else(|| panic!("no symbol {symbol}"));
    let sh = &elf.section_headers[sym.st_shndx];
    let at = (sh.sh_offset + sym.st_value) as usize + 8 * insn as usize;
    &bytes[at..at + len]
}

/// Whether the running kernel describes itself in BTF.
pub fn has_kernel_btf() -> bool {
    Path::new("/sys/kernel/btf/vmlinux").exists()
}

pub mod conformance;

/// Compile the C file `src` into `out` with `cc FLAGS`. `None`, after saying why, when
/// there is no C compiler (a failure under `TRACEC_REQUIRE_KERNEL=1`: scripts/setup
/// installs gcc); a program that does not compile is a bug in the test and panics.
pub fn build_c_file(src: &Path, out: &Path, flags: &[&str]) -> Option<PathBuf> {
    match Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(out)
        .arg(src)
        .output()
    {
        Ok(o) if o.status.success() => Some(out.to_path_buf()),
        Ok(o) => panic!(
            "cc failed on {}:\n{}",
            src.display(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if kernel_required() => panic!("a C compiler is needed (scripts/setup): {e}"),
        Err(e) => {
            eprintln!("skipping: no C compiler ({e})");
            None
        }
    }
}

/// [`build_c_file`] for the C text `source`, written to `dir/NAME.c` and built as `dir/NAME`.
pub fn build_c(dir: &Path, name: &str, source: &str, flags: &[&str]) -> Option<PathBuf> {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).expect("write the C source");
    build_c_file(&src, &dir.join(name), flags)
}

/// What the C program `source` prints, built with the host `cc` (`-w`) as
/// `dir/native` and run (it must succeed): the reference the C-subset tests compare
/// the compiled import with. `None` without a C compiler.
pub fn native_output(dir: &Path, source: &str) -> Option<String> {
    let native = build_c(dir, "native", source, &["-w"])?;
    let out = run_cmd(native.to_str().expect("UTF-8 path"), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A `-c` command running the shell text `script` with bash: tracerun splits `-c` at
/// spaces only, as bpftrace does (quotes reach the command), so the text goes into a
/// file `NAME.sh` in `dir`.
pub fn bash_command(dir: &Path, name: &str, script: &str) -> String {
    let path = dir.join(format!("{name}.sh"));
    std::fs::write(&path, script).expect("write the shell script");
    format!("/bin/bash {}", path.display())
}
