//! `software:EVENT[:COUNT]` (`s`) and `hardware:EVENT[:COUNT]` (`h`): a
//! `perf_event` program sampling a perf counter every COUNT events on every CPU.
//! Event names and default counts are bpftrace's (perf_event_open(2) names and
//! their short aliases).

use super::interval::parse_count;
use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

/// (names, `PERF_COUNT_SW_*` id, default count).
const SOFTWARE: &[(&[&str], u64, u64)] = &[
    (&["cpu-clock", "cpu"], 0, 1_000_000),
    (&["task-clock"], 1, 1_000_000),
    (&["page-faults", "faults"], 2, 100),
    (&["context-switches", "cs"], 3, 1_000),
    (&["cpu-migrations"], 4, 1),
    (&["minor-faults"], 5, 100),
    (&["major-faults"], 6, 1),
    (&["alignment-faults"], 7, 1),
    (&["emulation-faults"], 8, 1),
    (&["dummy"], 9, 1),
    (&["bpf-output"], 10, 1),
];

/// (names, `PERF_COUNT_HW_*` id, default count).
const HARDWARE: &[(&[&str], u64, u64)] = &[
    (&["cpu-cycles", "cycles"], 0, 1_000_000),
    (&["instructions"], 1, 1_000_000),
    (&["cache-references"], 2, 1_000_000),
    (&["cache-misses"], 3, 1_000_000),
    (&["branch-instructions", "branches"], 4, 100_000),
    (&["branch-misses"], 5, 100_000),
    (&["bus-cycles"], 6, 100_000),
    (&["frontend-stalls"], 7, 1_000_000),
    (&["backend-stalls"], 8, 1_000_000),
    (&["ref-cycles"], 9, 1_000_000),
];

/// Every event name and alias of the software (or hardware) provider, as `-l` lists them.
pub(super) fn names(hardware: bool) -> impl Iterator<Item = &'static str> {
    let table = if hardware { HARDWARE } else { SOFTWARE };
    table.iter().flat_map(|(names, _, _)| names.iter().copied())
}

/// The (config, default count) of event `name`.
pub(super) fn lookup(hardware: bool, name: &str) -> Option<(u64, u64)> {
    let table = if hardware { HARDWARE } else { SOFTWARE };
    table
        .iter()
        .find(|(names, _, _)| names.contains(&name))
        .map(|&(_, config, count)| (config, count))
}

pub(super) fn expand(ap: &AttachPoint, hardware: bool) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let kind = if hardware { "hardware" } else { "software" };
    let err = |m: String| Diagnostic::error(ap.span, m);
    let (event, count) = match &ap.parts[1..] {
        [e] => (e.as_str(), None),
        [e, c] if c.is_empty() => (e.as_str(), None),
        [e, c] => (e.as_str(), Some(c.as_str())),
        _ => {
            return Err(err(format!("{kind} probe needs an event"))
                .with_note(format!("e.g. {kind}:{}:1000", first_name(hardware))))
        }
    };
    let Some((config, default)) = lookup(hardware, event) else {
        let table = if hardware { HARDWARE } else { SOFTWARE };
        let names: Vec<&str> = table
            .iter()
            .flat_map(|(n, _, _)| n.iter().copied())
            .collect();
        let mut d = err(format!("unknown {kind} event '{event}'"));
        if let Some(best) = super::glob::closest(event, names.iter().copied()) {
            d = d.with_note(format!("did you mean '{best}'?"));
        }
        return Err(d.with_note(format!("{kind} events: {}", names.join(", "))));
    };
    let period = match count {
        None => default,
        Some(c) => parse_count(c).map_err(|e| err(format!("invalid {kind} count: {e}")))?,
    };
    if period == 0 {
        return Err(err(format!("{kind} count must be at least 1")));
    }
    Ok(vec![ExpandedProbe {
        name: canonical_name(kind, ap),
        section: "perf_event".to_string(),
        symbol_stem: symbol_stem(kind, &ap.parts[1..]),
        attach: Attach::PerfCounter {
            hardware,
            event: event.to_string(),
            config,
            period,
        },
        context: Context::None,
    }])
}

fn first_name(hardware: bool) -> &'static str {
    if hardware {
        "cache-misses"
    } else {
        "page-faults"
    }
}
