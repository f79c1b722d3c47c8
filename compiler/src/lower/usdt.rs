//! `argN` of USDT probes: the program reads argument N's descriptor from the spec of
//! the location that fired (the attach cookie indexes the spec map, see
//! `tracec_meta::usdt`) and computes the value: a constant, a register of
//! `struct pt_regs`, or 8 bytes of user memory at a register plus a displacement,
//! then narrowed to the argument's size. Straight-line code with two branches, no
//! loops: the verifier sees every path.

use super::Lower;
use crate::ir::{
    Base, BinOp, Cond, DataType, Helper, MapDef, MapId, MapKind, Operand, VReg, Width,
};
use tracec_meta::usdt::{
    ARGS_OFFSET, ARG_KIND, ARG_REG_OFF, ARG_SHIFT, ARG_SIGNED, ARG_SIZE, ARG_VALUE, KIND_CONST,
    KIND_REG, MAX_SPECS, SPECS_SYMBOL, SPEC_SIZE,
};
use tracec_meta::MapRole;

/// Largest `struct pt_regs` offset a register descriptor may name (x86-64 `ss`).
const MAX_REG_OFF: i64 = 160;

impl Lower<'_, '_> {
    /// The spec map, created on first use.
    fn usdt_specs(&mut self) -> MapId {
        if let Some(i) = self.m.maps.iter().position(|d| d.symbol == SPECS_SYMBOL) {
            return MapId(i as u32);
        }
        self.m.add_map(
            MapDef {
                symbol: SPECS_SYMBOL.into(),
                kind: MapKind::Array,
                max_entries: MAX_SPECS,
                key: Some(DataType::Int {
                    size: 4,
                    signed: false,
                }),
                value: Some(DataType::Str {
                    size: SPEC_SIZE as u32,
                }),
            },
            MapRole::UsdtSpecs,
        )
    }

    /// Argument `index` of the USDT location that fired, sign- or zero-extended to
    /// 64 bits; 0 when the location has no such argument (or no spec).
    pub(crate) fn usdt_arg(&mut self, index: u32) -> VReg {
        let map = self.usdt_specs();
        let scope = self.b.scope();
        let result = self.b.imm(0);
        let done = self.b.new_block();

        // spec = usdt_specs[(u32)bpf_get_attach_cookie(ctx)]
        let ctx = self.b.ctx();
        let cookie = self
            .b
            .call(Helper::GetAttachCookie, vec![Operand::Reg(ctx)]);
        let key = self.b.temp_slot(8);
        self.b
            .store(Base::Slot(key), 0, Width::B4, Operand::Reg(cookie));
        let m = self.b.map_addr(map);
        let k = self.b.slot_addr(key, 0);
        let spec = self.b.call(
            Helper::MapLookupElem,
            vec![Operand::Reg(m), Operand::Reg(k)],
        );
        let found = self.b.new_block();
        self.b.branch(Cond::Eq, spec, Operand::Imm(0), done, found);

        // Does this location have the argument?
        self.b.switch_to(found);
        let count = self.b.load(Base::Reg(spec), 0, Width::B8, false);
        let present = self.b.new_block();
        self.b.branch(
            Cond::Ule,
            count,
            Operand::Imm(i64::from(index)),
            done,
            present,
        );

        self.b.switch_to(present);
        let d = (ARGS_OFFSET + index as usize * ARG_SIZE) as i32;
        let at = |field: usize| d + field as i32;
        let value = self
            .b
            .load(Base::Reg(spec), at(ARG_VALUE), Width::B8, false);
        let kind = self.b.load(Base::Reg(spec), at(ARG_KIND), Width::B1, false);
        let shift = self
            .b
            .load(Base::Reg(spec), at(ARG_SHIFT), Width::B1, false);
        let signed = self
            .b
            .load(Base::Reg(spec), at(ARG_SIGNED), Width::B1, false);
        let raw = self.b.new_vreg();
        let constant = self.b.new_block();
        let register = self.b.new_block();
        let narrow = self.b.new_block();
        self.b.branch(
            Cond::Eq,
            kind,
            Operand::Imm(i64::from(KIND_CONST)),
            constant,
            register,
        );

        self.b.switch_to(constant);
        self.b.mov(raw, Operand::Reg(value));
        self.b.jump(narrow);

        // The register, read from ctx at a bounded offset.
        self.b.switch_to(register);
        let reg_off = self
            .b
            .load(Base::Reg(spec), at(ARG_REG_OFF), Width::B2, false);
        let in_range = self.b.new_block();
        self.b.branch(
            Cond::Ugt,
            reg_off,
            Operand::Imm(MAX_REG_OFF),
            done,
            in_range,
        );
        self.b.switch_to(in_range);
        let slot = self.b.temp_slot(8);
        self.b.zero(slot, 0, 8);
        let dst = self.b.slot_addr(slot, 0);
        let ctx = self.b.ctx();
        let src = self.b.binary(BinOp::Add, ctx, Operand::Reg(reg_off));
        self.b.call_void(
            Helper::ProbeReadKernel,
            vec![Operand::Reg(dst), Operand::Imm(8), Operand::Reg(src)],
        );
        let reg = self.b.load(Base::Slot(slot), 0, Width::B8, false);
        self.b.mov(raw, Operand::Reg(reg));
        let deref = self.b.new_block();
        self.b.branch(
            Cond::Eq,
            kind,
            Operand::Imm(i64::from(KIND_REG)),
            narrow,
            deref,
        );

        // Memory at register + displacement.
        self.b.switch_to(deref);
        let addr = self.b.binary(BinOp::Add, reg, Operand::Reg(value));
        self.b.zero(slot, 0, 8);
        let dst = self.b.slot_addr(slot, 0);
        self.b.call_void(
            Helper::ProbeReadUser,
            vec![Operand::Reg(dst), Operand::Imm(8), Operand::Reg(addr)],
        );
        let mem = self.b.load(Base::Slot(slot), 0, Width::B8, false);
        self.b.mov(raw, Operand::Reg(mem));
        self.b.jump(narrow);

        // Keep the low bytes, extended by the argument's signedness.
        self.b.switch_to(narrow);
        let shift = self.b.binary(BinOp::And, shift, Operand::Imm(63));
        let up = self.b.binary(BinOp::Shl, raw, Operand::Reg(shift));
        let as_signed = self.b.new_block();
        let as_unsigned = self.b.new_block();
        self.b
            .branch(Cond::Ne, signed, Operand::Imm(0), as_signed, as_unsigned);
        self.b.switch_to(as_signed);
        let v = self.b.binary(BinOp::AShr, up, Operand::Reg(shift));
        self.b.mov(result, Operand::Reg(v));
        self.b.jump(done);
        self.b.switch_to(as_unsigned);
        let v = self.b.binary(BinOp::LShr, up, Operand::Reg(shift));
        self.b.mov(result, Operand::Reg(v));
        self.b.jump(done);

        self.b.switch_to(done);
        self.b.end_scope(scope);
        result
    }
}
