//! Kernel-side stdlib actions: `signal(sig)`, `signal_thread(sig)` (unsafe),
//! `override(rc)` (unsafe, kprobes), `write_user(dst, src, len)` (unsafe),
//! `reg("name")` (x86-64 `pt_regs`) and `path(p[, size])` (`bpf_d_path`). Lowered as
//! helper calls by `lower/stdlib.rs`.

use super::stdlib::{probetype, StdlibExpr};
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use crate::ir::Helper;
use tracec_meta::Attach;

/// The signal number of a name (`SIGKILL`, `KILL`), as `kill -l` lists them.
pub fn signal_number(name: &str) -> Option<i64> {
    const NAMES: &[&str] = &[
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    let n = name.strip_prefix("SIG").unwrap_or(name);
    if let Some(i) = NAMES.iter().position(|s| *s == n) {
        return Some(i as i64 + 1);
    }
    match n {
        "IOT" => return Some(6),
        "POLL" => return Some(29),
        "RTMIN" => return Some(34),
        "RTMAX" => return Some(64),
        _ => {}
    }
    if let Some(k) = n.strip_prefix("RTMIN+") {
        let k: i64 = k.parse().ok()?;
        return (34 + k <= 64).then_some(34 + k);
    }
    if let Some(k) = n.strip_prefix("RTMAX-") {
        let k: i64 = k.parse().ok()?;
        return (64 - k >= 34).then_some(64 - k);
    }
    None
}

/// The byte offset of an x86-64 register in `struct pt_regs`.
pub fn pt_regs_offset(name: &str) -> Option<u32> {
    const REGS: &[&str] = &[
        "r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx", "si",
        "di", "orig_ax", "ip", "cs", "flags", "sp", "ss",
    ];
    // `pc` is bpftrace's architecture-neutral name of the instruction pointer.
    let name = if name == "pc" { "ip" } else { name };
    REGS.iter().position(|r| *r == name).map(|i| i as u32 * 8)
}

fn helper_call(helper: Helper, args: Vec<TExpr>, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Stdlib(Box::new(StdlibExpr::Helper { helper, args })),
        ty: Type::I64,
        span,
    }
}

/// The kernel functions whose fentry/fexit programs the kernel lets call `bpf_d_path`
/// (its `btf_allowlist_d_path`; iterators may call it anywhere).
const D_PATH_ALLOWED: &[&str] = &[
    "security_file_permission",
    "security_inode_getattr",
    "security_file_open",
    "security_path_truncate",
    "vfs_truncate",
    "vfs_fallocate",
    "dentry_open",
    "vfs_getattr",
    "filp_close",
];

impl Checker {
    pub(super) fn stdlib_unsafe_expr(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        Some(match name {
            "write_user" => {
                self.unsafe_calls.push(("write_user".into(), span));
                let [dst, src, len] = args else {
                    self.error(
                        span,
                        super::functions::arity_error("write_user", "3 arguments", args.len()),
                    );
                    return Some(poisoned(span));
                };
                let d = self.expr(cx, dst);
                let s = self.expr(cx, src);
                let l = self.expr(cx, len);
                if !matches!(d.ty, Type::Ptr { .. } | Type::Int { .. } | Type::Unknown) {
                    self.error(d.span, "write_user(): the destination must be a pointer");
                    return Some(poisoned(span));
                }
                if !matches!(l.ty, Type::Int { .. } | Type::Unknown) {
                    self.error(l.span, "write_user(): the length must be an integer");
                    return Some(poisoned(span));
                }
                let call = helper_call(Helper::ProbeWriteUser, vec![d, s, l], span);
                TExpr {
                    kind: TExprKind::Cmp {
                        cond: crate::ir::Cond::Eq,
                        lhs: Box::new(call),
                        rhs: Box::new(TExpr {
                            kind: TExprKind::Int(0),
                            ty: Type::I64,
                            span,
                        }),
                    },
                    ty: Type::Bool,
                    span,
                }
            }
            "reg" => self.reg_call(cx, args, span),
            "path" => self.path_call(cx, args, span),
            _ => return None,
        })
    }

    pub(super) fn stdlib_unsafe_stmt(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TStmtKind> {
        let e = match name {
            "signal" | "signal_thread" => self.signal_call(cx, name, args, span),
            "override" => self.override_call(cx, args, span),
            _ => return None,
        };
        Some(TStmtKind::Expr(e))
    }

    fn signal_call(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> TExpr {
        let [arg] = args else {
            self.error(
                span,
                super::functions::arity_error(name, "1 argument", args.len()),
            );
            return poisoned(span);
        };
        let pt = probetype(&cx.probe.attach);
        if !matches!(
            pt,
            "kprobe"
                | "kretprobe"
                | "uprobe"
                | "uretprobe"
                | "usdt"
                | "tracepoint"
                | "profile"
                | "fentry"
                | "fexit"
                | "rawtracepoint"
        ) {
            self.error(
                span,
                format!("{name}() can not be used for this probetype {pt}"),
            );
            return poisoned(span);
        }
        self.unsafe_calls.push((name.to_string(), span));
        let sig = match &arg.kind {
            ExprKind::Str(s) => match signal_number(s) {
                Some(n) => TExpr {
                    kind: TExprKind::Int(n),
                    ty: Type::U64,
                    span: arg.span,
                },
                None => {
                    self.error(arg.span, format!("Invalid string for signal: {s}"));
                    return poisoned(span);
                }
            },
            ExprKind::Int(n) if !(1..=64).contains(n) => {
                self.error(
                    span,
                    format!("{name}() accepts a string literal or an integer between 1 and 64 (inclusive)"),
                );
                return poisoned(span);
            }
            _ => {
                let t = self.expr(cx, arg);
                match t.ty {
                    Type::Int { .. } | Type::Unknown => t,
                    _ => {
                        self.error(
                            span,
                            format!("{name}() accepts a string literal or an integer"),
                        );
                        return poisoned(span);
                    }
                }
            }
        };
        let helper = if name == "signal" {
            Helper::SendSignal
        } else {
            Helper::SendSignalThread
        };
        helper_call(helper, vec![sig], span)
    }

    fn override_call(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        let [arg] = args else {
            self.error(
                span,
                super::functions::arity_error("override", "1 argument", args.len()),
            );
            return poisoned(span);
        };
        if !matches!(cx.probe.attach, Attach::Kprobe { ret: false, .. }) {
            self.error(span, "override() can only be used inside kprobes");
            return poisoned(span);
        }
        self.unsafe_calls.push(("override".into(), span));
        let rc = self.expr(cx, arg);
        match rc.ty {
            Type::Int { .. } | Type::Bool => {}
            Type::Unknown => return poisoned(span),
            other => {
                self.error(
                    span,
                    format!(
                        "override() only supports int arguments ({} provided)",
                        other.describe()
                    ),
                );
                return poisoned(span);
            }
        }
        let ctx = TExpr {
            kind: TExprKind::Builtin(Builtin::Ctx),
            ty: Type::U64,
            span,
        };
        helper_call(Helper::OverrideReturn, vec![ctx, rc], span)
    }

    /// `reg("ip")`: the register as the probe saw it, read from the `pt_regs` at
    /// the start of the context.
    fn reg_call(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        let [ast::Expr {
            kind: ExprKind::Str(name),
            ..
        }] = args
        else {
            self.error(span, "reg() expects a string literal, e.g. reg(\"ip\")");
            return poisoned(span);
        };
        if !matches!(
            cx.probe.attach,
            Attach::Kprobe { .. }
                | Attach::Uprobe { .. }
                | Attach::Usdt { .. }
                | Attach::Profile { .. }
                | Attach::Interval { .. }
                | Attach::PerfCounter { .. }
        ) {
            self.wrong_probe_type("reg", &cx.probe.attach, span);
            return poisoned(span);
        }
        let Some(offset) = pt_regs_offset(name) else {
            self.error(
                span,
                format!("'{name}' is not a valid register on this architecture"),
            );
            return poisoned(span);
        };
        TExpr {
            kind: TExprKind::TpField {
                offset,
                size: 8,
                signed: false,
            },
            ty: Type::U64,
            span,
        }
    }

    /// `path(p[, size])`: `bpf_d_path` of a `struct path *`, or of a `struct path`
    /// member (fentry/fexit only).
    fn path_call(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if args.is_empty() || args.len() > 2 {
            self.error(
                span,
                super::functions::arity_error("path", "1 or 2 arguments", args.len()),
            );
            return poisoned(span);
        }
        if !matches!(cx.probe.attach, Attach::Fentry { .. } | Attach::Iter { .. }) {
            self.wrong_probe_type("path()", &cx.probe.attach, span);
            return poisoned(span);
        }
        if let Attach::Fentry { function, .. } = &cx.probe.attach {
            if !D_PATH_ALLOWED.contains(&function.as_str()) {
                // The kernel's verifier refuses the helper there (bpftrace reports it
                // at the call); this kernel may not even load fentry programs.
                self.error(span, "helper bpf_d_path not allowed in probe");
                return poisoned(span);
            }
        }
        let mut p = self.expr(cx, &args[0]);
        // A struct path member by value (`args.file.f_path`): its address, as bpftrace
        // takes it.
        let member = matches!(
            args[0].kind,
            ExprKind::Field { .. } | ExprKind::Index { .. }
        );
        if member && !matches!(p.ty, Type::Ptr { .. } | Type::Int { .. } | Type::Unknown) {
            p = self.addr_of(cx, &args[0], args[0].span);
        }
        if !matches!(p.ty, Type::Ptr { .. } | Type::Int { .. } | Type::Unknown) {
            self.error(p.span, "path() expects a struct path pointer");
            return poisoned(span);
        }
        let size = match args.get(1).map(|a| &a.kind) {
            None => MAX_STRING_SIZE,
            Some(ExprKind::Int(n)) if (1..=4096).contains(n) => *n as u32,
            Some(_) => {
                self.error(
                    args[1].span,
                    "path(): the size must be an integer literal between 1 and 4096",
                );
                return poisoned(span);
            }
        };
        TExpr {
            kind: TExprKind::Stdlib(Box::new(StdlibExpr::DPath { ptr: p })),
            ty: Type::Str { size },
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names() {
        assert_eq!(signal_number("SIGKILL"), Some(9));
        assert_eq!(signal_number("KILL"), Some(9));
        assert_eq!(signal_number("SIGUSR1"), Some(10));
        assert_eq!(signal_number("SIGSYS"), Some(31));
        assert_eq!(signal_number("SIGRTMIN+2"), Some(36));
        assert_eq!(signal_number("SIGRTMAX"), Some(64));
        assert_eq!(signal_number("SIGNOPE"), None);
        assert_eq!(signal_number("SIGRTMIN+40"), None);
    }

    #[test]
    fn registers() {
        assert_eq!(pt_regs_offset("r15"), Some(0));
        assert_eq!(pt_regs_offset("ip"), Some(128));
        assert_eq!(pt_regs_offset("sp"), Some(152));
        assert_eq!(pt_regs_offset("cs"), Some(136));
        assert_eq!(pt_regs_offset("rip"), None);
        assert_eq!(pt_regs_offset("pc"), pt_regs_offset("ip"));
    }
}
