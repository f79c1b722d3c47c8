//! `.debug_line` line programs (DWARF 2 to 5): the header's directory and file tables
//! and the rows the state machine emits (address, file, line). Only what turns an
//! address into `file:line` is kept; columns, ISA and discriminators are read past.

use super::form::{self, Encoding, Value};
use super::read::{str_at, Reader};
use super::Sections;

/// One row of a line table: from `addr` on (to the next row), code of `file`
/// (an index of the program's file table) at `line`; `end` closes a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub addr: u64,
    pub file: u32,
    pub line: u32,
    pub end: bool,
}

/// A parsed line program: file paths by the program's own file indices (what rows and
/// `DW_AT_call_file` use) and its rows, sequence after sequence.
#[derive(Debug, Default)]
pub struct Program {
    pub files: Vec<String>,
    pub rows: Vec<Row>,
}

/// `name` under `dir` (an absolute `name` stands alone).
pub fn join(dir: &str, name: &str) -> String {
    if name.starts_with('/') || dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A DWARF 5 entry's string (path) value.
fn entry_str(s: &Sections<'_>, v: Value<'_>) -> Option<String> {
    match v {
        Value::Str(b) => Some(text(b)),
        Value::LineStrP(o) => str_at(s.line_str, o).map(text),
        Value::StrP(o) => str_at(s.str, o).map(text),
        _ => None,
    }
}

/// DWARF 5 directory or file entries: (path, directory index) each.
fn v5_entries(r: &mut Reader<'_>, s: &Sections<'_>, enc: Encoding) -> Option<Vec<(String, u64)>> {
    let nformats = r.u8()?;
    let mut formats = Vec::with_capacity(nformats.into());
    for _ in 0..nformats {
        formats.push((r.uleb()?, r.uleb()?));
    }
    let count = r.uleb()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let (mut path, mut dir) = (String::new(), 0);
        for &(kind, f) in &formats {
            let v = form::read(r, f, enc, 0)?;
            match kind {
                1 => path = entry_str(s, v).unwrap_or_default(),
                2 => dir = v.udata().unwrap_or(0),
                _ => {}
            }
        }
        out.push((path, dir));
    }
    Some(out)
}

/// The line program at `offset` of `.debug_line`; `comp_dir` and `cu_name` are the
/// unit's (DWARF 4 and earlier leave directory 0 and file 0 implicit).
pub fn parse(
    s: &Sections<'_>,
    offset: u64,
    comp_dir: &str,
    cu_name: &str,
    addr_size: u8,
) -> Option<Program> {
    let mut r = Reader::at(s.line, offset);
    let (len, dwarf64) = r.initial_length()?;
    let mut r = r.split(len)?;
    let version = r.u16()?;
    if !(2..=5).contains(&version) {
        return None;
    }
    let mut addr_size = addr_size;
    if version >= 5 {
        addr_size = r.u8()?;
        let _seg = r.u8()?;
    }
    let header_len = r.offset(dwarf64)?;
    let mut prog = r;
    prog.skip(header_len)?;
    let min_inst = u64::from(r.u8()?);
    if version >= 4 {
        let _max_ops = r.u8()?;
    }
    let _default_is_stmt = r.u8()?;
    let line_base = r.u8()? as i8;
    let line_range = r.u8()?;
    let opcode_base = r.u8()?;
    let std_lens = r.bytes(u64::from(opcode_base.saturating_sub(1)))?;
    let mut files = Vec::new();
    if version >= 5 {
        let enc = Encoding {
            addr_size,
            dwarf64,
            version,
            unit: 0,
        };
        let dirs = v5_entries(&mut r, s, enc)?;
        let root = dirs.first().map_or(comp_dir, |d| d.0.as_str());
        let dirs: Vec<String> = dirs.iter().map(|d| join(root, &d.0)).collect();
        for (name, d) in v5_entries(&mut r, s, enc)? {
            let dir = usize::try_from(d).ok().and_then(|d| dirs.get(d));
            files.push(join(dir.map_or(root, |d| d.as_str()), &name));
        }
    } else {
        let mut dirs = vec![comp_dir.to_string()];
        loop {
            let d = r.cstr()?;
            if d.is_empty() {
                break;
            }
            dirs.push(join(comp_dir, &text(d)));
        }
        files.push(join(comp_dir, cu_name));
        loop {
            let name = r.cstr()?;
            if name.is_empty() {
                break;
            }
            let d = r.uleb()?;
            let _mtime = r.uleb()?;
            let _len = r.uleb()?;
            let dir = usize::try_from(d).ok().and_then(|d| dirs.get(d));
            files.push(join(dir.map_or(comp_dir, |d| d.as_str()), &text(name)));
        }
    }
    let rows = run(
        &mut prog,
        min_inst,
        line_base,
        line_range,
        opcode_base,
        std_lens,
        addr_size,
    )?;
    Some(Program { files, rows })
}

/// Run the state machine over the opcodes; sequences that start at address 0 (code
/// the linker discarded) are dropped.
fn run(
    r: &mut Reader<'_>,
    min_inst: u64,
    line_base: i8,
    line_range: u8,
    opcode_base: u8,
    std_lens: &[u8],
    addr_size: u8,
) -> Option<Vec<Row>> {
    let mut rows = Vec::new();
    let mut seq: Vec<Row> = Vec::new();
    let fresh = Row {
        addr: 0,
        file: 1,
        line: 1,
        end: false,
    };
    let mut st = fresh;
    let advance =
        |st: &mut Row, ops: u64| st.addr = st.addr.wrapping_add(ops.wrapping_mul(min_inst));
    while !r.is_empty() {
        let op = r.u8()?;
        if op >= opcode_base {
            if line_range == 0 {
                return None;
            }
            let adj = op - opcode_base;
            advance(&mut st, u64::from(adj / line_range));
            let dl = i64::from(line_base) + i64::from(adj % line_range);
            st.line = (i64::from(st.line) + dl) as u32;
            seq.push(st);
            continue;
        }
        match op {
            0 => {
                let len = r.uleb()?;
                let mut ext = r.split(len)?;
                match ext.u8() {
                    Some(1) => {
                        st.end = true;
                        seq.push(st);
                        if seq.first().is_some_and(|f| f.addr != 0) {
                            rows.append(&mut seq);
                        }
                        seq.clear();
                        st = fresh;
                    }
                    Some(2) => st.addr = ext.uint(addr_size.min(8))?,
                    _ => {}
                }
            }
            1 => seq.push(st),
            2 => {
                let n = r.uleb()?;
                advance(&mut st, n);
            }
            3 => st.line = (i64::from(st.line) + r.sleb()?) as u32,
            4 => st.file = r.uleb()? as u32,
            5 => {
                r.uleb()?;
            }
            8 => {
                if line_range == 0 {
                    return None;
                }
                advance(&mut st, u64::from((255 - opcode_base) / line_range));
            }
            9 => st.addr = st.addr.wrapping_add(u64::from(r.u16()?)),
            6 | 7 | 10 | 11 => {}
            _ => {
                let n = std_lens.get(usize::from(op) - 1).copied().unwrap_or(0);
                for _ in 0..n {
                    r.uleb()?;
                }
            }
        }
    }
    Some(rows)
}
