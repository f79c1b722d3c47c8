//! BPF opcode fields (`include/uapi/linux/bpf_common.h` and `bpf.h`).

// Instruction classes.
pub const LD: u8 = 0x00;
pub const LDX: u8 = 0x01;
pub const ST: u8 = 0x02;
pub const STX: u8 = 0x03;
pub const ALU: u8 = 0x04;
pub const JMP: u8 = 0x05;
pub const JMP32: u8 = 0x06;
pub const ALU64: u8 = 0x07;

// Memory access sizes.
pub const SIZE_W: u8 = 0x00;
pub const SIZE_H: u8 = 0x08;
pub const SIZE_B: u8 = 0x10;
pub const SIZE_DW: u8 = 0x18;

// Memory access modes.
pub const MODE_IMM: u8 = 0x00;
pub const MODE_MEM: u8 = 0x60;
pub const MODE_ATOMIC: u8 = 0xc0;

// Operand source: immediate or register.
pub const SRC_K: u8 = 0x00;
pub const SRC_X: u8 = 0x08;

// ALU operations.
pub const ADD: u8 = 0x00;
pub const SUB: u8 = 0x10;
pub const MUL: u8 = 0x20;
pub const DIV: u8 = 0x30;
pub const OR: u8 = 0x40;
pub const AND: u8 = 0x50;
pub const LSH: u8 = 0x60;
pub const RSH: u8 = 0x70;
pub const NEG: u8 = 0x80;
pub const MOD: u8 = 0x90;
pub const XOR: u8 = 0xa0;
pub const MOV: u8 = 0xb0;
pub const ARSH: u8 = 0xc0;
pub const END: u8 = 0xd0;

// Jump operations.
pub const JA: u8 = 0x00;
pub const JEQ: u8 = 0x10;
pub const JGT: u8 = 0x20;
pub const JGE: u8 = 0x30;
pub const JSET: u8 = 0x40;
pub const JNE: u8 = 0x50;
pub const JSGT: u8 = 0x60;
pub const JSGE: u8 = 0x70;
pub const CALL: u8 = 0x80;
pub const EXIT: u8 = 0x90;
pub const JLT: u8 = 0xa0;
pub const JLE: u8 = 0xb0;
pub const JSLT: u8 = 0xc0;
pub const JSLE: u8 = 0xd0;

/// `imm` of a `BPF_ATOMIC` add.
pub const ATOMIC_ADD: i32 = 0x00;
/// `BPF_FETCH` flag of atomic operations.
pub const ATOMIC_FETCH: i32 = 0x01;

/// `ld_imm64` opcode (`BPF_LD | BPF_IMM | BPF_DW`).
pub const LD_IMM64: u8 = LD | MODE_IMM | SIZE_DW;
/// `src` of an `ld_imm64` whose `imm` is a map file descriptor.
pub const PSEUDO_MAP_FD: u8 = 1;
/// `src` of an `ld_imm64` whose `imm` is a map fd and the second `imm` a value offset.
pub const PSEUDO_MAP_VALUE: u8 = 2;
/// `ld_imm64` source register: the address of a BPF-to-BPF function (a callback).
pub const PSEUDO_FUNC: u8 = 4;
/// `ld_imm64` source register: `imm` is a kernel BTF id (of a `VAR`), `imm` of the
/// second slot the BTF object fd (0: vmlinux).
pub const PSEUDO_BTF_ID: u8 = 3;
/// `src` of a `call` whose `imm` is a kernel function's BTF id (a kfunc; `off`: the
/// BTF object, 0 for vmlinux).
pub const PSEUDO_KFUNC_CALL: u8 = 2;

pub fn class(code: u8) -> u8 {
    code & 0x07
}

pub fn size_of_width(w: crate::ir::Width) -> u8 {
    use crate::ir::Width;
    match w {
        Width::B1 => SIZE_B,
        Width::B2 => SIZE_H,
        Width::B4 => SIZE_W,
        Width::B8 => SIZE_DW,
    }
}

/// The jump opcode for a condition.
pub fn jump_op(c: crate::ir::Cond) -> u8 {
    use crate::ir::Cond;
    match c {
        Cond::Eq => JEQ,
        Cond::Ne => JNE,
        Cond::Ugt => JGT,
        Cond::Uge => JGE,
        Cond::Ult => JLT,
        Cond::Ule => JLE,
        Cond::Sgt => JSGT,
        Cond::Sge => JSGE,
        Cond::Slt => JSLT,
        Cond::Sle => JSLE,
        Cond::Set => JSET,
    }
}
