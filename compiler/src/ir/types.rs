//! Data types of map keys, map values and globals, as far as the object's BTF and the
//! runtime need to know them.

/// A type with a fixed layout. Emitted into `.BTF` for maps and globals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataType {
    /// Little-endian integer of 1, 2, 4 or 8 bytes.
    Int { size: u8, signed: bool },
    /// A NUL-padded string: `char[size]`.
    Str { size: u32 },
    /// A pointer (to `void`), 8 bytes.
    Ptr,
    /// `elem[len]`.
    Array { elem: Box<DataType>, len: u32 },
    /// A struct with named fields at the given byte offsets.
    Struct {
        name: String,
        fields: Vec<StructField>,
        size: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StructField {
    pub name: String,
    pub offset: u32,
    pub ty: DataType,
}

impl DataType {
    pub const U64: DataType = DataType::Int {
        size: 8,
        signed: false,
    };
    pub const I64: DataType = DataType::Int {
        size: 8,
        signed: true,
    };
    pub const U32: DataType = DataType::Int {
        size: 4,
        signed: false,
    };

    pub fn size(&self) -> u32 {
        match self {
            DataType::Int { size, .. } => u32::from(*size),
            DataType::Str { size } => *size,
            DataType::Ptr => 8,
            DataType::Array { elem, len } => elem.size() * len,
            DataType::Struct { size, .. } => *size,
        }
    }

    pub fn align(&self) -> u32 {
        match self {
            DataType::Int { size, .. } => u32::from(*size),
            DataType::Str { .. } => 1,
            DataType::Ptr => 8,
            DataType::Array { elem, .. } => elem.align(),
            DataType::Struct { fields, .. } => {
                fields.iter().map(|f| f.ty.align()).max().unwrap_or(1)
            }
        }
    }
}
