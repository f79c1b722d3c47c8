//! `rawtracepoint[:MODULE]:EVENT` (short name `rt`): a BTF-enabled raw tracepoint
//! program (`tp_btf`, as bpftrace loads it) on a kernel tracepoint. Its arguments are the tracepoint's C arguments, typed by the kernel
//! BTF typedef `btf_trace_<EVENT>`: `argN` and `args.NAME`. `*`/`?` in EVENT match
//! every raw tracepoint the BTF describes. MODULE is `vmlinux` (the kernel's own
//! BTF) or a kernel module whose split BTF defines the typedef (`kmod.rs`); a
//! pattern matches the kernel and the modules with BTF.

use super::btf_funcs::{self, RAWTP_PREFIX};
use super::glob::{closest, has_wildcard, matches};
use super::kmod;
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
    // As bpftrace: a tracepoint the kernel lacks may be a module's, and a pattern
    // matches modules' tracepoints too.
    let modules = kmod::candidates(env, module, event, || {
        btf_funcs::for_env(env).is_ok_and(|b| btf_funcs::rawtp_proto(&b, event).is_some())
    });
    let no_match = || {
        let shown = match module {
            Some(m) => format!("{m}:{event}"),
            None => event.to_string(),
        };
        err(format!("No matches for rawtracepoint {shown}."))
    };
    if modules.is_empty() {
        return Err(no_match());
    }
    let several = modules.len() > 1;
    let mut out = Vec::new();
    for m in &modules {
        let Some(btf) = kmod::candidate_btf(env, module, m.as_deref()) else {
            continue;
        };
        let btf = btf.map_err(|e| {
            err(format!("rawtracepoint needs kernel BTF: {e}")).with_label("needed for this probe")
        })?;
        let ids = m.as_deref().and_then(|m| btf.module_ids(m));
        let in_scope = |id: u32| match &ids {
            Some(r) => r.contains(&id),
            None => id < btf.base_len(),
        };
        let all = || -> Vec<String> {
            let mut v: Vec<String> = btf
                .types()
                .filter(|t| t.kind() == Kind::Typedef && in_scope(t.id()))
                .filter_map(|t| t.name().strip_prefix(RAWTP_PREFIX).map(str::to_string))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let names = if has_wildcard(event) {
            all().into_iter().filter(|n| matches(event, n)).collect()
        } else if several && !all().iter().any(|n| n == event) {
            Vec::new()
        } else {
            vec![event.to_string()]
        };
        for n in &names {
            out.push(probe(ap, &btf, module, m.as_deref(), n, &all)?);
        }
    }
    if out.is_empty() && module.is_none() && !has_wildcard(event) {
        // The kernel's error, with its suggestions.
        let btf = btf_funcs::for_env(env)
            .map_err(|e| err(format!("rawtracepoint needs kernel BTF: {e}")))?;
        let all = || btf_funcs::names_with_prefix(&btf, Kind::Typedef, RAWTP_PREFIX);
        return probe(ap, &btf, None, None, event, &all).map(|p| vec![p]);
    }
    if out.is_empty() {
        return Err(no_match());
    }
    Ok(out)
}

fn probe(
    ap: &AttachPoint,
    btf: &Btf,
    written: Option<&str>,
    module: Option<&str>,
    name: &str,
    all: &dyn Fn() -> Vec<String>,
) -> Result<ExpandedProbe, Diagnostic> {
    let proto = btf_funcs::rawtp_proto(btf, name).filter(|_| match module {
        // The typedef must be the module's own.
        Some(m) => btf
            .find_typedef(&format!("{RAWTP_PREFIX}{name}"))
            .is_some_and(|id| btf.module_of(id) == Some(m)),
        None => true,
    });
    let Some(proto) = proto else {
        // bpftrace's text; the name is in the note.
        let mut d = Diagnostic::error(ap.span, "Probe has no valid attach points.")
            .with_label(match module {
                Some(m) => format!("no btf_trace_ typedef in the BTF of module {m}"),
                None => "no btf_trace_ typedef in the kernel BTF".to_string(),
            })
            .with_note(format!("there is no raw tracepoint '{name}'"));
        let all = all();
        if let Some(best) = closest(name, all.iter().map(String::as_str)) {
            d = d.with_note(format!("did you mean '{best}'?"));
        }
        return Err(d);
    };
    let (args, _) = btf_funcs::proto_args(btf, proto, 1)
        .map_err(|e| Diagnostic::error(ap.span, format!("raw tracepoint '{name}': {e}")))?;
    let shown = match (module, written) {
        (Some(m), _) => format!("rawtracepoint:{m}:{name}"),
        (None, Some(w)) if !has_wildcard(w) => format!("rawtracepoint:{w}:{name}"),
        // bpftrace names a kernel raw tracepoint with its module, `vmlinux`.
        (None, _) => format!("rawtracepoint:vmlinux:{name}"),
    };
    let target = match module {
        Some(m) => format!("{m}:{name}"),
        None => name.to_string(),
    };
    Ok(ExpandedProbe {
        name: shown,
        section: format!("tp_btf/{target}"),
        symbol_stem: sanitize(&format!("rawtracepoint_{target}")),
        attach: Attach::RawTracepoint {
            name: name.to_string(),
            module: module.unwrap_or_default().to_string(),
        },
        context: Context::BtfArgs(BtfArgs {
            args,
            retval: None,
            function: None,
            argn: true,
        }),
    })
}
