//! Run-time parameters: `$1`..`$N`, `$#` and `getopt(...)`.
//!
//! bpftrace substitutes parameters when it compiles; tracec compiles ahead of time, so
//! every parameter the script uses becomes a `.rodata` global (listed in
//! [`tracec_meta::Metadata::params`]) that `tracerun` fills from its command line before
//! loading. The globals' initial values are the defaults (0, "", false, or getopt's
//! default), so a runtime that ignores parameters runs the script with defaults.
//!
//! The typing rule for `$N` (we cannot look at the argument, so the use decides):
//! * `$N` is a string where the script needs one: `str($N)`, `str($N, len)`,
//!   `str($N + k)` (k a constant), a `%s` argument of `printf`, and a side of `==` / `!=`
//!   whose other side is a string. The global is a `char[64]` holding the argument's
//!   text (cut to 63 bytes, as `str()` would), "" when missing.
//! * Everywhere else `$N` is a signed 64-bit integer: the argument parsed as a C integer
//!   literal (decimal, `0x` hex, `0` octal, optional `-`; up to `u64::MAX`), 0 when
//!   missing. `tracerun` refuses a non-numeric argument for an integer use.
//!
//! * `$N` whose printed text is all that matters (an argument of `print()`, itself or
//!   as an element of a tuple literal) is typed at run time, as bpftrace types it by
//!   its argument: a `char[64]` holding the number in decimal when the argument is
//!   one, else the argument as written (so `print(($1, 2))` prints `(pos1, 2)` or
//!   `(16, 2)` for `0x10`), "0" when missing. See `print_text.rs`.
//!
//! A parameter used in several ways gets a global for each. `$#` is an unsigned
//! integer.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, BinOp, ExprKind, Span, UnOp};
use tracec_meta::{ParamKind, ParamSpec, ParamType, ParamValue};

/// A parameter (index into [`super::Checked::params`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(pub u32);

/// Size of string parameters (`char[64]`, like `str()`'s buffer).
pub const PARAM_STR_SIZE: u32 = MAX_STRING_SIZE;

/// What a `$name` is, if it is not a scratch variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// `$N`, N >= 1.
    Positional(u32),
    /// `$#`.
    Count,
    /// `$0`, or a number too large.
    Invalid,
}

/// Classify a variable name (the text after `$`).
pub fn special(name: &str) -> Option<Special> {
    if name == "#" {
        return Some(Special::Count);
    }
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match name.parse::<u32>() {
        Ok(n) if n >= 1 => Special::Positional(n),
        _ => Special::Invalid,
    })
}

/// The positional index of `e` if it is `$N`.
pub fn positional(e: &ast::Expr) -> Option<u32> {
    match &e.kind {
        ExprKind::Var(name) => match special(name) {
            Some(Special::Positional(n)) => Some(n),
            _ => None,
        },
        _ => None,
    }
}

/// The parameters used so far (kept across the checker's two passes).
#[derive(Debug, Clone, Default)]
pub struct ParamTable {
    pub specs: Vec<ParamSpec>,
}

/// A C identifier made of `name` (for the option's symbol).
fn c_ident(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

impl ParamTable {
    fn find(&self, pred: impl Fn(&ParamSpec) -> bool) -> Option<ParamId> {
        self.specs.iter().position(pred).map(|i| ParamId(i as u32))
    }

    fn push(&mut self, spec: ParamSpec) -> ParamId {
        self.specs.push(spec);
        ParamId(self.specs.len() as u32 - 1)
    }

    /// `$index` stored as `ty` (Int or Str).
    pub fn positional(&mut self, index: u32, ty: ParamType) -> ParamId {
        let found = self.find(|p| p.kind == ParamKind::Positional { index } && p.ty == ty);
        found.unwrap_or_else(|| {
            let suffix = if ty == ParamType::Int { "int" } else { "str" };
            self.push(ParamSpec {
                symbol: format!("tracec_param_{index}_{suffix}"),
                kind: ParamKind::Positional { index },
                ty,
            })
        })
    }

    /// `$index` as printed text (`ParamKind::PositionalText`).
    pub fn positional_text(&mut self, index: u32) -> ParamId {
        let kind = ParamKind::PositionalText { index };
        self.find(|p| p.kind == kind).unwrap_or_else(|| {
            self.push(ParamSpec {
                symbol: format!("tracec_param_{index}_text"),
                kind,
                ty: ParamType::Str {
                    size: PARAM_STR_SIZE,
                },
            })
        })
    }

    pub fn count(&mut self) -> ParamId {
        self.find(|p| p.kind == ParamKind::Count)
            .unwrap_or_else(|| {
                self.push(ParamSpec {
                    symbol: "tracec_param_count".into(),
                    kind: ParamKind::Count,
                    ty: ParamType::Int,
                })
            })
    }

    /// `getopt(name, default)`; an error if `name` was declared with another default.
    pub fn named(
        &mut self,
        name: &str,
        default: ParamValue,
        ty: ParamType,
        description: Option<String>,
    ) -> Result<ParamId, String> {
        let same = |p: &ParamSpec| matches!(&p.kind, ParamKind::Named { name: n, .. } if n == name);
        if let Some(id) = self.find(same) {
            let p = &mut self.specs[id.0 as usize];
            if let ParamKind::Named {
                default: d,
                description: desc,
                ..
            } = &mut p.kind
            {
                if *d != default {
                    return Err(format!(
                        "getopt(\"{name}\") is already declared with another default ({})",
                        show(d)
                    ));
                }
                if desc.is_none() {
                    *desc = description;
                }
            }
            return Ok(id);
        }
        let n = self.specs.len();
        Ok(self.push(ParamSpec {
            symbol: format!("tracec_opt_{n}_{}", c_ident(name)),
            kind: ParamKind::Named {
                name: name.to_string(),
                default,
                description,
            },
            ty,
        }))
    }
}

fn show(v: &ParamValue) -> String {
    match v {
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Str(s) => format!("{s:?}"),
    }
}

/// The script type of a parameter stored as `ty`.
fn value_type(ty: ParamType) -> Type {
    match ty {
        ParamType::Int => Type::I64,
        ParamType::Bool => Type::U64,
        ParamType::Str { size } => Type::Str { size },
    }
}

/// The type of `getopt(...)` as bpftrace has it: a bool for a bool default (or none),
/// `uint64` for a non-negative integer default, `int64` for a negative one.
fn getopt_type(spec: &ParamSpec) -> Type {
    match (&spec.kind, spec.ty) {
        (_, ParamType::Bool) => Type::Bool,
        (
            ParamKind::Named {
                default: ParamValue::Int(d),
                ..
            },
            ParamType::Int,
        ) if *d >= 0 => Type::U64,
        (_, ty) => value_type(ty),
    }
}

fn param_expr(id: ParamId, ty: Type, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Param(id),
        ty,
        span,
    }
}

impl Checker {
    /// `$N`, `$#` (or `$0`) used as a value: integers.
    pub(super) fn special_var(&mut self, s: Option<Special>, span: Span) -> TExpr {
        match s.unwrap_or(Special::Invalid) {
            Special::Positional(n) => {
                let id = self.params.positional(n, ParamType::Int);
                param_expr(id, Type::I64, span)
            }
            Special::Count => param_expr(self.params.count(), Type::U64, span),
            Special::Invalid => {
                self.error(
                    span,
                    "positional parameters are numbered from $1 (up to $4294967295)",
                );
                poisoned(span)
            }
        }
    }

    /// `$N` as a string (a `char[64]` in `.rodata`).
    pub(super) fn positional_str(&mut self, n: u32, span: Span) -> TExpr {
        let ty = ParamType::Str {
            size: PARAM_STR_SIZE,
        };
        let id = self.params.positional(n, ty);
        param_expr(id, value_type(ty), span)
    }

    /// `$N` as printed text (see the module docs).
    pub(super) fn positional_text(&mut self, n: u32, span: Span) -> TExpr {
        let id = self.params.positional_text(n);
        let ty = ParamType::Str {
            size: PARAM_STR_SIZE,
        };
        param_expr(id, value_type(ty), span)
    }

    /// The pointer argument of `str()`, where `$N` and `$N + k` point into the
    /// parameter's text. `None` when `e` is not of that form.
    pub(super) fn str_param_source(&mut self, cx: &mut ProbeCx, e: &ast::Expr) -> Option<TExpr> {
        let ptr_ty = Type::Ptr {
            user: false,
            to: Pointee::Char,
        };
        let at = |this: &mut Checker, n: u32, span: Span| {
            let mut t = this.positional_str(n, span);
            t.ty = ptr_ty;
            t
        };
        if let Some(n) = positional(e) {
            return Some(at(self, n, e.span));
        }
        let ExprKind::Binary {
            op: BinOp::Add,
            lhs,
            rhs,
        } = &e.kind
        else {
            return None;
        };
        let n = positional(lhs)?;
        let k = self.expr(cx, rhs);
        let max = PARAM_STR_SIZE - 1;
        match k.kind {
            TExprKind::Int(v) if (0..=i64::from(max)).contains(&v) => {}
            _ if k.ty == Type::Unknown => return Some(poisoned(e.span)),
            _ => {
                self.error(
                    rhs.span,
                    format!(
                        "str(${n} + k): k must be a constant from 0 to {max} (the parameter's text is at most {max} bytes)"
                    ),
                );
                return Some(poisoned(e.span));
            }
        }
        let base = at(self, n, lhs.span);
        Some(TExpr {
            kind: TExprKind::Arith {
                op: Arith::Add,
                lhs: Box::new(base),
                rhs: Box::new(k),
            },
            ty: ptr_ty,
            span: e.span,
        })
    }

    /// A comparison operand: `$N` is a string when the other side is one.
    pub(super) fn compare_operands(
        &mut self,
        cx: &mut ProbeCx,
        l: &ast::Expr,
        r: &ast::Expr,
    ) -> (TExpr, TExpr) {
        match (positional(l), positional(r)) {
            (Some(n), None) => {
                let rhs = self.expr(cx, r);
                let lhs = if rhs.ty.is_str() {
                    self.positional_str(n, l.span)
                } else {
                    self.expr(cx, l)
                };
                (lhs, rhs)
            }
            (None, Some(n)) => {
                let lhs = self.expr(cx, l);
                let rhs = if lhs.ty.is_str() {
                    self.positional_str(n, r.span)
                } else {
                    self.expr(cx, r)
                };
                (lhs, rhs)
            }
            _ => (self.expr(cx, l), self.expr(cx, r)),
        }
    }

    /// `getopt("name"[, default[, "description"]])`.
    pub(super) fn getopt(&mut self, args: &[ast::Expr], span: Span) -> TExpr {
        if args.is_empty() || args.len() > 3 {
            self.error(
                span,
                format!(
                    "getopt() takes 1 to 3 arguments (name, default, description), got {}",
                    args.len()
                ),
            );
            return poisoned(span);
        }
        let ExprKind::Str(name) = &args[0].kind else {
            self.error(args[0].span, "getopt: the name must be a string literal");
            return poisoned(span);
        };
        if name.is_empty()
            || name.starts_with('-')
            || name.contains(['=', ' '])
            || name.chars().any(char::is_control)
        {
            self.error(
                args[0].span,
                format!("getopt: '{name}' is not a valid option name (use letters, digits, '-' and '_')"),
            );
            return poisoned(span);
        }
        let (default, ty) = match args.get(1) {
            None => (ParamValue::Bool(false), ParamType::Bool),
            Some(d) => match default_value(d) {
                Some(v @ ParamValue::Int(_)) => (v, ParamType::Int),
                Some(v @ ParamValue::Bool(_)) => (v, ParamType::Bool),
                Some(ParamValue::Str(s)) if s.len() < PARAM_STR_SIZE as usize => (
                    ParamValue::Str(s),
                    ParamType::Str {
                        size: PARAM_STR_SIZE,
                    },
                ),
                Some(ParamValue::Str(_)) => {
                    self.error(
                        d.span,
                        format!(
                            "getopt: a string default is at most {} bytes",
                            PARAM_STR_SIZE - 1
                        ),
                    );
                    return poisoned(span);
                }
                None => {
                    self.error(
                        d.span,
                        "getopt: the default must be an integer, string or boolean (true/false) literal",
                    );
                    return poisoned(span);
                }
            },
        };
        let description = match args.get(2) {
            None => None,
            Some(ast::Expr {
                kind: ExprKind::Str(s),
                ..
            }) => Some(s.clone()),
            Some(d) => {
                self.error(d.span, "getopt: the description must be a string literal");
                return poisoned(span);
            }
        };
        match self.params.named(name, default, ty, description) {
            Ok(id) => {
                let vt = getopt_type(&self.params.specs[id.0 as usize]);
                param_expr(id, vt, span)
            }
            Err(m) => {
                self.error(span, m);
                poisoned(span)
            }
        }
    }
}

/// A literal default: `5`, `-1`, `"text"`, `true`, `false`.
fn default_value(e: &ast::Expr) -> Option<ParamValue> {
    match &e.kind {
        ExprKind::Int(v) => Some(ParamValue::Int(*v as i64)),
        ExprKind::Unary {
            op: UnOp::Neg,
            expr,
        } => match expr.kind {
            ExprKind::Int(v) => Some(ParamValue::Int((v as i64).wrapping_neg())),
            _ => None,
        },
        ExprKind::Str(s) => Some(ParamValue::Str(s.clone())),
        ExprKind::Ident(b) if b == "true" => Some(ParamValue::Bool(true)),
        ExprKind::Ident(b) if b == "false" => Some(ParamValue::Bool(false)),
        _ => None,
    }
}
