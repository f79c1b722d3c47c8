//! What a probe's context gives the script beyond tracepoint `args`: `argN`,
//! `retval` and `func` in kprobes and uprobes (`struct pt_regs`), `argN`,
//! `args.NAME`, `retval` and `func` in rawtracepoint and fentry/fexit probes (u64
//! argument slots typed by kernel BTF), and `ctx` in iterators.
//!
//! Every argument is a read of ctx at a fixed offset ([`TExprKind::TpField`]);
//! struct pointers among them get their kernel type, so `args.skb->len` reads
//! through CO-RE like any kernel field access.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::Span;
use crate::kbtf::{Btf, Kind, TypeId};
use crate::probes::{BtfArgs, Context};

/// Argument registers in `struct pt_regs`, as offsets, and the return register.
#[cfg(target_arch = "aarch64")]
pub(super) mod regs {
    /// `regs[0]`..`regs[7]`.
    pub const ARGS: &[u32] = &[0, 8, 16, 24, 32, 40, 48, 56];
    pub const RET: u32 = 0;
    /// `pc`.
    pub const IP: u32 = 256;
}
#[cfg(not(target_arch = "aarch64"))]
pub(super) mod regs {
    /// x86-64: di, si, dx, cx, r8, r9.
    pub const ARGS: &[u32] = &[112, 104, 96, 88, 72, 64];
    /// ax.
    pub const RET: u32 = 80;
    /// ip.
    pub const IP: u32 = 128;
}

/// `argN`'s index, when `name` is one.
fn arg_index(name: &str) -> Option<usize> {
    let digits = name.strip_prefix("arg")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 3 {
        return None;
    }
    digits.parse().ok()
}

pub(super) fn ctx_read(offset: u32, ty: Type, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::TpField {
            offset,
            size: 8,
            signed: ty.is_signed(),
        },
        ty,
        span,
    }
}

/// `e` narrowed to its low `size` bytes, sign- or zero-extended: argument slots
/// hold 64 bits, of which a narrower C argument defines only the low ones.
pub(super) fn narrow(e: TExpr, size: u32, signed: bool) -> TExpr {
    if size >= 8 || size == 0 {
        return e;
    }
    let span = e.span;
    let shift = TExpr {
        kind: TExprKind::Int(64 - 8 * size as i64),
        ty: Type::I64,
        span,
    };
    let up = TExpr {
        kind: TExprKind::Arith {
            op: Arith::Shl,
            lhs: Box::new(e),
            rhs: Box::new(shift.clone()),
        },
        ty: Type::int(signed),
        span,
    };
    TExpr {
        kind: TExprKind::Arith {
            op: Arith::Shr { signed },
            lhs: Box::new(up),
            rhs: Box::new(shift),
        },
        ty: Type::int(signed),
        span,
    }
}

/// The script type of a value of kernel BTF type `ty`, and its size in bytes.
pub(super) fn btf_value(btf: &Btf, ty: TypeId) -> Result<(Type, u32), String> {
    let id = btf.resolve(ty).map_err(|e| e.to_string())?;
    let t = btf.ty(id).map_err(|e| e.to_string())?;
    match t.kind() {
        Kind::Int => {
            let i = t.int().unwrap_or_default();
            Ok((Type::int(i.signed), t.size().unwrap_or(8)))
        }
        Kind::Enum | Kind::Enum64 => Ok((
            Type::Int {
                signed: t.kind_flag(),
                enum_id: Some(t.id()),
            },
            t.size().unwrap_or(8),
        )),
        Kind::Ptr => {
            let target = btf.resolve(t.raw_type()).map_err(|e| e.to_string())?;
            let tt = btf.ty(target).map_err(|e| e.to_string())?;
            let to = match tt.kind() {
                Kind::Struct | Kind::Union => Pointee::Kernel { id: target },
                Kind::Int if tt.int().is_some_and(|i| i.size == 1) => Pointee::Char,
                Kind::Ptr => Pointee::Ptr,
                _ => Pointee::Other,
            };
            Ok((Type::Ptr { user: false, to }, 8))
        }
        _ => Err(format!("its type {} cannot be read", btf.type_name(ty))),
    }
}

impl Checker {
    /// `argN`, `retval`, `func` and `ctx` where the probe's context defines them;
    /// `None` when `name` is none of these (the caller reports it).
    pub(super) fn probe_ident(&mut self, cx: &ProbeCx, name: &str, span: Span) -> Option<TExpr> {
        let idx = arg_index(name);
        if idx.is_none() && !matches!(name, "retval" | "func" | "ctx") {
            return None;
        }
        let probe = cx.probe;
        let unavailable = |ck: &mut Checker, why: &str| {
            ck.error(
                span,
                format!("'{name}' is not available in probe '{}'{why}", probe.name),
            );
            Some(poisoned(span))
        };
        match (&probe.context, name, idx) {
            (Context::Regs { ret, .. }, _, Some(i)) => {
                if *ret {
                    return unavailable(self, ": return probes only have retval");
                }
                match regs::ARGS.get(i) {
                    Some(&off) => Some(ctx_read(off, Type::I64, span)),
                    None => unavailable(
                        self,
                        &format!(
                            ": only {} arguments are passed in registers",
                            regs::ARGS.len()
                        ),
                    ),
                }
            }
            (Context::Usdt { nargs }, _, Some(i)) => {
                let max = nargs.unwrap_or(tracec_meta::usdt::MAX_ARGS as u32);
                if i as u32 >= max {
                    let why = match nargs {
                        Some(n) => format!(": it has {n} arguments"),
                        None => format!(": usdt probes have at most {max} arguments"),
                    };
                    return unavailable(self, &why);
                }
                Some(TExpr {
                    kind: TExprKind::UsdtArg { index: i as u32 },
                    ty: Type::I64,
                    span,
                })
            }
            (Context::Regs { ret: true, .. }, "retval", _) => {
                Some(ctx_read(regs::RET, Type::U64, span))
            }
            (Context::Regs { .. }, "func", _) => Some(super::attach_names::func_expr(cx, span)),
            (Context::BtfArgs(a), _, Some(i)) if a.argn => match a.args.get(i) {
                Some(arg) => self.btf_slot(i as u32, arg.ty, span),
                None => unavailable(self, &format!(": it has {} arguments", a.args.len())),
            },
            (Context::BtfArgs(a), "retval", _) => match a.retval {
                Some(ty) => self.btf_slot(a.args.len() as u32, ty, span),
                None => unavailable(self, ""),
            },
            (
                Context::BtfArgs(BtfArgs {
                    function: Some(_), ..
                }),
                "func",
                _,
            ) => Some(super::attach_names::func_expr(cx, span)),
            // `fentry:bpf`: the target function, named by tracerun at run time.
            (Context::BtfArgs(_), "func", _)
                if matches!(probe.attach, tracec_meta::Attach::FentryBpf { .. }) =>
            {
                Some(super::attach_names::func_expr(cx, span))
            }
            (Context::Iter { target }, "ctx", _) => {
                let btf = self.btf(span, "ctx")?;
                let id = btf.find_struct(&format!("bpf_iter__{target}"))?;
                Some(TExpr {
                    kind: TExprKind::Builtin(Builtin::Ctx),
                    ty: Type::Ptr {
                        user: false,
                        to: Pointee::Kernel { id },
                    },
                    span,
                })
            }
            (_, "ctx", _) => None,
            _ => unavailable(self, ""),
        }
    }

    /// Slot `slot` of a BTF-typed argument array, as type `ty`.
    fn btf_slot(&mut self, slot: u32, ty: TypeId, span: Span) -> Option<TExpr> {
        let btf = self.btf(span, "a BTF-typed argument")?;
        match btf_value(&btf, ty) {
            Ok((t, size)) => Some(narrow(ctx_read(slot * 8, t, span), size, t.is_signed())),
            Err(e) => {
                self.error(span, format!("this argument cannot be used: {e}"));
                Some(poisoned(span))
            }
        }
    }

    /// The error for `args.FIELD` where the probe's arguments are `names`.
    pub(super) fn no_such_arg(
        &mut self,
        cx: &ProbeCx,
        field: &str,
        names: &[&str],
        span: Span,
    ) -> TExpr {
        self.diag_note(
            span,
            format!("'{}' has no argument '{field}'", cx.probe.name),
            if names.is_empty() {
                "it has no arguments".to_string()
            } else {
                format!("its arguments are: {}", names.join(", "))
            },
        );
        poisoned(span)
    }

    /// `args.NAME` in a rawtracepoint or fentry/fexit probe.
    pub(super) fn btf_arg_field(
        &mut self,
        cx: &ProbeCx,
        args: &BtfArgs,
        field: &str,
        span: Span,
    ) -> TExpr {
        match args.args.iter().position(|a| a.name == field) {
            Some(i) => self
                .btf_slot(i as u32, args.args[i].ty, span)
                .unwrap_or_else(|| poisoned(span)),
            None => {
                let names: Vec<&str> = args.args.iter().map(|a| a.name.as_str()).collect();
                self.no_such_arg(cx, field, &names, span)
            }
        }
    }

    /// The implicit predicate of an iterator probe: its object is not NULL (the
    /// last call of an iteration passes NULL), and'ed with the script's predicate.
    pub(super) fn probe_guard(
        &mut self,
        cx: &ProbeCx,
        pred: Option<TExpr>,
        span: Span,
    ) -> Option<TExpr> {
        let Context::Iter { .. } = cx.probe.context else {
            return pred;
        };
        let object = ctx_read(8, Type::U64, span);
        let nonnull = TExpr {
            kind: TExprKind::Cmp {
                cond: crate::ir::Cond::Ne,
                lhs: Box::new(object),
                rhs: Box::new(TExpr {
                    kind: TExprKind::Int(0),
                    ty: Type::U64,
                    span,
                }),
            },
            ty: Type::U64,
            span,
        };
        Some(match pred {
            None => nonnull,
            Some(p) => TExpr {
                kind: TExprKind::Logic {
                    and: true,
                    lhs: Box::new(nonnull),
                    rhs: Box::new(p),
                },
                ty: Type::U64,
                span,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arg_names() {
        assert_eq!(arg_index("arg0"), Some(0));
        assert_eq!(arg_index("arg12"), Some(12));
        assert_eq!(arg_index("arg"), None);
        assert_eq!(arg_index("args"), None);
        assert_eq!(arg_index("arg1x"), None);
    }

    #[test]
    fn narrowing_shifts_by_the_unused_bits() {
        let s = Span::new(0, 1);
        let e = narrow(ctx_read(0, Type::I64, s), 4, true);
        let TExprKind::Arith { op, rhs, .. } = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(*op, Arith::Shr { signed: true });
        assert_eq!(rhs.kind, TExprKind::Int(32));
        let same = narrow(ctx_read(0, Type::U64, s), 8, false);
        assert!(matches!(same.kind, TExprKind::TpField { .. }));
    }
}
