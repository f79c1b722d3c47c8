//! `fentry[:MODULE]:FUNCTION` / `fexit[:MODULE]:FUNCTION` (short names `f`/`fr`,
//! old names `kfunc`/`kretfunc`): a BPF trampoline on a kernel function. The
//! arguments come from the function's BTF prototype: `args.NAME` with its kernel
//! type, and `retval` in fexit. `*`/`?` in FUNCTION match every kernel function the
//! BTF describes. MODULE is `vmlinux` (the kernel's own BTF) or a kernel module,
//! whose split BTF is read from beside the kernel's (`kmod.rs`); a pattern in
//! MODULE matches the modules that have BTF there. `fentry:bpf:...` attaches to
//! running BPF programs (`fentry_bpf.rs`).

use super::btf_funcs;
use super::glob::{closest, has_wildcard, matches};
use super::kmod;
use super::{sanitize, BtfArgs, Context, Env, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use crate::kbtf::{Btf, Kind};
use tracec_meta::Attach;

pub(super) fn expand(
    ap: &AttachPoint,
    env: &Env,
    ret: bool,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let kind = if ret { "fexit" } else { "fentry" };
    let err = |m: String| Diagnostic::error(ap.span, m);
    if ap.parts.get(1).is_some_and(|m| m == "bpf") && ap.parts.len() > 2 {
        return super::fentry_bpf::expand(ap, kind, ret);
    }
    let (module, function) = match &ap.parts[1..] {
        [f] if !f.is_empty() => (None, f.as_str()),
        [m, f] if !m.is_empty() && !f.is_empty() => (Some(m.as_str()), f.as_str()),
        _ => {
            return Err(err(format!("{kind} probe needs a kernel function"))
                .with_note(format!("e.g. {kind}:vfs_read")))
        }
    };
    let mut out = Vec::new();
    // As bpftrace: a function the kernel lacks may be a module's, and a pattern
    // matches modules' functions too.
    let modules = kmod::candidates(env, module, function, || {
        btf_funcs::for_env(env)
            .is_ok_and(|b| find_func(&b, function, &|id| id < b.base_len()).is_some())
    });
    if modules.is_empty() {
        let m = module.unwrap_or_default();
        return Err(
            err(format!("No matches for {kind} {m}:{function}")).with_note(format!(
                "there is no BTF for a kernel module '{m}' (the module is not loaded, or \
                 was built without CONFIG_DEBUG_INFO_BTF_MODULES)"
            )),
        );
    }
    // Only the modules that define the function are probed.
    let wild_module = module.is_some_and(has_wildcard) || (module.is_none() && modules.len() > 1);
    for m in &modules {
        let Some(btf) = kmod::candidate_btf(env, module, m.as_deref()) else {
            continue;
        };
        let btf = btf.map_err(|e| err(format!("{kind} needs kernel BTF: {e}")))?;
        let ids = m.as_deref().and_then(|m| btf.module_ids(m));
        let in_scope = |id: u32| match &ids {
            Some(r) => r.contains(&id),
            None => id < btf.base_len(),
        };
        let all = || -> Vec<String> {
            let mut v: Vec<String> = btf
                .types()
                .filter(|t| t.kind() == Kind::Func && in_scope(t.id()))
                .map(|t| t.name().to_string())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let names: Vec<String> = if has_wildcard(function) {
            all().into_iter().filter(|n| matches(function, n)).collect()
        } else if find_func(&btf, function, &in_scope).is_some() {
            vec![function.to_string()]
        } else if wild_module {
            // Only the modules that define the function.
            Vec::new()
        } else {
            return Err(missing(ap, kind, m.as_deref(), function, &all()));
        };
        for f in &names {
            out.push(probe(
                ap,
                &btf,
                kind,
                m.as_deref(),
                module,
                f,
                ret,
                &in_scope,
            )?);
        }
    }
    if out.is_empty() && module.is_none() && !has_wildcard(function) {
        let btf =
            btf_funcs::for_env(env).map_err(|e| err(format!("{kind} needs kernel BTF: {e}")))?;
        let all = btf_funcs::names_with_prefix(&btf, Kind::Func, "");
        return Err(missing(ap, kind, None, function, &all));
    }
    if out.is_empty() {
        let shown = match module {
            Some(m) => format!("{m}:{function}"),
            None => function.to_string(),
        };
        return Err(err(format!("No matches for {kind} {shown}")));
    }
    Ok(out)
}

/// The FUNC `name` among the ids `in_scope` accepts.
fn find_func(btf: &Btf, name: &str, in_scope: &dyn Fn(u32) -> bool) -> Option<u32> {
    btf.find_all(name).into_iter().find(|&id| {
        in_scope(id)
            && btf.ty(id).is_ok_and(|t| {
                t.kind() == Kind::Func
                    && btf
                        .ty(t.raw_type())
                        .is_ok_and(|p| p.kind() == Kind::FuncProto)
            })
    })
}

/// bpftrace's "No matches for fentry FUNCTION." (an error, or under `missing_probes`
/// a warning or nothing), saying which BTF lacks the function.
fn missing(
    ap: &AttachPoint,
    kind: &str,
    module: Option<&str>,
    function: &str,
    all: &[String],
) -> Diagnostic {
    let label = match module {
        Some(m) => format!("kernel function '{function}' is not in the BTF of module {m}"),
        None => format!("kernel function '{function}' is not in the kernel BTF"),
    };
    let text = match module {
        Some(m) => format!("No matches for {kind} {m}:{function}."),
        None => format!("No matches for {kind} {function}."),
    };
    let mut d = Diagnostic::error(ap.span, text).with_label(label);
    if function.len() >= 4 {
        if let Some(best) = closest(function, all.iter().map(String::as_str)) {
            d = d.with_note(format!("did you mean '{best}'?"));
        }
    }
    d
}

/// One probe on `function`, in kernel module `module` (`None`: the kernel), as
/// written with `written` as its module part.
#[allow(clippy::too_many_arguments)]
fn probe(
    ap: &AttachPoint,
    btf: &Btf,
    kind: &str,
    module: Option<&str>,
    written: Option<&str>,
    function: &str,
    ret: bool,
    in_scope: &dyn Fn(u32) -> bool,
) -> Result<ExpandedProbe, Diagnostic> {
    let proto = find_func(btf, function, in_scope)
        .and_then(|f| btf.ty(f).ok().map(|t| t.raw_type()))
        .ok_or_else(|| missing(ap, kind, module, function, &[]))?;
    let (args, ret_ty) = btf_funcs::proto_args(btf, proto, 0)
        .map_err(|e| Diagnostic::error(ap.span, format!("{kind}:{function}: {e}")))?;
    let shown = match (module, written) {
        (Some(m), _) => format!("{kind}:{m}:{function}"),
        (None, Some(w)) if !has_wildcard(w) => format!("{kind}:{w}:{function}"),
        // bpftrace names a kernel function's probe with its module, `vmlinux`.
        _ => format!("{kind}:vmlinux:{function}"),
    };
    // libbpf's spelling of a module function: `fentry/MODULE:FUNCTION`.
    let target = match module {
        Some(m) => format!("{m}:{function}"),
        None => function.to_string(),
    };
    Ok(ExpandedProbe {
        name: shown,
        section: format!("{kind}/{target}"),
        symbol_stem: sanitize(&format!("{kind}_{target}")),
        attach: Attach::Fentry {
            function: function.to_string(),
            ret,
            module: module.unwrap_or_default().to_string(),
        },
        context: Context::BtfArgs(BtfArgs {
            args,
            retval: ret.then_some(ret_ty),
            function: Some(function.to_string()),
            argn: false,
        }),
    })
}
