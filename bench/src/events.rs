//! Work per event: the ns a tracer adds to `getpid()`, and printf event throughput
//! with loss accounting.

use crate::proc::{self, Session};
use crate::report::{table, Report};
use crate::stats::{self, Summary};
use crate::tools::{first_error, Tools};
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One `getpid()` system call (not the libc wrapper, which may cache).
#[inline]
pub fn getpid() {
    // SAFETY: SYS_getpid takes no arguments and cannot fail.
    std::hint::black_box(unsafe { libc::syscall(libc::SYS_getpid) });
}

/// ns per call of `n` getpid calls.
pub fn getpid_loop(n: u64) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        getpid();
    }
    t.elapsed().as_nanos() as f64 / n as f64
}

/// Which tracer runs while the loop runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tracer {
    Ours,
    Bpftrace,
}

/// A compiled script for both tracers.
#[derive(Debug, Clone)]
pub struct Pair {
    pub script: PathBuf,
    pub object: PathBuf,
    /// Environment for bpftrace (0.17 has no `config` block; its settings are variables).
    pub bpftrace_env: Vec<(String, String)>,
}

impl Pair {
    pub fn new(tools: &Tools, name: &str, source: &str) -> io::Result<Pair> {
        Pair::with_config(tools, name, source, &[])
    }

    /// The same program under settings: a `config = { ... }` block for tracec, the
    /// `BPFTRACE_<NAME>` environment variables for bpftrace 0.17.
    pub fn with_config(
        tools: &Tools,
        name: &str,
        source: &str,
        config: &[(&str, String)],
    ) -> io::Result<Pair> {
        let script = tools.script(&format!("{name}.bt"), source)?;
        let ours = if config.is_empty() {
            script.clone()
        } else {
            let items: Vec<String> = config.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            let block = format!("config = {{ {} }}\n{source}", items.join("; "));
            tools.script(&format!("{name}.tracec.bt"), &block)?
        };
        let bpftrace_env = config
            .iter()
            .map(|(k, v)| (format!("BPFTRACE_{}", k.to_uppercase()), v.clone()))
            .collect();
        let object = tools.path(&format!("{name}.tracec.o"));
        let o = proc::run(&mut tools.tracec(&ours, &object))?;
        if !o.success() {
            return Err(io::Error::other(format!(
                "tracec rejects {name}: {}",
                first_error(&o.stderr)
            )));
        }
        Ok(Pair {
            script,
            object,
            bpftrace_env,
        })
    }

    /// Start the tracer on this script and wait until it has attached (plus a
    /// settling pause: bpftrace announces `Attaching` before it attaches).
    pub fn start(
        &self,
        tools: &Tools,
        tracer: Tracer,
        args: &[String],
        count_line: &str,
    ) -> io::Result<Session> {
        let mut cmd = match tracer {
            Tracer::Ours => tools.tracerun(&self.object, args),
            Tracer::Bpftrace => {
                let mut c = tools.bpftrace(&self.script, args);
                c.envs(self.bpftrace_env.iter().map(|(k, v)| (k, v)));
                c
            }
        };
        let mut s = Session::start(&mut cmd, "Attach", count_line)?;
        if !s.wait_ready(1, Duration::from_secs(30)) {
            let end = s.stop(Duration::from_secs(5))?;
            return Err(io::Error::other(format!(
                "{} did not attach: {}",
                name(tracer),
                first_error(&end.lines.join("\n"))
            )));
        }
        std::thread::sleep(Duration::from_millis(700));
        Ok(s)
    }
}

pub fn name(t: Tracer) -> &'static str {
    match t {
        Tracer::Ours => "tracerun",
        Tracer::Bpftrace => "bpftrace",
    }
}

const EMPTY: &str = "tracepoint:syscalls:sys_enter_getpid { }\n";
const COUNT: &str = "tracepoint:syscalls:sys_enter_getpid { @[comm] = count(); }\n";

/// Per-event overhead: ns per getpid with no tracer, the empty program and the
/// counting program, for both tracers, in alternating rounds.
pub fn bench_overhead(
    tools: &Tools,
    rounds: usize,
    calls: u64,
    report: &mut Report,
) -> io::Result<()> {
    let empty = Pair::new(tools, "overhead-empty", EMPTY)?;
    let count = Pair::new(tools, "overhead-count", COUNT)?;
    let variants: [(&str, Option<(&Pair, Tracer)>); 5] = [
        ("no tracer", None),
        ("empty program, tracerun", Some((&empty, Tracer::Ours))),
        ("empty program, bpftrace", Some((&empty, Tracer::Bpftrace))),
        (
            "`@[comm] = count()`, tracerun",
            Some((&count, Tracer::Ours)),
        ),
        (
            "`@[comm] = count()`, bpftrace",
            Some((&count, Tracer::Bpftrace)),
        ),
    ];
    let samples = stats::alternate(rounds, variants.len(), |v| -> io::Result<f64> {
        let session = match variants[v].1 {
            Some((pair, tracer)) => Some(pair.start(tools, tracer, &[], "\u{0}never")?),
            None => None,
        };
        getpid_loop(calls / 10); // warm up
        let mut inner: Vec<f64> = (0..3).map(|_| getpid_loop(calls)).collect();
        inner.sort_by(f64::total_cmp);
        if let Some(s) = session {
            s.stop(Duration::from_secs(10))?;
        }
        Ok(inner[1])
    })?;
    let sums: Vec<Summary> = samples
        .iter()
        .map(|s| Summary::of(s).expect("rounds >= 1"))
        .collect();
    let base = sums[0].median;
    let rows: Vec<Vec<String>> = variants
        .iter()
        .zip(&sums)
        .map(|((label, _), s)| {
            vec![
                label.to_string(),
                format!("{:.0} ns ({:.0}–{:.0})", s.median, s.min, s.max),
                format!("{:+.0} ns", s.median - base),
            ]
        })
        .collect();
    let body = format!(
        "`syscall(SYS_getpid)` in a loop of {calls} calls inside the harness (median of 3 loops \
         per tracer session, then median (min–max) over {rounds} alternating sessions). Added is \
         the difference to the no-tracer median; the count program's cost over the empty \
         program is the tracer's own per-event work.\n\n{}",
        table(&["while running", "ns per getpid", "added"], &rows)
    );
    report.section("Per-event overhead", body);
    let ours = sums[3].median - sums[1].median;
    let theirs = sums[4].median - sums[2].median;
    let (ours_total, theirs_total) = (sums[3].median - base, sums[4].median - base);
    report.goal(
        "per-event overhead",
        "no worse than bpftrace's",
        format!(
            "+{ours_total:.0} ns vs +{theirs_total:.0} ns over no tracer ({ours:+.0} vs {theirs:+.0} ns over the empty program)"
        ),
        // Within noise of a few ns counts as equal.
        Some(ours_total <= theirs_total + 5.0),
    );
    Ok(())
}

/// Issue `total` getpid calls at `rate` per second (unpaced when `rate` is 0), in
/// bursts every millisecond. Returns the elapsed time.
pub fn paced(rate: u64, total: u64) -> Duration {
    let t = Instant::now();
    if rate == 0 {
        for _ in 0..total {
            getpid();
        }
        return t.elapsed();
    }
    let mut sent = 0u64;
    while sent < total {
        let due = ((t.elapsed().as_nanos() * rate as u128) / 1_000_000_000) as u64;
        let due = due.min(total);
        while sent < due {
            getpid();
            sent += 1;
        }
        if sent < total {
            std::thread::sleep(Duration::from_micros(1000));
        }
    }
    t.elapsed()
}

/// One throughput run's accounting.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub sent: u64,
    pub delivered: u64,
    pub reported_lost: u64,
    pub elapsed: Duration,
}

impl Delivery {
    /// Events neither delivered nor reported lost.
    pub fn silent(&self) -> i64 {
        self.sent as i64 - self.delivered as i64 - self.reported_lost as i64
    }
}

fn throughput_run(
    tools: &Tools,
    pair: &Pair,
    tracer: Tracer,
    rate: u64,
    seconds: f64,
) -> io::Result<Delivery> {
    // SAFETY: getpid cannot fail.
    let me = unsafe { libc::getpid() }.to_string();
    let session = pair.start(tools, tracer, std::slice::from_ref(&me), "e")?;
    let total = if rate == 0 {
        (2_000_000.0 * seconds) as u64
    } else {
        (rate as f64 * seconds) as u64
    };
    let elapsed = paced(rate, total);
    session.settle(Duration::from_millis(500), Duration::from_secs(20));
    let end = session.stop(Duration::from_secs(20))?;
    Ok(Delivery {
        sent: total,
        delivered: end.counted,
        reported_lost: proc::lost_events(&end.lines),
        elapsed,
    })
}

const PRINTF: &str = "tracepoint:syscalls:sys_enter_getpid /pid == $1/ { printf(\"e\\n\"); }\n";

/// Printf events per second: delivered, reported lost, and silently lost, per rate.
pub fn bench_throughput(
    tools: &Tools,
    rates: &[u64],
    seconds: f64,
    report: &mut Report,
) -> io::Result<()> {
    let pair = Pair::new(tools, "throughput", PRINTF)?;
    let mut rows = Vec::new();
    let mut ours_silent = 0i64;
    let mut first_bt_loss: Option<(u64, u64, u64)> = None; // (rate, bpftrace lost, ours lost)
    for &rate in rates {
        let mut pair_result = [None, None];
        for (i, tracer) in [Tracer::Ours, Tracer::Bpftrace].into_iter().enumerate() {
            let d = throughput_run(tools, &pair, tracer, rate, seconds)?;
            let silent = d.silent();
            if tracer == Tracer::Ours {
                ours_silent += silent.max(0);
            }
            rows.push(vec![
                if rate == 0 {
                    "unpaced".into()
                } else {
                    format!("{rate}/s")
                },
                name(tracer).into(),
                d.sent.to_string(),
                d.delivered.to_string(),
                d.reported_lost.to_string(),
                silent.to_string(),
                stats::dur(d.elapsed),
                format!("{:.0}", d.delivered as f64 / d.elapsed.as_secs_f64()),
            ]);
            pair_result[i] = Some(d);
        }
        if let [Some(o), Some(b)] = pair_result {
            let lost = |d: &Delivery| d.sent.saturating_sub(d.delivered);
            if first_bt_loss.is_none() && lost(&b) > 0 {
                first_bt_loss = Some((rate, lost(&b), lost(&o)));
            }
        }
    }
    let body = format!(
        "`{}` (`$1` is the harness's pid), getpid paced in 1 ms bursts for {seconds} s per run \
         (unpaced: as fast as the loop goes). Delivered counts the `e` lines read from the \
         tracer's stdout; reported is the sum of `Lost N events` lines; silent is sent minus \
         both (negative: other threads' events). Delivered/s is per second of sending: when \
         sending takes longer than planned, the tracer slowed the traced process down.\n\n{}",
        PRINTF.trim(),
        table(
            &[
                "rate",
                "tracer",
                "sent",
                "delivered",
                "reported lost",
                "silent",
                "sending took",
                "delivered/s",
            ],
            &rows
        )
    );
    report.section("Event throughput", body);
    report.goal(
        "no silent loss",
        "every lost event reported, at any rate",
        format!("{ours_silent} silently lost"),
        Some(ours_silent == 0),
    );
    report.goal(
        "loss under overload",
        "less than bpftrace at the rate it starts losing",
        match first_bt_loss {
            Some((r, b, o)) => format!(
                "at {}: {o} lost vs bpftrace {b}",
                if r == 0 {
                    "unpaced".into()
                } else {
                    format!("{r}/s")
                }
            ),
            None => "bpftrace lost nothing at the rates tried (see the sending times)".into(),
        },
        first_bt_loss.map(|(_, b, o)| o < b),
    );
    Ok(())
}

/// Time to print a map of `keys` entries at exit, and whether all were printed.
pub fn bench_map_print(tools: &Tools, keys: u64, report: &mut Report) -> io::Result<()> {
    // Both default to 4,096 keys per map; raise the limit to what is printed.
    let pair = Pair::with_config(
        tools,
        "map-print",
        "tracepoint:syscalls:sys_enter_getpid /pid == $1/ { @[nsecs] = count(); }\n",
        &[("max_map_keys", keys.to_string())],
    )?;
    // SAFETY: getpid cannot fail.
    let me = unsafe { libc::getpid() }.to_string();
    let mut rows = Vec::new();
    for tracer in [Tracer::Ours, Tracer::Bpftrace] {
        let s = pair.start(tools, tracer, std::slice::from_ref(&me), "\u{0}never")?;
        paced(0, keys);
        let end = s.stop(Duration::from_secs(60))?;
        let printed = end.lines.iter().filter(|l| l.starts_with("@[")).count();
        rows.push(vec![
            name(tracer).into(),
            keys.to_string(),
            printed.to_string(),
            stats::dur(end.stop_time),
            stats::kib(end.maxrss_kib as f64),
            if end.outcome_status == 128 + libc::SIGKILL {
                "killed after 60 s".to_string()
            } else {
                end.outcome_status.to_string()
            },
        ]);
    }
    report.section(
        "Map printing at exit",
        format!(
            "`@[nsecs] = count()` on `{keys}` getpid calls, then SIGINT: the time from the \
             signal to exit (printing the map) and the entries printed.\n\n{}",
            table(
                &[
                    "tracer",
                    "keys",
                    "printed",
                    "SIGINT to exit",
                    "peak RSS",
                    "exit status"
                ],
                &rows
            )
        ),
    );
    Ok(())
}

/// CPU time used by an idle tracer (a probe that never fires) over `window`.
pub fn bench_idle(tools: &Tools, window: Duration, report: &mut Report) -> io::Result<()> {
    let pair = Pair::new(
        tools,
        "idle",
        "tracepoint:syscalls:sys_enter_getpid /pid == 1/ { printf(\"e\\n\"); }\n",
    )?;
    let mut rows = Vec::new();
    let mut ours = None;
    for tracer in [Tracer::Ours, Tracer::Bpftrace] {
        let s = pair.start(tools, tracer, &[], "e")?;
        let a = s.cpu_ticks();
        std::thread::sleep(window);
        let b = s.cpu_ticks();
        s.stop(Duration::from_secs(10))?;
        let used = a.zip(b).map(|(a, b)| b.saturating_sub(a));
        if tracer == Tracer::Ours {
            ours = used;
        }
        rows.push(vec![
            name(tracer).into(),
            used.map_or("?".into(), |t| format!("{t} ticks")),
        ]);
    }
    report.section(
        "Idle CPU",
        format!(
            "CPU time (user + system, clock ticks of 10 ms) while attached to a probe that \
             does not fire, over {}.\n\n{}",
            stats::dur(window),
            table(&["tracer", "CPU used"], &rows)
        ),
    );
    report.goal(
        "idle CPU",
        "zero",
        ours.map_or("?".into(), |t| {
            format!("{t} ticks over {}", stats::dur(window))
        }),
        ours.map(|t| t == 0),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_loss_is_what_is_unaccounted() {
        let d = Delivery {
            sent: 100,
            delivered: 90,
            reported_lost: 7,
            elapsed: Duration::from_secs(1),
        };
        assert_eq!(d.silent(), 3);
    }

    #[test]
    fn pacing_takes_about_total_over_rate() {
        let e = paced(20_000, 2_000);
        assert!(e >= Duration::from_millis(95), "{e:?}");
        assert!(paced(0, 10) < Duration::from_secs(1));
    }
}
