//! BPF instruction encoding.

/// One 8-byte BPF instruction slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Insn {
    pub code: u8,
    /// Destination register, 0..=10.
    pub dst: u8,
    /// Source register, 0..=10 (or a pseudo value for `ld_imm64`/calls).
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    /// Little-endian encoding, as the kernel and `.text` sections expect.
    pub fn encode(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = self.code;
        b[1] = (self.src << 4) | (self.dst & 0x0f);
        b[2..4].copy_from_slice(&self.off.to_le_bytes());
        b[4..8].copy_from_slice(&self.imm.to_le_bytes());
        b
    }

    pub fn decode(b: [u8; 8]) -> Insn {
        Insn {
            code: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_exit() {
        let exit = Insn {
            code: 0x95,
            dst: 0,
            src: 0,
            off: 0,
            imm: 0,
        };
        assert_eq!(exit.encode(), [0x95, 0, 0, 0, 0, 0, 0, 0]);
        let mov = Insn {
            code: 0xb7,
            dst: 1,
            src: 2,
            off: -8,
            imm: -1,
        };
        assert_eq!(Insn::decode(mov.encode()), mov);
    }
}
