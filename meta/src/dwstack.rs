//! The payload of an [`crate::EventKind::DwStack`] event: what `dw_ustack` copies of
//! the user's registers and stack for the runtime to unwind with `.eh_frame` CFI.
//!
//! Layout (all `u64` little-endian words, then bytes): snapshot id, pid, `rip`,
//! `rsp`, `rbp`, bytes of stack copied, then [`STACK_BYTES`] bytes of user memory
//! from `rsp` up (only the first `len` meaningful). The program copies the largest of
//! [`STACK_BYTES`], its halves down to [`MIN_STACK_BYTES`] that it can read (the stack
//! mapping ends somewhere above `rsp`); `len` 0 means nothing could be read.

/// Offset of the snapshot id (what a `dw_ustack` value holds).
pub const ID: u32 = 0;
/// Offset of the pid (as plain `pid` reads it).
pub const PID: u32 = 8;
/// Offset of the instruction pointer.
pub const IP: u32 = 16;
/// Offset of the stack pointer.
pub const SP: u32 = 24;
/// Offset of the frame pointer (`rbp`).
pub const BP: u32 = 32;
/// Offset of the number of stack bytes copied.
pub const LEN: u32 = 40;
/// Offset of the stack bytes.
pub const DATA: u32 = 48;
/// Most stack bytes copied.
pub const STACK_BYTES: u32 = 16384;
/// Fewest stack bytes the program tries to copy before giving up.
pub const MIN_STACK_BYTES: u32 = 256;
/// Payload size.
pub const SIZE: u32 = DATA + STACK_BYTES;

/// A decoded snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot<'a> {
    pub id: u64,
    pub pid: u32,
    pub ip: u64,
    pub sp: u64,
    pub bp: u64,
    /// The stack from `sp` up.
    pub stack: &'a [u8],
}

fn word(b: &[u8], off: u32) -> Option<u64> {
    let s = b.get(off as usize..off as usize + 8)?;
    Some(u64::from_le_bytes(s.try_into().ok()?))
}

impl<'a> Snapshot<'a> {
    /// Decode a payload (without the event header); `None` when it is too short.
    pub fn parse(b: &'a [u8]) -> Option<Snapshot<'a>> {
        let len = word(b, LEN)?.min(u64::from(STACK_BYTES)) as usize;
        let data = b.get(DATA as usize..)?;
        Some(Snapshot {
            id: word(b, ID)?,
            pid: word(b, PID)? as u32,
            ip: word(b, IP)?,
            sp: word(b, SP)?,
            bp: word(b, BP)?,
            stack: data.get(..len.min(data.len()))?,
        })
    }

    /// The `u64` of user memory at `addr`, when the snapshot holds it.
    pub fn read(&self, addr: u64) -> Option<u64> {
        let off = usize::try_from(addr.checked_sub(self.sp)?).ok()?;
        let s = self.stack.get(off..off.checked_add(8)?)?;
        Some(u64::from_le_bytes(s.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_read() {
        let mut b = vec![0u8; DATA as usize + 32];
        for (off, v) in [
            (ID, 7u64),
            (PID, 42),
            (IP, 0x1000),
            (SP, 0x7000),
            (BP, 9),
            (LEN, 16),
        ] {
            b[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes());
        }
        b[DATA as usize + 8..DATA as usize + 16].copy_from_slice(&0xabcdu64.to_le_bytes());
        let s = Snapshot::parse(&b).unwrap();
        assert_eq!((s.id, s.pid, s.ip, s.sp, s.bp), (7, 42, 0x1000, 0x7000, 9));
        assert_eq!(s.stack.len(), 16);
        assert_eq!(s.read(0x7008), Some(0xabcd));
        // Outside the copied bytes, below sp, unaligned past the end.
        assert_eq!(s.read(0x7010), None);
        assert_eq!(s.read(0x6ff8), None);
        assert_eq!(s.read(0x7009), None);
        assert!(Snapshot::parse(&b[..20]).is_none());
    }
}
