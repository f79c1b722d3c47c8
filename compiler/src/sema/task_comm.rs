//! `comm(pid)` (stdlib.md): the name of the process `pid`, as bpftrace's stdlib
//! macro computes it: the kfunc `bpf_task_from_pid` takes a reference on the task,
//! its `comm` is copied (CO-RE, like `curtask->comm`) and `bpf_task_release` drops
//! the reference. Without such a task the value is `N/A` and bpftrace's located
//! warning `No such process (pid=N)` goes to stderr. The kfuncs' BTF ids are set by
//! the runtime (`tracec_meta::KsymKind::Func`). Lowering: `lower/task_comm.rs`.

use super::stdlib::{probetype, StdlibExpr};
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use tracec_meta::{Attach, Field, PrintfSpec, Ty};

/// The text `comm(pid)` has when no task has the pid.
pub const NO_TASK: &str = "N/A";

/// Whether the kernel lets programs of this probe's type call `bpf_task_from_pid`
/// (checked on 6.18 with `tracerun --verify`): tracing programs (fentry/fexit,
/// iterators, rawtracepoints), tracepoints and perf events (profile, interval,
/// software, hardware, watchpoints) may; kprobe programs (kprobes, uprobes, USDT) and
/// plain `raw_tp` programs (BEGIN, END, `self` and `bench` probes) get "calling kernel function
/// bpf_task_from_pid is not allowed". bpftrace asks the kernel the same question at
/// compile time and reports the same error for a refusal; a tracec object runs on
/// another host, so this table only serves the compile-time diagnostic of `comm(pid)`.
/// The script function `kfunc_allowed` is not answered from it: the runtime asks the
/// running kernel with a trial load (`runtime/src/kfunc_trial.rs`), and that answer is
/// the authoritative one.
pub(super) fn kfunc_allowed(attach: &Attach) -> bool {
    match attach {
        Attach::Tracepoint { .. }
        | Attach::Interval { .. }
        | Attach::Profile { .. }
        | Attach::PerfCounter { .. }
        | Attach::Watchpoint { .. }
        | Attach::Fentry { .. }
        | Attach::FentryBpf { .. }
        | Attach::RawTracepoint { .. }
        | Attach::Iter { .. } => true,
        Attach::Begin
        | Attach::End
        | Attach::Signal { .. }
        | Attach::Bench { .. }
        | Attach::Test { .. }
        | Attach::Kprobe { .. }
        | Attach::Uprobe { .. }
        | Attach::Usdt { .. } => false,
    }
}

impl Checker {
    /// `comm(pid)`.
    pub(super) fn comm_of_pid(&mut self, cx: &mut ProbeCx, arg: &ast::Expr, span: Span) -> TExpr {
        let pid = self.expr(cx, arg);
        match pid.ty {
            Type::Int { .. } => {}
            Type::Unknown => return poisoned(span),
            _ => {
                self.error(span, "Only integer supported for comm()'s pid");
                return poisoned(span);
            }
        }
        if !kfunc_allowed(&cx.probe.attach) {
            self.error(
                span,
                format!(
                    "Syntax comm(PID) is not supported in this probe type yet. Type: {}",
                    probetype(&cx.probe.attach)
                ),
            );
            return poisoned(span);
        }
        // The field as `curtask->comm` reads it: its CO-RE access and length.
        let comm = ast::Expr {
            kind: ExprKind::Field {
                base: Box::new(ast::Expr {
                    kind: ExprKind::Ident("curtask".into()),
                    span,
                }),
                field: "comm".into(),
                arrow: true,
            },
            span,
        };
        let field = self.expr(cx, &comm);
        let TExprKind::KernelField {
            access,
            read: KernelRead::Chars { len },
            ..
        } = field.kind
        else {
            // No kernel BTF: reading `curtask->comm` reported why.
            return poisoned(span);
        };
        let signed = matches!(pid.ty, Type::Int { signed: true, .. });
        let warn = self.intern_printf(PrintfSpec {
            format: "No such process (pid=%d)".into(),
            args: vec![Field {
                offset: 0,
                ty: Ty::Int { size: 8, signed },
            }],
        });
        let warn = self.locate_printf(warn, span, "WARNING");
        TExpr {
            kind: TExprKind::Stdlib(Box::new(StdlibExpr::CommOfPid {
                pid,
                access,
                len,
                warn,
            })),
            ty: Type::Str { size: len },
            span,
        }
    }
}
