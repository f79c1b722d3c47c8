//! More functions, by family: builtins called like functions (`pid()`, `nsecs(boot)`),
//! integer functions (`bswap`), string functions (`strncmp`, `strcontains`, `strlen`),
//! and the asynchronous ones the runtime carries out (`cat`, `system`, `time`,
//! `warnf`, `errorf`, `exit(code)`). Lowering: `lower/calls.rs`, `lower/strings.rs`.

use super::types::*;
use super::{builtins, poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span, TypeBase};
use tracec_meta::{EventKind, PrintfSpec};

/// Functions this module checks when used for their value.
const VALUE_FUNCS: &[&str] = &[
    "bswap",
    "strncmp",
    "strcontains",
    "strlen",
    "ntop",
    "pton",
    "sizeof",
    "offsetof",
];
/// Functions this module checks when used as statements.
const STMT_FUNCS: &[&str] = &["cat", "system", "time", "warnf", "errorf", "exit", "debugf"];
/// Functions that need `--unsafe`.
pub const UNSAFE_FUNCS: &[&str] = &["system"];

/// Whether `name` is a function of this module (for "unknown function" checks).
pub fn known(name: &str) -> bool {
    VALUE_FUNCS.contains(&name)
        || STMT_FUNCS.contains(&name)
        || super::core_query::QUERIES.contains(&name)
        || super::array_build::known(name)
}

/// Start of a printf format that must be prefixed with a source location:
/// `MARK START:END:LEVEL NUL format` (see [`resolve_location`]).
pub const LOCATION_MARK: &str = "\0loc:";

/// The format of a located printf (`warnf`, `errorf`) with its marker replaced by
/// `name:line:col-col: LEVEL: ` (`%` in the name escaped); `None` if unmarked.
/// `line_col` maps a byte offset of the source to 1-based line and column.
pub fn resolve_location(
    format: &str,
    name: &str,
    line_col: impl Fn(u32) -> (u32, u32),
) -> Option<String> {
    resolve_location_in(format, name, "", line_col)
}

/// [`resolve_location`], followed (when the call came from macro expansions and
/// `source` is the script) by bpftrace's `NAME:L:C-C: LEVEL: expanded from` note, the
/// source line and `~` under each macro call, innermost first.
pub fn resolve_location_in(
    format: &str,
    name: &str,
    source: &str,
    line_col: impl Fn(u32) -> (u32, u32),
) -> Option<String> {
    let rest = format.strip_prefix(LOCATION_MARK)?;
    let (head, body) = rest.split_once('\0')?;
    let mut parts = head.splitn(3, ':');
    let start: u32 = parts.next()?.parse().ok()?;
    let end: u32 = parts.next()?.parse().ok()?;
    let mut chain = parts.next()?.split('|');
    let level = chain.next()?;
    let (line, col) = line_col(start);
    let (_, end_col) = line_col(end);
    let name = name.replace('%', "%%");
    let mut out = format!("{name}:{line}:{col}-{end_col}: {level}: {body}");
    for site in chain {
        let Some((s, e)) = site.split_once('-') else {
            continue;
        };
        let (Ok(s), Ok(e)) = (s.parse::<u32>(), e.parse::<u32>()) else {
            continue;
        };
        let (line, col) = line_col(s);
        let (_, end_col) = line_col(e);
        let text = source.lines().nth(line as usize - 1).unwrap_or("");
        let marks = " ".repeat(col as usize - 1)
            + &"~".repeat((end_col.saturating_sub(col) as usize).max(1));
        out.push_str(&format!(
            "{name}:{line}:{col}-{end_col}: {level}: expanded from\n{}\n{marks}\n",
            text.replace('%', "%%")
        ));
    }
    Some(out)
}

/// The default format of `time()`.
pub const DEFAULT_TIME_FORMAT: &str = "%H:%M:%S\n";

fn int(v: i64, ty: Type, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Int(v),
        ty,
        span,
    }
}

/// `bswap` of the low `bytes` bytes of `v`.
pub fn bswap_const(v: i64, bytes: u32) -> i64 {
    let v = v as u64;
    match bytes {
        1 => (v & 0xff) as i64,
        2 => i64::from((v as u16).swap_bytes()),
        4 => i64::from((v as u32).swap_bytes()),
        _ => v.swap_bytes() as i64,
    }
}

/// `AF_INET` and `AF_INET6` on Linux.
const AF_INET: i64 = 2;
const AF_INET6: i64 = 10;

/// The bytes of an IPv4 (`a.b.c.d`) or IPv6 address in text form.
pub fn pton(text: &str) -> Option<Vec<u8>> {
    if text.contains(':') {
        text.parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|a| a.octets().to_vec())
    } else {
        text.parse::<std::net::Ipv4Addr>()
            .ok()
            .map(|a| a.octets().to_vec())
    }
}

/// inet_ntop of `bytes` (4: IPv4, 16: IPv6); `af`, if given, must agree (an IPv4
/// integer with `AF_INET6` is an error).
pub fn ntop_text(af: Option<i64>, bytes: &[u8]) -> Option<String> {
    let af = af.unwrap_or(if bytes.len() == 16 { AF_INET6 } else { AF_INET });
    match (af, bytes.len()) {
        (AF_INET, 4) => {
            Some(std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string())
        }
        (AF_INET6, 16) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes);
            Some(std::net::Ipv6Addr::from(a).to_string())
        }
        _ => None,
    }
}

/// Whether `needle` occurs in `hay` (C strings: both end at their first NUL).
pub fn contains_const(hay: &str, needle: &str) -> bool {
    let cut = |s: &str| s.split('\0').next().unwrap_or("").to_string();
    cut(hay).contains(&cut(needle))
}

impl Checker {
    /// A call for its value that `functions::lookup` does not know. `None`: not ours.
    pub(super) fn more_call_expr(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        if let Some(t) = self.core_query(cx, name, args, span) {
            return Some(t);
        }
        if let Some(t) = self.array_build(cx, name, args, span) {
            return Some(t);
        }
        let base = name.strip_prefix("__builtin_").unwrap_or(name);
        if let Some(t) = self.stdlib_call_expr(cx, base, args, span) {
            return Some(t);
        }
        // The call forms of builtins that depend on the probe (`func()`, `probe()`,
        // `retval()`).
        if args.is_empty() && matches!(base, "func" | "probe" | "retval") {
            return Some(self.ident(cx, base, span));
        }
        if matches!(base, "pid" | "tid") && args.len() == 1 {
            return Some(self.pid_ns_call(base == "tid", &args[0], span));
        }
        if base == "comm" && args.len() == 1 {
            return Some(self.comm_of_pid(cx, &args[0], span));
        }
        if base == "nsecs" && args.len() == 1 {
            return Some(self.nsecs_call(&args[0], span));
        }
        if let Some((b, ty)) = builtins::lookup(base) {
            if !args.is_empty() {
                self.error(
                    span,
                    format!("{base}() takes no arguments, got {}", args.len()),
                );
                return Some(poisoned(span));
            }
            return Some(TExpr {
                kind: TExprKind::Builtin(b),
                ty,
                span,
            });
        }
        Some(match base {
            "bswap" => self.bswap(cx, args, span),
            "strncmp" => self.strncmp(cx, args, span),
            "strcontains" => self.strcontains(cx, args, span),
            "strlen" => self.strlen(cx, args, span),
            "sizeof" => self.sizeof(cx, args, span),
            "kstack" | "ustack" => self.stack_expr(base, args, span),
            "dw_ustack" => self.dw_stack_expr(cx, args, span),
            "ksym" | "usym" => self.sym_call(cx, base, args, span),
            "offsetof" => self.offsetof(cx, args, span),
            "percpu_kaddr" => self.percpu_kaddr(cx, args, span),
            _ if super::fmtvals::known(base) => self.fmt_call(cx, base, args, span)?,
            _ if super::mapfuncs::known(base) => self.map_func_call(cx, base, args, span)?,
            "pton" => self.pton_value(args, span),
            _ if STMT_FUNCS.contains(&base) => {
                self.error(
                    span,
                    format!("{base}() returns no value and cannot be used in an expression"),
                );
                poisoned(span)
            }
            _ => return None,
        })
    }

    fn nsecs_call(&mut self, clock: &ast::Expr, span: Span) -> TExpr {
        let b = match &clock.kind {
            ExprKind::Ident(c) => builtins::nsecs_clock(c),
            _ => None,
        };
        match b {
            Some(b) => TExpr {
                kind: TExprKind::Builtin(b),
                ty: Type::U64,
                span,
            },
            None => {
                self.error(
                    clock.span,
                    "nsecs(): the clock must be one of monotonic, boot, tai, sw_tai",
                );
                poisoned(span)
            }
        }
    }

    /// An argument that must be an integer.
    fn int_arg(&mut self, cx: &mut ProbeCx, f: &str, a: &ast::Expr) -> Option<TExpr> {
        let t = self.expr(cx, a);
        match t.ty {
            Type::Int { .. } | Type::Ptr { .. } => Some(t),
            Type::Unknown => None,
            other => {
                self.error(
                    t.span,
                    format!("{f}() needs an integer, not {}", other.describe()),
                );
                None
            }
        }
    }

    /// An argument that must be a string.
    fn str_arg(&mut self, cx: &mut ProbeCx, f: &str, a: &ast::Expr) -> Option<TExpr> {
        let t = self.expr(cx, a);
        let t = self.name_as_str(cx, t);
        match t.ty {
            Type::Str { .. } => Some(t),
            Type::Unknown => None,
            other => {
                self.error(
                    t.span,
                    format!("{f}() needs a string, not {}", other.describe()),
                );
                None
            }
        }
    }

    fn arity(&mut self, f: &str, args: &[ast::Expr], n: usize, span: Span) -> bool {
        if args.len() == n {
            return true;
        }
        self.error(
            span,
            format!(
                "{f}() takes {n} argument{}, got {}",
                if n == 1 { "" } else { "s" },
                args.len()
            ),
        );
        false
    }

    /// `bswap(n)`: the width is the argument's as written (`bswap((uint16)x)`),
    /// otherwise 64 bits.
    fn bswap(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if !self.arity("bswap", args, 1, span) {
            return poisoned(span);
        }
        let bytes = match &args[0].kind {
            ExprKind::Cast { ty, .. } if ty.pointers == 0 => match ty.base {
                TypeBase::Int { bits, .. } => u32::from(bits / 8).clamp(1, 8),
                _ => 8,
            },
            _ => 8,
        };
        let Some(x) = self.int_arg(cx, "bswap", &args[0]) else {
            return poisoned(span);
        };
        if let TExprKind::Int(v) = x.kind {
            return int(bswap_const(v, bytes), Type::U64, span);
        }
        TExpr {
            kind: TExprKind::Bswap {
                expr: Box::new(x),
                bytes,
            },
            ty: Type::U64,
            span,
        }
    }

    /// `strncmp(a, b, n)`: 0 when the first `n` characters are equal; `n` is a literal.
    fn strncmp(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if !self.arity("strncmp", args, 3, span) {
            return poisoned(span);
        }
        let a = self.str_arg(cx, "strncmp", &args[0]);
        let b = self.str_arg(cx, "strncmp", &args[1]);
        let n = match args[2].kind {
            ExprKind::Int(n) => n.min(u64::from(u32::MAX)) as u32,
            _ => {
                // A positional parameter is known only at run time here.
                let n = self.expr(cx, &args[2]);
                if n.ty == Type::Unknown {
                    return poisoned(span);
                }
                if !super::unroll_param::is_param(&n) {
                    self.error(
                        args[2].span,
                        "strncmp(): the length must be an integer literal",
                    );
                    return poisoned(span);
                }
                let (Some(a), Some(b)) = (a, b) else {
                    return poisoned(span);
                };
                return TExpr {
                    kind: TExprKind::StrNcmpParam {
                        lhs: Box::new(a),
                        rhs: Box::new(b),
                        n: Box::new(n),
                    },
                    ty: Type::U64,
                    span,
                };
            }
        };
        let (Some(a), Some(b)) = (a, b) else {
            return poisoned(span);
        };
        if let (TExprKind::Str(x), TExprKind::Str(y)) = (&a.kind, &b.kind) {
            let cut = |s: &str| -> Vec<u8> {
                let mut v: Vec<u8> = s.bytes().take_while(|c| *c != 0).collect();
                v.push(0);
                v.truncate(n as usize);
                v
            };
            return int((cut(x) != cut(y)) as i64, Type::U64, span);
        }
        TExpr {
            kind: TExprKind::StrNcmp {
                lhs: Box::new(a),
                rhs: Box::new(b),
                n,
            },
            ty: Type::U64,
            span,
        }
    }

    /// `strcontains(haystack, needle)`: 1 if `needle` occurs in `haystack`.
    fn strcontains(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if !self.arity("strcontains", args, 2, span) {
            return poisoned(span);
        }
        let h = self.str_arg(cx, "strcontains", &args[0]);
        let n = self.str_arg(cx, "strcontains", &args[1]);
        let (Some(h), Some(n)) = (h, n) else {
            return poisoned(span);
        };
        if let (TExprKind::Str(x), TExprKind::Str(y)) = (&h.kind, &n.kind) {
            return int(contains_const(x, y) as i64, Type::Bool, span);
        }
        TExpr {
            kind: TExprKind::StrContains {
                hay: Box::new(h),
                needle: Box::new(n),
            },
            ty: Type::Bool,
            span,
        }
    }

    /// `strlen(s)`: bytes before the first NUL.
    fn strlen(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if !self.arity("strlen", args, 1, span) {
            return poisoned(span);
        }
        let Some(s) = self.str_arg(cx, "strlen", &args[0]) else {
            return poisoned(span);
        };
        if let TExprKind::Str(x) = &s.kind {
            let n = x.bytes().take_while(|c| *c != 0).count();
            return int(n as i64, Type::U64, span);
        }
        TExpr {
            kind: TExprKind::StrLen(Box::new(s)),
            ty: Type::U64,
            span,
        }
    }

    /// `usermode` and `ppid`, which depend on the probe or read kernel structs.
    pub(super) fn task_builtin(&mut self, cx: &mut ProbeCx, name: &str, span: Span) -> TExpr {
        if name == "ppid" {
            // curtask->real_parent->pid (the reference's alias), see `stdlib.rs`.
            return self.task_macro(cx, "ppid", None, span);
        }
        match cx.probe.attach {
            tracec_meta::Attach::Begin | tracec_meta::Attach::End => int(1, Type::U64, span),
            // A kernel function's entry or exit runs in kernel mode (there are no
            // registers of the interrupted context to look at).
            tracec_meta::Attach::Fentry { .. } | tracec_meta::Attach::FentryBpf { .. } => {
                int(0, Type::U64, span)
            }
            tracec_meta::Attach::Kprobe { .. }
            | tracec_meta::Attach::Uprobe { .. }
            | tracec_meta::Attach::Usdt { .. }
            | tracec_meta::Attach::Profile { .. }
            | tracec_meta::Attach::Interval { .. } => TExpr {
                kind: TExprKind::Builtin(Builtin::UserMode),
                ty: Type::U64,
                span,
            },
            _ => {
                self.error(
                    span,
                    format!("usermode is not available in probe '{}'", cx.probe.name),
                );
                poisoned(span)
            }
        }
    }

    /// A call used as a statement that `functions::lookup` does not know, or
    /// `exit(code)`. `None`: not ours.
    pub(super) fn more_call_stmt(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TStmtKind> {
        if let Some(k) = self.stdlib_call_stmt(cx, name, args, span) {
            return Some(k);
        }
        let bad = TStmtKind::Expr(poisoned(span));
        Some(match name {
            "debugf" => self.debugf(cx, args, span),
            "unwatch" => self.unwatch(cx, args, span),
            "exit" if args.len() == 1 => match self.int_arg(cx, "exit", &args[0]) {
                Some(code) => TStmtKind::ExitCode(code),
                None => bad,
            },
            "time" => {
                let format = match args {
                    [] => DEFAULT_TIME_FORMAT.to_string(),
                    [ast::Expr {
                        kind: ExprKind::Str(s),
                        ..
                    }] => s.clone(),
                    _ => {
                        self.error(
                            span,
                            "time() takes one string literal, e.g. time(\"%H:%M\")",
                        );
                        return Some(bad);
                    }
                };
                let id = self.intern_printf(PrintfSpec {
                    format,
                    args: Vec::new(),
                });
                TStmtKind::Async {
                    kind: EventKind::Time,
                    id,
                    args: Vec::new(),
                }
            }
            "cat" | "system" | "warnf" | "errorf" => {
                if UNSAFE_FUNCS.contains(&name) {
                    self.unsafe_calls.push((name.to_string(), span));
                }
                let kind = match name {
                    "cat" => EventKind::Cat,
                    "system" => EventKind::System,
                    "warnf" => EventKind::Warn,
                    _ => EventKind::Error,
                };
                match self.printf(cx, args, span) {
                    TStmtKind::Printf { id, args } => {
                        let id = match kind {
                            EventKind::Warn => self.locate_printf(id, span, "WARNING"),
                            EventKind::Error => self.locate_printf(id, span, "ERROR"),
                            _ => id,
                        };
                        TStmtKind::Async { kind, id, args }
                    }
                    other => other,
                }
            }
            _ => return None,
        })
    }

    /// A copy of printf `id` whose format carries a [`LOCATION_MARK`] for `span`:
    /// the driver, which has the source text, turns it into `NAME:L:C-C: LEVEL: `.
    pub(super) fn locate_printf(&mut self, id: u32, span: Span, level: &str) -> u32 {
        let Some(spec) = self.printfs.get(id as usize).cloned() else {
            return id;
        };
        let chain: String = self
            .expansions
            .iter()
            .rev()
            .map(|s| format!("|{}-{}", s.start, s.end))
            .collect();
        let mut format = format!(
            "{LOCATION_MARK}{}:{}:{level}{chain}\0{}",
            span.start, span.end, spec.format
        );
        if !format.ends_with('\n') {
            format.push('\n');
        }
        self.intern_printf(PrintfSpec { format, ..spec })
    }

    pub(super) fn intern_printf(&mut self, spec: PrintfSpec) -> u32 {
        if let Some(i) = self.printfs.iter().position(|p| *p == spec) {
            return i as u32;
        }
        self.printfs.push(spec);
        (self.printfs.len() - 1) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bswap_widths() {
        assert_eq!(
            bswap_const(0x1122334455667788, 8),
            0x8877665544332211u64 as i64
        );
        assert_eq!(bswap_const(0x12345678, 4), 0x78563412);
        assert_eq!(bswap_const(0x1234, 2), 0x3412);
        assert_eq!(bswap_const(0x12, 1), 0x12);
        assert_eq!(bswap_const(0xff12, 1), 0x12);
    }

    #[test]
    fn inet() {
        let v4 = |v: u32| ntop_text(None, &v.to_le_bytes()).unwrap();
        assert_eq!(v4(1), "1.0.0.0");
        assert_eq!(v4(0x0100007f), "127.0.0.1");
        assert_eq!(v4(0xffff0000), "0.0.255.255");
        let p = pton("127.0.0.1").unwrap();
        assert_eq!(ntop_text(Some(2), &p).unwrap(), "127.0.0.1");
        let p = pton("::1").unwrap();
        assert_eq!(ntop_text(Some(10), &p).unwrap(), "::1");
        assert_eq!(ntop_text(Some(10), &[1, 2, 3, 4]), None);
        assert_eq!(pton("1.2.3"), None);
    }

    #[test]
    fn locations() {
        let f = format!("{LOCATION_MARK}8:20:ERROR\0bad %d\n");
        let lc = |o: u32| (1, o + 1);
        assert_eq!(
            resolve_location(&f, "stdin", lc).as_deref(),
            Some("stdin:1:9-21: ERROR: bad %d\n")
        );
        assert_eq!(
            resolve_location(&f, "a%b", lc).as_deref(),
            Some("a%%b:1:9-21: ERROR: bad %d\n")
        );
        assert_eq!(resolve_location("plain %d", "stdin", lc), None);
    }

    #[test]
    fn contains() {
        assert!(contains_const("hello-test-world", "test"));
        assert!(contains_const("", ""));
        assert!(contains_const("hello", ""));
        assert!(!contains_const("", "x"));
        assert!(!contains_const("Hello", "hello"));
        assert!(contains_const("ababac", "abac"));
        assert!(!contains_const("hello", "hello-longer"));
    }
}
