//! Unions held in locals. A union local is its bytes: one 64-bit script variable
//! per 8 bytes (the leaves `__w0`, `__w1`... of the local), little-endian as the
//! BPF machine's memory. A member is a view of those bytes: a scalar member (or a
//! scalar inside a struct or array member) at byte `o` of `n` bytes is bits
//! `8·(o mod 8)` up of word `o / 8`, read by a shift and the member type's
//! truncation, written by replacing those bits. So a member written and another
//! read sees the same bytes C would (members are laid out with C's natural
//! alignment; a scalar that would cross 8 bytes is refused). Copies, `memset`,
//! parameters and returns by value move the words.

use super::inline::{binary, cast, int, store, var, Inliner};
use super::places::{leaf_name, Place, Seg};
use super::types::RecordTable;
use super::{unsupported, CType};
use crate::diag::Diagnostic;
use crate::front::ast::{BinOp, Expr, Span, Stmt};

/// How deep records may nest inside one another (a bound for recursive types).
const MAX_DEPTH: usize = 16;

/// The most bytes a union local may have (its words are variables of the
/// program, whose stack is 512 bytes).
const MAX_UNION: u32 = 64;

/// Size and alignment in bytes of `ty` as C lays it out, for the file's own
/// types (`None` for kernel records and types locals cannot hold).
pub fn layout(table: &RecordTable, ty: &CType) -> Option<(u32, u32)> {
    layout_in(table, ty, 0)
}

fn layout_in(table: &RecordTable, ty: &CType, depth: usize) -> Option<(u32, u32)> {
    if depth > MAX_DEPTH {
        return None;
    }
    Some(match ty {
        CType::Bool => (1, 1),
        CType::Int { bits, .. } => {
            let n = u32::from(*bits) / 8;
            (n, n)
        }
        CType::Ptr(_) => (8, 8),
        CType::Array(elem, n) => {
            let (size, align) = layout_in(table, elem, depth + 1)?;
            (size.checked_mul(*n)?, align)
        }
        CType::Record { name, union } => {
            let mut size = 0u32;
            let mut align = 1u32;
            for (_, mty) in table.members(name, *union)? {
                let (s, a) = layout_in(table, mty.as_ref()?, depth + 1)?;
                align = align.max(a);
                if *union {
                    size = size.max(s);
                } else {
                    size = size.div_ceil(a).checked_mul(a)?.checked_add(s)?;
                }
            }
            (size.div_ceil(align).checked_mul(align)?, align)
        }
        CType::Void => return None,
    })
}

/// Byte offset and type of `field` in the record `ty`.
fn member_offset(table: &RecordTable, ty: &CType, field: &str) -> Option<(u32, CType)> {
    let CType::Record { name, union } = ty else {
        return None;
    };
    let mut off = 0u32;
    for (m, mty) in table.members(name, *union)? {
        let mty = mty.as_ref()?;
        let (s, a) = layout(table, mty)?;
        if !*union {
            off = off.div_ceil(a) * a;
        }
        if m == field {
            return Some((if *union { 0 } else { off }, mty.clone()));
        }
        if !*union {
            off += s;
        }
    }
    None
}

/// The name of word `w` of the union whose words are under `prefix`.
pub fn word(prefix: &str, w: u32) -> String {
    leaf_name(prefix, &Seg::Field(format!("__w{w}")))
}

/// The mask of an `n`-byte value: `(1 << 8n) - 1`.
fn mask(bytes: u32) -> u64 {
    if bytes >= 8 {
        u64::MAX
    } else {
        (1u64 << (bytes * 8)) - 1
    }
}

impl<'a> Inliner<'a> {
    /// How many words a local `union name` has.
    pub(super) fn union_words(&self, name: &str, span: Span) -> Result<u32, Diagnostic> {
        let ty = CType::Record {
            name: name.to_string(),
            union: true,
        };
        match layout(self.table, &ty) {
            Some((size, _)) if size <= MAX_UNION => Ok(size.div_ceil(8).max(1)),
            Some(_) => Err(unsupported(
                span,
                &format!("a local `union {name}` of more than {MAX_UNION} bytes"),
            )),
            None => Err(unsupported(
                span,
                &format!(
                    "a local `union {name}`, whose members locals cannot hold (kernel types, \
                     bitfields, floats, anonymous records) or that the imported C does not define"
                ),
            )),
        }
    }

    /// Whether a local of type `ty` holds a union (whose words memory does not
    /// have as fields).
    pub(super) fn has_union(&self, ty: &CType, depth: usize) -> bool {
        match ty {
            _ if depth > MAX_DEPTH => false,
            CType::Record { union: true, .. } => true,
            CType::Record { name, .. } => self
                .table
                .members(name, false)
                .unwrap_or_default()
                .iter()
                .any(|(_, t)| t.as_ref().is_some_and(|t| self.has_union(t, depth + 1))),
            CType::Array(elem, _) => self.has_union(elem, depth + 1),
            _ => false,
        }
    }

    /// The object of type `ty` at byte `offset` of the union under `prefix`.
    pub(super) fn overlay(
        &self,
        prefix: &str,
        offset: u32,
        ty: CType,
        sp: Span,
    ) -> Result<Place, Diagnostic> {
        if !ty.is_scalar() {
            return Ok(Place::Overlay {
                prefix: prefix.to_string(),
                offset,
                ty,
            });
        }
        let (size, _) = layout(self.table, &ty).unwrap_or((8, 8));
        if offset % 8 + size > 8 {
            return Err(unsupported(
                sp,
                "a union member that crosses an 8-byte boundary",
            ));
        }
        Ok(Place::Bits {
            word: word(prefix, offset / 8),
            shift: (offset % 8) * 8,
            ty,
        })
    }

    /// Member `field` of the record `ty` at byte `offset` of a union.
    pub(super) fn overlay_member(
        &self,
        prefix: &str,
        offset: u32,
        ty: &CType,
        field: &str,
        sp: Span,
    ) -> Result<Place, Diagnostic> {
        let (off, mty) = member_offset(self.table, ty, field).ok_or_else(|| {
            Diagnostic::error(
                sp,
                format!("no member named '{field}' in '{}'", ty.spelling()),
            )
        })?;
        self.overlay(prefix, offset + off, mty, sp)
    }

    /// Element `index` (a constant, `None` when chosen at run time) of the array
    /// `ty` at byte `offset` of a union.
    pub(super) fn overlay_index(
        &self,
        prefix: &str,
        offset: u32,
        ty: &CType,
        index: Option<u64>,
        sp: Span,
    ) -> Result<Place, Diagnostic> {
        let CType::Array(elem, n) = ty else {
            return Err(Diagnostic::error(
                sp,
                format!("subscripted value '{}' is not an array", ty.spelling()),
            ));
        };
        let Some(i) = index else {
            return Err(unsupported(
                sp,
                "an index chosen at run time into an array of structs or arrays in a union",
            ));
        };
        if i >= u64::from(*n) {
            return Err(Diagnostic::error(
                sp,
                format!("array index {i} is past the end of the array (of {n} elements)"),
            ));
        }
        let (size, _) =
            layout(self.table, elem).ok_or_else(|| unsupported(sp, "this array in a union"))?;
        self.overlay(prefix, offset + size * i as u32, (**elem).clone(), sp)
    }
}

impl Inliner<'_> {
    /// The elements of the array `ty` of scalars at byte `offset` of the union
    /// under `prefix` (each a [`Place::Bits`]), and their type: what an index
    /// chosen at run time picks from.
    pub(super) fn overlay_elems(
        &self,
        prefix: &str,
        offset: u32,
        ty: &CType,
        sp: Span,
    ) -> Result<(Vec<Place>, CType), Diagnostic> {
        let elem = match ty {
            CType::Array(elem, _) if elem.is_scalar() => (**elem).clone(),
            CType::Array(..) => {
                return Err(unsupported(
                    sp,
                    "an index chosen at run time into an array of structs or arrays in a union",
                ))
            }
            _ => {
                return Err(Diagnostic::error(
                    sp,
                    format!("subscripted value '{}' is not an array", ty.spelling()),
                ))
            }
        };
        let CType::Array(_, n) = ty else {
            return Err(unsupported(sp, "this array in a union"));
        };
        let elems = (0..*n)
            .map(|i| self.overlay_index(prefix, offset, ty, Some(u64::from(i)), sp))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((elems, elem))
    }
}

impl<'a> Inliner<'a> {
    /// A braced initializer of the union `ty` whose (zeroed) words are under
    /// `prefix`: its one item sets the first member, or the designated one.
    pub(super) fn init_union(
        &mut self,
        fr: &mut super::inline::Frame<'a>,
        prefix: &str,
        ty: &CType,
        items: &[super::CInitItem],
        out: &mut Vec<Stmt>,
    ) {
        let Some(item) = items.first() else {
            return;
        };
        if let Some(extra) = items.get(1) {
            self.diags.push(Diagnostic::error(
                extra.span,
                "excess elements in union initializer",
            ));
            return;
        }
        let CType::Record { name, .. } = ty else {
            return;
        };
        let member = match &item.designator {
            Some(super::Designator::Field(f)) => Some(f.clone()),
            None => self
                .table
                .members(name, true)
                .and_then(|m| m.first())
                .map(|(n, _)| n.clone()),
            Some(super::Designator::Index(_)) => None,
        };
        let place = match member {
            Some(m) => self.overlay_member(prefix, 0, ty, &m, item.span),
            None => Err(Diagnostic::error(
                item.span,
                "excess or unknown element in initializer",
            )),
        };
        let e = match (&item.init, place) {
            (super::CInit::Expr(e), Ok(Place::Bits { word, shift, ty })) => (e, word, shift, ty),
            (_, Err(d)) => {
                self.diags.push(d);
                return;
            }
            _ => {
                self.diags.push(unsupported(
                    item.span,
                    "this union initializer (only one scalar member)",
                ));
                return;
            }
        };
        let (e, word, shift, mty) = e;
        let v = self.value(fr, e);
        let bytes = layout(self.table, &mty).map_or(8, |(s, _)| s);
        let mut bits = binary(
            BinOp::BitAnd,
            cast(64, false, store(&mty, v)),
            cast(64, false, int(mask(bytes), item.span)),
        );
        if shift > 0 {
            bits = binary(BinOp::Shl, bits, int(u64::from(shift), item.span));
        }
        out.push(super::inline::assign(&word, bits, item.span));
    }
}

/// The value of the `ty` scalar at bits `shift` up of the union word `word`.
pub fn read_bits(word: &str, shift: u32, ty: &CType, sp: Span) -> Expr {
    let mut v = var(word, sp);
    if shift > 0 {
        v = binary(BinOp::Shr, v, int(u64::from(shift), sp));
    }
    if *ty == CType::Bool {
        v = binary(BinOp::BitAnd, v, int(0xff, sp));
    }
    store(ty, v)
}

/// `word` with the `ty` scalar at bits `shift` up replaced by `value`.
pub fn write_bits(
    table: &RecordTable,
    word: &str,
    shift: u32,
    ty: &CType,
    value: Expr,
    sp: Span,
) -> Stmt {
    let bytes = layout(table, ty).map_or(8, |(s, _)| s);
    let v = cast(64, false, store(ty, value));
    let new = if bytes >= 8 {
        v
    } else {
        let m = mask(bytes);
        // (Unsigned constants: the word is a `uint64`.)
        let keep = cast(64, false, int(!(m << shift), sp));
        let old = binary(BinOp::BitAnd, var(word, sp), keep);
        let mut part = binary(BinOp::BitAnd, v, cast(64, false, int(m, sp)));
        if shift > 0 {
            part = binary(BinOp::Shl, part, int(u64::from(shift), sp));
        }
        binary(BinOp::BitOr, old, part)
    };
    super::inline::assign(word, cast(64, false, new), sp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::csub::parse;

    fn table(src: &str) -> RecordTable {
        let f = parse(src, 0, &[]).unwrap_or_else(|d| panic!("{d:?}"));
        RecordTable::new(&f.defs)
    }

    #[test]
    fn layout_follows_natural_alignment() {
        let t = table(
            "struct a { char c; int i; char d; };\nstruct b { char c; long l; };\nunion u { struct a a; short s[3]; char x; };",
        );
        let rec = |n: &str, union| CType::Record {
            name: n.into(),
            union,
        };
        assert_eq!(layout(&t, &rec("a", false)), Some((12, 4)));
        assert_eq!(layout(&t, &rec("b", false)), Some((16, 8)));
        assert_eq!(layout(&t, &rec("u", true)), Some((12, 4)));
        assert_eq!(
            member_offset(&t, &rec("a", false), "d"),
            Some((
                8,
                CType::Int {
                    bits: 8,
                    signed: true
                }
            ))
        );
        assert_eq!(
            member_offset(&t, &rec("u", true), "x").map(|m| m.0),
            Some(0)
        );
        assert_eq!(layout(&t, &rec("task_struct", false)), None);
    }

    #[test]
    fn members_are_bits_of_the_words() {
        let t = crate::front::csub::tests_ptr::text(
            "union n { unsigned int u; unsigned char b[4]; };\nlong f(unsigned int x) { union n v = { .u = x }; v.b[2] = 7; return v.u; }",
            "f(1)",
        );
        // One word; `.u` initializes its low 32 bits, `b[2]` replaces bits 16..23.
        assert!(t.contains("let $__c0_2_v____w0 = (uint64)0;"), "{t}");
        assert!(
            t.contains(
                "$__c0_2_v____w0 = ((uint64)(uint64)(uint32)$__c0_0_x & (uint64)4294967295);"
            ),
            "{t}"
        );
        assert!(
            t.contains("$__c0_2_v____w0 = (uint64)(($__c0_2_v____w0 & (uint64)18446744073692839935) | (((uint64)(uint64)(uint8)7 & (uint64)255) << 16));"),
            "{t}"
        );
        assert!(t.contains("(uint64)(uint32)$__c0_2_v____w0"), "{t}");
    }
}
