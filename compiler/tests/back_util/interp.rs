//! A BPF interpreter for the subset the back end emits, to check semantics without
//! a kernel. Helper calls are simulated and poison r1..r5 afterwards, so code that
//! keeps a value in a caller-saved register across a call computes garbage.

use tracec::back::opcode as op;
use tracec::back::{CompiledFunction, RelocTarget};
use tracec::ir::Helper;

pub const STACK_TOP: u64 = 0x1000_0000_0000;
pub const CTX: u64 = 0x2000_0000_0000;
pub const MAP_PTR: u64 = 0x3000_0000_0000;
pub const MAP_VALUE: u64 = 0x4000_0000_0000;
pub const GLOBAL: u64 = 0x5000_0000_0000;
pub const POISON: u64 = 0xdead_beef_dead_beef;
/// Each simulated map has this many entries of this many bytes; keys are u32
/// indexes.
pub const ENTRIES: u64 = 4;
pub const VALUE_SIZE: u64 = 256;

pub struct Machine {
    pub stack: Vec<u8>,
    pub ctx: Vec<u8>,
    /// Values of map `m`: `ENTRIES * VALUE_SIZE` bytes.
    pub maps: Vec<Vec<u8>>,
    /// (helper id, r1..r5) of each call.
    pub calls: Vec<(i32, [u64; 5])>,
    pub steps: usize,
}

impl Machine {
    pub fn new(args: &[u64], maps: usize) -> Machine {
        Machine {
            stack: vec![0; 512],
            ctx: args.iter().flat_map(|a| a.to_le_bytes()).collect(),
            maps: vec![vec![0; (ENTRIES * VALUE_SIZE) as usize]; maps],
            calls: vec![],
            steps: 0,
        }
    }

    /// The u64 at `8*i` of map `m`'s entry 0.
    pub fn result(&self, m: usize, i: usize) -> u64 {
        u64::from_le_bytes(self.maps[m][8 * i..8 * i + 8].try_into().unwrap())
    }

    fn mem(&mut self, addr: u64, len: u64) -> Result<&mut [u8], String> {
        let region = |base: u64, size: u64| addr >= base && addr + len <= base + size;
        if region(STACK_TOP - 512, 512) {
            if !addr.is_multiple_of(len) {
                return Err(format!("misaligned stack access at {addr:#x}"));
            }
            let o = (addr - (STACK_TOP - 512)) as usize;
            return Ok(&mut self.stack[o..o + len as usize]);
        }
        if region(CTX, self.ctx.len() as u64) {
            let o = (addr - CTX) as usize;
            return Ok(&mut self.ctx[o..o + len as usize]);
        }
        for (m, v) in self.maps.iter_mut().enumerate() {
            let base = MAP_VALUE + ((m as u64) << 16);
            if addr >= base && addr + len <= base + v.len() as u64 {
                let o = (addr - base) as usize;
                return Ok(&mut v[o..o + len as usize]);
            }
        }
        Err(format!("invalid memory access at {addr:#x} ({len} bytes)"))
    }

    fn read(&mut self, addr: u64, len: u64) -> Result<u64, String> {
        let m = self.mem(addr, len)?;
        let mut b = [0u8; 8];
        b[..len as usize].copy_from_slice(m);
        Ok(u64::from_le_bytes(b))
    }

    fn write(&mut self, addr: u64, len: u64, v: u64) -> Result<(), String> {
        let m = self.mem(addr, len)?;
        m.copy_from_slice(&v.to_le_bytes()[..len as usize]);
        Ok(())
    }

    fn helper(&mut self, id: i32, r: &[u64; 11]) -> Result<u64, String> {
        let args = [r[1], r[2], r[3], r[4], r[5]];
        self.calls.push((id, args));
        Ok(match id {
            x if x == Helper::MapLookupElem.id() => {
                let m = r[1].wrapping_sub(MAP_PTR) >> 16;
                if r[1] < MAP_PTR || m as usize >= self.maps.len() {
                    return Err(format!("map_lookup_elem of a non-map {:#x}", r[1]));
                }
                let key = self.read(r[2], 4)?;
                if key < ENTRIES {
                    MAP_VALUE + (m << 16) + key * VALUE_SIZE
                } else {
                    0
                }
            }
            x if x == Helper::KtimeGetNs.id() => 1_000_000 * self.calls.len() as u64,
            x if x == Helper::GetCurrentPidTgid.id() => 0x1234_0000_5678,
            _ => 0,
        })
    }

    /// Run `f` with r1 = ctx; returns r0 at `exit`.
    pub fn run(&mut self, f: &CompiledFunction) -> Result<u64, String> {
        let mut r = [POISON; 11];
        r[1] = CTX;
        r[10] = STACK_TOP;
        let mut pc = 0usize;
        loop {
            self.steps += 1;
            if self.steps > 1_000_000 {
                return Err("step limit".into());
            }
            let i = *f.insns.get(pc).ok_or(format!("pc {pc} out of range"))?;
            let (d, s) = (i.dst as usize, i.src as usize);
            if d > 10 || s > 10 {
                return Err(format!("bad register at {pc}"));
            }
            let class = op::class(i.code);
            let size = match i.code & 0x18 {
                op::SIZE_B => 1,
                op::SIZE_H => 2,
                op::SIZE_W => 4,
                _ => 8,
            };
            pc += 1;
            match class {
                op::ALU64 => {
                    if d == 10 {
                        return Err(format!("write to r10 at {}", pc - 1));
                    }
                    let src = if i.code & op::SRC_X != 0 {
                        r[s]
                    } else {
                        i.imm as i64 as u64
                    };
                    let x = r[d];
                    r[d] = match i.code & 0xf0 {
                        op::ADD => x.wrapping_add(src),
                        op::SUB => x.wrapping_sub(src),
                        op::MUL => x.wrapping_mul(src),
                        op::DIV => x.checked_div(src).unwrap_or(0),
                        op::MOD => x.checked_rem(src).unwrap_or(x),
                        op::OR => x | src,
                        op::AND => x & src,
                        op::XOR => x ^ src,
                        op::LSH => x << (src & 63),
                        op::RSH => x >> (src & 63),
                        op::ARSH => ((x as i64) >> (src & 63)) as u64,
                        op::NEG => x.wrapping_neg(),
                        op::MOV => src,
                        o => return Err(format!("unsupported alu op {o:#x}")),
                    };
                }
                op::ALU => {
                    // 32-bit ALU: operands are the low halves; the result is
                    // zero-extended into the 64-bit register.
                    if d == 10 {
                        return Err(format!("write to r10 at {}", pc - 1));
                    }
                    let src = if i.code & op::SRC_X != 0 {
                        r[s] as u32
                    } else {
                        i.imm as u32
                    };
                    let x = r[d] as u32;
                    let v = match i.code & 0xf0 {
                        op::ADD => x.wrapping_add(src),
                        op::SUB => x.wrapping_sub(src),
                        op::MUL => x.wrapping_mul(src),
                        op::OR => x | src,
                        op::AND => x & src,
                        op::XOR => x ^ src,
                        op::LSH => x << (src & 31),
                        op::RSH => x >> (src & 31),
                        op::MOV => src,
                        o => return Err(format!("unsupported alu32 op {o:#x}")),
                    };
                    r[d] = u64::from(v);
                }
                op::LD if i.code == op::LD_IMM64 => {
                    let hi = f.insns.get(pc).ok_or("truncated ld_imm64")?;
                    let mut v = (u64::from(hi.imm as u32) << 32) | u64::from(i.imm as u32);
                    if let Some(rel) = f.relocs.iter().find(|x| x.insn == pc - 1) {
                        v = match rel.target {
                            RelocTarget::Map(m) => MAP_PTR + (u64::from(m.0) << 16),
                            RelocTarget::Global(g) => GLOBAL + (u64::from(g.0) << 16) + v,
                            RelocTarget::Func(_) => {
                                return Err("subprogram calls are not interpreted".into())
                            }
                        };
                    }
                    r[d] = v;
                    pc += 1;
                }
                op::LDX if i.code & 0xe0 == op::MODE_MEM => {
                    r[d] = self.read(r[s].wrapping_add(i.off as i64 as u64), size)?;
                }
                op::ST if i.code & 0xe0 == op::MODE_MEM => {
                    self.write(
                        r[d].wrapping_add(i.off as i64 as u64),
                        size,
                        i.imm as i64 as u64,
                    )?;
                }
                op::STX if i.code & 0xe0 == op::MODE_MEM => {
                    self.write(r[d].wrapping_add(i.off as i64 as u64), size, r[s])?;
                }
                op::STX if i.code & 0xe0 == op::MODE_ATOMIC && i.imm == op::ATOMIC_ADD => {
                    let a = r[d].wrapping_add(i.off as i64 as u64);
                    let old = self.read(a, size)?;
                    self.write(a, size, old.wrapping_add(r[s]))?;
                }
                op::JMP => {
                    let o = i.code & 0xf0;
                    match o {
                        op::EXIT => return Ok(r[0]),
                        op::CALL => {
                            r[0] = self.helper(i.imm, &r)?;
                            r[1..=5].fill(POISON);
                            continue;
                        }
                        _ => {}
                    }
                    let (a, b) = (
                        r[d],
                        if i.code & op::SRC_X != 0 {
                            r[s]
                        } else {
                            i.imm as i64 as u64
                        },
                    );
                    let taken = match o {
                        op::JA => true,
                        op::JEQ => a == b,
                        op::JNE => a != b,
                        op::JGT => a > b,
                        op::JGE => a >= b,
                        op::JLT => a < b,
                        op::JLE => a <= b,
                        op::JSGT => (a as i64) > b as i64,
                        op::JSGE => (a as i64) >= b as i64,
                        op::JSLT => (a as i64) < (b as i64),
                        op::JSLE => (a as i64) <= b as i64,
                        op::JSET => a & b != 0,
                        _ => return Err(format!("unsupported jump {o:#x}")),
                    };
                    if taken {
                        pc = (pc as i64 + i64::from(i.off)) as usize;
                    }
                }
                _ => return Err(format!("unsupported opcode {:#x}", i.code)),
            }
        }
    }
}
