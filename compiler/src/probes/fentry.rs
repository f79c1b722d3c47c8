//! `fentry[:MODULE]:FUNCTION` / `fexit[:MODULE]:FUNCTION` (short names `f`/`fr`,
//! old names `kfunc`/`kretfunc`): a BPF trampoline on a kernel function. The
//! arguments come from the function's BTF prototype: `args.NAME` with its kernel
//! type, and `retval` in fexit. `*`/`?` in FUNCTION match every kernel function the
//! BTF describes. Only the kernel's own BTF is read (MODULE must match `vmlinux`).

use super::btf_funcs;
use super::glob::{closest, has_wildcard, matches};
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
    let (module, function) = match &ap.parts[1..] {
        [f] if !f.is_empty() => (None, f.as_str()),
        [m, f] if !m.is_empty() && !f.is_empty() => (Some(m.as_str()), f.as_str()),
        [m, ..] if m == "bpf" => {
            return Err(err(format!(
                "{kind} on BPF programs ({kind}:bpf:...) is not supported yet"
            )))
        }
        _ => {
            return Err(err(format!("{kind} probe needs a kernel function"))
                .with_note(format!("e.g. {kind}:vfs_read")))
        }
    };
    if let Some(m) = module {
        if m == "bpf" {
            return Err(err(format!(
                "{kind} on BPF programs ({kind}:bpf:...) is not supported yet"
            )));
        }
        if !matches(m, "vmlinux") {
            return Err(err(format!("No matches for {kind} {m}:{function}")).with_note(
                "tracec reads only the kernel's BTF (vmlinux); kernel module functions are not supported yet",
            ));
        }
    }
    let btf = btf_funcs::for_env(env).map_err(|e| err(format!("{kind} needs kernel BTF: {e}")))?;
    let names = if has_wildcard(function) {
        let all = btf_funcs::names_with_prefix(&btf, Kind::Func, "");
        let found: Vec<String> = all.into_iter().filter(|n| matches(function, n)).collect();
        if found.is_empty() {
            return Err(err(format!("No matches for {kind} {function}")));
        }
        found
    } else {
        vec![function.to_string()]
    };
    names
        .iter()
        .map(|f| probe(ap, &btf, kind, module, f, ret))
        .collect()
}

fn probe(
    ap: &AttachPoint,
    btf: &Btf,
    kind: &str,
    module: Option<&str>,
    function: &str,
    ret: bool,
) -> Result<ExpandedProbe, Diagnostic> {
    let Some(proto) = btf_funcs::func_proto(btf, function) else {
        let mut d = Diagnostic::error(
            ap.span,
            format!("kernel function '{function}' is not in the kernel BTF"),
        )
        .with_label("no BTF for this function");
        if function.len() >= 4 {
            let all = btf_funcs::names_with_prefix(btf, Kind::Func, "");
            if let Some(best) = closest(function, all.iter().map(String::as_str)) {
                d = d.with_note(format!("did you mean '{best}'?"));
            }
        }
        return Err(d);
    };
    let (args, ret_ty) = btf_funcs::proto_args(btf, proto, 0)
        .map_err(|e| Diagnostic::error(ap.span, format!("{kind}:{function}: {e}")))?;
    let shown = match module {
        Some(m) if !has_wildcard(m) => format!("{kind}:{m}:{function}"),
        _ => format!("{kind}:{function}"),
    };
    Ok(ExpandedProbe {
        name: shown,
        section: format!("{kind}/{function}"),
        symbol_stem: sanitize(&format!("{kind}_{function}")),
        attach: Attach::Fentry {
            function: function.to_string(),
            ret,
        },
        context: Context::BtfArgs(BtfArgs {
            args,
            retval: ret.then_some(ret_ty),
            function: Some(function.to_string()),
            argn: false,
        }),
    })
}
