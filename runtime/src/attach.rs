//! Attaching a loaded object's probes: in the order that keeps several uprobes on
//! one function in script order, under the script's `missing_probes` policy, and
//! `Attached N probes` once done.

use crate::load;
use crate::Error;
use aya::Ebpf;
use tracec_meta::{Attach, Metadata, MissingProbes, ProbeSpec};

/// Attach every probe of `meta` but BEGIN/END; returns how many probes count as
/// attached for `Attached N probes` (BEGIN and END included; skipped ones, and
/// `bench:`/`test:` probes outside their modes, not).
/// Warnings about skipped probes go to stderr unless `no_warnings`.
pub fn attach_all(ebpf: &mut Ebpf, meta: &Metadata, no_warnings: bool) -> Result<usize, Error> {
    crate::uprobe_bounds::check_probes(&meta.probes)?;
    let mut skipped = 0;
    for probe in attach_order(&meta.probes) {
        if let Err(e) = load::attach(ebpf, probe) {
            let warning = missing_probe(meta.missing_probes, probe, e)?;
            if let Some(w) = warning.filter(|_| !no_warnings) {
                eprintln!("{w}");
            }
            skipped += 1;
        }
    }
    // bench: and test: probes run only in their modes.
    let runnable = meta
        .probes
        .iter()
        .filter(|p| !matches!(p.attach, Attach::Bench { .. } | Attach::Test { .. }))
        .count();
    Ok(runnable - skipped)
}

/// bpftrace's hook for test harnesses: with `__BPFTRACE_NOTIFY_PROBES_ATTACHED` in the
/// environment, print that name on its own line to stdout once the probes are attached
/// (with `-q` too), so a harness knows when to start its workload.
pub fn notify_attached() {
    const NOTIFY: &str = "__BPFTRACE_NOTIFY_PROBES_ATTACHED";
    if std::env::var_os(NOTIFY).is_some() {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{NOTIFY}").and_then(|()| out.flush());
    }
}

/// The text of `Attached N probes`.
pub fn attached_message(n: usize) -> String {
    if n == 1 {
        "Attached 1 probe".to_string()
    } else {
        format!("Attached {n} probes")
    }
}

/// A probe that did not attach, under the script's `missing_probes` (bpftrace's
/// wording): an error that stops the run, or the probe is skipped with a warning to
/// print (`Ok(Some)`) or silently (`Ok(None)`).
fn missing_probe(
    policy: MissingProbes,
    probe: &ProbeSpec,
    e: Error,
) -> Result<Option<String>, Error> {
    match policy {
        MissingProbes::Error => Err(Error::new(format!(
            "{e}\nERROR: Unable to attach probe: {}. If this is expected, set the 'missing_probes' config variable to 'warn'.",
            probe.name
        ))),
        MissingProbes::Warn => Ok(Some(format!(
            "WARNING: {e}\nWARNING: Unable to attach probe: {}. Skipping.",
            probe.name
        ))),
        MissingProbes::Ignore => Ok(None),
    }
}

/// The probes to attach, in the order that makes several probes on one function run
/// in script order: the kernel runs a uprobe's newest consumer first, so uprobes (and
/// uretprobes, and USDT probes, which are uprobes) are attached last to first; every
/// other kind runs in attach order.
fn attach_order(probes: &[ProbeSpec]) -> Vec<&ProbeSpec> {
    let attached = |p: &&ProbeSpec| !matches!(p.attach, Attach::Begin | Attach::End);
    let is_uprobe =
        |p: &&ProbeSpec| matches!(p.attach, Attach::Uprobe { .. } | Attach::Usdt { .. });
    let mut order: Vec<_> = probes
        .iter()
        .filter(attached)
        .filter(|p| !is_uprobe(p))
        .collect();
    order.extend(probes.iter().rev().filter(is_uprobe));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attached_wording() {
        assert_eq!(attached_message(1), "Attached 1 probe");
        assert_eq!(attached_message(0), "Attached 0 probes");
        assert_eq!(attached_message(3), "Attached 3 probes");
    }

    #[test]
    fn uprobes_attach_last_to_first() {
        let probe = |name: &str, attach: Attach| ProbeSpec {
            program: name.into(),
            section: String::new(),
            name: name.into(),
            attach,
            cookie: None,
        };
        let up = |name: &str| {
            probe(
                name,
                Attach::Uprobe {
                    path: "/bin/bash".into(),
                    symbol: "f".into(),
                    offset: 0,
                    ret: false,
                },
            )
        };
        let usdt = |name: &str| {
            probe(
                name,
                Attach::Usdt {
                    path: "/bin/prog".into(),
                    provider: "p".into(),
                    name: "n".into(),
                },
            )
        };
        let probes = vec![
            probe("begin", Attach::Begin),
            up("u1"),
            usdt("s1"),
            probe("i", Attach::Interval { period_ns: 1 }),
            up("u2"),
            usdt("s2"),
            probe("end", Attach::End),
        ];
        let names: Vec<&str> = attach_order(&probes)
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["i", "s2", "u2", "s1", "u1"]);
    }
}
