//! `iter:TARGET[:PIN]` (short name `it`): a BPF iterator over kernel objects
//! (`task`, `task_file`, `task_vma`), run once at start by reading it to the end,
//! as bpftrace does; or pinned under `/sys/fs/bpf` when PIN is given. `ctx` is a
//! pointer to the kernel's `struct bpf_iter__<TARGET>` (`ctx.task`, `ctx.file`...);
//! the program body is skipped for the final call, where the object is NULL.

use super::{btf_funcs, canonical_name, symbol_stem, Context, Env, ExpandedProbe};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

/// Iterator targets bpftrace supports.
pub(super) const TARGETS: &[&str] = &["task", "task_file", "task_vma"];

pub(super) fn expand(ap: &AttachPoint, env: &Env) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let err = |m: String| Diagnostic::error(ap.span, m);
    let (target, pin) = match &ap.parts[1..] {
        [t] if !t.is_empty() => (t.as_str(), String::new()),
        [t, p] if !t.is_empty() && !p.is_empty() => (t.as_str(), pin_path(p)),
        _ => {
            return Err(err("iter probe needs a target".into())
                .with_note(format!("targets: {}", TARGETS.join(", "))))
        }
    };
    if !TARGETS.contains(&target) {
        let mut d = err(format!("unknown iterator '{target}'"));
        if let Some(best) = super::glob::closest(target, TARGETS.iter().copied()) {
            d = d.with_note(format!("did you mean '{best}'?"));
        }
        return Err(d.with_note(format!("targets: {}", TARGETS.join(", "))));
    }
    let btf = btf_funcs::for_env(env).map_err(|e| err(format!("iter needs kernel BTF: {e}")))?;
    if btf.find_struct(&format!("bpf_iter__{target}")).is_none() {
        return Err(err(format!(
            "this kernel has no iterator '{target}' (no struct bpf_iter__{target} in its BTF)"
        )));
    }
    Ok(vec![ExpandedProbe {
        name: canonical_name("iter", ap),
        section: format!("iter/{target}"),
        symbol_stem: symbol_stem("iter", &ap.parts[1..]),
        attach: Attach::Iter {
            target: target.to_string(),
            pin,
        },
        context: Context::Iter {
            target: target.to_string(),
        },
    }])
}

/// A pin path: absolute as written, else relative to `/sys/fs/bpf`.
fn pin_path(p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/sys/fs/bpf/{p}")
    }
}
