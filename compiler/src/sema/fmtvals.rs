//! Functions whose values the runtime turns into text (`tracec_meta::FmtKind`):
//! `ntop`, `macaddr`, `strftime`, `buf`, `cgroup_path`, `username`, `strerror`,
//! `signal_name`; and the symbol addresses the runtime resolves on the host
//! (`kaddr`, `uaddr`). Lowering: `lower/fmtvals.rs`; formatting:
//! `runtime/src/fmtvals.rs`.

use super::calls::pton;
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use tracec_meta::{Attach, FmtKind};

/// `AF_INET` and `AF_INET6`.
pub const AF_INET: i64 = 2;
pub const AF_INET6: i64 = 10;
/// The most bytes `buf()` copies (bpftrace's default `max_strlen`).
pub const MAX_BUF_SIZE: u32 = MAX_STRING_SIZE;

/// A symbol the runtime resolves before loading: see `tracec_meta::SymbolGlobal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolUse {
    /// Empty when `param` names it.
    pub name: String,
    /// The `.rodata` global of the string parameter holding the name (`str($1)`).
    pub param: Option<String>,
    /// `None`: a kernel symbol; otherwise the binary of the probe (`uaddr`).
    pub path: Option<String>,
    /// The first call naming it.
    pub span: Span,
    /// What the runtime stores (an address unless `cgroupid`, `kfunc_exist`...).
    pub kind: tracec_meta::SymbolKind,
    /// `kfunc_allowed`: the section of the first program using it
    /// (`tracec_meta::SymbolGlobal::allowed_in`).
    pub allowed_in: Option<String>,
}

/// The ELF symbol of the `.rodata` global of symbol address `index`.
pub fn symbol_global(index: u32) -> String {
    format!("tracec_sym_{index}")
}

/// The type's name in messages.
pub fn name(f: FmtKind) -> &'static str {
    match f {
        FmtKind::Inet => "inet",
        FmtKind::MacAddr => "macaddr_t",
        FmtKind::Timestamp => "timestamp",
        FmtKind::Buf { .. } => "buffer",
        FmtKind::CgroupPath => "cgroup_path_t",
        FmtKind::Username => "username",
        FmtKind::Strerror => "strerror_t",
        FmtKind::SignalName => "signal_name_t",
        FmtKind::SyscallName => "syscall_name_t",
        FmtKind::ProbeName => "probe",
        FmtKind::FuncName => "func",
        FmtKind::None { .. } => "none",
    }
}

/// The type of a variable or map slot holding both `a` and `b`, if one can.
pub fn merge(a: FmtKind, b: FmtKind) -> Option<FmtKind> {
    match (a, b) {
        (FmtKind::Buf { size: x }, FmtKind::Buf { size: y }) => {
            Some(FmtKind::Buf { size: x.max(y) })
        }
        (a, b) if a == b => Some(a),
        _ => None,
    }
}

/// Functions of this module.
pub fn known(name: &str) -> bool {
    matches!(
        name,
        "ntop"
            | "macaddr"
            | "strftime"
            | "buf"
            | "cgroup_path"
            | "username"
            | "strerror"
            | "signal_name"
            | "syscall_name"
            | "kaddr"
            | "uaddr"
    )
}

fn fmt(kind: FmtKind, e: FmtExpr, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::FmtValue(e),
        ty: Type::Fmt(kind),
        span,
    }
}

fn int(v: i64, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Int(v),
        ty: Type::I64,
        span,
    }
}

impl Checker {
    /// A call of this module's functions for its value; `None`: not ours.
    pub(super) fn fmt_call(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        Some(match name {
            "ntop" => self.ntop_value(cx, args, span),
            "macaddr" => self.macaddr(cx, args, span),
            "strftime" => self.strftime(cx, args, span),
            "buf" => self.buf(cx, args, span),
            "cgroup_path" => self.word_call(cx, name, args, 1..=2, FmtKind::CgroupPath, span),
            "strerror" => self.word_call(cx, name, args, 1..=1, FmtKind::Strerror, span),
            "signal_name" => self.word_call(cx, name, args, 1..=1, FmtKind::SignalName, span),
            "syscall_name" => {
                self.syscall_names = true;
                self.word_call(cx, name, args, 1..=1, FmtKind::SyscallName, span)
            }
            "username" => {
                if !args.is_empty() {
                    self.error(
                        span,
                        format!("username() takes no arguments, got {}", args.len()),
                    );
                    return Some(poisoned(span));
                }
                username(span)
            }
            "kaddr" | "uaddr" => self.symbol_addr(cx, name, args, span),
            _ => return None,
        })
    }

    fn fmt_arity(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        n: std::ops::RangeInclusive<usize>,
        span: Span,
    ) -> bool {
        if n.contains(&args.len()) {
            return true;
        }
        let want = if n.start() == n.end() {
            format!("{}", n.start())
        } else {
            format!("{} or {}", n.start(), n.end())
        };
        let s = if *n.end() == 1 { "" } else { "s" };
        self.error(
            span,
            format!("{name}() takes {want} argument{s}, got {}", args.len()),
        );
        false
    }

    /// An integer argument; `None` after reporting an error (or an earlier one).
    fn fmt_int(&mut self, cx: &mut ProbeCx, name: &str, a: &ast::Expr) -> Option<TExpr> {
        let t = self.expr(cx, a);
        match t.ty {
            Type::Int { .. } | Type::Ptr { .. } | Type::Bool => Some(t),
            Type::Unknown => None,
            other => {
                self.error(
                    t.span,
                    format!("{name}() expects an integer, got {}", other.describe()),
                );
                None
            }
        }
    }

    /// `ntop([af,] addr)`: an `inet` value.
    fn ntop_value(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if !self.fmt_arity("ntop", args, 1..=2, span) {
            return poisoned(span);
        }
        let (af, addr) = match args {
            [af, addr] => (Some(af), addr),
            [addr] => (None, addr),
            _ => return poisoned(span),
        };
        let af = match af {
            Some(a) => match self.fmt_int(cx, "ntop", a) {
                Some(t) => Some(t),
                None => return poisoned(span),
            },
            None => None,
        };
        if let ExprKind::Call { name, args: pargs } = &addr.kind {
            if name == "pton" {
                let Some(bytes) = self.pton_const(pargs, addr.span) else {
                    return poisoned(span);
                };
                let af = match af.map(|a| a.kind) {
                    None => {
                        if bytes.len() == 4 {
                            AF_INET
                        } else {
                            AF_INET6
                        }
                    }
                    Some(TExprKind::Int(v)) => v,
                    Some(_) => {
                        self.error(span, "ntop(): the address family must be a constant");
                        return poisoned(span);
                    }
                };
                if super::calls::ntop_text(Some(af), &bytes).is_none() {
                    self.error(
                        span,
                        "ntop(): the address family does not match the address",
                    );
                    return poisoned(span);
                }
                let mut b = [0u8; 16];
                b[..bytes.len()].copy_from_slice(&bytes);
                return fmt(FmtKind::Inet, FmtExpr::InetBytes { af, bytes: b }, span);
            }
        }
        let addr = self.expr(cx, addr);
        let default_af = match addr.ty {
            Type::Int { .. } | Type::Ptr { .. } => AF_INET,
            Type::Str { size: 4 } => AF_INET,
            Type::Str { size: 16 } => AF_INET6,
            // An integer array (`__be32 u6_addr32[4]`) or an address struct value
            // (`struct in6_addr`, `struct in_addr`) of 4 or 16 bytes.
            Type::Tuple(t) if t.size == 4 => AF_INET,
            Type::Tuple(t) if t.size == 16 => AF_INET6,
            Type::Unknown => return poisoned(span),
            other => {
                self.error(
                    addr.span,
                    format!(
                        "ntop() expects an integer or an array of 4 or 16 bytes, got {}",
                        other.describe()
                    ),
                );
                return poisoned(span);
            }
        };
        if let Some(TExpr {
            kind: TExprKind::Int(v),
            span: s,
            ..
        }) = &af
        {
            let fits = match addr.ty {
                Type::Str { size } => *v != AF_INET6 || size >= 16,
                Type::Tuple(t) => *v != AF_INET6 || t.size >= 16,
                _ => *v != AF_INET6,
            };
            if !matches!(*v, AF_INET | AF_INET6) || !fits {
                self.error(*s, "ntop(): the address family does not match the address");
                return poisoned(span);
            }
        }
        let af = af.unwrap_or_else(|| int(default_af, span));
        fmt(
            FmtKind::Inet,
            FmtExpr::Inet {
                af: Box::new(af),
                addr: Box::new(addr),
            },
            span,
        )
    }

    /// `pton("text")` as ntop's address: 4 or 16 bytes.
    pub(super) fn pton_const(&mut self, pargs: &[ast::Expr], span: Span) -> Option<Vec<u8>> {
        let [ast::Expr {
            kind: ExprKind::Str(text),
            ..
        }] = pargs
        else {
            self.error(span, "pton() takes one string literal");
            return None;
        };
        let bytes = pton(text);
        if bytes.is_none() {
            self.error(span, format!("pton(): '{text}' is not an IP address"));
        }
        bytes
    }

    /// `macaddr(addr)`: 6 bytes of an array, or read from a pointer.
    fn macaddr(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if !self.fmt_arity("macaddr", args, 1..=1, span) {
            return poisoned(span);
        }
        let addr = self.expr(cx, &args[0]);
        let user = match addr.ty {
            Type::Str { size } if size >= 6 => false,
            Type::Ptr { user, .. } => user,
            Type::Int { .. } => cx.user_default,
            Type::Unknown => return poisoned(span),
            other => {
                self.error(
                    addr.span,
                    format!(
                        "macaddr() expects an array of 6 bytes or a pointer, got {}",
                        other.describe()
                    ),
                );
                return poisoned(span);
            }
        };
        fmt(
            FmtKind::MacAddr,
            FmtExpr::MacAddr {
                addr: Box::new(addr),
                user,
            },
            span,
        )
    }

    /// `strftime(fmt, nsecs)`: a timestamp the runtime formats.
    fn strftime(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if !self.fmt_arity("strftime", args, 2..=2, span) {
            return poisoned(span);
        }
        let ExprKind::Str(format) = &args[0].kind else {
            self.error(
                args[0].span,
                "strftime() expects a string literal as its format",
            );
            return poisoned(span);
        };
        let Some(ns) = self.fmt_int(cx, "strftime", &args[1]) else {
            return poisoned(span);
        };
        if let TExprKind::Int(v) = ns.kind {
            if v < 0 {
                self.error(ns.span, "strftime(): the timestamp must not be negative");
                return poisoned(span);
            }
        }
        let index = match self.strftime_formats.iter().position(|f| f == format) {
            Some(i) => i,
            None => {
                self.strftime_formats.push(format.clone());
                self.strftime_formats.len() - 1
            }
        };
        fmt(
            FmtKind::Timestamp,
            FmtExpr::Timestamp {
                format: index as u32,
                ns: Box::new(ns),
            },
            span,
        )
    }

    /// `buf(data[, len])`.
    fn buf(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if !self.fmt_arity("buf", args, 1..=2, span) {
            return poisoned(span);
        }
        let data = self.expr(cx, &args[0]);
        let len = match args.get(1) {
            Some(a) => match self.fmt_int(cx, "buf", a) {
                Some(t) => Some(t),
                None => return poisoned(span),
            },
            None => None,
        };
        let (user, cap) = match data.ty {
            Type::Str { size } => (false, size),
            // An integer array's bytes (`uint8_t c[4]`, `int d[4]`), whole.
            Type::Tuple(t) if t.array && t.size <= MAX_BUF_SIZE => (false, t.size),
            Type::Ptr { user, .. } => (user, MAX_BUF_SIZE),
            Type::Int { .. } => (cx.user_default, MAX_BUF_SIZE),
            Type::Unknown => return poisoned(span),
            other => {
                self.error(
                    data.span,
                    format!(
                        "buf() expects a pointer or an array, got {}",
                        other.describe()
                    ),
                );
                return poisoned(span);
            }
        };
        let size = match &len {
            // The array is copied whole; the length only limits what prints.
            _ if matches!(data.ty, Type::Tuple(_)) => cap.min(MAX_BUF_SIZE),
            Some(TExpr {
                kind: TExprKind::Int(v),
                span: s,
                ..
            }) => {
                if *v < 0 {
                    self.error(*s, "buf(): the length must not be negative");
                    return poisoned(span);
                }
                (*v as u64).min(u64::from(cap.min(MAX_BUF_SIZE))) as u32
            }
            Some(_) => cap.min(MAX_BUF_SIZE),
            None if data.ty.is_str() || matches!(data.ty, Type::Tuple(_)) => cap.min(MAX_BUF_SIZE),
            None => {
                self.error(span, "buf() of a pointer needs a length, e.g. buf(ptr, 16)");
                return poisoned(span);
            }
        };
        fmt(
            FmtKind::Buf { size },
            FmtExpr::Buf {
                data: Box::new(data),
                len: len.map(Box::new),
                size,
                user,
            },
            span,
        )
    }

    /// A function of one integer the runtime names (`strerror`...). `cgroup_path`'s
    /// optional filter is accepted and ignored.
    fn word_call(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        n: std::ops::RangeInclusive<usize>,
        kind: FmtKind,
        span: Span,
    ) -> TExpr {
        if !self.fmt_arity(name, args, n, span) {
            return poisoned(span);
        }
        if let Some(f) = args.get(1) {
            if !matches!(f.kind, ExprKind::Str(_)) {
                self.error(
                    f.span,
                    format!("{name}(): the filter must be a string literal"),
                );
                return poisoned(span);
            }
        }
        let Some(v) = self.fmt_int(cx, name, &args[0]) else {
            return poisoned(span);
        };
        fmt(kind, FmtExpr::Word(Box::new(v)), span)
    }

    /// `kaddr("name")` / `uaddr("name")`: a global the runtime sets to the address.
    fn symbol_addr(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> TExpr {
        if !self.fmt_arity(name, args, 1..=1, span) {
            return poisoned(span);
        }
        let mut param = None;
        // `str($N)` (or `$N`): the name is the parameter's text.
        let positional = match &args[0].kind {
            ExprKind::Call { name, args: a } if name == "str" && a.len() == 1 => {
                super::params::positional(&a[0])
            }
            _ => super::params::positional(&args[0]),
        };
        let sym = match &args[0].kind {
            ExprKind::Str(s) => s.clone(),
            _ if positional.is_some() => {
                let t = self.positional_str(positional.unwrap_or(0), args[0].span);
                if let TExprKind::Param(p) = t.kind {
                    param = self
                        .params
                        .specs
                        .get(p.0 as usize)
                        .map(|s| s.symbol.clone());
                }
                String::new()
            }
            _ => match self.expr(cx, &args[0]) {
                TExpr {
                    kind: TExprKind::Str(s),
                    ..
                } => s,
                TExpr {
                    ty: Type::Unknown, ..
                } => return poisoned(span),
                a => {
                    self.error(a.span, format!("{name}() expects a string literal"));
                    return poisoned(span);
                }
            },
        };
        let path = if name == "uaddr" {
            match &cx.probe.attach {
                Attach::Uprobe { path, .. } => Some(path.clone()),
                _ => {
                    self.error(span, "uaddr() can only be used in uprobes and USDT probes");
                    return poisoned(span);
                }
            }
        } else {
            None
        };
        let uaddr_to = match &path {
            Some(p) if param.is_none() => super::uaddr_type::pointee(p, &sym),
            _ => Pointee::Sized { size: 8 },
        };
        let index = match self.symbol_globals.iter().position(|s| {
            s.name == sym
                && s.path == path
                && s.param == param
                && s.kind == tracec_meta::SymbolKind::Address
        }) {
            Some(i) => i,
            None => {
                self.symbol_globals.push(SymbolUse {
                    name: sym,
                    param,
                    path,
                    span,
                    kind: tracec_meta::SymbolKind::Address,
                    allowed_in: None,
                });
                self.symbol_globals.len() - 1
            }
        };
        TExpr {
            kind: TExprKind::SymbolAddr(index as u32),
            ty: if name == "uaddr" {
                Type::Ptr {
                    user: true,
                    to: uaddr_to,
                }
            } else {
                Type::U64
            },
            span,
        }
    }
}

/// `username`: the current uid, named by the runtime.
pub(super) fn username(span: Span) -> TExpr {
    let uid = TExpr {
        kind: TExprKind::Builtin(Builtin::Uid),
        ty: Type::U64,
        span,
    };
    fmt(FmtKind::Username, FmtExpr::Word(Box::new(uid)), span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_merge_to_the_larger() {
        assert_eq!(
            merge(FmtKind::Buf { size: 4 }, FmtKind::Buf { size: 9 }),
            Some(FmtKind::Buf { size: 9 })
        );
        assert_eq!(merge(FmtKind::Inet, FmtKind::Inet), Some(FmtKind::Inet));
        assert_eq!(merge(FmtKind::Inet, FmtKind::MacAddr), None);
    }

    #[test]
    fn globals_are_numbered() {
        assert_eq!(symbol_global(3), "tracec_sym_3");
        assert!(known("strftime") && !known("strlen"));
    }
}
