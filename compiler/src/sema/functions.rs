//! Functions: the one place to add one (`lookup`, then its check below and its lowering
//! in `lower`).

use super::printf::{self, ConvKind};
use super::types::*;
use super::{params, poisoned, Checker, MapValueType, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use tracec_meta::{AggKind, Field, JoinSpec, PrintfSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Printf,
    Join,
    Exit,
    Clear,
    Delete,
    Str,
    Getopt,
    /// `print(@m[, top, div])` / `print(value)`.
    Print,
    /// `zero(@m)`.
    Zero,
    /// An aggregation; for `hist` and `lhist` the arguments are placeholders, the
    /// real ones come from the call (`agg_value`).
    Agg(AggKind),
}

pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "printf" => Func::Printf,
        "join" => Func::Join,
        "exit" => Func::Exit,
        "clear" => Func::Clear,
        "delete" => Func::Delete,
        "str" => Func::Str,
        "getopt" => Func::Getopt,
        "count" => Func::Agg(AggKind::Count),
        "sum" => Func::Agg(AggKind::Sum),
        "min" => Func::Agg(AggKind::Min),
        "max" => Func::Agg(AggKind::Max),
        "avg" => Func::Agg(AggKind::Avg),
        "stats" => Func::Agg(AggKind::Stats),
        "hist" => Func::Agg(AggKind::Hist { bits: 0 }),
        "lhist" => Func::Agg(AggKind::Lhist {
            min: 0,
            max: 0,
            step: 0,
        }),
        "tseries" => Func::Agg(AggKind::Tseries {
            interval_ns: 0,
            num_intervals: 0,
            agg: tracec_meta::TseriesAgg::Last,
        }),
        "print" => Func::Print,
        "zero" => Func::Zero,
        _ => return None,
    })
}

/// A string literal as written, or as a macro without statements expands to it
/// (`macro fmt() { "hi" }`: `{ "hi" }`).
fn literal_of(e: &ast::Expr) -> &ast::Expr {
    match &e.kind {
        ExprKind::Block { stmts, value } if stmts.is_empty() => literal_of(value),
        _ => e,
    }
}

pub(super) fn arity_error(name: &str, want: &str, got: usize) -> String {
    format!(
        "{name}() takes {want}, got {got} argument{}",
        if got == 1 { "" } else { "s" }
    )
}

impl Checker {
    /// A call used for its value.
    pub(super) fn call_expr(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> TExpr {
        match lookup(name) {
            None => match self.more_call_expr(cx, name, args, span) {
                Some(e) => e,
                None => {
                    self.error(span, format!("unknown function '{name}'"));
                    poisoned(span)
                }
            },
            Some(Func::Delete) => match self.delete(cx, args, span) {
                TStmtKind::Delete { map, keys } => TExpr {
                    kind: TExprKind::DeleteElem { map, keys },
                    ty: Type::Bool,
                    span,
                },
                _ => poisoned(span),
            },
            Some(Func::Str) => self.str_call(cx, args, span),
            Some(Func::Getopt) => self.getopt(args, span),
            Some(Func::Agg(_)) => {
                self.error(
                    span,
                    format!("{name}() can only be assigned to a map, e.g. @x = {name}(...)"),
                );
                poisoned(span)
            }
            Some(_) => {
                self.error(
                    span,
                    format!("{name}() returns no value and cannot be used in an expression"),
                );
                poisoned(span)
            }
        }
    }

    fn str_call(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TExpr {
        if args.is_empty() || args.len() > 2 {
            self.error(span, arity_error("str", "1 or 2 arguments", args.len()));
            return poisoned(span);
        }
        let ptr = match self.str_param_source(cx, &args[0]) {
            Some(p) => p,
            None => self.expr(cx, &args[0]),
        };
        let ptr = self.name_as_str(cx, ptr);
        let user = match ptr.ty {
            Type::Ptr { user, .. } => user,
            Type::Int { .. } => cx.user_default,
            Type::Str { .. } => {
                // Already a string: str() of it is the string itself.
                return ptr;
            }
            Type::Unknown => return poisoned(span),
            Type::Void | Type::Bool | Type::Tuple(_) | Type::Stack(_) | Type::Fmt(_) => {
                self.error(ptr.span, "str() needs a pointer or an integer address");
                return poisoned(span);
            }
        };
        let len = match args.get(1) {
            Some(a) => {
                let l = self.expr(cx, a);
                if !matches!(l.ty, Type::Int { .. } | Type::Unknown) {
                    self.error(
                        l.span,
                        format!(
                            "str(): the length must be an integer, not {}",
                            l.ty.describe()
                        ),
                    );
                }
                Some(Box::new(l))
            }
            None => None,
        };
        TExpr {
            kind: TExprKind::StrCall {
                ptr: Box::new(ptr),
                len,
                user,
            },
            ty: Type::Str {
                size: self.max_strlen,
            },
            span,
        }
    }

    /// A call used as a statement. `None` when it is an ordinary expression.
    pub(super) fn call_stmt(
        &mut self,
        cx: &mut ProbeCx,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TStmtKind> {
        if let Some(k) = self.more_call_stmt(cx, name, args, span) {
            return Some(k);
        }
        let f = lookup(name)?;
        Some(match f {
            Func::Printf => self.printf(cx, args, span),
            Func::Join => self.join(cx, args, span),
            Func::Exit => {
                if !args.is_empty() {
                    self.error(span, arity_error("exit", "at most 1 argument", args.len()));
                }
                TStmtKind::Exit
            }
            Func::Clear => {
                let map = match args {
                    [ast::Expr {
                        kind: ExprKind::Map { name, keys },
                        span: ms,
                    }] if keys.is_empty() => self.maps.get(name, *ms),
                    _ => {
                        self.error(span, "clear() takes one map, e.g. clear(@m)");
                        return Some(TStmtKind::Expr(poisoned(span)));
                    }
                };
                TStmtKind::Clear { map }
            }
            Func::Delete => self.delete(cx, args, span),
            Func::Print => self.print_call(cx, args, span),
            Func::Zero => self.zero_call(args, span),
            Func::Str | Func::Getopt | Func::Agg(_) => return None,
        })
    }

    /// The arguments after a format (`args[1..]`) for conversions of `kinds` (`None`:
    /// not one this function formats), a `$N` given to a string conversion being the
    /// parameter's text; `None`, after the error, when there are not as many as the
    /// format's conversions.
    pub(super) fn format_args(
        &mut self,
        cx: &mut ProbeCx,
        func: &str,
        args: &[ast::Expr],
        kinds: &[Option<ConvKind>],
        span: Span,
    ) -> Option<Vec<TExpr>> {
        let targs: Vec<TExpr> = args[1..]
            .iter()
            .enumerate()
            .map(|(i, a)| match params::positional(a) {
                Some(n) if kinds.get(i).copied().flatten() == Some(ConvKind::Str) => {
                    self.positional_str(n, a.span)
                }
                _ => self.expr(cx, a),
            })
            .collect();
        if kinds.len() != targs.len() {
            self.error(
                span,
                format!(
                    "{func}: expected {} argument{} for the format, got {}",
                    kinds.len(),
                    if kinds.len() == 1 { "" } else { "s" },
                    targs.len()
                ),
            );
            return None;
        }
        Some(targs)
    }

    pub(super) fn printf(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TStmtKind {
        let bad = TStmtKind::Expr(poisoned(span));
        let Some(first) = args.first() else {
            self.error(span, "printf() needs a format string");
            return bad;
        };
        let ExprKind::Str(format) = &literal_of(first).kind else {
            self.error(first.span, "printf: the format must be a string literal");
            return bad;
        };
        let convs = match printf::parse(format) {
            Ok(c) => c,
            Err(m) => {
                self.error(first.span, m);
                return bad;
            }
        };
        let kinds: Vec<_> = convs.iter().map(|c| Some(c.kind)).collect();
        let Some(targs) = self.format_args(cx, "printf", args, &kinds, span) else {
            return bad;
        };
        let mut fields = Vec::new();
        let mut offset = 0u32;
        let mut ok = true;
        for (i, (c, a)) in convs.iter().zip(&targs).enumerate() {
            let ty = match (c.kind, a.ty) {
                (_, Type::Unknown) => {
                    ok = false;
                    continue;
                }
                (ConvKind::Str, Type::Fmt(tracec_meta::FmtKind::Buf { .. })) => {
                    self.error(
                        a.span,
                        format!(
                            "printf: {} expects a string, but argument {} is a buffer (print it with %r)",
                            c.text,
                            i + 1
                        ),
                    );
                    ok = false;
                    continue;
                }
                (ConvKind::Int, Type::Bool) => tracec_meta::Ty::Int {
                    size: 8,
                    signed: false,
                },
                (
                    ConvKind::Str,
                    Type::Int {
                        enum_id: Some(_), ..
                    },
                ) => a.ty.meta(),
                (ConvKind::Int, Type::Int { .. } | Type::Ptr { .. })
                | (ConvKind::Ptr, Type::Int { .. } | Type::Ptr { .. })
                | (ConvKind::Str, Type::Str { .. } | Type::Stack(_) | Type::Fmt(_))
                | (ConvKind::Buf, Type::Fmt(tracec_meta::FmtKind::Buf { .. })) => {
                    if c.kind == ConvKind::Ptr {
                        tracec_meta::Ty::Ptr
                    } else if let Type::Ptr { .. } = a.ty {
                        tracec_meta::Ty::Int {
                            size: 8,
                            signed: false,
                        }
                    } else {
                        a.ty.meta()
                    }
                }
                (_, t) => {
                    let want = match c.kind {
                        ConvKind::Int => "an integer",
                        ConvKind::Str => "a string",
                        ConvKind::Ptr => "a pointer",
                        ConvKind::Buf => "a buffer (buf())",
                    };
                    self.error(
                        a.span,
                        format!(
                            "printf: {} expects {want}, but argument {} is {}",
                            c.text,
                            i + 1,
                            t.describe()
                        ),
                    );
                    ok = false;
                    continue;
                }
            };
            let size = align8(ty.size());
            fields.push(Field { offset, ty });
            offset += size;
        }
        if !ok {
            return bad;
        }
        let spec = PrintfSpec {
            format: format.clone(),
            args: fields,
        };
        let id = intern(&mut self.printfs, spec);
        TStmtKind::Printf { id, args: targs }
    }

    fn join(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TStmtKind {
        let bad = TStmtKind::Expr(poisoned(span));
        if args.is_empty() || args.len() > 2 {
            self.error(span, arity_error("join", "1 or 2 arguments", args.len()));
            return bad;
        }
        let array = self.expr(cx, &args[0]);
        let user = match array.ty {
            Type::Ptr { user, .. } => user,
            Type::Int { .. } => cx.user_default,
            Type::Unknown => return bad,
            other => {
                self.error(
                    array.span,
                    format!(
                        "join() needs an array of string pointers (like args->argv), not {}",
                        other.describe()
                    ),
                );
                return bad;
            }
        };
        let delimiter = match args.get(1) {
            None => " ".to_string(),
            Some(ast::Expr {
                kind: ExprKind::Str(s),
                ..
            }) => s.clone(),
            Some(other) => {
                self.error(other.span, "join: the delimiter must be a string literal");
                return bad;
            }
        };
        let spec = JoinSpec {
            delimiter,
            max_args: JOIN_MAX_ARGS,
            arg_size: JOIN_ARG_SIZE,
        };
        let id = intern(&mut self.joins, spec);
        TStmtKind::Join { id, array, user }
    }

    fn delete(&mut self, cx: &mut ProbeCx, args: &[ast::Expr], span: Span) -> TStmtKind {
        let bad = TStmtKind::Expr(poisoned(span));
        let Some(ast::Expr {
            kind: ExprKind::Map { name, keys },
            span: ms,
        }) = args.first()
        else {
            self.error(
                span,
                "delete() takes a map element: delete(@m[key]) or delete(@m, key)",
            );
            return bad;
        };
        let key_exprs: Vec<ast::Expr> = if args.len() > 1 {
            if !keys.is_empty() {
                self.error(
                    span,
                    "delete(): give the key either in brackets or as the second argument, not both",
                );
                return bad;
            }
            args[1..].to_vec()
        } else {
            keys.clone()
        };
        let idx = self.maps.get(name, *ms);
        if key_exprs.is_empty() && self.maps.keys(idx).is_some_and(|k| !k.is_empty()) {
            let n = self.maps.name(idx).to_string();
            self.error(
                span,
                format!("delete(): {n} has keys; say which element to delete, or use clear({n})"),
            );
            return bad;
        }
        let (map, tkeys) = self.map_keys(cx, name, &key_exprs, *ms);
        TStmtKind::Delete { map, keys: tkeys }
    }

    /// `@m[keys] = count()` and friends: the map value of an aggregation call.
    pub(super) fn agg_value(
        &mut self,
        cx: &mut ProbeCx,
        kind: AggKind,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<(MapValue, MapValueType)> {
        if matches!(kind, AggKind::Tseries { .. }) {
            return self.tseries_value(cx, name, args, span);
        }
        if matches!(
            kind,
            AggKind::Stats | AggKind::Hist { .. } | AggKind::Lhist { .. }
        ) {
            return self.agg_value_ext(cx, kind, name, args, span);
        }
        if kind == AggKind::Count {
            if !args.is_empty() {
                self.error(span, arity_error(name, "no arguments", args.len()));
                return None;
            }
            return Some((
                MapValue::Count,
                MapValueType::Agg {
                    kind,
                    signed: false,
                },
            ));
        }
        if args.len() != 1 {
            self.error(span, arity_error(name, "1 argument", args.len()));
            return None;
        }
        let x = self.expr(cx, &args[0]);
        match x.ty {
            Type::Int { .. } | Type::Ptr { .. } => {}
            Type::Unknown => return None,
            other => {
                self.error(
                    x.span,
                    format!("{name}() needs an integer, not {}", other.describe()),
                );
                return None;
            }
        }
        let signed = x.ty.is_signed() || matches!(x.kind, TExprKind::Int(_));
        let signed = match kind {
            // min/max/avg values are i64 in the map.
            AggKind::Min | AggKind::Max | AggKind::Avg => true,
            _ => signed,
        };
        let v = match kind {
            AggKind::Sum => MapValue::Sum(x),
            AggKind::Min => MapValue::Min(x),
            AggKind::Max => MapValue::Max(x),
            _ => MapValue::Avg(x),
        };
        Some((v, MapValueType::Agg { kind, signed }))
    }
}

/// Index of `item` in `list`, appended if new.
fn intern<T: PartialEq>(list: &mut Vec<T>, item: T) -> u32 {
    if let Some(i) = list.iter().position(|x| *x == item) {
        return i as u32;
    }
    list.push(item);
    (list.len() - 1) as u32
}
