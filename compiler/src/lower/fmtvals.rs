//! Lowering the values the runtime formats (`sema::fmtvals`): each writes its
//! `tracec_meta::FmtKind` layout into memory; and `kaddr`/`uaddr`, a load of the
//! `.rodata` global the runtime sets.

use super::expr::{Mem, StrVal};
use super::Lower;
use crate::ir::types::{DataType, StructField};
use crate::ir::{Operand, VReg, Width};
use crate::sema::fmtvals::symbol_global;
use crate::sema::types::{FmtExpr, Type};
use tracec_meta::FmtKind;

/// The BTF shape of a value of kind `f` (map keys and values).
pub(crate) fn data_type(f: FmtKind) -> DataType {
    let field = |name: &str, offset: u32, ty: DataType| StructField {
        name: name.into(),
        offset,
        ty,
    };
    let bytes = |len: u32| DataType::Array {
        elem: Box::new(DataType::Int {
            size: 1,
            signed: false,
        }),
        len,
    };
    let (name, fields) = match f {
        FmtKind::Inet => (
            "inet",
            vec![field("af", 0, DataType::U64), field("addr", 8, bytes(16))],
        ),
        FmtKind::MacAddr => ("macaddr", vec![field("addr", 0, bytes(8))]),
        FmtKind::Timestamp => (
            "timestamp",
            vec![
                field("format", 0, DataType::U64),
                field("nsecs", 8, DataType::U64),
            ],
        ),
        FmtKind::Buf { .. } => (
            "buffer",
            vec![
                field("length", 0, DataType::U64),
                field("data", 8, bytes(f.size() - 8)),
            ],
        ),
        FmtKind::CgroupPath
        | FmtKind::Username
        | FmtKind::Strerror
        | FmtKind::SignalName
        | FmtKind::SyscallName
        | FmtKind::ProbeName
        | FmtKind::FuncName => return DataType::U64,
        FmtKind::None { size } => return bytes(size),
    };
    DataType::Struct {
        name: name.into(),
        fields,
        size: f.size(),
    }
}

impl Lower<'_, '_> {
    /// `kaddr`/`uaddr` number `index`: the address the runtime stored.
    pub(crate) fn symbol_addr(&mut self, index: u32) -> VReg {
        let g = self.m.u64_global(&symbol_global(index));
        let p = self.b.global_addr(g, 0);
        self.b.load(crate::ir::Base::Reg(p), 0, Width::B8, false)
    }

    /// Write the value of `f` into `dst` (its `FmtKind` layout, zero-padded).
    pub(crate) fn fmt_into(&mut self, f: &FmtExpr, dst: Mem) {
        let at = |off: i32, size: u32| Mem {
            base: dst.base,
            offset: dst.offset + off,
            size,
        };
        match f {
            FmtExpr::Inet { af, addr } => {
                let af = self.int(af);
                self.zero_mem(dst.base, dst.offset, dst.size);
                self.b.store(dst.base, dst.offset, Width::B8, af);
                if let Type::Str { size } = addr.ty {
                    self.str_into(addr, at(8, size.min(16)), true);
                } else if let Type::Tuple(t) = addr.ty {
                    self.array_bytes_into(addr, t.size, at(8, 16));
                } else {
                    let v = self.int(addr);
                    self.b.store(dst.base, dst.offset + 8, Width::B4, v);
                }
            }
            FmtExpr::InetBytes { af, bytes } => {
                self.b
                    .store(dst.base, dst.offset, Width::B8, Operand::Imm(*af));
                self.write_str(&StrVal::Lit(bytes.to_vec()), at(8, 16));
            }
            FmtExpr::MacAddr { addr, user } => {
                self.zero_mem(dst.base, dst.offset, dst.size);
                if addr.ty.is_str() {
                    self.str_into(addr, at(0, 6), true);
                } else {
                    self.read_into(addr, *user, Operand::Imm(6), at(0, 6));
                }
            }
            FmtExpr::Timestamp { format, ns } => {
                let v = self.int(ns);
                self.b.store(
                    dst.base,
                    dst.offset,
                    Width::B8,
                    Operand::Imm(i64::from(*format)),
                );
                self.b.store(dst.base, dst.offset + 8, Width::B8, v);
            }
            FmtExpr::Buf {
                data,
                len,
                size,
                user,
            } => {
                self.zero_mem(dst.base, dst.offset, dst.size);
                let n = self.str_len(len.as_deref(), *size);
                if data.ty.is_str() || matches!(data.ty, Type::Tuple(_)) {
                    self.str_into(data, at(8, *size), true);
                } else if let Type::Tuple(t) = data.ty {
                    self.array_bytes_into(data, t.size, at(8, *size));
                } else {
                    self.read_into(data, *user, n, at(8, *size));
                }
                self.b.store(dst.base, dst.offset, Width::B8, n);
            }
            FmtExpr::Word(v) => {
                let v = self.int(v);
                self.b.store(dst.base, dst.offset, Width::B8, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_have_the_layout_sizes() {
        for f in [
            FmtKind::Inet,
            FmtKind::MacAddr,
            FmtKind::Timestamp,
            FmtKind::Buf { size: 6 },
            FmtKind::Strerror,
        ] {
            assert_eq!(data_type(f).size(), f.size(), "{f:?}");
        }
    }
}
