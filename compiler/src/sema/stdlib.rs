//! bpftrace's standard-library macros and helpers that are not plain builtins:
//! task accessors with an optional task (`ppid(task)`, `pcomm`, `leader_comm`,
//! `leader_tid`), compile-time predicates (`is_str`, `is_integer`, `is_literal`...),
//! `probetype`, `ctx`, `config`, `default_str_length`, `strcap`, `kptr`/`uptr`,
//! `assert`, `static_assert` and `fail`. Kernel-side actions (`signal`, `override`,
//! `write_user`, `reg`) are in `stdlib_unsafe.rs`, string helpers (`strstr`,
//! `memcmp`, `str_concat`) in `stdlib_str.rs`. Lowering: `lower/stdlib.rs`.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span, UnOp};
use tracec_meta::Attach;

/// Where bpftrace's `assert` macro calls `errorf` (its `stdlib/base.bt`): the
/// location every failed assertion reports.
pub const ASSERT_LOCATION: &str = "stdlib/base.bt:6:5-37";

/// What the stdlib adds to typed expressions ([`TExprKind::Stdlib`]).
#[derive(Debug, Clone, PartialEq)]
pub enum StdlibExpr {
    /// A BPF helper called with these arguments (integers by value, strings and
    /// other in-memory values by address); the value is the helper's `r0`.
    Helper {
        helper: crate::ir::Helper,
        args: Vec<TExpr>,
    },
    /// `strstr(hay, needle)`: the index of `needle` in `hay`, or -1.
    StrStr { hay: TExpr, needle: TExpr },
    /// `memcmp(lhs, rhs, count)`: the difference of the first differing bytes.
    MemCmp { lhs: TExpr, rhs: TExpr, count: u32 },
    /// `str_concat(a, b)`: a string.
    StrConcat { a: TExpr, b: TExpr },
    /// `path(p)`: `bpf_d_path` into a string of the expression's size.
    DPath { ptr: TExpr },
    /// `comm(pid)` (`sema/task_comm.rs`): the `char[len]` field `access` of the task
    /// `bpf_task_from_pid` finds; else `N/A` and the located warning printf `warn`.
    CommOfPid {
        pid: TExpr,
        access: crate::ir::CoreAccess,
        len: u32,
        warn: u32,
    },
    /// `skboutput(path, skb, len, offset)` (`sema/skb.rs`): `bpf_skb_output` of the
    /// first `len` bytes of `skb` behind a header naming call `id`
    /// (`Checked::skb_outputs`).
    SkbOutput { skb: TExpr, len: TExpr, id: u32 },
    /// `find(@map, keys, $var)` (`sema/stdlib_more.rs`): 1 and the value stored in
    /// `var` when one lookup finds the key, else 0. `assign` is the checked
    /// `$var = @map[keys]`, which the lowering runs in place of its own copy where
    /// the value's layout differs from the variable's.
    Find {
        map: MapIdx,
        keys: Vec<TExpr>,
        var: VarId,
        assign: Box<TStmt>,
    },
}

/// Names this module answers as bare identifiers.
const IDENTS: &[&str] = &[
    "probetype",
    "pcomm",
    "leader_comm",
    "leader_tid",
    "ctx",
    "default_str_length",
    "config",
];

/// Whether `e` is the `config` record (`config`, `config()`, `__builtin_config`).
pub fn is_config(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Ident(n) => n == "config" || n == "__builtin_config",
        ExprKind::Call { name, args } => {
            args.is_empty() && (name == "config" || name == "__builtin_config")
        }
        _ => false,
    }
}

/// Checker builtins that also answer to a `__builtin_` spelling here.
const WRAPPED: &[&str] = &[
    "usermode", "ppid", "curtask", "probe", "kstack", "ustack", "func", "retval",
];

/// Whether `name` is a stdlib identifier of this module (`pcomm`,
/// `__builtin_probetype`, `__builtin_usermode`...).
pub fn is_ident(name: &str) -> bool {
    match name.strip_prefix("__builtin_") {
        Some(base) => IDENTS.contains(&base) || WRAPPED.contains(&base),
        None => IDENTS.contains(&name),
    }
}

/// The probe type bpftrace reports for an attach kind (`probetype`).
pub fn probetype(attach: &Attach) -> &'static str {
    match attach {
        Attach::Begin | Attach::End => "special",
        Attach::Tracepoint { .. } => "tracepoint",
        Attach::Interval { .. } => "interval",
        Attach::Profile { .. } => "profile",
        Attach::Kprobe { ret: false, .. } => "kprobe",
        Attach::Kprobe { ret: true, .. } => "kretprobe",
        Attach::Uprobe { ret: false, .. } => "uprobe",
        Attach::Uprobe { ret: true, .. } => "uretprobe",
        Attach::RawTracepoint { .. } => "rawtracepoint",
        Attach::PerfCounter { hardware: true, .. } => "hardware",
        Attach::PerfCounter {
            hardware: false, ..
        } => "software",
        Attach::Fentry { ret: false, .. } => "fentry",
        Attach::Fentry { ret: true, .. } => "fexit",
        Attach::FentryBpf { ret: false, .. } => "fentry",
        Attach::FentryBpf { ret: true, .. } => "fexit",
        Attach::Iter { .. } => "iter",
        Attach::Signal { .. } => "self",
        Attach::Usdt { .. } => "usdt",
        Attach::Bench { .. } => "benchmark",
        Attach::Test { .. } => "test",
        Attach::Watchpoint { .. } => "watchpoint",
    }
}

/// bpftrace's defaults for the `config` record (its `Config` class).
fn config_default(name: &str) -> Option<ConfigConst> {
    use ConfigConst::*;
    Some(match name {
        "cpp_demangle" | "lazy_symbolication" | "print_maps_on_exit" => Bool(true),
        // tracerun shows source locations and inlined frames, as a bpftrace built with
        // blazesym does.
        "show_debug_info" => Bool(true),
        "use_blazesym" => Bool(false),
        "log_size" => Int(1_000_000),
        "max_bpf_progs" | "max_probes" | "max_strlen" => Int(1024),
        "max_cat_bytes" => Int(10240),
        "max_map_keys" => Int(4096),
        "on_stack_limit" => Int(32),
        "perf_rb_pages" => Int(0),
        "str_trunc_trailer" => Str(".."),
        "unstable_import_statement" | "unstable_typeinfo" => Str("error"),
        "unstable_tseries" | "unstable_dw_ustack" => Str("warn"),
        "missing_probes" => Str("error"),
        "stack_mode" => Str("bpftrace"),
        "license" => Str("GPL"),
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConfigConst {
    Bool(bool),
    Int(i64),
    Str(&'static str),
}

/// A string constant expression.
pub(super) fn str_const(s: &str, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Str(s.to_string()),
        ty: Type::Str {
            size: s.len() as u32 + 1,
        },
        span,
    }
}

fn bool_const(v: bool, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Int(i64::from(v)),
        ty: Type::Bool,
        span,
    }
}

fn int_const(v: i64, ty: Type, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Int(v),
        ty,
        span,
    }
}

/// The value of a constant integer expression (literals and operators on them).
pub fn const_int(e: &TExpr) -> Option<i64> {
    match &e.kind {
        TExprKind::Int(v) => Some(*v),
        TExprKind::Unary { op, expr } => {
            let v = const_int(expr)?;
            Some(match op {
                UnaryOp::Neg => v.wrapping_neg(),
                UnaryOp::BitNot => !v,
                UnaryOp::LogNot => i64::from(v == 0),
            })
        }
        TExprKind::Logic { and, lhs, rhs } => {
            let (l, r) = (const_int(lhs)? != 0, const_int(rhs)? != 0);
            Some(i64::from(if *and { l && r } else { l || r }))
        }
        TExprKind::Cmp { cond, lhs, rhs } => {
            use crate::ir::Cond::*;
            let (l, r) = (const_int(lhs)?, const_int(rhs)?);
            let (ul, ur) = (l as u64, r as u64);
            Some(i64::from(match cond {
                Eq => l == r,
                Ne => l != r,
                Ult => ul < ur,
                Ule => ul <= ur,
                Ugt => ul > ur,
                Uge => ul >= ur,
                Slt => l < r,
                Sle => l <= r,
                Sgt => l > r,
                Sge => l >= r,
                Set => l & r != 0,
            }))
        }
        TExprKind::StrEq { negate, lhs, rhs } => match (&lhs.kind, &rhs.kind) {
            (TExprKind::Str(a), TExprKind::Str(b)) => {
                let cut = |s: &str| s.split('\0').next().unwrap_or("").to_string();
                Some(i64::from((cut(a) == cut(b)) != *negate))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether an expression is a literal (`1`, `-1`, `true`, `"hi"`), as bpftrace's
/// `is_literal`.
pub fn is_literal(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Str(_) => true,
        ExprKind::Ident(n) => n == "true" || n == "false",
        ExprKind::Unary {
            op: UnOp::Neg,
            expr,
        } => matches!(expr.kind, ExprKind::Int(_)),
        _ => false,
    }
}

/// `fail(fmt, args...)` of literal arguments: the message, or why it cannot be made.
pub fn format_literal(fmt: &str, args: &[ast::Expr]) -> Result<String, String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        // Flags, width and length modifiers are accepted and ignored.
        let mut conv = None;
        for c in chars.by_ref() {
            if c.is_ascii_alphabetic() && !matches!(c, 'l' | 'h' | 'z' | 'j' | 't') {
                conv = Some(c);
                break;
            }
        }
        let Some(conv) = conv else {
            return Err(format!("fail(): incomplete conversion in '{fmt}'"));
        };
        let Some(a) = args.next() else {
            return Err("fail(): not enough arguments for the format".into());
        };
        let text = match (&a.kind, conv) {
            (ExprKind::Str(s), 's') => s.clone(),
            (ExprKind::Int(v), 'x') => format!("{v:x}"),
            (ExprKind::Int(v), 'X') => format!("{v:X}"),
            (ExprKind::Int(v), 'o') => format!("{v:o}"),
            (ExprKind::Int(v), 'c') => char::from_u32(*v as u32).unwrap_or('?').to_string(),
            (ExprKind::Int(v), _) => v.to_string(),
            (
                ExprKind::Unary {
                    op: UnOp::Neg,
                    expr,
                },
                _,
            ) => match expr.kind {
                ExprKind::Int(v) => format!("-{v}"),
                _ => return Err("fail(): all arguments must be literals".into()),
            },
            (ExprKind::Ident(b), _) if b == "true" || b == "false" => {
                i64::from(b == "true").to_string()
            }
            _ => return Err("fail(): all arguments must be literals".into()),
        };
        out.push_str(&text);
    }
    Ok(out)
}

impl Checker {
    /// A stdlib name used as a bare identifier (`pcomm`, `probetype`, `ctx`...).
    pub(super) fn stdlib_ident(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        span: Span,
    ) -> Option<TExpr> {
        let base = name.strip_prefix("__builtin_").unwrap_or(name);
        Some(match base {
            "probetype" => str_const(probetype(&cx.probe.attach), span),
            "pcomm" | "leader_comm" | "leader_tid" => self.task_macro(cx, base, None, span),
            "ctx" => self.ctx_builtin(cx, span),
            "default_str_length" => int_const(i64::from(MAX_STRING_SIZE), Type::U64, span),
            "config" => {
                self.error(
                    span,
                    "config must be followed by a field, e.g. config.max_strlen",
                );
                poisoned(span)
            }
            _ if name != base && WRAPPED.contains(&base) => {
                let plain = ast::Expr {
                    kind: ExprKind::Ident(base.to_string()),
                    span,
                };
                self.expr(cx, &plain)
            }
            _ => return None,
        })
    }

    /// A stdlib call used for its value; `None` when the name is not one of ours.
    pub(super) fn stdlib_call_expr(
        &mut self,
        cx: &mut ProbeCx,
        base: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        if let Some(t) = self.stdlib_unsafe_expr(cx, base, args, span) {
            return Some(t);
        }
        if let Some(t) = self.stdlib_str_expr(cx, base, args, span) {
            return Some(t);
        }
        if let Some(t) = self.stdlib_more_expr(cx, base, args, span) {
            return Some(t);
        }
        if let Some(t) = self.stdlib_host_expr(cx, base, args, span) {
            return Some(t);
        }
        if base == "socket_cookie" {
            return Some(self.socket_cookie(cx, args, span));
        }
        if base == "skboutput" {
            return Some(self.skboutput(cx, args, span));
        }
        Some(match (base, args) {
            ("ppid" | "pcomm" | "leader_comm" | "leader_tid", [task]) => {
                self.task_macro(cx, base, Some(task), span)
            }
            (
                "ppid" | "usermode" | "curtask" | "probe" | "probetype" | "pcomm" | "leader_comm"
                | "leader_tid" | "ctx" | "default_str_length",
                [],
            ) => {
                let id = ast::Expr {
                    kind: ExprKind::Ident(base.to_string()),
                    span,
                };
                self.expr(cx, &id)
            }
            ("config", []) => {
                self.error(
                    span,
                    "config() must be followed by a field, e.g. config().max_strlen",
                );
                poisoned(span)
            }
            ("is_literal", [a]) => bool_const(is_literal(a), span),
            ("is_str" | "is_ptr" | "is_array" | "is_integer" | "is_unsigned_integer", [a]) => {
                let t = self.expr(cx, a);
                let v = match (base, t.ty) {
                    (_, Type::Unknown) => return Some(poisoned(span)),
                    ("is_str", ty) => ty.is_str(),
                    ("is_ptr", ty) => matches!(ty, Type::Ptr { .. }),
                    ("is_integer", ty) => matches!(ty, Type::Int { .. }),
                    ("is_unsigned_integer", ty) => matches!(ty, Type::Int { signed: false, .. }),
                    _ => false,
                };
                bool_const(v, span)
            }
            ("kptr" | "uptr", [a]) => {
                let mut t = self.expr(cx, a);
                match t.ty {
                    Type::Ptr { to, .. } => {
                        t.ty = Type::Ptr {
                            user: base == "uptr",
                            to,
                        }
                    }
                    Type::Int { .. } => {
                        t.ty = Type::Ptr {
                            user: base == "uptr",
                            to: Pointee::Addr,
                        }
                    }
                    Type::Unknown => {}
                    other => {
                        self.error(
                            t.span,
                            format!("{base}() expects a pointer, got {}", other.describe()),
                        );
                        return Some(poisoned(span));
                    }
                }
                t.span = span;
                t
            }
            (
                "ppid"
                | "pcomm"
                | "leader_comm"
                | "leader_tid"
                | "is_literal"
                | "is_str"
                | "is_ptr"
                | "is_array"
                | "is_integer"
                | "is_unsigned_integer"
                | "kptr"
                | "uptr",
                _,
            ) => {
                let want = if base.starts_with("is_") || base.ends_with("ptr") {
                    "1 argument"
                } else {
                    "at most 1 argument"
                };
                self.error(span, super::functions::arity_error(base, want, args.len()));
                poisoned(span)
            }
            ("assert" | "static_assert" | "fail" | "signal" | "signal_thread" | "override", _) => {
                self.error(
                    span,
                    format!("{base}() returns no value and cannot be used in an expression"),
                );
                poisoned(span)
            }
            _ => return None,
        })
    }

    /// bpftrace's error for a function that the probe's type cannot run (`what` as
    /// the message names it: `reg`, `path()`...).
    pub(super) fn wrong_probe_type(&mut self, what: &str, attach: &Attach, span: Span) {
        self.error(
            span,
            format!(
                "{what} can not be used with \"{}\" probes",
                probetype(attach)
            ),
        );
    }

    /// A stdlib call used as a statement; `None` when the name is not one of ours.
    pub(super) fn stdlib_call_stmt(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TStmtKind> {
        if let Some(k) = self.stdlib_unsafe_stmt(cx, name, args, span) {
            return Some(k);
        }
        let base = name.strip_prefix("__builtin_").unwrap_or(name);
        if let Some(k) = self.stdlib_more_stmt(cx, base, args, span) {
            return Some(k);
        }
        let bad = TStmtKind::Expr(poisoned(span));
        Some(match name {
            "assert" => {
                let [cond, msg] = args else {
                    self.error(
                        span,
                        super::functions::arity_error("assert", "2 arguments", args.len()),
                    );
                    return Some(bad);
                };
                self.assert_stmt(cx, cond, msg, span)
            }
            "static_assert" => {
                let [cond, msg] = args else {
                    self.error(
                        span,
                        super::functions::arity_error("static_assert", "2 arguments", args.len()),
                    );
                    return Some(bad);
                };
                let c = self.expr(cx, cond);
                let msg = match &msg.kind {
                    ExprKind::Str(s) => s.clone(),
                    _ => {
                        self.error(
                            msg.span,
                            "static_assert(): the message must be a string literal",
                        );
                        return Some(bad);
                    }
                };
                match const_int(&c) {
                    Some(0) => self.error(span, msg),
                    Some(_) => {}
                    None if c.ty == Type::Unknown => {}
                    None => self.error(
                        cond.span,
                        "static_assert(): the condition must be known at compile time",
                    ),
                }
                TStmtKind::Expr(int_const(0, Type::Void, span))
            }
            "fail" => {
                let Some(ast::Expr {
                    kind: ExprKind::Str(fmt),
                    ..
                }) = args.first()
                else {
                    self.error(
                        span,
                        "fail(): the first argument must be a format string literal",
                    );
                    return Some(bad);
                };
                match format_literal(fmt, &args[1..]) {
                    Ok(msg) | Err(msg) => self.error(span, msg),
                }
                bad
            }
            _ => return None,
        })
    }

    /// `ppid`, `pcomm`, `leader_comm`, `leader_tid` of `task` (default `curtask`):
    /// `task->real_parent->pid` and friends, read with CO-RE.
    pub(super) fn task_macro(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        task: Option<&ast::Expr>,
        span: Span,
    ) -> TExpr {
        let (link, field) = match name {
            "ppid" => ("real_parent", "pid"),
            "pcomm" => ("real_parent", "comm"),
            "leader_comm" => ("group_leader", "comm"),
            _ => ("group_leader", "pid"),
        };
        let task = task.cloned().unwrap_or(ast::Expr {
            kind: ExprKind::Ident("curtask".into()),
            span,
        });
        let link = ast::Expr {
            kind: ExprKind::Field {
                base: Box::new(task),
                field: link.into(),
                arrow: true,
            },
            span,
        };
        let read = ast::Expr {
            kind: ExprKind::Field {
                base: Box::new(link),
                field: field.into(),
                arrow: true,
            },
            span,
        };
        let mut t = self.expr(cx, &read);
        if field == "pid" && matches!(t.ty, Type::Int { .. }) {
            t.ty = Type::U64;
        }
        t
    }

    /// `ctx`: the program's context pointer, where bpftrace allows it.
    fn ctx_builtin(&mut self, cx: &mut ProbeCx, span: Span) -> TExpr {
        match cx.probe.attach {
            Attach::Tracepoint { .. } => {
                self.error(span, "Use args instead of ctx in tracepoint");
                poisoned(span)
            }
            Attach::Kprobe { .. }
            | Attach::Uprobe { .. }
            | Attach::Usdt { .. }
            | Attach::Profile { .. }
            | Attach::Interval { .. }
            | Attach::PerfCounter { .. }
            | Attach::Iter { .. } => TExpr {
                kind: TExprKind::Builtin(Builtin::Ctx),
                ty: Type::Ptr {
                    user: false,
                    to: Pointee::Other,
                },
                span,
            },
            _ => {
                self.error(
                    span,
                    format!(
                        "The ctx builtin can not be used with '{}' probes",
                        probetype(&cx.probe.attach)
                    ),
                );
                poisoned(span)
            }
        }
    }

    /// `config.NAME` (also `config().NAME`, `__builtin_config.NAME`): the value of a
    /// config variable, from the script's config block or bpftrace's default.
    pub(super) fn config_field(&mut self, field: &str, span: Span) -> TExpr {
        let key = super::config::canonical(field);
        let set = self
            .config_items
            .iter()
            .rev()
            .find(|(k, _)| super::config::canonical(k) == key)
            .map(|(_, v)| v.clone());
        let Some(default) = config_default(&key) else {
            self.error(span, format!("unknown config variable '{field}'"));
            return poisoned(span);
        };
        match (default, set) {
            (ConfigConst::Bool(b), None) => bool_const(b, span),
            (ConfigConst::Int(v), None) => int_const(v, Type::U64, span),
            (ConfigConst::Str(s), None) => str_const(s, span),
            (ConfigConst::Bool(_), Some(v)) => {
                let b = matches!(v, ast::ConfigValue::Int(1))
                    || matches!(&v, ast::ConfigValue::Ident(s) | ast::ConfigValue::Str(s) if s == "true");
                bool_const(b, span)
            }
            (ConfigConst::Int(d), Some(v)) => match v {
                ast::ConfigValue::Int(n) => int_const(n as i64, Type::U64, span),
                _ => int_const(d, Type::U64, span),
            },
            (ConfigConst::Str(_), Some(v)) => match v {
                ast::ConfigValue::Int(n) => str_const(&n.to_string(), span),
                ast::ConfigValue::Ident(s) | ast::ConfigValue::Str(s) => str_const(&s, span),
            },
        }
    }

    /// `assert(cond, msg)`: when `cond` is false, bpftrace's `errorf("assert failed:
    /// %s", msg)` (located in its stdlib) and `exit(1)`.
    fn assert_stmt(
        &mut self,
        cx: &mut ProbeCx,
        cond: &ast::Expr,
        msg: &ast::Expr,
        span: Span,
    ) -> TStmtKind {
        let c = self.condition(cx, cond);
        let fmt = ast::Expr {
            kind: ExprKind::Str("assert failed: %s".into()),
            span: msg.span,
        };
        let report = match self.printf(cx, &[fmt, msg.clone()], span) {
            TStmtKind::Printf { id, args } => {
                let Some(mut spec) = self.printfs.get(id as usize).cloned() else {
                    return TStmtKind::Expr(poisoned(span));
                };
                spec.format = format!("{ASSERT_LOCATION}: ERROR: {}", spec.format);
                let id = self.intern_printf(spec);
                TStmtKind::Async {
                    kind: tracec_meta::EventKind::Error,
                    id,
                    args,
                }
            }
            other => return other,
        };
        let not = TExpr {
            kind: TExprKind::Unary {
                op: UnaryOp::LogNot,
                expr: Box::new(c),
            },
            ty: Type::Bool,
            span: cond.span,
        };
        TStmtKind::If {
            cond: not,
            then: vec![
                TStmt { kind: report, span },
                TStmt {
                    kind: TStmtKind::ExitCode(int_const(1, Type::I64, span)),
                    span,
                },
            ],
            els: Vec::new(),
        }
    }
}
