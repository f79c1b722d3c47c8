//! The file's BPF maps (`parse_map.rs`) are script maps: what C does with them,
//! in the script's terms.
//!
//! | C | script |
//! | --- | --- |
//! | `T *v = bpf_map_lookup_elem(&m, &k);` | `let $k = k;` and `v` names `@m[$k]` |
//! | `if (v)`, `!v`, `v == NULL` | `has_key(@m, $k)` (an array map: `$k < max_entries`) |
//! | `*v`, `v[0]`, `*v += n`, `__sync_fetch_and_add(v, n)` | `@m[$k]`, `@m[$k] = @m[$k] + n`... |
//! | `v = bpf_map_lookup_elem(&m, &k2);` (the same map) | `$k = k2;` |
//! | `bpf_map_update_elem(&m, &k, &x, flags)` | `@m[k] = x` (`BPF_NOEXIST`/`BPF_EXIST` tested with `has_key`), 0 or `-EEXIST`/`-ENOENT` |
//! | `bpf_map_delete_elem(&m, &k)` | `delete(@m[k])`, 0 or `-ENOENT` |
//!
//! Struct values (records of the script map) in `helpers_map_record.rs`.
//!
//! The pointer a lookup gives is the element's name, not memory: it is never
//! stored, compared with another pointer or moved (a located diagnostic says so).

use super::inline::{assign, binary, expr, int, let_, stmt, store, var, Frame, Inliner};
use super::places::{alias_of, Place};
use super::{unsupported, CExpr, CExprKind, CMap, CStmt, CStmtKind, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Block, Expr, ExprKind, Span, Stmt, StmtKind, UnOp};

const ENOENT: u64 = 2;
const EEXIST: u64 = 17;
const E2BIG: u64 = 7;
const EINVAL: u64 = 22;

/// `-v` as an `int64`.
fn neg(v: u64, sp: Span) -> Expr {
    // (At the call's end: the checker keys integer widths by span, and the
    // call's span names the stored values.)
    let sp = Span::new(sp.end as usize, sp.end as usize);
    let n = expr(
        ExprKind::Unary {
            op: UnOp::Neg,
            expr: Box::new(int(v, sp)),
        },
        sp,
    );
    super::inline::cast(64, true, n)
}

/// A key as the script map holds it: an `int64` (as the script's own integer
/// keys), whatever the C key type.
pub fn script_key(m: &CMap, key: Expr) -> Expr {
    super::inline::cast(64, true, store(&m.key, key))
}

/// `@name[key]`.
pub fn element(map: &str, key: Expr, sp: Span) -> Expr {
    expr(
        ExprKind::Map {
            name: map.to_string(),
            keys: vec![key],
        },
        sp,
    )
}

/// Whether the element `key` of `m` exists.
pub fn present(m: &CMap, key: Expr, sp: Span) -> Expr {
    if m.array {
        return binary(BinOp::Lt, key, int(m.max_entries, sp));
    }
    expr(
        ExprKind::Call {
            name: "has_key".into(),
            args: vec![
                expr(
                    ExprKind::Map {
                        name: m.name.clone(),
                        keys: Vec::new(),
                    },
                    sp,
                ),
                key,
            ],
        },
        sp,
    )
}

fn block(stmts: Vec<Stmt>, value: Expr, sp: Span) -> Expr {
    expr(
        ExprKind::Block {
            stmts,
            value: Box::new(value),
        },
        sp,
    )
}

fn when(cond: Expr, then: Vec<Stmt>, els: Option<Vec<Stmt>>, sp: Span) -> Stmt {
    stmt(
        StmtKind::If {
            cond,
            then: Block {
                stmts: then,
                span: sp,
            },
            els: els.map(|stmts| Block { stmts, span: sp }),
        },
        sp,
    )
}

impl<'a> Inliner<'a> {
    /// The map `&m` names.
    fn map_arg(&mut self, e: &CExpr) -> Result<&'a CMap, Diagnostic> {
        if let CExprKind::Unary {
            op: UnOp::AddrOf,
            expr: inner,
        } = &e.kind
        {
            if let CExprKind::Var(n) = &inner.kind {
                if let Some(m) = self.maps.get(n.as_str()).copied() {
                    self.use_map(m);
                    return Ok(m);
                }
            }
        }
        Err(unsupported(
            e.span,
            "this map argument (only `&name` of a map the file defines)",
        ))
    }

    /// The value `e` (`&local`, or a pointer to a local or to a map element)
    /// points to.
    pub(super) fn pointed(&mut self, fr: &mut Frame<'a>, e: &CExpr) -> Result<Expr, Diagnostic> {
        if let CExprKind::Unary {
            op: UnOp::AddrOf,
            expr: inner,
        } = &e.kind
        {
            return Ok(self.value(fr, inner));
        }
        if let Some(p) = alias_of(fr, e) {
            return Ok(self.read(p, e.span));
        }
        Err(unsupported(
            e.span,
            "this key or value argument (only `&local` or a pointer to one)",
        ))
    }

    /// `T *name = bpf_map_lookup_elem(&m, &k);`: `name` names the element.
    pub(super) fn lookup_decl(
        &mut self,
        fr: &mut Frame<'a>,
        name: &str,
        ty: &CType,
        args: &[CExpr],
        sp: Span,
    ) -> Vec<Stmt> {
        let (m, key) = match self.lookup_args(fr, args, sp) {
            Ok(x) => x,
            Err(d) => {
                self.diags.push(d);
                return Vec::new();
            }
        };
        let k = fr.temp();
        fr.declare_alias(
            name,
            ty.clone(),
            Place::MapElem {
                map: m.name.clone(),
                key: k.clone(),
                ty: m.value.clone(),
            },
        );
        vec![let_(k, key, sp)]
    }

    /// `T *name;` given a lookup later (`name = bpf_map_lookup_elem(&m, &k);`,
    /// the common libbpf shape): `name` names an element of `m` from here on,
    /// whose key variable each lookup sets (until then it reads element 0, where C
    /// would read an uninitialized pointer).
    pub(super) fn lookup_later(
        &mut self,
        fr: &mut Frame<'a>,
        name: &str,
        ty: &CType,
        sp: Span,
    ) -> Option<Vec<Stmt>> {
        let map = later_lookup(fr.func_body(), name)?;
        let m = self.maps.get(map).copied()?;
        self.use_map(m);
        let zero = match super::helpers_map_record::zero_key(self.table, m, sp) {
            Ok(z) => z,
            Err(d) => {
                self.diags.push(d);
                return Some(Vec::new());
            }
        };
        let k = fr.temp();
        fr.declare_alias(
            name,
            ty.clone(),
            Place::MapElem {
                map: m.name.clone(),
                key: k.clone(),
                ty: m.value.clone(),
            },
        );
        Some(vec![let_(k, zero, sp)])
    }

    fn lookup_args(
        &mut self,
        fr: &mut Frame<'a>,
        args: &[CExpr],
        sp: Span,
    ) -> Result<(&'a CMap, Expr), Diagnostic> {
        let [map, key] = args else {
            return Err(super::arity(sp, "bpf_map_lookup_elem", 2, args.len()));
        };
        let m = self.map_arg(map)?;
        Ok((m, self.key_arg(fr, m, key)?))
    }

    fn use_map(&mut self, m: &'a CMap) {
        if !self.used_maps.iter().any(|u| u.name == m.name) {
            self.used_maps.push(m);
        }
    }

    /// `name = bpf_map_lookup_elem(&m, &k);` for a pointer naming an element of
    /// `m` already: it names element `k` now.
    pub(super) fn lookup_again(
        &mut self,
        fr: &mut Frame<'a>,
        target: &CExpr,
        src: &CExpr,
        sp: Span,
    ) -> Option<Vec<Stmt>> {
        let CExprKind::Call { name, args } = &src.kind else {
            return None;
        };
        if name != "bpf_map_lookup_elem" {
            return None;
        }
        let Some(Place::MapElem { map, key, .. }) = alias_of(fr, target) else {
            self.diags.push(unsupported(
                sp,
                "a map lookup's pointer stored other than in the declaration of a pointer \
                 (or again in one from the same map)",
            ));
            return Some(Vec::new());
        };
        Some(match self.lookup_args(fr, args, sp) {
            Ok((m, k)) if m.name == map => vec![assign(&key, k, sp)],
            Ok(_) => {
                self.diags.push(unsupported(
                    sp,
                    "a pointer from a lookup in one map given a lookup in another",
                ));
                Vec::new()
            }
            Err(d) => {
                self.diags.push(d);
                Vec::new()
            }
        })
    }

    /// `bpf_map_update_elem`, `bpf_map_delete_elem`, `__sync_fetch_and_add` and
    /// `bpf_map_lookup_elem` in other places (refused); `None` for other names.
    pub(super) fn map_helper(
        &mut self,
        fr: &mut Frame<'a>,
        name: &str,
        args: &[CExpr],
        sp: Span,
    ) -> Option<Expr> {
        let r = match name {
            "bpf_map_update_elem" => self.update(fr, args, sp),
            "bpf_map_delete_elem" => self.delete(fr, args, sp),
            "__sync_fetch_and_add" | "__atomic_fetch_add" => self.fetch_add(fr, args, sp),
            "bpf_map_lookup_elem" => Err(unsupported(
                sp,
                "a map lookup other than as the initial value of a pointer (`T *v = \
                 bpf_map_lookup_elem(&map, &key);`)",
            )),
            _ => return None,
        };
        Some(r.unwrap_or_else(|d| {
            self.diags.push(d);
            int(0, sp)
        }))
    }

    fn update(&mut self, fr: &mut Frame<'a>, args: &[CExpr], sp: Span) -> Result<Expr, Diagnostic> {
        let [map, key, value, flags] = args else {
            return Err(super::arity(sp, "bpf_map_update_elem", 4, args.len()));
        };
        let m = self.map_arg(map)?;
        let flag = match &flags.kind {
            CExprKind::Var(n) if n == "BPF_ANY" => 0,
            CExprKind::Var(n) if n == "BPF_NOEXIST" => 1,
            CExprKind::Var(n) if n == "BPF_EXIST" => 2,
            _ => match super::parse_type::const_value(flags) {
                Some(v @ 0..=2) => v,
                _ => {
                    return Err(unsupported(
                        flags.span,
                        "these update flags (only BPF_ANY, BPF_NOEXIST, BPF_EXIST)",
                    ))
                }
            },
        };
        let k = fr.temp();
        let v = fr.temp();
        let r = fr.temp();
        let key = self.key_arg(fr, m, key)?;
        let mut out = vec![let_(k.clone(), key, sp)];
        let set = if m.value.is_scalar() {
            let value = self.pointed(fr, value)?;
            out.push(let_(v.clone(), store(&m.value, value), sp));
            var(&v, sp)
        } else {
            // A record is built where it is stored (the value's leaves are read
            // there, and nothing runs in between that writes them).
            self.record_arg(fr, m, value)?
        };
        out.push(let_(r.clone(), neg(0, sp), sp));
        let set = vec![stmt(
            StmtKind::Assign {
                target: element(&m.name, var(&k, sp), sp),
                op: None,
                value: if m.value.is_scalar() {
                    store(&m.value, set)
                } else {
                    set
                },
            },
            sp,
        )];
        let here = present(m, var(&k, sp), sp);
        let not = |e: Expr| {
            expr(
                ExprKind::Unary {
                    op: UnOp::Not,
                    expr: Box::new(e),
                },
                sp,
            )
        };
        let fail = |code: u64| vec![assign(&r, neg(code, sp), sp)];
        out.push(match (m.array, flag) {
            (true, 1) => when(int(1, sp), fail(EEXIST), None, sp),
            (true, _) => when(here, set, Some(fail(E2BIG)), sp),
            (false, 0) => when(int(1, sp), set, None, sp),
            (false, 1) => when(not(here), set, Some(fail(EEXIST)), sp),
            (false, _) => when(here, set, Some(fail(ENOENT)), sp),
        });
        Ok(block(out, var(&r, sp), sp))
    }

    fn delete(&mut self, fr: &mut Frame<'a>, args: &[CExpr], sp: Span) -> Result<Expr, Diagnostic> {
        let [map, key] = args else {
            return Err(super::arity(sp, "bpf_map_delete_elem", 2, args.len()));
        };
        let m = self.map_arg(map)?;
        if m.array {
            return Ok(neg(EINVAL, sp));
        }
        let k = fr.temp();
        let r = fr.temp();
        let key = self.key_arg(fr, m, key)?;
        let del = stmt(
            StmtKind::Expr(expr(
                ExprKind::Call {
                    name: "delete".into(),
                    args: vec![element(&m.name, var(&k, sp), sp)],
                },
                sp,
            )),
            sp,
        );
        let out = vec![
            let_(k.clone(), key, sp),
            let_(r.clone(), neg(0, sp), sp),
            when(
                present(m, var(&k, sp), sp),
                vec![del],
                Some(vec![assign(&r, neg(ENOENT, sp), sp)]),
                sp,
            ),
        ];
        Ok(block(out, var(&r, sp), sp))
    }

    /// `__sync_fetch_and_add(p, n)`: `*p += n`, the value before.
    fn fetch_add(
        &mut self,
        fr: &mut Frame<'a>,
        args: &[CExpr],
        sp: Span,
    ) -> Result<Expr, Diagnostic> {
        let (ptr, n) = match args {
            [p, n] | [p, n, _] => (p, n),
            _ => return Err(super::arity(sp, "__sync_fetch_and_add", 2, args.len())),
        };
        let target = CExpr {
            kind: CExprKind::Unary {
                op: UnOp::Deref,
                expr: Box::new(ptr.clone()),
            },
            span: ptr.span,
        };
        let ty = match self.place(fr, &target) {
            Some(Ok(
                p @ (Place::MapElem { .. }
                | Place::MapField { .. }
                | Place::Var { .. }
                | Place::Bits { .. }),
            )) if self.place_ty(&p).is_scalar() => self.place_ty(&p),
            Some(Err(d)) => return Err(d),
            _ => {
                return Err(unsupported(
                    ptr.span,
                    "an atomic add to memory (only to a map element or a local)",
                ))
            }
        };
        let old = fr.temp();
        let before = self.value(fr, &target);
        let mut out = vec![let_(old.clone(), store(&ty, before), sp)];
        out.extend(self.assign_to(fr, &target, Some(BinOp::Add), n, sp));
        Ok(block(out, var(&old, sp), sp))
    }

    fn place_ty(&self, p: &Place) -> CType {
        match p {
            Place::MapElem { ty, .. }
            | Place::MapField { ty, .. }
            | Place::Var { ty, .. }
            | Place::Bits { ty, .. } => ty.clone(),
            _ => CType::U64,
        }
    }
}

/// The map of the first `name = bpf_map_lookup_elem(&map, ...)` in `body`.
fn later_lookup<'b>(body: &'b [CStmt], name: &str) -> Option<&'b str> {
    body.iter().find_map(|s| match &s.kind {
        CStmtKind::Assign {
            target:
                CExpr {
                    kind: CExprKind::Var(t),
                    ..
                },
            op: None,
            value:
                CExpr {
                    kind: CExprKind::Call { name: f, args },
                    ..
                },
        } if t == name && f == "bpf_map_lookup_elem" => match args.first().map(|a| &a.kind) {
            Some(CExprKind::Unary {
                op: UnOp::AddrOf,
                expr: m,
            }) => match &m.kind {
                CExprKind::Var(m) => Some(m.as_str()),
                _ => None,
            },
            _ => None,
        },
        CStmtKind::If { then, els, .. } => {
            later_lookup(then, name).or_else(|| els.as_deref().and_then(|e| later_lookup(e, name)))
        }
        CStmtKind::While { body, .. }
        | CStmtKind::DoWhile { body, .. }
        | CStmtKind::Block(body) => later_lookup(body, name),
        CStmtKind::For {
            init, step, body, ..
        } => later_lookup(init, name)
            .or_else(|| later_lookup(body, name))
            .or_else(|| later_lookup(step, name)),
        CStmtKind::Switch { sections, .. } => sections
            .iter()
            .find_map(|sec| later_lookup(&sec.body, name)),
        _ => None,
    })
}

/// Whether `s` declares a pointer initialized by a map lookup: its arguments.
pub fn lookup_init(init: Option<&super::CInit>) -> Option<&[CExpr]> {
    match init {
        Some(super::CInit::Expr(CExpr {
            kind: CExprKind::Call { name, args },
            ..
        })) if name == "bpf_map_lookup_elem" => Some(args),
        _ => None,
    }
}

/// `@m[$k]` read as the element's C type.
pub fn read_element(map: &str, key: &str, ty: &CType, sp: Span) -> Expr {
    store(ty, element(map, var(key, sp), sp))
}

/// `@m[$k] = value` stored as the element's C type.
pub fn write_element(map: &str, key: &str, ty: &CType, value: Expr, sp: Span) -> Stmt {
    stmt(
        StmtKind::Assign {
            target: element(map, var(key, sp), sp),
            op: None,
            value: store(ty, value),
        },
        sp,
    )
}

/// Declares for the script the C maps the inlined code uses: a hash map's size
/// (`let @m = hash(max_entries);`, `lruhash` for an LRU map, unless the script
/// declares it), and its key and value types, by an assignment that never runs
/// (`if (0) { @m[(K)0] = (V)0; }`, a struct value a record of zeros, first in the
/// first probe: the inlined code only updates elements in place, from which the
/// script's type inference learns nothing). A struct value type that is not a
/// record of integers is reported here, once, at the map.
pub fn declare_maps(
    program: &mut crate::front::ast::Program,
    maps: &[&CMap],
    table: &super::types::RecordTable,
    diags: &mut Vec<Diagnostic>,
) {
    for m in maps {
        let sp = m.span;
        let zero = if m.value.is_scalar() {
            store(&m.value, int(0, sp))
        } else {
            match super::helpers_map_record::zero_record(table, m) {
                Ok(r) => r,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            }
        };
        if !m.array && !program.map_decls.iter().any(|d| d.name == m.name) {
            program.map_decls.push(crate::front::ast::MapDecl {
                name: m.name.clone(),
                kind: if m.lru { "lruhash" } else { "hash" }.into(),
                args: vec![int(m.max_entries, sp)],
                span: sp,
            });
        }
        let Some(p) = program.probes.first_mut() else {
            return;
        };
        let key = match super::helpers_map_record::zero_key(table, m, sp) {
            Ok(k) => k,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let typed = stmt(
            StmtKind::Assign {
                target: element(&m.name, key, sp),
                op: None,
                value: zero,
            },
            sp,
        );
        p.body
            .stmts
            .insert(0, when(int(0, sp), vec![typed], None, sp));
    }
}
