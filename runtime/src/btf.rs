//! A reader for the parts of an object's `.BTF` and `.BTF.ext` sections tracerun needs:
//! the string table, the types that describe `.maps` (map kind, sizes, capacity), and
//! the line info that maps instructions back to script lines.
//!
//! Everything is bounds-checked: a malformed section gives a [`BtfError`], never a panic.

use std::collections::HashMap;

const BTF_MAGIC: u16 = 0xeb9f;

/// Why a BTF section could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BtfError(pub String);

impl std::fmt::Display for BtfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BtfError {}

fn bad(what: impl Into<String>) -> BtfError {
    BtfError(what.into())
}

/// Little-endian reads at byte offsets, failing instead of panicking past the end.
struct Reader<'a> {
    data: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn u16(&self, at: usize) -> Result<u16, BtfError> {
        self.bytes(at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&self, at: usize) -> Result<u32, BtfError> {
        self.bytes(at, 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn bytes(&self, at: usize, len: usize) -> Result<&'a [u8], BtfError> {
        at.checked_add(len)
            .and_then(|end| self.data.get(at..end))
            .ok_or_else(|| bad(format!("{} is truncated at byte {at}", self.what)))
    }
}

/// The kinds of BTF type this reader keeps apart; everything else is [`Type::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Int {
        size: u32,
    },
    Ptr {
        target: u32,
    },
    Array {
        elem: u32,
        nelems: u32,
    },
    /// A struct or union: its size and `(member name, member type)`.
    Struct {
        size: u32,
        members: Vec<(String, u32)>,
    },
    /// typedef, const, volatile, restrict, type tag: the same type as `target`.
    Alias {
        target: u32,
    },
    Var {
        name: String,
        ty: u32,
    },
    /// A data section: its name and the type ids of its variables.
    Datasec {
        name: String,
        vars: Vec<u32>,
    },
    /// A kind with a size of its own (enum, float) or none (func, func proto, fwd).
    Other {
        size: Option<u32>,
    },
}

/// A parsed `.BTF` section.
#[derive(Debug, Clone)]
pub struct Btf {
    strings: Vec<u8>,
    /// Index `i` holds type id `i + 1`.
    types: Vec<Type>,
}

impl Btf {
    pub fn parse(data: &[u8]) -> Result<Btf, BtfError> {
        let r = Reader { data, what: ".BTF" };
        if r.u16(0)? != BTF_MAGIC {
            return Err(bad(".BTF does not start with the BTF magic 0xeb9f"));
        }
        let hdr_len = r.u32(4)? as usize;
        let (type_off, type_len) = (r.u32(8)? as usize, r.u32(12)? as usize);
        let (str_off, str_len) = (r.u32(16)? as usize, r.u32(20)? as usize);
        let strings = r.bytes(hdr_len.saturating_add(str_off), str_len)?.to_vec();
        let type_data = r.bytes(hdr_len.saturating_add(type_off), type_len)?;
        let mut btf = Btf {
            strings,
            types: Vec::new(),
        };
        btf.types = btf.parse_types(type_data)?;
        Ok(btf)
    }

    /// The NUL-terminated string at `off` in the string table.
    pub fn string(&self, off: u32) -> Option<&str> {
        let tail = self.strings.get(off as usize..)?;
        let end = tail.iter().position(|&b| b == 0)?;
        std::str::from_utf8(&tail[..end]).ok()
    }

    fn name(&self, off: u32) -> Result<String, BtfError> {
        self.string(off)
            .map(str::to_owned)
            .ok_or_else(|| bad(format!("BTF string offset {off} is out of range")))
    }

    fn parse_types(&self, data: &[u8]) -> Result<Vec<Type>, BtfError> {
        let r = Reader {
            data,
            what: ".BTF types",
        };
        let mut types = Vec::new();
        let mut at = 0usize;
        while at < data.len() {
            let name_off = r.u32(at)?;
            let info = r.u32(at + 4)?;
            let size_or_type = r.u32(at + 8)?;
            let vlen = (info & 0xffff) as usize;
            let kind = (info >> 24) & 0x1f;
            let body = at + 12;
            let (ty, extra) = match kind {
                1 => (Type::Int { size: size_or_type }, 4),
                2 => (
                    Type::Ptr {
                        target: size_or_type,
                    },
                    0,
                ),
                3 => (
                    Type::Array {
                        elem: r.u32(body)?,
                        nelems: r.u32(body + 8)?,
                    },
                    12,
                ),
                4 | 5 => {
                    let mut members = Vec::with_capacity(vlen);
                    for i in 0..vlen {
                        let m = body + 12 * i;
                        members.push((self.name(r.u32(m)?)?, r.u32(m + 4)?));
                    }
                    (
                        Type::Struct {
                            size: size_or_type,
                            members,
                        },
                        12 * vlen,
                    )
                }
                6 => (
                    Type::Other {
                        size: Some(size_or_type),
                    },
                    8 * vlen,
                ),
                7 | 12 => (Type::Other { size: None }, 0),
                8..=11 | 18 => (
                    Type::Alias {
                        target: size_or_type,
                    },
                    0,
                ),
                13 => (Type::Other { size: None }, 8 * vlen),
                14 => (
                    Type::Var {
                        name: self.name(name_off)?,
                        ty: size_or_type,
                    },
                    4,
                ),
                15 => {
                    let vars = (0..vlen)
                        .map(|i| r.u32(body + 12 * i))
                        .collect::<Result<_, _>>()?;
                    (
                        Type::Datasec {
                            name: self.name(name_off)?,
                            vars,
                        },
                        12 * vlen,
                    )
                }
                16 => (
                    Type::Other {
                        size: Some(size_or_type),
                    },
                    0,
                ),
                17 => (Type::Other { size: None }, 4),
                19 => (
                    Type::Other {
                        size: Some(size_or_type),
                    },
                    12 * vlen,
                ),
                k => return Err(bad(format!("unknown BTF kind {k} at type byte {at}"))),
            };
            types.push(ty);
            at = body + extra;
        }
        Ok(types)
    }

    /// Type `id` (1-based; 0 is `void`).
    pub fn get(&self, id: u32) -> Option<&Type> {
        id.checked_sub(1).and_then(|i| self.types.get(i as usize))
    }

    /// Follow typedefs and qualifiers (at most a bounded number of hops).
    pub fn resolve(&self, mut id: u32) -> Option<&Type> {
        for _ in 0..32 {
            match self.get(id)? {
                Type::Alias { target } => id = *target,
                t => return Some(t),
            }
        }
        None
    }

    /// Size in bytes of type `id`, if it has one.
    pub fn size_of(&self, id: u32) -> Option<u32> {
        self.size_of_depth(id, 0)
    }

    fn size_of_depth(&self, id: u32, depth: u32) -> Option<u32> {
        if depth > 32 {
            return None;
        }
        match self.resolve(id)? {
            Type::Int { size } | Type::Struct { size, .. } => Some(*size),
            Type::Ptr { .. } => Some(8),
            Type::Array { elem, nelems } => {
                self.size_of_depth(*elem, depth + 1)?.checked_mul(*nelems)
            }
            Type::Other { size } => *size,
            Type::Var { ty, .. } => self.size_of_depth(*ty, depth + 1),
            Type::Alias { .. } | Type::Datasec { .. } => None,
        }
    }

    /// The BTF-defined maps of the `.maps` section, by variable name.
    pub fn map_defs(&self) -> HashMap<String, MapDef> {
        let mut out = HashMap::new();
        let Some(vars) = self.types.iter().find_map(|t| match t {
            Type::Datasec { name, vars } if name == ".maps" => Some(vars),
            _ => None,
        }) else {
            return out;
        };
        for &v in vars {
            let Some(Type::Var { name, ty }) = self.get(v) else {
                continue;
            };
            let Some(Type::Struct { members, .. }) = self.resolve(*ty) else {
                continue;
            };
            let mut def = MapDef::default();
            for (field, fty) in members {
                match field.as_str() {
                    "type" => def.map_type = self.encoded_int(*fty),
                    "max_entries" => def.max_entries = self.encoded_int(*fty),
                    "map_flags" => def.flags = self.encoded_int(*fty),
                    "key_size" => def.key_size = self.encoded_int(*fty),
                    "value_size" => def.value_size = self.encoded_int(*fty),
                    "key" => def.key_size = self.pointee_size(*fty),
                    "value" => def.value_size = self.pointee_size(*fty),
                    _ => {}
                }
            }
            out.insert(name.clone(), def);
        }
        out
    }

    /// libbpf's convention: an integer field `int (*name)[N]` encodes `N`.
    fn encoded_int(&self, id: u32) -> Option<u32> {
        match self.resolve(id)? {
            Type::Ptr { target } => match self.resolve(*target)? {
                Type::Array { nelems, .. } => Some(*nelems),
                _ => None,
            },
            _ => None,
        }
    }

    fn pointee_size(&self, id: u32) -> Option<u32> {
        match self.resolve(id)? {
            Type::Ptr { target } => self.size_of(*target),
            _ => None,
        }
    }
}

/// What the BTF of a `.maps` variable says about the map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapDef {
    /// `BPF_MAP_TYPE_*`.
    pub map_type: Option<u32>,
    pub max_entries: Option<u32>,
    pub flags: Option<u32>,
    pub key_size: Option<u32>,
    pub value_size: Option<u32>,
}

/// One `bpf_line_info` record, with its strings resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRecord {
    /// Byte offset of the instruction within its ELF section.
    pub insn_off: u32,
    pub file: String,
    /// The text of the source line as the compiler recorded it.
    pub text: String,
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub col: u32,
}

/// The line info of `.BTF.ext`, grouped by ELF section name.
pub fn line_info(ext: &[u8], btf: &Btf) -> Result<HashMap<String, Vec<LineRecord>>, BtfError> {
    let r = Reader {
        data: ext,
        what: ".BTF.ext",
    };
    if r.u16(0)? != BTF_MAGIC {
        return Err(bad(".BTF.ext does not start with the BTF magic 0xeb9f"));
    }
    let hdr_len = r.u32(4)? as usize;
    let off = r.u32(16)? as usize;
    let len = r.u32(20)? as usize;
    let mut out: HashMap<String, Vec<LineRecord>> = HashMap::new();
    if len == 0 {
        return Ok(out);
    }
    let start = hdr_len.saturating_add(off);
    let block = Reader {
        data: r.bytes(start, len)?,
        what: ".BTF.ext line info",
    };
    let rec_size = block.u32(0)? as usize;
    if rec_size < 16 {
        return Err(bad(format!("line info records of {rec_size} bytes")));
    }
    let string = |o: u32| {
        btf.string(o)
            .map(str::to_owned)
            .ok_or_else(|| bad(format!("line info string offset {o} is out of range")))
    };
    let mut at = 4usize;
    while at < len {
        let section = string(block.u32(at)?)?;
        let count = block.u32(at + 4)? as usize;
        at += 8;
        let records = out.entry(section).or_default();
        for _ in 0..count {
            let line_col = block.u32(at + 12)?;
            records.push(LineRecord {
                insn_off: block.u32(at)?,
                file: string(block.u32(at + 4)?)?,
                text: string(block.u32(at + 8)?)?,
                line: line_col >> 10,
                col: line_col & 0x3ff,
            });
            at = at
                .checked_add(rec_size)
                .ok_or_else(|| bad("line info overflows"))?;
        }
    }
    for records in out.values_mut() {
        crate::sorting::sort_by_key(records, |r| r.insn_off);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "btf_tests.rs"]
mod tests;
