//! Kernel types in scripts: `curtask`, casts (`(struct task_struct *)arg0`,
//! `(uint32)x`) and field access through kernel struct pointers
//! (`curtask->real_parent->tgid`, `$t->se.vruntime`, `curtask->comm`).
//!
//! Kernel types come from the kernel's BTF ([`crate::kbtf`]), read lazily the first
//! time a script needs it. Every field read becomes a [`TExprKind::KernelField`]: a
//! `bpf_probe_read_kernel` at an offset that carries a CO-RE relocation
//! ([`crate::ir::CoreAccess`]), so the object works on kernels whose layout differs
//! from the BTF the script was compiled against.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::kernel_enum::{enum_constant_named, EnumConst};

use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::front::ast::{self, ExprKind, Span};
use crate::ir::{CoreAccess, CoreKind, CoreStep, CoreStruct, CoreType};
use crate::kbtf::{self, Kind, TypeId};
use crate::probes::offline;
use tracec_meta::Attach;

/// Where the kernel's BTF comes from, and the BTF once read.
#[derive(Default)]
pub struct KernelBtf {
    /// `None`: [`kbtf::VMLINUX_BTF`].
    pub path: Option<PathBuf>,
    loaded: Option<Result<Arc<kbtf::Btf>, String>>,
    /// Tracepoint classes (`None` inside: no BTF to read them from).
    tracepoints: Option<Option<offline::Loaded>>,
    /// Kernel enumerators by name, as looked up.
    enums: HashMap<String, Option<EnumConst>>,
    /// Structs and unions the script defines (name, is a union): their fields are
    /// read at fixed offsets, without CO-RE relocations.
    pub(super) local_records: Vec<(String, bool)>,
}

impl std::fmt::Debug for KernelBtf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelBtf")
            .field("path", &self.path)
            .field("loaded", &self.loaded)
            .finish()
    }
}

impl KernelBtf {
    pub fn new(path: Option<PathBuf>) -> KernelBtf {
        KernelBtf {
            path,
            loaded: None,
            tracepoints: None,
            enums: HashMap::new(),
            local_records: Vec::new(),
        }
    }

    /// Already-parsed BTF (tests).
    pub fn with(btf: Arc<kbtf::Btf>) -> KernelBtf {
        KernelBtf {
            path: None,
            loaded: Some(Ok(btf)),
            tracepoints: None,
            enums: HashMap::new(),
            local_records: Vec::new(),
        }
    }

    fn path(&self) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| PathBuf::from(kbtf::VMLINUX_BTF))
    }

    /// The tracepoint classes of the kernel BTF, if it can be read.
    pub(super) fn tracepoints(&mut self) -> Option<&offline::Loaded> {
        if self.tracepoints.is_none() {
            let btf = kbtf::Btf::load_shared(&self.path()).ok();
            self.tracepoints = Some(btf.map(offline::Loaded::new));
        }
        self.tracepoints.as_ref().and_then(Option::as_ref)
    }

    /// The kernel enumerator `name`, if the BTF can be read and has it.
    pub(super) fn enum_constant(&mut self, name: &str) -> Option<EnumConst> {
        if let Some(c) = self.enums.get(name) {
            return *c;
        }
        let btf = self.get().ok()?;
        let c = enum_constant_named(&btf, name);
        self.enums.insert(name.to_string(), c);
        c
    }

    /// Adds the script's own type definitions to the types the checker knows (on top
    /// of the kernel BTF when it can be read); the errors in them. `headers`: the
    /// script includes headers, which would define the kernel types it names (see
    /// `script_types::build`).
    pub fn add_script_types(
        &mut self,
        defs: &[ast::CDefinition],
        headers: bool,
    ) -> Vec<crate::diag::Diagnostic> {
        if defs.iter().all(|d| d.decls.is_empty()) {
            return Vec::new();
        }
        let base = self.get().unwrap_or_else(|_| Arc::new(kbtf::Btf::empty()));
        match super::script_types::build(&base, defs, headers) {
            Ok(btf) => {
                self.local_records = btf
                    .types()
                    .filter(|t| btf.is_local(t.id()))
                    .filter(|t| matches!(t.kind(), Kind::Struct | Kind::Union))
                    .filter(|t| !t.name().is_empty())
                    .map(|t| (t.name().to_string(), t.kind() == Kind::Union))
                    .collect();
                self.loaded = Some(Ok(Arc::new(btf)));
                self.enums.clear();
                Vec::new()
            }
            Err(diags) => diags,
        }
    }

    /// The id the next appended local type gets.
    pub(super) fn next_type_id(&mut self) -> TypeId {
        self.get()
            .unwrap_or_else(|_| Arc::new(kbtf::Btf::empty()))
            .len()
    }

    /// Appends `types` (from [`Self::next_type_id`] on) as local types, whose records
    /// are then read at fixed offsets like the script's; false when BTF refuses them.
    pub(super) fn append_local_types(&mut self, types: &[kbtf::LocalType]) -> bool {
        let base = self.get().unwrap_or_else(|_| Arc::new(kbtf::Btf::empty()));
        let Ok(btf) = base.with_local(types) else {
            return false;
        };
        // Only the types just appended: the kernel's are many, and a wildcard uprobe
        // appends the types of each of its functions in turn.
        for t in (base.len()..btf.len()).filter_map(|id| btf.ty(id).ok()) {
            if matches!(t.kind(), Kind::Struct | Kind::Union) && !t.name().is_empty() {
                let rec = (t.name().to_string(), t.kind() == Kind::Union);
                if !self.local_records.contains(&rec) {
                    self.local_records.push(rec);
                }
            }
        }
        self.loaded = Some(Ok(Arc::new(btf)));
        self.enums.clear();
        true
    }

    /// The BTF if it has been read already.
    pub(super) fn loaded_btf(&self) -> Option<Arc<kbtf::Btf>> {
        match &self.loaded {
            Some(Ok(b)) => Some(b.clone()),
            _ => None,
        }
    }

    pub(super) fn get(&mut self) -> Result<Arc<kbtf::Btf>, String> {
        if self.loaded.is_none() {
            let path = self.path();
            // With the kernel modules probe expansion added (`fentry:MODULE:...`).
            self.loaded = Some(
                kbtf::kernel(&path)
                    .map(Arc::new)
                    .map_err(|e| format!("cannot read kernel BTF from {}: {e}", path.display())),
            );
        }
        match &self.loaded {
            Some(Ok(b)) => Ok(b.clone()),
            Some(Err(e)) => Err(e.clone()),
            None => Err("kernel BTF not loaded".into()),
        }
    }
}

/// The shape of a tracepoint field that [`Checker::tp_core_access`] relocates.
#[derive(Debug, Clone, Copy)]
pub(super) enum TpCoreField {
    /// An integer, enum or pointer of `size` bytes, loaded from ctx.
    Scalar { size: u32 },
    /// A `char` array (of the length the BTF gives it), copied as a string.
    Chars,
}

impl Checker {
    /// The kernel BTF, or an error at `span` saying what needed it.
    pub(super) fn btf(&mut self, span: Span, what: &str) -> Option<Arc<kbtf::Btf>> {
        match self.kernel.get() {
            Ok(b) => Some(b),
            Err(e) => {
                self.error(span, format!("{what} needs kernel BTF: {e}"));
                None
            }
        }
    }

    /// The CO-RE access of tracepoint field `field` in the event's BTF record
    /// `struct trace_event_raw_<class>`, when the kernel BTF describes it as `want`
    /// (the shape tracefs gave it). Syscall records are not BTF structs; they keep
    /// their tracefs offsets.
    pub(super) fn tp_core_access(
        &mut self,
        attach: &Attach,
        field: &str,
        want: TpCoreField,
    ) -> Option<CoreAccess> {
        let Attach::Tracepoint { category, name } = attach else {
            return None;
        };
        if category == "syscalls" {
            return None;
        }
        let tp = self.kernel.tracepoints()?;
        let btf = &tp.btf;
        let class = tp.class_of(name)?;
        let id = btf.find_struct(&format!("trace_event_raw_{class}"))?;
        let found = btf.member(id, field).ok()??;
        let ty = btf.resolve(found.ty).ok()?;
        let t = btf.ty(ty).ok()?;
        let matches = match want {
            TpCoreField::Scalar { size } => {
                matches!(t.kind(), Kind::Int | Kind::Enum | Kind::Enum64 | Kind::Ptr)
                    && btf.size_of(ty).ok()? == size
            }
            TpCoreField::Chars => {
                let a = t.array()?;
                let elem = btf.resolve(a.elem).ok()?;
                t.kind() == Kind::Array
                    && (1..=MAX_STRING_SIZE * 4).contains(&a.nelems)
                    && btf.ty(elem).ok()?.int().is_some_and(|i| i.size == 1)
            }
        };
        if found.bitfield_size != 0 || !matches {
            return None;
        }
        let mut steps = Vec::new();
        push_steps(btf, id, &found.path, &mut steps).ok()?;
        let r = btf.ty(id).ok()?;
        Some(CoreAccess {
            kind: CoreKind::FieldByteOffset,
            root: CoreStruct {
                name: r.name().to_string(),
                union: false,
                size: r.size().unwrap_or(0),
            },
            steps,
        })
    }

    /// `curtask`.
    pub(super) fn curtask(&mut self, span: Span) -> TExpr {
        let to = match self.kernel.get() {
            Ok(btf) => match btf.find_struct("task_struct") {
                Some(id) => Pointee::Kernel { id },
                None => Pointee::Other,
            },
            // Without BTF, `curtask` is still a usable pointer (bpftrace: uint64).
            Err(_) => Pointee::Other,
        };
        TExpr {
            kind: TExprKind::Builtin(Builtin::CurTask),
            ty: Type::Ptr { user: false, to },
            span,
        }
    }

    /// The kernel struct/union `name`, reported at `span` when unknown.
    pub(super) fn record(&mut self, name: &str, union: bool, span: Span) -> Option<TypeId> {
        let kw = if union { "union" } else { "struct" };
        let btf = self.btf(span, &format!("`{kw} {name}`"))?;
        let found = btf.find_struct(name).filter(|&id| {
            btf.ty(id)
                .is_ok_and(|t| t.kind() == if union { Kind::Union } else { Kind::Struct })
        });
        match found {
            Some(id) => Some(id),
            None => {
                let note = suggest(
                    name,
                    btf.types()
                        .filter(|t| matches!(t.kind(), Kind::Struct | Kind::Union))
                        .map(|t| t.name())
                        .filter(|n| !n.is_empty()),
                );
                let msg = format!("unknown {kw} `{name}` in the kernel BTF");
                match note {
                    Some(s) => self.diag_note(span, msg, format!("did you mean `{kw} {s}`?")),
                    None => self.error(span, msg),
                }
                None
            }
        }
    }

    /// `base->a.b` where `base` is not `args`: a chain of field accesses (and array
    /// indexes) on a kernel struct pointer. `field`/`span` are the outermost access.
    pub(super) fn kernel_field(
        &mut self,
        cx: &mut ProbeCx,
        base: &ast::Expr,
        field: &str,
        span: Span,
    ) -> TExpr {
        let first = (field, name_span(span, field), Vec::new());
        let (root, chain) = flatten_chain(base, vec![first]);
        self.kernel_chain(cx, root, chain, span, false)
    }

    /// `e` (a field access or index) as a chain on a kernel struct pointer, when it
    /// has at least one field access: its value, or with `want_addr` its address.
    pub(super) fn kernel_place(
        &mut self,
        cx: &mut ProbeCx,
        e: &ast::Expr,
        want_addr: bool,
    ) -> Option<TExpr> {
        let (root, chain) = flatten_chain(e, Vec::new());
        if chain.is_empty() || super::stdlib::is_config(root) {
            return None;
        }
        Some(self.kernel_chain(cx, root, chain, e.span, want_addr))
    }

    fn kernel_chain(
        &mut self,
        cx: &mut ProbeCx,
        root: &ast::Expr,
        raw: Vec<RawAccess<'_>>,
        span: Span,
        want_addr: bool,
    ) -> TExpr {
        let mut root = root;
        let mut chain = Vec::with_capacity(raw.len());
        let mut bad = false;
        for (name, at, indexes) in raw {
            let mut checked = Vec::with_capacity(indexes.len());
            for i in indexes {
                let t = self.expr(cx, i);
                match t.ty {
                    Type::Int { .. } | Type::Bool => checked.push(t),
                    Type::Unknown => bad = true,
                    other => {
                        self.error(
                            i.span,
                            format!(
                                "an array index must be an integer, not {}",
                                other.describe()
                            ),
                        );
                        bad = true;
                    }
                }
            }
            chain.push(super::kernel_walk::Access {
                name,
                span: at,
                indexes: checked,
            });
        }
        if bad {
            return poisoned(span);
        }
        // `(*p).x` is `p->x`.
        if let ExprKind::Unary {
            op: ast::UnOp::Deref,
            expr,
        } = &root.kind
        {
            let inner = self.expr(cx, expr);
            if let Type::Ptr {
                to: Pointee::Kernel { .. },
                ..
            } = inner.ty
            {
                root = expr;
            }
        }
        let ptr = self.expr(cx, root);
        if let Type::Tuple(_) = ptr.ty {
            if chain.iter().all(|a| a.indexes.is_empty()) && !want_addr {
                let path: Vec<(&str, Span)> = chain.iter().map(|a| (a.name, a.span)).collect();
                return self.tuple_fields(ptr, &path);
            }
            return self.tuple_chain(ptr, &chain, span, want_addr);
        }
        let struct_id = match ptr.ty {
            Type::Unknown => return poisoned(span),
            Type::Ptr {
                to: Pointee::Kernel { id },
                ..
            } => id,
            Type::Ptr { .. } if self.kernel.get().is_err() => {
                self.btf(chain[0].span, &format!("field access `{}`", chain[0].name));
                return poisoned(span);
            }
            other => {
                let what = match other {
                    Type::Ptr { .. } => {
                        "a pointer to an unknown type; cast it first, e.g. (struct task_struct *)"
                    }
                    _ => "not a pointer to a kernel struct",
                };
                self.error(
                    chain[0].span,
                    format!(
                        "cannot access field `{}`: the value is {what}",
                        chain[0].name
                    ),
                );
                return poisoned(span);
            }
        };
        let Some(btf) = self.btf(span, "field access") else {
            return poisoned(span);
        };
        match self.walk(&btf, ptr, struct_id, &chain, span, want_addr) {
            Ok(t) => t,
            Err((at, msg, note)) => {
                match note {
                    Some(n) => self.diag_note(at, msg, n),
                    None => self.error(at, msg),
                }
                poisoned(span)
            }
        }
    }
}

/// A field name, its span and the indexes applied to the field, as written.
type RawAccess<'e> = (&'e str, Span, Vec<&'e ast::Expr>);

/// Flattens `((p->a[1]).b)[2]` into `p` and `[a[1], b[2]]` (`chain`: the accesses
/// already taken off the outside, outermost first). Indexes applied to the root
/// itself (`$p[1]->x`) stay in the root; `args->f` is a root.
fn flatten_chain<'e>(
    e: &'e ast::Expr,
    mut chain: Vec<RawAccess<'e>>,
) -> (&'e ast::Expr, Vec<RawAccess<'e>>) {
    let mut root = e;
    let mut pending: Vec<&'e ast::Expr> = Vec::new();
    let mut pending_start = e;
    loop {
        match &root.kind {
            ExprKind::Field { base, field, .. } if !matches!(&base.kind, ExprKind::Ident(n) if n == "args") =>
            {
                pending.reverse();
                chain.push((
                    field,
                    name_span(root.span, field),
                    std::mem::take(&mut pending),
                ));
                root = base;
            }
            ExprKind::Index { base, index } => {
                if pending.is_empty() {
                    pending_start = root;
                }
                pending.push(index);
                root = base;
            }
            _ => break,
        }
    }
    if !pending.is_empty() {
        root = pending_start;
    }
    chain.reverse();
    (root, chain)
}

/// The span of the field name at the end of a field access expression.
fn name_span(expr: Span, name: &str) -> Span {
    let end = expr.end as usize;
    Span::new(end.saturating_sub(name.len()).max(expr.start as usize), end)
}

/// Adds a step per member index of `path` from struct `id`.
pub(super) fn push_steps(
    btf: &kbtf::Btf,
    id: TypeId,
    path: &[u32],
    steps: &mut Vec<CoreStep>,
) -> Result<(), kbtf::BtfError> {
    let mut cur = btf.resolve(id)?;
    for &index in path {
        let t = btf.ty(cur)?;
        let m = t
            .members()
            .nth(index as usize)
            .ok_or_else(|| kbtf::BtfError(format!("member #{index} of type {cur} is missing")))?;
        steps.push(CoreStep {
            name: m.name.to_string(),
            index,
            bit_offset: m.bit_offset,
            ty: core_type(btf, m.ty, 0)?,
        });
        cur = btf.resolve(m.ty)?;
    }
    Ok(())
}

/// The [`CoreType`] of BTF type `id`.
fn core_type(btf: &kbtf::Btf, id: TypeId, depth: u32) -> Result<CoreType, kbtf::BtfError> {
    let id = btf.resolve(id)?;
    let t = btf.ty(id)?;
    Ok(match t.kind() {
        Kind::Int => {
            let i = t.int().unwrap_or_default();
            CoreType::Int {
                name: t.name().to_string(),
                size: i.size,
                signed: i.signed,
                char: i.char,
                bool: i.bool,
            }
        }
        Kind::Enum | Kind::Enum64 => CoreType::Enum {
            name: t.name().to_string(),
            size: t.size().unwrap_or(4),
            signed: t.kind_flag(),
        },
        Kind::Array if depth < 8 => {
            let a = t.array().unwrap_or_default();
            CoreType::Array {
                elem: Box::new(core_type(btf, a.elem, depth + 1)?),
                len: a.nelems,
            }
        }
        Kind::Struct | Kind::Union => CoreType::Struct(CoreStruct {
            name: t.name().to_string(),
            union: t.kind() == Kind::Union,
            size: t.size().unwrap_or(0),
        }),
        // Pointers, and anything else a path ends in, match as pointers: the
        // checker only reads ints, enums, pointers and char arrays.
        _ => CoreType::Ptr,
    })
}

/// The field names of a struct, looking into anonymous members.
pub(super) fn member_names(btf: &kbtf::Btf, id: TypeId) -> Vec<String> {
    let mut out = Vec::new();
    let mut work = vec![(id, 0)];
    while let Some((id, depth)) = work.pop() {
        let Ok(t) = btf.resolve(id).and_then(|id| btf.ty(id)) else {
            continue;
        };
        for m in t.members() {
            if m.name.is_empty() {
                if depth < 8 {
                    work.push((m.ty, depth + 1));
                }
            } else {
                out.push(m.name.to_string());
            }
        }
    }
    out
}

/// The closest name to `name` among `names`, if one is close enough to be a typo.
pub(super) fn suggest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.len() / 3).max(1);
    names
        .map(|n| (edit_distance(name, n), n))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, n)| (*d, n.len()))
        .map(|(_, n)| n.to_string())
}

/// Edit distance counting insertions, deletions, substitutions and transpositions of
/// adjacent bytes (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 3 {
        return usize::MAX;
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_names() {
        let names = ["pid", "tgid", "real_parent", "comm"];
        assert_eq!(suggest("tigd", names.into_iter()), Some("tgid".into()));
        assert_eq!(
            suggest("real_parnt", names.into_iter()),
            Some("real_parent".into())
        );
        assert_eq!(suggest("xyzzy", names.into_iter()), None);
    }
}
