//! `show_debug_info` end to end: user stacks with source locations (`NAME+OFF@FILE:LINE`
//! in bpftrace mode) and the functions inlined at each address (`[inlined] NAME@...`,
//! perf mode `ADDR NAME (inlined)`), from the traced program's DWARF, its own or a
//! separate debug file's. The program has the shape of bpftrace's `usdt_inlined`:
//! always-inlined functions inside `mywrapper`, here calling a probed `leaf`.

use std::path::{Path, PathBuf};
use std::process::Command;
use tracec_tests::*;

const PROGRAM: &str = r#"#include <unistd.h>
volatile long sink;
__attribute__((noinline)) long twice(long n)
{
  return n * 2;
}
__attribute__((noinline)) long leaf(long n)
{
  sink += twice(n);
  return n;
}
static inline __attribute__((always_inline)) long myclock(long n)
{
  long v = leaf(n) * 2;
  sink -= v;
  return v;
}
static inline __attribute__((always_inline)) long mywrapper_inlined(long n)
{
  return myclock(n) + 1;
}
__attribute__((noinline)) long mywrapper(long n)
{
  return mywrapper_inlined(n) + 3;
}
__attribute__((noinline)) void loop(void)
{
  for (int i = 0; i < 200; i++) {
    sink += mywrapper(i);
    usleep(10000);
  }
}
int main(void)
{
  loop();
  return 0;
}
"#;

/// The 1-based line of `PROGRAM` holding `text`.
fn line_of(text: &str) -> u32 {
    PROGRAM.lines().position(|l| l.contains(text)).expect(text) as u32 + 1
}

fn build(dir: &Path) -> Option<PathBuf> {
    let flags = [
        "-g",
        "-O1",
        "-fno-omit-frame-pointer",
        "-mno-omit-leaf-frame-pointer",
        "-no-pie",
    ];
    build_c(dir, "inlined_prog", PROGRAM, &flags)
}

/// Run `config` + a uprobe on `leaf` printing `ustack(3)` under `-c bin`, with the
/// extra environment `env` for tracec.
fn stack(name: &str, bin: &Path, config: &str, env: &[(&str, &str)]) -> String {
    let dir = scratch(name);
    let script = format!(
        "{config} uprobe:{}:leaf {{ printf(\"%s\\n\", ustack(3)); exit(); }}",
        bin.display()
    );
    let src = dir.join("s.bt");
    std::fs::write(&src, script).unwrap();
    let obj = dir.join("s.o");
    let o = Command::new(bin_path("tracec"))
        .envs(env.iter().copied())
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cmd = bin.display().to_string();
    run_object_to_exit(&obj, &["-c", &cmd]).stdout_text()
}

fn bin_path(name: &str) -> PathBuf {
    tracec_tests::bin(name)
}

fn frames(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim_start().to_string())
        .collect()
}

/// `NAME@FILE:LINE` (or `NAME+OFF@FILE:LINE`) split into name, file, line.
fn split(frame: &str) -> (String, String, u32) {
    let (name, loc) = frame.split_once('@').unwrap_or_else(|| panic!("{frame}"));
    let (file, line) = loc.rsplit_once(':').unwrap();
    let name = name.split('+').next().unwrap().to_string();
    (name, file.to_string(), line.parse().unwrap())
}

fn check_bpftrace_mode(text: &str, file: &str) {
    let f = frames(text);
    assert_eq!(
        f.len(),
        5,
        "three addresses, two of them inlined frames:\n{text}"
    );
    let (leaf, leaf_file, leaf_line) = split(&f[0]);
    assert_eq!(
        (leaf.as_str(), leaf_file.as_str()),
        ("leaf", file),
        "{text}"
    );
    let first = line_of("long leaf(long n)");
    assert!((first..first + 4).contains(&leaf_line), "{text}");
    assert!(f[1].starts_with("[inlined] myclock@"), "{text}");
    let (_, myclock_file, myclock_line) = split(&f[1]);
    assert_eq!(myclock_file, file);
    assert_eq!(myclock_line, line_of("long v = leaf(n) * 2;"), "{text}");
    assert!(f[2].starts_with("[inlined] mywrapper_inlined@"), "{text}");
    assert_eq!(split(&f[2]).2, line_of("return myclock(n) + 1;"), "{text}");
    assert!(f[3].starts_with("mywrapper+"), "{text}");
    assert_eq!(
        split(&f[3]).2,
        line_of("return mywrapper_inlined(n) + 3;"),
        "{text}"
    );
    assert!(f[4].starts_with("loop+"), "{text}");
    assert_eq!(split(&f[4]).2, line_of("sink += mywrapper(i);"), "{text}");
}

#[test]
fn inlined_frames_and_source_lines() {
    let Some(_k) = kernel_or_skip("ustack_srcline") else {
        return;
    };
    let dir = scratch("ustack-srcline-bin");
    let Some(bin) = build(&dir) else { return };
    let file = dir.join("inlined_prog.c").display().to_string();

    // Default (show_debug_info on), bpftrace mode.
    let text = stack("ustack-srcline-bpftrace", &bin, "", &[]);
    check_bpftrace_mode(&text, &file);

    // Perf mode: inlined frames at their address, no source locations.
    let text = stack(
        "ustack-srcline-perf",
        &bin,
        "config = { show_debug_info=1 }",
        &[("BPFTRACE_STACK_MODE", "perf")],
    );
    let f = frames(&text);
    assert_eq!(f.len(), 5, "{text}");
    let addr = |l: &str| l.split_whitespace().next().unwrap().to_string();
    assert!(f[0].ends_with(&format!(" ({})", bin.display())), "{text}");
    assert!(f[1].ends_with(" myclock (inlined)"), "{text}");
    assert!(f[2].ends_with(" mywrapper_inlined (inlined)"), "{text}");
    assert!(f[3].contains(" mywrapper+"), "{text}");
    assert_eq!(addr(&f[1]), addr(&f[3]), "inlined frames share the address");
    assert!(!text.contains('@'), "{text}");

    // show_debug_info=0: names and offsets only.
    let text = stack(
        "ustack-srcline-off",
        &bin,
        "config = { show_debug_info=0 }",
        &[],
    );
    let f = frames(&text);
    assert_eq!(f.len(), 3, "{text}");
    assert!(
        f[0].starts_with("leaf+") && f[1].starts_with("mywrapper+"),
        "{text}"
    );
    assert!(!text.contains('@') && !text.contains("inlined"), "{text}");
}

#[test]
fn source_lines_from_a_separate_debug_file() {
    let Some(_k) = kernel_or_skip("ustack_srcline_debuglink") else {
        return;
    };
    let dir = scratch("ustack-srcline-debuglink");
    let Some(full) = build(&dir) else { return };
    let debug = dir.join("inlined_prog.debug");
    let stripped = dir.join("inlined_prog-stripped");
    let run = |args: &[&std::ffi::OsStr]| {
        let tool = args[0];
        let o = Command::new(tool)
            .args(&args[1..])
            .current_dir(&dir)
            .output();
        match o {
            Ok(o) if o.status.success() => true,
            _ => {
                eprintln!("skipping: {tool:?} failed");
                false
            }
        }
    };
    let ok = run(&[
        "objcopy".as_ref(),
        "--only-keep-debug".as_ref(),
        full.as_os_str(),
        debug.as_os_str(),
    ]) && run(&[
        "objcopy".as_ref(),
        "--strip-all".as_ref(),
        "--add-gnu-debuglink=inlined_prog.debug".as_ref(),
        full.as_os_str(),
        stripped.as_os_str(),
    ]);
    // Only the DWARF stripped: the symbols stay, the lines come from the debug file.
    let no_dwarf = dir.join("inlined_prog-nodwarf");
    let ok = ok
        && run(&[
            "objcopy".as_ref(),
            "--strip-debug".as_ref(),
            "--add-gnu-debuglink=inlined_prog.debug".as_ref(),
            full.as_os_str(),
            no_dwarf.as_os_str(),
        ]);
    if !ok {
        return;
    }
    let file = dir.join("inlined_prog.c").display().to_string();
    let text = stack("ustack-srcline-stripped", &stripped, "", &[]);
    check_bpftrace_mode(&text, &file);
    let text = stack("ustack-srcline-nodwarf", &no_dwarf, "", &[]);
    check_bpftrace_mode(&text, &file);
}

#[test]
fn config_show_debug_info_reads_the_default_on() {
    let Some(_k) = kernel_or_skip("config_show_debug_info") else {
        return;
    };
    let run = run_to_exit(
        "config-show-debug-info",
        "begin { print(config.show_debug_info); exit(); }",
        &[],
    );
    assert_eq!(run.stdout_text().trim(), "true");
    let run = run_to_exit(
        "config-show-debug-info-off",
        "config = { show_debug_info=0 } begin { print(config.show_debug_info); exit(); }",
        &[],
    );
    assert_eq!(run.stdout_text().trim(), "false");
}

/// Runs `tool args` in `dir`; false (and a note) when it cannot.
fn tool_in(dir: &Path, tool: &str, args: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: {tool} {args:?} failed");
    }
    ok
}

/// [`PROGRAM`] built in `dir` as `NAME` with the flags of [`build`] and `extra`.
fn build_in(dir: &Path, name: &str, extra: &[&str]) -> Option<PathBuf> {
    std::fs::write(dir.join("inlined_prog.c"), PROGRAM).unwrap();
    let mut args = vec![
        "-g",
        "-O1",
        "-fno-omit-frame-pointer",
        "-mno-omit-leaf-frame-pointer",
        "-no-pie",
    ];
    args.extend_from_slice(extra);
    args.extend(["-o", name, "inlined_prog.c"]);
    tool_in(dir, "cc", &args).then(|| dir.join(name))
}

#[test]
fn compressed_debug_sections_give_the_same_frames() {
    let Some(_k) = kernel_or_skip("ustack_srcline_compressed") else {
        return;
    };
    let dir = scratch("ustack-srcline-compressed");
    let Some(full) = build(&dir) else { return };
    let file = dir.join("inlined_prog.c").display().to_string();
    for kind in ["zlib", "zlib-gnu", "zstd"] {
        let out = dir.join(format!("inlined_prog-{kind}"));
        let arg = format!("--compress-debug-sections={kind}");
        let args = [arg.as_str(), full.to_str().unwrap(), out.to_str().unwrap()];
        if !tool_in(&dir, "objcopy", &args) {
            return;
        }
        let text = stack(&format!("ustack-srcline-{kind}"), &out, "", &[]);
        check_bpftrace_mode(&text, &file);
    }
    // A damaged zstd section: tracerun says once that it cannot read the file's
    // lines, and prints the frames without them.
    let out = dir.join("inlined_prog-zstd");
    let mut bytes = std::fs::read(&out).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let line = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".debug_line"))
        .map(|s| s.sh_offset as usize + 24)
        .unwrap();
    assert_eq!(
        bytes[line..line + 4],
        [0x28, 0xb5, 0x2f, 0xfd],
        "a zstd frame"
    );
    bytes[line] ^= 0xff;
    let bad = dir.join("inlined_prog-zstd-bad");
    std::fs::write(&bad, bytes).unwrap();
    std::fs::set_permissions(&bad, std::fs::metadata(&out).unwrap().permissions()).unwrap();
    let sdir = scratch("ustack-srcline-zstd");
    let script = format!(
        "uprobe:{}:leaf {{ printf(\"%s\\n\", ustack(3)); exit(); }}",
        bad.display()
    );
    let src = sdir.join("s.bt");
    std::fs::write(&src, script).unwrap();
    let obj = sdir.join("s.o");
    let o = Command::new(bin_path("tracec"))
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run = run_object_to_exit(&obj, &["-c", bad.to_str().unwrap()]);
    let (text, err) = (run.stdout_text(), run.err_lines.join("\n"));
    let warning = format!(
        "WARNING: {}: zstd-compressed debug section: invalid zstd data: not a zstd frame",
        bad.display()
    );
    assert_eq!(err.matches(&warning).count(), 1, "{err}");
    let f = frames(&text);
    assert!(f[0].starts_with("leaf+") && !text.contains('@'), "{text}");
}

#[test]
fn split_dwarf_gives_the_inlined_frames() {
    let Some(_k) = kernel_or_skip("ustack_srcline_split") else {
        return;
    };
    let file = |d: &Path| d.join("inlined_prog.c").display().to_string();
    // DWARF 5 `.dwo` files.
    let dir = scratch("ustack-srcline-dwo");
    let Some(bin) = build_in(&dir, "split", &["-gsplit-dwarf"]) else {
        return;
    };
    let text = stack("ustack-srcline-dwo-run", &bin, "", &[]);
    check_bpftrace_mode(&text, &file(&dir));
    // A DWARF 4 `.dwp` package, the `.dwo` files removed.
    let dir = scratch("ustack-srcline-dwp");
    let Some(bin) = build_in(&dir, "split", &["-gsplit-dwarf", "-gdwarf-4"]) else {
        return;
    };
    if !tool_in(&dir, "dwp", &["-e", "split", "-o", "split.dwp"]) {
        return;
    }
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "dwo") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let text = stack("ustack-srcline-dwp-run", &bin, "", &[]);
    check_bpftrace_mode(&text, &file(&dir));
}
