//! `tracec-bench`: measure tracec/tracerun against bpftrace 0.17 side by side and write
//! a markdown report. Run as root (the runtimes load BPF); `scripts/bench` builds the
//! release binaries and runs this.

use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;
use tracec_bench::report::Report;
use tracec_bench::tools::Tools;
use tracec_bench::{compile, events, runtime, scaling};

const SECTIONS: [&str; 9] = [
    "compile",
    "code",
    "start",
    "size",
    "overhead",
    "throughput",
    "idle",
    "maps",
    "scaling",
];

#[derive(Parser, Debug)]
#[command(
    name = "tracec-bench",
    about = "tracec and tracerun against bpftrace 0.17, side by side"
)]
struct Cli {
    /// The compiler under test (default: `tracec` next to this binary).
    #[arg(long)]
    tracec: Option<PathBuf>,
    /// The runtime under test (default: `tracerun` next to this binary).
    #[arg(long)]
    tracerun: Option<PathBuf>,
    #[arg(long, default_value = "/usr/bin/bpftrace")]
    bpftrace: PathBuf,
    #[arg(long, default_value = "/usr/bin/bpftrace-aotrt")]
    aotrt: PathBuf,
    /// Scripts for the compile and code comparisons (default: std-probes/*.bt and
    /// /usr/sbin/*.bt; those either compiler rejects are listed, not measured).
    #[arg(long, num_args = 1..)]
    scripts: Vec<PathBuf>,
    /// Alternating runs per measurement of compile and start-to-exit times.
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Tracer sessions per variant for the per-event overhead.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// getpid calls per overhead loop.
    #[arg(long, default_value_t = 1_000_000)]
    calls: u64,
    /// Event rates for the throughput test, per second (0: unpaced).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10000,100000,300000,1000000,0"
    )]
    rates: Vec<u64>,
    /// Seconds of sending per throughput run.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Probe counts of the generated scaling scripts.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    sizes: Vec<usize>,
    /// Keys in the map printed at exit (the limit is raised to it for both tracers).
    #[arg(long, default_value_t = 100_000)]
    map_keys: u64,
    /// Only these sections (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(SECTIONS))]
    only: Vec<String>,
    /// Fewer runs: for a first look, not for figures.
    #[arg(long)]
    quick: bool,
    /// A line for the report's header (e.g. "provisional: machine busy").
    #[arg(long)]
    note: Option<String>,
    /// Where to write the report.
    #[arg(long, default_value = "target/bench/results.md")]
    out: PathBuf,
}

fn sibling(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(name)))
        .unwrap_or_else(|| PathBuf::from(name))
}

fn default_scripts() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [Path::new("std-probes"), Path::new("/usr/sbin")] {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "bt"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

fn shell(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn header(cli: &Cli, tools: &Tools) -> String {
    let mut h = format!(
        "# tracec benchmarks\n\n\
         - date: {}\n\
         - machine: {}, {} CPUs ({}), kernel {}\n\
         - tracec: {} ({})\n\
         - tracerun: {}\n\
         - bpftrace: {} ({}), bpftrace-aotrt: {}\n\
         - load average at start: {}\n",
        shell("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        shell("uname", &["-m"]),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        shell("uname", &["-r"]),
        shell(&tools.tracec.to_string_lossy(), &["--version"]),
        tools.tracec.display(),
        tools.tracerun.display(),
        shell(&tools.bpftrace.to_string_lossy(), &["--version"]),
        tools.bpftrace.display(),
        tools.aotrt.display(),
        loadavg(),
    );
    let debug = [&tools.tracec, &tools.tracerun]
        .iter()
        .any(|p| p.components().any(|c| c.as_os_str() == "debug"));
    if debug {
        h.push_str("- **debug builds under test: times and sizes are not representative**\n");
    }
    if let Some(n) = &cli.note {
        h.push_str(&format!("- note: {n}\n"));
    }
    h
}

fn tools(cli: &Cli, work: PathBuf) -> Tools {
    Tools {
        tracec: cli.tracec.clone().unwrap_or_else(|| sibling("tracec")),
        tracerun: cli.tracerun.clone().unwrap_or_else(|| sibling("tracerun")),
        bpftrace: cli.bpftrace.clone(),
        aotrt: cli.aotrt.clone(),
        work,
    }
}

fn run(cli: &Cli) -> std::io::Result<Report> {
    let work = std::env::temp_dir().join(format!("tracec-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let tools = tools(cli, work.clone());
    for p in [
        &tools.tracec,
        &tools.tracerun,
        &tools.bpftrace,
        &tools.aotrt,
    ] {
        if !p.exists() {
            return Err(std::io::Error::other(format!("{} not found", p.display())));
        }
    }
    let (runs, rounds, calls) = if cli.quick {
        (cli.runs.min(3), cli.rounds.min(3), cli.calls.min(300_000))
    } else {
        (cli.runs.max(1), cli.rounds.max(1), cli.calls.max(1000))
    };
    let want = |s: &str| cli.only.is_empty() || cli.only.iter().any(|o| o == s);
    let mut report = Report::default();
    let step = |name: &str| eprintln!("tracec-bench: {name}...");

    if want("compile") || want("code") {
        step("finding the scripts both compilers accept");
        let paths = if cli.scripts.is_empty() {
            default_scripts()
        } else {
            cli.scripts.clone()
        };
        let (scripts, skipped) = compile::discover(&tools, &paths)?;
        if want("compile") {
            step("compile time");
            compile::bench_compile(&tools, &scripts, runs, &mut report)?;
        }
        if want("code") {
            step("generated code and verifier counts");
            compile::bench_code(&tools, &scripts, &mut report)?;
        }
        compile::skipped_section(&skipped, &mut report);
    }
    if want("start") {
        step("start to exit");
        runtime::bench_start(&tools, runs, &mut report)?;
    }
    if want("size") {
        step("binary sizes");
        runtime::bench_size(&tools, &mut report)?;
    }
    if want("overhead") {
        step("per-event overhead");
        events::bench_overhead(&tools, rounds, calls, &mut report)?;
    }
    if want("throughput") {
        step("event throughput");
        events::bench_throughput(&tools, &cli.rates, cli.seconds, &mut report)?;
    }
    if want("idle") {
        step("idle CPU");
        events::bench_idle(&tools, Duration::from_secs(3), &mut report)?;
    }
    if want("maps") {
        step("map printing at exit");
        events::bench_map_print(&tools, cli.map_keys, &mut report)?;
    }
    if want("scaling") {
        step("scaling");
        scaling::bench_scaling(&tools, &cli.sizes, runs, &mut report)?;
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(report)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("tracec-bench: error: run as root (the runtimes load BPF programs)");
        return ExitCode::from(2);
    }
    let head = header(&cli, &tools(&cli, PathBuf::new()));
    match run(&cli) {
        Ok(report) => {
            let text = report.render(&format!("{head}- load average at end: {}\n", loadavg()));
            print!("{text}");
            if let Some(dir) = cli.out.parent().filter(|d| !d.as_os_str().is_empty()) {
                let _ = std::fs::create_dir_all(dir);
            }
            if let Err(e) = std::fs::write(&cli.out, &text) {
                eprintln!("tracec-bench: error: writing {}: {e}", cli.out.display());
                return ExitCode::FAILURE;
            }
            eprintln!("tracec-bench: report written to {}", cli.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tracec-bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}
