//! Compile time and memory against script size: generated scripts of n probes and
//! n maps, for tracec (and bpftrace where it accepts that many probes).

use crate::gen;
use crate::proc;
use crate::report::{table, Report};
use crate::stats::{self, Summary};
use crate::tools::{first_error, Tools};
use std::io;

/// bpftrace refuses more probes than this by default (`BPFTRACE_MAX_PROBES`).
const BPFTRACE_MAX_PROBES: usize = 512;

pub fn bench_scaling(
    tools: &Tools,
    sizes: &[usize],
    runs: usize,
    report: &mut Report,
) -> io::Result<()> {
    let mut rows = Vec::new();
    let mut points = Vec::new();
    let mut notes = Vec::new();
    for &n in sizes {
        let script = tools.script(&format!("gen-{n}.bt"), &gen::many_probes(n))?;
        let obj = tools.path(&format!("gen-{n}.tracec.o"));
        let theirs = tools.path(&format!("gen-{n}.bpftrace.o"));
        let with_bpftrace = n <= BPFTRACE_MAX_PROBES;
        let variants = if with_bpftrace { 2 } else { 1 };
        let samples = stats::alternate(runs, variants, |v| {
            let mut cmd = if v == 0 {
                tools.tracec(&script, &obj)
            } else {
                tools.bpftrace_elf(&script, &theirs)
            };
            proc::run(&mut cmd)
        })?;
        if let Some(bad) = samples[0].iter().find(|o| !o.success()) {
            notes.push(format!(
                "{n} probes: tracec failed: {}",
                first_error(&bad.stderr)
            ));
            continue;
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
        let (t, r) = (time(0), rss(0));
        points.push((n, t.median, r.median));
        let bpftrace = if with_bpftrace && samples[1].iter().all(|o| o.success()) {
            format!(
                "{} / {}",
                stats::secs(time(1).median),
                stats::kib(rss(1).median)
            )
        } else if with_bpftrace {
            "failed".into()
        } else {
            format!("(over its {BPFTRACE_MAX_PROBES}-probe limit)")
        };
        rows.push(vec![
            n.to_string(),
            stats::secs_summary(&t),
            format!("{:.0} µs", t.median * 1e6 / n as f64),
            stats::kib(r.median),
            bpftrace,
        ]);
    }
    let mut body = format!(
        "Generated scripts: n probes over 4 syscall tracepoints, each with its own map \
         (`count()`, `sum()`, `max()`), {runs} runs each.\n\n{}",
        table(
            &[
                "probes = maps",
                "tracec time",
                "per probe",
                "tracec peak RSS",
                "bpftrace time / RSS"
            ],
            &rows
        )
    );
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        if last.0 > first.0 {
            let size = last.0 as f64 / first.0 as f64;
            body.push_str(&format!(
                "\nFrom {} to {} probes ({size:.0}x the script): time {:.1}x, peak RSS {:.1}x \
                 (process start-up and the fixed part of the RSS dominate small scripts).\n",
                first.0,
                last.0,
                last.1 / first.1,
                last.2 / first.2
            ));
        }
    }
    for n in &notes {
        body.push_str(&format!("\n- {n}\n"));
    }
    report.section("Scaling", body);
    if let Some(&(_, t, _)) = points.iter().find(|p| p.0 == 1000) {
        report.goal(
            "1,000 probes and maps",
            "compile in well under a second",
            stats::secs(t),
            Some(t < 0.5),
        );
    }
    Ok(())
}
