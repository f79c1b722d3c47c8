//! CO-RE ("compile once, run everywhere") field accesses.
//!
//! A read of a kernel struct field is compiled against one BTF description of the
//! kernel (the one the compiler saw), but must work on the kernel the object is loaded
//! on, where the field may sit elsewhere. The IR expresses it as
//! [`super::Inst::CoreConst`]: a register receives the field's byte offset *as the
//! compiler saw it*, and the instruction carries a [`CoreAccess`] that tells the loader
//! how to recompute that constant for the running kernel (a `bpf_core_relo` record in
//! `.BTF.ext`). The back end emits it as `mov64 dst, imm` (the instruction shape libbpf
//! and aya patch for field relocations); the object writer puts the root type, and the
//! types along the access path, into the object's `.BTF` and writes the record.
//!
//! A `CoreAccess` is self-contained: it describes the root type and every member along
//! the path with its name, its index in the compile-time BTF and its offset, so the
//! object writer needs no access to the kernel BTF.

use std::fmt;

/// What a relocated constant means (`enum bpf_core_relo_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoreKind {
    /// The byte offset of the field from the start of the root type.
    FieldByteOffset,
    /// The size in bytes of the field.
    FieldByteSize,
    /// 1 if the field exists on the running kernel, else 0.
    FieldExists,
    /// 1 if the root type exists on the running kernel, else 0 (no steps).
    TypeExists,
    /// The size in bytes of the root type on the running kernel (no steps).
    TypeSize,
    /// 1 if the enumerator exists in the root enum on the running kernel, else 0
    /// (one step: the enumerator, of type [`CoreType::Enumerator`]).
    EnumvalExists,
    /// The enumerator's value on the running kernel (one step, as above).
    EnumvalValue,
}

impl CoreKind {
    /// The `bpf_core_relo_kind` number.
    pub fn number(self) -> u32 {
        match self {
            CoreKind::FieldByteOffset => 0,
            CoreKind::FieldByteSize => 1,
            CoreKind::FieldExists => 2,
            CoreKind::TypeExists => 8,
            CoreKind::TypeSize => 9,
            CoreKind::EnumvalExists => 10,
            CoreKind::EnumvalValue => 11,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            CoreKind::FieldByteOffset => "byte_off",
            CoreKind::FieldByteSize => "byte_sz",
            CoreKind::FieldExists => "field_exists",
            CoreKind::TypeExists => "type_exists",
            CoreKind::TypeSize => "type_size",
            CoreKind::EnumvalExists => "enumval_exists",
            CoreKind::EnumvalValue => "enumval_value",
        }
    }
}

/// A struct or union type as the compiler saw it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CoreStruct {
    /// Empty for an anonymous struct/union (only possible below the root).
    pub name: String,
    pub union: bool,
    pub size: u32,
}

/// The type of a member, as far as relocation matching needs it: libbpf and aya
/// compare member names along the path and the kind of the final member's type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CoreType {
    Int {
        /// The BTF name (`int`, `pid_t` resolved to its integer, `char`...).
        name: String,
        size: u32,
        signed: bool,
        char: bool,
        bool: bool,
    },
    /// A pointer; what it points to does not take part in matching.
    Ptr,
    Array {
        elem: Box<CoreType>,
        len: u32,
    },
    Struct(CoreStruct),
    Enum {
        name: String,
        size: u32,
        signed: bool,
    },
    /// An enumerator of the root enum of an `ENUMVAL_*` relocation (whose root
    /// [`CoreStruct`] names the enum and gives its size): its value on the kernel
    /// the compiler saw, which fits the 32-bit immediate it is emitted as.
    Enumerator {
        value: i32,
        signed: bool,
    },
}

impl CoreType {
    /// The size in bytes.
    pub fn size(&self) -> u32 {
        match self {
            CoreType::Int { size, .. } | CoreType::Enum { size, .. } => *size,
            CoreType::Ptr => 8,
            CoreType::Array { elem, len } => elem.size().saturating_mul(*len),
            CoreType::Struct(s) => s.size,
            CoreType::Enumerator { .. } => 0,
        }
    }
}

/// One member access along the path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CoreStep {
    /// Empty for an anonymous struct/union member the path goes through.
    pub name: String,
    /// The member's index in its struct in the compile-time BTF.
    pub index: u32,
    /// Offset in bits from the start of the containing struct.
    pub bit_offset: u32,
    pub ty: CoreType,
}

/// A relocatable access: `kind` of the member reached from `root` through `steps`
/// (each step a member of the previous step's struct type, the first of `root`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CoreAccess {
    pub kind: CoreKind,
    pub root: CoreStruct,
    pub steps: Vec<CoreStep>,
}

impl CoreAccess {
    /// The value the constant has on the kernel the compiler saw.
    pub fn local_value(&self) -> u64 {
        match self.kind {
            CoreKind::FieldByteOffset => {
                self.steps
                    .iter()
                    .map(|s| u64::from(s.bit_offset))
                    .sum::<u64>()
                    / 8
            }
            CoreKind::FieldByteSize => u64::from(self.local_size()),
            CoreKind::FieldExists | CoreKind::TypeExists | CoreKind::EnumvalExists => 1,
            CoreKind::TypeSize => u64::from(self.root.size),
            CoreKind::EnumvalValue => match self.steps.first().map(|s| &s.ty) {
                Some(CoreType::Enumerator { value, .. }) => *value as i64 as u64,
                _ => 0,
            },
        }
    }

    /// Whether the root is an enum (an `ENUMVAL_*` relocation).
    pub fn is_enum(&self) -> bool {
        matches!(self.kind, CoreKind::EnumvalExists | CoreKind::EnumvalValue)
    }

    /// The size in bytes of the accessed field on the kernel the compiler saw.
    pub fn local_size(&self) -> u32 {
        self.steps.last().map_or(0, |s| s.ty.size())
    }

    /// The field as users write it, without anonymous members: `real_parent`,
    /// `se.vruntime`.
    pub fn field_path(&self) -> String {
        let names: Vec<&str> = self
            .steps
            .iter()
            .filter(|s| !s.name.is_empty())
            .map(|s| s.name.as_str())
            .collect();
        names.join(".")
    }

    /// `struct task_struct` / `union foo`.
    pub fn root_name(&self) -> String {
        if self.is_enum() {
            return format!("enum {}", self.root.name);
        }
        format!(
            "{} {}",
            if self.root.union { "union" } else { "struct" },
            self.root.name
        )
    }
}

impl fmt::Display for CoreAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}, {})",
            self.kind.name(),
            self.root_name(),
            self.field_path()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(size: u32) -> CoreType {
        CoreType::Int {
            name: "int".into(),
            size,
            signed: true,
            char: false,
            bool: false,
        }
    }

    fn access(kind: CoreKind) -> CoreAccess {
        CoreAccess {
            kind,
            root: CoreStruct {
                name: "task_struct".into(),
                union: false,
                size: 4096,
            },
            steps: vec![
                CoreStep {
                    name: String::new(),
                    index: 3,
                    bit_offset: 64 * 8,
                    ty: CoreType::Struct(CoreStruct {
                        name: String::new(),
                        union: true,
                        size: 16,
                    }),
                },
                CoreStep {
                    name: "x".into(),
                    index: 1,
                    bit_offset: 32,
                    ty: int(4),
                },
            ],
        }
    }

    #[test]
    fn local_values_follow_the_path() {
        assert_eq!(access(CoreKind::FieldByteOffset).local_value(), 68);
        assert_eq!(access(CoreKind::FieldByteSize).local_value(), 4);
        assert_eq!(access(CoreKind::FieldExists).local_value(), 1);
        let ty = CoreAccess {
            steps: Vec::new(),
            ..access(CoreKind::TypeSize)
        };
        assert_eq!(ty.local_value(), u64::from(ty.root.size));
        assert_eq!(CoreKind::TypeSize.number(), 9);
        assert_eq!(CoreKind::TypeExists.number(), 8);
    }

    #[test]
    fn names_skip_anonymous_members() {
        let a = access(CoreKind::FieldByteOffset);
        assert_eq!(a.field_path(), "x");
        assert_eq!(a.to_string(), "byte_off(struct task_struct, x)");
    }
}
