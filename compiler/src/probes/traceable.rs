//! Whether a kprobe's function can be traced, as bpftrace checks it: a function that
//! the list of traceable functions ([`super::kfuncs`]) lacks is reported ("F is not
//! traceable ...; attaching to it will likely fail", a warning). The object may run on
//! another kernel than the one it is compiled on, so against the build host's own list
//! the probe stays and `tracerun` decides when it attaches (bpftrace's
//! `missing_probes` rules, on the host that runs it). Where bpftrace would refuse it
//! whatever the kernel, the attach point matches nothing (bpftrace's "No matches for
//! kprobe F.", which `missing_probes` turns into a warning or nothing): a function
//! bpftrace never probes (`rcu_*`, [`super::kfuncs::excluded`]), and without
//! `--unsafe` any function an explicit list (`--traceable-functions FILE`) lacks.
//!
//! `--unsafe` is a per-thread setting ([`with_unsafe`]) that `tracec::compile` and
//! `tracec::check` scope to their options; the warnings go to a per-thread list the
//! checker drains after each expansion ([`take_warnings`]).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::glob::has_wildcard;
use super::kfuncs::KernelFunctions;
use super::ExpandedProbe;
use crate::diag::Diagnostic;
use crate::front::ast::AttachPoint;
use tracec_meta::Attach;

thread_local! {
    static ALLOW_UNTRACEABLE: Cell<bool> = const { Cell::new(false) };
    static WARNINGS: RefCell<Vec<Diagnostic>> = const { RefCell::new(Vec::new()) };
    static LIST: RefCell<Option<Rc<KernelFunctions>>> = const { RefCell::new(None) };
}

/// Run `f` with kprobes on untraceable functions allowed (`--unsafe`) or not; the
/// previous setting is restored afterwards.
pub fn with_unsafe<T>(allow: bool, f: impl FnOnce() -> T) -> T {
    with_settings(allow, None, f)
}

/// [`with_unsafe`], and with `list` (`--traceable-functions FILE`, see [`read_list`])
/// as the traceable functions instead of the kernel's.
pub fn with_settings<T>(allow: bool, list: Option<KernelFunctions>, f: impl FnOnce() -> T) -> T {
    struct Restore(bool, Option<Rc<KernelFunctions>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            ALLOW_UNTRACEABLE.with(|a| a.set(self.0));
            LIST.with(|l| *l.borrow_mut() = self.1.take());
        }
    }
    let _restore = Restore(
        ALLOW_UNTRACEABLE.with(|a| a.replace(allow)),
        LIST.with(|l| l.replace(list.map(Rc::new))),
    );
    f()
}

/// `--traceable-functions FILE`: a list in `available_filter_functions`' format
/// (`name` or `name [module]` per line).
pub fn read_list(path: &std::path::Path) -> Result<KernelFunctions, String> {
    let f = std::fs::File::open(path).map_err(|e| {
        format!(
            "cannot read the traceable functions {}: {e}",
            path.display()
        )
    })?;
    KernelFunctions::parse(f, false).map_err(|e| {
        format!(
            "cannot read the traceable functions {}: {e}",
            path.display()
        )
    })
}

/// The traceable functions: the list given to [`with_settings`], else the kernel's.
pub(super) fn functions() -> Result<Functions, String> {
    if let Some(l) = LIST.with(|l| l.borrow().clone()) {
        return Ok(Functions::Given(l));
    }
    super::kfuncs::cached().map(Functions::Kernel)
}

/// See [`functions`].
pub(super) enum Functions {
    Kernel(&'static KernelFunctions),
    Given(Rc<KernelFunctions>),
}

impl std::ops::Deref for Functions {
    type Target = KernelFunctions;
    fn deref(&self) -> &KernelFunctions {
        match self {
            Functions::Kernel(k) => k,
            Functions::Given(g) => g,
        }
    }
}

/// The warnings of the checks since the last call.
pub fn take_warnings() -> Vec<Diagnostic> {
    WARNINGS.with(|w| std::mem::take(&mut *w.borrow_mut()))
}

/// The end of the warning for an untraceable function.
const UNTRACEABLE: &str = " is not traceable (either non-existing, inlined, or marked as \
                           \"notrace\"); attaching to it will likely fail";

/// Whether `d` is the warning for an untraceable function (shown with the errors too).
pub fn is_untraceable_warning(d: &Diagnostic) -> bool {
    !d.is_error() && d.message.ends_with(UNTRACEABLE)
}

/// Whether `function` (of `module`, `None`: any) is among the traceable functions.
/// `None` when the list cannot be read (then nothing is checked).
fn traceable(module: Option<&str>, function: &str) -> Option<bool> {
    let list = functions().ok()?;
    let found = list.iter().any(|(m, f)| {
        f == function
            && match module {
                None => true,
                Some("vmlinux") => m.is_none(),
                Some(want) => m == Some(want),
            }
    });
    Some(found)
}

/// Check the concrete probes of a kprobe/kretprobe attach point `ap` written with a
/// function name (wildcards only expand to traceable functions; addresses are not
/// checked).
pub fn check(
    ap: &AttachPoint,
    probes: Vec<ExpandedProbe>,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let given = LIST.with(|l| l.borrow().is_some());
    check_with(ap, probes, &traceable, given)
}

fn check_with(
    ap: &AttachPoint,
    probes: Vec<ExpandedProbe>,
    traceable: &dyn Fn(Option<&str>, &str) -> Option<bool>,
    given_list: bool,
) -> Result<Vec<ExpandedProbe>, Diagnostic> {
    let written = ap.parts.get(1..).unwrap_or_default();
    if written.iter().any(|p| has_wildcard(p)) {
        return Ok(probes);
    }
    let module = match written {
        [m, _] => Some(m.as_str()),
        _ => None,
    };
    for p in &probes {
        let Attach::Kprobe { function, ret, .. } = &p.attach else {
            continue;
        };
        if function.is_empty() || traceable(module, function) != Some(false) {
            continue;
        }
        let never = super::kfuncs::excluded(function);
        let strict = never || (given_list && !ALLOW_UNTRACEABLE.with(Cell::get));
        let mut warning = Diagnostic::warning(ap.span, format!("{function}{UNTRACEABLE}"));
        if !strict {
            warning = warning.with_note(
                "it is not a traceable function of the kernel tracec runs on; the probe is \
                 kept and tracerun tries it where the object runs (missing_probes decides \
                 what a failure does)",
            );
        }
        WARNINGS.with(|w| w.borrow_mut().push(warning));
        if strict {
            let shown = ap.raw.split_once(':').map_or(ap.raw.as_str(), |(_, r)| r);
            return Err(Diagnostic::error(
                ap.span,
                format!(
                    "No matches for {} {shown}.",
                    if *ret { "kretprobe" } else { "kprobe" }
                ),
            )
            .with_label("not a traceable kernel function"));
        }
    }
    Ok(probes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::ast::Span;

    fn ap(raw: &str) -> AttachPoint {
        AttachPoint {
            raw: raw.into(),
            parts: raw.split(':').map(str::to_string).collect(),
            span: Span::new(0, raw.len()),
        }
    }

    fn kprobe(function: &str) -> ExpandedProbe {
        ExpandedProbe {
            name: format!("kprobe:{function}"),
            section: format!("kprobe/{function}"),
            symbol_stem: function.into(),
            attach: Attach::Kprobe {
                function: function.into(),
                offset: 0,
                ret: false,
            },
            context: super::super::Context::Regs {
                ret: false,
                function: function.into(),
            },
        }
    }

    fn known(module: Option<&str>, f: &str) -> Option<bool> {
        Some(f == "vfs_read" && module.is_none_or(|m| m == "vmlinux"))
    }

    #[test]
    fn untraceable_functions_warn_and_match_nothing_without_unsafe() {
        take_warnings();
        let given = true;
        let ok = check_with(
            &ap("kprobe:vfs_read"),
            vec![kprobe("vfs_read")],
            &known,
            given,
        );
        assert_eq!(ok.unwrap().len(), 1);
        assert!(take_warnings().is_empty());
        let e = check_with(
            &ap("kprobe:vmlinux:nonsense"),
            vec![kprobe("nonsense")],
            &known,
            given,
        )
        .unwrap_err();
        assert_eq!(e.message, "No matches for kprobe vmlinux:nonsense.");
        let w = take_warnings();
        assert_eq!(w.len(), 1);
        assert!(is_untraceable_warning(&w[0]));
        assert!(
            w[0].message
                .starts_with("nonsense is not traceable (either non-existing"),
            "{}",
            w[0].message
        );
        // With --unsafe the probe stays (attaching is tried), still with the warning.
        let kept = with_unsafe(true, || {
            check_with(
                &ap("kretprobe:nonsense"),
                vec![kprobe("nonsense")],
                &known,
                given,
            )
        });
        assert_eq!(kept.unwrap().len(), 1);
        assert_eq!(take_warnings().len(), 1);
        assert!(
            !ALLOW_UNTRACEABLE.with(Cell::get),
            "the setting is restored"
        );
        // A module's function is not the kernel's; wildcards are not checked here.
        let in_kvm = check_with(
            &ap("kprobe:kvm:vfs_read"),
            vec![kprobe("vfs_read")],
            &known,
            given,
        );
        assert!(in_kvm.is_err());
        take_warnings();
        let wild = check_with(&ap("kprobe:vfs_*"), vec![kprobe("nonsense")], &known, given);
        assert!(wild.is_ok());
        // An unreadable list checks nothing.
        let unknown = check_with(&ap("kprobe:x"), vec![kprobe("x")], &|_, _| None, given);
        assert!(unknown.is_ok() && take_warnings().is_empty());
    }

    #[test]
    fn against_the_build_hosts_list_a_missing_function_is_kept_with_a_warning() {
        take_warnings();
        // The object may run on a kernel that has it: tracerun decides when attaching.
        let kept = check_with(
            &ap("kprobe:blk_account_io_start"),
            vec![kprobe("blk_account_io_start")],
            &known,
            false,
        );
        assert_eq!(kept.unwrap().len(), 1);
        let w = take_warnings();
        assert_eq!(w.len(), 1);
        assert!(is_untraceable_warning(&w[0]));
        assert!(
            w[0].notes.iter().any(|n| n.contains("tracerun tries it")),
            "{:?}",
            w[0]
        );
        // Functions bpftrace never probes are refused whatever the kernel.
        let e = check_with(
            &ap("kprobe:rcu_note_context_switch"),
            vec![kprobe("rcu_note_context_switch")],
            &known,
            false,
        )
        .unwrap_err();
        assert_eq!(e.message, "No matches for kprobe rcu_note_context_switch.");
        take_warnings();
    }

    #[test]
    fn a_given_list_replaces_the_kernels() {
        let list = KernelFunctions::parse("only_this\nmod_fn [mymod]\n".as_bytes(), false).unwrap();
        with_settings(false, Some(list), || {
            assert_eq!(traceable(None, "only_this"), Some(true));
            assert_eq!(traceable(None, "vfs_read"), Some(false));
            assert_eq!(traceable(Some("mymod"), "mod_fn"), Some(true));
            assert_eq!(traceable(Some("vmlinux"), "mod_fn"), Some(false));
        });
        assert!(
            LIST.with(|l| l.borrow().is_none()),
            "the setting is restored"
        );
        let empty = with_settings(false, Some(KernelFunctions::default()), || {
            check(&ap("kprobe:vfs_read"), vec![kprobe("vfs_read")])
        });
        assert_eq!(
            empty.unwrap_err().message,
            "No matches for kprobe vfs_read."
        );
        take_warnings();
    }
}
