//! `self:signal:SIGNAL`: run by tracerun (through `BPF_PROG_TEST_RUN`, like BEGIN)
//! each time tracerun itself receives SIGNAL. bpftrace supports `SIGUSR1`.

use super::{canonical_name, symbol_stem, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

/// Signals a `self:signal` probe may name, with their numbers.
const SIGNALS: &[(&str, i32)] = &[("SIGUSR1", libc_sigusr1())];

const fn libc_sigusr1() -> i32 {
    10 // SIGUSR1 on Linux (x86, arm, riscv, ...)
}

pub(super) fn expand(ap: &AttachPoint) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let err = |m: String| Diagnostic::error(ap.span, m);
    let names: Vec<&str> = SIGNALS.iter().map(|s| s.0).collect();
    let signal = match &ap.parts[1..] {
        [what, sig] if what == "signal" => sig.as_str(),
        [what, ..] if what != "signal" => {
            return Err(err(format!("unknown self probe type '{what}'"))
                .with_note("self probes: self:signal:SIGUSR1"))
        }
        _ => {
            return Err(err("self:signal probe needs a signal".into())
                .with_note(format!("supported signals: {}", names.join(", "))))
        }
    };
    let Some(&(name, number)) = SIGNALS.iter().find(|s| s.0 == signal) else {
        return Err(err(format!("signal '{signal}' is not supported"))
            .with_note(format!("supported signals: {}", names.join(", "))));
    };
    Ok(vec![ExpandedProbe {
        name: canonical_name("self", ap),
        section: "raw_tp".to_string(),
        symbol_stem: symbol_stem("self", &ap.parts[1..]),
        attach: Attach::Signal {
            signal: name.to_string(),
            number,
        },
        context: Context::None,
    }])
}
