//! The runtime: start to exit and peak RSS (`tracerun` vs `bpftrace-aotrt` vs
//! `bpftrace`), and the size of the binaries with their shared libraries.

use crate::proc;
use crate::report::{table, Report};
use crate::stats::{self, Summary};
use crate::tools::{first_error, Tools};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The start-to-exit scripts: (name, source).
pub const START_SCRIPTS: [(&str, &str); 2] = [
    ("begin-exit", "BEGIN { exit(); }\n"),
    (
        "begin-exit-tracepoint",
        "BEGIN { exit(); }\ntracepoint:syscalls:sys_enter_getpid { @[comm] = count(); }\n",
    ),
];

const NAMES: [&str; 3] = ["tracerun", "bpftrace-aotrt", "bpftrace"];

/// Start to exit, alternating the three runtimes on each script.
pub fn bench_start(tools: &Tools, runs: usize, report: &mut Report) -> io::Result<()> {
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let mut last: Option<[Summary; 6]> = None;
    for (name, source) in START_SCRIPTS {
        let script = tools.script(&format!("{name}.bt"), source)?;
        let obj = tools.path(&format!("{name}.tracec.o"));
        let aot = tools.path(&format!("{name}.aot"));
        let c = proc::run(&mut tools.tracec(&script, &obj))?;
        if !c.success() {
            notes.push(format!(
                "`{name}`: tracec failed: {}",
                first_error(&c.stderr)
            ));
            continue;
        }
        let a = proc::run(&mut tools.bpftrace_aot(&script, &aot))?;
        if !a.success() || !aot.exists() {
            notes.push(format!(
                "`{name}`: bpftrace --aot failed: {}",
                first_error(&a.stderr)
            ));
            continue;
        }
        let samples = stats::alternate(runs, 3, |v| {
            let mut cmd = match v {
                0 => tools.tracerun(&obj, &[]),
                1 => tools.aotrt(&aot),
                _ => tools.bpftrace(&script, &[]),
            };
            proc::run(&mut cmd)
        })?;
        for (v, runs) in samples.iter().enumerate() {
            if let Some(bad) = runs.iter().find(|o| !o.success()) {
                notes.push(format!(
                    "`{name}`: {} exited with {}: {}",
                    NAMES[v],
                    bad.status,
                    first_error(&format!("{}\n{}", bad.stderr, bad.stdout))
                ));
            }
        }
        let time = |v: usize| {
            Summary::of(
                &samples[v]
                    .iter()
                    .map(|o| o.wall.as_secs_f64())
                    .collect::<Vec<_>>(),
            )
            .expect("runs >= 1")
        };
        let rss = |v: usize| {
            Summary::of(
                &samples[v]
                    .iter()
                    .map(|o| o.maxrss_kib as f64)
                    .collect::<Vec<_>>(),
            )
            .expect("runs >= 1")
        };
        let cpu = |v: usize| {
            Summary::of(
                &samples[v]
                    .iter()
                    .map(|o| o.cpu.as_secs_f64())
                    .collect::<Vec<_>>(),
            )
            .expect("runs >= 1")
            .median
        };
        let s = [time(0), time(1), time(2), rss(0), rss(1), rss(2)];
        rows.push(vec![
            name.to_string(),
            stats::secs_summary(&s[0]),
            stats::secs_summary(&s[1]),
            stats::secs_summary(&s[2]),
            format!(
                "{:.1}x / {:.1}x",
                s[1].median / s[0].median,
                s[2].median / s[0].median
            ),
            format!(
                "{} / {} / {}",
                stats::kib(s[3].median),
                stats::kib(s[4].median),
                stats::kib(s[5].median)
            ),
            format!(
                "{} / {} / {}",
                stats::secs(cpu(0)),
                stats::secs(cpu(1)),
                stats::secs(cpu(2))
            ),
        ]);
        last = Some(s);
    }
    let mut body = format!(
        "Wall time from spawn to exit, median (min–max) of {runs} alternating runs. Speed-up is \
         the other runtime's median over tracerun's. RSS is `ru_maxrss`, CPU is user + \
         system time (medians); wall time well above CPU time is waiting.\n\n{}",
        table(
            &[
                "script",
                "tracerun",
                "bpftrace-aotrt",
                "bpftrace",
                "speed-up vs aotrt / bpftrace",
                "peak RSS tracerun / aotrt / bpftrace",
                "CPU tracerun / aotrt / bpftrace",
            ],
            &rows
        )
    );
    for n in &notes {
        body.push_str(&format!("\n- {n}\n"));
    }
    report.section("Runtime start to exit", body);
    if let Some(s) = last {
        let speedup = s[1].median / s[0].median;
        report.goal(
            "tracerun start to exit",
            ">= 10x faster than bpftrace-aotrt",
            format!(
                "{speedup:.1}x ({} vs {})",
                stats::secs(s[0].median),
                stats::secs(s[1].median)
            ),
            Some(speedup >= 10.0),
        );
        let share = s[3].median / s[4].median;
        report.goal(
            "tracerun peak RSS",
            "<= 1/3 of bpftrace-aotrt's",
            format!(
                "{:.2} of it ({} vs {})",
                share,
                stats::kib(s[3].median),
                stats::kib(s[4].median)
            ),
            Some(share <= 1.0 / 3.0),
        );
    }
    Ok(())
}

/// Shared libraries `ldd` resolves for `bin`: (name, resolved path if any).
pub fn shared_libs(bin: &Path) -> io::Result<Vec<(String, Option<PathBuf>)>> {
    let o = proc::run(Command::new("ldd").arg(bin))?;
    Ok(parse_ldd(&o.stdout))
}

/// Parse `ldd` output lines: `name => /path (0x..)` or `/path (0x..)` or `name (0x..)`.
pub fn parse_ldd(text: &str) -> Vec<(String, Option<PathBuf>)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty()
            || line.contains("not a dynamic executable")
            || line.contains("statically linked")
        {
            continue;
        }
        let (name, path) = match line.split_once(" => ") {
            Some((n, rest)) => (n.trim(), rest.split_whitespace().next()),
            None => {
                let first = line.split_whitespace().next().unwrap_or(line);
                (first, first.starts_with('/').then_some(first))
            }
        };
        let path = path.filter(|p| p.starts_with('/')).map(PathBuf::from);
        out.push((name.to_string(), path));
    }
    out
}

/// Only the C library, its loader and the vDSO.
fn libc_only(libs: &[(String, Option<PathBuf>)]) -> bool {
    libs.iter().all(|(n, _)| is_libc(n))
}

fn is_libc(name: &str) -> bool {
    name.starts_with("linux-vdso") || name.starts_with("libc.so") || name.contains("ld-linux")
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Binary sizes and dependencies of tracerun, bpftrace-aotrt and bpftrace.
pub fn bench_size(tools: &Tools, report: &mut Report) -> io::Result<()> {
    let mut rows = Vec::new();
    let mut ours = None;
    for (name, bin) in [
        ("tracerun", &tools.tracerun),
        ("bpftrace-aotrt", &tools.aotrt),
        ("bpftrace", &tools.bpftrace),
    ] {
        let size = file_size(bin);
        let libs = shared_libs(bin)?;
        let lib_bytes: u64 = libs
            .iter()
            .filter_map(|(_, p)| p.as_deref())
            .map(file_size)
            .sum();
        let names: Vec<&str> = libs
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !n.starts_with("linux-vdso"))
            .collect();
        rows.push(vec![
            name.to_string(),
            format!("{:.2} MB", size as f64 / 1e6),
            format!("{:.2} MB", lib_bytes as f64 / 1e6),
            format!("{:.2} MB", (size + lib_bytes) as f64 / 1e6),
            names.join(", "),
        ]);
        if name == "tracerun" {
            ours = Some((size, libs));
        }
    }
    let musl = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("x86_64-unknown-linux-musl"))
        .unwrap_or(false);
    let body = format!(
        "File sizes; libraries as resolved by `ldd` (sizes of the resolved files). \
         `x86_64-unknown-linux-musl` target installed: {}.\n\n{}",
        if musl { "yes" } else { "no" },
        table(
            &["binary", "file", "libraries", "total", "libraries"],
            &rows
        )
    );
    report.section("Binary size", body);
    if let Some((size, libs)) = ours {
        let others: Vec<&str> = libs
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !is_libc(n))
            .collect();
        report.goal(
            "tracerun one file",
            "<= 2.5 MB",
            format!("{:.2} MB", size as f64 / 1e6),
            Some(size as f64 <= 2.5e6),
        );
        report.goal(
            "tracerun dependencies",
            "libc only",
            if others.is_empty() {
                "libc only".into()
            } else {
                format!("also {}", others.join(", "))
            },
            Some(libc_only(&libs)),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ldd() {
        let text = "\tlinux-vdso.so.1 (0x00007f4841531000)\n\
                    \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f4841500000)\n\
                    \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f4840c1e000)\n\
                    \t/lib64/ld-linux-x86-64.so.2 (0x00007f4841533000)\n";
        let libs = parse_ldd(text);
        assert_eq!(libs.len(), 4);
        assert_eq!(libs[0], ("linux-vdso.so.1".to_string(), None));
        assert_eq!(
            libs[1].1.as_deref(),
            Some(Path::new("/lib/x86_64-linux-gnu/libgcc_s.so.1"))
        );
        assert_eq!(
            libs[3].1.as_deref(),
            Some(Path::new("/lib64/ld-linux-x86-64.so.2"))
        );
        assert!(!libc_only(&libs));
        assert!(libc_only(&[
            libs[0].clone(),
            libs[2].clone(),
            libs[3].clone()
        ]));
        assert!(parse_ldd("\tstatically linked\n").is_empty());
        assert!(parse_ldd("\tnot a dynamic executable\n").is_empty());
    }
}
