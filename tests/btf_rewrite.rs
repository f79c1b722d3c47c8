//! Rewriting a raw BTF blob (such as `/sys/kernel/btf/vmlinux`) for CO-RE tests: move
//! struct members to other offsets, rename them and change their types, keeping the
//! blob valid.
//!
//! Only what the tests need: the header, a walk over the type records to find a struct
//! and its members, in-place edits of member offsets and types, array types appended
//! to the type section, and names appended to the string section (which must be the
//! last section of the blob, as the kernel writes it).

const HEADER_MIN: usize = 24;
const RECORD: usize = 12;

/// A BTF blob being edited.
pub struct BtfBlob {
    bytes: Vec<u8>,
    little: bool,
    hdr_len: usize,
    type_off: usize,
    type_len: usize,
    str_off: usize,
    str_len: usize,
}

/// A struct member's position in the blob.
#[derive(Debug, Clone, Copy)]
pub struct MemberRef {
    /// Byte position of the member's `name_off` word.
    at: usize,
    /// Whether the struct uses the bitfield encoding of offsets (kind_flag).
    kflag: bool,
    /// Byte offset of the member in its struct.
    pub byte_offset: u32,
    /// The struct's size.
    pub struct_size: u32,
}

impl BtfBlob {
    pub fn parse(bytes: Vec<u8>) -> Result<BtfBlob, String> {
        if bytes.len() < HEADER_MIN {
            return Err("BTF blob too short".into());
        }
        let little = match [bytes[0], bytes[1]] {
            [0x9f, 0xeb] => true,
            [0xeb, 0x9f] => false,
            _ => return Err("not BTF (bad magic)".into()),
        };
        let mut b = BtfBlob {
            bytes,
            little,
            hdr_len: 0,
            type_off: 0,
            type_len: 0,
            str_off: 0,
            str_len: 0,
        };
        b.hdr_len = b.u32(4) as usize;
        b.type_off = b.hdr_len + b.u32(8) as usize;
        b.type_len = b.u32(12) as usize;
        b.str_off = b.hdr_len + b.u32(16) as usize;
        b.str_len = b.u32(20) as usize;
        if b.type_off + b.type_len > b.bytes.len() || b.str_off + b.str_len != b.bytes.len() {
            return Err("BTF sections out of bounds, or strings are not last".into());
        }
        Ok(b)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn u32(&self, at: usize) -> u32 {
        let w: [u8; 4] = self.bytes[at..at + 4].try_into().expect("4 bytes");
        if self.little {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        }
    }

    fn put(&mut self, at: usize, v: u32) {
        let w = if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        };
        self.bytes[at..at + 4].copy_from_slice(&w);
    }

    fn string(&self, off: u32) -> &str {
        let start = self.str_off + off as usize;
        let tail = &self.bytes[start.min(self.bytes.len())..];
        let end = tail.iter().position(|&c| c == 0).unwrap_or(tail.len());
        std::str::from_utf8(&tail[..end]).unwrap_or("")
    }

    /// Byte positions of every type record, in id order (id 1 first).
    fn records(&self) -> Result<Vec<usize>, String> {
        let mut out = Vec::new();
        let mut at = self.type_off;
        let end = self.type_off + self.type_len;
        while at < end {
            if at + RECORD > end {
                return Err(format!("truncated type record at {at}"));
            }
            out.push(at);
            let info = self.u32(at + 4);
            let kind = (info >> 24) & 0x1f;
            let vlen = (info & 0xffff) as usize;
            let extra = match kind {
                1 | 14 | 17 => 4,
                3 => 12,
                4 | 5 | 15 | 19 => 12 * vlen,
                6 | 13 => 8 * vlen,
                2 | 7..=12 | 16 | 18 => 0,
                k => return Err(format!("unknown BTF kind {k} at {at}")),
            };
            at += RECORD + extra;
        }
        Ok(out)
    }

    /// The record position of the first `struct name` with members.
    fn find_struct(&self, name: &str) -> Result<usize, String> {
        for at in self.records()? {
            let info = self.u32(at + 4);
            if (info >> 24) & 0x1f == 4 && info & 0xffff != 0 && self.string(self.u32(at)) == name {
                return Ok(at);
            }
        }
        Err(format!("no struct {name}"))
    }

    /// The member `member` of `struct name` (a direct member, not inside anonymous ones).
    pub fn member(&self, name: &str, member: &str) -> Result<MemberRef, String> {
        let at = self.find_struct(name)?;
        let info = self.u32(at + 4);
        let kflag = info >> 31 == 1;
        let vlen = (info & 0xffff) as usize;
        for i in 0..vlen {
            let m = at + RECORD + 12 * i;
            if self.string(self.u32(m)) == member {
                let raw = self.u32(m + 8);
                let bits = if kflag { raw & 0xff_ffff } else { raw };
                return Ok(MemberRef {
                    at: m,
                    kflag,
                    byte_offset: bits / 8,
                    struct_size: self.u32(at + 8),
                });
            }
        }
        Err(format!("struct {name} has no member {member}"))
    }

    /// Moves `struct name`'s `member` by `delta` bytes; returns its new byte offset.
    pub fn move_member(&mut self, name: &str, member: &str, delta: i64) -> Result<u32, String> {
        let m = self.member(name, member)?;
        let new = i64::from(m.byte_offset) + delta;
        if new < 0 || new >= i64::from(m.struct_size) {
            return Err(format!("{member} moved to {new}, outside struct {name}"));
        }
        let raw = self.u32(m.at + 8);
        let bits = (new as u32) * 8;
        let v = if m.kflag {
            (raw & 0xff00_0000) | bits
        } else {
            bits
        };
        self.put(m.at + 8, v);
        Ok(new as u32)
    }

    /// The type id of `struct name`'s `member`.
    pub fn member_type(&self, name: &str, member: &str) -> Result<u32, String> {
        let m = self.member(name, member)?;
        Ok(self.u32(m.at + 4))
    }

    /// Makes `struct name`'s `member` of type `ty` (its offset stays).
    pub fn retype_member(&mut self, name: &str, member: &str, ty: u32) -> Result<(), String> {
        let m = self.member(name, member)?;
        if ty == 0 || ty as usize > self.records()?.len() {
            return Err(format!("no type id {ty}"));
        }
        self.put(m.at + 4, ty);
        Ok(())
    }

    /// The id of the integer type `name` (`long`, `short`...).
    pub fn int_type(&self, name: &str) -> Result<u32, String> {
        for (i, at) in self.records()?.into_iter().enumerate() {
            if (self.u32(at + 4) >> 24) & 0x1f == 1 && self.string(self.u32(at)) == name {
                return Ok(i as u32 + 1);
            }
        }
        Err(format!("no integer type {name}"))
    }

    /// Appends an array type with the element and index types of array `like` and
    /// `nelems` elements; returns its id.
    pub fn add_array_like(&mut self, like: u32, nelems: u32) -> Result<u32, String> {
        let records = self.records()?;
        let at = *records
            .get((like as usize).wrapping_sub(1))
            .ok_or_else(|| format!("no type id {like}"))?;
        if (self.u32(at + 4) >> 24) & 0x1f != 3 {
            return Err(format!("type {like} is not an array"));
        }
        let (elem, index) = (self.u32(at + RECORD), self.u32(at + RECORD + 4));
        let mut rec = Vec::with_capacity(2 * RECORD);
        for w in [0, 3 << 24, 0, elem, index, nelems] {
            rec.extend_from_slice(&if self.little {
                w.to_le_bytes()
            } else {
                w.to_be_bytes()
            });
        }
        let end = self.type_off + self.type_len;
        if end > self.str_off {
            return Err("types overlap the strings".into());
        }
        self.bytes.splice(end..end, rec.iter().copied());
        self.type_len += rec.len();
        self.str_off += rec.len();
        let (type_len, str_start) = (self.type_len as u32, (self.str_off - self.hdr_len) as u32);
        self.put(12, type_len);
        self.put(16, str_start);
        Ok(records.len() as u32 + 1)
    }

    /// Renames `struct name`'s `member` to `new_name` (appended to the strings).
    pub fn rename_member(
        &mut self,
        name: &str,
        member: &str,
        new_name: &str,
    ) -> Result<(), String> {
        let m = self.member(name, member)?;
        let off = self.str_len as u32;
        self.bytes.extend_from_slice(new_name.as_bytes());
        self.bytes.push(0);
        self.str_len += new_name.len() + 1;
        let len = self.str_len as u32;
        self.put(20, len);
        self.put(m.at, off);
        Ok(())
    }
}
