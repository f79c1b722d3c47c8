//! Kernel modules as probe targets: a module's split BTF lives beside the kernel's
//! (`/sys/kernel/btf/<module>`, or beside the file `--btf` names), and is added to
//! the kernel's BTF shared by the whole compilation ([`kbtf::kernel_with_module`]),
//! so that the arguments of module probes and the checker's types agree.

use super::glob::{has_wildcard, matches};
use super::{btf_funcs, Env};
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use crate::kbtf::{self, Btf};

/// The BTF objects an attach point `[module:]name` may name, as bpftrace looks them
/// up: `None` is the kernel itself. Without a module, the kernel, and every module when
/// `name` is a pattern or the kernel lacks it (`in_kernel`); with one, the modules its
/// name (or pattern) matches, and the kernel for `vmlinux`.
pub(super) fn candidates(
    env: &Env,
    module: Option<&str>,
    name: &str,
    in_kernel: impl FnOnce() -> bool,
) -> Vec<Option<String>> {
    let mut modules = Vec::new();
    match module {
        None => {
            modules.push(None);
            if has_wildcard(name) || !in_kernel() {
                modules.extend(matching(env, "*").into_iter().map(Some));
            }
        }
        Some(m) => {
            if matches(m, "vmlinux") {
                modules.push(None);
            }
            modules.extend(matching(env, m).into_iter().map(Some));
        }
    }
    modules
}

/// The BTF of candidate `m` (see [`candidates`]): the kernel's, or the module's on top
/// of it. `None` when a module a search or pattern found has bad BTF: it is skipped.
pub(super) fn candidate_btf(
    env: &Env,
    written: Option<&str>,
    m: Option<&str>,
) -> Option<Result<Btf, String>> {
    match m {
        None => Some(btf_funcs::for_env(env).map(|b| (*b).clone())),
        Some(m) if written.is_none_or(has_wildcard) => btf(env, m).ok().map(Ok),
        Some(m) => Some(btf(env, m)),
    }
}

/// The modules with BTF whose name `pattern` (a glob, or a plain name) matches, in
/// name order; never `vmlinux`.
pub(super) fn matching(env: &Env, pattern: &str) -> Vec<String> {
    let vmlinux = btf_funcs::path(env.btf.as_deref());
    if !has_wildcard(pattern) {
        let file = kbtf::module_path(&vmlinux, pattern);
        let ok = kbtf::valid_module_name(pattern) && pattern != "vmlinux" && file.is_file();
        return if ok {
            vec![pattern.to_string()]
        } else {
            Vec::new()
        };
    }
    let dir = kbtf::module_path(&vmlinux, "x");
    let Some(dir) = dir.parent() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let own = vmlinux
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("vmlinux");
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n != "vmlinux" && n != own && matches(pattern, n))
        .collect();
    names.sort();
    names
}

/// The kernel's BTF with module `module`'s added.
pub(super) fn btf(env: &Env, module: &str) -> Result<Btf, String> {
    let vmlinux = btf_funcs::path(env.btf.as_deref());
    match kbtf::kernel_with_module(&vmlinux, module) {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(format!(
            "no BTF for kernel module {module} ({})",
            kbtf::module_path(&vmlinux, module).display()
        )),
        Err(e) => Err(format!(
            "cannot read the BTF of kernel module {module}: {e}"
        )),
    }
}

/// Whether kernel module `module` is loaded: its BTF or its `/sys/module` entry
/// exists (modules built without BTF have only the latter).
pub(super) fn loaded(env: &Env, module: &str) -> bool {
    if !kbtf::valid_module_name(module) {
        return false;
    }
    !matching(env, module).is_empty() || std::path::Path::new("/sys/module").join(module).is_dir()
}

/// `kprobe:MODULE:FUNCTION`: a MODULE (no pattern, not `vmlinux`) must be loaded
/// (bpftrace's error otherwise); its BTF, when there is some, is added to the
/// kernel's so that casts in the probe find the module's types.
pub(super) fn kprobe_module(ap: &AttachPoint, env: &Env) -> Result<(), Diagnostic> {
    let [_, m, f] = &ap.parts[..] else {
        return Ok(());
    };
    if m.is_empty() || f.is_empty() || has_wildcard(m) || m == "vmlinux" {
        return Ok(());
    }
    if !loaded(env, m) {
        return Err(Diagnostic::error(
            ap.span,
            format!(
                "specified module {m} in probe {}:{m}:{f} is not loaded.",
                ap.parts[0]
            ),
        ));
    }
    // Without BTF for the module, casts see only the kernel's types.
    let _ = btf(env, m);
    Ok(())
}
