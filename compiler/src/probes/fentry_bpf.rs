//! `fentry:bpf[:ID]:PATTERN` / `fexit:bpf[:ID]:PATTERN`: a BPF trampoline on
//! running BPF programs and their subprograms. Which programs run is known only
//! when the object is run, so the probe names a pattern ([`Attach::FentryBpf`]):
//! the runtime finds every function in the BTF func info of the program with id ID
//! (of every program without one) whose name matches PATTERN, and loads the
//! program once per target. As in bpftrace, `args` is not available.

use super::{sanitize, BtfArgs, Context, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

pub(super) fn expand(
    ap: &AttachPoint,
    kind: &str,
    ret: bool,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let err = |m: String| Diagnostic::error(ap.span, m);
    let (id, pattern) = match &ap.parts[2..] {
        [p] if !p.is_empty() => (0, p.as_str()),
        [id, p] if !p.is_empty() => match id.parse::<u32>() {
            Ok(n) if n > 0 => (n, p.as_str()),
            _ => {
                return Err(err(format!(
                    "Invalid program id '{id}' in {kind}:bpf probe"
                )))
            }
        },
        _ => {
            return Err(err(format!("{kind}:bpf probe needs a program name"))
                .with_note(format!("e.g. {kind}:bpf:prog_name or {kind}:bpf:123:*")))
        }
    };
    let name = match id {
        0 => format!("{kind}:bpf:{pattern}"),
        n => format!("{kind}:bpf:{n}:{pattern}"),
    };
    let stem = match id {
        0 => format!("{kind}_bpf_{pattern}"),
        n => format!("{kind}_bpf_{n}_{pattern}"),
    };
    Ok(vec![ExpandedProbe {
        name,
        section: format!("{kind}/bpf:{id}:{pattern}"),
        symbol_stem: sanitize(&stem),
        attach: Attach::FentryBpf {
            id,
            pattern: pattern.to_string(),
            ret,
        },
        context: Context::BtfArgs(BtfArgs {
            args: Vec::new(),
            retval: None,
            function: None,
            argn: false,
        }),
    }])
}
