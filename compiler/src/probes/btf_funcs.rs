//! Kernel BTF for the providers whose arguments it describes: raw tracepoints
//! (`typedef void (*btf_trace_<name>)(void *__data, ...)`), fentry/fexit (the
//! `FUNC` of the traced function) and iterators (`struct bpf_iter__<target>`).
//!
//! The BTF is read once per path and shared: a compilation expands many probes.

use super::{BtfArg, Env};
use crate::kbtf::{self, Btf, Kind, TypeId};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// The kernel BTF `env` names (default `/sys/kernel/btf/vmlinux`).
pub(super) fn path(env_btf: Option<&std::path::Path>) -> PathBuf {
    env_btf
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(kbtf::VMLINUX_BTF))
}

type Cache = Mutex<HashMap<PathBuf, Result<Arc<Btf>, String>>>;

/// The BTF at `path`, parsed once per process.
pub(super) fn load(path: &std::path::Path) -> Result<Arc<Btf>, String> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = match cache.lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    map.entry(path.to_path_buf())
        .or_insert_with(|| {
            Btf::load_shared(path)
                .map(Arc::new)
                .map_err(|e| format!("cannot read kernel BTF: {e}"))
        })
        .clone()
}

/// [`load`] for an [`Env`].
pub(super) fn for_env(env: &Env) -> Result<Arc<Btf>, String> {
    load(&path(env.btf.as_deref()))
}

/// The arguments and return type of FUNC_PROTO `proto`, skipping the first
/// `skip` parameters (a raw tracepoint's `void *__data`). Unnamed parameters are
/// called `argN`; a variadic tail is dropped.
pub(super) fn proto_args(
    btf: &Btf,
    proto: TypeId,
    skip: usize,
) -> Result<(Vec<BtfArg>, TypeId), String> {
    let t = btf.ty(proto).map_err(|e| e.to_string())?;
    if t.kind() != Kind::FuncProto {
        return Err(format!("BTF type {proto} is not a function prototype"));
    }
    let args = t
        .params()
        .skip(skip)
        .filter(|p| !(p.name.is_empty() && p.ty == 0))
        .enumerate()
        .map(|(i, p)| BtfArg {
            name: if p.name.is_empty() {
                format!("arg{i}")
            } else {
                p.name.to_string()
            },
            ty: p.ty,
        })
        .collect();
    Ok((args, t.raw_type()))
}

/// The prototype of raw tracepoint `name`, whose first parameter is `void *__data`:
/// the FUNC `__probestub_<name>` (kernels since 6.4; it names the parameters) or
/// `__bpf_trace_<name>`, else the typedef `btf_trace_<name>` (unnamed parameters).
pub(super) fn rawtp_proto(btf: &Btf, name: &str) -> Option<TypeId> {
    let typed = typedef_proto(btf, name)?;
    ["__probestub_", "__bpf_trace_"]
        .iter()
        .filter_map(|p| func_proto(btf, &format!("{p}{name}")))
        .find(|&f| same_arity(btf, f, typed))
        .or(Some(typed))
}

fn same_arity(btf: &Btf, a: TypeId, b: TypeId) -> bool {
    let n = |id| btf.ty(id).map(|t| t.params().count()).ok();
    n(a).is_some() && n(a) == n(b)
}

fn typedef_proto(btf: &Btf, name: &str) -> Option<TypeId> {
    let td = btf.find_typedef(&format!("{RAWTP_PREFIX}{name}"))?;
    let ptr = btf.resolve(td).ok()?;
    let p = btf.ty(ptr).ok()?;
    if p.kind() != Kind::Ptr {
        return None;
    }
    let proto = btf.resolve(p.raw_type()).ok()?;
    (btf.ty(proto).ok()?.kind() == Kind::FuncProto).then_some(proto)
}

/// The typedef prefix of raw tracepoint prototypes.
pub(super) const RAWTP_PREFIX: &str = "btf_trace_";

/// The prototype of kernel function `name` (its BTF `FUNC`).
pub(super) fn func_proto(btf: &Btf, name: &str) -> Option<TypeId> {
    let f = btf.find(name, Kind::Func)?;
    let proto = btf.ty(f).ok()?.raw_type();
    (btf.ty(proto).ok()?.kind() == Kind::FuncProto).then_some(proto)
}

/// Names of every type of kind `kind` whose name starts with `prefix` (the prefix
/// removed), sorted and without duplicates.
pub(super) fn names_with_prefix(btf: &Btf, kind: Kind, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = btf
        .types()
        .filter(|t| t.kind() == kind)
        .filter_map(|t| t.name().strip_prefix(prefix).map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}
