//! Compile time and peak memory, generated code size and verifier work, for a set of
//! real scripts: `tracec` against `bpftrace --emit-elf`.

use crate::elfcount;
use crate::proc::{self, Session};
use crate::report::{table, Report};
use crate::stats::{self, Summary};
use crate::tools::{first_error, Tools};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A script both compilers accept, with its two objects.
#[derive(Debug, Clone)]
pub struct Script {
    pub name: String,
    pub path: PathBuf,
    pub ours: PathBuf,
    pub theirs: PathBuf,
}

/// A script left out, and who rejected it.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub name: String,
    pub by: &'static str,
    pub reason: String,
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Compile every script once with each compiler; keep those both accept.
pub fn discover(tools: &Tools, paths: &[PathBuf]) -> io::Result<(Vec<Script>, Vec<Skipped>)> {
    let mut ok = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        let name = stem(path);
        let ours = tools.path(&format!("{name}.tracec.o"));
        let theirs = tools.path(&format!("{name}.bpftrace.o"));
        let o = proc::run(&mut tools.tracec(path, &ours))?;
        if !o.success() {
            skipped.push(Skipped {
                name,
                by: "tracec",
                reason: first_error(&o.stderr),
            });
            continue;
        }
        let _ = std::fs::remove_file(&theirs);
        let b = proc::run(&mut tools.bpftrace_elf(path, &theirs))?;
        let written = std::fs::metadata(&theirs)
            .map(|m| m.len() > 0)
            .unwrap_or(false);
        if !b.success() || !written {
            skipped.push(Skipped {
                name,
                by: "bpftrace",
                reason: first_error(&format!("{}\n{}", b.stderr, b.stdout)),
            });
            continue;
        }
        ok.push(Script {
            name,
            path: path.clone(),
            ours,
            theirs,
        });
    }
    Ok((ok, skipped))
}

/// Compile time and peak memory, alternating the two compilers.
pub fn bench_compile(
    tools: &Tools,
    scripts: &[Script],
    runs: usize,
    report: &mut Report,
) -> io::Result<()> {
    let mut rows = Vec::new();
    let (mut sum_ours, mut sum_theirs, mut worst_rss) = (0.0, 0.0, 0.0f64);
    for s in scripts {
        let samples = stats::alternate(runs, 2, |v| {
            let mut cmd = if v == 0 {
                tools.tracec(&s.path, &s.ours)
            } else {
                tools.bpftrace_elf(&s.path, &s.theirs)
            };
            proc::run(&mut cmd)
        })?;
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
        let (to, tt, ro, rt) = (time(0), time(1), rss(0), rss(1));
        sum_ours += to.median;
        sum_theirs += tt.median;
        worst_rss = worst_rss.max(ro.median);
        rows.push(vec![
            s.name.clone(),
            stats::secs_summary(&to),
            stats::secs_summary(&tt),
            format!("{:.1}x", tt.median / to.median),
            stats::kib(ro.median),
            stats::kib(rt.median),
        ]);
    }
    rows.push(vec![
        "**sum of medians**".into(),
        stats::secs(sum_ours),
        stats::secs(sum_theirs),
        format!("{:.1}x", sum_theirs / sum_ours),
        format!("max {}", stats::kib(worst_rss)),
        String::new(),
    ]);
    let body = format!(
        "Wall time from spawn to `wait4`, median (min–max) of {runs} alternating runs; peak RSS is \
         the child's `ru_maxrss` (median). Speed-up is bpftrace's median over ours.\n\n{}",
        table(
            &["script", "tracec", "bpftrace --emit-elf", "speed-up", "tracec RSS", "bpftrace RSS"],
            &rows
        )
    );
    report.section("Compile time and peak memory", body);
    if !scripts.is_empty() {
        let speedup = sum_theirs / sum_ours;
        report.goal(
            "compile speed",
            ">= 20x faster than bpftrace --emit-elf",
            format!("{speedup:.1}x (sum of medians)"),
            Some(speedup >= 20.0),
        );
        report.goal(
            "compile peak memory",
            "<= 10 MiB",
            format!("{} (worst script)", stats::kib(worst_rss)),
            Some(worst_rss <= 10.0 * 1024.0),
        );
    }
    Ok(())
}

/// The sum of `N instructions processed` in `tracerun --verify` output.
pub fn ours_verified(text: &str) -> Option<u64> {
    let counts: Vec<u64> = text
        .lines()
        .filter_map(|l| {
            let head = &l[..l.find(" instructions processed")?];
            head.rsplit(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .collect();
    (!counts.is_empty()).then(|| counts.iter().sum())
}

/// The `processed N insns` counts in bpftrace's `-v` output.
pub fn theirs_verified(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("processed ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect()
}

/// Run `bpftrace -v SCRIPT` until every program was verified, then stop it.
fn bpftrace_verified(tools: &Tools, s: &Script, programs: usize) -> io::Result<Option<u64>> {
    let mut cmd = Command::new(&tools.bpftrace);
    cmd.arg("-v").arg(&s.path);
    // END's program is verified only after the interrupt.
    let session = Session::start(&mut cmd, "processed ", "\u{0}never")?;
    session.wait_markers(programs, Duration::from_secs(3), Duration::from_secs(60));
    let end = session.stop(Duration::from_secs(10))?;
    let counts = theirs_verified(&end.lines);
    Ok((counts.len() == programs).then(|| counts.iter().sum()))
}

/// Instruction counts in the objects and the verifier's processed counts.
pub fn bench_code(tools: &Tools, scripts: &[Script], report: &mut Report) -> io::Result<()> {
    let mut rows = Vec::new();
    let (mut ours_sum, mut theirs_sum) = (0u64, 0u64);
    let (mut vo_sum, mut vt_sum, mut verified_all) = (0u64, 0u64, true);
    for s in scripts {
        let (ours_elf, theirs_elf) = (std::fs::read(&s.ours)?, std::fs::read(&s.theirs)?);
        let ours = elfcount::programs(&ours_elf).map_err(io::Error::other)?;
        let theirs = elfcount::programs(&theirs_elf).map_err(io::Error::other)?;
        let io_ = elfcount::total(&ours_elf).map_err(io::Error::other)?;
        let it = elfcount::total(&theirs_elf).map_err(io::Error::other)?;
        ours_sum += io_;
        theirs_sum += it;
        let mut verify = Command::new(&tools.tracerun);
        verify.arg("--verify").arg(&s.ours);
        let vo = ours_verified(&proc::run(&mut verify)?.stdout);
        let vt = bpftrace_verified(tools, s, theirs.len())?;
        match (vo, vt) {
            (Some(a), Some(b)) => {
                vo_sum += a;
                vt_sum += b;
            }
            _ => verified_all = false,
        }
        let show = |v: Option<u64>| v.map_or("?".to_string(), |n| n.to_string());
        rows.push(vec![
            s.name.clone(),
            format!("{} / {}", ours.len(), theirs.len()),
            io_.to_string(),
            it.to_string(),
            stats::ratio(io_ as f64, it as f64),
            show(vo),
            show(vt),
            vo.zip(vt)
                .map_or("-".into(), |(a, b)| stats::ratio(a as f64, b as f64)),
        ]);
    }
    rows.push(vec![
        "**sum**".into(),
        String::new(),
        ours_sum.to_string(),
        theirs_sum.to_string(),
        stats::ratio(ours_sum as f64, theirs_sum as f64),
        vo_sum.to_string(),
        vt_sum.to_string(),
        stats::ratio(vo_sum as f64, vt_sum as f64),
    ]);
    let body = format!(
        "Instructions are 8-byte slots in the objects' executable sections (`ld_imm64` counts \
         2). Verifier counts are the kernel's processed instructions: `tracerun --verify` for \
         ours, `processed N insns` from `bpftrace -v` for bpftrace (summed over programs; `?` \
         when not every program reported one).{}\n\n{}",
        if verified_all {
            ""
        } else {
            " Verifier sums cover only scripts where both reported."
        },
        table(
            &[
                "script",
                "programs (ours / bpftrace)",
                "tracec insns",
                "bpftrace insns",
                "ratio",
                "tracec verified",
                "bpftrace verified",
                "ratio",
            ],
            &rows
        )
    );
    report.section("Generated code and verifier work", body);
    if !scripts.is_empty() {
        report.goal(
            "generated code size",
            "<= LLVM's, summed over the scripts",
            format!(
                "{ours_sum} vs {theirs_sum} insns ({})",
                stats::ratio(ours_sum as f64, theirs_sum as f64)
            ),
            Some(ours_sum <= theirs_sum),
        );
    }
    Ok(())
}

/// The list of scripts left out.
pub fn skipped_section(skipped: &[Skipped], report: &mut Report) {
    if skipped.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = skipped
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.by.to_string(),
                format!("`{}`", s.reason.replace('`', "'")),
            ]
        })
        .collect();
    report.section(
        "Scripts not yet supported",
        format!(
            "Left out of the comparisons because one of the compilers rejects them.\n\n{}",
            table(&["script", "rejected by", "first error"], &rows)
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_verifier_reports() {
        let ours = "BEGIN_0 (BEGIN): loaded, 22 instructions processed\n\
                    tp_1 (tracepoint:a:b): loaded, 25 instructions processed\n\
                    2 programs: 2 loaded, 0 rejected\n";
        assert_eq!(ours_verified(ours), Some(47));
        assert_eq!(ours_verified("nothing"), None);
        let theirs = [
            "Program ID: 9438",
            "processed 10 insns (limit 1000000) max_states_per_insn 0",
            "processed 34 insns (limit 1000000) max_states_per_insn 0",
        ]
        .map(String::from);
        assert_eq!(theirs_verified(&theirs), vec![10, 34]);
    }
}
