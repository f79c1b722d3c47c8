//! The BPF helpers and libbpf macros small BPF C libraries call, as the script's
//! builtins and reads:
//!
//! | C | script |
//! | --- | --- |
//! | `bpf_get_current_pid_tgid()` | `pid(init) << 32 \| tid(init)` |
//! | `bpf_get_current_uid_gid()` | `gid << 32 \| uid` |
//! | `bpf_ktime_get_ns()`, `bpf_ktime_get_boot_ns()` | `nsecs(monotonic)`, `nsecs(boot)` |
//! | `bpf_get_smp_processor_id()` | `cpu` |
//! | `bpf_get_current_task()`, `bpf_get_current_task_btf()` | `(uint64)curtask`, `curtask` |
//! | `bpf_get_current_cgroup_id()`, `bpf_get_prandom_u32()` | `cgroup`, `(uint32)rand` |
//! | `bpf_probe_read_kernel(&dst, n, src)`, `bpf_probe_read`, `bpf_core_read` | `dst = *src` (each leaf of a struct or array) |
//! | `BPF_CORE_READ(p, a, b.c)`, `BPF_PROBE_READ` | `p->a->b.c` |
//! | `BPF_CORE_READ_INTO(&dst, p, a, b)` | `dst = p->a->b` |
//! | `__builtin_memset(&local, 0, n)`, `__builtin_memcpy(&dst, &src, n)` | every leaf set or copied |
//! | `bpf_get_current_comm(&buf, n)` | `buf[i] = comm[i]` |
//! | `bpf_probe_read_kernel_str(buf, n, src)` | `buf[i] = src[i]` up to the NUL |
//! | `bpf_probe_read_user(&dst, n, src)`, `bpf_probe_read_user_str`, `BPF_CORE_READ_USER[_INTO]` | the same through `uptr(src)` |
//! | `BPF_CORE_READ_STR_INTO(&buf, p, a, b)`, `BPF_CORE_READ_USER_STR_INTO` | a string read of the char array `p->a->b` into `buf` |
//! | `READ_ONCE(x)`, `likely(x)`, `unlikely(x)` | `x` |
//! | `bpf_printk("fmt", args...)` | `debugf("fmt", args...)` |
//! | `__builtin_memcmp(a, b, n)` (a constant `n`; `a`, `b` arrays, pointers or string literals) | the first byte difference |
//!
//! Every read is the script's, so field offsets are CO-RE relocated. The read
//! helpers evaluate to 0 (success): a failed script read gives zeroes, as bpftrace's.

use super::inline::{binary, cast, expr, int, stmt, Frame, Inliner};
use super::places::{alias_of, mem_part, Place, Seg};
use super::{unsupported, CExpr, CExprKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Expr, ExprKind, Span, Stmt, StmtKind, UnOp};

/// How many arguments a helper takes (at least, and whether exactly), `None` for a
/// name that is no helper.
fn arity(name: &str) -> Option<(usize, bool)> {
    Some(match name {
        "bpf_probe_read_kernel"
        | "bpf_probe_read"
        | "bpf_core_read"
        | "bpf_probe_read_kernel_str"
        | "bpf_probe_read_str"
        | "bpf_core_read_str"
        | "bpf_probe_read_user"
        | "bpf_core_read_user"
        | "bpf_probe_read_user_str"
        | "bpf_core_read_user_str"
        | "__builtin_memset"
        | "__builtin_memcpy"
        | "memset"
        | "memcpy" => (3, true),
        "BPF_CORE_READ" | "BPF_PROBE_READ" | "BPF_CORE_READ_USER" | "BPF_PROBE_READ_USER" => {
            (2, false)
        }
        "BPF_CORE_READ_INTO"
        | "BPF_PROBE_READ_INTO"
        | "BPF_CORE_READ_USER_INTO"
        | "BPF_PROBE_READ_USER_INTO"
        | "BPF_CORE_READ_STR_INTO"
        | "BPF_PROBE_READ_STR_INTO"
        | "BPF_CORE_READ_USER_STR_INTO"
        | "BPF_PROBE_READ_USER_STR_INTO" => (3, false),
        "READ_ONCE" | "likely" | "unlikely" => (1, true),
        "bpf_printk" => (1, false),
        "__builtin_memcmp" | "memcmp" => (3, true),
        "bpf_get_current_comm" => (2, true),
        n if helper_type(n).is_some() => (0, true),
        _ => return None,
    })
}

/// The C return type of a helper.
pub fn helper_type(name: &str) -> Option<CType> {
    Some(match name {
        "bpf_get_current_pid_tgid"
        | "bpf_get_current_uid_gid"
        | "bpf_ktime_get_ns"
        | "bpf_ktime_get_boot_ns"
        | "bpf_ktime_get_tai_ns"
        | "bpf_get_current_task"
        | "bpf_get_current_cgroup_id" => CType::U64,
        "__builtin_memcmp" | "memcmp" => CType::S32,
        "bpf_printk" => CType::S64,
        "bpf_get_smp_processor_id"
        | "bpf_get_prandom_u32"
        | "bpf_core_field_exists"
        | "bpf_core_field_size"
        | "bpf_core_field_offset"
        | "bpf_core_type_exists"
        | "bpf_core_type_size"
        | "bpf_core_enum_value_exists" => CType::Int {
            bits: 32,
            signed: false,
        },
        "bpf_get_current_task_btf" => CType::Ptr(Box::new(CType::Record {
            name: "task_struct".into(),
            union: false,
        })),
        "bpf_probe_read_kernel"
        | "bpf_probe_read"
        | "bpf_core_read"
        | "BPF_CORE_READ_INTO"
        | "BPF_PROBE_READ_INTO"
        | "BPF_CORE_READ_USER_INTO"
        | "BPF_PROBE_READ_USER_INTO"
        | "BPF_CORE_READ_STR_INTO"
        | "BPF_PROBE_READ_STR_INTO"
        | "BPF_CORE_READ_USER_STR_INTO"
        | "BPF_PROBE_READ_USER_STR_INTO"
        | "bpf_get_current_comm"
        | "bpf_probe_read_kernel_str"
        | "bpf_probe_read_str"
        | "bpf_core_read_str"
        | "bpf_probe_read_user"
        | "bpf_core_read_user"
        | "bpf_probe_read_user_str"
        | "bpf_core_read_user_str"
        | "bpf_map_update_elem"
        | "bpf_map_delete_elem"
        | "__sync_fetch_and_add"
        | "__atomic_fetch_add" => CType::S64,
        _ => return None,
    })
}

fn ident(name: &str, sp: Span) -> Expr {
    expr(ExprKind::Ident(name.into()), sp)
}

fn call(name: &str, arg: &str, sp: Span) -> Expr {
    expr(
        ExprKind::Call {
            name: name.into(),
            args: vec![ident(arg, sp)],
        },
        sp,
    )
}

/// `(uint64)hi << 32 | (uint64)lo`.
fn pair(hi: Expr, lo: Expr, sp: Span) -> Expr {
    let hi = binary(BinOp::Shl, cast(64, false, hi), int(32, sp));
    let mut e = binary(BinOp::BitOr, hi, cast(64, false, lo));
    e.span = sp;
    e
}

/// `uptr(e)`: a pointer into user memory, which the script reads with
/// `bpf_probe_read_user`.
fn uptr(e: Expr) -> Expr {
    let sp = e.span;
    expr(
        ExprKind::Call {
            name: "uptr".into(),
            args: vec![e],
        },
        sp,
    )
}

/// `sizeof(dst)` for the `*_STR_INTO` macros, which take the size from the
/// destination array.
fn sizeof_of(dst: &CExpr) -> CExpr {
    let target = match &dst.kind {
        CExprKind::Unary {
            op: UnOp::AddrOf,
            expr,
        } => (**expr).clone(),
        _ => dst.clone(),
    };
    CExpr {
        kind: CExprKind::SizeofExpr(Box::new(target)),
        span: dst.span,
    }
}

fn block(stmts: Vec<Stmt>, sp: Span) -> Expr {
    expr(
        ExprKind::Block {
            stmts,
            value: Box::new(int(0, sp)),
        },
        sp,
    )
}

impl<'a> Inliner<'a> {
    /// A call of a helper, or `None` when `name` names none.
    pub(super) fn helper(
        &mut self,
        fr: &mut Frame<'a>,
        name: &str,
        args: &[CExpr],
        sp: Span,
    ) -> Option<Expr> {
        if let Some(e) = self.core_query(fr, name, args, sp) {
            return Some(e);
        }
        if let Some(e) = self.map_helper(fr, name, args, sp) {
            return Some(e);
        }
        if let Some(e) = self.fill_map_member(fr, name, args, sp) {
            return Some(e);
        }
        let (min, exact) = arity(name)?;
        if args.len() < min || (exact && args.len() > min) {
            let many = if args.len() < min { "few" } else { "many" };
            self.diags.push(Diagnostic::error(
                sp,
                format!(
                    "too {many} arguments to function call, expected {}{min}, have {}",
                    if exact { "" } else { "at least " },
                    args.len()
                ),
            ));
            return Some(int(0, sp));
        }
        Some(match name {
            "bpf_get_current_pid_tgid" => {
                pair(call("pid", "init", sp), call("tid", "init", sp), sp)
            }
            "bpf_get_current_uid_gid" => pair(ident("gid", sp), ident("uid", sp), sp),
            "bpf_ktime_get_ns" | "bpf_ktime_get_boot_ns" | "bpf_ktime_get_tai_ns" => {
                let clock = match name {
                    "bpf_ktime_get_ns" => "monotonic",
                    "bpf_ktime_get_boot_ns" => "boot",
                    _ => "tai",
                };
                call("nsecs", clock, sp)
            }
            "bpf_get_smp_processor_id" => cast(32, false, ident("cpu", sp)),
            "bpf_get_prandom_u32" => cast(32, false, ident("rand", sp)),
            "bpf_get_current_cgroup_id" => ident("cgroup", sp),
            "bpf_get_current_task" => cast(64, false, ident("curtask", sp)),
            "bpf_get_current_task_btf" => ident("curtask", sp),
            "bpf_probe_read_kernel" | "bpf_probe_read" | "bpf_core_read" => {
                let stmts = self.read_into(fr, &args[0], &args[2], None, false, sp);
                block(stmts, sp)
            }
            "bpf_probe_read_user" | "bpf_core_read_user" => {
                let stmts = self.read_into(fr, &args[0], &args[2], None, true, sp);
                block(stmts, sp)
            }
            "BPF_CORE_READ" | "BPF_PROBE_READ" | "BPF_CORE_READ_USER" | "BPF_PROBE_READ_USER" => {
                let user = name.contains("_USER");
                match self.chain(fr, &args[0], &args[1..], user) {
                    Ok(p) => self.read(p, sp),
                    Err(d) => {
                        self.diags.push(d);
                        int(0, sp)
                    }
                }
            }
            "BPF_CORE_READ_INTO"
            | "BPF_PROBE_READ_INTO"
            | "BPF_CORE_READ_USER_INTO"
            | "BPF_PROBE_READ_USER_INTO" => {
                let user = name.contains("_USER");
                let stmts = match self.chain(fr, &args[1], &args[2..], user) {
                    Ok(p) => self.read_into(fr, &args[0], &args[1], Some(p), user, sp),
                    Err(d) => {
                        self.diags.push(d);
                        Vec::new()
                    }
                };
                block(stmts, sp)
            }
            "BPF_CORE_READ_STR_INTO"
            | "BPF_PROBE_READ_STR_INTO"
            | "BPF_CORE_READ_USER_STR_INTO"
            | "BPF_PROBE_READ_USER_STR_INTO" => {
                // The last field is a char array, read as a string from its address.
                let user = name.contains("_USER");
                match self.chain(fr, &args[1], &args[2..], user) {
                    Ok(Place::Mem { expr: field, .. }) => {
                        let size = sizeof_of(&args[0]);
                        self.read_str(fr, &args[0], &size, field, user, sp)
                    }
                    Ok(_) => int(0, sp),
                    Err(d) => {
                        self.diags.push(d);
                        int(0, sp)
                    }
                }
            }
            "bpf_probe_read_kernel_str" | "bpf_probe_read_str" | "bpf_core_read_str" => {
                let src = self.value(fr, &args[2]);
                self.read_str(fr, &args[0], &args[1], src, false, sp)
            }
            "bpf_probe_read_user_str" | "bpf_core_read_user_str" => {
                let src = self.value(fr, &args[2]);
                self.read_str(fr, &args[0], &args[1], src, true, sp)
            }
            "READ_ONCE" | "likely" | "unlikely" => self.value(fr, &args[0]),
            "bpf_printk" => self.printk(fr, args, sp),
            "__builtin_memcmp" | "memcmp" => self.memcmp(fr, args, sp),
            "__builtin_memset" | "memset" => {
                let stmts = self.zero(fr, &args[0], &args[1], sp);
                block(stmts, sp)
            }
            "__builtin_memcpy" | "memcpy" => {
                let stmts = self.read_into(fr, &args[0], &args[1], None, false, sp);
                block(stmts, sp)
            }
            "bpf_get_current_comm" => {
                // The `comm` builtin, indexed byte by byte.
                let comm = expr(
                    ExprKind::Unary {
                        op: UnOp::Deref,
                        expr: Box::new(ident("comm", sp)),
                    },
                    sp,
                );
                let from = Place::Mem {
                    expr: comm,
                    ty: None,
                };
                let stmts = self.read_into(fr, &args[0], &args[0], Some(from), false, sp);
                block(stmts, sp)
            }
            _ => return None,
        })
    }

    /// `bpf_probe_read_kernel_str(buf, size, src)` into a local char array: the
    /// bytes up to the first NUL (at most `size - 1`, then a NUL), each read only
    /// while none ended the string; the bytes after it are left as they were. The
    /// value is the length copied with its NUL.
    fn read_str(
        &mut self,
        fr: &mut Frame<'a>,
        dst: &CExpr,
        size: &CExpr,
        src: Expr,
        user: bool,
        sp: Span,
    ) -> Expr {
        let target = match &dst.kind {
            CExprKind::Unary {
                op: UnOp::AddrOf,
                expr: d,
            } => self.place(fr, d),
            _ => self.place(fr, dst),
        };
        let (prefix, elem, n) = match target {
            Some(Ok(Place::Local {
                prefix,
                ty: CType::Array(elem, n),
            })) if matches!(*elem, CType::Int { bits: 8, .. }) => (prefix, *elem, n),
            Some(Err(d)) => {
                self.diags.push(d);
                return int(0, sp);
            }
            _ => {
                self.diags.push(unsupported(
                    dst.span,
                    "this destination of a string read (only a local char array)",
                ));
                return int(0, sp);
            }
        };
        let limit = match super::parse_type::const_value(size) {
            Some(v) => v.min(u64::from(n)) as u32,
            None => n,
        };
        if limit == 0 {
            return int(0, sp);
        }
        // Bytes are read through a `char *` (a kernel array field decays to one), so
        // that a buffer longer than the source reads on as C would.
        let base = match CType::Ptr(Box::new(elem.clone())).script_type(sp) {
            Some(t) => expr(
                ExprKind::Cast {
                    ty: t,
                    expr: Box::new(src),
                },
                sp,
            ),
            None => src,
        };
        let base = if user { uptr(base) } else { base };
        let len = fr.temp();
        let var = |n: &str| super::inline::var(n, sp);
        let mut stmts = vec![super::inline::let_(len.clone(), int(0, sp), sp)];
        let if_ = |cond: Expr, then: Vec<Stmt>| {
            stmt(
                StmtKind::If {
                    cond,
                    then: crate::front::ast::Block {
                        stmts: then,
                        span: sp,
                    },
                    els: None,
                },
                sp,
            )
        };
        let open = || binary(BinOp::Eq, var(&len), int(0, sp));
        for i in 0..limit {
            let b = super::places::leaf_name(&prefix, &Seg::Index(i));
            let byte = if i + 1 == limit {
                int(0, sp)
            } else {
                expr(
                    ExprKind::Index {
                        base: Box::new(base.clone()),
                        index: Box::new(int(u64::from(i), sp)),
                    },
                    sp,
                )
            };
            let ended = if_(
                binary(BinOp::Eq, var(&b), int(0, sp)),
                vec![super::inline::assign(&len, int(u64::from(i) + 1, sp), sp)],
            );
            stmts.push(if_(
                open(),
                vec![
                    super::inline::assign(&b, super::inline::store(&elem, byte), sp),
                    ended,
                ],
            ));
        }
        expr(
            ExprKind::Block {
                stmts,
                value: Box::new(var(&len)),
            },
            sp,
        )
    }

    /// `memset(&local, 0, n)`: every leaf of the local set to 0.
    fn zero(&mut self, fr: &mut Frame<'a>, dst: &CExpr, value: &CExpr, sp: Span) -> Vec<Stmt> {
        if value.kind != CExprKind::Int(0) {
            self.diags
                .push(unsupported(value.span, "memset to a value other than 0"));
            return Vec::new();
        }
        let target = match &dst.kind {
            _ if alias_of(fr, dst).is_some() => alias_of(fr, dst).map(Ok),
            CExprKind::Unary {
                op: UnOp::AddrOf,
                expr: d,
            } => self.place(fr, d),
            _ => self.place(fr, dst),
        };
        match target {
            Some(Ok(Place::Var { name, ty })) => {
                vec![super::inline::assign(
                    &name,
                    super::inline::store(&ty, int(0, sp)),
                    sp,
                )]
            }
            Some(Ok(Place::Local { prefix, ty })) => match self.leaves(&ty, sp) {
                Ok(leaves) => leaves
                    .iter()
                    .map(|(path, lty)| {
                        let n = path
                            .iter()
                            .fold(prefix.clone(), |p, s| super::places::leaf_name(&p, s));
                        super::inline::assign(&n, super::inline::store(lty, int(0, sp)), sp)
                    })
                    .collect(),
                Err(d) => {
                    self.diags.push(d);
                    Vec::new()
                }
            },
            Some(Err(d)) => {
                self.diags.push(d);
                Vec::new()
            }
            _ => {
                self.diags.push(unsupported(
                    dst.span,
                    "this destination (only `&local`, a member or element of a local, or a local array)",
                ));
                Vec::new()
            }
        }
    }

    /// `p->a->b.c` for `BPF_CORE_READ(p, a, b.c)`.
    fn chain(
        &mut self,
        fr: &mut Frame<'a>,
        src: &CExpr,
        fields: &[CExpr],
        user: bool,
    ) -> Result<Place, Diagnostic> {
        let mut obj = self.value(fr, src);
        let mut last = None;
        for f in fields {
            let segs = designator(f)?;
            let sp = f.span;
            if let Some(p) = last.take() {
                obj = p;
            }
            if user {
                obj = uptr(obj);
            }
            let mut cur = expr(
                ExprKind::Unary {
                    op: UnOp::Deref,
                    expr: Box::new(obj.clone()),
                },
                sp,
            );
            for s in &segs {
                cur = mem_part(cur, s, sp);
            }
            last = Some(cur);
        }
        Ok(Place::Mem {
            expr: last.unwrap_or(obj),
            ty: None,
        })
    }

    /// `dst = *src` for `bpf_probe_read_kernel(&dst, size, src)` (`from`: the
    /// place already known, for `BPF_CORE_READ_INTO`).
    fn read_into(
        &mut self,
        fr: &mut Frame<'a>,
        dst: &CExpr,
        src: &CExpr,
        from: Option<Place>,
        user: bool,
        sp: Span,
    ) -> Vec<Stmt> {
        // The destination: `&local`, `&local.member`, a local array, or a pointer
        // to a local.
        let target = match &dst.kind {
            _ if alias_of(fr, dst).is_some() => alias_of(fr, dst).map(Ok),
            CExprKind::Unary {
                op: UnOp::AddrOf,
                expr: d,
            } => self.place(fr, d),
            _ => match self.place(fr, dst) {
                Some(Ok(p @ Place::Local { .. })) => Some(Ok(p)),
                Some(Ok(Place::Var { .. })) | None => None,
                other => other,
            },
        };
        let target = match target {
            Some(Ok(p)) => p,
            Some(Err(d)) => {
                self.diags.push(d);
                return Vec::new();
            }
            None => {
                self.diags.push(unsupported(
                    dst.span,
                    "this destination (only `&local`, a member or element of a local, or a local array)",
                ));
                return Vec::new();
            }
        };
        let ty = match &target {
            Place::Var { ty, .. } | Place::Local { ty, .. } => ty.clone(),
            Place::Dyn { .. }
            | Place::Mem { .. }
            | Place::Bits { .. }
            | Place::Overlay { .. }
            | Place::MapElem { .. }
            | Place::MapField { .. } => {
                self.diags.push(unsupported(
                    dst.span,
                    "this destination (only `&local`, a member or element of a local that is \
                     no union, or a local array)",
                ));
                return Vec::new();
            }
        };
        // The source object: `&E` is E itself; otherwise the memory `src` points to.
        let source = match from {
            Some(p) => p,
            None => match &src.kind {
                // (A user address is read through a pointer, below.)
                CExprKind::Unary {
                    op: UnOp::AddrOf,
                    expr: e,
                } if !user || alias_of(fr, src).is_some() => match self.place(fr, e) {
                    Some(Ok(p)) => p,
                    Some(Err(d)) => {
                        self.diags.push(d);
                        return Vec::new();
                    }
                    None => {
                        self.diags.push(Diagnostic::error(
                            src.span,
                            "cannot take the address of an rvalue",
                        ));
                        return Vec::new();
                    }
                },
                _ => {
                    let p = self.value(fr, src);
                    // An array is read through a pointer to its elements (a kernel
                    // array field decays to one as in C).
                    let (ptr_ty, obj_ty) = match &ty {
                        CType::Array(elem, _) => ((**elem).clone(), None),
                        t => (t.clone(), Some(t.clone())),
                    };
                    let Some(t) = CType::Ptr(Box::new(ptr_ty)).script_type(sp) else {
                        self.diags
                            .push(unsupported(sp, "reading into this destination"));
                        return Vec::new();
                    };
                    let casted = expr(
                        ExprKind::Cast {
                            ty: t,
                            expr: Box::new(p),
                        },
                        sp,
                    );
                    let casted = if user { uptr(casted) } else { casted };
                    let obj = expr(
                        ExprKind::Unary {
                            op: UnOp::Deref,
                            expr: Box::new(casted),
                        },
                        sp,
                    );
                    Place::Mem {
                        expr: obj,
                        ty: obj_ty,
                    }
                }
            },
        };
        match target {
            Place::Var { name, ty } => {
                let v = self.read(source, sp);
                vec![stmt(
                    StmtKind::Assign {
                        target: super::inline::var(&name, sp),
                        op: None,
                        value: super::inline::store(&ty, v),
                    },
                    sp,
                )]
            }
            Place::Local { prefix, ty } => self.copy_place(&prefix, &ty, source, sp),
            _ => Vec::new(),
        }
    }
}

/// The member path of a `BPF_CORE_READ` argument: `a`, `a.b`, `a[2]`.
fn designator(e: &CExpr) -> Result<Vec<Seg>, Diagnostic> {
    match &e.kind {
        CExprKind::Var(n) => Ok(vec![Seg::Field(n.clone())]),
        CExprKind::Member {
            base,
            field,
            arrow: false,
        } => {
            let mut v = designator(base)?;
            v.push(Seg::Field(field.clone()));
            Ok(v)
        }
        CExprKind::Index { base, index } => match index.kind {
            CExprKind::Int(i) => {
                let mut v = designator(base)?;
                v.push(Seg::Index(u32::try_from(i).unwrap_or(u32::MAX)));
                Ok(v)
            }
            _ => Err(unsupported(
                index.span,
                "an index that is not a number here",
            )),
        },
        _ => Err(unsupported(
            e.span,
            "this argument of BPF_CORE_READ (a member name, `a.b` or `a[N]`)",
        )),
    }
}
