//! Types the script defines at top level (`struct Foo { int x; char c[4]; }`, `union`,
//! `enum`, `typedef`): resolved against each other and the kernel BTF, laid out as a C
//! compiler for x86-64/arm64 does (natural alignment, bitfields within their storage
//! unit, `__attribute__((packed))`), and appended to the kernel BTF
//! ([`crate::kbtf::Btf::with_local`]). From then on casts, field reads, `sizeof` and
//! `offsetof` treat them like kernel types; they win name lookups over kernel types
//! of the same name, and their fields are read at fixed offsets (no CO-RE).

use std::collections::HashMap;

use crate::diag::Diagnostic;
use crate::front::ast::{CDefinition, Span};
use crate::front::ctypes::{CDecl, CEnum, CRecord, CType};
use crate::kbtf::{Btf, Kind, LocalType, TypeId};

/// `int8_t`... and bpftrace's `int8`... when no typedef of that name exists.
fn fixed_int(name: &str) -> Option<(u32, bool)> {
    let (signed, rest) = match name.strip_prefix('u') {
        Some(r) => (false, r),
        None => (true, name),
    };
    let bits = rest
        .strip_prefix("int")?
        .trim_end_matches("_t")
        .parse::<u32>()
        .ok()?;
    matches!(bits, 8 | 16 | 32 | 64).then_some((bits / 8, signed))
}

/// Appends the script's definitions to `base`; the combined BTF, or every error.
/// `headers`: the script has `#include` lines, which bpftrace hands to clang with
/// the kernel headers, so kernel types the script names without defining them are
/// defined even when it redefines a kernel type (`struct nameidata { struct path
/// path; ... }` after `#include <linux/fs.h>`); tracec takes them from `base`.
pub fn build(base: &Btf, defs: &[CDefinition], headers: bool) -> Result<Btf, Vec<Diagnostic>> {
    let mut b = Builder {
        base,
        first: base.len(),
        types: Vec::new(),
        layout: Vec::new(),
        records: HashMap::new(),
        enums: HashMap::new(),
        typedefs: HashMap::new(),
        ints: HashMap::new(),
        redefines_kernel: false,
        diags: Vec::new(),
    };
    // Redefining a kernel type cuts the script's types off from the kernel's
    // (bpftrace: other kernel structs are then incomplete types), unless headers
    // would define them.
    b.redefines_kernel = !headers
        && defs.iter().flat_map(|d| &d.decls).any(|d| match d {
            CDecl::Record(CRecord {
                name: Some(n),
                members: Some(_),
                ..
            }) => base.find_struct(n).is_some(),
            _ => false,
        });
    for d in defs.iter().flat_map(|d| &d.decls) {
        match d {
            CDecl::Record(r) => {
                b.record(r);
            }
            CDecl::Enum(e) => {
                b.enumeration(e);
            }
            CDecl::Typedef { name, ty, span } => {
                if let Some(id) = b.resolve(ty, *span) {
                    let t = b.push(
                        LocalType::Typedef {
                            name: name.clone(),
                            target: id,
                        },
                        b.size_align(id),
                    );
                    b.typedefs.insert(name.clone(), t);
                }
            }
        }
    }
    if !b.diags.is_empty() {
        // clang reports these in bpftrace (it compiles the definitions).
        return Err(b.diags.into_iter().map(Diagnostic::from_clang).collect());
    }
    base.with_local(&b.types)
        .map_err(|e| vec![Diagnostic::error(Span::default(), e.0)])
}

struct Builder<'a> {
    base: &'a Btf,
    /// Id of `types[0]`.
    first: TypeId,
    types: Vec<LocalType>,
    /// (size, alignment) of each of `types`.
    layout: Vec<(u32, u32)>,
    records: HashMap<(String, bool), TypeId>,
    enums: HashMap<String, TypeId>,
    typedefs: HashMap<String, TypeId>,
    ints: HashMap<String, TypeId>,
    redefines_kernel: bool,
    diags: Vec<Diagnostic>,
}

impl Builder<'_> {
    fn push(&mut self, t: LocalType, layout: (u32, u32)) -> TypeId {
        self.types.push(t);
        self.layout.push(layout);
        self.first + self.types.len() as u32 - 1
    }

    fn local(&self, id: TypeId) -> Option<usize> {
        id.checked_sub(self.first).map(|i| i as usize)
    }

    /// Size and alignment of type `id` (script or kernel).
    fn size_align(&self, id: TypeId) -> (u32, u32) {
        match self.local(id) {
            Some(i) => self.layout.get(i).copied().unwrap_or((0, 1)),
            None => {
                let size = self.base.size_of(id).unwrap_or(0);
                (size, kernel_align(self.base, id, 0))
            }
        }
    }

    fn int(&mut self, name: &str, size: u32, signed: bool) -> TypeId {
        if let Some(&id) = self.ints.get(name) {
            return id;
        }
        let id = self.push(
            LocalType::Int {
                name: name.to_string(),
                size,
                signed,
                char: name.contains("char"),
                bool: name == "_Bool",
            },
            (size, size.max(1)),
        );
        self.ints.insert(name.to_string(), id);
        id
    }

    /// The type id of `ty`, or an error at `span`.
    fn resolve(&mut self, ty: &CType, span: Span) -> Option<TypeId> {
        Some(match ty {
            CType::Int { name, size, signed } => self.int(name, *size, *signed),
            CType::Bool => self.int("_Bool", 1, false),
            CType::Void => 0,
            CType::Float { size } => {
                let name = if *size == 4 { "float" } else { "double" };
                if let Some(&id) = self.ints.get(name) {
                    return Some(id);
                }
                let id = self.push(
                    LocalType::Float {
                        name: name.into(),
                        size: *size,
                    },
                    (*size, *size),
                );
                self.ints.insert(name.into(), id);
                id
            }
            CType::Named(n) => {
                if let Some(&id) = self.typedefs.get(n) {
                    id
                } else if let Some(id) = self.base.find_typedef(n) {
                    id
                } else if let Some((size, signed)) = fixed_int(n) {
                    self.int(n, size, signed)
                } else {
                    self.diags
                        .push(Diagnostic::error(span, format!("unknown type name '{n}'")));
                    return None;
                }
            }
            CType::Record { def: Some(def), .. } => self.record(def)?,
            CType::Record {
                name: Some(n),
                union,
                def: None,
            } => self.named_record(n, *union),
            CType::Record { .. } => return None,
            CType::Enum { def: Some(def), .. } => self.enumeration(def)?,
            CType::Enum {
                name: Some(n),
                def: None,
            } => match self.enums.get(n) {
                Some(&id) => id,
                None => match self.base.find_enum(n) {
                    Some(id) => id,
                    None => {
                        self.diags
                            .push(Diagnostic::error(span, format!("unknown type 'enum {n}'")));
                        return None;
                    }
                },
            },
            CType::Enum { .. } => return None,
            CType::Ptr(inner) => {
                let target = self.resolve(inner, span)?;
                self.push(LocalType::Ptr { target }, (8, 8))
            }
            CType::Array(inner, n) => {
                let elem = self.resolve(inner, span)?;
                let index = self.int("unsigned int", 4, false);
                let (size, align) = self.size_align(elem);
                self.push(
                    LocalType::Array {
                        elem,
                        index,
                        nelems: *n,
                    },
                    (size.saturating_mul(*n), align),
                )
            }
            CType::Func => self.push(LocalType::FuncProto { ret: 0 }, (0, 1)),
        })
    }

    /// `struct name` without a body: the script's, the kernel's, or a forward
    /// declaration.
    fn named_record(&mut self, name: &str, union: bool) -> TypeId {
        if let Some(&id) = self.records.get(&(name.to_string(), union)) {
            return id;
        }
        if !self.redefines_kernel {
            let kind = if union { Kind::Union } else { Kind::Struct };
            if let Some(id) = self
                .base
                .find_struct(name)
                .filter(|&id| self.base.ty(id).is_ok_and(|t| t.kind() == kind))
            {
                return id;
            }
        }
        let id = self.push(
            LocalType::Fwd {
                name: name.to_string(),
                union,
            },
            (0, 1),
        );
        self.records.insert((name.to_string(), union), id);
        id
    }

    /// Whether `id` is a forward declaration (an incomplete type).
    fn incomplete(&self, id: TypeId) -> Option<String> {
        let i = self.local(id)?;
        match self.types.get(i)? {
            LocalType::Fwd { name, union } => Some(format!(
                "{} {name}",
                if *union { "union" } else { "struct" }
            )),
            _ => None,
        }
    }

    fn record(&mut self, r: &CRecord) -> Option<TypeId> {
        let Some(members) = &r.members else {
            let name = r.name.as_deref()?;
            return Some(self.named_record(name, r.union));
        };
        let name = r.name.clone().unwrap_or_default();
        // Reserve the id first, so that members can point to the struct itself.
        let id = match r
            .name
            .as_ref()
            .and_then(|n| self.records.get(&(n.clone(), r.union)))
        {
            Some(&id) if self.incomplete(id).is_some() => id,
            _ => self.push(
                LocalType::Fwd {
                    name: name.clone(),
                    union: r.union,
                },
                (0, 1),
            ),
        };
        if let Some(n) = &r.name {
            self.records.insert((n.clone(), r.union), id);
        }
        let mut out = Vec::new();
        let mut bit = 0u64; // next free bit (structs)
        let mut size = 0u64; // bytes (unions)
        let mut align = 1u32;
        for m in members {
            let ty = self.resolve(&m.ty, m.span)?;
            if let Some(what) = self.incomplete(ty) {
                self.diags.push(Diagnostic::error(
                    m.name_span,
                    format!("field has incomplete type '{what}'"),
                ));
                return None;
            }
            let (msize, malign) = self.size_align(ty);
            let malign = if r.packed { 1 } else { malign.max(1) };
            let unit = u64::from(msize) * 8;
            let off = match m.bits {
                Some(bits) if u64::from(bits) > unit => {
                    self.diags.push(Diagnostic::error(
                        m.span,
                        format!("width of bit-field ({bits} bits) exceeds the width of its type ({unit} bits)"),
                    ));
                    return None;
                }
                Some(bits) => {
                    let bits = u64::from(bits);
                    let start = if r.union { 0 } else { bit };
                    let start = if bits == 0 {
                        start.div_ceil(unit.max(1)) * unit
                    } else if !r.packed && unit > 0 && start / unit != (start + bits - 1) / unit {
                        start.div_ceil(unit) * unit
                    } else {
                        start
                    };
                    if r.union {
                        size = size.max(bits.div_ceil(8));
                    } else {
                        bit = start + bits;
                    }
                    if bits > 0 {
                        out.push((
                            m.name.clone().unwrap_or_default(),
                            ty,
                            start as u32,
                            bits as u32,
                        ));
                    }
                    align = align.max(malign);
                    continue;
                }
                None if r.union => 0,
                None => bit.div_ceil(8).div_ceil(u64::from(malign)) * u64::from(malign) * 8,
            };
            align = align.max(malign);
            if r.union {
                size = size.max(u64::from(msize));
            } else {
                bit = off + u64::from(msize) * 8;
            }
            out.push((m.name.clone().unwrap_or_default(), ty, off as u32, 0));
        }
        let raw = if r.union { size } else { bit.div_ceil(8) };
        let total = raw.div_ceil(u64::from(align)) * u64::from(align);
        let Ok(total) = u32::try_from(total) else {
            self.diags
                .push(Diagnostic::error(r.span, "the type is too large"));
            return None;
        };
        let i = self.local(id)?;
        self.types[i] = LocalType::Record {
            name,
            union: r.union,
            size: total,
            members: out,
        };
        self.layout[i] = (total, align);
        Some(id)
    }

    fn enumeration(&mut self, e: &CEnum) -> Option<TypeId> {
        let signed = e.values.iter().any(|&(_, v)| v < 0);
        let wide = e
            .values
            .iter()
            .any(|&(_, v)| v < i64::from(i32::MIN) || v > i64::from(u32::MAX));
        let size = if wide { 8 } else { 4 };
        let id = self.push(
            LocalType::Enum {
                name: e.name.clone().unwrap_or_default(),
                size,
                signed,
                values: e.values.clone(),
            },
            (size, size),
        );
        if let Some(n) = &e.name {
            self.enums.insert(n.clone(), id);
        }
        Some(id)
    }
}

/// Natural alignment of kernel type `id`.
fn kernel_align(btf: &Btf, id: TypeId, depth: u32) -> u32 {
    let Ok(id) = btf.resolve(id) else { return 1 };
    let Ok(t) = btf.ty(id) else { return 1 };
    match t.kind() {
        Kind::Int | Kind::Enum | Kind::Enum64 | Kind::Float => t.size().unwrap_or(1).clamp(1, 8),
        Kind::Ptr => 8,
        Kind::Array if depth < 16 => {
            kernel_align(btf, t.array().unwrap_or_default().elem, depth + 1)
        }
        Kind::Struct | Kind::Union if depth < 16 => t
            .members()
            .map(|m| kernel_align(btf, m.ty, depth + 1))
            .max()
            .unwrap_or(1),
        _ => 1,
    }
}

#[cfg(test)]
#[path = "script_types_tests.rs"]
mod tests;
