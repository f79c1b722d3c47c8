//! Following a chain of field accesses and array indexes from a kernel (or script)
//! struct pointer: `curtask->real_parent->tgid`, `$ct->tuplehash[0].tuple`,
//! `$a.x[$i]`, `p->y[1][0]`, `$tp->rcv_wscale` (a bitfield), `$sk->sin_addr` (a
//! struct as a value), `p->argv[1]` (a pointer field indexed).
//!
//! The walk keeps a *place*: a pointer to a root struct plus the CO-RE member steps
//! taken inside it. A field read at the end becomes a [`TExprKind::KernelField`]
//! (relocated offset); indexing an array takes the place's address
//! ([`TExprKind::FieldAddr`]), adds `index * element size` and makes the element the
//! new root, so that fields of array elements relocate against the element's struct.
//! Constant indexes are checked against the array's length at compile time, run-time
//! indexes at run time (bpftrace's warning, [`TExprKind::IndexWarn`]).

use super::kernel::{member_names, push_steps, suggest};
use super::types::*;
use super::value_layout::{c_value, is_char_array};
use super::Checker;
use crate::front::ast::Span;
use crate::ir::{CoreAccess, CoreKind, CoreStep, CoreStruct};
use crate::kbtf::{self, Kind, TypeId};

/// One field access in a chain: its name, the span of the name, and the indexes
/// applied to the field (`a[1][2]`), already checked.
pub(super) struct Access<'e> {
    pub name: &'e str,
    pub span: Span,
    pub indexes: Vec<TExpr>,
}

/// Nested field accesses deeper than this are refused (the loaders' limit is 64
/// access string components).
const MAX_STEPS: usize = 48;

/// bpftrace's run-time warning for an array index past the end.
pub(super) const OOB_WARNING: &str =
    "Array access out of bounds. This can lead to unexpected results.";

type WalkError = (Span, String, Option<String>);

fn bad(at: Span, m: String) -> WalkError {
    (at, m, None)
}

fn berr(at: Span, e: kbtf::BtfError) -> WalkError {
    (at, format!("kernel BTF: {e}"), None)
}

/// Where the walk is: `ptr` points to `root`; `steps` lead from it to a member of
/// type `cur` (typedefs resolved). No steps: the place is `*ptr` itself.
struct Place {
    ptr: TExpr,
    root: TypeId,
    steps: Vec<CoreStep>,
    cur: TypeId,
    user: bool,
}

/// `p + off` typed `ty`.
fn add(p: TExpr, off: TExpr, ty: Type, span: Span) -> TExpr {
    if let TExprKind::Int(0) = off.kind {
        return TExpr { ty, span, ..p };
    }
    TExpr {
        kind: TExprKind::Arith {
            op: Arith::Add,
            lhs: Box::new(p),
            rhs: Box::new(off),
        },
        ty,
        span,
    }
}

fn konst(v: i64, span: Span) -> TExpr {
    TExpr {
        kind: TExprKind::Int(v),
        ty: Type::U64,
        span,
    }
}

/// `acc` applied to something of type `ty` that is no struct (`prev`: the access
/// that gave it).
fn not_a_struct(
    btf: &kbtf::Btf,
    acc: &Access<'_>,
    prev: Option<&Access<'_>>,
    ty: TypeId,
) -> WalkError {
    let what = match prev {
        Some(p) if p.indexes.is_empty() => format!("`{}`", p.name),
        _ => "the value".to_string(),
    };
    bad(
        acc.span,
        format!(
            "cannot access field `{}`: {what} is {}, not a struct",
            acc.name,
            btf.type_name(ty)
        ),
    )
}

/// What a pointer to BTF type `target` points to, as the language sees it.
pub(super) fn pointee_of(btf: &kbtf::Btf, target: TypeId) -> Pointee {
    let Ok(target) = btf.resolve(target) else {
        return Pointee::Other;
    };
    let Ok(t) = btf.ty(target) else {
        return Pointee::Other;
    };
    match t.kind() {
        Kind::Struct | Kind::Union => Pointee::Kernel { id: target },
        Kind::Int if t.int().is_some_and(|i| i.size == 1) => Pointee::Char,
        Kind::Int | Kind::Enum | Kind::Enum64 => match btf.size_of(target) {
            Ok(size @ (1 | 2 | 4 | 8)) => Pointee::Sized { size },
            _ => Pointee::Other,
        },
        Kind::Ptr => Pointee::Ptr,
        _ => Pointee::Other,
    }
}

impl Place {
    fn access(&self, btf: &kbtf::Btf, at: Span) -> Result<CoreAccess, WalkError> {
        let r = btf.ty(self.root).map_err(|e| berr(at, e))?;
        if r.name().is_empty() {
            return Err(bad(
                at,
                format!(
                    "cannot read fields of an anonymous {} through an array or pointer",
                    if r.kind() == Kind::Union {
                        "union"
                    } else {
                        "struct"
                    }
                ),
            ));
        }
        Ok(CoreAccess {
            kind: CoreKind::FieldByteOffset,
            root: CoreStruct {
                name: r.name().to_string(),
                union: r.kind() == Kind::Union,
                size: r.size().unwrap_or(0),
            },
            steps: self.steps.clone(),
        })
    }

    /// The address of the place, typed as a pointer to it.
    fn addr(&self, btf: &kbtf::Btf, at: Span) -> Result<TExpr, WalkError> {
        let ty = Type::Ptr {
            user: self.user,
            to: pointee_of(btf, self.cur),
        };
        if self.steps.is_empty() {
            return Ok(TExpr {
                ty,
                ..self.ptr.clone()
            });
        }
        Ok(TExpr {
            kind: TExprKind::FieldAddr {
                ptr: Box::new(self.ptr.clone()),
                access: self.access(btf, at)?,
            },
            ty,
            span: at,
        })
    }
}

impl Checker {
    /// Follows `chain` from the pointer `ptr` to struct `struct_id`; the value at
    /// its end, or with `want_addr` its address.
    pub(super) fn walk(
        &mut self,
        btf: &kbtf::Btf,
        ptr: TExpr,
        struct_id: TypeId,
        chain: &[Access<'_>],
        span: Span,
        want_addr: bool,
    ) -> Result<TExpr, WalkError> {
        let user = matches!(ptr.ty, Type::Ptr { user: true, .. });
        let mut p = Place {
            ptr,
            root: struct_id,
            steps: Vec::new(),
            cur: struct_id,
            user,
        };
        for (k, acc) in chain.iter().enumerate() {
            let last = k + 1 == chain.len();
            // A pointer (`a->b->c`, `a.b.c` through pointers) is read and followed.
            if btf.ty(p.cur).is_ok_and(|t| t.kind() == Kind::Ptr) {
                let target = btf.ty(p.cur).map_err(|e| berr(acc.span, e))?.raw_type();
                let target = btf.resolve(target).map_err(|e| berr(acc.span, e))?;
                let is_record = btf
                    .ty(target)
                    .is_ok_and(|t| matches!(t.kind(), Kind::Struct | Kind::Union));
                if !is_record {
                    let prev = k.checked_sub(1).map(|j| &chain[j]);
                    return Err(not_a_struct(btf, acc, prev, p.cur));
                }
                let read = self.place_value(btf, &p, span)?;
                p = Place {
                    ptr: read,
                    root: target,
                    steps: Vec::new(),
                    cur: target,
                    user,
                };
            }
            let struct_id = p.cur;
            let is_record = btf
                .ty(struct_id)
                .is_ok_and(|t| matches!(t.kind(), Kind::Struct | Kind::Union));
            if !is_record {
                return Err(not_a_struct(
                    btf,
                    acc,
                    k.checked_sub(1).map(|j| &chain[j]),
                    struct_id,
                ));
            }
            let Some(found) = btf
                .member(struct_id, acc.name)
                .map_err(|e| berr(acc.span, e))?
            else {
                let names = member_names(btf, struct_id);
                let owner = btf.type_name(struct_id);
                let note = suggest(acc.name, names.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                return Err((
                    acc.span,
                    format!("`{owner}` has no field `{}`", acc.name),
                    note,
                ));
            };
            if found.bitfield_size != 0 {
                if !last || !acc.indexes.is_empty() || want_addr {
                    return Err(bad(
                        acc.span,
                        format!("field `{}` is a bitfield: it can only be read", acc.name),
                    ));
                }
                let base = p.addr(btf, acc.span)?;
                return self.bitfield(btf, base, &found, span);
            }
            push_steps(btf, struct_id, &found.path, &mut p.steps).map_err(|e| berr(acc.span, e))?;
            if p.steps.len() > MAX_STEPS {
                return Err(bad(acc.span, "field access nested too deeply".into()));
            }
            p.cur = btf.resolve(found.ty).map_err(|e| berr(acc.span, e))?;
            for index in &acc.indexes {
                p = self.index_place(btf, p, index.clone(), acc.span)?;
            }
            if last {
                let at = Span::new(span.start as usize, acc.span.end as usize);
                let v = if want_addr {
                    p.addr(btf, at)?
                } else {
                    self.place_value(btf, &p, at)?
                };
                return Ok(TExpr { span, ..v });
            }
        }
        Err(bad(span, "empty field access".into()))
    }

    /// The element `index` of the array (or pointer) at `p`.
    fn index_place(
        &mut self,
        btf: &kbtf::Btf,
        p: Place,
        index: TExpr,
        at: Span,
    ) -> Result<Place, WalkError> {
        let t = btf.ty(p.cur).map_err(|e| berr(at, e))?;
        let (base, elem, len) = match t.kind() {
            Kind::Array => {
                let a = t.array().unwrap_or_default();
                (p.addr(btf, at)?, a.elem, Some(a.nelems))
            }
            Kind::Ptr => (self.place_value(btf, &p, at)?, t.raw_type(), None),
            _ => {
                return Err(bad(
                    index.span,
                    format!(
                        "cannot index {}: only arrays and pointers can be",
                        btf.type_name(p.cur)
                    ),
                ))
            }
        };
        let elem = btf.resolve(elem).map_err(|e| berr(at, e))?;
        let esize = match btf.ty(elem).map(|t| t.kind()) {
            Ok(Kind::Void) => 1,
            _ => btf.size_of(elem).map_err(|e| berr(at, e))?.max(1),
        };
        let index = match (len, &index.kind) {
            (Some(n), TExprKind::Int(i)) if n > 0 && (*i < 0 || *i as u64 >= u64::from(n)) => {
                return Err(bad(
                    index.span,
                    format!("the index {i} is out of bounds for array of size {n}"),
                ));
            }
            (Some(n), kind) if n > 0 && !matches!(kind, TExprKind::Int(_)) => {
                self.index_warn(index, n)
            }
            _ => index,
        };
        let off = super::pointer::scaled(index, esize);
        let ty = Type::Ptr {
            user: p.user,
            to: pointee_of(btf, elem),
        };
        Ok(Place {
            ptr: add(base, off, ty, at),
            root: elem,
            steps: Vec::new(),
            cur: elem,
            user: p.user,
        })
    }

    /// `index` with bpftrace's run-time bounds warning against `len` elements.
    pub(super) fn index_warn(&mut self, index: TExpr, len: u32) -> TExpr {
        let id = self.intern_printf(tracec_meta::PrintfSpec {
            format: OOB_WARNING.to_string(),
            args: Vec::new(),
        });
        let span = index.span;
        let warn = self.locate_printf(id, span, "WARNING");
        TExpr {
            ty: index.ty,
            kind: TExprKind::IndexWarn {
                index: Box::new(index),
                len,
                warn,
            },
            span,
        }
    }

    /// The value at place `p`: integers, enums and pointers read with their size,
    /// char arrays as strings, other arrays and structs whole.
    fn place_value(&mut self, btf: &kbtf::Btf, p: &Place, at: Span) -> Result<TExpr, WalkError> {
        let t = btf.ty(p.cur).map_err(|e| berr(at, e))?;
        let what = || match p.steps.last() {
            Some(s) if !s.name.is_empty() => format!("field `{}`", s.name),
            _ => "the element".to_string(),
        };
        let scalar = |read: KernelRead, ty: Type| -> Result<TExpr, WalkError> {
            if p.steps.is_empty() {
                let (size, signed) = match read {
                    KernelRead::Int { size, signed } => (size, signed),
                    _ => (8, false),
                };
                return Ok(TExpr {
                    kind: TExprKind::Deref {
                        ptr: Box::new(p.ptr.clone()),
                        size,
                        signed,
                        user: p.user,
                    },
                    ty,
                    span: at,
                });
            }
            Ok(TExpr {
                kind: TExprKind::KernelField {
                    ptr: Box::new(p.ptr.clone()),
                    access: p.access(btf, at)?,
                    read,
                },
                ty,
                span: at,
            })
        };
        match t.kind() {
            Kind::Int | Kind::Enum | Kind::Enum64 => {
                let size = t.size().unwrap_or(0);
                let signed = match t.kind() {
                    Kind::Int => t.int().is_some_and(|i| i.signed),
                    _ => t.kind_flag(),
                };
                if !matches!(size, 1 | 2 | 4 | 8) {
                    return Err(bad(
                        at,
                        format!(
                            "{} is a {size}-byte integer, which is not supported",
                            what()
                        ),
                    ));
                }
                scalar(KernelRead::Int { size, signed }, Type::int(signed))
            }
            Kind::Ptr => {
                let to = pointee_of(btf, t.raw_type());
                scalar(KernelRead::Ptr, Type::Ptr { user: p.user, to })
            }
            Kind::Array if is_char_array(btf, p.cur) => {
                let len = t.array().unwrap_or_default().nelems;
                if len == 0 || len > MAX_STRING_SIZE * 4 {
                    return Err(bad(
                        at,
                        format!(
                            "{} ({}) cannot be read as a string",
                            what(),
                            btf.type_name(p.cur)
                        ),
                    ));
                }
                if p.steps.is_empty() {
                    return Ok(self.whole(p.ptr.clone(), len, Type::Str { size: len }, p, at));
                }
                scalar(KernelRead::Chars { len }, Type::Str { size: len })
            }
            Kind::Array | Kind::Struct | Kind::Union => {
                let addr = p.addr(btf, at)?;
                if let Some((ty, size)) = c_value(btf, p.cur, p.user) {
                    return Ok(self.whole(addr, size, ty, p, at));
                }
                if t.kind() == Kind::Struct {
                    // Reports its own errors (the value is then poisoned).
                    return Ok(self.struct_value(addr, p.cur, p.user, at));
                }
                Err(bad(
                    at,
                    format!(
                        "{} is {}, which cannot be used as a value; access one of its {}",
                        what(),
                        btf.type_name(p.cur),
                        if t.kind() == Kind::Array {
                            "elements"
                        } else {
                            "fields"
                        }
                    ),
                ))
            }
            _ => Err(bad(
                at,
                format!(
                    "{} has type {}, which cannot be read",
                    what(),
                    btf.type_name(p.cur)
                ),
            )),
        }
    }

    /// `size` bytes at `addr` as a value of type `ty`.
    fn whole(&mut self, addr: TExpr, size: u32, ty: Type, p: &Place, at: Span) -> TExpr {
        TExpr {
            kind: TExprKind::DerefMem {
                ptr: Box::new(addr),
                size,
                user: p.user,
            },
            ty,
            span: at,
        }
    }

    /// The bitfield `m` of the struct at `base`: its storage unit read, shifted and
    /// masked (never sign-extended, as in bpftrace). The unit's offset is fixed at
    /// compile time relative to the struct (which is relocated).
    fn bitfield(
        &mut self,
        btf: &kbtf::Btf,
        base: TExpr,
        m: &kbtf::FoundMember,
        span: Span,
    ) -> Result<TExpr, WalkError> {
        let ty = btf.resolve(m.ty).map_err(|e| berr(span, e))?;
        let t = btf.ty(ty).map_err(|e| berr(span, e))?;
        let signed = match t.kind() {
            Kind::Int => t.int().is_some_and(|i| i.signed),
            _ => t.kind_flag(),
        };
        let Some((unit_off, unit, shift)) =
            bitfield_unit(m.bit_offset, m.bitfield_size, t.size().unwrap_or(4))
        else {
            return Err(bad(span, "bitfield wider than 8 bytes".into()));
        };
        let user = matches!(base.ty, Type::Ptr { user: true, .. });
        let unit_ptr = add(base, konst(i64::from(unit_off), span), Type::U64, span);
        let raw = TExpr {
            kind: TExprKind::Deref {
                ptr: Box::new(unit_ptr),
                size: unit,
                signed: false,
                user,
            },
            ty: Type::U64,
            span,
        };
        // bpftrace masks a bitfield without extending its sign (a `short b:8` holding
        // 0xd9 reads 217); the value keeps its declared type's signedness.
        let v = bitfield_extract(raw, shift, m.bitfield_size, false, span);
        Ok(TExpr {
            ty: Type::int(signed),
            ..v
        })
    }
}

/// The storage unit of a bitfield of `bits` bits at `bit_offset` whose type takes
/// `type_size` bytes: (byte offset, bytes, bit position in the unit). The unit is
/// the type's size aligned down, doubled until the field fits (as libbpf loads it).
pub(super) fn bitfield_unit(bit_offset: u32, bits: u32, type_size: u32) -> Option<(u32, u32, u32)> {
    let mut size = type_size.clamp(1, 8).next_power_of_two();
    loop {
        let off = bit_offset / 8 / size * size;
        if bit_offset + bits <= (off + size) * 8 {
            return Some((off, size, bit_offset - off * 8));
        }
        if size >= 8 {
            return None;
        }
        size *= 2;
    }
}

/// `(raw >> shift) & (2^bits - 1)`, sign-extended from `bits` when `signed`: `raw`
/// moved up so that the field's top bit is bit 63, then down.
pub(super) fn bitfield_extract(
    raw: TExpr,
    shift: u32,
    bits: u32,
    signed: bool,
    span: Span,
) -> TExpr {
    let up = 64 - i64::from(shift) - i64::from(bits);
    let down = 64 - i64::from(bits);
    let mut v = raw;
    let ty = Type::int(signed);
    if up > 0 {
        v = TExpr {
            kind: TExprKind::Arith {
                op: Arith::Shl,
                lhs: Box::new(v),
                rhs: Box::new(konst(up, span)),
            },
            ty: Type::U64,
            span,
        };
    }
    if down > 0 {
        v = TExpr {
            kind: TExprKind::Arith {
                op: Arith::Shr { signed },
                lhs: Box::new(v),
                rhs: Box::new(konst(down, span)),
            },
            ty,
            span,
        };
    }
    TExpr { ty, ..v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitfield_units_are_aligned_and_widen() {
        // `unsigned int a:3` at bit 5: the first 4-byte unit, bits 5..8.
        assert_eq!(bitfield_unit(5, 3, 4), Some((0, 4, 5)));
        // At bit 35 in an `unsigned int`: the second unit.
        assert_eq!(bitfield_unit(35, 4, 4), Some((4, 4, 3)));
        // Crossing a 4-byte boundary: an 8-byte unit.
        assert_eq!(bitfield_unit(30, 4, 4), Some((0, 8, 30)));
        // A `u8` field at bit 9: the second byte.
        assert_eq!(bitfield_unit(9, 2, 1), Some((1, 1, 1)));
        assert_eq!(bitfield_unit(62, 4, 8), None);
    }

    #[test]
    fn extraction_shifts_up_then_down() {
        let s = Span::default();
        let raw = konst(0, s);
        let v = bitfield_extract(raw.clone(), 5, 3, true, s);
        let TExprKind::Arith { op, lhs, rhs } = v.kind else {
            panic!("a shift")
        };
        assert_eq!(op, Arith::Shr { signed: true });
        assert_eq!(rhs.kind, TExprKind::Int(61));
        let TExprKind::Arith { op, rhs, .. } = lhs.kind else {
            panic!("a shift")
        };
        assert_eq!(op, Arith::Shl);
        assert_eq!(rhs.kind, TExprKind::Int(56));
        assert!(v.ty.is_signed());
        // A whole 64-bit field needs no shift.
        assert_eq!(
            bitfield_extract(raw, 0, 64, false, s).kind,
            TExprKind::Int(0)
        );
    }
}
