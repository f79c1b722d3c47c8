//! `dw_ustack`: unwinding the snapshots programs send ([`tracec_meta::dwstack`]) with
//! the `.eh_frame` CFI of the process's binary and libraries (`cfi.rs`), found through
//! `/proc/PID/maps`. A snapshot is unwound when its event arrives (the process is
//! still there) and the return addresses kept under its id, which the `dw_ustack`
//! values name when they are printed (`stacks.rs` symbolizes them like `ustack`).
//!
//! As in bpftrace, unwind data is read only for the target processes (`-p`, `-c`,
//! `--dwarf-pid`); a snapshot of another process gets a warning and an empty stack.

use crate::cfi::{self, Cfa, EhFrame, Rule};
use crate::symbolize::{parse_maps, Mapping};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Mutex;
use tracec_meta::dwstack::Snapshot;
use tracec_meta::{Metadata, Ty};

/// Most frames unwound (bpftrace's largest stack limit).
pub const MAX_FRAMES: usize = 127;
/// Unwound stacks kept for printing before the oldest half is dropped.
const MAX_KEPT: usize = 1 << 16;

static DWARF_PIDS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// `--dwarf-pid PID` (and `-p`, `-c`'s child): processes whose unwind data is read.
pub fn add_dwarf_pid(pid: u32) {
    if let Ok(mut p) = DWARF_PIDS.lock() {
        if !p.contains(&pid) {
            p.push(pid);
        }
    }
}

/// Whether any process was named for unwinding.
pub fn has_dwarf_pids() -> bool {
    DWARF_PIDS.lock().is_ok_and(|p| !p.is_empty())
}

fn is_dwarf_pid(pid: u32) -> bool {
    DWARF_PIDS.lock().is_ok_and(|p| p.contains(&pid))
}

/// Whether any value type of the object is a `dw_ustack`.
pub fn uses_dw_ustack(meta: &Metadata) -> bool {
    fn has(t: &Ty) -> bool {
        match t {
            Ty::DwStack { .. } => true,
            Ty::Tuple { fields } => fields.iter().any(|f| has(&f.ty)),
            Ty::Record { fields } => fields.iter().any(|f| has(&f.ty)),
            Ty::Array { elem, .. } => has(elem),
            _ => false,
        }
    }
    let maps = meta.maps.iter().any(|m| match &m.role {
        tracec_meta::MapRole::User { key, value, .. } => key.iter().any(has) || has(value),
        _ => false,
    });
    maps || meta.print_values.iter().any(has)
        || meta
            .printfs
            .iter()
            .any(|p| p.args.iter().any(|a| has(&a.ty)))
}

/// A file's unwind table and loadable segments (`debugsyms::load_segments`).
struct Unwind {
    eh: EhFrame,
    segments: Vec<(u64, u64, u64)>,
}

impl Unwind {
    fn read(path: &Path) -> Option<Unwind> {
        let bytes = std::fs::read(path).ok()?;
        let elf = goblin::elf::Elf::parse(&bytes).ok()?;
        let sh = elf
            .section_headers
            .iter()
            .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".eh_frame"))?;
        let data = bytes.get(sh.file_range()?)?;
        let eh = EhFrame::parse(data, sh.sh_addr)?;
        let segments = crate::debugsyms::load_segments(&elf);
        Some(Unwind { eh, segments })
    }

    fn vaddr(&self, off: u64) -> Option<u64> {
        crate::debugsyms::offset_to_vaddr(&self.segments, off)
    }
}

/// The unwinder's caches and results.
#[derive(Default)]
pub struct Unwinder {
    files: HashMap<PathBuf, Option<Rc<Unwind>>>,
    maps: HashMap<u32, Rc<Vec<Mapping>>>,
    /// Return addresses of each snapshot id.
    stacks: HashMap<u64, Vec<u64>>,
    order: Vec<u64>,
    warned: HashSet<u32>,
}

/// Memory an unwind step can read: the snapshot's stack.
pub trait Memory {
    fn read_u64(&self, addr: u64) -> Option<u64>;
}

impl Memory for Snapshot<'_> {
    fn read_u64(&self, addr: u64) -> Option<u64> {
        self.read(addr)
    }
}

/// The registers an unwind step tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regs {
    pub ip: u64,
    pub sp: u64,
    pub bp: Option<u64>,
}

/// One step: the caller's registers from the callee's with the rules at its `ip`.
pub fn step(row: &cfi::Row, regs: Regs, mem: &dyn Memory) -> Option<Regs> {
    let cfa = match row.cfa {
        Cfa::RegOffset(cfi::RSP, off) => regs.sp.checked_add_signed(off)?,
        Cfa::RegOffset(cfi::RBP, off) => regs.bp?.checked_add_signed(off)?,
        _ => return None,
    };
    let ip = match row.ra {
        Rule::Offset(off) => mem.read_u64(cfa.checked_add_signed(off)?)?,
        _ => return None,
    };
    let bp = match row.rbp {
        Rule::Same => regs.bp,
        Rule::Offset(off) => mem.read_u64(cfa.checked_add_signed(off)?),
        Rule::ValOffset(off) => cfa.checked_add_signed(off),
        Rule::Register(cfi::RSP) => Some(regs.sp),
        _ => None,
    };
    Some(Regs { ip, sp: cfa, bp })
}

impl Unwinder {
    fn mappings(&mut self, pid: u32, refresh: bool) -> Option<Rc<Vec<Mapping>>> {
        if refresh || !self.maps.contains_key(&pid) {
            let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
            self.maps.insert(pid, Rc::new(parse_maps(&text)));
        }
        self.maps.get(&pid).cloned()
    }

    fn file(&mut self, path: &Path) -> Option<Rc<Unwind>> {
        self.files
            .entry(path.to_path_buf())
            .or_insert_with(|| Unwind::read(path).map(Rc::new))
            .clone()
    }

    /// The rules for `ip` in process `pid` (`lookup`: the address looked up, `ip - 1`
    /// for return addresses, which may lie just past their call's function).
    fn row(&mut self, pid: u32, lookup: u64) -> Option<cfi::Row> {
        let mut maps = self.mappings(pid, false)?;
        if !maps.iter().any(|m| lookup >= m.start && lookup < m.end) {
            // A library mapped since the maps were read.
            maps = self.mappings(pid, true)?;
        }
        let m = maps
            .iter()
            .find(|m| lookup >= m.start && lookup < m.end)?
            .clone();
        let file = self.file(&m.path)?;
        let vaddr = file.vaddr(lookup - m.start + m.offset)?;
        file.eh.row(vaddr)
    }

    /// The return addresses of a snapshot, innermost first.
    pub fn unwind(&mut self, snap: &Snapshot) -> Vec<u64> {
        let mut frames = vec![snap.ip];
        let mut regs = Regs {
            ip: snap.ip,
            sp: snap.sp,
            bp: Some(snap.bp),
        };
        while frames.len() < MAX_FRAMES {
            let lookup = if frames.len() == 1 {
                regs.ip
            } else {
                regs.ip.wrapping_sub(1)
            };
            let Some(row) = self.row(snap.pid, lookup) else {
                break;
            };
            let Some(next) = step(&row, regs, snap) else {
                break;
            };
            // The stack grows down: a caller's frame is above its callee's.
            if next.ip == 0 || next.sp <= regs.sp {
                break;
            }
            frames.push(next.ip);
            regs = next;
        }
        frames
    }

    /// Handle a snapshot event: unwind and keep the result. Returns a warning for
    /// stderr the first time a process without unwind data is seen.
    pub fn snapshot(&mut self, snap: &Snapshot) -> Option<String> {
        let mut warning = None;
        let frames = if is_dwarf_pid(snap.pid) {
            self.unwind(snap)
        } else {
            if self.warned.insert(snap.pid) {
                warning =
                    Some("WARNING: No DWARF unwind data available for this process\n".to_string());
            }
            Vec::new()
        };
        if self.order.len() >= MAX_KEPT {
            for id in self.order.drain(..MAX_KEPT / 2) {
                self.stacks.remove(&id);
            }
        }
        if self.stacks.insert(snap.id, frames).is_none() {
            self.order.push(snap.id);
        }
        warning
    }

    /// The frames of snapshot `id`.
    pub fn frames(&self, id: u64) -> Option<&[u64]> {
        self.stacks.get(&id).map(Vec::as_slice)
    }
}

thread_local! {
    static UNWINDER: RefCell<Unwinder> = RefCell::new(Unwinder::default());
}

/// [`Unwinder::snapshot`] on this thread's unwinder.
pub fn on_snapshot(payload: &[u8]) -> Option<String> {
    let snap = Snapshot::parse(payload)?;
    UNWINDER.with(|u| u.borrow_mut().snapshot(&snap))
}

/// The frames of snapshot `id` on this thread (empty when unknown).
pub fn frames(id: u64) -> Vec<u64> {
    UNWINDER.with(|u| {
        u.borrow()
            .frames(id)
            .map(<[u64]>::to_vec)
            .unwrap_or_default()
    })
}

#[cfg(test)]
#[path = "dwunwind_tests.rs"]
mod tests;
