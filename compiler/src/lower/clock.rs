//! Timestamps: a clock helper, or with `BPFTRACE_DUMMY_TS_MAP` (bpftrace's test hook,
//! see [`crate::env`]) the value of a scalar map, so that a script steps time itself.

use super::Lower;
use crate::ir::{Helper, VReg};
use crate::sema::types::{MapIdx, Type};
use crate::sema::{Checked, MapValueType};

/// The map `name` (`@ts`) timestamps are read from: it must be a scalar map of unsigned
/// integers, as bpftrace requires.
pub fn dummy_ts_map(checked: &Checked, name: &str) -> Result<MapIdx, String> {
    let what = crate::env::DUMMY_TS_MAP;
    let Some(i) = checked.maps.iter().position(|m| m.name == name) else {
        return Err(format!("{what}: map \"{name}\" not found"));
    };
    let info = &checked.maps[i];
    if !info.keys.is_empty() {
        return Err(format!("{what}: map \"{name}\" must be scalar"));
    }
    match info.value {
        MapValueType::Plain(Type::Int { signed: false, .. }) => Ok(MapIdx(i as u32)),
        _ => Err(format!(
            "{what}: the value of map \"{name}\" must be an unsigned integer"
        )),
    }
}

impl Lower<'_, '_> {
    /// The current time of the clock `helper` reads (`ktime_get_ns`,
    /// `ktime_get_boot_ns`, `ktime_get_tai_ns`), or the dummy timestamp map's value
    /// (0 while it has none).
    pub(crate) fn now_ns(&mut self, helper: Helper) -> VReg {
        match self.m.dummy_ts {
            Some(map) => self.map_read_int_at(map, &[], None),
            None => self.b.call(helper, vec![]),
        }
    }
}
