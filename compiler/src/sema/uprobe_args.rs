//! `args.NAME` in uprobes of binaries with DWARF: each parameter of the probed
//! function, typed by the DWARF (`probes::dwarf`) and read from its location at
//! function entry (x86-64 System V: rdi, rsi, rdx, rcx, r8, r9 in order for integer
//! and pointer parameters; a 128-bit integer takes two of them; larger values, floats
//! and further parameters are not in those registers).
//!
//! Before checking, the types of every probed function's parameters are appended to
//! the checker's BTF as local types ([`Checker::add_dwarf_types`]), after the
//! script's own, so a script's `struct Foo` wins over the binary's and casts such as
//! `(struct Foo *)arg0` find the binary's types. Their fields are read at fixed
//! offsets, through user memory.

use std::collections::HashMap;
use std::path::Path;

use super::probe_ctx::{btf_value, ctx_read, narrow, regs};
use super::types::*;
use super::{poisoned, Checker, ProbeCx};
use crate::diag::Diagnostic;
use crate::front::ast::Span;
use crate::kbtf::{Kind, TypeId};
use crate::probes::dwarf;
use crate::probes::{Context, ExpandedProbe};
use tracec_meta::Attach;

/// Where a parameter is at function entry.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ArgLoc {
    /// Argument register number `n` (0 = rdi).
    Reg(usize),
    /// Not readable from the entry registers; why.
    Unsupported(String),
}

/// One parameter.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct UArg {
    pub name: String,
    /// In the checker's BTF.
    pub ty: TypeId,
    pub loc: ArgLoc,
}

/// The DWARF parameters of each probed function, by (path, symbol).
#[derive(Debug, Default)]
pub(super) struct UprobeArgs {
    funcs: HashMap<(String, String), Vec<UArg>>,
}

/// What an argument of `size` bytes of class `class` takes (register count), System V.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    /// Integer registers.
    Int(usize),
    /// Passed in memory or in SSE registers: not in the integer registers.
    Other(&'static str),
}

fn classify(f: &dwarf::Function, ty: dwarf::TyIdx) -> Class {
    use dwarf::{DType, Encoding};
    let t = f.strip(ty);
    let size = f.size_of(t);
    match f.ty(t) {
        DType::Base {
            encoding: Encoding::Float,
            ..
        } => Class::Other("floating-point arguments are passed in SSE registers"),
        DType::Base { .. } | DType::Enum { .. } if size > 8 => Class::Int(2),
        DType::Base { .. } | DType::Enum { .. } | DType::Ptr(_) => Class::Int(1),
        DType::Record { .. } if size > 16 => Class::Other("it is passed on the stack"),
        DType::Record { .. } => Class::Other("struct arguments passed by value cannot be read yet"),
        _ => Class::Other("its type cannot be read"),
    }
}

/// Locations of `f`'s parameters.
pub(super) fn locations(f: &dwarf::Function) -> Vec<ArgLoc> {
    let mut next = 0usize;
    f.params
        .iter()
        .map(|p| match classify(f, p.ty) {
            Class::Int(n) if next + n <= regs::ARGS.len() => {
                next += n;
                ArgLoc::Reg(next - n)
            }
            Class::Int(_) => {
                next = regs::ARGS.len();
                ArgLoc::Unsupported("it is passed on the stack".to_string())
            }
            Class::Other(why) => ArgLoc::Unsupported(why.to_string()),
        })
        .collect()
}

/// `Pointee::Sized` for a pointer to an integer or enum of 2, 4 or 8 bytes (`int *`),
/// which `*` reads.
fn int_pointee(btf: &crate::kbtf::Btf, ptr: TypeId) -> Option<Pointee> {
    let p = btf.ty(btf.resolve(ptr).ok()?).ok()?;
    let target = btf.ty(btf.resolve(p.raw_type()).ok()?).ok()?;
    let size = target.size()?;
    (matches!(target.kind(), Kind::Int | Kind::Enum | Kind::Enum64) && matches!(size, 2 | 4 | 8))
        .then_some(Pointee::Sized { size })
}

/// The distinct `(binary, function)` pairs of the uprobes, in probe order.
fn wanted_functions(probes: &[(usize, ExpandedProbe)]) -> Vec<(String, String)> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (_, p) in probes {
        let Attach::Uprobe { path, symbol, .. } = &p.attach else {
            continue;
        };
        if symbol.is_empty() || !seen.insert((path.clone(), symbol.clone())) {
            continue;
        }
        wanted.push((path.clone(), symbol.clone()));
    }
    wanted
}

/// The DWARF functions of `wanted`, each binary's DWARF read once (a wildcard such as
/// `uprobe:libc:*` names thousands of functions of one file): per name, the first
/// the file holds, as [`dwarf::function`] finds it.
fn read_functions(
    wanted: &[(String, String)],
) -> std::collections::HashMap<(String, String), dwarf::Function> {
    let mut by_path: Vec<(&str, std::collections::HashSet<&str>)> = Vec::new();
    for (path, symbol) in wanted {
        match by_path.iter_mut().find(|(p, _)| p == path) {
            Some((_, names)) => {
                names.insert(symbol);
            }
            None => by_path.push((path, [symbol.as_str()].into_iter().collect())),
        }
    }
    let mut found = std::collections::HashMap::new();
    for (path, names) in by_path {
        let Ok(functions) = dwarf::functions(Path::new(path), &|n| names.contains(n)) else {
            continue;
        };
        for f in functions {
            found.entry((path.to_string(), f.name.clone())).or_insert(f);
        }
    }
    found
}

impl Checker {
    /// Reads the DWARF of every uprobe's function and appends the types of its
    /// parameters to the BTF (see the module docs).
    pub(super) fn add_dwarf_types(&mut self, probes: &[(usize, ExpandedProbe)]) -> Vec<Diagnostic> {
        let wanted = wanted_functions(probes);
        let found = read_functions(&wanted);
        // Every function's types are appended at once: an append builds a new BTF (and
        // its name index), which once per function made `uprobe:libc:*` quadratic.
        let mut next = self.kernel.next_type_id();
        let btf = self.kernel.loaded_btf();
        let records = self.kernel.local_records.clone();
        // Named structs appended for an earlier function of this batch.
        let mut batch: HashMap<(String, bool), TypeId> = HashMap::new();
        let mut all = Vec::new();
        let mut converted = Vec::new();
        for (path, symbol) in &wanted {
            let Some(f) = found.get(&(path.clone(), symbol.clone())) else {
                continue;
            };
            // The script's own structs win over the binary's of the same name, and a
            // struct is appended once for all the functions that use it.
            let existing = |name: &str, union: bool| {
                if let Some(&id) = batch.get(&(name.to_string(), union)) {
                    return Some(id);
                }
                if !records.iter().any(|(n, u)| n == name && *u == union) {
                    return None;
                }
                btf.as_ref()?.find_struct(name)
            };
            let local = dwarf::to_local(f, next, &existing);
            for (t, &id) in f.types.iter().zip(&local.ids) {
                if let dwarf::DType::Record { name, union, .. } = t {
                    if !name.is_empty() && id >= next {
                        batch.entry((name.clone(), *union)).or_insert(id);
                    }
                }
            }
            next += local.types.len() as TypeId;
            all.extend(local.types.iter().cloned());
            converted.push((path, symbol, f, local.ids));
        }
        if converted.is_empty() || !self.kernel.append_local_types(&all) {
            return Vec::new();
        }
        for (path, symbol, f, ids) in converted {
            let args = f
                .params
                .iter()
                .zip(locations(f))
                .map(|(p, loc)| UArg {
                    name: p.name.clone(),
                    ty: ids.get(p.ty).copied().unwrap_or(0),
                    loc,
                })
                .collect();
            self.uprobe_args
                .funcs
                .insert((path.clone(), symbol.clone()), args);
        }
        Vec::new()
    }

    /// The DWARF parameters of a uprobe's function, when it has them.
    pub(super) fn uprobe_dwarf_args(&self, cx: &ProbeCx) -> Option<Vec<UArg>> {
        let Attach::Uprobe {
            path,
            symbol,
            offset: 0,
            ret: false,
        } = &cx.probe.attach
        else {
            return None;
        };
        if !matches!(cx.probe.context, Context::Regs { ret: false, .. }) {
            return None;
        }
        self.uprobe_args
            .funcs
            .get(&(path.clone(), symbol.clone()))
            .cloned()
    }

    /// `args.NAME` in a uprobe with DWARF arguments `args`.
    pub(super) fn uprobe_arg_field(
        &mut self,
        cx: &ProbeCx,
        args: &[UArg],
        field: &str,
        span: Span,
    ) -> TExpr {
        let Some(arg) = args.iter().find(|a| a.name == field) else {
            let names: Vec<&str> = args.iter().map(|a| a.name.as_str()).collect();
            return self.no_such_arg(cx, field, &names, span);
        };
        let reg = match &arg.loc {
            ArgLoc::Reg(r) => *r,
            ArgLoc::Unsupported(why) => {
                self.error(span, format!("argument '{field}' cannot be read: {why}"));
                return poisoned(span);
            }
        };
        let Some(btf) = self.btf(span, "a DWARF-typed argument") else {
            return poisoned(span);
        };
        let Some(&off) = regs::ARGS.get(reg) else {
            return poisoned(span);
        };
        // A 128-bit integer: its low 64 bits (the first register).
        let wide = btf
            .resolve(arg.ty)
            .ok()
            .and_then(|id| btf.ty(id).ok())
            .is_some_and(|t| t.kind() == Kind::Int && t.size().unwrap_or(0) > 8);
        match btf_value(&btf, arg.ty) {
            Ok((t, size)) => {
                let t = match t {
                    Type::Ptr { to, .. } => Type::Ptr {
                        user: true,
                        to: match to {
                            Pointee::Other => int_pointee(&btf, arg.ty).unwrap_or(to),
                            to => to,
                        },
                    },
                    t => t,
                };
                let size = if wide { 8 } else { size };
                let signed = t.is_signed();
                narrow(ctx_read(off, t, span), size, signed)
            }
            Err(e) => {
                self.error(span, format!("argument '{field}' cannot be read: {e}"));
                poisoned(span)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dwarf::{DType, Encoding, Function, Param};

    fn base(name: &str, size: u32, encoding: Encoding) -> DType {
        DType::Base {
            name: name.to_string(),
            size,
            encoding,
        }
    }

    #[test]
    fn registers_follow_the_system_v_abi() {
        let record = DType::Record {
            name: "s".into(),
            union: false,
            size: 8,
            members: Vec::new(),
            declaration: false,
        };
        let types = vec![
            DType::Void,
            base("int", 4, Encoding::Signed),
            base("__int128", 16, Encoding::Signed),
            base("double", 8, Encoding::Float),
            DType::Ptr(1),
            record,
        ];
        let p = |name: &str, ty| Param {
            name: name.to_string(),
            ty,
        };
        let f = Function {
            name: "f".into(),
            params: vec![
                p("a", 1),
                p("wide", 2),
                p("d", 3),
                p("ptr", 4),
                p("s", 5),
                p("b", 1),
                p("c", 1),
                p("past", 1),
            ],
            ret: 1,
            types,
        };
        let locs = locations(&f);
        assert_eq!(locs[0], ArgLoc::Reg(0));
        // The 128-bit integer takes rsi and rdx.
        assert_eq!(locs[1], ArgLoc::Reg(1));
        assert!(matches!(locs[2], ArgLoc::Unsupported(_)), "SSE register");
        assert_eq!(locs[3], ArgLoc::Reg(3));
        assert!(matches!(locs[4], ArgLoc::Unsupported(_)), "struct by value");
        assert_eq!(locs[5], ArgLoc::Reg(4));
        assert_eq!(locs[6], ArgLoc::Reg(5));
        assert!(matches!(locs[7], ArgLoc::Unsupported(_)), "on the stack");
    }
}
