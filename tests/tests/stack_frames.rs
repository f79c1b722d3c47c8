//! Stacks stored by content: a uprobe sees a thousand distinct user stacks (every
//! path of a recursion through two functions, at every depth up to 9), and each prints
//! with its frames, none empty; the frames live in a `BPF_F_NO_PREALLOC` hash map.

use std::process::Command;
use std::time::{Duration, Instant};
use tracec_tests::*;

/// Depths 0 to `DEPTH`: 2^(DEPTH+1) - 1 distinct paths.
const DEPTH: u32 = 9;

/// `down_a`/`down_b` recurse `n` levels, picking the callee by the bits of `path`,
/// then call `leaf`; each call has its own call site, so every path is a different
/// chain of return addresses. The program sleeps afterwards so that the test can look
/// at the maps while the probe is attached.
const PROG: &str = r#"
#include <unistd.h>
__attribute__((noinline)) void leaf(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void down_b(int n, unsigned path);
__attribute__((noinline)) void down_a(int n, unsigned path) {
  if (n == 0) { leaf(); return; }
  if (path & 1) down_b(n - 1, path >> 1); else down_a(n - 1, path >> 1);
}
__attribute__((noinline)) void down_b(int n, unsigned path) {
  if (n == 0) { leaf(); return; }
  if (path & 1) down_b(n - 1, path >> 1); else down_a(n - 1, path >> 1);
}
int main(void) {
  for (int d = 0; d <= DEPTH; d++)
    for (unsigned p = 0; p < (1u << d); p++) down_a(d, p);
  sleep(2);
  return 0;
}
"#;

/// `bpftool map show` facts about the maps named `name`: (type, flags, memlock).
fn shown(name: &str) -> Vec<(String, u64, u64)> {
    let o = Command::new("bpftool")
        .args(["-j", "map", "show"])
        .output()
        .expect("bpftool is installed");
    let all: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    all.as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["name"] == name)
        .map(|m| {
            (
                m["type"].as_str().unwrap_or_default().to_string(),
                m["flags"].as_u64().unwrap_or(u64::MAX),
                m["bytes_memlock"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// The map entries of bpftrace's text: each key's lines and its value.
fn entries(text: &str) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for l in text.lines() {
        if l == "@[" {
            cur = Some(Vec::new());
        } else if let Some(v) = l.strip_prefix("]: ") {
            out.push((cur.take().unwrap_or_default(), v.to_string()));
        } else if let Some(c) = cur.as_mut() {
            c.push(l.trim().to_string());
        }
    }
    out
}

#[test]
fn a_thousand_distinct_user_stacks_print_with_their_frames() {
    let Some(_k) = kernel_or_skip("stack_frames") else {
        return;
    };
    let dir = scratch("stack_frames");
    let prog = PROG.replace("DEPTH", &DEPTH.to_string());
    let Some(bin) = build_c(
        &dir,
        "recurse",
        &prog,
        &["-O0", "-no-pie", "-fno-omit-frame-pointer", "-g"],
    ) else {
        return;
    };
    let bin = bin.display().to_string();
    // ustack(50): a depth no other test uses, so that the map's name is ours.
    let script = format!("uprobe:{bin}:leaf {{ @[ustack(50)] = count(); }}");
    let obj = compile_text(&dir, "stack_frames", &script);
    let mut run = Run::start(&obj, &["-c", &bin]);
    run.wait_attached();
    // While the program sleeps: the frames map is a hash map that allocates as it
    // fills (BPF_F_NO_PREALLOC), and its memory is not 131072 preallocated stacks.
    let end = Instant::now() + Duration::from_secs(10);
    let maps = loop {
        let m = shown("stack_u50");
        if !m.is_empty() || Instant::now() > end {
            break m;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(!maps.is_empty(), "no map stack_u50 while the script runs");
    for (ty, flags, memlock) in &maps {
        assert_eq!((ty.as_str(), *flags), ("hash", 1), "{maps:?}");
        // 131072 stacks of 50 frames would be over 52 MB.
        assert!(*memlock < 8 << 20, "{maps:?}");
    }
    assert_eq!(run.finish(Duration::from_secs(30)), Some(0));
    let text = run.stdout_text();
    let got = entries(&text);
    let paths = (1usize << (DEPTH + 1)) - 1;
    assert_eq!(got.len(), paths, "{text}");
    let mut stacks: Vec<&Vec<String>> = got.iter().map(|(k, _)| k).collect();
    for (frames, count) in &got {
        // leaf, at least main's frame, none empty; each path was taken once.
        assert!(frames.len() >= 2, "{frames:?}");
        assert!(frames[0].starts_with("leaf+"), "{frames:?}");
        assert!(frames.iter().all(|f| !f.is_empty()), "{frames:?}");
        assert_eq!(count, "1", "{frames:?}");
    }
    stacks.sort();
    stacks.dedup();
    assert_eq!(stacks.len(), paths, "stacks printed alike");
}
