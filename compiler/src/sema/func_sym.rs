//! `func` stored where a map holds `ksym` values. bpftrace types `func` in kernel
//! function probes (kprobe, kretprobe, fentry, fexit) as a `ksym` of the function's
//! address, so `@name[0] = ksym(0); ... @name[tid] = func;` is one map of ksyms.
//! tracec keeps `func` an index into the attach names wherever that prints the same
//! text (see `attach_names`); only where a map of ksyms receives it does `func`
//! become bpftrace's value: `ksym(address)`, the address read from the `pt_regs`
//! instruction pointer in a kprobe (bpftrace's choice: `bpf_get_func_ip` gives 0
//! inside a function) and from `bpf_get_func_ip` in kretprobes, fentry and fexit.

use super::probe_ctx::{ctx_read, regs};
use super::types::*;
use super::{Checker, ProbeCx};
use tracec_meta::{Attach, FmtKind, StackMode};

/// The type of `ksym(addr)`.
pub(super) const KSYM: Type = Type::Stack(StackTy {
    user: false,
    mode: StackMode::Bpftrace,
    limit: 1,
    sym: true,
    dwarf: false,
});

/// Whether `t` is `func` (an attach-name index).
fn is_func(t: Type) -> bool {
    t == Type::Fmt(FmtKind::FuncName)
}

/// Whether a map whose values are `known` may take `value` because one is `func`
/// and the other `ksym` (the map then holds ksyms; [`Checker::func_as_ksym`]
/// converts `func` where it is stored).
pub(super) fn merges_to_ksym(known: Type, value: Type) -> bool {
    (is_func(known) && value == KSYM) || (known == KSYM && is_func(value))
}

impl Checker {
    /// `v`, stored into `map` (which holds ksyms), converted to `ksym(address of the
    /// traced function)` when it is `func` of a kernel function probe; `func` of
    /// another probe is reported; other values are returned as they are.
    pub(super) fn func_as_ksym(&mut self, cx: &ProbeCx, map: MapIdx, v: TExpr) -> TExpr {
        if !is_func(v.ty) {
            return v;
        }
        let span = v.span;
        let addr = match cx.probe.attach {
            Attach::Kprobe { ret: false, .. } => ctx_read(regs::IP, Type::U64, span),
            Attach::Kprobe { ret: true, .. } | Attach::Fentry { .. } => TExpr {
                kind: TExprKind::Builtin(Builtin::FuncIp),
                ty: Type::U64,
                span,
            },
            _ => {
                let name = self.maps.name(map).to_string();
                self.error(
                    span,
                    format!(
                        "cannot assign {} to {name}, which holds {} (only kprobe, kretprobe, fentry and fexit give func as a ksym)",
                        v.ty.describe(),
                        KSYM.describe()
                    ),
                );
                return v;
            }
        };
        TExpr {
            kind: TExprKind::Sym {
                user: false,
                addr: Box::new(addr),
            },
            ty: KSYM,
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn func_and_ksym_merge_either_way() {
        let func = Type::Fmt(FmtKind::FuncName);
        assert!(merges_to_ksym(func, KSYM));
        assert!(merges_to_ksym(KSYM, func));
        assert!(!merges_to_ksym(KSYM, Type::U64));
        assert!(!merges_to_ksym(Type::Fmt(FmtKind::ProbeName), KSYM));
    }
}
