//! End to end: where uprobe binaries live and how user symbols are found: a binary
//! stored in a zip archive (`ARCHIVE!/MEMBER`), a library named by its soname
//! (`libc.so.6`), a `-p` process in another mount namespace (through `/proc/PID/root`),
//! and `cache_user_symbols` for a process that has exited.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tracec_tests::conformance::testprog_extras::stored_zip;
use tracec_tests::*;

/// A program that maps FILE executable and calls the code at byte OFFSET of it, exiting
/// with what it returns.
const CALL_AT: &str = "#include <fcntl.h>\n#include <stdlib.h>\n#include <sys/mman.h>\n\
    #include <sys/stat.h>\n\
    int main(int argc, char **argv) {\n\
      if (argc != 3) return 100;\n\
      int fd = open(argv[1], O_RDONLY); struct stat st;\n\
      if (fd < 0 || fstat(fd, &st) != 0) return 101;\n\
      char *m = mmap(0, st.st_size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);\n\
      if (m == MAP_FAILED) return 102;\n\
      int (*f)(void) = (int (*)(void))(m + strtoul(argv[2], 0, 0));\n\
      return f();\n\
    }\n";

/// The file offset of function `name` in the ELF image `bytes`.
fn function_offset(bytes: &[u8], name: &str) -> u64 {
    let elf = goblin::elf::Elf::parse(bytes).expect("an ELF file");
    let sym = elf
        .syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some(name))
        .expect("the function's symbol");
    let seg = elf
        .program_headers
        .iter()
        .find(|p| {
            p.p_type == goblin::elf::program_header::PT_LOAD
                && sym.st_value >= p.p_vaddr
                && sym.st_value < p.p_vaddr + p.p_filesz
        })
        .expect("a segment holding it");
    sym.st_value - seg.p_vaddr + seg.p_offset
}

/// A program built from `src` and stored as `bin/zipped` in `DIR/app.zip`, with
/// `call_at` to run its functions from the archive.
struct Zipped {
    archive: PathBuf,
    elf: Vec<u8>,
    /// Offset of the member's data in the archive.
    start: u64,
    call_at: PathBuf,
}

impl Zipped {
    fn build(dir: &Path, src: &str) -> Option<Zipped> {
        let prog = build_c(dir, "zipped", src, &["-O0", "-no-pie"])?;
        let call_at = build_c(dir, "call_at", CALL_AT, &[])?;
        let elf = std::fs::read(&prog).unwrap();
        let zip = stored_zip(&[("bin/zipped", &elf)]);
        let member = tracec_meta::archive::stored_member(&zip, "bin/zipped").unwrap();
        let archive = dir.join("app.zip");
        std::fs::write(&archive, &zip).unwrap();
        Some(Zipped {
            archive,
            elf,
            start: member.start as u64,
            call_at,
        })
    }

    /// Run function `name` of the member from the archive: its exit code.
    fn call(&self, name: &str) -> Option<i32> {
        let at = self.start + function_offset(&self.elf, name);
        Command::new(&self.call_at)
            .arg(&self.archive)
            .arg(at.to_string())
            .status()
            .unwrap()
            .code()
    }
}

#[test]
fn uprobe_on_a_binary_stored_in_a_zip_archive() {
    let Some(_k) = kernel_or_skip("uprobe_on_a_binary_stored_in_a_zip_archive") else {
        return;
    };
    let dir = scratch("uprobe_zip");
    let src = "__attribute__((noinline)) int zipped_fn(void) { return 7; }\n\
               int main(void) { return zipped_fn(); }\n";
    let Some(z) = Zipped::build(&dir, src) else {
        return;
    };
    let a = z.archive.display();
    // The member's symbols are checked, listed and expanded at compile time.
    let missing = compile_error(
        "zip_missing",
        &format!("uprobe:\"{a}!/bin/zipped\":no_such_fn {{ }}"),
    );
    assert!(missing.contains("No matches for uprobe"), "{missing}");
    let listed = tracec(&["-l", &format!("uprobe:{a}!/bin/zipped:zipped_*")]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        format!("uprobe:{a}!/bin/zipped:zipped_fn\n")
    );

    let obj = compile_text(
        &dir,
        "zip",
        &format!(
            "uprobe:\"{a}!/bin/zipped\":zipped_fn {{ printf(\"zipped %s\\n\", probe); exit(); }}"
        ),
    );
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    // Running the member's code mapped from the archive fires the probe.
    assert_eq!(z.call("zipped_fn"), Some(7), "zipped_fn returns 7");
    // Named without the quotes, as bpftrace names it.
    let want = format!("zipped uprobe:{a}!/bin/zipped:zipped_fn");
    assert!(run.wait_stdout(Duration::from_secs(10), |l| l == want));
    assert_eq!(run.finish(Duration::from_secs(10)), Some(0));
}

#[test]
fn wildcards_offsets_and_size_zero_symbols_in_a_zip_member() {
    let Some(_k) = kernel_or_skip("wildcards_offsets_and_size_zero_symbols_in_a_zip_member") else {
        return;
    };
    let dir = scratch("uprobe_zip_wild");
    // `zipped_nosize` is a function symbol of size 0 (as `_init` is).
    let src = "__attribute__((noinline)) int zipped_fn(void) { return 7; }\n\
               __attribute__((noinline)) int zipped_other(void) { return 8; }\n\
               __asm__(\".globl zipped_nosize\\n.type zipped_nosize,@function\\n\
               zipped_nosize:\\n ret\\n\");\n\
               int main(void) { return zipped_fn() + zipped_other(); }\n";
    let Some(z) = Zipped::build(&dir, src) else {
        return;
    };
    let a = z.archive.display();
    let call = |name: &str| z.call(name);
    // An attach error of the runtime, before anything is attached.
    let refused = |name: &str, script: &str| -> String {
        let obj = compile_text(&dir, name, script);
        let mut run = Run::start(&obj, &[]);
        let code = run.finish(Duration::from_secs(10));
        assert_ne!(code, Some(0), "{script}");
        run.err_lines.join("\n")
    };

    // A wildcard expands against the member's symbols; its probes (one uprobe_multi
    // link, or one uprobe each) fire where the member's code runs from the archive; the
    // size-0 symbol it matches is skipped with bpftrace's warning.
    let obj = compile_text(
        &dir,
        "zip_wild",
        &format!("uprobe:\"{a}!/bin/zipped\":zipped_* {{ printf(\"hit %s\\n\", probe); }}"),
    );
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    assert_eq!(call("zipped_other"), Some(8));
    let want = format!("hit uprobe:{a}!/bin/zipped:zipped_other");
    assert!(run.wait_stdout(Duration::from_secs(10), |l| l == want));
    assert_eq!(call("zipped_fn"), Some(7));
    let want = format!("hit uprobe:{a}!/bin/zipped:zipped_fn");
    assert!(run.wait_stdout(Duration::from_secs(10), |l| l == want));
    run.signal(libc::SIGINT);
    assert_eq!(run.finish(Duration::from_secs(10)), Some(0));
    assert!(
        run.err_lines.iter().any(|l| l
            == "WARNING: Could not determine boundary for zipped_nosize (symbol has size 0). Skipping."),
        "{:?}",
        run.err_lines
    );

    // `+OFFSET` must stay inside the member's function, as in a plain binary.
    let e = refused(
        "zip_bounds",
        &format!("uprobe:\"{a}!/bin/zipped\":zipped_fn+4096 {{ }}"),
    );
    assert!(
        e.contains("Offset outside the function bounds ('zipped_fn' size is"),
        "{e}"
    );
    // A size-0 symbol the script names is refused.
    let e = refused(
        "zip_nosize",
        &format!("uprobe:\"{a}!/bin/zipped\":zipped_nosize {{ }}"),
    );
    assert!(
        e.contains("Could not determine boundary for zipped_nosize (symbol has size 0)."),
        "{e}"
    );
}

#[test]
fn uprobe_on_a_library_soname() {
    let Some(_k) = kernel_or_skip("uprobe_on_a_library_soname") else {
        return;
    };
    let dir = scratch("uprobe_soname");
    let src = "#include <stdio.h>\n\
               int main(void) { unsigned v; FILE *f = fopen(\"/dev/zero\", \"r\");\n\
               if (!f) return 1; size_t n = fread(&v, sizeof v, 1, f); fclose(f); return n != 1; }\n";
    let Some(prog) = build_c(&dir, "freader", src, &[]) else {
        return;
    };
    let obj = compile_text(
        &dir,
        "soname",
        "uprobe:libc.so.6:fread { printf(\"size: %d\\n\", arg1); exit(); }",
    );
    let run = run_object_to_exit(&obj, &["-c", prog.to_str().unwrap()]);
    assert!(
        run.out_lines.iter().any(|l| l == "size: 4"),
        "{:?}",
        run.out_lines
    );
}

/// Kills a process when the test ends, however it ends.
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Wait until process `pid` runs an executable whose name ends with `suffix`.
fn wait_exec(pid: u32, suffix: &str) -> bool {
    for _ in 0..500 {
        if std::fs::read_link(format!("/proc/{pid}/exe"))
            .is_ok_and(|e| e.to_string_lossy().ends_with(suffix))
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn uprobe_of_a_process_in_another_mount_namespace() {
    let Some(_k) = kernel_or_skip("uprobe_of_a_process_in_another_mount_namespace") else {
        return;
    };
    let dir = scratch("uprobe_mountns");
    let wrapper_src = workspace().join("tests/testprogs/mountns_wrapper.c");
    let target = "#include <unistd.h>\n\
                  __attribute__((noinline)) int ns_target_fn(int x) { return x + 1; }\n\
                  int main(void) { for (int i = 0; i < 600; i++) { ns_target_fn(i); usleep(20000); } }\n";
    let (Some(wrapper), Some(_)) = (
        build_c_file(&wrapper_src, &dir.join("mountns_wrapper"), &["-O0"]),
        build_c(&dir, "ns_target", target, &["-O0"]),
    ) else {
        return;
    };
    let child = Kill(Command::new(&wrapper).arg("ns_target").spawn().unwrap());
    let pid = child.0.id();
    assert!(wait_exec(pid, "/ns_target"), "the wrapper runs the target");
    let private = "/tmp/bpftrace-unshare-mountns-test/ns_target";
    let own_view = PathBuf::from(private);
    // The private mount is invisible here (unless another test's wrapper left the
    // directory behind, which is empty from here).
    assert!(!own_view.exists());
    let pid_s = pid.to_string();
    // Listed under the path as written.
    let listed = tracec(&["-l", &format!("uprobe:{private}:ns_target_*"), "-p", &pid_s]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        format!("uprobe:{private}:ns_target_fn\n")
    );
    let out = dir.join("mountns.o");
    let script =
        format!("uprobe:{private}:ns_target_fn {{ printf(\"here %d\\n\", pid); exit(); }}");
    let o = tracec(&["-e", &script, "-p", &pid_s, "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let meta = object_metadata(&std::fs::read(&out).unwrap());
    let paths: Vec<_> = meta
        .probes
        .iter()
        .filter_map(|p| match &p.attach {
            tracec_meta::Attach::Uprobe { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(paths, [format!("/proc/{pid}/root{private}")]);
    let run = run_object_to_exit(&out, &["-p", &pid_s]);
    let printed: Vec<&String> = run.out_lines.iter().filter(|l| !l.is_empty()).collect();
    assert_eq!(printed, [&format!("here {pid}")]);
    drop(child);
}

/// Run `script` (which counts user stacks of `prog`'s `test` function) while `prog`
/// runs once and exits, then end the session: the stack map prints after the process
/// is gone.
fn stacks_after_exit(dir: &Path, name: &str, prog: &Path, cache: &str) -> String {
    let obj = compile_text(
        dir,
        name,
        &format!(
            "config = {{ cache_user_symbols = {cache} }}\n\
             uprobe:{}:test {{ @[ustack] = count(); }}",
            prog.display()
        ),
    );
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    let status = Command::new(prog).status().unwrap();
    assert_eq!(status.code(), Some(42));
    std::thread::sleep(Duration::from_millis(200));
    run.signal(libc::SIGINT);
    assert_eq!(run.finish(Duration::from_secs(10)), Some(0));
    run.stdout_text()
}

#[test]
fn cache_user_symbols_for_exited_processes() {
    let Some(_k) = kernel_or_skip("cache_user_symbols_for_exited_processes") else {
        return;
    };
    let dir = scratch("usym_cache");
    let src = "__attribute__((noinline)) int test(void) { return 42; }\n\
               __attribute__((noinline)) int test2(void) { return test(); }\n\
               int main(void) { return test2(); }\n";
    let Some(prog) = build_c(
        &dir,
        "exits",
        src,
        &["-O0", "-no-pie", "-fno-omit-frame-pointer"],
    ) else {
        return;
    };
    // The executable's own symbol table names the frames of the gone process.
    let per_program = stacks_after_exit(&dir, "per_program", &prog, "PER_PROGRAM");
    assert!(per_program.contains("test+"), "{per_program}");
    assert!(per_program.contains("test2+"), "{per_program}");
    // Without it the mappings are gone with the process: addresses only.
    let none = stacks_after_exit(&dir, "none", &prog, "NONE");
    assert!(!none.contains("test+"), "{none}");
    assert!(none.contains("0x40"), "{none}");
}

#[test]
fn cache_user_symbols_values_are_checked_at_compile_time() {
    let e = compile_error(
        "usym_cache_bad",
        "config = { cache_user_symbols = ALL } BEGIN { exit(); }",
    );
    assert!(
        e.contains(
            "Invalid value for cache_user_symbols: valid values are PER_PID, PER_PROGRAM, and NONE."
        ),
        "{e}"
    );
    let dir = scratch("usym_cache_ok");
    for v in ["PER_PID", "per_program", "\"NONE\"", "0"] {
        compile_text(
            &dir,
            "ok",
            &format!("config = {{ cache_user_symbols = {v} }} BEGIN {{ exit(); }}"),
        );
    }
}

/// Like [`stacks_after_exit`] for a process that runs before the probes attach and is
/// traced with `-p`: it calls `test` once it sees `go` in its directory, then exits.
fn stacks_of_traced_process(dir: &Path, name: &str, prog: &Path, cache: &str) -> String {
    let go = dir.join("go");
    let _ = std::fs::remove_file(&go);
    let child = Kill(Command::new(prog).arg(&go).spawn().unwrap());
    let pid = child.0.id().to_string();
    let obj = compile_text(
        dir,
        name,
        &format!(
            "config = {{ cache_user_symbols = {cache} }}\n\
             uprobe:{}:test {{ @[ustack] = count(); }}",
            prog.display()
        ),
    );
    let mut run = Run::start(&obj, &["-p", &pid]);
    run.wait_attached();
    std::fs::write(&go, b"").unwrap();
    let mut child = child;
    let status = child.0.wait().unwrap();
    assert_eq!(status.code(), Some(42));
    std::thread::sleep(Duration::from_millis(200));
    run.signal(libc::SIGINT);
    run.finish(Duration::from_secs(10));
    run.stdout_text()
}

#[test]
fn cache_user_symbols_per_pid_reads_mappings_at_attach() {
    let Some(_k) = kernel_or_skip("cache_user_symbols_per_pid_reads_mappings_at_attach") else {
        return;
    };
    let dir = scratch("usym_cache_pid");
    let src = "#include <unistd.h>\n\
               __attribute__((noinline)) int test(void) { return 42; }\n\
               int main(int argc, char **argv) {\n\
                 for (int i = 0; i < 1000 && access(argv[1], F_OK) != 0; i++) usleep(10000);\n\
                 return test(); }\n";
    // A randomized position-independent program: its own symbol table cannot name its
    // addresses, only its mappings can.
    let Some(prog) = build_c(&dir, "waits", src, &["-O0", "-fpie", "-pie"]) else {
        return;
    };
    let per_pid = stacks_of_traced_process(&dir, "per_pid", &prog, "PER_PID");
    assert!(per_pid.contains("test+"), "{per_pid}");
    let none = stacks_of_traced_process(&dir, "none_pid", &prog, "NONE");
    assert!(!none.contains("test+"), "{none}");
}
