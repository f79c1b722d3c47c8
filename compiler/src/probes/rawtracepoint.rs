//! `rawtracepoint[:MODULE]:EVENT` (short name `rt`): a BTF-enabled raw tracepoint
//! program (`tp_btf`, as bpftrace loads it) on a kernel tracepoint. Its arguments are the tracepoint's C arguments, typed by the kernel
//! BTF typedef `btf_trace_<EVENT>`: `argN` and `args.NAME`. `*`/`?` in EVENT match
//! every raw tracepoint the BTF describes. Only the kernel's own BTF (`vmlinux`)
//! is read, so MODULE must be `vmlinux` (or a pattern matching it).

use super::btf_funcs::{self, RAWTP_PREFIX};
use super::glob::{closest, has_wildcard, matches};
use super::{sanitize, BtfArgs, Context, Env, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use crate::kbtf::{Btf, Kind};
use tracec_meta::Attach;

pub(super) fn expand(ap: &AttachPoint, env: &Env) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let err = |m: String| Diagnostic::error(ap.span, m);
    let (module, event) = match &ap.parts[1..] {
        [e] if !e.is_empty() => (None, e.as_str()),
        [m, e] if !m.is_empty() && !e.is_empty() => (Some(m.as_str()), e.as_str()),
        _ => {
            return Err(err("rawtracepoint probe needs an event".into()).with_note(
                "e.g. rawtracepoint:sched_switch or rawtracepoint:vmlinux:sched_switch",
            ))
        }
    };
    if let Some(m) = module {
        if !matches(m, "vmlinux") {
            return Err(
                err(format!("No matches for rawtracepoint {m}:{event}."))
                    .with_note("tracec reads only the kernel's BTF (vmlinux); kernel module tracepoints are not supported yet"),
            );
        }
    }
    let btf = btf_funcs::for_env(env).map_err(|e| {
        err(format!("rawtracepoint needs kernel BTF: {e}")).with_label("needed for this probe")
    })?;
    let names = if has_wildcard(event) {
        let all = btf_funcs::names_with_prefix(&btf, Kind::Typedef, RAWTP_PREFIX);
        let found: Vec<String> = all.into_iter().filter(|n| matches(event, n)).collect();
        if found.is_empty() {
            return Err(err(format!("No matches for rawtracepoint {event}.")));
        }
        found
    } else {
        vec![event.to_string()]
    };
    names.iter().map(|n| probe(ap, &btf, module, n)).collect()
}

fn probe(
    ap: &AttachPoint,
    btf: &Btf,
    module: Option<&str>,
    name: &str,
) -> Result<ExpandedProbe, Diagnostic> {
    let Some(proto) = btf_funcs::rawtp_proto(btf, name) else {
        // bpftrace's text; the name is in the note.
        let mut d = Diagnostic::error(ap.span, "Probe has no valid attach points.")
            .with_label("no btf_trace_ typedef in the kernel BTF")
            .with_note(format!("there is no raw tracepoint '{name}'"));
        let all = btf_funcs::names_with_prefix(btf, Kind::Typedef, RAWTP_PREFIX);
        if let Some(best) = closest(name, all.iter().map(String::as_str)) {
            d = d.with_note(format!("did you mean '{best}'?"));
        }
        return Err(d);
    };
    let (args, _) = btf_funcs::proto_args(btf, proto, 1)
        .map_err(|e| Diagnostic::error(ap.span, format!("raw tracepoint '{name}': {e}")))?;
    let shown = match module {
        Some(m) if !has_wildcard(m) => format!("rawtracepoint:{m}:{name}"),
        Some(_) => format!("rawtracepoint:vmlinux:{name}"),
        None => format!("rawtracepoint:{name}"),
    };
    Ok(ExpandedProbe {
        name: shown,
        section: format!("tp_btf/{name}"),
        symbol_stem: sanitize(&format!("rawtracepoint_{name}")),
        attach: Attach::RawTracepoint {
            name: name.to_string(),
        },
        context: Context::BtfArgs(BtfArgs {
            args,
            retval: None,
            function: None,
            argn: true,
        }),
    })
}
