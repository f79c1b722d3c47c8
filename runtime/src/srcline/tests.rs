//! The reader against binaries built here with `cc -g`, compared with what
//! `addr2line -i -f` (GNU binutils) says about the same addresses.

use super::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A program shaped like bpftrace's `usdt_inlined`: always-inlined static functions
/// calling each other inside an out-of-line function.
pub(super) const INLINED_C: &str = r#"
#include <time.h>
volatile long sink;
static inline __attribute__((always_inline)) long myclock(int n)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  sink += n;
  return ts.tv_nsec + n;
}
static inline __attribute__((always_inline)) long mywrapper_inlined(int n)
{
  long v = myclock(n) * 3;
  sink ^= v;
  return v;
}
__attribute__((noinline)) long mywrapper(int n)
{
  return mywrapper_inlined(n) + 1;
}
__attribute__((noinline)) void loop(int k)
{
  for (int i = 0; i < k; i++)
    sink += mywrapper(i);
}
int main(int argc, char **argv)
{
  (void)argv;
  loop(argc + 2);
  return 0;
}
"#;

struct Built {
    dir: PathBuf,
    bin: PathBuf,
}

impl Drop for Built {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `INLINED_C` built with `flags`; `None` when the host has no `cc`.
fn build(tag: &str, flags: &[&str]) -> Option<Built> {
    let dir = std::env::temp_dir().join(format!("srcline-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let src = dir.join("inl.c");
    std::fs::write(&src, INLINED_C).ok()?;
    let bin = dir.join("inl");
    let st = Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status()
        .ok()?;
    assert!(st.success(), "cc {flags:?} failed");
    Some(Built { dir, bin })
}

/// `addr2line -a -i -f` of `addrs`: per address, (function, "file:line") pairs,
/// innermost first.
fn addr2line(bin: &Path, addrs: &[u64]) -> Option<Vec<Vec<(String, String)>>> {
    let out = Command::new("addr2line")
        .args(["-a", "-i", "-f", "-e"])
        .arg(bin)
        .args(addrs.iter().map(|a| format!("{a:#x}")))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut res: Vec<Vec<(String, String)>> = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if l.starts_with("0x") {
            res.push(Vec::new());
            continue;
        }
        let loc = lines.next()?;
        let loc = loc.split(" (discriminator").next()?.to_string();
        res.last_mut()?.push((l.to_string(), loc));
    }
    Some(res)
}

fn show(l: &Option<Loc>) -> String {
    l.as_ref()
        .map_or("??:0".to_string(), |l| format!("{}:{}", l.file, l.line))
}

/// Every row address of `bin`'s line table (and one past each) agrees with addr2line.
fn agrees_with_addr2line(b: &Built) {
    let bytes = std::fs::read(&b.bin).unwrap();
    let si = SourceInfo::from_elf(&bytes).expect("line tables");
    let mut addrs: Vec<u64> = si
        .rows()
        .iter()
        .filter(|r| !r.end)
        .flat_map(|r| [r.addr, r.addr + 1])
        .collect();
    addrs.sort();
    addrs.dedup();
    let Some(expected) = addr2line(&b.bin, &addrs) else {
        eprintln!("no addr2line: skipped");
        return;
    };
    assert_eq!(expected.len(), addrs.len());
    let mut inlined_seen = 0;
    for (addr, exp) in addrs.iter().zip(expected) {
        if exp.first().is_none_or(|e| e.1.starts_with("??")) {
            continue;
        }
        let got = si.frames(*addr);
        let names: Vec<&str> = got.inlined.iter().map(|f| f.name.as_str()).collect();
        let exp_names: Vec<&str> = exp[..exp.len() - 1].iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, exp_names, "inlined functions at {addr:#x}");
        for (f, e) in got.inlined.iter().zip(&exp) {
            assert_eq!(show(&f.loc), e.1, "{} at {addr:#x}", f.name);
        }
        assert_eq!(
            show(&got.loc),
            exp.last().unwrap().1,
            "location of {addr:#x}"
        );
        inlined_seen += got.inlined.len();
    }
    assert!(inlined_seen > 0, "the program has inlined frames");
}

#[test]
fn dwarf5_lines_and_inlined_frames() {
    if let Some(b) = build("d5", &["-g", "-O2", "-gdwarf-5"]) {
        agrees_with_addr2line(&b);
    }
}

#[test]
fn dwarf4_lines_and_inlined_frames() {
    if let Some(b) = build("d4", &["-g", "-O2", "-gdwarf-4"]) {
        agrees_with_addr2line(&b);
    }
}

#[test]
fn pie_and_split_ranges() {
    // -O3 with -freorder-blocks-and-partition splits functions into hot and cold
    // ranges (DW_AT_ranges); PIE addresses start near zero.
    if let Some(b) = build(
        "pie",
        &[
            "-g",
            "-O3",
            "-fpie",
            "-pie",
            "-freorder-blocks-and-partition",
        ],
    ) {
        agrees_with_addr2line(&b);
    }
}

#[test]
fn the_inlined_chain_of_myclock() {
    let Some(b) = build("chain", &["-g", "-O2"]) else {
        return;
    };
    let bytes = std::fs::read(&b.bin).unwrap();
    let si = SourceInfo::from_elf(&bytes).unwrap();
    // Some address of mywrapper is inside myclock inlined into mywrapper_inlined.
    let found = si.rows().iter().map(|r| si.frames(r.addr)).find(|f| {
        f.inlined
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            == ["myclock", "mywrapper_inlined"]
    });
    let f = found.expect("myclock inlined into mywrapper_inlined");
    let outer = f.loc.expect("call site in mywrapper");
    assert!(outer.file.ends_with("/inl.c"), "{outer:?}");
    // `return mywrapper_inlined(n) + 1;` is line 19 of INLINED_C.
    assert_eq!(outer.line, 19);
    assert_eq!(f.inlined[1].loc.as_ref().map(|l| l.line), Some(13));
}

#[test]
fn no_debug_info_is_none() {
    if let Some(b) = build("nodebug", &["-O2"]) {
        let bytes = std::fs::read(&b.bin).unwrap();
        assert!(SourceInfo::from_elf(&bytes).is_none());
    }
    assert!(SourceInfo::from_elf(b"not an elf").is_none());
}

#[test]
fn truncated_sections_do_not_panic() {
    let Some(b) = build("trunc", &["-g", "-O2"]) else {
        return;
    };
    let bytes = std::fs::read(&b.bin).unwrap();
    let elf = Elf::parse(&bytes).unwrap();
    let (secs, _) = load(&elf, &bytes, "");
    let list: Vec<&[u8]> = secs.iter().map(|c| &c[..]).collect();
    let full = Sections::from_list(&list);
    for cut in [1usize, 7, 40, 200, 1000] {
        let mut s = full;
        s.info = &full.info[..full.info.len().saturating_sub(cut)];
        s.line = &full.line[..full.line.len().saturating_sub(cut)];
        s.abbrev = &full.abbrev[..full.abbrev.len() / 2];
        if let Some(si) = SourceInfo::from_sections(&s) {
            let _ = si.frames(0x401000);
        }
    }
}

/// A large binary with real compilers' DWARF: this test program itself (Rust, many
/// units, inlining everywhere). Addresses sampled across its line table resolve to the
/// same source frames as `addr2line -i` gives.
#[test]
fn this_test_binary_agrees_with_addr2line() {
    let path = std::env::current_exe().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let t = std::time::Instant::now();
    let si = SourceInfo::from_elf(&bytes).unwrap();
    let (rows, funcs, inlines) = si.counts();
    eprintln!(
        "parsed in {:?}: {rows} rows, {funcs} funcs, {inlines} inlines",
        t.elapsed(),
    );
    let step = (rows / 300).max(1);
    let addrs: Vec<u64> = si
        .rows()
        .iter()
        .step_by(step)
        .filter(|r| !r.end)
        .map(|r| r.addr)
        .collect();
    let Some(expected) = addr2line(&path, &addrs) else {
        eprintln!("skipping: addr2line (binutils) is not installed");
        return;
    };
    let (mut ok, mut bad) = (0, 0);
    for (addr, exp) in addrs.iter().zip(expected) {
        let got = si.frames(*addr);
        let mut names: Vec<String> = got.inlined.iter().map(|f| f.name.clone()).collect();
        names.push(String::new());
        let mut locs: Vec<String> = got.inlined.iter().map(|f| show(&f.loc)).collect();
        locs.push(show(&got.loc));
        let exp_locs: Vec<String> = exp.iter().map(|e| e.1.replace(":?", ":0")).collect();
        if locs == exp_locs {
            ok += 1;
        } else {
            bad += 1;
            if bad < 6 {
                eprintln!("{addr:#x}: got {names:?} {locs:?}\n   want {exp:?}");
            }
        }
    }
    eprintln!("{ok} agree, {bad} differ");
    assert!(ok > 100, "{ok} addresses compared");
    assert_eq!(
        bad,
        0,
        "{bad} of {} addresses resolve differently",
        ok + bad
    );
}
