//! Bench mode (`tracerun --bench`, bpftrace's `--mode bench`): every `bench:NAME`
//! probe runs repeatedly through `BPF_PROG_TEST_RUN`, in metadata order, and the
//! average time per run is reported as bpftrace reports it.
//!
//! The time is the kernel's own accounting of the program (`bpf_prog_info.run_time_ns`
//! over `run_cnt`, collected while `BPF_ENABLE_STATS` is held), so the cost of the
//! system call is not in it; when the kernel cannot collect statistics, the wall time
//! of the runs is used instead.

use std::time::{Duration, Instant};

use aya::Ebpf;
use tracec_meta::ProbeSpec;

use crate::{load, sys, Error};

/// How long one benchmark runs (it stops earlier at [`MAX_ITERS`]).
const BUDGET: Duration = Duration::from_millis(200);
/// Most runs of one benchmark.
const MAX_ITERS: u64 = 1_000_000;

/// One benchmark's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchResult {
    /// `NAME` of `bench:NAME`.
    pub name: String,
    /// Average time of one run, in nanoseconds.
    pub average_ns: u64,
    pub iters: u64,
}

/// Holds kernel run-time statistics on while alive (`None`: not available).
pub struct Stats(#[allow(dead_code)] Option<std::os::fd::OwnedFd>);

impl Stats {
    pub fn enable() -> Stats {
        Stats(aya::sys::enable_stats(aya::sys::Stats::RunTime).ok())
    }
}

/// The kernel's (run time in ns, run count) of `probe`'s program.
fn kernel_stats(ebpf: &Ebpf, probe: &ProbeSpec) -> Option<(u64, u64)> {
    let info = ebpf.program(&probe.program)?.info().ok()?;
    Some((info.run_time().as_nanos() as u64, info.run_count()))
}

/// Run `probe` repeatedly (for [`BUDGET`] or [`MAX_ITERS`] runs). Its events wait
/// in the ring buffer until the caller drains it.
pub fn run_one(
    ebpf: &Ebpf,
    probe: &ProbeSpec,
    name: &str,
    stats: &Stats,
) -> Result<BenchResult, Error> {
    let fd = load::program_fd(ebpf, probe)?;
    let before = stats.0.as_ref().and(kernel_stats(ebpf, probe));
    let start = Instant::now();
    let mut iters = 0;
    while iters < MAX_ITERS {
        sys::prog_test_run(fd).map_err(|e| {
            Error::new(format!(
                "cannot run {} (BPF_PROG_TEST_RUN): {e}",
                probe.name
            ))
        })?;
        iters += 1;
        if iters % 64 == 0 && start.elapsed() >= BUDGET {
            break;
        }
    }
    let wall = start.elapsed().as_nanos() as u64;
    let after = stats.0.as_ref().and(kernel_stats(ebpf, probe));
    let average_ns = match (before, after) {
        (Some((t0, c0)), Some((t1, c1))) if c1 > c0 => (t1 - t0) / (c1 - c0),
        _ => wall / iters.max(1),
    };
    Ok(BenchResult {
        name: name.to_string(),
        average_ns,
        iters,
    })
}

/// Width of the name column and of the time column of the text table.
const NAME_WIDTH: usize = 41;
const TIME_WIDTH: usize = 15;

/// bpftrace's text table of the results.
pub fn text(results: &[BenchResult]) -> String {
    let mut out = format!(
        "{:<NAME_WIDTH$}{:<TIME_WIDTH$}{}\n",
        "Benchmark", "Time(ns)", "Iterations"
    );
    out.push_str(&"-".repeat(NAME_WIDTH + TIME_WIDTH + "Iterations".len()));
    out.push('\n');
    for r in results {
        // At least one space between the columns, however long the values.
        let name = format!("{} ", r.name);
        let time = format!("{} ", r.average_ns);
        out.push_str(&format!(
            "{name:<NAME_WIDTH$}{time:<TIME_WIDTH$}{}\n",
            r.iters
        ));
    }
    out
}

/// One `{"type": "benchmark_result", ...}` line per result.
pub fn json(results: &[BenchResult]) -> String {
    results
        .iter()
        .map(|r| {
            format!(
                "{{\"type\": \"benchmark_result\", \"data\": {{{}: {{\"average\": {}, \"iters\": {}}}}}}}\n",
                crate::print::json::string(r.name.as_bytes()),
                r.average_ns,
                r.iters
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results() -> Vec<BenchResult> {
        vec![
            BenchResult {
                name: "a".into(),
                average_ns: 40,
                iters: 123456,
            },
            BenchResult {
                name: "my_loop".into(),
                average_ns: 1234,
                iters: 7,
            },
        ]
    }

    #[test]
    fn text_table_has_bpftraces_columns() {
        let t = text(&results());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "Benchmark                                Time(ns)       Iterations"
        );
        assert_eq!(lines[1], "-".repeat(66));
        assert_eq!(
            lines[2],
            "a                                        40             123456"
        );
        assert_eq!(
            lines[3],
            "my_loop                                  1234           7"
        );
    }

    #[test]
    fn json_lines_per_benchmark() {
        assert_eq!(
            json(&results()),
            "{\"type\": \"benchmark_result\", \"data\": {\"a\": {\"average\": 40, \"iters\": 123456}}}\n\
             {\"type\": \"benchmark_result\", \"data\": {\"my_loop\": {\"average\": 1234, \"iters\": 7}}}\n"
        );
    }
}
