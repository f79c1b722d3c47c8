//! [`Type`]: a view of one type record, and the payload of each kind.

use super::parse::RECORD_HEADER;
use super::{Btf, BtfError, Kind, TypeId, MAX_CHAIN};

/// One BTF type record. Cheap to copy; borrows the [`Btf`] it came from.
#[derive(Clone, Copy)]
pub struct Type<'a> {
    btf: &'a Btf,
    id: TypeId,
    kind: Kind,
    name_off: u32,
    info: u32,
    size_or_type: u32,
    /// Absolute offset of the variable part.
    body: usize,
}

impl std::fmt::Debug for Type<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{} {:?} {:?}", self.id, self.kind, self.name())
    }
}

/// `BTF_KIND_INT` details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IntInfo {
    /// Size in bytes.
    pub size: u32,
    pub signed: bool,
    pub char: bool,
    pub bool: bool,
    /// Bit offset and width inside the `size` bytes (normally 0 and `8 * size`).
    pub bit_offset: u32,
    pub bits: u32,
}

/// `BTF_KIND_ARRAY` details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArrayInfo {
    pub elem: TypeId,
    pub index: TypeId,
    pub nelems: u32,
}

/// A struct or union member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    /// Empty for an anonymous struct/union member.
    pub name: &'a str,
    pub ty: TypeId,
    /// Bits from the start of the enclosing struct.
    pub bit_offset: u32,
    /// Width of a bitfield; 0 when the member is not a bitfield.
    pub bitfield_size: u32,
}

/// An enumerator (ENUM or ENUM64); `value` is sign-extended when the enum is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumValue<'a> {
    pub name: &'a str,
    pub value: i128,
}

/// A FUNC_PROTO parameter; a `ty` of 0 with an empty name is `...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    pub name: &'a str,
    pub ty: TypeId,
}

/// A DATASEC entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarSecInfo {
    pub var: TypeId,
    pub offset: u32,
    pub size: u32,
}

/// A member found by [`Btf::member`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMember {
    pub ty: TypeId,
    /// Bits from the start of the outermost struct.
    pub bit_offset: u32,
    /// Width of a bitfield; 0 when not a bitfield.
    pub bitfield_size: u32,
    /// Member indices from the outer struct down to this member (more than one when
    /// it sits inside anonymous structs/unions): a CO-RE access string's tail.
    pub path: Vec<u32>,
}

impl<'a> Type<'a> {
    pub(super) fn new(btf: &'a Btf, id: TypeId) -> Option<Type<'a>> {
        if id == 0 {
            return Some(Type {
                btf,
                id,
                kind: Kind::Void,
                name_off: 0,
                info: 0,
                size_or_type: 0,
                body: 0,
            });
        }
        let at = btf.offset(id)?;
        let r = btf.reader();
        let info = r.u32(at + 4)?;
        Some(Type {
            btf,
            id,
            kind: super::parse::kind_of(info)?,
            name_off: r.u32(at)?,
            info,
            size_or_type: r.u32(at + 8)?,
            body: at + RECORD_HEADER,
        })
    }

    pub fn id(&self) -> TypeId {
        self.id
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The name; empty for anonymous types and kinds without names.
    pub fn name(&self) -> &'a str {
        self.btf.string(self.name_off)
    }

    /// `kind_flag`: signedness of enums, a FWD to a union, bitfield-style members.
    pub fn kind_flag(&self) -> bool {
        self.info & (1 << 31) != 0
    }

    /// The `vlen` field (member count, enumerator count, FUNC linkage...).
    pub fn vlen(&self) -> u32 {
        self.info & 0xffff
    }

    /// The raw `size`/`type` field of the record.
    pub fn raw_type(&self) -> u32 {
        self.size_or_type
    }

    /// Size in bytes for INT, STRUCT, UNION, ENUM, ENUM64, FLOAT and DATASEC.
    pub fn size(&self) -> Option<u32> {
        matches!(
            self.kind,
            Kind::Int
                | Kind::Struct
                | Kind::Union
                | Kind::Enum
                | Kind::Enum64
                | Kind::Float
                | Kind::DataSec
        )
        .then_some(self.size_or_type)
    }

    /// The referenced type of PTR, TYPEDEF, CONST, VOLATILE, RESTRICT, TYPE_TAG, FUNC
    /// (its prototype), VAR, DECL_TAG, and a FUNC_PROTO's return type.
    pub fn target(&self) -> Option<TypeId> {
        matches!(
            self.kind,
            Kind::Ptr
                | Kind::Typedef
                | Kind::Const
                | Kind::Volatile
                | Kind::Restrict
                | Kind::TypeTag
                | Kind::Func
                | Kind::FuncProto
                | Kind::Var
                | Kind::DeclTag
        )
        .then_some(self.size_or_type)
    }

    fn u32_at(&self, rel: usize) -> u32 {
        self.btf.reader().u32(self.body + rel).unwrap_or(0)
    }

    pub fn int(&self) -> Option<IntInfo> {
        if self.kind != Kind::Int {
            return None;
        }
        let v = self.u32_at(0);
        let enc = (v >> 24) & 0xf;
        Some(IntInfo {
            size: self.size_or_type,
            signed: enc & 1 != 0,
            char: enc & 2 != 0,
            bool: enc & 4 != 0,
            bit_offset: (v >> 16) & 0xff,
            bits: v & 0xff,
        })
    }

    pub fn array(&self) -> Option<ArrayInfo> {
        (self.kind == Kind::Array).then(|| ArrayInfo {
            elem: self.u32_at(0),
            index: self.u32_at(4),
            nelems: self.u32_at(8),
        })
    }

    fn entries(&self, kinds: &[Kind]) -> u32 {
        if kinds.contains(&self.kind) {
            self.vlen()
        } else {
            0
        }
    }

    /// Members of a STRUCT or UNION (nothing for other kinds).
    pub fn members(&self) -> impl Iterator<Item = Member<'a>> + 'a {
        let t = *self;
        (0..t.entries(&[Kind::Struct, Kind::Union])).map(move |i| {
            let base = i as usize * 12;
            let off = t.u32_at(base + 8);
            let (bit_offset, bitfield_size) = if t.kind_flag() {
                (off & 0xff_ffff, off >> 24)
            } else {
                (off, 0)
            };
            Member {
                name: t.btf.string(t.u32_at(base)),
                ty: t.u32_at(base + 4),
                bit_offset,
                bitfield_size,
            }
        })
    }

    /// Enumerators of an ENUM or ENUM64.
    pub fn enum_values(&self) -> impl Iterator<Item = EnumValue<'a>> + 'a {
        let t = *self;
        let signed = t.kind_flag();
        let n = t.entries(&[Kind::Enum, Kind::Enum64]);
        (0..n).map(move |i| {
            if t.kind == Kind::Enum {
                let raw = t.u32_at(i as usize * 8 + 4);
                let value = if signed {
                    raw as i32 as i128
                } else {
                    raw as i128
                };
                EnumValue {
                    name: t.btf.string(t.u32_at(i as usize * 8)),
                    value,
                }
            } else {
                let base = i as usize * 12;
                let raw = (t.u32_at(base + 8) as u64) << 32 | t.u32_at(base + 4) as u64;
                let value = if signed {
                    raw as i64 as i128
                } else {
                    raw as i128
                };
                EnumValue {
                    name: t.btf.string(t.u32_at(base)),
                    value,
                }
            }
        })
    }

    /// Parameters of a FUNC_PROTO.
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> + 'a {
        let t = *self;
        (0..t.entries(&[Kind::FuncProto])).map(move |i| Param {
            name: t.btf.string(t.u32_at(i as usize * 8)),
            ty: t.u32_at(i as usize * 8 + 4),
        })
    }

    /// Entries of a DATASEC.
    pub fn var_secinfos(&self) -> impl Iterator<Item = VarSecInfo> + 'a {
        let t = *self;
        (0..t.entries(&[Kind::DataSec])).map(move |i| VarSecInfo {
            var: t.u32_at(i as usize * 12),
            offset: t.u32_at(i as usize * 12 + 4),
            size: t.u32_at(i as usize * 12 + 8),
        })
    }

    /// Linkage of a FUNC (its `vlen`) or VAR (0 static, 1 global, 2 extern).
    pub fn linkage(&self) -> Option<u32> {
        match self.kind {
            Kind::Func => Some(self.vlen()),
            Kind::Var => Some(self.u32_at(0)),
            _ => None,
        }
    }

    /// A DECL_TAG's component index (-1 for the whole declaration).
    pub fn component_idx(&self) -> Option<i32> {
        (self.kind == Kind::DeclTag).then(|| self.u32_at(0) as i32)
    }

    /// Whether a FWD declares a union (rather than a struct).
    pub fn fwd_is_union(&self) -> bool {
        self.kind == Kind::Fwd && self.kind_flag()
    }
}

/// [`Btf::member`]: search `id`'s members, then its anonymous members recursively.
pub(super) fn find_member(
    btf: &Btf,
    id: TypeId,
    name: &str,
    depth: usize,
) -> Result<Option<FoundMember>, BtfError> {
    if depth > MAX_CHAIN {
        return Err(BtfError(format!(
            "BTF anonymous members nested too deeply at id {id}"
        )));
    }
    let t = btf.ty(btf.resolve(id)?)?;
    if !matches!(t.kind(), Kind::Struct | Kind::Union) {
        return Err(BtfError(format!("BTF type {id} is not a struct or union")));
    }
    if let Some((i, m)) = t.members().enumerate().find(|(_, m)| m.name == name) {
        return Ok(Some(FoundMember {
            ty: m.ty,
            bit_offset: m.bit_offset,
            bitfield_size: m.bitfield_size,
            path: vec![i as u32],
        }));
    }
    for (i, m) in t.members().enumerate() {
        if !m.name.is_empty() {
            continue;
        }
        let inner = btf.ty(btf.resolve(m.ty)?)?;
        if !matches!(inner.kind(), Kind::Struct | Kind::Union) {
            continue;
        }
        if let Some(mut found) = find_member(btf, inner.id(), name, depth + 1)? {
            found.bit_offset = found.bit_offset.saturating_add(m.bit_offset);
            found.path.insert(0, i as u32);
            return Ok(Some(found));
        }
    }
    Ok(None)
}
