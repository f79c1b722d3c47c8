//! Field access: `args.f` / `args->f` on tracepoint, fentry and uprobe arguments,
//! kernel struct members, records, tuples and the `config` block.

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use crate::probes::{Context, TpType};

impl Checker {
    /// `args->field` / `args.field`.
    pub(super) fn field(
        &mut self,
        cx: &mut ProbeCx,
        base: &ast::Expr,
        field: &str,
        span: Span,
    ) -> TExpr {
        if super::stdlib::is_config(base) {
            return self.config_field(field, span);
        }
        if let Some(t) = self.loop_tuple_field(cx, base, field, span) {
            return t;
        }
        if !matches!(&base.kind, ExprKind::Ident(n) if n == "args") {
            return self.kernel_field(cx, base, field, span);
        }
        if let Context::BtfArgs(a) = &cx.probe.context {
            return self.btf_arg_field(cx, &a.clone(), field, span);
        }
        if let Some(args) = self.uprobe_dwarf_args(cx) {
            return self.uprobe_arg_field(cx, &args, field, span);
        }
        let Context::Tracepoint { fields } = &cx.probe.context else {
            let msg = format!("'args' is not available in probe '{}'", cx.probe.name);
            if crate::probes::deferred::is_template(&cx.probe.name) {
                // `uprobe:$1:f`: the binary whose DWARF types `args` is not known.
                self.diag_note(
                    base.span,
                    msg,
                    crate::probes::deferred::ARGS_NOTE.to_string(),
                );
            } else {
                self.error(base.span, msg);
            }
            return poisoned(span);
        };
        let Some(f) = fields.iter().find(|f| f.name == field) else {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            self.diag_note(
                span,
                format!("'{}' has no field '{field}'", cx.probe.name),
                format!("its fields are: {}", names.join(", ")),
            );
            return poisoned(span);
        };
        let (kind, ty) = match f.ty {
            TpType::Int { signed } if matches!(f.size, 1 | 2 | 4 | 8) => (
                TExprKind::TpField {
                    offset: f.offset,
                    size: f.size,
                    signed,
                },
                Type::int(signed),
            ),
            TpType::Ptr {
                user,
                char_ptr,
                pointee_ptr,
            } => (
                TExprKind::TpField {
                    offset: f.offset,
                    size: 8,
                    signed: false,
                },
                Type::Ptr {
                    user,
                    // `char **argv` points to pointers (`argv[0]` is a `char *`).
                    to: if pointee_ptr {
                        Pointee::Ptr
                    } else if char_ptr {
                        Pointee::Char
                    } else {
                        Pointee::Other
                    },
                },
            ),
            TpType::RecordPtr { user, ref name, .. } => {
                // Typed through kernel BTF when it is there; otherwise an opaque pointer.
                let to = match self.kernel.get() {
                    Ok(btf) => btf
                        .find_struct(name)
                        .map_or(Pointee::Other, |id| Pointee::Kernel { id }),
                    Err(_) => Pointee::Other,
                };
                (
                    TExprKind::TpField {
                        offset: f.offset,
                        size: 8,
                        signed: false,
                    },
                    Type::Ptr { user, to },
                )
            }
            TpType::CharArray { len } => (
                TExprKind::TpCharArray {
                    offset: f.offset,
                    len,
                },
                Type::Str { size: len },
            ),
            TpType::DataLocString => (
                TExprKind::TpDataLoc { offset: f.offset },
                Type::Str {
                    size: MAX_STRING_SIZE,
                },
            ),
            TpType::Int { .. } => {
                self.error(
                    span,
                    format!(
                        "field '{field}' is a {}-byte integer, which is not supported",
                        f.size
                    ),
                );
                return poisoned(span);
            }
            // Byte arrays (`__u8 saddr[4]`) are read like char arrays, as kernel struct
            // fields are: their bytes as they are (for `ntop`, `buf`, `macaddr`).
            TpType::Array {
                elem_size: 1, len, ..
            } => (
                TExprKind::TpCharArray {
                    offset: f.offset,
                    len,
                },
                Type::Str { size: len },
            ),
            TpType::Array {
                elem_size,
                len,
                signed,
            } => return super::array_index::tp_array(f.offset, elem_size, len, signed, span),
        };
        // Integer and pointer fields of BTF-described records read with CO-RE.
        let kind = match kind {
            TExprKind::TpField { size, signed, .. } => {
                let want = super::kernel::TpCoreField::Scalar { size };
                match self.tp_core_access(&cx.probe.attach, field, want) {
                    Some(access) => TExprKind::TpFieldCore {
                        size,
                        signed,
                        access,
                    },
                    None => kind,
                }
            }
            // The string is as long as the BTF says (the BTF the script is compiled
            // against may describe another kernel than the tracefs format).
            TExprKind::TpCharArray { .. } => {
                let want = super::kernel::TpCoreField::Chars;
                match self.tp_core_access(&cx.probe.attach, field, want) {
                    Some(access) => {
                        let len = access.local_size();
                        let kind = TExprKind::TpCharArrayCore { len, access };
                        return TExpr {
                            kind,
                            ty: Type::Str { size: len },
                            span,
                        };
                    }
                    None => kind,
                }
            }
            other => other,
        };
        let ty = self.tp_field_refine(&cx.probe.attach, field, ty);
        TExpr { kind, ty, span }
    }
}
