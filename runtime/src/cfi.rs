//! A compact reader of x86-64 `.eh_frame` call frame information (DWARF CFI): CIE and
//! FDE parsing, pointer encodings, and the `DW_CFA_*` interpreter that gives, for one
//! code address, the rule for the canonical frame address (a register plus an offset)
//! and where the return address and `rbp` were saved. This is what `dw_ustack` unwinds
//! with (`dwunwind.rs`); expressions (`DW_CFA_def_cfa_expression`...) are not
//! evaluated: a frame that needs one ends the stack.

use crate::srcline::read::Reader as ByteReader;

/// DWARF register numbers of x86-64.
pub const RBP: u16 = 6;
pub const RSP: u16 = 7;
/// The return address column.
pub const RA: u16 = 16;

/// How a register of the caller is recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Not saved: the caller's value is the callee's (also the default).
    Same,
    /// The caller had no value (e.g. the return address of the outermost frame).
    Undefined,
    /// Saved in memory at CFA + offset.
    Offset(i64),
    /// The value is CFA + offset.
    ValOffset(i64),
    /// Held in another register.
    Register(u16),
    /// Given by a DWARF expression (not evaluated).
    Expression,
}

/// The canonical frame address rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cfa {
    RegOffset(u16, i64),
    Expression,
}

/// The unwind rules at one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub cfa: Cfa,
    pub rbp: Rule,
    pub ra: Rule,
}

#[derive(Debug, Clone)]
struct Cie {
    code_align: u64,
    data_align: i64,
    ra_reg: u16,
    fde_enc: u8,
    /// Augmentation 'z': FDEs carry an augmentation data length.
    z: bool,
    instrs: (usize, usize),
}

#[derive(Debug, Clone)]
struct Fde {
    start: u64,
    end: u64,
    cie: usize,
    instrs: (usize, usize),
}

/// The parsed `.eh_frame` of one ELF file.
#[derive(Debug, Clone)]
pub struct EhFrame {
    data: Vec<u8>,
    cies: Vec<Cie>,
    /// Sorted by start address.
    fdes: Vec<Fde>,
}

/// The section cursor of [`crate::srcline`] plus the virtual address of its first byte
/// (for `DW_EH_PE_pcrel` pointers).
struct Reader<'a> {
    r: ByteReader<'a>,
    base: u64,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], pos: usize, base: u64) -> Reader<'a> {
        Reader {
            r: ByteReader { buf: data, pos },
            base,
        }
    }
}

impl<'a> std::ops::Deref for Reader<'a> {
    type Target = ByteReader<'a>;
    fn deref(&self) -> &ByteReader<'a> {
        &self.r
    }
}

impl<'a> std::ops::DerefMut for Reader<'a> {
    fn deref_mut(&mut self) -> &mut ByteReader<'a> {
        &mut self.r
    }
}

impl Reader<'_> {
    fn reg(&mut self) -> Option<u16> {
        u16::try_from(self.uleb()?).ok()
    }

    /// A pointer in encoding `enc` (`DW_EH_PE_*`).
    fn pointer(&mut self, enc: u8) -> Option<u64> {
        if enc == 0xff {
            return Some(0);
        }
        let here = self.base.wrapping_add(self.pos as u64);
        let v = match enc & 0x0f {
            0x00 => self.u64()?,
            0x01 => self.uleb()?,
            0x02 => u64::from(self.u16()?),
            0x03 => u64::from(self.u32()?),
            0x04 => self.u64()?,
            0x09 => self.sleb()? as u64,
            0x0a => self.u16()? as i16 as i64 as u64,
            0x0b => self.u32()? as i32 as i64 as u64,
            0x0c => self.u64()?,
            _ => return None,
        };
        match enc & 0x70 {
            0x00 => Some(v),
            0x10 => Some(here.wrapping_add(v)),
            _ => None,
        }
    }
}

impl EhFrame {
    /// Parse section bytes loaded at virtual address `addr`. Entries that cannot be
    /// read are skipped; `None` when nothing could be.
    pub fn parse(data: &[u8], addr: u64) -> Option<EhFrame> {
        let mut cies: Vec<Cie> = Vec::new();
        let mut cie_at: Vec<(usize, usize)> = Vec::new();
        let mut pending: Vec<(usize, Fde)> = Vec::new();
        let mut r = Reader::new(data, 0, addr);
        while r.pos + 4 <= data.len() {
            let start = r.pos;
            let mut len = u64::from(r.u32()?);
            if len == 0 {
                break;
            }
            if len == 0xffff_ffff {
                len = r.u64()?;
            }
            let body = r.pos;
            let Some(end) = usize::try_from(len).ok().and_then(|l| body.checked_add(l)) else {
                break;
            };
            if end > data.len() {
                break;
            }
            let id_pos = r.pos;
            let id = r.u32()?;
            let mut e = Reader::new(&data[..end], r.pos, addr);
            if id == 0 {
                if let Some(c) = parse_cie(&mut e, end) {
                    cie_at.push((start, cies.len()));
                    cies.push(c);
                }
            } else if let Some(cie_start) = id_pos.checked_sub(id as usize) {
                pending.push((cie_start, parse_fde_head(&mut e, end)));
            }
            r.pos = end;
        }
        let mut fdes = Vec::new();
        for (cie_start, mut f) in pending {
            // The CIE must be parsed first to know the FDE's pointer encoding.
            let Some(&(_, ci)) = cie_at.iter().find(|(s, _)| *s == cie_start) else {
                continue;
            };
            let mut e = Reader::new(&data[..f.instrs.1], f.instrs.0, addr);
            let cie = &cies[ci];
            let (Some(s), Some(n)) = (e.pointer(cie.fde_enc), e.pointer(cie.fde_enc & 0x0f)) else {
                continue;
            };
            // Augmentation data ('z'): its length, skipped.
            if cie.z {
                let Some(l) = e.uleb() else { continue };
                e.pos = e.pos.saturating_add(l as usize);
            }
            if s == 0 || e.pos > f.instrs.1 {
                continue;
            }
            f.start = s;
            f.end = s.wrapping_add(n);
            f.cie = ci;
            f.instrs.0 = e.pos;
            fdes.push(f);
        }
        if fdes.is_empty() {
            return None;
        }
        crate::sorting::sort_by_key(&mut fdes, |f| f.start);
        Some(EhFrame {
            data: data.to_vec(),
            cies,
            fdes,
        })
    }

    /// Number of FDEs (functions described).
    pub fn len(&self) -> usize {
        self.fdes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fdes.is_empty()
    }

    /// The rules at virtual address `pc`, if an FDE covers it.
    pub fn row(&self, pc: u64) -> Option<Row> {
        let i = self
            .fdes
            .partition_point(|f| f.start <= pc)
            .checked_sub(1)?;
        let f = &self.fdes[i];
        if pc >= f.end {
            return None;
        }
        let cie = self.cies.get(f.cie)?;
        let mut st = State::default();
        st.run(self, cie, cie.instrs, u64::MAX, f.start)?;
        st.initial = (st.cfa, st.rbp, st.ra);
        st.run(self, cie, f.instrs, pc, f.start)?;
        Some(Row {
            cfa: st.cfa,
            rbp: st.rbp,
            ra: st.ra,
        })
    }
}

fn parse_cie(e: &mut Reader, end: usize) -> Option<Cie> {
    let version = e.u8()?;
    let aug_start = e.pos;
    while e.u8()? != 0 {}
    let aug = e.buf.get(aug_start..e.pos - 1)?.to_vec();
    if aug.starts_with(b"eh") {
        e.u64()?;
    }
    let code_align = e.uleb()?;
    let data_align = e.sleb()?;
    let ra_reg = if version == 1 {
        u16::from(e.u8()?)
    } else {
        e.reg()?
    };
    let mut fde_enc = 0u8;
    let z = aug.first() == Some(&b'z');
    if z {
        let len = e.uleb()? as usize;
        let aug_end = e.pos.checked_add(len)?;
        for &c in &aug[1..] {
            match c {
                b'R' => fde_enc = e.u8()?,
                b'L' => {
                    e.u8()?;
                }
                b'P' => {
                    let enc = e.u8()?;
                    e.pointer(enc & 0x7f)?;
                }
                _ => {}
            }
        }
        e.pos = aug_end;
    }
    if e.pos > end {
        return None;
    }
    Some(Cie {
        code_align,
        data_align,
        ra_reg,
        fde_enc,
        z,
        instrs: (e.pos, end),
    })
}

fn parse_fde_head(e: &mut Reader, end: usize) -> Fde {
    Fde {
        start: 0,
        end: 0,
        cie: 0,
        instrs: (e.pos, end),
    }
}

#[derive(Debug, Clone)]
struct State {
    cfa: Cfa,
    rbp: Rule,
    ra: Rule,
    initial: (Cfa, Rule, Rule),
    stack: Vec<(Cfa, Rule, Rule)>,
}

impl Default for State {
    fn default() -> State {
        State {
            cfa: Cfa::RegOffset(RSP, 8),
            rbp: Rule::Same,
            ra: Rule::Same,
            initial: (Cfa::RegOffset(RSP, 8), Rule::Same, Rule::Same),
            stack: Vec::new(),
        }
    }
}

/// Most `DW_CFA_remember_state`s kept (a malformed FDE cannot grow memory).
const MAX_REMEMBERED: usize = 64;

impl State {
    fn set(&mut self, reg: u16, ra_reg: u16, rule: Rule) {
        if reg == ra_reg {
            self.ra = rule;
        } else if reg == RBP {
            self.rbp = rule;
        }
    }

    fn restore(&mut self, reg: u16, ra_reg: u16) {
        if reg == ra_reg {
            self.ra = self.initial.2;
        } else if reg == RBP {
            self.rbp = self.initial.1;
        }
    }

    /// Run the instructions in `range` while the location stays at or below `pc`.
    fn run(
        &mut self,
        eh: &EhFrame,
        cie: &Cie,
        range: (usize, usize),
        pc: u64,
        start: u64,
    ) -> Option<()> {
        let mut e = Reader::new(eh.data.get(..range.1)?, range.0, 0);
        let mut loc = start;
        let ra = cie.ra_reg;
        let advance = |loc: &mut u64, delta: u64| -> bool {
            *loc = loc.wrapping_add(delta.wrapping_mul(cie.code_align));
            *loc > pc
        };
        while e.pos < range.1 {
            let op = e.u8()?;
            let low = u16::from(op & 0x3f);
            match op >> 6 {
                1 => {
                    if advance(&mut loc, u64::from(low)) {
                        return Some(());
                    }
                    continue;
                }
                2 => {
                    let off = e.uleb()? as i64 * cie.data_align;
                    self.set(low, ra, Rule::Offset(off));
                    continue;
                }
                3 => {
                    self.restore(low, ra);
                    continue;
                }
                _ => {}
            }
            match op {
                0x00 => {}
                0x01 => {
                    // DW_CFA_set_loc: an absolute address; stop if it passes pc.
                    let new = e.pointer(cie.fde_enc & 0x0f)?;
                    loc = new;
                    if loc > pc {
                        return Some(());
                    }
                }
                0x02..=0x04 => {
                    let delta = match op {
                        0x02 => u64::from(e.u8()?),
                        0x03 => u64::from(e.u16()?),
                        _ => u64::from(e.u32()?),
                    };
                    if advance(&mut loc, delta) {
                        return Some(());
                    }
                }
                0x05 => {
                    let r = e.reg()?;
                    let off = e.uleb()? as i64 * cie.data_align;
                    self.set(r, ra, Rule::Offset(off));
                }
                0x06 => {
                    let r = e.reg()?;
                    self.restore(r, ra);
                }
                0x07 => {
                    let r = e.reg()?;
                    self.set(r, ra, Rule::Undefined);
                }
                0x08 => {
                    let r = e.reg()?;
                    self.set(r, ra, Rule::Same);
                }
                0x09 => {
                    let r = e.reg()?;
                    let r2 = e.reg()?;
                    self.set(r, ra, Rule::Register(r2));
                }
                0x0a => {
                    if self.stack.len() < MAX_REMEMBERED {
                        self.stack.push((self.cfa, self.rbp, self.ra));
                    }
                }
                0x0b => {
                    let (c, b, a) = self.stack.pop()?;
                    // The CFA is not part of the remembered register set in the
                    // standard, but every producer expects it restored (as GDB does).
                    self.cfa = c;
                    self.rbp = b;
                    self.ra = a;
                }
                0x0c => {
                    let r = e.reg()?;
                    let off = e.uleb()? as i64;
                    self.cfa = Cfa::RegOffset(r, off);
                }
                0x0d => {
                    let r = e.reg()?;
                    if let Cfa::RegOffset(_, off) = self.cfa {
                        self.cfa = Cfa::RegOffset(r, off);
                    }
                }
                0x0e => {
                    let off = e.uleb()? as i64;
                    if let Cfa::RegOffset(r, _) = self.cfa {
                        self.cfa = Cfa::RegOffset(r, off);
                    }
                }
                0x0f => {
                    let l = e.uleb()? as usize;
                    e.pos = e.pos.checked_add(l)?;
                    self.cfa = Cfa::Expression;
                }
                0x10 | 0x16 => {
                    let r = e.reg()?;
                    let l = e.uleb()? as usize;
                    e.pos = e.pos.checked_add(l)?;
                    self.set(r, ra, Rule::Expression);
                }
                0x11 => {
                    let r = e.reg()?;
                    let off = e.sleb()? * cie.data_align;
                    self.set(r, ra, Rule::Offset(off));
                }
                0x12 => {
                    let r = e.reg()?;
                    let off = e.sleb()? * cie.data_align;
                    self.cfa = Cfa::RegOffset(r, off);
                }
                0x13 => {
                    let off = e.sleb()? * cie.data_align;
                    if let Cfa::RegOffset(r, _) = self.cfa {
                        self.cfa = Cfa::RegOffset(r, off);
                    }
                }
                0x14 => {
                    let r = e.reg()?;
                    let off = e.uleb()? as i64 * cie.data_align;
                    self.set(r, ra, Rule::ValOffset(off));
                }
                0x15 => {
                    let r = e.reg()?;
                    let off = e.sleb()? * cie.data_align;
                    self.set(r, ra, Rule::ValOffset(off));
                }
                0x2e => {
                    e.uleb()?;
                }
                0x2f => {
                    let r = e.reg()?;
                    let off = -(e.uleb()? as i64) * cie.data_align;
                    self.set(r, ra, Rule::Offset(off));
                }
                _ => return None,
            }
        }
        Some(())
    }
}

#[cfg(test)]
#[path = "cfi_tests.rs"]
mod tests;
